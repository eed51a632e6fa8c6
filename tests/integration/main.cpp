#define BOOST_TEST_MODULE integration_test
#include <boost/test/unit_test.hpp>

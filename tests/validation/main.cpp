#define BOOST_TEST_MODULE validation
#include <boost/test/unit_test.hpp>

#define BOOST_TEST_MODULE gateway_test
#include <boost/test/unit_test.hpp>

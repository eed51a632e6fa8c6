#define BOOST_TEST_MODULE conformance_test
#include <boost/test/unit_test.hpp>

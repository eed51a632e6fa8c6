#define BOOST_TEST_MODULE mappers_test
#include <boost/test/unit_test.hpp>

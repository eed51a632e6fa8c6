#define BOOST_TEST_MODULE fhirpath_test
#include <boost/test/unit_test.hpp>

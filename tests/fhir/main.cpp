#define BOOST_TEST_MODULE fhir_test
#include <boost/test/unit_test.hpp>

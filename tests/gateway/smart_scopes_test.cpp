#include "notebridge/gateway/smart_scopes.h"

#include <boost/test/unit_test.hpp>

using notebridge::gateway::SmartScopes;

BOOST_AUTO_TEST_SUITE(smart_scopes)

BOOST_AUTO_TEST_CASE(v2_letters_grant_exactly_their_interactions) {
  auto scopes = SmartScopes::parse("system/DocumentReference.rs system/Observation.c");
  BOOST_TEST(scopes.allows("DocumentReference", "read"));
  BOOST_TEST(scopes.allows("DocumentReference", "vread"));
  BOOST_TEST(scopes.allows("DocumentReference", "search-type"));
  BOOST_TEST(!scopes.allows("DocumentReference", "create"));
  BOOST_TEST(scopes.allows("Observation", "create"));
  BOOST_TEST(!scopes.allows("Observation", "read"));
  BOOST_TEST(!scopes.allows("Patient", "read"));
}

BOOST_AUTO_TEST_CASE(v1_read_write_and_wildcards) {
  auto scopes = SmartScopes::parse("system/*.read system/Patient.write");
  BOOST_TEST(scopes.allows("Encounter", "search-type"));
  BOOST_TEST(scopes.allows("Encounter", "history-instance"));
  BOOST_TEST(!scopes.allows("Encounter", "update"));
  BOOST_TEST(scopes.allows("Patient", "update"));
  BOOST_TEST(scopes.allows("Patient", "delete"));
  BOOST_TEST(SmartScopes::parse("system/*.*").allows("Goal", "patch"));
}

BOOST_AUTO_TEST_CASE(other_contexts_malformed_and_narrowed_scopes_grant_nothing) {
  auto scopes = SmartScopes::parse(
      "patient/*.read user/Patient.rs openid system/Patient.sr system/Patient.xyz "
      "system/DocumentReference.c?category=clinical-note system/.rs");
  BOOST_TEST(!scopes.allows("Patient", "read"));
  BOOST_TEST(!scopes.allows("DocumentReference", "create"));
  BOOST_TEST(!scopes.allows("Patient", "search-type"));
}

BOOST_AUTO_TEST_SUITE_END()

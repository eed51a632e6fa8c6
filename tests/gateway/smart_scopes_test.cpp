#include "notebridge/gateway/smart_scopes.h"

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

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

BOOST_AUTO_TEST_CASE(narrowed_scopes_only_narrow_reads_histories_and_searches) {
  auto scopes = SmartScopes::parse(
      "system/Observation.rs?category=survey system/Observation.cu?status=final "
      "system/Patient.r?gender=female system/*.s?x=y");
  BOOST_TEST(!scopes.allows("Observation", "read"));
  BOOST_TEST(!scopes.allows("Observation", "search-type"));
  BOOST_TEST((scopes.narrowingQueries("Observation", "search-type") ==
              std::vector<std::string>{"category=survey"}));
  BOOST_TEST((scopes.narrowingQueries("Observation", "vread") ==
              std::vector<std::string>{"category=survey"}));
  BOOST_TEST(scopes.narrowingQueries("Observation", "create").empty());
  BOOST_TEST(scopes.narrowingQueries("Observation", "update").empty());
  // History is a read: allowed, and each version filtered by the FHIR API.
  BOOST_TEST((scopes.narrowingQueries("Observation", "history-instance") ==
              std::vector<std::string>{"category=survey"}));
  BOOST_TEST((scopes.narrowingQueries("Patient", "history-type") ==
              std::vector<std::string>{"gender=female"}));
  BOOST_TEST(scopes.mayAllow("Patient", "history-type"));
  BOOST_TEST(scopes.narrowingQueries("Observation", "delete").empty());
  BOOST_TEST(!scopes.mayAllow("Observation", "create"));
  BOOST_TEST(scopes.mayAllow("Patient", "read"));
  BOOST_TEST(!scopes.mayAllow("Patient", "search-type"));
  // `*` with a query names no type's parameters: nothing.
  BOOST_TEST(!scopes.mayAllow("Goal", "search-type"));
  // An unnarrowed grant beside a narrowed one wins: nothing to narrow.
  auto both = SmartScopes::parse("system/Observation.rs?category=survey system/Observation.rs");
  BOOST_TEST(both.allows("Observation", "read"));
  BOOST_TEST(both.narrowingQueries("Observation", "read").empty());
}

BOOST_AUTO_TEST_SUITE_END()

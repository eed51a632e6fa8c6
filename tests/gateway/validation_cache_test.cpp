// ValidationCache: repeated resources get the validator's answer again without a second
// validation, and a resource that differs in anything is validated anew.
#include <boost/test/unit_test.hpp>

#include "notebridge/fhir/json_format.h"
#include "notebridge/gateway/validation_cache.h"
#include "shared_registry.h"

using notebridge::gateway::ValidationCache;
namespace fhir = notebridge::fhir;

namespace {

using notebridge::testing::parseResource;

const std::string kPatient =
    R"({"resourceType":"Patient","id":"p1","name":[{"family":"Rivera"}],"gender":"female"})";
// The same but for one code that is not in the value set.
const std::string kBadPatient =
    R"({"resourceType":"Patient","id":"p1","name":[{"family":"Rivera"}],"gender":"femal"})";

}  // namespace

BOOST_AUTO_TEST_SUITE(validation_cache)

BOOST_AUTO_TEST_CASE(a_repeated_resource_gets_the_same_issues_from_the_cache) {
  auto validator = notebridge::testing::sharedValidator();
  ValidationCache cache(validator, ValidationCache::noteSharedTypes());
  auto patient = parseResource(kPatient);
  const fhir::Outcome direct = validator->validate(*patient);
  const fhir::Outcome first = cache.validate(*patient);
  const fhir::Outcome again = cache.validate(*parseResource(kPatient));
  BOOST_TEST(cache.size() == 1u);
  BOOST_TEST(cache.hits() == 1u);
  BOOST_TEST(again.toOperationOutcomeJson() == direct.toOperationOutcomeJson());
  BOOST_TEST(first.toOperationOutcomeJson() == direct.toOperationOutcomeJson());
  BOOST_TEST(!again.hasErrors());
}

BOOST_AUTO_TEST_CASE(a_changed_resource_is_never_let_through_unvalidated) {
  ValidationCache cache(notebridge::testing::sharedValidator(), ValidationCache::noteSharedTypes());
  BOOST_TEST(!cache.validate(*parseResource(kPatient)).hasErrors());
  // Same id, same length, one letter apart: validated, and refused.
  const fhir::Outcome changed = cache.validate(*parseResource(kBadPatient));
  BOOST_TEST(changed.hasErrors());
  BOOST_TEST(cache.hits() == 0u);
  // And the refusal is what the cache gives for it next time.
  BOOST_TEST(cache.validate(*parseResource(kBadPatient)).hasErrors());
  BOOST_TEST(!cache.validate(*parseResource(kPatient)).hasErrors());
  BOOST_TEST(cache.hits() == 2u);
}

BOOST_AUTO_TEST_CASE(only_the_named_types_are_kept_and_never_more_than_the_capacity) {
  ValidationCache cache(notebridge::testing::sharedValidator(), {"Patient"}, 2);
  for (int i = 0; i < 5; ++i) {
    cache.validate(
        *parseResource(R"({"resourceType":"Patient","id":"p)" + std::to_string(i) + "\"}"));
  }
  BOOST_TEST(cache.size() == 2u);
  // The oldest went: p0 is validated again, p4 comes from the cache.
  cache.validate(*parseResource(R"({"resourceType":"Patient","id":"p4"})"));
  BOOST_TEST(cache.hits() == 1u);
  cache.validate(*parseResource(R"({"resourceType":"Patient","id":"p0"})"));
  BOOST_TEST(cache.hits() == 1u);
  cache.validate(*parseResource(R"({"resourceType":"Organization","id":"o1"})"));
  cache.validate(*parseResource(R"({"resourceType":"Organization","id":"o1"})"));
  BOOST_TEST(cache.hits() == 1u);
  BOOST_TEST(cache.size() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()

// ValidationCache: repeated resources get the validator's answer again without a second
// validation, and a resource that differs in anything is validated anew.
#include <boost/test/unit_test.hpp>

#include "notebridge/fhir/json_format.h"
#include "notebridge/gateway/validation_cache.h"
#include "notebridge/gateway/version_template.h"
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

// The body, digest and index rows of `write` for version 3, as the store would take them.
std::string describeWrite(const notebridge::gateway::ResourceWrite& write) {
  notebridge::gateway::ResourceVersion version;
  version.type = write.type;
  version.id = write.id;
  version.version = 3;
  version.lastUpdated = "2026-01-02T03:04:05.678Z";
  std::string out = write.type + "/" + write.id + " " + write.contentHash + " " +
                    write.render(version) + " index:";
  for (const auto& e : write.index) {
    out += " " + e.param + "|" + e.kind + "|" + e.system + "|" + e.value + "|" + e.high;
  }
  return out;
}

BOOST_AUTO_TEST_CASE(a_repeated_resource_gets_the_same_write_and_issues_as_rendering_it_anew) {
  const std::string patient =
      R"({"resourceType":"Patient","name":[{"family":"Rivera"}],"gender":"female",)"
      R"("birthDate":"1990-04-01","identifier":[{"system":"urn:x","value":"c1"}]})";
  auto validator = notebridge::testing::sharedValidator();
  ValidationCache cache(validator, ValidationCache::noteSharedTypes());
  const auto direct = [&](const std::string& json, const std::string& id) {
    std::shared_ptr<fhir::Element> tree(parseResource(json).release());
    const fhir::Outcome issues = validator->validate(*tree);
    return issues.toOperationOutcomeJson() + "\n" +
           describeWrite(notebridge::gateway::templatedWrite(tree, id));
  };
  const auto cached = [&](const std::string& json, const std::string& id) {
    std::shared_ptr<fhir::Element> tree(parseResource(json).release());
    auto checked = cache.validateAndRender(tree, id);
    return checked.issues.toOperationOutcomeJson() + "\n" + describeWrite(checked.write);
  };
  const std::string expected = direct(patient, "p1");
  BOOST_TEST(cached(patient, "p1") == expected);
  BOOST_TEST(cache.hits() == 0u);
  // Again: neither validated nor rendered, the same write.
  BOOST_TEST(cached(patient, "p1") == expected);
  BOOST_TEST(cache.hits() == 1u);
  // The same content under another id: the issues come from the cache, the body is rendered
  // with that id.
  BOOST_TEST(cached(patient, "p2") == direct(patient, "p2"));
  BOOST_TEST(cache.hits() == 2u);
  BOOST_TEST(cached(patient, "p1") == expected);
  // A changed resource is validated and rendered anew.
  const std::string changed = R"({"resourceType":"Patient","name":[{"family":"Rivera"}],)"
                              R"("gender":"femal","birthDate":"1990-04-02"})";
  const std::string refused = cached(changed, "p1");
  BOOST_TEST(refused == direct(changed, "p1"));
  BOOST_TEST(refused.find("\"error\"") != std::string::npos);
  // Types the cache does not keep are validated and rendered every time.
  const std::string encounter =
      R"({"resourceType":"Encounter","status":"finished","class":{"code":"AMB"}})";
  const std::size_t hits = cache.hits();
  BOOST_TEST(cached(encounter, "e1") == direct(encounter, "e1"));
  BOOST_TEST(cached(encounter, "e1") == direct(encounter, "e1"));
  BOOST_TEST(cache.hits() == hits);
}

BOOST_AUTO_TEST_SUITE_END()

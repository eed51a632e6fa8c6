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
  if (!write.render) return "no write";
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
    // A resource with errors is refused: nothing to render.
    return issues.toOperationOutcomeJson() + "\n" +
           (issues.hasErrors() ? std::string("no write")
                               : describeWrite(notebridge::gateway::templatedWrite(tree, id)));
  };
  const auto cached = [&](const std::string& json, const std::string& id) {
    std::shared_ptr<fhir::Element> tree(parseResource(json).release());
    auto checked = cache.validateAndRender(tree, id);
    return checked.issues.toOperationOutcomeJson() + "\n" + describeWrite(checked.write);
  };
  const std::string expected = direct(patient, "p1");
  BOOST_TEST(cached(patient, "p1") == expected);
  BOOST_TEST(cache.hits() == 0u);
  BOOST_TEST(cache.writeHits() == 0u);
  // Again: neither validated nor rendered, the same write.
  BOOST_TEST(cached(patient, "p1") == expected);
  BOOST_TEST(cache.hits() == 1u);
  BOOST_TEST(cache.writeHits() == 1u);
  // The same content under another id: the issues come from the cache, the body is rendered
  // with that id (and replaces the kept write).
  BOOST_TEST(cached(patient, "p2") == direct(patient, "p2"));
  BOOST_TEST(cache.hits() == 2u);
  BOOST_TEST(cache.writeHits() == 1u);
  // So p1 is rendered again, then kept again.
  BOOST_TEST(cached(patient, "p1") == expected);
  BOOST_TEST(cache.hits() == 3u);
  BOOST_TEST(cache.writeHits() == 1u);
  BOOST_TEST(cached(patient, "p1") == expected);
  BOOST_TEST(cache.writeHits() == 2u);
  // A changed resource is validated and rendered anew.
  const std::string changed = R"({"resourceType":"Patient","name":[{"family":"Rivera"}],)"
                              R"("gender":"femal","birthDate":"1990-04-02"})";
  const std::string refused = cached(changed, "p1");
  BOOST_TEST(refused == direct(changed, "p1"));
  BOOST_TEST(refused.find("\"error\"") != std::string::npos);
  BOOST_TEST(refused.find("no write") != std::string::npos);
  // Types the cache does not keep are validated and rendered every time.
  const std::string encounter =
      R"({"resourceType":"Encounter","status":"finished","class":{"code":"AMB"}})";
  const std::size_t hits = cache.hits();
  BOOST_TEST(cached(encounter, "e1") == direct(encounter, "e1"));
  BOOST_TEST(cached(encounter, "e1") == direct(encounter, "e1"));
  BOOST_TEST(cache.hits() == hits);
}

BOOST_AUTO_TEST_CASE(an_invalid_shared_resource_keeps_its_errors_and_no_write) {
  auto validator = notebridge::testing::sharedValidator();
  ValidationCache cache(validator, ValidationCache::noteSharedTypes());
  const std::string direct =
      validator->validate(*parseResource(kBadPatient)).toOperationOutcomeJson();
  for (int i = 0; i < 2; ++i) {
    std::shared_ptr<fhir::Element> tree(parseResource(kBadPatient).release());
    auto checked = cache.validateAndRender(tree, "p1");
    BOOST_TEST(checked.issues.hasErrors());
    BOOST_TEST(checked.issues.toOperationOutcomeJson() == direct);
    // Refused anyway: not rendered, so nothing to keep.
    BOOST_TEST(!checked.write.render);
  }
  // The second answer came from the cache, without a write.
  BOOST_TEST(cache.size() == 1u);
  BOOST_TEST(cache.hits() == 1u);
  BOOST_TEST(cache.writeHits() == 0u);
}

BOOST_AUTO_TEST_CASE(a_write_is_kept_only_when_it_fits_the_bound) {
  const std::string patient =
      R"({"resourceType":"Patient","name":[{"family":"Rivera"}],"gender":"female",)"
      R"("birthDate":"1990-04-01","identifier":[{"system":"urn:x","value":"c1"}]})";
  const std::size_t jsonBytes = fhir::writeJson(*parseResource(patient)).size();
  const auto twice = [&](std::size_t maxResourceBytes) {
    ValidationCache cache(notebridge::testing::sharedValidator(),
                          ValidationCache::noteSharedTypes(), 16, maxResourceBytes);
    std::string first, second;
    for (std::string* out : {&first, &second}) {
      std::shared_ptr<fhir::Element> tree(parseResource(patient).release());
      *out = describeWrite(cache.validateAndRender(tree, "p1").write);
    }
    BOOST_TEST(first == second);
    BOOST_TEST(first != "no write");
    BOOST_TEST(cache.hits() == 1u);
    return cache.writeHits();
  };
  // The JSON fits, its template (with id and meta) and index rows do not: issues kept, the
  // write rendered every time.
  BOOST_TEST(twice(jsonBytes) == 0u);
  BOOST_TEST(twice(16 * 1024) == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

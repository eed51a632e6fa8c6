#include <boost/test/unit_test.hpp>

#include "fixture.h"

using namespace notebridge;
using namespace notebridge::validation;
using notebridge::testing::needsShared;
using notebridge::testing::sharedDir;

namespace {

const ElementDefinition* findElement(const StructureDefinition& sd, const std::string& id) {
  for (const auto& e : sd.snapshot) {
    if (e.id == id) return &e;
  }
  return nullptr;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(snapshots)

BOOST_AUTO_TEST_CASE(our_profiles_get_snapshots_without_issues) {
  const auto& store = *validation::testing::ourStore();
  for (const char* url : {"https://notebridge.io/fhir/StructureDefinition/progress-note",
                          "https://notebridge.io/fhir/StructureDefinition/bh-score-observation",
                          "https://notebridge.io/fhir/StructureDefinition/place-of-service",
                          "https://notebridge.io/fhir/StructureDefinition/service-modifier"}) {
    auto sd = store.structureDefinition(url);
    BOOST_REQUIRE_MESSAGE(sd, url);
    BOOST_TEST(!sd->snapshot.empty(), url);
    BOOST_TEST(store.snapshotIssues(url).empty(),
               url << ": " << validation::testing::errorsOf(store.snapshotIssues(url)));
  }
}

BOOST_AUTO_TEST_CASE(differential_inside_a_datatype_expands_the_type) {
  auto sd = validation::testing::ourStore()->structureDefinition(
      "https://notebridge.io/fhir/StructureDefinition/progress-note");
  BOOST_REQUIRE(sd);
  // Attachment's children were copied under content.attachment, contentType constrained.
  const auto* contentType = findElement(*sd, "DocumentReference.content.attachment.contentType");
  BOOST_REQUIRE(contentType);
  BOOST_TEST(contentType->min.value_or(0) == 1);
  BOOST_REQUIRE(contentType->binding.has_value());
  BOOST_TEST(contentType->binding->strength == "required");
  BOOST_TEST(findElement(*sd, "DocumentReference.content.attachment.data") != nullptr);
  // Period's children under context.period.
  const auto* end = findElement(*sd, "DocumentReference.context.period.end");
  BOOST_REQUIRE(end);
  BOOST_TEST(end->min.value_or(0) == 1);
  // A slice copies the sliced element, keeps its own constraints, and is optional by default.
  const auto* noteId = findElement(*sd, "DocumentReference.identifier:noteId");
  BOOST_REQUIRE(noteId);
  BOOST_TEST(noteId->sliceName == "noteId");
  BOOST_TEST(noteId->max.value_or("") == "1");
  const auto* system = findElement(*sd, "DocumentReference.identifier:noteId.system");
  BOOST_REQUIRE(system);
  BOOST_TEST(static_cast<bool>(system->pattern));
  // Base constraints are inherited and ours added.
  const auto* root = findElement(*sd, "DocumentReference");
  BOOST_REQUIRE(root);
  bool dom2 = false, ours = false;
  for (const auto& c : root->constraints) {
    dom2 = dom2 || c.key == "dom-2";
    ours = ours || c.key == "nb-note-1";
  }
  BOOST_TEST(dom2);
  BOOST_TEST(ours);
}

BOOST_AUTO_TEST_CASE(a_choice_type_slice_keeps_only_its_type) {
  auto sd = validation::testing::ourStore()->structureDefinition(
      "https://notebridge.io/fhir/StructureDefinition/bh-score-observation");
  BOOST_REQUIRE(sd);
  const auto* slice = findElement(*sd, "Observation.value[x]:valueQuantity");
  BOOST_REQUIRE(slice);
  BOOST_REQUIRE(slice->types.size() == 1u);
  BOOST_TEST(slice->types[0].code == "Quantity");
  const auto* code = findElement(*sd, "Observation.value[x]:valueQuantity.code");
  BOOST_REQUIRE(code);
  BOOST_TEST(static_cast<bool>(code->fixed));
}

BOOST_AUTO_TEST_CASE(cdex_differentials_get_snapshots, *needsShared()) {
  auto store = std::make_shared<ConformanceStore>(validation::testing::ourStore());
  store->loadPackage(sharedDir() / "fhir-packages" / "hl7.fhir.us.core#6.1.0");
  store->loadPackage(sharedDir() / "fhir-packages" / "hl7.fhir.us.davinci-cdex#2.1.0");
  int generated = 0;
  for (const char* id : {"cdex-task-data-request", "cdex-task-attachment-request",
                         "cdex-parameters-submit-attachment", "cdex-signature-bundle",
                         "cdex-patient-demographics", "cdex-practitionerrole"}) {
    const std::string url =
        std::string("http://hl7.org/fhir/us/davinci-cdex/StructureDefinition/") + id;
    auto sd = store->structureDefinition(url);
    BOOST_REQUIRE_MESSAGE(sd, url);
    const auto issues = store->snapshotIssues(url);
    BOOST_TEST(!sd->snapshot.empty(), url << ": " << validation::testing::errorsOf(issues));
    BOOST_TEST(!issues.hasErrors(), url << ": " << validation::testing::errorsOf(issues));
    if (!sd->snapshot.empty()) ++generated;
  }
  BOOST_TEST(generated == 6);
  // A base that is not loaded (US Core QuestionnaireResponse, without US Core) is named, not a
  // crash.
  auto bare = std::make_shared<ConformanceStore>(validation::testing::ourStore());
  bare->loadPackage(sharedDir() / "fhir-packages" / "hl7.fhir.us.davinci-cdex#2.1.0");
  const std::string sdc =
      "http://hl7.org/fhir/us/davinci-cdex/StructureDefinition/cdex-sdc-questionnaireresponse";
  auto qr = bare->structureDefinition(sdc);
  BOOST_REQUIRE(qr);
  BOOST_TEST(qr->snapshot.empty());
  BOOST_TEST(validation::testing::errorsOf(bare->snapshotIssues(sdc)).find("is not loaded") !=
             std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

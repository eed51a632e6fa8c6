#include <boost/test/unit_test.hpp>

#include "mapper_test_support.h"
#include "note_generator.h"
#include "notebridge/validation/fhirpath_invariants.h"
#include "notebridge/validation/standard_definitions.h"
#include "notebridge/validation/validator.h"
#include "validator_fixture.h"

using namespace notebridge::mappers;
using namespace notebridge::mappers::testing;
namespace validation = notebridge::validation;
using notebridge::fhir::Severity;

namespace {

// Our profile for each resource type we emit (fhir-profiles/definitions).
std::vector<std::string> ownProfiles(const std::string& type) {
  if (type == "DocumentReference")
    return {"https://notebridge.io/fhir/StructureDefinition/progress-note"};
  if (type == "Observation")
    return {"https://notebridge.io/fhir/StructureDefinition/bh-score-observation"};
  return {};
}

void validateBundle(const Element& bundle, const std::string& context) {
  const auto& v = *ValidatorFixture::get().validator;
  BOOST_TEST_CONTEXT(context) {
    const auto whole = v.validate(bundle);
    BOOST_TEST(errorsOf(whole).empty(), errorsOf(whole));
    for (const Element* entry : bundle.childrenNamed("entry")) {
      const Element* r = entry->child("resource");
      validation::ValidationOptions options;
      options.profiles = ownProfiles(r->type());
      // Kept attachments travel as DocumentReferences appending to the note: not progress notes.
      if (r->type() == "DocumentReference" && r->child("relatesTo") &&
          r->child("relatesTo")->childValue("code") == "appends") {
        options.profiles.clear();
      }
      if (options.profiles.empty()) continue;
      const auto outcome = v.validate(*r, options);
      BOOST_TEST(errorsOf(outcome).empty(), r->type() << ":\n" << errorsOf(outcome));
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(profile_validation)

// Issue 6: every mapped output validates against our profiles with zero errors.
BOOST_AUTO_TEST_CASE(every_example_bundle_validates_against_our_profiles) {
  BOOST_REQUIRE(ValidatorFixture::get().validator);
  for (auto name : {"soap", "dap", "birp", "girp", "narrative"}) {
    auto bundle = noteToFhir(exampleNote(name));
    BOOST_REQUIRE(bundle.ok());
    validateBundle(**bundle, name);
    // The retraction of each note validates too (statuses per type, NULLIFY Provenance).
    Note retracted = exampleNote(name);
    retracted.status = NoteStatus::kEnteredInError;
    auto retraction = noteToFhir(retracted);
    BOOST_REQUIRE(retraction.ok());
    validateBundle(**retraction, std::string(name) + " entered-in-error");
  }
}

BOOST_AUTO_TEST_CASE(generated_bundles_validate_against_our_profiles) {
  BOOST_REQUIRE(ValidatorFixture::get().validator);
  NoteGenerator gen(777);
  for (int i = 0; i < 60; ++i) {
    auto bundle = noteToFhir(gen.note());
    BOOST_REQUIRE(bundle.ok());
    validateBundle(**bundle, "generated note " + std::to_string(i));
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(us_core_validation)

// With US Core 6.1.0 loaded, the profiles our resources claim in meta.profile are checked too.
BOOST_AUTO_TEST_CASE(example_bundles_validate_against_us_core_6_1_0,
                     *notebridge::testing::needsShared()) {
  auto loaded = validation::loadStandardDefinitions();
  BOOST_REQUIRE(loaded.ok());
  std::shared_ptr<validation::ConformanceStore> store = *loaded;
  const auto packageOutcome = store->loadPackage(notebridge::testing::sharedDir() /
                                                 "fhir-packages" / "hl7.fhir.us.core#6.1.0");
  BOOST_REQUIRE(!packageOutcome.hasErrors());
  validation::Validator plain(store);
  auto invariants = std::make_shared<validation::FhirPathInvariants>(&plain.terminology());
  validation::Validator validator(store, invariants);
  for (auto name : {"soap", "dap", "birp", "girp", "narrative"}) {
    for (bool retract : {false, true}) {
      Note note = exampleNote(name);
      if (retract) note.status = NoteStatus::kEnteredInError;
      auto bundle = noteToFhir(note);
      BOOST_REQUIRE(bundle.ok());
      for (const Element* entry : (*bundle)->childrenNamed("entry")) {
        const Element* r = entry->child("resource");
        const auto outcome = validator.validate(*r);
        BOOST_TEST(errorsOf(outcome).empty(), name << (retract ? " entered-in-error " : " ")
                                                   << r->type() << ":\n"
                                                   << errorsOf(outcome));
      }
    }
  }
  // The check has teeth: a Patient without gender breaks US Core Patient (gender 1..1).
  auto bundle = noteToFhir(exampleNote("soap"));
  auto patient = resourcesOf(**bundle, "Patient").at(0)->clone();
  for (std::size_t i = 0; i < patient->children().size(); ++i) {
    if (patient->children()[i]->name() == "gender") {
      patient->removeChild(i);
      break;
    }
  }
  const std::string errors = errorsOf(validator.validate(*patient));
  BOOST_TEST(errors.find("gender") != std::string::npos, errors);
}

BOOST_AUTO_TEST_SUITE_END()

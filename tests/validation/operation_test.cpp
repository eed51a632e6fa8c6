// Validator::validateOperation: the bodies `POST [base]/$validate` accepts.
#include <boost/test/unit_test.hpp>

#include "fixture.h"

using namespace notebridge;
using notebridge::testing::readFile;
using notebridge::testing::testDataDir;

namespace {

std::string note(const char* name) { return readFile(testDataDir() / "validation" / name); }

bool hasIssue(const fhir::Outcome& outcome, fhir::Severity severity, const std::string& expression,
              const std::string& text) {
  for (const auto& issue : outcome.issues()) {
    if (issue.severity == severity && issue.expression == expression &&
        issue.diagnostics.find(text) != std::string::npos) {
      return true;
    }
  }
  return false;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(validate_operation)

BOOST_AUTO_TEST_CASE(a_raw_resource_is_validated) {
  const auto outcome = validation::testing::ourValidator().validateOperation(
      note("progress-note-missing-docstatus.input.json"), "DocumentReference");
  BOOST_TEST(hasIssue(outcome, fhir::Severity::kError, "DocumentReference.docStatus", "requires"));
}

BOOST_AUTO_TEST_CASE(parameters_carry_the_resource_and_a_profile) {
  // A plain Patient passes the base definition, but the requested profile is for another type.
  const std::string body =
      R"({"resourceType":"Parameters","parameter":[)"
      R"({"name":"resource","resource":{"resourceType":"Patient","gender":"female"}},)"
      R"({"name":"profile","valueUri":"https://notebridge.io/fhir/StructureDefinition/progress-note"}]})";
  const auto outcome = validation::testing::ourValidator().validateOperation(body);
  BOOST_TEST(hasIssue(outcome, fhir::Severity::kError, "Parameters.parameter[0].resource",
                      "is for DocumentReference"),
             validation::testing::errorsOf(outcome));
}

BOOST_AUTO_TEST_CASE(the_type_in_the_url_must_match) {
  const auto outcome = validation::testing::ourValidator().validateOperation(
      note("patient-valid.input.json"), "Observation");
  BOOST_TEST(hasIssue(outcome, fhir::Severity::kError, "Patient", "not a Observation"));
}

BOOST_AUTO_TEST_CASE(parameters_without_a_resource_and_garbage_are_fatal) {
  const auto missing = validation::testing::ourValidator().validateOperation(
      R"({"resourceType":"Parameters","parameter":[{"name":"mode","valueCode":"create"}]})");
  BOOST_TEST((missing.worst() == fhir::Severity::kFatal));
  const auto garbage = validation::testing::ourValidator().validateOperation("{not json");
  BOOST_TEST((garbage.worst() == fhir::Severity::kFatal));
}

BOOST_AUTO_TEST_CASE(an_unknown_extension_is_an_error_when_configured) {
  const std::string body = note("extension-unknown-is-warning.input.json");
  const auto lenient = validation::testing::ourValidator().validateJson(body);
  BOOST_TEST(
      hasIssue(lenient, fhir::Severity::kWarning, "Patient.extension[0]", "Unknown extension"));
  BOOST_TEST(!lenient.hasErrors());
  validation::ValidationOptions strict;
  strict.unknownExtensionIsError = true;
  const auto outcome = validation::testing::ourValidator().validateJson(body, strict);
  BOOST_TEST(
      hasIssue(outcome, fhir::Severity::kError, "Patient.extension[0]", "Unknown extension"));
}

BOOST_AUTO_TEST_SUITE_END()

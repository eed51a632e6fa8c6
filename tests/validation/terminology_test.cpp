#include <boost/test/unit_test.hpp>

#include "fixture.h"
#include "notebridge/validation/terminology_service.h"

using namespace notebridge::validation;

namespace {
const TerminologyService& service() {
  static const TerminologyService kService(testing::ourStore());
  return kService;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(terminology_service)

BOOST_AUTO_TEST_CASE(expands_a_value_set_of_a_whole_code_system) {
  auto expansion = service().expand("http://hl7.org/fhir/ValueSet/administrative-gender");
  BOOST_REQUIRE(expansion.ok());
  BOOST_TEST((*expansion)->codes.size() == 4u);
  BOOST_TEST((*expansion)->codes.count("http://hl7.org/fhir/administrative-gender|female") == 1u);
}

BOOST_AUTO_TEST_CASE(is_a_filter_follows_the_hierarchy) {
  // v3 ActCode: _ActPrivacyLaw has 42CFRPart2 beneath it.
  auto found = service().lookup("http://terminology.hl7.org/CodeSystem/v3-ActCode", "42CFRPart2");
  BOOST_REQUIRE(found != nullptr);
  // R4 security-labels includes v3-InformationSensitivityPolicy: ActCode is-a
  // _InformationSensitivityPolicy, so PSY (nested below it) is in and 42CFRPart2 (a privacy law,
  // in R4 still in the separate v3-ActUSPrivacyLaw system) is not.
  const std::string vs = "http://hl7.org/fhir/ValueSet/security-labels";
  const std::string actCode = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
  const auto psy = service().validateCode(vs, actCode, "PSY");
  BOOST_TEST((psy.verdict == CodeVerdict::kValid), psy.message);
  BOOST_TEST((service().validateCode(vs, actCode, "42CFRPart2").verdict == CodeVerdict::kInvalid));
  BOOST_TEST((service().validateCode(vs, actCode, "_InformationSensitivityPolicy").verdict ==
              CodeVerdict::kValid));
}

BOOST_AUTO_TEST_CASE(our_value_sets_decide_membership) {
  const std::string vs = "https://notebridge.io/fhir/ValueSet/bh-instrument-scores";
  BOOST_TEST(
      (service().validateCode(vs, "http://loinc.org", "44261-6").verdict == CodeVerdict::kValid));
  BOOST_TEST(
      (service().validateCode(vs, "http://loinc.org", "72166-2").verdict == CodeVerdict::kInvalid));
  const std::string labels = "https://notebridge.io/fhir/ValueSet/security-labels";
  BOOST_TEST(
      (service()
           .validateCode(labels, "http://terminology.hl7.org/CodeSystem/v3-ActCode", "PSYTHPN")
           .verdict == CodeVerdict::kValid));
}

BOOST_AUTO_TEST_CASE(a_missing_value_set_is_unknown_and_named) {
  const auto check =
      service().validateCode("http://example.org/ValueSet/absent", "http://loinc.org", "44261-6");
  BOOST_TEST((check.verdict == CodeVerdict::kUnknown));
  BOOST_TEST(check.message.find("http://example.org/ValueSet/absent") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(external_systems_get_a_syntax_check_only) {
  // us-core style: all of LOINC (not loaded here): a well-formed code is unknown, a malformed
  // one is invalid.
  BOOST_TEST(!TerminologyService::checkExternalSyntax("http://loinc.org", "44261-6").has_value());
  BOOST_TEST(TerminologyService::checkExternalSyntax("http://loinc.org", "44261-7").has_value());
  BOOST_TEST(!TerminologyService::checkExternalSyntax("http://snomed.info/sct", "191788006"));
  BOOST_TEST(TerminologyService::checkExternalSyntax("http://snomed.info/sct", "12ab").has_value());
  BOOST_TEST(TerminologyService::checkExternalSyntax("urn:ietf:bcp:13", "textplain").has_value());
  const auto check = service().validateCode("http://hl7.org/fhir/ValueSet/observation-codes",
                                            "http://loinc.org", "44261-6");
  BOOST_TEST((check.verdict == CodeVerdict::kUnknown), check.message);
}

BOOST_AUTO_TEST_CASE(capability_statement_format_takes_fhir_encodings_beside_mime_types) {
  const auto statement = [](const std::string& format) {
    return R"({"resourceType":"CapabilityStatement","status":"active","date":"2026-01-01",)"
           R"("kind":"instance","fhirVersion":"4.0.1","format":[")" +
           format + R"("],"implementation":{"description":"x"},"rest":[{"mode":"server"}]})";
  };
  for (const std::string format : {"json", "xml", "ttl", "application/fhir+json"}) {
    const auto outcome = testing::r4Validator().validateJson(statement(format));
    BOOST_TEST(testing::errorsOf(outcome).empty(), format << ": " << testing::errorsOf(outcome));
  }
  const auto wrong = testing::r4Validator().validateJson(statement("yaml"));
  BOOST_TEST(testing::errorsOf(wrong).find("CapabilityStatement.format[0]") != std::string::npos,
             testing::errorsOf(wrong));
  // Only that element: an attachment's content type must still be a mime type.
  const auto attachment = testing::r4Validator().validateJson(
      R"({"resourceType":"DocumentReference","status":"current",)"
      R"("content":[{"attachment":{"contentType":"json","data":"eA=="}}]})");
  BOOST_TEST(testing::errorsOf(attachment).find("contentType") != std::string::npos,
             testing::errorsOf(attachment));
}

BOOST_AUTO_TEST_SUITE_END()

#include "notebridge/conformance/capability_statement.h"

#include <boost/test/unit_test.hpp>

using namespace notebridge::conformance;

namespace {
ServerDescription description() {
  ServerDescription d;
  d.softwareVersion = "1.2.3";
  d.date = "2026-01-02T03:04:05Z";
  return d;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(capability_statement)

BOOST_AUTO_TEST_CASE(a_server_with_no_fhir_interactions_lists_none) {
  const std::string json = buildCapabilityStatementJson(description(), {}, {});
  BOOST_TEST(
      json ==
      R"({"resourceType":"CapabilityStatement","status":"active","date":"2026-01-02T03:04:05Z",)"
      R"("kind":"instance","software":{"name":"NoteBridge","version":"1.2.3"},)"
      R"("implementation":{"description":"NoteBridge"},"fhirVersion":"4.0.1",)"
      R"("format":["json"],"rest":[{"mode":"server"}]})");
}

BOOST_AUTO_TEST_CASE(interactions_are_grouped_by_type_in_spec_order_without_duplicates) {
  const std::vector<RestInteraction> interactions = {
      {"Patient", "search-type"}, {"DocumentReference", "create"},
      {"Patient", "read"},        {"", "transaction"},
      {"Patient", "read"},        {"", "batch"}};
  const std::vector<RestOperation> operations = {
      {"", "validate", "http://hl7.org/fhir/OperationDefinition/Resource-validate"}};
  const std::string json = buildCapabilityStatementJson(description(), interactions, operations);
  const std::string expectedRest =
      R"("rest":[{"mode":"server","resource":[)"
      R"({"type":"DocumentReference","interaction":[{"code":"create"}]},)"
      R"({"type":"Patient","interaction":[{"code":"read"},{"code":"search-type"}]}],)"
      R"("interaction":[{"code":"transaction"},{"code":"batch"}],)"
      R"("operation":[{"name":"validate","definition":"http://hl7.org/fhir/OperationDefinition/Resource-validate"}]}]})";
  BOOST_TEST(json.substr(json.find("\"rest\"")) == expectedRest);
}

BOOST_AUTO_TEST_CASE(search_parameters_come_between_interactions_and_operations) {
  const std::vector<RestInteraction> interactions = {{"Observation", "search-type"}};
  const std::vector<RestOperation> operations = {
      {"Observation", "lastn", "http://hl7.org/fhir/OperationDefinition/Observation-lastn"}};
  const std::vector<RestSearchParam> params = {{"Observation", "code", "token"},
                                               {"Observation", "date", "date"},
                                               {"Observation", "code", "token"}};
  const std::string json =
      buildCapabilityStatementJson(description(), interactions, operations, params);
  const std::string expectedRest =
      R"("rest":[{"mode":"server","resource":[)"
      R"({"type":"Observation","interaction":[{"code":"search-type"}],)"
      R"("searchParam":[{"name":"code","type":"token"},{"name":"date","type":"date"}],)"
      R"("operation":[{"name":"lastn","definition":"http://hl7.org/fhir/OperationDefinition/Observation-lastn"}]}]}]})";
  BOOST_TEST(json.substr(json.find("\"rest\"")) == expectedRest);
}

BOOST_AUTO_TEST_SUITE_END()

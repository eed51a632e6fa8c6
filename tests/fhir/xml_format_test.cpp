#include "notebridge/fhir/xml_format.h"

#include <boost/test/unit_test.hpp>

#include "notebridge/fhir/json_format.h"

using namespace notebridge::fhir;

namespace {
const DefinitionRegistry& r4() {
  auto registry = DefinitionRegistry::r4();
  BOOST_REQUIRE(registry);
  return *registry;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(xml_format)

BOOST_AUTO_TEST_CASE(primitives_carry_value_id_and_extensions) {
  auto parsed = parseXml(R"(<Patient xmlns="http://hl7.org/fhir">
  <birthDate id="b1" value="1970-03-30">
    <extension url="http://hl7.org/fhir/StructureDefinition/patient-birthTime">
      <valueDateTime value="1970-03-30T14:35:45-05:00"/>
    </extension>
  </birthDate>
  <active value="true"/>
</Patient>)",
                         r4());
  BOOST_TEST_REQUIRE(parsed.ok(), parsed.outcome().toOperationOutcomeJson());
  const Element& patient = *parsed.value();
  // definition order: active before birthDate
  BOOST_TEST(patient.children()[0]->name() == "active");
  const Element* birth = patient.child("birthDate");
  BOOST_TEST(birth->value() == "1970-03-30");
  BOOST_TEST(birth->childValue("id") == "b1");
  BOOST_TEST(birth->location().line == 2u);
  const Element* ext = birth->child("extension");
  BOOST_TEST(ext->childValue("url") == "http://hl7.org/fhir/StructureDefinition/patient-birthTime");
  BOOST_TEST(ext->child("valueDateTime")->type() == "dateTime");
  BOOST_TEST(writeJson(patient) ==
             R"({"resourceType":"Patient","active":true,"birthDate":"1970-03-30","_birthDate":)"
             R"({"id":"b1","extension":[{"url":"http://hl7.org/fhir/StructureDefinition/)"
             R"(patient-birthTime","valueDateTime":"1970-03-30T14:35:45-05:00"}]}})");
}

BOOST_AUTO_TEST_CASE(contained_resources_and_div_survive_json_to_xml) {
  auto parsed = parseJson(
      R"({"resourceType":"Observation","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>a &amp; b</p></div>"},)"
      R"("contained":[{"resourceType":"Patient","id":"p"}],"status":"final","code":{"text":"c"},"subject":{"reference":"#p"}})",
      r4());
  BOOST_TEST_REQUIRE(parsed.ok(), parsed.outcome().toOperationOutcomeJson());
  BOOST_TEST(
      writeXml(*parsed.value()) ==
      R"(<Observation xmlns="http://hl7.org/fhir"><text><status value="generated"/>)"
      R"(<div xmlns="http://www.w3.org/1999/xhtml"><p>a &amp; b</p></div></text>)"
      R"(<contained><Patient xmlns="http://hl7.org/fhir"><id value="p"/></Patient></contained>)"
      R"(<status value="final"/><code><text value="c"/></code><subject>)"
      R"(<reference value="#p"/></subject></Observation>)");
  auto back = parseXml(writeXml(*parsed.value()), r4());
  BOOST_TEST_REQUIRE(back.ok(), back.outcome().toOperationOutcomeJson());
  BOOST_TEST(writeJson(*back.value()) == writeJson(*parsed.value()));
}

BOOST_AUTO_TEST_CASE(attribute_values_are_escaped) {
  auto patient = Element::makeResource("Patient");
  auto& name = patient->addChild(Element::makeComplex("name", "HumanName"), true);
  name.addChild(Element::makePrimitive("family", "string", "O\"Neil <&>\nline"));
  BOOST_TEST(writeXml(*patient) ==
             "<Patient xmlns=\"http://hl7.org/fhir\"><name><family value=\"O&quot;Neil "
             "&lt;&amp;&gt;&#10;line\"/></name></Patient>");
  auto back = parseXml(writeXml(*patient), r4());
  BOOST_TEST_REQUIRE(back.ok());
  BOOST_TEST(back.value()->child("name")->childValue("family") == "O\"Neil <&>\nline");
}

BOOST_AUTO_TEST_CASE(control_characters_become_replacement_characters_in_xml) {
  auto patient = Element::makeResource("Patient");
  auto& name = patient->addChild(Element::makeComplex("name", "HumanName"), true);
  name.addChild(Element::makePrimitive("family", "string", std::string("a\x01") + "b"));
  const std::string xml = writeXml(*patient);
  BOOST_TEST(xml.find("value=\"a\xEF\xBF\xBD"
                      "b\"") != std::string::npos,
             xml);
  BOOST_TEST(parseXml(xml, r4()).ok());
}

BOOST_AUTO_TEST_CASE(parameters_hold_typed_resources) {
  auto parsed = parseXml(R"(<Parameters xmlns="http://hl7.org/fhir"><parameter><name value="r"/>
    <resource><Patient><gender value="male"/></Patient></resource></parameter></Parameters>)",
                         r4());
  BOOST_TEST_REQUIRE(parsed.ok(), parsed.outcome().toOperationOutcomeJson());
  const Element* resource = parsed.value()->child("parameter")->child("resource");
  BOOST_TEST(resource->isResource());
  BOOST_TEST(resource->type() == "Patient");
  BOOST_TEST(resource->child("gender")->path() == "Parameters.parameter[0].resource.gender");
}

BOOST_AUTO_TEST_CASE(out_of_order_elements_are_reordered_with_a_warning) {
  auto parsed = parseXml(
      R"(<Patient xmlns="http://hl7.org/fhir"><gender value="male"/><active value="true"/></Patient>)",
      r4());
  BOOST_TEST_REQUIRE(parsed.ok());
  BOOST_TEST(parsed.value()->children()[0]->name() == "active");
  BOOST_TEST_REQUIRE(parsed.outcome().issues().size() == 1u);
  BOOST_TEST((parsed.outcome().issues()[0].severity == Severity::kWarning));
  BOOST_TEST(parsed.outcome().issues()[0].diagnostics == "elements are not in definition order");
  BOOST_TEST(parsed.outcome().issues()[0].expression == "Patient");
}

BOOST_AUTO_TEST_SUITE_END()

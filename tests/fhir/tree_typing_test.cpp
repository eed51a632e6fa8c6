#include "notebridge/fhir/tree_typing.h"

#include <boost/test/unit_test.hpp>

#include "notebridge/fhir/json_format.h"

using namespace notebridge::fhir;

BOOST_AUTO_TEST_SUITE(tree_typing)

BOOST_AUTO_TEST_CASE(a_tree_built_in_any_order_is_typed_and_ordered) {
  auto registry = DefinitionRegistry::r4();
  auto obs = Element::makeResource("Observation");
  obs->addChild(Element::makeComplex("valueQuantity", "Quantity"))
      .addChild(Element::makePrimitive("value", "decimal", "7.10"));
  auto& component = obs->addChild(Element::makeComplex("component", ""));
  component.addChild(Element::makePrimitive("valueString", "", "x"));
  component.addChild(Element::makeComplex("code", "CodeableConcept"))
      .addChild(Element::makePrimitive("text", "string", "c"));
  obs->addChild(Element::makePrimitive("status", "code", "final"));
  obs->addChild(Element::makeComplex("code", "CodeableConcept"))
      .addChild(Element::makePrimitive("text", "string", "PHQ-9"));
  const Outcome outcome = assignDefinitions(*obs, *registry);
  BOOST_TEST(outcome.empty(), outcome.toOperationOutcomeJson());
  BOOST_TEST(writeJson(*obs) ==
             R"({"resourceType":"Observation","status":"final","code":{"text":"PHQ-9"},)"
             R"("valueQuantity":{"value":7.10},"component":[{"code":{"text":"c"},)"
             R"("valueString":"x"}]})");
  const Element* value = obs->child("valueQuantity");
  BOOST_TEST(value->baseName() == "value");
  BOOST_TEST(value->property()->path() == "Observation.value[x]");
  BOOST_TEST(obs->child("component")->type() == "BackboneElement");
  BOOST_TEST(obs->child("component")->index() == 0);
  BOOST_TEST(obs->child("component")->child("valueString")->type() == "string");
}

BOOST_AUTO_TEST_CASE(unknown_and_repeated_properties_are_reported) {
  auto registry = DefinitionRegistry::r4();
  auto patient = Element::makeResource("Patient");
  patient->addChild(Element::makePrimitive("gender", "code", "male"));
  patient->addChild(Element::makePrimitive("gender", "code", "female"));
  patient->addChild(Element::makePrimitive("nickname", "string", "Bo"));
  const Outcome outcome = assignDefinitions(*patient, *registry);
  BOOST_TEST_REQUIRE(outcome.issues().size() == 2u);
  BOOST_TEST(outcome.issues()[0].expression == "Patient.nickname");
  BOOST_TEST(outcome.issues()[1].diagnostics == "'gender' allows at most one value");
}

BOOST_AUTO_TEST_SUITE_END()

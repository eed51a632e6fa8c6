#include "notebridge/fhir/element.h"

#include <boost/test/unit_test.hpp>

using notebridge::fhir::Element;

BOOST_AUTO_TEST_SUITE(element_model)

BOOST_AUTO_TEST_CASE(paths_carry_indexes_of_repeating_properties) {
  auto doc = Element::makeResource("DocumentReference");
  Element& content0 = doc->addChild(Element::makeComplex("content", "BackboneElement"), true);
  Element& content1 = doc->addChild(Element::makeComplex("content", "BackboneElement"), true);
  Element& attachment = content1.addChild(Element::makeComplex("attachment", "Attachment"));
  Element& type = attachment.addChild(
      Element::makePrimitive("contentType", "code", "text/plain; charset=utf-8"));
  BOOST_TEST(content0.index() == 0);
  BOOST_TEST(content1.index() == 1);
  BOOST_TEST(type.path() == "DocumentReference.content[1].attachment.contentType");
  BOOST_TEST(type.containingResource() == doc.get());
  BOOST_TEST(doc->childrenNamed("content").size() == 2u);
}

BOOST_AUTO_TEST_CASE(choice_elements_answer_to_their_base_name) {
  auto obs = Element::makeResource("Observation");
  Element& value = obs->addChild(Element::makeComplex("valueQuantity", "Quantity"));
  value.setChoiceBaseLength(5);
  BOOST_TEST(value.baseName() == "value");
  BOOST_TEST(obs->childrenByBaseName("value").size() == 1u);
  BOOST_TEST(obs->childrenNamed("value").empty());
}

BOOST_AUTO_TEST_CASE(removing_a_child_reindexes_its_later_siblings) {
  auto patient = Element::makeResource("Patient");
  patient->addChild(Element::makeComplex("name", "HumanName"), true);
  patient->addChild(Element::makePrimitive("gender", "code", "female"));
  patient->addChild(Element::makeComplex("name", "HumanName"), true);
  patient->removeChild(0);
  BOOST_TEST(patient->children().back()->index() == 0);
  BOOST_TEST(patient->children().back()->path() == "Patient.name[0]");
}

BOOST_AUTO_TEST_CASE(clone_is_deep_and_detached) {
  auto obs = Element::makeResource("Observation");
  obs->addChild(Element::makePrimitive("status", "code", "final"));
  auto copy = obs->clone();
  BOOST_TEST(copy->parent() == nullptr);
  BOOST_TEST(copy->childValue("status") == "final");
  BOOST_TEST(copy->children()[0]->parent() == copy.get());
}

BOOST_AUTO_TEST_SUITE_END()

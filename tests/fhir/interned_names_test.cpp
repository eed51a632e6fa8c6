// Element names and type codes are kept once per process (Element::intern) and nodes point at
// them: these cases check what a caller would notice if that sharing went wrong.
#include <boost/test/unit_test.hpp>
#include <string>
#include <thread>
#include <vector>

#include "notebridge/fhir/definitions.h"
#include "notebridge/fhir/element.h"
#include "notebridge/fhir/json_format.h"

using namespace notebridge::fhir;

BOOST_AUTO_TEST_SUITE(interned_names)

BOOST_AUTO_TEST_CASE(equal_text_gives_one_string_and_long_text_none) {
  const std::string* a = Element::intern("valueQuantity");
  std::string built = "value";
  built += "Quantity";
  const std::string* b = Element::intern(built);
  BOOST_TEST_REQUIRE(a);
  BOOST_TEST(a == b);
  BOOST_TEST(*a == "valueQuantity");
  BOOST_TEST(Element::intern("valueString") != a);
  BOOST_TEST(Element::intern(std::string(129, 'x')) == nullptr);
  BOOST_TEST(Element::intern(std::string(128, 'x')) != nullptr);
}

BOOST_AUTO_TEST_CASE(names_of_a_parsed_tree_outlive_its_registry) {
  RegistryOptions options;
  options.ownDir.clear();
  auto loaded = DefinitionRegistry::load(options);
  BOOST_TEST_REQUIRE(loaded.ok(), loaded.outcome().toOperationOutcomeJson());
  std::shared_ptr<const DefinitionRegistry> registry = std::move(loaded).value();
  auto parsed =
      parseJson(R"({"resourceType":"Observation","status":"final","code":{"text":"PHQ-9"},)"
                R"("valueQuantity":{"value":12,"unit":"score"}})",
                *registry);
  BOOST_TEST_REQUIRE(parsed.ok(), parsed.outcome().toOperationOutcomeJson());
  Element::Ptr obs = std::move(parsed).value();
  registry.reset();  // the definitions (and every string they own) are gone now
  BOOST_TEST(obs->name() == "Observation");
  const Element* value = obs->child("valueQuantity");
  BOOST_TEST_REQUIRE(value);
  BOOST_TEST(value->type() == "Quantity");
  BOOST_TEST(value->baseName() == "value");
  BOOST_TEST(value->child("value")->type() == "decimal");
  BOOST_TEST(value->child("value")->value() == "12");
  BOOST_TEST(obs->child("code")->child("text")->path() == "Observation.code.text");
}

BOOST_AUTO_TEST_CASE(a_node_moved_between_trees_keeps_name_type_and_value) {
  auto bundle = Element::makeResource("Bundle");
  {
    auto patient = Element::makeResource("resource", "Patient");
    patient->addChild(Element::makePrimitive("birthDate", "date", "1988-07-14"));
    patient->addChild(
        Element::makePrimitive("gender", "code", "a value long enough to live on the heap"));
    Element::Ptr moved = patient->removeChild(1);
    Element& entry = bundle->addChild(Element::makeComplex("entry", "BackboneElement"), true);
    entry.addChild(std::move(moved));
  }  // the first tree is freed
  const Element* gender = bundle->child("entry")->child("gender");
  BOOST_TEST_REQUIRE(gender);
  BOOST_TEST(gender->name() == "gender");
  BOOST_TEST(gender->type() == "code");
  BOOST_TEST(gender->value() == "a value long enough to live on the heap");
  BOOST_TEST(gender->path() == "Bundle.entry[0].gender");
}

BOOST_AUTO_TEST_CASE(names_the_table_refuses_are_owned_by_their_node) {
  const std::string longName(200, 'n');
  const std::string longType(150, 't');
  auto root = Element::makeResource("Basic");
  Element& odd = root->addChild(Element::makeNode(NodeKind::kComplex, longName, longType));
  odd.addChild(Element::makePrimitive("x-unknown-name", "string", "v"));
  auto copy = root->clone();
  root.reset();
  const Element& copied = *copy->children()[0];
  BOOST_TEST(copied.name() == longName);
  BOOST_TEST(copied.type() == longType);
  BOOST_TEST(copied.childValue("x-unknown-name") == "v");
  Element& mutableCopy = *copy->child(longName);
  mutableCopy.setType(std::string(140, 'u'));
  BOOST_TEST(mutableCopy.type() == std::string(140, 'u'));
  // A node given its own (owned) type again keeps it: the old text is not freed before it is read.
  mutableCopy.setType(mutableCopy.type());
  BOOST_TEST(mutableCopy.type() == std::string(140, 'u'));
  mutableCopy.setType("Extension");
  BOOST_TEST(mutableCopy.type() == "Extension");
  BOOST_TEST(copy->child(longName)->path() == "Basic." + longName);
}

BOOST_AUTO_TEST_CASE(the_empty_name_is_interned_on_a_thread_that_interned_nothing_yet) {
  // A fresh thread's cache of recent names starts empty; an empty view (null data) must still
  // get the interned empty string, never null (nested resources start with the empty type).
  const std::string* fromNewThread = nullptr;
  const std::string* fromNewThreadWithData = nullptr;
  std::thread([&] {
    fromNewThread = Element::intern(std::string_view{});
    fromNewThreadWithData = Element::intern(std::string_view("", 0));
  }).join();
  BOOST_TEST_REQUIRE(fromNewThread != nullptr);
  BOOST_TEST(fromNewThread->empty());
  BOOST_TEST(fromNewThread == fromNewThreadWithData);
}

BOOST_AUTO_TEST_CASE(names_from_a_reused_buffer_are_told_apart) {
  // Builders may pass views of one buffer whose text changes between calls.
  auto root = Element::makeResource("Observation");
  char buffer[32];
  for (const char* suffix : {"Quantity", "String", "Integer", "Boolean"}) {
    const std::string name = std::string("value") + suffix;
    name.copy(buffer, name.size());
    root->addChild(
        Element::makeNode(NodeKind::kPrimitive, std::string_view(buffer, name.size()), "string"));
  }
  BOOST_TEST_REQUIRE(root->children().size() == 4u);
  BOOST_TEST(root->children()[0]->name() == "valueQuantity");
  BOOST_TEST(root->children()[1]->name() == "valueString");
  BOOST_TEST(root->children()[2]->name() == "valueInteger");
  BOOST_TEST(root->children()[3]->name() == "valueBoolean");
}

BOOST_AUTO_TEST_CASE(threads_interning_at_once_agree) {
  constexpr int kThreads = 4;
  constexpr int kNames = 300;
  std::vector<std::vector<const std::string*>> seen(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &seen] {
      for (int i = 0; i < kNames; ++i) {
        seen[t].push_back(Element::intern("threadName" + std::to_string(i)));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int i = 0; i < kNames; ++i) {
    BOOST_TEST_REQUIRE(seen[0][i]);
    BOOST_TEST(*seen[0][i] == "threadName" + std::to_string(i));
    for (int t = 1; t < kThreads; ++t) BOOST_TEST(seen[t][i] == seen[0][i]);
  }
}

BOOST_AUTO_TEST_CASE(underscore_before_value_pairs_with_the_same_nodes) {
  auto registry = DefinitionRegistry::r4();
  BOOST_TEST_REQUIRE(registry);
  auto parsed = parseJson(
      R"({"resourceType":"Patient","name":[{"_given":[{"id":"g0"},null],"given":["Ann","Lee"]}]})",
      *registry);
  BOOST_TEST_REQUIRE(parsed.ok(), parsed.outcome().toOperationOutcomeJson());
  auto given = parsed.value()->child("name")->childrenNamed("given");
  BOOST_TEST_REQUIRE(given.size() == 2u);
  BOOST_TEST(given[0]->value() == "Ann");
  BOOST_TEST(given[0]->childValue("id") == "g0");
  BOOST_TEST(given[1]->value() == "Lee");
  BOOST_TEST(!given[1]->hasChildren());

  auto mismatched = parseJson(
      R"({"resourceType":"Patient","name":[{"_given":[{"id":"g0"}],"given":["Ann","Lee"]}]})",
      *registry);
  BOOST_TEST(!mismatched.ok());
  BOOST_TEST(mismatched.outcome().toOperationOutcomeJson().find(
                 "must be arrays of the same length") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

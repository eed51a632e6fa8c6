#include "notebridge/fhir/definitions.h"

#include <boost/test/unit_test.hpp>

#include "test_paths.h"

using namespace notebridge::fhir;

namespace {
const DefinitionRegistry& r4() {
  auto registry = DefinitionRegistry::r4();
  BOOST_REQUIRE(registry);
  return *registry;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(definitions)

BOOST_AUTO_TEST_CASE(r4_core_loads_with_types_valuesets_and_codesystems) {
  auto loaded = DefinitionRegistry::load(RegistryOptions{});
  BOOST_TEST_REQUIRE(loaded.ok(), loaded.outcome().toOperationOutcomeJson());
  const auto& registry = *loaded.value();
  BOOST_TEST(registry.isResourceType("Observation"));
  BOOST_TEST(registry.isResourceType("DocumentReference"));
  BOOST_TEST(!registry.isResourceType("Quantity"));
  BOOST_TEST(registry.resourceTypes().size() == 149u);  // 148 specializations + Resource
  const auto* vs = registry.findSummary("http://hl7.org/fhir/ValueSet/observation-status");
  BOOST_TEST_REQUIRE(vs);
  BOOST_TEST(vs->resourceType == "ValueSet");
  BOOST_TEST(registry.findSummary("http://hl7.org/fhir/ValueSet/observation-status|4.0.1"));
  BOOST_TEST(!registry.findSummary("http://hl7.org/fhir/ValueSet/observation-status|9.9"));
  const auto* cs = registry.findSummary("http://hl7.org/fhir/observation-status");
  BOOST_TEST_REQUIRE(cs);
  BOOST_TEST(cs->resourceType == "CodeSystem");
  BOOST_TEST(!registry.listResources("CodeSystem").empty());
}

BOOST_AUTO_TEST_CASE(types_know_kind_base_and_properties_in_definition_order) {
  const auto& registry = r4();
  const TypeInfo* obs = registry.findType("Observation");
  BOOST_TEST_REQUIRE(obs);
  BOOST_TEST(obs->isResource());
  BOOST_TEST(obs->baseType() == "DomainResource");
  BOOST_TEST(obs->url() == "http://hl7.org/fhir/StructureDefinition/Observation");
  BOOST_TEST(obs->properties().front()->name() == "id");
  BOOST_TEST(obs->property("status")->order() < obs->property("code")->order());
  BOOST_TEST(obs->property("status")->min() == 1);
  BOOST_TEST(obs->property("status")->binding().strength == "required");
  BOOST_TEST(obs->property("component")->max() == -1);
  BOOST_TEST(obs->property("component")->isArray());
  BOOST_TEST(!obs->property("subject")->isArray());

  const TypeInfo* string = registry.findType("string");
  BOOST_TEST_REQUIRE(string);
  BOOST_TEST(string->isPrimitive());
  BOOST_TEST((string->jsonKind() == JsonValueKind::kString));
  BOOST_TEST((registry.findType("decimal")->jsonKind() == JsonValueKind::kNumber));
  BOOST_TEST((registry.findType("positiveInt")->jsonKind() == JsonValueKind::kInteger));
  BOOST_TEST((registry.findType("boolean")->jsonKind() == JsonValueKind::kBoolean));
  BOOST_TEST(string->property("extension"));
  BOOST_TEST(!string->property("value"));
  BOOST_TEST(registry.findType("Resource")->isAbstract());
  BOOST_TEST(!registry.findType("NoSuchType"));
  BOOST_TEST(!registry.findType("vitalsigns"));  // a profile, not a type
}

BOOST_AUTO_TEST_CASE(choice_names_resolve_to_the_choice_property_and_type) {
  const TypeInfo* obs = r4().findType("Observation");
  PropertyMatch m = obs->findByJsonName("valueQuantity");
  BOOST_TEST_REQUIRE(bool(m));
  BOOST_TEST(m.property->name() == "value");
  BOOST_TEST(m.property->path() == "Observation.value[x]");
  BOOST_TEST(m.property->isChoice());
  BOOST_TEST(m.typeCode() == "Quantity");
  BOOST_TEST(obs->findByJsonName("valueDateTime").typeCode() == "dateTime");
  BOOST_TEST(!obs->findByJsonName("value").property);
  BOOST_TEST(!obs->findByJsonName("valueFoo").property);
  BOOST_TEST(obs->findByJsonName("status").typeCode() == "code");
}

BOOST_AUTO_TEST_CASE(backbones_and_content_references_have_nested_types) {
  const auto& registry = r4();
  const TypeInfo* obs = registry.findType("Observation");
  const PropertyInfo* component = obs->property("component");
  BOOST_TEST(component->typeCode() == "BackboneElement");
  BOOST_TEST_REQUIRE(component->nestedType());
  BOOST_TEST(component->nestedType()->name() == "Observation.component");
  BOOST_TEST(component->nestedType()->findByJsonName("valueCodeableConcept").property);
  BOOST_TEST(component->nestedType()->property("modifierExtension"));

  const TypeInfo* questionnaire = registry.findType("Questionnaire");
  const PropertyInfo* item = questionnaire->property("item");
  const PropertyInfo* nestedItem = item->nestedType()->property("item");
  BOOST_TEST_REQUIRE(nestedItem);
  BOOST_TEST(nestedItem->contentReference() == "Questionnaire.item");
  BOOST_TEST(nestedItem->nestedType() == item->nestedType());

  const TypeInfo* bundle = registry.findType("Bundle");
  const PropertyInfo* entryLink = bundle->property("entry")->nestedType()->property("link");
  BOOST_TEST(entryLink->nestedType() == bundle->property("link")->nestedType());
  BOOST_TEST(bundle->property("entry")->nestedType()->property("resource")->typeCode() ==
             "Resource");

  const TypeInfo* timing = registry.findType("Timing");
  BOOST_TEST(timing->property("repeat")->typeCode() == "Element");
  BOOST_TEST(timing->property("repeat")->nestedType());
}

BOOST_AUTO_TEST_CASE(xml_attributes_and_fhir_types_of_system_typed_elements) {
  const auto& registry = r4();
  const PropertyInfo* url = registry.findType("Extension")->property("url");
  BOOST_TEST(url->isXmlAttribute());
  BOOST_TEST(url->typeCode() == "uri");
  const PropertyInfo* elementId = registry.findType("Coding")->property("id");
  BOOST_TEST(elementId->isXmlAttribute());
  BOOST_TEST(elementId->typeCode() == "string");
  const PropertyInfo* resourceId = registry.findType("Patient")->property("id");
  BOOST_TEST(!resourceId->isXmlAttribute());
  BOOST_TEST(resourceId->typeCode() == "id");
  BOOST_TEST(registry.findType("Narrative")->property("div")->typeCode() == "xhtml");
}

BOOST_AUTO_TEST_CASE(subtypes_follow_base_definitions) {
  const auto& registry = r4();
  BOOST_TEST(registry.isSubtypeOf("Age", "Quantity"));
  BOOST_TEST(registry.isSubtypeOf("Patient", "DomainResource"));
  BOOST_TEST(registry.isSubtypeOf("Patient", "Resource"));
  BOOST_TEST(registry.isSubtypeOf("Bundle", "Resource"));
  BOOST_TEST(!registry.isSubtypeOf("Bundle", "DomainResource"));
  BOOST_TEST(!registry.isSubtypeOf("Quantity", "Age"));
  BOOST_TEST(registry.isSubtypeOf("string", "string"));
}

BOOST_AUTO_TEST_CASE(conformance_resources_are_available_as_trees) {
  const auto& registry = r4();
  auto sd = registry.findResource("http://hl7.org/fhir/StructureDefinition/Patient");
  BOOST_TEST_REQUIRE(sd);
  BOOST_TEST(sd->type() == "StructureDefinition");
  BOOST_TEST(sd->childValue("kind") == "resource");
  BOOST_TEST(sd->child("snapshot"));
  // Cached: the same tree comes back.
  BOOST_TEST(registry.findResource("http://hl7.org/fhir/StructureDefinition/Patient") == sd);
  auto vs = registry.findResource("http://hl7.org/fhir/ValueSet/administrative-gender");
  BOOST_TEST_REQUIRE(vs);
  BOOST_TEST(vs->type() == "ValueSet");
  BOOST_TEST(!registry.findResource("http://example.org/nothing"));
}

BOOST_AUTO_TEST_CASE(packages_load_and_url_without_version_picks_the_highest,
                     *notebridge::testing::needsShared()) {
  RegistryOptions options;
  const auto packages = notebridge::testing::sharedDir() / "fhir-packages";
  options.packageDirs = {packages / "hl7.fhir.us.core#3.1.1", packages / "hl7.fhir.us.core#6.1.0"};
  auto loaded = DefinitionRegistry::load(options);
  BOOST_TEST_REQUIRE(loaded.ok(), loaded.outcome().toOperationOutcomeJson());
  const auto& registry = *loaded.value();
  const std::string url = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient";
  const auto* latest = registry.findSummary(url);
  BOOST_TEST_REQUIRE(latest);
  BOOST_TEST(latest->version == "6.1.0");
  BOOST_TEST(latest->derivation == "constraint");
  BOOST_TEST(registry.findSummary(url + "|3.1.1"));
  BOOST_TEST(!registry.findType("us-core-patient"));
}

BOOST_AUTO_TEST_CASE(missing_package_is_a_fatal_issue) {
  RegistryOptions options;
  options.r4Dir.clear();
  options.packageDirs = {"/nonexistent/package"};
  auto loaded = DefinitionRegistry::load(options);
  BOOST_TEST(!loaded.ok());
  BOOST_TEST(loaded.outcome().issues().front().code == "not-found");
}

BOOST_AUTO_TEST_SUITE_END()

#include <thread>

BOOST_AUTO_TEST_SUITE(definitions_concurrency)

BOOST_AUTO_TEST_CASE(lazy_compilation_is_safe_from_many_threads) {
  auto loaded = DefinitionRegistry::load(RegistryOptions{});
  BOOST_TEST_REQUIRE(loaded.ok());
  const auto registry = loaded.value();
  std::vector<const TypeInfo*> seen(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (const auto& name : registry->resourceTypes()) registry->findType(name);
      seen[static_cast<std::size_t>(t)] = registry->findType("Observation");
    });
  }
  for (auto& thread : threads) thread.join();
  BOOST_TEST(seen[0] != nullptr);
  for (const TypeInfo* type : seen) BOOST_TEST(type == seen[0]);
}

BOOST_AUTO_TEST_CASE(properties_reach_their_full_element_definition) {
  const PropertyInfo* status =
      DefinitionRegistry::r4()->findType("Observation")->property("status");
  const Element* definition = status->elementDefinition();
  BOOST_TEST_REQUIRE(definition);
  BOOST_TEST(definition->childValue("path") == "Observation.status");
  BOOST_TEST(definition->child("binding")->childValue("strength") == "required");
}

BOOST_AUTO_TEST_SUITE_END()

#include <fstream>

BOOST_AUTO_TEST_SUITE(definitions_sources)

BOOST_AUTO_TEST_CASE(own_definitions_folder_holds_single_resources_and_bundles) {
  const auto dir = std::filesystem::temp_directory_path() / "notebridge-own-defs-test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "vs.json") << R"({"resourceType":"ValueSet","id":"note-kinds",
    "url":"http://notebridge.example/ValueSet/note-kinds","version":"1.0.0","status":"active"})";
  std::ofstream(dir / "bundle.json") << R"({"resourceType":"Bundle","type":"collection","entry":[
    {"resource":{"resourceType":"CodeSystem","url":"http://notebridge.example/CodeSystem/kinds",
      "version":"2","status":"active","content":"complete"}},
    {"resource":{"resourceType":"CodeSystem","url":"http://notebridge.example/CodeSystem/kinds",
      "version":"10","status":"active","content":"complete"}}]})";
  std::ofstream(dir / "notes.txt") << "not a definition";
  RegistryOptions options;
  options.ownDir = dir;
  auto loaded = DefinitionRegistry::load(options);
  BOOST_TEST_REQUIRE(loaded.ok(), loaded.outcome().toOperationOutcomeJson());
  const auto& registry = *loaded.value();
  const auto* vs = registry.findSummary("http://notebridge.example/ValueSet/note-kinds|1.0.0");
  BOOST_TEST_REQUIRE(vs);
  BOOST_TEST(vs->id == "note-kinds");
  // numeric version order: 10 is newer than 2
  BOOST_TEST(registry.findSummary("http://notebridge.example/CodeSystem/kinds")->version == "10");
  auto tree = registry.findResource("http://notebridge.example/CodeSystem/kinds|2");
  BOOST_TEST_REQUIRE(tree);
  BOOST_TEST(tree->childValue("version") == "2");
  BOOST_TEST(registry.findType("Observation"));  // R4 core is still there
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(malformed_definition_file_is_a_fatal_issue_naming_it) {
  const auto dir = std::filesystem::temp_directory_path() / "notebridge-bad-defs-test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "broken.json") << R"({"resourceType":"ValueSet",)";
  RegistryOptions options;
  options.r4Dir.clear();
  options.ownDir = dir;
  auto loaded = DefinitionRegistry::load(options);
  BOOST_TEST(!loaded.ok());
  BOOST_TEST(loaded.outcome().issues().front().diagnostics.find("broken.json") !=
             std::string::npos);
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()

#include "notebridge/fhir/json_format.h"

#include <boost/test/unit_test.hpp>

#include "test_paths.h"

using namespace notebridge::fhir;

namespace {
const DefinitionRegistry& r4() {
  auto registry = DefinitionRegistry::r4();
  BOOST_REQUIRE(registry);
  return *registry;
}

Element::Ptr parseOk(std::string_view json) {
  auto parsed = parseJson(json, r4());
  BOOST_TEST_REQUIRE(parsed.ok(), parsed.outcome().toOperationOutcomeJson());
  return std::move(parsed).value();
}
}  // namespace

BOOST_AUTO_TEST_SUITE(json_format)

BOOST_AUTO_TEST_CASE(observation_is_typed_with_choice_and_decimal_text_kept) {
  auto obs = parseOk(R"({"resourceType":"Observation","valueQuantity":{"value":1.50,"unit":"mg"},
    "status":"final","code":{"text":"x"}})");
  BOOST_TEST(obs->type() == "Observation");
  BOOST_TEST(obs->name() == "Observation");
  BOOST_TEST_REQUIRE(obs->children().size() == 3u);
  // definition order: status, code, value[x]
  BOOST_TEST(obs->children()[0]->name() == "status");
  BOOST_TEST(obs->children()[1]->name() == "code");
  const Element& value = *obs->children()[2];
  BOOST_TEST(value.name() == "valueQuantity");
  BOOST_TEST(value.baseName() == "value");
  BOOST_TEST(value.type() == "Quantity");
  BOOST_TEST(value.property()->path() == "Observation.value[x]");
  BOOST_TEST(value.childValue("value") == "1.50");
  BOOST_TEST(value.child("value")->type() == "decimal");
  BOOST_TEST(obs->children()[0]->location().line == 2u);
  BOOST_TEST(writeJson(*obs) ==
             R"({"resourceType":"Observation","status":"final","code":{"text":"x"},)"
             R"("valueQuantity":{"value":1.50,"unit":"mg"}})");
}

BOOST_AUTO_TEST_CASE(primitive_extensions_merge_and_nulls_stay_aligned) {
  const char* json = R"({"resourceType":"Patient","_birthDate":{"id":"b1"},
    "name":[{"given":["Ann",null,"Lee"],"_given":[null,{"extension":[{"url":"http://x","valueString":"y"}]},null]}],
    "birthDate":"1970-01-01","active":true})";
  auto patient = parseOk(json);
  const Element* birth = patient->child("birthDate");
  BOOST_TEST_REQUIRE(birth);
  BOOST_TEST(birth->value() == "1970-01-01");
  BOOST_TEST(birth->childValue("id") == "b1");
  const Element* name = patient->child("name");
  auto given = name->childrenNamed("given");
  BOOST_TEST_REQUIRE(given.size() == 3u);
  BOOST_TEST(!given[1]->hasValue());
  BOOST_TEST(given[1]->child("extension")->child("url")->value() == "http://x");
  BOOST_TEST(given[2]->index() == 2);
  BOOST_TEST(given[2]->path() == "Patient.name[0].given[2]");
  BOOST_TEST(patient->child("active")->value() == "true");
  BOOST_TEST(writeJson(*patient) ==
             R"({"resourceType":"Patient","active":true,"name":[{"given":["Ann",null,"Lee"],)"
             R"("_given":[null,{"extension":[{"url":"http://x","valueString":"y"}]},null]}],)"
             R"("birthDate":"1970-01-01","_birthDate":{"id":"b1"}})");
}

BOOST_AUTO_TEST_CASE(nested_resources_are_typed_by_their_resource_type) {
  auto bundle = parseOk(R"({"resourceType":"Bundle","type":"collection","entry":[
    {"resource":{"resourceType":"Patient","id":"p"}},
    {"resource":{"id":"late","resourceType":"Observation","status":"final","code":{"text":"c"},
      "contained":[{"resourceType":"Patient","id":"c1"}]}}]})");
  auto entries = bundle->childrenNamed("entry");
  BOOST_TEST_REQUIRE(entries.size() == 2u);
  const Element* first = entries[0]->child("resource");
  BOOST_TEST(first->isResource());
  BOOST_TEST(first->type() == "Patient");
  const Element* second = entries[1]->child("resource");
  BOOST_TEST(second->type() == "Observation");
  BOOST_TEST(second->childValue("id") == "late");
  BOOST_TEST(second->child("contained")->type() == "Patient");
  BOOST_TEST(second->child("status")->path() == "Bundle.entry[1].resource.status");
  // resourceType written first even when it came late
  BOOST_TEST(writeJson(*second).rfind(R"({"resourceType":"Observation","id":"late")", 0) == 0);
}

BOOST_AUTO_TEST_CASE(narrative_div_is_an_xhtml_node) {
  auto patient = parseOk(
      R"({"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Hi</div>"}})");
  const Element* div = patient->child("text")->child("div");
  BOOST_TEST_REQUIRE(div);
  BOOST_TEST((div->kind() == NodeKind::kXhtml));
  BOOST_TEST(div->value() == R"(<div xmlns="http://www.w3.org/1999/xhtml">Hi</div>)");
}

BOOST_AUTO_TEST_CASE(resource_type_may_come_last_at_the_root) {
  auto patient = parseOk(R"({"id":"x","gender":"male","resourceType":"Patient"})");
  BOOST_TEST(patient->type() == "Patient");
  BOOST_TEST(patient->childValue("gender") == "male");
}

BOOST_AUTO_TEST_CASE(errors_name_the_element_path_and_position) {
  auto parsed = parseJson(
      "{\"resourceType\":\"Observation\",\n \"status\":\"final\",\n"
      " \"code\":{\"text\":\"x\", \"bogus\":1}}",
      r4());
  BOOST_TEST(!parsed.ok());
  const auto& issues = parsed.outcome().issues();
  BOOST_TEST_REQUIRE(issues.size() == 1u);
  BOOST_TEST(issues[0].expression == "Observation.code.bogus");
  BOOST_TEST(issues[0].line == 3u);
  BOOST_TEST(issues[0].column == 22u);
  BOOST_TEST(issues[0].diagnostics.find("unknown property 'bogus'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(pretty_output_indents_by_two) {
  auto patient = parseOk(R"({"resourceType":"Patient","active":false})");
  BOOST_TEST(writeJson(*patient, JsonWriteOptions{true}) ==
             "{\n  \"resourceType\": \"Patient\",\n  \"active\": false\n}");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(json_options)

BOOST_AUTO_TEST_CASE(unknown_elements_may_be_downgraded_to_warnings) {
  JsonParseOptions options;
  options.allowUnknownElements = true;
  auto parsed =
      parseJson(R"({"resourceType":"Patient","nickname":{"a":[1]},"active":true})", r4(), options);
  BOOST_TEST_REQUIRE(parsed.ok());
  BOOST_TEST((parsed.outcome().worst() == Severity::kWarning));
  BOOST_TEST(parsed.value()->children().size() == 1u);
  BOOST_TEST(parsed.value()->children()[0]->name() == "active");
}

BOOST_AUTO_TEST_CASE(trees_with_errors_are_kept_on_request) {
  JsonParseOptions options;
  options.keepTreeOnErrors = true;
  auto parsed =
      parseJson(R"({"resourceType":"Patient","active":"yes","gender":"male"})", r4(), options);
  BOOST_TEST_REQUIRE(parsed.ok());
  BOOST_TEST(parsed.outcome().hasErrors());
  BOOST_TEST(parsed.value()->childValue("gender") == "male");
}

BOOST_AUTO_TEST_CASE(size_and_depth_limits_are_configurable) {
  JsonParseOptions options;
  options.maxBytes = 20;
  auto tooLong = parseJson(R"({"resourceType":"Patient","active":true})", r4(), options);
  BOOST_TEST(!tooLong.ok());
  BOOST_TEST(tooLong.outcome().issues()[0].code == "too-long");
  options = JsonParseOptions{};
  options.maxDepth = 3;
  auto shallow = parseJson(R"({"resourceType":"Patient","name":[{"given":["a"]}]})", r4(), options);
  BOOST_TEST(!shallow.ok());
  BOOST_TEST(shallow.outcome().issues()[0].code == "too-costly");
  auto fits = parseJson(R"({"resourceType":"Patient","name":[{"family":"a"}]})", r4(), options);
  BOOST_TEST(fits.ok());
  // A high limit takes the other (iterative) reader: same tree, same limit checks.
  options.maxDepth = 100000;
  const std::string deep = R"({"resourceType":"Basic","extension":[)" + [] {
    std::string s;
    for (int i = 0; i < 300; ++i) s += R"({"url":"u","extension":[)";
    s += R"({"url":"u","valueString":"x"})";
    for (int i = 0; i < 300; ++i) s += "]}";
    return s;
  }() + "]}";
  auto deepTree = parseJson(deep, r4(), options);
  BOOST_TEST_REQUIRE(deepTree.ok());
  const Element* e = deepTree.value().get();
  int levels = 0;
  while (const Element* next = e->child("extension")) {
    e = next;
    ++levels;
  }
  BOOST_TEST(levels == 301);
  BOOST_TEST(e->childValue("valueString") == "x");
  BOOST_TEST(e->location().column > 1u);
  options.maxDepth = 300;
  auto tooDeep = parseJson(deep, r4(), options);
  BOOST_TEST(!tooDeep.ok());
  BOOST_TEST(tooDeep.outcome().issues()[0].code == "too-costly");
}

BOOST_AUTO_TEST_SUITE_END()

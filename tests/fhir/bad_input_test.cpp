// Malformed and hostile inputs: each must give an OperationOutcome with a useful location,
// never a crash, hang or unbounded memory.
#include <boost/test/unit_test.hpp>
#include <functional>
#include <string>

#include "notebridge/fhir/json_format.h"
#include "notebridge/fhir/resource_format.h"
#include "notebridge/fhir/xml_format.h"

using namespace notebridge::fhir;

namespace {

struct BadInput {
  const char* name;
  std::function<std::string()> input;
  // Expected outcome: the worst severity, its issue code, a piece of its diagnostics, and its
  // location (expression; line/column when non-zero). accepted: a tree comes back anyway.
  bool accepted;
  Severity severity;
  const char* code;
  const char* diagnostics;
  const char* expression;
  std::uint32_t line;
  std::uint32_t column;
};

std::string text(const char* s) { return s; }
auto literal(const char* s) {
  return [s] { return text(s); };
}

const char* const kFhirNs = "xmlns=\"http://hl7.org/fhir\"";

std::string deepJson(int levels) {
  std::string s = R"({"resourceType":"Basic","code":{"text":"x"},"extension":[)";
  for (int i = 0; i < levels; ++i) s += R"({"url":"http://x","extension":[)";
  for (int i = 0; i < levels; ++i) s += "]}";
  s += "]}";
  return s;
}

std::string deepXml(int levels) {
  std::string s = std::string("<Basic ") + kFhirNs + "><code><text value=\"x\"/></code>";
  for (int i = 0; i < levels; ++i) s += "<extension url=\"http://x\">";
  for (int i = 0; i < levels; ++i) s += "</extension>";
  return s + "</Basic>";
}

std::string billionLaughs() {
  std::string s = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n";
  s += " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n";
  for (int i = 2; i <= 9; ++i) {
    s += " <!ENTITY lol" + std::to_string(i) + " \"";
    for (int k = 0; k < 10; ++k) s += "&lol" + std::to_string(i - 1) + ";";
    s += "\">\n";
  }
  s += "]>\n<Patient xmlns=\"http://hl7.org/fhir\"><id value=\"&lol9;\"/></Patient>";
  return s;
}

const std::vector<BadInput>& cases() {
  static const std::vector<BadInput> kCases = {
      // ---- JSON: syntax and encoding
      {"json truncated object", literal(R"({"resourceType":"Patient","id":"a")"), false,
       Severity::kFatal, "structure", "invalid JSON", "", 1, 35},
      {"json truncated string", literal("{\"resourceType\":\"Patient\",\n\"id\":\"ab"), false,
       Severity::kFatal, "structure", "invalid JSON: Missing a closing quotation mark", "", 2, 9},
      {"json invalid UTF-8", literal("{\"resourceType\":\"Patient\",\"id\":\"a\xff\"}"), false,
       Severity::kFatal, "structure", "Invalid encoding", "", 1, 0},
      {"json comment", literal(R"({/* note */"resourceType":"Patient"})"), false, Severity::kFatal,
       "structure", "invalid JSON", "", 1, 2},
      {"json trailing garbage", literal(R"({"resourceType":"Patient"} x)"), false, Severity::kFatal,
       "structure", "invalid JSON", "", 1, 0},
      {"json empty document", literal(""), false, Severity::kFatal, "structure", "", "", 0, 0},
      {"json root is an array", literal(R"([{"resourceType":"Patient"}])"), false, Severity::kFatal,
       "structure", "must be a JSON object", "", 1, 1},
      {"json nesting 10000 deep", [] { return deepJson(5000); }, false, Severity::kFatal,
       "too-costly", "nesting deeper than 128", "", 1, 0},
      // An unknown property is skipped, but its nesting still counts against the limit.
      {"json nesting 100000 deep inside an unknown property",
       [] {
         return R"({"resourceType":"Basic","bogus":)" + std::string(100000, '[') +
                std::string(100000, ']') + "}";
       },
       false, Severity::kFatal, "too-costly", "nesting deeper than 128", "", 1, 0},
      {"json 100 MB string",
       [] { return R"({"resourceType":"Patient","id":")" + std::string(100u << 20, 'a') + "\"}"; },
       false, Severity::kFatal, "too-long", "exceeds the limit", "", 0, 0},
      {"json more than 500000 elements",
       [] {
         std::string s = R"({"resourceType":"Patient","name":[{"given":[)";
         for (int i = 0; i < 600000; ++i) s += i ? ",\"a\"" : "\"a\"";
         return s + "]}]}";
       },
       false, Severity::kFatal, "too-costly", "more than 500000 elements", "", 1, 0},
      {"json a document of 5000 mistakes",
       [] {
         std::string s = R"({"resourceType":"Patient","name":[)";
         for (int i = 0; i < 5000; ++i) s += i ? R"(,{"bad":1})" : R"({"bad":1})";
         return s + "]}";
       },
       false, Severity::kFatal, "too-costly", "more than 1000 issues; parsing stopped", "", 1, 0},
      {"json byte-order mark is ignored with a warning",
       literal("\xEF\xBB\xBF{\"resourceType\":\"Patient\",\"active\":true}"), true,
       Severity::kWarning, "structure", "byte-order mark", "", 1, 1},
      // ---- JSON: resourceType
      {"json resourceType missing", literal(R"({"id":"x","active":true})"), false, Severity::kFatal,
       "structure", "resourceType is missing", "", 1, 1},
      {"json resourceType unknown", literal(R"({"resourceType":"Patientt","id":"x"})"), false,
       Severity::kFatal, "not-supported", "unknown resourceType 'Patientt'", "", 1, 2},
      {"json resourceType abstract", literal(R"({"resourceType":"DomainResource"})"), false,
       Severity::kFatal, "not-supported", "(abstract)", "", 1, 2},
      {"json resourceType not a string", literal(R"({"resourceType":7})"), false, Severity::kFatal,
       "structure", "resourceType must be a string", "", 1, 2},
      // An object or array where the type name goes: refused, never a null type (was a crash).
      {"json resourceType an object", literal(R"({"resourceType":{}})"), false, Severity::kFatal,
       "structure", "resourceType must be a string", "", 1, 2},
      {"json resourceType an array", literal(R"({"resourceType":["Patient"]})"), false,
       Severity::kFatal, "structure", "resourceType must be a string", "", 1, 2},
      {"json resourceType an unfinished object", literal(R"({"resourceType":{)"), false,
       Severity::kFatal, "structure", "resourceType must be a string", "", 1, 2},
      {"json resourceType an object after other keys",
       literal(R"({"id":"x","resourceType":{"a":1}})"), false, Severity::kFatal, "structure",
       "resourceType", "", 1, 0},
      {"json contained resourceType an object",
       literal(R"({"resourceType":"Patient","contained":[{"resourceType":{}}]})"), false,
       Severity::kError, "structure", "resourceType must be a string", "Patient.contained[0]", 1,
       41},
      {"json contained resourceType an array",
       literal(R"({"resourceType":"Patient","contained":[{"id":"c","resourceType":[{}]}]})"), false,
       Severity::kError, "structure", "resourceType", "Patient.contained[0]", 1, 0},
      {"json contained resourceType unknown",
       literal(R"({"resourceType":"Patient","contained":[{"resourceType":"Nope","id":"c"}]})"),
       false, Severity::kError, "not-supported", "unknown resourceType 'Nope'",
       "Patient.contained[0]", 1, 41},
      // ---- JSON: FHIR structure
      {"json unknown element", literal(R"({"resourceType":"Patient","nickname":"Bo"})"), false,
       Severity::kError, "structure", "unknown property 'nickname'", "Patient.nickname", 1, 27},
      {"json boolean given as string", literal(R"({"resourceType":"Patient","active":"yes"})"),
       false, Severity::kError, "structure", "expected a boolean for 'active'", "Patient.active", 1,
       27},
      {"json string given as number", literal(R"({"resourceType":"Patient","gender":1})"), false,
       Severity::kError, "structure", "expected a string for 'gender' (type code), found a number",
       "Patient.gender", 1, 27},
      {"json integer given as string",
       literal(
           R"({"resourceType":"Observation","status":"final","code":{"text":"t"},"valueInteger":"12"})"),
       false, Severity::kError, "structure", "expected an integer number",
       "Observation.valueInteger", 1, 0},
      {"json integer given as decimal",
       literal(
           R"({"resourceType":"Observation","status":"final","code":{"text":"t"},"valueInteger":1.5})"),
       false, Severity::kError, "structure", "found a number", "Observation.valueInteger", 1, 0},
      {"json object where a primitive belongs",
       literal(R"({"resourceType":"Patient","gender":{}})"), false, Severity::kError, "structure",
       "found an object", "Patient.gender", 1, 27},
      {"json primitive where an object belongs",
       literal(R"({"resourceType":"Observation","status":"final","code":"abc"})"), false,
       Severity::kError, "structure", "expected an object for 'code'", "Observation.code", 1, 0},
      {"json array where a single value belongs",
       literal(R"({"resourceType":"Patient","gender":["male"]})"), false, Severity::kError,
       "structure", "an array was given where a single value belongs", "Patient.gender", 1, 27},
      {"json single value where an array belongs",
       literal(R"({"resourceType":"Patient","name":{"family":"Lee"}})"), false, Severity::kError,
       "structure", "a single value was given where an array belongs", "Patient.name", 1, 27},
      {"json null for a single value", literal(R"({"resourceType":"Patient","gender":null})"),
       false, Severity::kError, "structure", "null is not allowed", "Patient.gender", 1, 27},
      {"json null in an array without _name",
       literal(R"({"resourceType":"Patient","name":[{"given":["a",null]}]})"), false,
       Severity::kError, "structure", "without a matching object in '_given'",
       "Patient.name[0].given[1]", 1, 0},
      {"json _name array of another length",
       literal(R"({"resourceType":"Patient","name":[{"given":["a","b"],"_given":[null]}]})"), false,
       Severity::kError, "structure", "must be arrays of the same length", "Patient.name[0].given",
       1, 0},
      {"json duplicate key", literal(R"({"resourceType":"Patient","id":"a","id":"b"})"), false,
       Severity::kError, "structure", "duplicate property 'id'", "Patient.id", 1, 36},
      {"json two types for one choice element",
       literal(
           R"({"resourceType":"Observation","status":"final","code":{"text":"t"},"valueString":"a","valueBoolean":true})"),
       false, Severity::kError, "structure",
       "more than one type given for choice element 'value[x]'", "Observation.valueBoolean", 1, 0},
      {"json empty object", literal(R"({"resourceType":"Patient","meta":{}})"), false,
       Severity::kError, "structure", "empty objects are not allowed", "Patient.meta", 1, 27},
      {"json empty array", literal(R"({"resourceType":"Patient","name":[]})"), false,
       Severity::kError, "structure", "empty arrays are not allowed", "Patient.name", 1, 27},
      {"json empty string", literal(R"({"resourceType":"Patient","id":""})"), false,
       Severity::kError, "value", "empty strings are not allowed", "Patient.id", 1, 27},
      {"json array of arrays", literal(R"({"resourceType":"Patient","name":[[]]})"), false,
       Severity::kError, "structure", "arrays of arrays", "Patient.name", 1, 0},
      {"json unknown element in a nested resource",
       literal(
           R"({"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","foo":1}}]})"),
       false, Severity::kError, "structure", "unknown property 'foo'",
       "Bundle.entry[0].resource.foo", 1, 0},
      {"json narrative div not well-formed",
       literal(
           R"({"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>open</div>"}})"),
       false, Severity::kError, "value", "the narrative is not well-formed XHTML",
       "Patient.text.div", 1, 0},
      {"json narrative div outside the XHTML namespace",
       literal(R"({"resourceType":"Patient","text":{"status":"generated","div":"<div>hi</div>"}})"),
       false, Severity::kError, "value", "must be in the XHTML namespace", "Patient.text.div", 1,
       0},
      {"json narrative with a DOCTYPE",
       literal(
           R"({"resourceType":"Patient","text":{"status":"generated","div":"<!DOCTYPE div [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><div xmlns=\"http://www.w3.org/1999/xhtml\">&x;</div>"}})"),
       false, Severity::kError, "value", "single <div> element", "Patient.text.div", 1, 0},
      {"json control character is accepted with a warning",
       literal(R"({"resourceType":"Patient","name":[{"family":"a\u0001b"}]})"), true,
       Severity::kWarning, "value", "control characters", "Patient.name[0].family", 1, 0},
      // ---- XML: syntax, encoding, security
      {"xml truncated", [] { return std::string("<Patient ") + kFhirNs + "><id value=\"a\"/>"; },
       false, Severity::kFatal, "structure", "invalid XML", "", 1, 0},
      {"xml invalid UTF-8",
       [] { return std::string("<Patient ") + kFhirNs + "><id value=\"a\xff\"/></Patient>"; },
       false, Severity::kFatal, "structure", "invalid XML", "", 1, 0},
      {"xml external entity (XXE)",
       [] {
         return std::string(
                    "<?xml version=\"1.0\"?>\n<!DOCTYPE Patient [<!ENTITY xxe SYSTEM "
                    "\"file:///etc/passwd\">]>\n<Patient ") +
                kFhirNs + "><id value=\"&xxe;\"/></Patient>";
       },
       false, Severity::kFatal, "security", "DOCTYPE is not allowed", "", 0, 0},
      {"xml billion laughs", billionLaughs, false, Severity::kFatal, "security",
       "DOCTYPE is not allowed", "", 0, 0},
      {"xml more than 500000 elements",
       [] {
         std::string s = std::string("<Patient ") + kFhirNs + "><name>";
         for (int i = 0; i < 600000; ++i) s += "<given value=\"a\"/>";
         return s + "</name></Patient>";
       },
       false, Severity::kFatal, "too-costly", "more than 500000 elements", "", 0, 0},
      {"xml a document of 5000 mistakes",
       [] {
         std::string s = std::string("<Patient ") + kFhirNs + ">";
         for (int i = 0; i < 5000; ++i) s += "<bad/>";
         return s + "</Patient>";
       },
       false, Severity::kFatal, "too-costly", "more than 1000 issues; parsing stopped", "", 1, 0},
      {"xml missing namespace", literal("<Patient><id value=\"a\"/></Patient>"), false,
       Severity::kFatal, "structure", "has no namespace", "Patient", 1, 0},
      {"xml wrong namespace",
       literal("<Patient xmlns=\"http://example.org/fhir\"><id value=\"a\"/></Patient>"), false,
       Severity::kFatal, "structure", "not in the FHIR namespace", "Patient", 1, 0},
      {"xml not UTF-8",
       [] {
         return std::string("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><Patient ") + kFhirNs +
                "/>";
       },
       false, Severity::kFatal, "structure", "must be encoded in UTF-8", "", 0, 0},
      {"xml processing instruction in a resource",
       [] {
         return std::string("<Patient ") + kFhirNs +
                ">\n<?render fast?>\n<id value=\"a\"/></Patient>";
       },
       false, Severity::kError, "structure", "processing instructions are not allowed", "Patient",
       2, 0},
      {"xml processing instruction before the root",
       [] {
         return std::string("<?xml-stylesheet href=\"a.xsl\"?>\n<Patient ") + kFhirNs +
                "><id value=\"a\"/></Patient>";
       },
       false, Severity::kFatal, "structure", "processing instructions are not allowed", "", 1, 0},
      {"xml CDATA",
       [] {
         return std::string("<Patient ") + kFhirNs +
                "><id value=\"a\"/>\n<![CDATA[hello]]></Patient>";
       },
       false, Severity::kError, "structure", "CDATA sections are not allowed", "Patient", 2, 0},
      {"xml mixed content",
       [] {
         return std::string("<Patient ") + kFhirNs +
                "><gender value=\"male\">text</gender></Patient>";
       },
       false, Severity::kError, "structure", "text content is not allowed", "Patient.gender", 1, 0},
      {"xml unknown element",
       [] { return std::string("<Patient ") + kFhirNs + ">\n<nickname value=\"Bo\"/></Patient>"; },
       false, Severity::kError, "structure", "unknown element 'nickname'", "Patient.nickname", 2,
       0},
      {"xml unknown attribute",
       [] {
         return std::string("<Patient ") + kFhirNs +
                "><gender value=\"male\" foo=\"1\"/></Patient>";
       },
       false, Severity::kError, "structure", "unknown attribute 'foo'", "Patient.gender", 1, 0},
      {"xml primitive without value",
       [] { return std::string("<Patient ") + kFhirNs + "><gender/></Patient>"; }, false,
       Severity::kError, "structure", "neither a value nor extensions", "Patient.gender", 1, 0},
      {"xml single element repeated",
       [] {
         return std::string("<Patient ") + kFhirNs +
                "><gender value=\"male\"/><gender value=\"female\"/></Patient>";
       },
       false, Severity::kError, "structure", "repeats but allows at most one", "Patient.gender", 1,
       0},
      {"xml unknown resource type", [] { return std::string("<Patientt ") + kFhirNs + "/>"; },
       false, Severity::kFatal, "not-supported", "unknown resource type 'Patientt'", "Patientt", 1,
       0},
      {"xml nesting 10000 deep", [] { return deepXml(10000); }, false, Severity::kFatal,
       "structure", "invalid XML", "", 1, 0},
      {"xml div outside the XHTML namespace",
       [] {
         return std::string("<Patient ") + kFhirNs +
                "><text><status value=\"generated\"/><div>hi</div></text></Patient>";
       },
       false, Severity::kError, "structure", "must be in the XHTML namespace", "Patient.text.div",
       1, 0},
      {"xml byte-order mark and comments are fine",
       [] {
         return std::string("\xEF\xBB\xBF<!-- c --><Patient ") + kFhirNs +
                "><!-- c --><id value=\"a\"/></Patient>";
       },
       true, Severity::kInformation, "", "", "", 0, 0},
  };
  return kCases;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(bad_input)

BOOST_AUTO_TEST_CASE(table_has_enough_cases) {
  int errors = 0;
  for (const auto& c : cases()) errors += c.accepted ? 0 : 1;
  BOOST_TEST(errors >= 30);
}

BOOST_AUTO_TEST_CASE(each_bad_input_gives_its_expected_outcome) {
  auto registry = DefinitionRegistry::r4();
  BOOST_TEST_REQUIRE(registry);
  for (const BadInput& c : cases()) {
    BOOST_TEST_CONTEXT(c.name) {
      const std::string input = c.input();
      auto parsed = std::string_view(c.name).rfind("xml", 0) == 0 ? parseXml(input, *registry)
                                                                  : parseJson(input, *registry);
      BOOST_TEST(parsed.ok() == c.accepted, parsed.outcome().toOperationOutcomeJson());
      const Outcome& outcome = parsed.outcome();
      BOOST_TEST((outcome.worst() == c.severity), outcome.toOperationOutcomeJson());
      if (c.accepted && c.severity == Severity::kInformation) {
        BOOST_TEST(outcome.empty());
        continue;
      }
      // the first issue of the worst severity is the one the case describes
      const Issue* issue = nullptr;
      for (const Issue& i : outcome.issues()) {
        if (i.severity == c.severity) {
          issue = &i;
          break;
        }
      }
      BOOST_TEST_REQUIRE(issue);
      BOOST_TEST(issue->code == c.code);
      BOOST_TEST(issue->diagnostics.find(c.diagnostics) != std::string::npos, issue->diagnostics);
      BOOST_TEST(issue->expression == c.expression);
      if (c.line) BOOST_TEST(issue->line == c.line);
      if (c.column) BOOST_TEST(issue->column == c.column);
      // Every issue renders as an OperationOutcome.
      BOOST_TEST(outcome.toOperationOutcomeJson().find("OperationOutcome") != std::string::npos);
    }
  }
}

BOOST_AUTO_TEST_CASE(format_detection_refuses_what_is_neither) {
  auto registry = DefinitionRegistry::r4();
  BOOST_TEST((detectFormat("  \n{\"a\":1}") == ResourceFormat::kJson));
  BOOST_TEST((detectFormat("\xEF\xBB\xBF<Patient/>") == ResourceFormat::kXml));
  BOOST_TEST((detectFormat("hello") == ResourceFormat::kUnknown));
  auto parsed = parseResource("hello", *registry);
  BOOST_TEST(!parsed.ok());
  BOOST_TEST(parsed.outcome().issues().front().code == "structure");
}

BOOST_AUTO_TEST_SUITE_END()

#include <filesystem>

#include "test_paths.h"

BOOST_AUTO_TEST_SUITE(bad_input_mutations)

// Truncations and byte flips of real examples: every failure must come with an issue, and
// nothing may crash (the sanitizer build checks memory safety on the same inputs).
BOOST_AUTO_TEST_CASE(mutated_examples_fail_cleanly, *notebridge::testing::needsShared()) {
  auto registry = DefinitionRegistry::r4();
  BOOST_TEST_REQUIRE(registry);
  const auto root = notebridge::testing::sharedDir() / "fhir-tests/r4-examples";
  std::uint64_t state = 42;
  auto next = [&state] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return state >> 33;
  };
  int failures = 0;
  for (const char* base : {"observation-example", "bundle-example", "patient-example-animal",
                           "questionnaireresponse-example", "documentreference-example"}) {
    for (const char* ext : {".json", ".xml"}) {
      const auto folder = root / (ext[1] == 'j' ? "json" : "xml");
      const std::string original =
          notebridge::testing::readFile(folder / (base + std::string(ext)));
      BOOST_TEST_REQUIRE(!original.empty(), base << ext);
      for (int i = 0; i < 40; ++i) {
        std::string input = original;
        if (i % 2 == 0) {
          input.resize(next() % input.size());
        } else {
          for (int k = 0; k < 3; ++k) {
            input[next() % input.size()] = static_cast<char>(next() % 256);
          }
        }
        auto parsed = parseResource(input, *registry);
        if (!parsed.ok()) {
          ++failures;
          BOOST_TEST(parsed.outcome().hasErrors(), base << ext << " mutation " << i);
        }
      }
    }
  }
  BOOST_TEST(failures > 200);  // most mutations break the document
}

BOOST_AUTO_TEST_SUITE_END()

// Evaluation over element trees: navigation, choice types, exact decimals, quantities, dates,
// three-valued logic, FHIR functions and hooks, budgets and thread safety.
#include <boost/test/unit_test.hpp>
#include <string>
#include <thread>
#include <vector>

#include "notebridge/fhir/json_format.h"
#include "notebridge/fhirpath/expression.h"
#include "notebridge/fhirpath/registry_type_model.h"

namespace fp = notebridge::fhirpath;
namespace fhir = notebridge::fhir;

namespace {

const fp::TypeModel& model() {
  static fp::RegistryTypeModel kModel(fhir::DefinitionRegistry::r4());
  return kModel;
}

fhir::Element::Ptr parse(const std::string& json) {
  auto r = fhir::parseJson(json, *fhir::DefinitionRegistry::r4());
  BOOST_REQUIRE_MESSAGE(r, r.outcome().toOperationOutcomeJson());
  return std::move(r.value());
}

fp::EvaluationContext context() {
  fp::EvaluationContext env;
  env.types = &model();
  env.now =
      fp::DateTimeValue::parse("2026-03-04T10:20:30.000+01:00", fp::DateTimeValue::Kind::kDateTime);
  return env;
}

// The result as text: items joined by '|', each as its value text or <type>.
std::string eval(const fhir::Element& root, const std::string& expression,
                 const fp::EvaluationContext& env = context()) {
  auto compiled = fp::Expression::compile(expression);
  if (!compiled) return "COMPILE: " + compiled.outcome().issues().front().diagnostics;
  auto result = compiled->evaluate(root, env);
  if (!result) return "ERROR: " + result.outcome().issues().front().diagnostics;
  std::string out;
  for (const auto& item : *result) {
    if (!out.empty()) out += '|';
    auto v = item.toValue();
    out += v ? fp::valueToString(*v) : "<" + item.typeName() + ">";
  }
  return out;
}

const char* kObservation = R"({
  "resourceType": "Observation", "id": "bp",
  "status": "final",
  "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9"}]},
  "subject": {"reference": "Patient/p1"},
  "valueQuantity": {"value": 1.50, "unit": "g", "system": "http://unitsofmeasure.org", "code": "g"},
  "component": [
    {"code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
     "valueQuantity": {"value": 120, "unit": "mm[Hg]", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}},
    {"code": {"coding": [{"system": "http://loinc.org", "code": "8462-4"}]},
     "valueQuantity": {"value": 80, "unit": "mm[Hg]", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}}
  ],
  "extension": [{"url": "http://example.org/mood", "valueString": "calm"}]
})";

}  // namespace

BOOST_AUTO_TEST_SUITE(evaluate)

BOOST_AUTO_TEST_CASE(navigation_and_choice_types) {
  auto obs = parse(kObservation);
  BOOST_TEST(eval(*obs, "Observation.status") == "final");
  BOOST_TEST(eval(*obs, "status") == "final");
  BOOST_TEST(eval(*obs, "Observation.value.value") == "1.50");
  BOOST_TEST(eval(*obs, "Observation.value is Quantity") == "true");
  BOOST_TEST(eval(*obs, "Observation.value.ofType(Quantity).unit") == "g");
  BOOST_TEST(eval(*obs, "component.where(code.coding.code = '8480-6').value.value") == "120");
  BOOST_TEST(eval(*obs, "component.value.value.sum()").rfind("COMPILE", 0) == 0);
  BOOST_TEST(eval(*obs, "component.value.value.aggregate($this + $total, 0)") == "200");
  BOOST_TEST(eval(*obs, "Observation.valueQuantity").find("use 'value.ofType(Quantity)'") !=
             std::string::npos);
  BOOST_TEST(eval(*obs, "Patient.name") == "");
  BOOST_TEST(eval(*obs, "extension('http://example.org/mood').value") == "calm");
  BOOST_TEST(eval(*obs, "component[1].code.coding.code") == "8462-4");
  BOOST_TEST(eval(*obs, "descendants().ofType(Coding).count()") == "3");
}

BOOST_AUTO_TEST_CASE(as_filters_by_default_and_can_enforce_a_singleton) {
  // Three coding systems, three quantity systems and the extension url are uris.
  auto obs = parse(kObservation);
  BOOST_TEST(eval(*obs, "descendants().as(uri).count()") == "7");
  BOOST_TEST(eval(*obs, "(descendants() as uri).count()") == "7");
  auto strict = context();
  strict.enforceAsSingleton = true;
  BOOST_TEST(eval(*obs, "descendants().as(uri)", strict).find("expects a single item") !=
             std::string::npos);
  BOOST_TEST(eval(*obs, "Observation.value.as(Quantity).unit", strict) == "g");
}

BOOST_AUTO_TEST_CASE(decimals_stay_exact) {
  auto obs = parse(kObservation);
  BOOST_TEST(eval(*obs, "0.1 + 0.2 = 0.3") == "true");
  BOOST_TEST(eval(*obs, "0.1 + 0.2") == "0.3");
  BOOST_TEST(eval(*obs, "1.50 * 2") == "3.00");
  BOOST_TEST(eval(*obs, "10 / 4") == "2.5");
  BOOST_TEST(eval(*obs, "1 / 3") == "0.3333333333333333");
  BOOST_TEST(eval(*obs, "7 div 2") == "3");
  BOOST_TEST(eval(*obs, "7.5 mod 2") == "1.5");
  BOOST_TEST(eval(*obs, "1.0 = 1.00") == "true");
  BOOST_TEST(eval(*obs, "1.2 / 1.8 ~ 0.67") == "true");
  BOOST_TEST(eval(*obs, "123456789012345678.9 + 0.1") == "123456789012345679.0");
  BOOST_TEST(eval(*obs, "2.675.round(2)") == "2.68");
}

BOOST_AUTO_TEST_CASE(division_by_zero_and_overflow) {
  auto obs = parse(kObservation);
  BOOST_TEST(eval(*obs, "1 / 0") == "");
  BOOST_TEST(eval(*obs, "1 div 0") == "");
  BOOST_TEST(eval(*obs, "1.5 mod 0") == "");
  BOOST_TEST(eval(*obs, "2147483647 * 2147483647 * 2147483647").rfind("ERROR", 0) == 0);
}

BOOST_AUTO_TEST_CASE(quantities_convert_ucum_and_calendar_units) {
  auto obs = parse(kObservation);
  BOOST_TEST(eval(*obs, "Observation.value > 1000 'mg'") == "true");
  BOOST_TEST(eval(*obs, "Observation.value = 1500 'mg'") == "true");
  BOOST_TEST(eval(*obs, "1 '[in_i]' = 2.54 'cm'") == "true");
  BOOST_TEST(eval(*obs, "3 'wk' = 21 'd'") == "true");
  BOOST_TEST(eval(*obs, "1 week = 7 days") == "true");
  BOOST_TEST(eval(*obs, "1 year = 1 'a'") == "");
  BOOST_TEST(eval(*obs, "1 year ~ 1 'a'") == "true");
  BOOST_TEST(eval(*obs, "1 'mg/dL' = 10 'mg/L'") == "true");
  BOOST_TEST(eval(*obs, "5 'kg' > 3 'm'") == "");
  BOOST_TEST(eval(*obs, "2 'g' + 500 'mg'") == "2.5 'g'");
}

BOOST_AUTO_TEST_CASE(dates_keep_partial_precision) {
  auto obs = parse(kObservation);
  BOOST_TEST(eval(*obs, "@2014 < @2015-06") == "true");
  BOOST_TEST(eval(*obs, "@2014-06 = @2014-06-01") == "");
  BOOST_TEST(eval(*obs, "@2014-06 ~ @2014-06-01") == "false");
  BOOST_TEST(eval(*obs, "@2014-01-31 + 1 month") == "2014-02-28");
  BOOST_TEST(eval(*obs, "@2016-02-29 + 1 year") == "2017-02-28");
  BOOST_TEST(eval(*obs, "@2014-01-01T23:30:00+10:00 = @2014-01-01T13:30:00Z") == "true");
  BOOST_TEST(eval(*obs, "@T23:00 + 2 hours") == "01:00");
  BOOST_TEST(eval(*obs, "today()") == "2026-03-04");
  BOOST_TEST(eval(*obs, "now() > @2026-03-04T09:00:00+01:00") == "true");
  BOOST_TEST(eval(*obs, "@2014-01-01 + 1 'a'").rfind("ERROR", 0) == 0);
  BOOST_TEST(eval(*obs, "'2014-05-06'.toDate() - 6 days") == "2014-04-30");
}

BOOST_AUTO_TEST_CASE(three_valued_logic) {
  auto obs = parse(kObservation);
  BOOST_TEST(eval(*obs, "{} and false") == "false");
  BOOST_TEST(eval(*obs, "{} and true") == "");
  BOOST_TEST(eval(*obs, "{} or true") == "true");
  BOOST_TEST(eval(*obs, "{} or false") == "");
  BOOST_TEST(eval(*obs, "false implies {}") == "true");
  BOOST_TEST(eval(*obs, "{} implies true") == "true");
  BOOST_TEST(eval(*obs, "true xor {}") == "");
  BOOST_TEST(eval(*obs, "(1 | 2) and true").rfind("ERROR", 0) == 0);
  BOOST_TEST(eval(*obs, "'abc' ~ 'ABC'") == "true");
  BOOST_TEST(eval(*obs, "'abc' = 'ABC'") == "false");
}

BOOST_AUTO_TEST_CASE(strings_and_regular_expressions) {
  auto obs = parse(kObservation);
  BOOST_TEST(eval(*obs, "'héllo'.length()") == "5");
  BOOST_TEST(eval(*obs, "'héllo'.substring(1, 3)") == "éll");
  BOOST_TEST(eval(*obs, "'a,b,c'.split(',').count()") == "3");
  BOOST_TEST(eval(*obs, "'2024-01-05'.matches('^\\\\d{4}-\\\\d{2}-\\\\d{2}$')") == "true");
  BOOST_TEST(eval(*obs, "'abc'.replaceMatches('(b)', '[$1]')") == "a[b]c");
  BOOST_TEST(eval(*obs, "'abc'.matches('(unclosed')").find("invalid regular expression") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(catastrophic_regex_stops_with_an_error) {
  auto obs = parse(kObservation);
  std::string input(40, 'a');
  // Without Boost.Regex's complexity limit this would backtrack for years; the error proves the
  // limit fired.
  std::string r = eval(*obs, "'" + input + "!'.matches('^(a+)+$')");
  BOOST_TEST(r.find("too complex") != std::string::npos, r);
}

BOOST_AUTO_TEST_CASE(step_budget_stops_runaway_evaluation) {
  auto obs = parse(kObservation);
  auto env = context();
  env.maxSteps = 20'000;
  std::string r = eval(*obs, "1.repeat($this + 1).count()", env);
  BOOST_TEST(r.find("step budget") != std::string::npos, r);
}

BOOST_AUTO_TEST_CASE(large_trees_evaluate) {
  auto bundle = fhir::Element::makeResource("Bundle");
  for (int i = 0; i < 100'000; ++i) {
    auto entry = fhir::Element::makeComplex("entry", "BackboneElement");
    entry->addChild(
        fhir::Element::makePrimitive("fullUrl", "uri", "urn:uuid:" + std::to_string(i)));
    bundle->addChild(std::move(entry));
  }
  BOOST_TEST(eval(*bundle, "entry.count()") == "100000");
  BOOST_TEST(eval(*bundle, "descendants().count()") == "200000");
  BOOST_TEST(eval(*bundle, "entry.where(fullUrl = 'urn:uuid:99999').exists()") == "true");
  BOOST_TEST(eval(*bundle, "(entry.fullUrl | entry.fullUrl).count()") == "100000");
  // Pairwise comparison of 100,000 complex items would take minutes: the step budget stops it
  // (asserted through its message, not a wall clock, so a loaded machine cannot fail this).
  BOOST_TEST(eval(*bundle, "entry.distinct().count()").find("step budget") != std::string::npos);
  BOOST_TEST(eval(*bundle, "entry.intersect(entry).count()").find("step budget") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(resolve_finds_contained_and_bundle_resources) {
  auto bundle = parse(R"({
    "resourceType": "Bundle", "type": "collection",
    "entry": [
      {"fullUrl": "http://x.org/fhir/Patient/p1",
       "resource": {"resourceType": "Patient", "id": "p1", "gender": "female"}},
      {"fullUrl": "http://x.org/fhir/Observation/o1",
       "resource": {"resourceType": "Observation", "id": "o1", "status": "final",
         "code": {"text": "x"},
         "contained": [{"resourceType": "Practitioner", "id": "pr", "active": true}],
         "subject": {"reference": "Patient/p1"},
         "performer": [{"reference": "#pr"}]}}
    ]})");
  BOOST_TEST(eval(*bundle, "entry[1].resource.subject.resolve().gender") == "female");
  BOOST_TEST(eval(*bundle, "entry[1].resource.performer.resolve().active") == "true");
  BOOST_TEST(eval(*bundle, "entry[1].resource.performer.resolve() is Practitioner") == "true");
  BOOST_TEST(eval(*bundle, "'Patient/zz'.resolve()") == "");
}

BOOST_AUTO_TEST_CASE(deeply_nested_iterations_keep_their_this) {
  auto obs = parse(kObservation);
  // Each level reads its focus after the nested levels have pushed their frames.
  std::string expression = "0";
  for (int i = 0; i < 40; ++i) expression = "('ab').select(" + expression + " + length())";
  BOOST_TEST(eval(*obs, expression) == "80");
}

BOOST_AUTO_TEST_CASE(resource_variables_inside_contained_resources) {
  auto obs = parse(R"({"resourceType": "Observation", "id": "outer", "status": "final",
    "code": {"text": "x"},
    "contained": [{"resourceType": "Patient", "id": "inner", "active": true}]})");
  const fhir::Element* inner = obs->child("contained");
  BOOST_REQUIRE(inner);
  BOOST_TEST(eval(*inner, "%resource.id") == "inner");
  BOOST_TEST(eval(*inner, "%rootResource.id") == "outer");
  BOOST_TEST(eval(*inner, "active") == "true");
}

BOOST_AUTO_TEST_CASE(environment_variables) {
  auto obs = parse(kObservation);
  auto env = context();
  env.variables["threshold"] = fp::Collection{fp::Item(fp::Value(std::int64_t{100}))};
  BOOST_TEST(eval(*obs, "component.value.where(value > %threshold).value", env) == "120");
  BOOST_TEST(eval(*obs, "%resource.id") == "bp");
  BOOST_TEST(eval(*obs, "component.first().select(%resource.status)") == "final");
  BOOST_TEST(eval(*obs, "%context.id") == "bp");
  BOOST_TEST(eval(*obs, "%ucum") == "http://unitsofmeasure.org");
  BOOST_TEST(eval(*obs, "%loinc") == "http://loinc.org");
  BOOST_TEST(eval(*obs, "%sct") == "http://snomed.info/sct");
  BOOST_TEST(eval(*obs, "%vs-observation-status") ==
             "http://hl7.org/fhir/ValueSet/observation-status");
  BOOST_TEST(eval(*obs, "%`ext-data-absent-reason`") ==
             "http://hl7.org/fhir/StructureDefinition/data-absent-reason");
  BOOST_TEST(eval(*obs, "%nope").find("unknown variable %nope") != std::string::npos);
}

namespace {
struct FakeTerminology : fp::TerminologyService {
  std::optional<bool> isMember(std::string_view system, std::string_view code,
                               std::string_view valueSet) const override {
    if (valueSet != "http://example.org/vs/bp") return std::nullopt;
    return system == "http://loinc.org" && (code == "8480-6" || code == "85354-9");
  }
};
struct FakeProfiles : fp::ProfileChecker {
  std::optional<bool> conformsTo(const fhir::Element& resource,
                                 std::string_view url) const override {
    if (url != "http://example.org/StructureDefinition/bp") return std::nullopt;
    return resource.childValue("status") == "final";
  }
};
}  // namespace

BOOST_AUTO_TEST_CASE(terminology_and_profile_hooks) {
  auto obs = parse(kObservation);
  FakeTerminology terminology;
  FakeProfiles profiles;
  auto env = context();
  env.terminology = &terminology;
  env.profiles = &profiles;
  BOOST_TEST(eval(*obs, "code.memberOf('http://example.org/vs/bp')", env) == "true");
  BOOST_TEST(eval(*obs, "component[1].code.memberOf('http://example.org/vs/bp')", env) == "false");
  BOOST_TEST(eval(*obs, "code.memberOf('http://example.org/vs/other')", env) == "");
  BOOST_TEST(eval(*obs, "conformsTo('http://example.org/StructureDefinition/bp')", env) == "true");
  BOOST_TEST(eval(*obs, "conformsTo('http://hl7.org/fhir/StructureDefinition/Observation')", env) ==
             "true");
  BOOST_TEST(eval(*obs, "conformsTo('http://example.org/unknown')", env).rfind("ERROR", 0) == 0);
}

BOOST_AUTO_TEST_CASE(html_checks_reject_active_content) {
  auto make = [](const std::string& div) {
    return parse(R"({"resourceType": "Patient", "text": {"status": "generated", "div": ")" + div +
                 R"("}})");
  };
  auto safe = make(R"(<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>Seen today</p></div>)");
  auto script = make(R"(<div xmlns=\"http://www.w3.org/1999/xhtml\"><script>x()</script></div>)");
  auto handler =
      make(R"(<div xmlns=\"http://www.w3.org/1999/xhtml\"><p onclick=\"x()\">a</p></div>)");
  BOOST_TEST(eval(*safe, "text.div.htmlChecks()") == "true");
  BOOST_TEST(eval(*script, "text.div.htmlChecks()") == "false");
  BOOST_TEST(eval(*handler, "text.div.htmlChecks()") == "false");
}

BOOST_AUTO_TEST_CASE(trace_reports_to_the_hook) {
  auto obs = parse(kObservation);
  auto env = context();
  std::vector<std::string> seen;
  env.trace = [&](std::string_view name, const fp::Collection& items) {
    seen.push_back(std::string(name) + ":" + std::to_string(items.size()));
  };
  BOOST_TEST(eval(*obs, "component.trace('c').count()", env) == "2");
  BOOST_TEST(eval(*obs, "component.trace('codes', code).count()", env) == "2");
  BOOST_TEST(seen == (std::vector<std::string>{"c:2", "codes:2"}), "trace calls");
}

BOOST_AUTO_TEST_CASE(token_soup_never_crashes) {
  // Random but reproducible token sequences: each either fails to compile or evaluates to a
  // result or an error; none may crash or hang (run under ASan/UBSan in CI).
  auto obs = parse(kObservation);
  const std::vector<std::string> tokens = {
      "component",   "value",      "code",       ".",
      "(",           ")",          "[",          "]",
      "0",           "1.5",        "'x'",        "@2014",
      "@T10:00",     "5 'mg'",     "3 days",     "+",
      "-",           "*",          "/",          "div",
      "mod",         "&",          "|",          "=",
      "~",           "!=",         "<",          ">=",
      "and",         "or",         "xor",        "implies",
      "is",          "as",         "Quantity",   "in",
      "contains",    "where(",     "select(",    "repeat(",
      "ofType(",     "first()",    "count()",    "descendants()",
      "children()",  "exists(",    "iif(",       "substring(",
      "matches(",    "aggregate(", "$this",      "$index",
      "$total",      "%resource",  "%context",   ",",
      "{}",          "not()",      "toString()", "resolve()",
      "extension(",  "sort(",      "type()",     "lowBoundary(",
      "htmlChecks()"};
  std::uint64_t state = 42;
  auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<std::size_t>(state >> 33);
  };
  auto env = context();
  env.maxSteps = 100'000;
  int compiled = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string text;
    std::size_t length = 1 + next() % 12;
    for (std::size_t t = 0; t < length; ++t) text += tokens[next() % tokens.size()] + " ";
    auto expression = fp::Expression::compile(text);
    if (!expression) {
      BOOST_TEST(!expression.outcome().issues().empty());
      continue;
    }
    ++compiled;
    auto result = expression->evaluate(*obs, env);
    if (!result) BOOST_TEST(!result.outcome().issues().empty());
  }
  BOOST_TEST(compiled > 50);
}

BOOST_AUTO_TEST_CASE(one_expression_evaluates_from_many_threads) {
  auto obs = parse(kObservation);
  auto compiled = fp::Expression::compile(
      "component.where(value > 100 'mm[Hg]').code.coding.code & '/' & value.value.toString()");
  BOOST_REQUIRE(compiled);
  const fp::Expression expression = *compiled;
  std::vector<std::string> results(8);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      auto env = context();
      for (int i = 0; i < 200; ++i) {
        auto r = expression.evaluate(*obs, env);
        if (!r || r->size() != 1) return;
        results[t] = fp::valueToString(*r->front().toValue());
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : results) BOOST_TEST(r == "8480-6/1.50");
}

BOOST_AUTO_TEST_SUITE_END()

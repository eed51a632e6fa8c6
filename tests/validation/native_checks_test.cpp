// The validator's fast paths against the general code they stand in for: htmlChecks() (txt-1,
// txt-2) and dom-6 answered natively against the FHIRPath engine, the Attachment.hash decoder
// against fhir::base64Decode, and the sixteen-bytes-at-a-time primitive checks on long values
// with the odd byte at every position.
#include <boost/test/unit_test.hpp>
#include <cctype>
#include <random>
#include <string>
#include <vector>

#include "digest.h"
#include "fixture.h"
#include "narrative_checks.h"
#include "native_invariants.h"
#include "notebridge/fhir/digest.h"
#include "notebridge/fhir/json_format.h"
#include "notebridge/fhirpath/expression.h"
#include "notebridge/validation/primitive_rules.h"

using namespace notebridge;
using validation::detail::htmlChecksHold;

namespace {

// What the FHIRPath engine says of htmlChecks() on an XHTML node holding `markup`.
bool engineHtmlChecks(const std::string& markup) {
  static const fhirpath::Expression kExpression = *fhirpath::Expression::compile("htmlChecks()");
  const fhir::Element::Ptr div = fhir::Element::makeXhtml(markup);
  fhirpath::EvaluationContext env;
  auto result = kExpression.evaluate(*div, env);
  BOOST_REQUIRE(result.ok());
  const std::optional<bool> verdict = fhirpath::asBoolean(*result);
  BOOST_REQUIRE(verdict.has_value());
  return *verdict;
}

// Issues of `json` (a resource) whose diagnostics start with `key`, as "expression|severity".
std::vector<std::string> issuesOf(const std::string& json, const std::string& key) {
  const fhir::Outcome outcome = validation::testing::r4Validator().validateJson(json);
  std::vector<std::string> found;
  for (const auto& issue : outcome.issues()) {
    if (issue.diagnostics.rfind(key, 0) == 0) {
      found.push_back(issue.expression + "|" + std::string(fhir::toString(issue.severity)));
    }
  }
  return found;
}

std::string patientWithText(const std::string& textJson) {
  return R"({"resourceType":"Patient","id":"p1",)" + textJson + R"("active":true})";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(native_checks)

BOOST_AUTO_TEST_CASE(html_checks_give_the_engine_verdict_on_chosen_markup) {
  struct Case {
    std::string markup;
    bool safe;
  };
  const std::vector<Case> cases = {
      {R"x(<div xmlns="http://www.w3.org/1999/xhtml"><p>Plain note: S: slept 6h.</p></div>)x",
       true},
      {"<div><script>alert(1)</script></div>", false},
      {"<div><SCRIPT src=x></SCRIPT></div>", false},
      {"<div><scripts>not the element</scripts></div>", true},
      {"<div><iframe/></div>", false},
      {"<div><style\t>p{}</style></div>", false},
      {"<div><form", false},  // the name at the very end counts
      {"<div><formula>x</formula></div>", true},
      {R"x(<div><a href="javascript:void(0)">x</a></div>)x", false},
      {R"x(<div><a href="JavaScript:x">x</a></div>)x", false},
      {"<div>javascript is mentioned: here</div>", true},
      {"<div>see javascript:alert</div>", false},  // anywhere, as the engine does
      {R"x(<div><p onclick="x()">x</p></div>)x", false},
      {R"x(<div><p ONMOUSEOVER = "x()">x</p></div>)x", false},
      {"<div><p\tonblur=x>x</p></div>", false},
      {"<div><p\ton=x>x</p></div>", true},   // "on" needs a letter or a space before '='
      {"<div><p on =x>x</p></div>", false},  // "on", spaces, '=': the engine refuses it
      {"<div><p one>x</p></div>", true},
      {"<div><p> onclick=x </p></div>", true},  // outside a tag
      {"<div><p <x onload=y>z</p></div>", false},
      {"<p>no div here</p>", false},
      {"<DIV>upper case div</DIV>", true},
      {"", false},
      {"<div>caf\xc3\xa9 \xe2\x80\x94 d\xc3\xa9j\xc3\xa0 vu</div>", true},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.markup) {
      BOOST_TEST(htmlChecksHold(c.markup) == c.safe);
      BOOST_TEST(engineHtmlChecks(c.markup) == c.safe);
    }
  }
}

BOOST_AUTO_TEST_CASE(every_element_the_engine_refuses_is_refused) {
  // The engine's list of elements a narrative must not hold, each in lower and upper case.
  for (const std::string name : {"script", "iframe", "object", "embed", "form", "input", "applet",
                                 "base", "link", "meta", "style", "frame"}) {
    std::string upper = name;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    for (const std::string& spelled : {name, upper}) {
      const std::string markup = "<div><" + spelled + ">x</" + spelled + "></div>";
      BOOST_TEST_CONTEXT(markup) {
        BOOST_TEST(!engineHtmlChecks(markup));
        BOOST_TEST(!htmlChecksHold(markup));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(html_checks_agree_with_the_engine_on_generated_markup) {
  // Markup assembled from the pieces the rules look at, in every mix: a disagreement on any of
  // them would mean a different verdict in some real narrative.
  const std::vector<std::string> pieces = {
      "<",     ">",          "/",          "div",  "DiV",   "script", "ScRiPt", "iframe",
      "meta",  "base",       "on",         "ON",   "click", "=",      " ",      "\t",
      "\n",    "javascript", "JAVASCRIPT", ":",    "a",     "x",      "\"",     "\xc3\xa9",
      "<div",  "<p ",        "onload",     "  ",   "frame", "\r",     "applet", "object",
      "embed", "input",      "link",       "form", "style"};
  std::mt19937 rng(7);
  std::uniform_int_distribution<std::size_t> pick(0, pieces.size() - 1);
  std::uniform_int_distribution<int> length(0, 24);
  int unsafe = 0;
  int safe = 0;
  for (int i = 0; i < 6000; ++i) {
    std::string markup;
    const int n = length(rng);
    for (int k = 0; k < n; ++k) markup += pieces[pick(rng)];
    const bool ours = htmlChecksHold(markup);
    const bool engine = engineHtmlChecks(markup);
    if (ours != engine) {
      BOOST_TEST(ours == engine, "markup: [" << markup << "]");
    }
    (engine ? safe : unsafe)++;
  }
  // Both verdicts occur often, or the comparison would prove little.
  BOOST_TEST(safe > 300);
  BOOST_TEST(unsafe > 300);
}

BOOST_AUTO_TEST_CASE(narrative_rules_report_as_before) {
  // txt-1 and txt-2 are both htmlChecks(): an unsafe div gets both, once each.
  const auto unsafe = issuesOf(
      patientWithText(
          R"("text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><p onclick=\"x\">A</p></div>"},)"),
      "txt-");
  BOOST_TEST(unsafe.size() == 2u);
  for (const auto& issue : unsafe) BOOST_TEST(issue == "Patient.text.div|error");
  const auto safe = issuesOf(
      patientWithText(
          R"("text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>A</p></div>"},)"),
      "txt-");
  BOOST_TEST(safe.empty());
  // dom-6: a warning on the resource without a narrative, none with one.
  const auto missing = issuesOf(patientWithText(""), "dom-6:");
  BOOST_REQUIRE(missing.size() == 1u);
  BOOST_TEST(missing[0] == "Patient|warning");
  const auto present = issuesOf(
      patientWithText(
          R"("text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">A</div>"},)"),
      "dom-6:");
  BOOST_TEST(present.empty());
}

BOOST_AUTO_TEST_CASE(dom6_native_check_matches_the_expression) {
  const auto expression = *fhirpath::Expression::compile("text.`div`.exists()");
  auto registry = fhir::DefinitionRegistry::r4();
  BOOST_REQUIRE(registry);
  const std::vector<std::string> resources = {
      patientWithText(""),
      patientWithText(
          R"("text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">A</div>"},)"),
      R"({"resourceType":"Observation","status":"final","code":{"text":"x"}})",
      R"({"resourceType":"Observation","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">A</div>"},"status":"final","code":{"text":"x"}})",
  };
  for (const std::string& json : resources) {
    auto tree = fhir::parseJson(json, *registry);
    BOOST_REQUIRE(tree.ok());
    fhirpath::EvaluationContext env;
    auto result = expression.evaluate(**tree, env);
    BOOST_REQUIRE(result.ok());
    const bool engine = fhirpath::asBoolean(*result).value_or(false);
    const bool reported = !issuesOf(json, "dom-6:").empty();
    BOOST_TEST(reported == !engine, json);
  }
}

BOOST_AUTO_TEST_CASE(constraints_decided_by_an_absent_first_operand_still_fire_when_present) {
  // obs-6 "dataAbsentReason.empty() or value.empty()" and con-4 "abatement.empty() or ..." are
  // skipped when the first name is absent; present, they are evaluated and fire.
  const std::string both = R"({"resourceType":"Observation","status":"final","code":{"text":"x"},)"
                           R"("valueQuantity":{"value":1},"dataAbsentReason":{"text":"unknown"}})";
  const auto obs6 = issuesOf(both, "obs-6:");
  BOOST_REQUIRE(obs6.size() == 1u);
  BOOST_TEST(obs6[0] == "Observation|error");
  const std::string valueOnly =
      R"({"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1}})";
  BOOST_TEST(issuesOf(valueOnly, "obs-6:").empty());
  const std::string abated =
      R"({"resourceType":"Condition","clinicalStatus":{"coding":[{"system":)"
      R"("http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},)"
      R"("abatementDateTime":"2024-01-02","subject":{"reference":"Patient/p1"}})";
  const auto con4 = issuesOf(abated, "con-4:");
  BOOST_REQUIRE(con4.size() == 1u);
  BOOST_TEST(con4[0] == "Condition|error");
  const std::string notAbated =
      R"({"resourceType":"Condition","clinicalStatus":{"coding":[{"system":)"
      R"("http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},)"
      R"("subject":{"reference":"Patient/p1"}})";
  BOOST_TEST(issuesOf(notAbated, "con-4:").empty());
}

BOOST_AUTO_TEST_CASE(child_tests_give_the_engine_verdict) {
  // Resources with every subset of a few properties (a choice among them), against the
  // expressions of the shape "A.f() or B.g()" and a few of other shapes (which must be declined).
  auto registry = fhir::DefinitionRegistry::r4();
  BOOST_REQUIRE(registry);
  const std::vector<std::string> properties = {
      R"("valueQuantity":{"value":1,"code":"kg","system":"http://unitsofmeasure.org"})",
      R"("dataAbsentReason":{"text":"x"})", R"("note":[{"text":"n"}])", R"("method":{"text":"m"})"};
  const std::vector<std::string> expressions = {
      "dataAbsentReason.empty() or value.empty()", "value.exists() or method.exists()",
      "note.empty() or method.exists()",           "method.exists() or note.empty()",
      "valueQuantity.empty() or note.exists()",    "method.exists() and note.exists()",
      "value.empty() or value.code.exists()",      "status.exists() or code.exists()"};
  int answered = 0;
  for (unsigned mask = 0; mask < (1u << properties.size()); ++mask) {
    std::string json = R"({"resourceType":"Observation","status":"final","code":{"text":"x"})";
    for (std::size_t p = 0; p < properties.size(); ++p) {
      if (mask & (1u << p)) json += "," + properties[p];
    }
    json += "}";
    auto tree = fhir::parseJson(json, *registry);
    BOOST_REQUIRE(tree.ok());
    for (const std::string& text : expressions) {
      const auto native = validation::detail::childTestsHold(text, **tree);
      if (!native) continue;
      ++answered;
      const auto expression = *fhirpath::Expression::compile(text);
      fhirpath::EvaluationContext env;
      auto result = expression.evaluate(**tree, env);
      BOOST_REQUIRE(result.ok());
      BOOST_TEST(*native == fhirpath::asBoolean(*result).value_or(false), text << " on " << json);
    }
    // Other shapes are left to the engine.
    BOOST_TEST(!validation::detail::childTestsHold("method.exists() and note.exists()", **tree));
    BOOST_TEST(!validation::detail::childTestsHold("value.empty() or value.code.exists()", **tree));
    // A choice element named with its type: the engine refuses it, so the native check declines.
    if (mask & 1u) {
      BOOST_TEST(
          !validation::detail::childTestsHold("valueQuantity.empty() or note.exists()", **tree));
    }
  }
  BOOST_TEST(answered >= 16 * 5 - 8);
}

BOOST_AUTO_TEST_CASE(logic_over_child_tests_gives_the_engine_verdict) {
  // R4 invariants a mapped note reaches (con-3, con-5, obs-7, app-2, app-3, app-4, ras-2,
  // drt-1), variants that stress the reading (quotes, nesting, xor, a type prefix), and shapes
  // that must stay with the engine, over resources with their elements present or not: where
  // logicHolds answers (always true), the engine answers true or not at all.
  const auto registry = fhir::DefinitionRegistry::r4();
  BOOST_REQUIRE(registry);
  const std::vector<std::string> expressions = {
      "clinicalStatus.exists() or verificationStatus.coding.where(system='http://terminology."
      "hl7.org/CodeSystem/condition-ver-status' and code = 'entered-in-error').exists() or "
      "category.select($this='problem-list-item').empty()",
      "verificationStatus.coding.where(system='http://terminology.hl7.org/CodeSystem/"
      "condition-ver-status' and code='entered-in-error').empty() or clinicalStatus.empty()",
      "value.empty() or component.code.where(coding.intersect(%resource.code.coding).exists())."
      "empty()",
      "dataAbsentReason.empty() or value.empty()",
      "start.exists() = end.exists()",
      "(start.exists() and end.exists()) or (status in ('proposed' | 'cancelled' | 'waitlist'))",
      "Appointment.cancelationReason.exists() implies (Appointment.status='noshow' or "
      "Appointment.status='cancelled')",
      "probability.empty() or ((probability is decimal) implies ((probability as decimal) <= "
      "100))",
      "code.exists() implies ((system = %ucum) and value.exists())",
      "clinicalStatus.exists() xor category.exists()",
      "clinicalStatus.exists() or category.exists() implies note.exists()",
      "note.where(text = 'a or b').empty() or subject.exists()",
      "(note.exists() or clinicalStatus.exists()) and subject.exists()",
      "Observation.note.exists() implies status.exists()",
      "start.exists() = status.exists()",
      "component.exists() or value.exists()",
      "component.code.exists().empty() or status.exists()",
      "value.ofType(Quantity).empty() or status = 'final'",
      "value.empty() or valueQuantity.empty()",
  };
  const std::vector<std::string> resources = {
      R"({"resourceType":"Condition","subject":{"reference":"Patient/1"}})",
      R"({"resourceType":"Condition","clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},"subject":{"reference":"Patient/1"}})",
      R"({"resourceType":"Condition","verificationStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-ver-status","code":"entered-in-error"}]},"category":[{"coding":[{"code":"problem-list-item"}]}],"subject":{"reference":"Patient/1"}})",
      R"({"resourceType":"Condition","clinicalStatus":{"text":"x"},"verificationStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-ver-status","code":"confirmed"}]},"subject":{"reference":"Patient/1"},"note":[{"text":"a or b"}]})",
      R"({"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"1"}]}})",
      R"({"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":3}})",
      R"({"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"1"}]},"valueInteger":3,"component":[{"code":{"coding":[{"system":"http://loinc.org","code":"1"}]},"valueInteger":1}]})",
      R"({"resourceType":"Observation","status":"final","code":{"text":"x"},"dataAbsentReason":{"text":"x"},"note":[{"text":"n"}]})",
      R"({"resourceType":"Appointment","status":"booked","participant":[{"status":"accepted"}]})",
      R"({"resourceType":"Appointment","status":"booked","start":"2025-03-11T15:00:00-05:00","participant":[{"status":"accepted"}]})",
      R"({"resourceType":"Appointment","status":"booked","start":"2025-03-11T15:00:00-05:00","end":"2025-03-11T16:00:00-05:00","participant":[{"status":"accepted"}]})",
      R"({"resourceType":"Appointment","status":"booked","cancelationReason":{"text":"x"},"participant":[{"status":"accepted"}]})",
      R"({"resourceType":"Appointment","status":"proposed","end":"2025-03-11T16:00:00-05:00","participant":[{"status":"accepted"}]})",
      R"({"resourceType":"RiskAssessment","status":"final","subject":{"reference":"Patient/1"},"prediction":[{"outcome":{"text":"x"}},{"probabilityDecimal":150},{"probabilityDecimal":50},{"probabilityRange":{"low":{"value":1}}}]})",
  };
  int answered = 0;
  int declined = 0;
  auto check = [&](const fhir::Element& focus, const fhir::Element& root, const std::string& what) {
    for (const std::string& text : expressions) {
      const auto native = validation::detail::logicHolds(text, focus);
      if (!native) {
        ++declined;
        continue;
      }
      ++answered;
      BOOST_TEST(*native, text << " on " << what);
      const auto expression = fhirpath::Expression::compile(text);
      BOOST_REQUIRE(expression.ok());
      fhirpath::EvaluationContext env;
      env.resource = &root;
      auto result = expression->evaluate(focus, env);
      if (!result.ok()) continue;  // the engine gives no verdict: the validator reports nothing
      const auto verdict = fhirpath::asBoolean(*result);
      if (verdict) BOOST_TEST(*verdict == *native, text << " on " << what);
    }
  };
  for (const std::string& json : resources) {
    auto tree = fhir::parseJson(json, *registry);
    BOOST_REQUIRE(tree.ok());
    check(**tree, **tree, json);
    for (const fhir::Element* prediction : (*tree)->childrenNamed("prediction")) {
      check(*prediction, **tree, json + " prediction");
    }
  }
  // drt-1 on Durations: the UCUM system with a value holds; anything else is the engine's.
  const std::vector<std::vector<std::pair<std::string, std::string>>> durations = {
      {{"value", "3"}, {"system", "http://unitsofmeasure.org"}, {"code", "d"}},
      {{"value", "3"}, {"system", "http://example.org/units"}, {"code", "d"}},
      {{"system", "http://unitsofmeasure.org"}, {"code", "d"}},
      {{"value", "3"}, {"code", "d"}},
      {{"value", "3"}},
      {{"value", "3"}, {"system", "http://unitsofmeasure.org "}, {"code", "d"}},
  };
  const std::string drt1 = "code.exists() implies ((system = %ucum) and value.exists())";
  int drtAnswered = 0;
  for (const auto& parts : durations) {
    auto duration = fhir::Element::makeComplex("duration", "Duration");
    for (const auto& [name, value] : parts) {
      duration->addChild(fhir::Element::makePrimitive(
          name, name == "value" ? "decimal" : (name == "system" ? "uri" : "code"), value));
    }
    const auto native = validation::detail::logicHolds(drt1, *duration);
    const auto expression = *fhirpath::Expression::compile(drt1);
    fhirpath::EvaluationContext env;
    auto result = expression.evaluate(*duration, env);
    BOOST_REQUIRE(result.ok());
    const auto verdict = fhirpath::asBoolean(*result);
    if (native) {
      ++drtAnswered;
      BOOST_TEST((verdict && *verdict), parts.size());
    }
  }
  BOOST_TEST(drtAnswered == 2);  // the UCUM one, and the one without a code
  BOOST_TEST(answered >= 40);
  BOOST_TEST(declined > 0);
  // Shapes never answered, whatever the focus.
  BOOST_TEST(!validation::detail::parseLogic("clinicalStatus.exists() xor category.exists()"));
  BOOST_TEST(!validation::detail::parseLogic("(identifier.count() + name.count()) > 0"));
  BOOST_TEST(!validation::detail::parseLogic("where(use = 'home').empty()"));
  // Through the validator: con-3 is still reported where it fails (the engine decides it).
  const std::string problem =
      R"({"resourceType":"Condition","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-category","code":"problem-list-item"}]}],"subject":{"reference":"Patient/1"}})";
  BOOST_TEST(issuesOf(problem, "con-3").size() == 1u);
  const std::string active =
      R"({"resourceType":"Condition","clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-category","code":"problem-list-item"}]}],"subject":{"reference":"Patient/1"}})";
  BOOST_TEST(issuesOf(active, "con-3").empty());
}

BOOST_AUTO_TEST_CASE(period_order_gives_the_engine_verdict) {
  // per-1 on Periods of every pair of these values (and a missing side): where the native check
  // answers, the engine agrees; where the engine's verdict needs its date arithmetic (other
  // precisions or zones), the native check declines.
  auto registry = fhir::DefinitionRegistry::r4();
  BOOST_REQUIRE(registry);
  const std::vector<std::string> values = {
      "",  // absent
      "2024", "2025", "2024-03", "2024-03-05", "2024-03-04", "2024-03-05T10:00:00Z",
      "2024-03-05T09:59:59Z", "2024-03-05T10:00:00.5Z", "2024-03-05T10:00:00.4Z",
      "2024-03-05T10:00:00+01:00", "2024-03-05T10:30:00+01:00", "2024-03-05T09:30:00+00:00",
      "2024-03-05T11:00:00-05:00", "2024-03-05T10:00:00.123Z", "2024-03-05T10:00:00.122Z",
      // The engine keeps three digits of a fraction
      // and has no leap second: the text's order is not
      // its verdict, so the native check declines.
      "2024-03-05T10:00:00.0009Z", "2024-03-05T10:00:00.0001Z", "2024-03-05T23:59:60Z",
      "2024-03-05T23:59:59Z"};
  const auto expression =
      *fhirpath::Expression::compile(std::string(validation::detail::kPeriodOrderExpression));
  int answered = 0;
  int declined = 0;
  for (const std::string& start : values) {
    for (const std::string& end : values) {
      if (start.empty() && end.empty()) continue;  // an empty object is not FHIR JSON
      std::string json =
          R"({"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},"period":{)";
      if (!start.empty()) json += R"("start":")" + start + "\"";
      if (!start.empty() && !end.empty()) json += ",";
      if (!end.empty()) json += R"("end":")" + end + "\"";
      json += "}}";
      auto tree = fhir::parseJson(json, *registry);
      BOOST_REQUIRE(tree.ok());
      const fhir::Element* period = (*tree)->child("period");
      BOOST_REQUIRE(period);
      const auto native = validation::detail::periodOrderHolds(*period);
      if (!native) {
        ++declined;
        continue;
      }
      ++answered;
      fhirpath::EvaluationContext env;
      env.resource = tree->get();
      auto result = expression.evaluate(*period, env);
      BOOST_REQUIRE(result.ok());
      BOOST_TEST(*native == fhirpath::asBoolean(*result).value_or(true), start << " .. " << end);
    }
  }
  BOOST_TEST(answered >= 45);
  BOOST_TEST(declined > 0);
  // The validator's report through the native path: an end before the start is an error.
  const std::string reversed =
      R"({"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},)"
      R"("period":{"start":"2024-03-05T10:00:00Z","end":"2024-03-05T09:00:00Z"}})";
  const std::vector<std::string> found = issuesOf(reversed, "per-1");
  BOOST_TEST(found.size() == 1u);
}

BOOST_AUTO_TEST_CASE(fast_base64_decoding_gives_the_core_decoder_result) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> size(0, 40);
  const std::string odd = " \n=*-_A";
  int refused = 0;
  for (int i = 0; i < 4000; ++i) {
    std::string bytes;
    for (int n = size(rng); n > 0; --n) bytes += static_cast<char>(byte(rng));
    std::string text = fhir::base64Encode(bytes);
    // Half of them damaged: a character replaced, inserted or removed.
    if (i % 2 == 1 && !text.empty()) {
      const std::size_t at = static_cast<std::size_t>(rng()) % text.size();
      const char c = odd[static_cast<std::size_t>(rng()) % odd.size()];
      switch (i % 6) {
        case 1:
          text[at] = c;
          break;
        case 3:
          text.insert(at, 1, c);
          break;
        default:
          text.erase(at, 1);
          break;
      }
    }
    const auto fast = validation::detail::base64DecodeFast(text);
    const auto core = fhir::base64Decode(text);
    BOOST_TEST(fast.has_value() == core.has_value(), text);
    if (fast && core) BOOST_TEST((*fast == *core), text);
    if (i % 2 == 0) BOOST_TEST((fast && *fast == bytes), text);
    refused += core ? 0 : 1;
  }
  BOOST_TEST(refused > 500);
  for (const char* text : {"", "====", "QQ===", "QQ==QQ==", "Q===", "QUJD", "QUI=", "QQ=="}) {
    const auto fast = validation::detail::base64DecodeFast(text);
    const auto core = fhir::base64Decode(text);
    BOOST_TEST(fast.has_value() == core.has_value(), text);
    if (fast && core) BOOST_TEST((*fast == *core), text);
  }
}

BOOST_AUTO_TEST_CASE(long_values_are_checked_at_every_position) {
  using validation::checkPrimitive;
  for (std::size_t at = 0; at < 48; ++at) {
    BOOST_TEST_CONTEXT("position " << at) {
      std::string text(48, 'a');
      text[at] = '\x01';
      BOOST_TEST(checkPrimitive("string", text).value_or("") ==
                 "string contains a control character (U+1)");
      text[at] = '\x1f';
      BOOST_TEST(checkPrimitive("markdown", text).value_or("") ==
                 "markdown contains a control character (U+31)");
      text[at] = '\n';
      BOOST_TEST(!checkPrimitive("string", text).has_value());
      text[at] = '\xc3';  // UTF-8 bytes are not control characters
      BOOST_TEST(!checkPrimitive("string", text).has_value());

      std::string blank(48, ' ');
      blank[at] = '\t';
      BOOST_TEST(checkPrimitive("string", blank).value_or("") ==
                 "string must contain a non-whitespace character");
      blank[at] = '.';
      BOOST_TEST(!checkPrimitive("string", blank).has_value());

      std::string uri = "https://example.org/a-long-path/segment/segment/";
      uri[at] = ' ';
      BOOST_TEST(checkPrimitive("uri", uri).has_value());

      std::string data(48, 'Q');
      BOOST_TEST(!checkPrimitive("base64Binary", data).has_value());
      data[at] = '*';
      BOOST_TEST(checkPrimitive("base64Binary", data).has_value());
      data[at] = '\x80';
      BOOST_TEST(checkPrimitive("base64Binary", data).has_value());
      data[at] = '\n';  // whitespace between groups is allowed, but it is not a character
      BOOST_TEST(checkPrimitive("base64Binary", data).has_value());  // 47 significant: not /4
    }
  }
  // The first control character is the one named.
  std::string text(40, 'b');
  text[33] = '\x02';
  text[35] = '\x03';
  BOOST_TEST(checkPrimitive("string", text).value_or("") ==
             "string contains a control character (U+2)");
}

BOOST_AUTO_TEST_SUITE_END()

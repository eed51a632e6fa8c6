#include <boost/test/unit_test.hpp>

#include "mapper_test_support.h"

using namespace notebridge::mappers;
using namespace notebridge::mappers::testing;
using notebridge::fhir::Severity;

namespace {

// The SOAP example with one field replaced textually; keeps each test readable.
std::string soapWith(std::string_view from, std::string_view to) {
  std::string text = example("soap");
  const auto pos = text.find(from);
  BOOST_REQUIRE_MESSAGE(pos != std::string::npos, "fixture lacks " << from);
  text.replace(pos, from.size(), to);
  return text;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(note_json)

BOOST_AUTO_TEST_CASE(every_documented_example_parses_strictly_without_issues) {
  for (auto name : {"soap", "dap", "birp", "girp", "narrative"}) {
    auto result = parseNote(example(name));
    BOOST_TEST_CONTEXT(name) {
      BOOST_TEST(result.ok());
      BOOST_TEST(result.outcome().empty(), issuesText(result.outcome()));
    }
  }
}

BOOST_AUTO_TEST_CASE(soap_example_fields_are_read) {
  Note n = exampleNote("soap");
  BOOST_TEST(n.noteId == "N-2025-0412");
  BOOST_TEST(n.version == 1);
  BOOST_TEST(n.status == NoteStatus::kSigned);
  BOOST_TEST(n.format == NoteFormat::kSoap);
  BOOST_REQUIRE(n.sections.size() == 4u);
  BOOST_TEST(n.sections[0].name == "subjective");
  BOOST_TEST(n.sections[0].text.find("\"most of the day\"") != std::string::npos);
  BOOST_TEST(n.sections[0].text.find('\n') != std::string::npos);
  BOOST_TEST(n.sections[3].name == "plan");
  BOOST_TEST(n.client.names[0].given[1] == "María");
  BOOST_TEST(n.client.sex == AdministrativeSex::kFemale);
  BOOST_TEST(n.client.identifiers[1].type == "MB");
  BOOST_TEST(n.clinician.npi == "1234567893");
  BOOST_TEST(n.practice.taxId == "12-3456789");
  BOOST_TEST(n.session.minutes == 55);
  BOOST_TEST(n.session.modality == Modality::kVideo);
  BOOST_TEST(n.session.modifiers == std::vector<std::string>{"95"});
  BOOST_TEST(n.diagnoses[1].rank == 2);
  BOOST_TEST((n.goals[1].progress == GoalProgress::kStable));
  BOOST_TEST((n.interventions[1].response == InterventionResponse::kPartlyHelped));
  BOOST_TEST(n.medications[0].rxnorm == "312940");
  BOOST_REQUIRE(n.measures.size() == 2u);
  BOOST_TEST(*n.measures[0].total == 12);
  BOOST_TEST(n.measures[0].items.size() == 9u);
  BOOST_TEST(!n.measures[1].items.size());
  BOOST_TEST(n.risk->level == RiskLevel::kLow);
  BOOST_TEST(n.nextSession == "2025-03-11T15:00:00-05:00");
  BOOST_TEST(n.signature->signedAt == "2025-03-04T17:20:00-05:00");
  BOOST_TEST(!n.sensitivity.psychotherapyNote);
}

BOOST_AUTO_TEST_CASE(write_then_parse_gives_the_same_note) {
  for (auto name : {"soap", "dap", "birp", "girp", "narrative"}) {
    Note n = exampleNote(name);
    auto again = parseNote(writeNote(n));
    BOOST_TEST_CONTEXT(name) {
      BOOST_REQUIRE(again.ok());
      BOOST_TEST((again.value() == n));
      BOOST_TEST(writeNote(again.value(), false) == writeNote(n, false));
    }
  }
}

BOOST_AUTO_TEST_CASE(unknown_field_is_an_error_when_strict_and_a_warning_when_lenient) {
  const std::string text = soapWith("\"minutes\": 55,", "\"minutes\": 55, \"room\": \"B\",");
  auto strict = parseNote(text, ParseMode::kStrict);
  BOOST_TEST(!strict.ok());
  BOOST_TEST(hasIssue(strict.outcome(), Severity::kError, "session.room", "unknown field"));
  auto lenient = parseNote(text, ParseMode::kLenient);
  BOOST_TEST(lenient.ok());
  BOOST_TEST(hasIssue(lenient.outcome(), Severity::kWarning, "session.room", "ignored"));
}

BOOST_AUTO_TEST_CASE(every_problem_is_reported_with_path_and_expectation) {
  std::string text = soapWith("\"status\": \"signed\"", "\"status\": \"final\"");
  auto swap = [&](std::string_view from, std::string_view to) {
    text.replace(text.find(from), from.size(), to);
  };
  swap("\"minutes\": 55", "\"minutes\": \"55\"");
  swap("\"npi\": \"1234567893\"", "\"npi\": \"1234567890\"");
  swap("[2, 2, 1, 2, 1, 1, 2, 1, 0]", "[2, 2, 1, 2, 9, 1, 2, 1, 0]");
  auto result = parseNote(text);
  BOOST_TEST(!result.ok());
  const auto& o = result.outcome();
  BOOST_TEST(hasIssue(o, Severity::kError, "status", "expected one of draft, signed"));
  BOOST_TEST(hasIssue(o, Severity::kError, "session.minutes", "expected an integer"));
  BOOST_TEST(hasIssue(o, Severity::kError, "clinician.npi", "check digit"));
  BOOST_TEST(hasIssue(o, Severity::kError, "measures[0].items[4]", "expected an integer 0..3"));
  BOOST_TEST(o.issues().size() == 4u, issuesText(o));
}

BOOST_AUTO_TEST_CASE(missing_required_fields_are_named) {
  auto result = parseNote(R"({"noteId": "x", "version": 1, "status": "signed", "format": "DAP",
                              "sections": {"data": "d", "plan": "p"}})");
  BOOST_TEST(!result.ok());
  const auto& o = result.outcome();
  BOOST_TEST(hasIssue(o, Severity::kError, "sections.assessment", "missing"));
  BOOST_TEST(hasIssue(o, Severity::kError, "client", "missing"));
  BOOST_TEST(hasIssue(o, Severity::kError, "clinician", "missing"));
  BOOST_TEST(hasIssue(o, Severity::kError, "practice", "missing"));
  BOOST_TEST(hasIssue(o, Severity::kError, "session", "missing"));
  BOOST_TEST(hasIssue(o, Severity::kError, "signature", "needs a signature"));
}

BOOST_AUTO_TEST_CASE(section_of_another_format_is_rejected) {
  auto result = parseNote(soapWith("\"objective\":", "\"behavior\":"));
  BOOST_TEST(!result.ok());
  BOOST_TEST(
      hasIssue(result.outcome(), Severity::kError, "sections.behavior", "not a section of SOAP"));
  BOOST_TEST(hasIssue(result.outcome(), Severity::kError, "sections.objective", "missing"));
}

BOOST_AUTO_TEST_CASE(amended_note_must_name_what_it_replaces) {
  auto result = parseNote(soapWith("\"status\": \"signed\"", "\"status\": \"amended\""));
  BOOST_TEST(!result.ok());
  BOOST_TEST(hasIssue(result.outcome(), Severity::kError, "replaces", "must name"));
}

BOOST_AUTO_TEST_CASE(dates_need_time_and_offset) {
  auto result =
      parseNote(soapWith("\"start\": \"2025-03-04T15:00:00-05:00\"", "\"start\": \"2025-03-04\""));
  BOOST_TEST(!result.ok());
  BOOST_TEST(hasIssue(result.outcome(), Severity::kError, "session.start", "offset"));
}

BOOST_AUTO_TEST_CASE(measure_checks) {
  // Wrong item count, total out of range, total differs from items (warning only).
  auto wrongCount =
      parseNote(soapWith("\"items\": [2, 2, 1, 2, 1, 1, 2, 1, 0]", "\"items\": [2, 2]"));
  BOOST_TEST(hasIssue(wrongCount.outcome(), Severity::kError, "measures[0].items", "has 9 items"));
  auto range = parseNote(soapWith("{\"instrument\": \"GAD-7\", \"total\": 13}",
                                  "{\"instrument\": \"GAD-7\", \"total\": 22}"));
  BOOST_TEST(hasIssue(range.outcome(), Severity::kError, "measures[1].total", "0..21"));
  auto sum = parseNote(soapWith("\"total\": 12,", "\"total\": 11,"));
  BOOST_TEST(sum.ok());
  BOOST_TEST(
      hasIssue(sum.outcome(), Severity::kWarning, "measures[0].total", "sum of the items (12)"));
  auto empty = parseNote(
      soapWith("{\"instrument\": \"GAD-7\", \"total\": 13}", "{\"instrument\": \"GAD-7\"}"));
  BOOST_TEST(hasIssue(empty.outcome(), Severity::kError, "measures[1]", "needs 'total'"));
}

BOOST_AUTO_TEST_CASE(control_characters_refused_when_strict_and_stripped_when_lenient) {
  const std::string text = soapWith("Speech normal rate.", "Speech normal\\u0007 rate.");
  auto strict = parseNote(text);
  BOOST_TEST(hasIssue(strict.outcome(), Severity::kError, "sections.objective", "control"));
  auto lenient = parseNote(text, ParseMode::kLenient);
  BOOST_REQUIRE(lenient.ok());
  BOOST_TEST(lenient->sections[1].text.find("Speech normal rate.") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(broken_json_gives_a_fatal_issue_with_position) {
  auto result = parseNote("{\n  \"noteId\": \"x\",\n  \"version\": }");
  BOOST_TEST(!result.ok());
  BOOST_REQUIRE(result.outcome().issues().size() == 1u);
  const auto& issue = result.outcome().issues()[0];
  BOOST_TEST((issue.severity == Severity::kFatal));
  BOOST_TEST(issue.line == 3u);
  BOOST_TEST(issue.column > 1u);
}

BOOST_AUTO_TEST_CASE(invalid_utf8_and_wrong_shapes_are_errors_not_crashes) {
  BOOST_TEST(!parseNote("{\"noteId\": \"\xff\xfe\"}").ok());
  BOOST_TEST(!parseNote("[]").ok());
  BOOST_TEST(!parseNote("").ok());
  BOOST_TEST(!parseNote(std::string(100000, '[')).ok());
  auto deep = parseNote(soapWith("\"reasons\": [", "\"reasons\": [[[[{}]]], "));
  BOOST_TEST(hasIssue(deep.outcome(), Severity::kError, "reasons[0]", "expected a string"));
}

BOOST_AUTO_TEST_CASE(duplicate_rank_is_an_error) {
  auto result = parseNote(soapWith("\"rank\": 2", "\"rank\": 1"));
  BOOST_TEST(hasIssue(result.outcome(), Severity::kError, "diagnoses[1].rank", "used twice"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(note_format_doc)

// docs/note-format.md shows each example file unchanged, and each example parses strictly.
BOOST_AUTO_TEST_CASE(documented_examples_are_the_tested_files) {
  const std::string doc = notebridge::testing::readFile(notebridge::testing::testDataDir() / ".." /
                                                        ".." / "docs" / "note-format.md");
  BOOST_REQUIRE(!doc.empty());
  for (auto name : {"soap", "dap", "birp", "girp", "narrative"}) {
    const std::string file = example(name);
    const std::string marker =
        "`tests/data/mappers/" + std::string(name) + ".note.json`\n\n```json\n";
    const auto start = doc.find(marker);
    BOOST_TEST_CONTEXT(name) {
      BOOST_REQUIRE(start != std::string::npos);
      const auto body = start + marker.size();
      const auto end = doc.find("\n```", body);
      BOOST_TEST(doc.substr(body, end - body + 1) == file);
      BOOST_TEST(parseNote(doc.substr(body, end - body + 1)).ok());
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(note_json_session)

BOOST_AUTO_TEST_CASE(session_that_ends_before_it_starts_is_refused_across_offsets) {
  // 15:55-05:00 is 20:55Z; 20:00Z is earlier although it reads later than 15:00.
  std::string text = example("soap");
  text.replace(text.find("2025-03-04T15:55:00-05:00"), 25, "2025-03-04T19:59:00+00:00");
  auto result = parseNote(text);
  BOOST_TEST(!result.ok());
  BOOST_TEST(hasIssue(result.outcome(), Severity::kError, "session.end", "ends before it starts"));
  std::string crossing = example("soap");
  crossing.replace(crossing.find("2025-03-04T15:55:00-05:00"), 25, "2025-03-05T01:10:00+05:00");
  BOOST_TEST(parseNote(crossing).ok());  // 20:10Z, after the 20:00Z start
}

BOOST_AUTO_TEST_SUITE_END()

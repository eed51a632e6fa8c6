#include <boost/test/unit_test.hpp>

#include "json_tree.h"
#include "mapper_test_support.h"
#include "notebridge/mappers/digest.h"

using namespace notebridge::mappers;
using namespace notebridge::mappers::testing;
using notebridge::fhir::Severity;

namespace {

std::string b64(std::string_view text) { return base64Encode(text); }

Element::Ptr tree(const std::string& json) {
  auto t = treeFromJson(json);
  BOOST_REQUIRE_MESSAGE(t, "fixture JSON does not parse");
  return t;
}

bool hasIssueContaining(const notebridge::fhir::Outcome& o, Severity severity,
                        std::string_view fragment) {
  for (const auto& i : o.issues()) {
    if (i.severity == severity && i.diagnostics.find(fragment) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(fhir_to_note)

BOOST_AUTO_TEST_CASE(our_own_bundle_gives_back_every_example_field_for_field) {
  for (auto name : {"soap", "dap", "birp", "girp", "narrative"}) {
    const Note original = exampleNote(name);
    auto bundle = noteToFhir(original);
    BOOST_REQUIRE(bundle.ok());
    auto back = fhirToNote(**bundle);
    BOOST_TEST_CONTEXT(name) {
      BOOST_REQUIRE(back.ok());
      BOOST_TEST(writeNote(back.value()) == writeNote(original));
      BOOST_TEST(back.outcome().empty(), issuesText(back.outcome()));
    }
  }
}

BOOST_AUTO_TEST_CASE(fhir_to_note_to_fhir_gives_the_same_resources) {
  for (auto name : {"soap", "dap", "birp", "girp", "narrative"}) {
    auto first = noteToFhir(exampleNote(name));
    auto note = fhirToNote(**first);
    auto second = noteToFhir(note.value());
    BOOST_REQUIRE(second.ok());
    BOOST_TEST(dump(**first) == dump(**second), name);
  }
}

BOOST_AUTO_TEST_CASE(foreign_plain_text_document_reference_alone) {
  const std::string text =
      "Progress note\nSeen for follow-up.\n\nS:\nFeels better, sleeping 7h.\n\nO:\nCalm, "
      "good eye contact.\n\nA:\nImproving.\n\nP:\nContinue plan.\n";
  auto doc = tree(R"({"resourceType": "DocumentReference", "id": "ext-9",
    "identifier": [{"system": "urn:oid:1.2.3", "value": "EHR-NOTE-77"}],
    "status": "current", "docStatus": "final",
    "type": {"coding": [{"system": "http://loinc.org", "code": "11506-3"}]},
    "subject": {"reference": "Patient/p-1"},
    "date": "2025-01-02T10:00:00Z",
    "author": [{"reference": "Practitioner/dr-2"}],
    "content": [{"attachment": {"contentType": "text/plain; charset=utf-8", "data": ")" +
                  b64(text) + R"("}}],
    "context": {"period": {"start": "2025-01-02T09:00:00Z", "end": "2025-01-02T09:45:00Z"}}})");
  auto result = fhirToNote(*doc);
  BOOST_REQUIRE(result.ok());
  const Note& n = result.value();
  BOOST_TEST(n.noteId == "EHR-NOTE-77");
  BOOST_TEST(n.status == NoteStatus::kSigned);
  BOOST_TEST(n.client.id == "p-1");
  BOOST_TEST(n.clinician.id == "dr-2");
  BOOST_TEST(n.session.start == "2025-01-02T09:00:00Z");
  // Single-letter headings are not recognised: SOAP letters are too ambiguous in free text.
  BOOST_TEST(n.format == NoteFormat::kNarrative);
  BOOST_TEST(n.sections.at(0).text.find("Feels better") != std::string::npos);
  // Missing Patient, Practitioner, Organization, Encounter and signature are all reported.
  BOOST_TEST(
      hasIssueContaining(result.outcome(), Severity::kWarning, "Patient is not in the input"));
  BOOST_TEST(hasIssueContaining(result.outcome(), Severity::kWarning, "no Encounter"));
  BOOST_TEST(hasIssueContaining(result.outcome(), Severity::kWarning, "no signature record"));
}

BOOST_AUTO_TEST_CASE(foreign_html_sections_are_found_by_headings) {
  const std::string html =
      "<html><head><style>p{}</style></head><body><h1>Visit</h1><p>Header line</p>"
      "<h2>Data</h2><p>Client &amp; mother attended.</p><h2>Assessment</h2><p>Stable.</p>"
      "<h3>Plan:</h3><p>Review in 2&nbsp;weeks.</p></body></html>";
  auto doc = tree(R"({"resourceType": "DocumentReference", "status": "current",
    "subject": {"reference": "Patient/p-1"},
    "content": [{"attachment": {"contentType": "text/html", "data": ")" +
                  b64(html) + R"("}}]})");
  auto result = fhirToNote(*doc);
  BOOST_REQUIRE(result.ok());
  const Note& n = result.value();
  BOOST_TEST(n.format == NoteFormat::kDap);
  BOOST_REQUIRE(n.sections.size() == 3u);
  BOOST_TEST(n.sections[0].text == "Client & mother attended.");
  BOOST_TEST(n.sections[1].text == "Stable.");
  BOOST_TEST(n.sections[2].text == "Review in 2\xC2\xA0weeks.");
  // "Visit / Header line" before the first heading is reported, not silently dropped.
  BOOST_TEST(hasIssueContaining(result.outcome(), Severity::kInformation, "before the first"));
}

BOOST_AUTO_TEST_CASE(pdf_is_kept_as_an_opaque_attachment_with_a_warning) {
  auto doc = tree(R"({"resourceType": "DocumentReference", "status": "current",
    "subject": {"reference": "Patient/p-1"},
    "content": [{"attachment": {"contentType": "application/pdf", "title": "Scan",
                                "data": "JVBERi0xLjQK"}}]})");
  auto result = fhirToNote(*doc);
  BOOST_REQUIRE(result.ok());
  BOOST_REQUIRE(result->attachments.size() == 1u);
  BOOST_TEST(result->attachments[0].contentType == "application/pdf");
  BOOST_TEST(result->attachments[0].data == "JVBERi0xLjQK");
  BOOST_TEST(hasIssueContaining(result.outcome(), Severity::kWarning, "opaque attachment"));
}

BOOST_AUTO_TEST_CASE(searchset_scores_in_every_value_shape) {
  const std::string text = "Subjective:\ns\nObjective:\no\nAssessment:\na\nPlan:\np\n";
  auto bundle = tree(R"({"resourceType": "Bundle", "type": "searchset", "entry": [
    {"fullUrl": "https://ehr.example/fhir/DocumentReference/d1", "resource": {
      "resourceType": "DocumentReference", "id": "d1", "status": "current",
      "subject": {"reference": "Patient/p1"},
      "content": [{"attachment": {"contentType": "text/plain", "data": ")" +
                     b64(text) + R"("}}],
      "context": {"encounter": [{"reference": "Encounter/e1"}]}}},
    {"fullUrl": "https://ehr.example/fhir/Patient/p1", "resource": {
      "resourceType": "Patient", "id": "p1", "gender": "male", "birthDate": "1970-01-01",
      "telecom": [{"system": "phone", "value": "555-0100"}],
      "identifier": [{"system": "https://ehr.example/mrn", "value": "42"}],
      "name": [{"family": "Doe", "given": ["John"]}]}},
    {"fullUrl": "https://ehr.example/fhir/Encounter/e1", "resource": {
      "resourceType": "Encounter", "id": "e1", "status": "finished",
      "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
      "type": [{"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "90834"}]}],
      "length": {"value": 45, "unit": "min", "system": "http://unitsofmeasure.org", "code": "min"},
      "diagnosis": [{"condition": {"reference": "Condition/c1"}, "rank": 1}]}},
    {"fullUrl": "https://ehr.example/fhir/Condition/c1", "resource": {
      "resourceType": "Condition", "id": "c1",
      "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "F33.1"}]}}},
    {"resource": {"resourceType": "Observation", "status": "final",
      "code": {"coding": [{"system": "http://loinc.org", "code": "44261-6"}]},
      "valueString": "12"}},
    {"resource": {"resourceType": "Observation", "status": "final",
      "code": {"coding": [{"system": "http://loinc.org", "code": "70274-6"}]},
      "valueInteger": 9}},
    {"resource": {"resourceType": "Observation", "status": "final",
      "code": {"coding": [{"system": "http://loinc.org", "code": "55758-7"}]},
      "valueDecimal": 3.0}},
    {"resource": {"resourceType": "Observation", "status": "final",
      "code": {"coding": [{"system": "http://loinc.org", "code": "75626-2"}]},
      "valueQuantity": {"value": 4.5}}},
    {"resource": {"resourceType": "Observation", "status": "final",
      "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
      "valueQuantity": {"value": 72}}},
    {"resource": {"resourceType": "Coverage", "status": "active"}}]})");
  auto result = fhirToNote(*bundle);
  BOOST_REQUIRE(result.ok());
  const Note& n = result.value();
  BOOST_TEST(n.format == NoteFormat::kSoap);
  BOOST_TEST(n.client.names.at(0).family == "Doe");
  BOOST_TEST(n.client.identifiers.at(0).type == "MR");
  BOOST_TEST(n.session.cpt == "90834");
  BOOST_TEST(n.session.minutes == 45);
  BOOST_TEST(n.session.modality == Modality::kInPerson);
  BOOST_TEST(n.diagnoses.at(0).code == "F33.1");
  BOOST_REQUIRE(n.measures.size() == 3u);
  BOOST_TEST(n.measures[0].instrument == Instrument::kPhq9);
  BOOST_TEST(*n.measures[0].total == 12);
  BOOST_TEST(n.measures[1].instrument == Instrument::kGad7);
  BOOST_TEST(*n.measures[1].total == 9);
  BOOST_TEST(n.measures[2].instrument == Instrument::kPhq2);
  BOOST_TEST(*n.measures[2].total == 3);
  const auto& o = result.outcome();
  BOOST_TEST(hasIssueContaining(o, Severity::kWarning, "of AUDIT-C is not a whole number"));
  BOOST_TEST(hasIssueContaining(o, Severity::kWarning, "LOINC 8867-4 is not a known measure"));
  BOOST_TEST(hasIssueContaining(o, Severity::kWarning, "Coverage is not part of the note"));
  BOOST_TEST(hasIssue(o, Severity::kWarning, "Bundle.entry[9].resource", "Coverage"));
  // Elements the note has no place for are named, not dropped silently.
  BOOST_TEST(hasIssue(o, Severity::kWarning, "Bundle.entry[1].resource.telecom[0]",
                      "Patient.telecom has no place in the note"));
}

// Nested elements the note has no place for are reported one by one with their full path;
// nested elements it reads are not.
BOOST_AUTO_TEST_CASE(unread_nested_elements_are_reported_with_their_path) {
  const std::string text = "Subjective:\ns\nObjective:\no\nAssessment:\na\nPlan:\np\n";
  auto bundle = tree(R"({"resourceType": "Bundle", "type": "collection", "entry": [
    {"fullUrl": "https://ehr.example/fhir/DocumentReference/d1", "resource": {
      "resourceType": "DocumentReference", "id": "d1", "status": "current",
      "identifier": [{"system": "urn:oid:1.2.3", "value": "N-1",
                      "period": {"start": "2025-01-01"}}],
      "subject": {"reference": "Patient/p1", "display": "John Doe"},
      "content": [{"attachment": {"contentType": "text/plain", "language": "en", "data": ")" +
                     b64(text) + R"("},
                   "format": {"system": "urn:oid:1.3.6.1.4.1.19376.1.2.3", "code": "urn:x"}}],
      "context": {"encounter": [{"reference": "Encounter/e1"}],
                  "event": [{"text": "psychotherapy"}],
                  "period": {"start": "2025-01-02T09:00:00Z", "end": "2025-01-02T09:45:00Z"}}}},
    {"fullUrl": "https://ehr.example/fhir/Patient/p1", "resource": {
      "resourceType": "Patient", "id": "p1", "gender": "male",
      "name": [{"family": "Doe", "given": ["John"], "prefix": ["Mr."]}]}},
    {"fullUrl": "https://ehr.example/fhir/Encounter/e1", "resource": {
      "resourceType": "Encounter", "id": "e1", "status": "finished",
      "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
      "type": [{"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "90834",
                            "userSelected": true}]}],
      "period": {"start": "2025-01-02T09:00:00Z",
                 "extension": [{"url": "https://ehr.example/ext/tz", "valueString": "EST"}]},
      "diagnosis": [{"condition": {"reference": "Condition/c1"}, "rank": 1,
                     "use": {"text": "billing"}}]}},
    {"fullUrl": "https://ehr.example/fhir/Condition/c1", "resource": {
      "resourceType": "Condition", "id": "c1",
      "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "F33.1"}],
               "text": "MDD, recurrent, moderate"}}},
    {"resource": {"resourceType": "Observation", "status": "final",
      "code": {"coding": [{"system": "http://loinc.org", "code": "44261-6"}]},
      "valueQuantity": {"value": 12, "comparator": ">="}}}]})");
  auto result = fhirToNote(*bundle);
  BOOST_REQUIRE(result.ok());
  const auto& o = result.outcome();
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"Bundle.entry[0].resource.identifier[0].period", "DocumentReference.identifier.period"},
      {"Bundle.entry[0].resource.subject.display", "DocumentReference.subject.display"},
      {"Bundle.entry[0].resource.content[0].attachment.language",
       "DocumentReference.content.attachment.language"},
      {"Bundle.entry[0].resource.content[0].format", "DocumentReference.content.format"},
      {"Bundle.entry[0].resource.context.event[0]", "DocumentReference.context.event"},
      {"Bundle.entry[1].resource.name[0].prefix[0]", "Patient.name.prefix"},
      {"Bundle.entry[2].resource.type[0].coding[0].userSelected",
       "Encounter.type.coding.userSelected"},
      {"Bundle.entry[2].resource.period.extension[0]", "Encounter.period.extension"},
      {"Bundle.entry[2].resource.diagnosis[0].use", "Encounter.diagnosis.use"},
      {"Bundle.entry[3].resource.code.text", "Condition.code.text"},
      {"Bundle.entry[4].resource.valueQuantity.comparator", "Observation.value.comparator"},
  };
  for (const auto& [path, element] : expected) {
    BOOST_TEST(hasIssue(o, Severity::kWarning, path, element + " has no place in the note"), path);
  }
  // What was read is not reported: no issue about names, codes, periods or the score itself.
  for (const auto& issue : o.issues()) {
    for (const char* read : {".name[0].family", ".type[0].coding[0].code", ".period.start",
                             ".valueQuantity.value", ".diagnosis[0].rank"}) {
      BOOST_TEST(issue.expression.find(read) == std::string::npos, issue.expression);
    }
  }
  BOOST_TEST(result->diagnoses.at(0).code == "F33.1");
  BOOST_TEST(*result->measures.at(0).total == 12);
}

BOOST_AUTO_TEST_CASE(input_without_a_document_reference_is_an_error) {
  auto bundle = tree(R"({"resourceType": "Bundle", "type": "collection", "entry": [
    {"resource": {"resourceType": "Patient", "id": "p"}}]})");
  auto result = fhirToNote(*bundle);
  BOOST_TEST(!result.ok());
  BOOST_TEST(hasIssueContaining(result.outcome(), Severity::kError, "no DocumentReference"));
}

BOOST_AUTO_TEST_CASE(tampered_own_rendering_falls_back_to_headings) {
  auto bundle = noteToFhir(exampleNote("soap"));
  // Drop the XHTML narrative: sections come back from the plain text by headings.
  Element* doc = nullptr;
  for (const auto& e : (*bundle)->children()) {
    if (e->name() == "entry" && e->child("resource")->type() == "DocumentReference") {
      doc = e->child("resource");
    }
  }
  BOOST_REQUIRE(doc);
  for (std::size_t i = 0; i < doc->children().size(); ++i) {
    if (doc->children()[i]->name() == "text") {
      doc->removeChild(i);
      break;
    }
  }
  auto back = fhirToNote(**bundle);
  BOOST_REQUIRE(back.ok());
  const Note original = exampleNote("soap");
  BOOST_TEST(back->format == NoteFormat::kSoap);
  BOOST_REQUIRE(back->sections.size() == 4u);
  for (std::size_t i = 0; i < 4; ++i)
    BOOST_TEST(back->sections[i].text == original.sections[i].text);
}

BOOST_AUTO_TEST_SUITE_END()

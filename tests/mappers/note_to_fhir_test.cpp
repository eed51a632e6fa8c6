#include <boost/test/unit_test.hpp>
#include <map>
#include <set>

#include "mapper_test_support.h"
#include "notebridge/mappers/digest.h"

using namespace notebridge::mappers;
using namespace notebridge::mappers::testing;
using notebridge::fhir::Severity;

namespace {

Element::Ptr mapExample(std::string_view name, const NoteToFhirOptions& options = {}) {
  auto result = noteToFhir(exampleNote(name), options);
  BOOST_REQUIRE_MESSAGE(result.ok(), issuesText(result.outcome()));
  return std::move(result).value();
}

std::vector<std::string> codes(const Element* cc) {
  std::vector<std::string> out;
  if (!cc) return out;
  for (const Element* c : cc->childrenNamed("coding")) out.emplace_back(c->childValue("code"));
  return out;
}

std::vector<std::string> securityCodes(const Element& resource) {
  std::vector<std::string> out;
  for (const Element* s : resource.child("meta")->childrenNamed("security")) {
    out.emplace_back(s->childValue("code"));
  }
  return out;
}

// Every reference in the tree that starts with urn:uuid: must name an entry's fullUrl.
void checkReferencesResolve(const Element& bundle) {
  std::set<std::string> fullUrls;
  for (const Element* e : bundle.childrenNamed("entry")) fullUrls.emplace(e->childValue("fullUrl"));
  std::vector<const Element*> stack = {&bundle};
  while (!stack.empty()) {
    const Element* e = stack.back();
    stack.pop_back();
    if (e->name() == "reference" && e->value().rfind("urn:uuid:", 0) == 0) {
      BOOST_TEST(fullUrls.count(e->value()) == 1u, e->path() << " = " << e->value());
    }
    for (const auto& c : e->children()) stack.push_back(c.get());
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(note_to_fhir)

BOOST_AUTO_TEST_CASE(soap_note_becomes_a_transaction_of_conditional_creates) {
  auto bundle = mapExample("soap");
  BOOST_TEST(bundle->type() == "Bundle");
  BOOST_TEST(bundle->childValue("type") == "transaction");
  // 1 Organization, Practitioner, PractitionerRole, Patient, Encounter, 2 Conditions,
  // DocumentReference, 2 Observations, 2 Goals, 2 Procedures, 1 MedicationStatement,
  // RiskAssessment, Appointment, Provenance.
  BOOST_TEST(bundle->childrenNamed("entry").size() == 18u);
  for (const Element* entry : bundle->childrenNamed("entry")) {
    const Element* request = entry->child("request");
    const std::string type = entry->child("resource")->type();
    BOOST_TEST(entry->childValue("fullUrl").substr(0, 9) == "urn:uuid:");
    if (type == "Provenance") {
      // No identifier in R4 to create on: written by its deterministic id instead.
      const std::string id(entry->child("resource")->childValue("id"));
      BOOST_TEST(request->childValue("method") == "PUT");
      BOOST_TEST(request->childValue("url") == "Provenance/" + id);
      BOOST_TEST(entry->childValue("fullUrl") == "urn:uuid:" + id);
      continue;
    }
    BOOST_TEST(request->childValue("method") == "POST");
    BOOST_TEST(request->childValue("url") == type);
    BOOST_TEST(request->childValue("ifNoneExist").substr(0, 11) == "identifier=", type);
  }
  checkReferencesResolve(*bundle);
}

BOOST_AUTO_TEST_CASE(document_reference_carries_what_us_core_and_domain_ask_for) {
  auto bundle = mapExample("soap");
  const Element* doc = resourcesOf(*bundle, "DocumentReference").at(0);
  BOOST_TEST(doc->childValue("status") == "current");
  BOOST_TEST(doc->childValue("docStatus") == "final");
  BOOST_TEST(codes(doc->child("type")) == (std::vector<std::string>{"34904-3", "11506-3"}));
  BOOST_TEST(codes(doc->child("category")) == std::vector<std::string>{"clinical-note"});
  BOOST_TEST(doc->childValue("date") == "2025-03-04T17:20:00-05:00");
  BOOST_TEST(doc->child("author") != nullptr);
  BOOST_TEST(doc->child("context")->child("period")->childValue("end") ==
             "2025-03-04T15:55:00-05:00");
  BOOST_TEST(doc->child("context")->child("encounter") != nullptr);
  auto contents = doc->childrenNamed("content");
  BOOST_REQUIRE(contents.size() == 1u);
  const Element* text = contents[0]->child("attachment");
  BOOST_TEST(text->childValue("contentType") == "text/plain; charset=utf-8");
  const std::string bytes = *base64Decode(text->childValue("data"));
  BOOST_TEST(text->childValue("size") == std::to_string(bytes.size()));
  const auto digest = sha1(bytes);
  BOOST_TEST(text->childValue("hash") ==
             base64Encode(std::string(reinterpret_cast<const char*>(digest.data()), 20)));
  // Non-ASCII stays UTF-8: size counts bytes, not characters.
  BOOST_TEST(bytes.find("Ana María Rivera") != std::string::npos);
  BOOST_TEST(bytes.find("Subjective:\nClient reports") != std::string::npos);
  // The XHTML rendering is the narrative: one heading per section, well-formed, no CSS.
  const Element* narrative = doc->child("text");
  BOOST_REQUIRE(narrative);
  BOOST_TEST(narrative->childValue("status") == "generated");
  const std::string markup = narrative->child("div")->value();
  BOOST_TEST(markup.rfind("<div xmlns=\"http://www.w3.org/1999/xhtml\">", 0) == 0u);
  BOOST_TEST(markup.find("<h2>Assessment</h2>") != std::string::npos);
  BOOST_TEST(markup.find("&quot;most of the day&quot;") != std::string::npos);
  BOOST_TEST(markup.find("<br/>") != std::string::npos);
  BOOST_TEST(markup.find("<br>") == std::string::npos);
  BOOST_TEST(markup.find("<head>") == std::string::npos);
  BOOST_TEST(markup.find("style") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(every_resource_is_labelled_restricted_mental_health) {
  auto bundle = mapExample("soap");
  for (const Element* entry : bundle->childrenNamed("entry")) {
    const Element* r = entry->child("resource");
    BOOST_TEST(securityCodes(*r) == (std::vector<std::string>{"R", "PSY", "MH"}), r->type());
  }
  const Element* doc = resourcesOf(*bundle, "DocumentReference").at(0);
  BOOST_TEST(doc->childrenNamed("securityLabel").size() == 3u);
}

BOOST_AUTO_TEST_CASE(substance_use_adds_part2_labels) {
  auto bundle = mapExample("dap");
  for (const Element* entry : bundle->childrenNamed("entry")) {
    const Element* r = entry->child("resource");
    BOOST_TEST(securityCodes(*r) ==
               (std::vector<std::string>{"R", "PSY", "MH", "SUD", "ETH", "42CFRPart2"}));
  }
}

BOOST_AUTO_TEST_CASE(unflagged_substance_use_diagnosis_is_labelled_and_warned) {
  Note note = exampleNote("dap");
  note.sensitivity.substanceUse = false;
  auto result = noteToFhir(note);
  BOOST_REQUIRE(result.ok());
  BOOST_TEST(hasIssue(result.outcome(), Severity::kWarning, "diagnoses[0].code", "42 CFR Part 2"));
  const Element* doc = resourcesOf(**result, "DocumentReference").at(0);
  BOOST_TEST(securityCodes(*doc).size() == 6u);
}

BOOST_AUTO_TEST_CASE(amendment_replaces_the_previous_version) {
  auto bundle = mapExample("dap");
  const Element* doc = resourcesOf(*bundle, "DocumentReference").at(0);
  BOOST_TEST(doc->childValue("docStatus") == "amended");
  BOOST_TEST(doc->childValue("status") == "current");
  const Element* rel = doc->child("relatesTo");
  BOOST_REQUIRE(rel);
  BOOST_TEST(rel->childValue("code") == "replaces");
  BOOST_TEST(rel->child("target")->child("identifier")->childValue("value") ==
             "1678901236/N-2025-0977/v1");
  BOOST_TEST(doc->child("identifier")->childValue("value") == "1678901236/N-2025-0977/v2");
  for (const Element* obs : resourcesOf(*bundle, "Observation")) {
    BOOST_TEST(obs->childValue("status") == "amended");
  }
}

BOOST_AUTO_TEST_CASE(entered_in_error_updates_the_document_and_its_scores) {
  Note note = exampleNote("soap");
  note.status = NoteStatus::kEnteredInError;
  auto result = noteToFhir(note);
  BOOST_REQUIRE(result.ok());
  const Element* entry = entryOf(**result, "DocumentReference");
  const Element* doc = entry->child("resource");
  BOOST_TEST(doc->childValue("status") == "entered-in-error");
  BOOST_TEST(entry->child("request")->childValue("method") == "PUT");
  BOOST_TEST(entry->child("request")->childValue("url") ==
             "DocumentReference?identifier=https://notebridge.io/fhir/sid/"
             "note%7C1987654328/N-2025-0412/v1");
  for (const Element* obs : resourcesOf(**result, "Observation")) {
    BOOST_TEST(obs->childValue("status") == "entered-in-error");
  }
}

// Every resource the note alone produced is retracted, each by its own type's status; what the
// client's other notes share (Conditions, Goals, Patient, ...) is left as it is.
BOOST_AUTO_TEST_CASE(entered_in_error_cascades_to_everything_the_note_produced) {
  Note note = exampleNote("soap");
  note.status = NoteStatus::kEnteredInError;
  auto result = noteToFhir(note);
  BOOST_REQUIRE_MESSAGE(result.ok(), issuesText(result.outcome()));
  const Element& bundle = **result;
  const std::map<std::string, std::string> expected = {
      {"Encounter", "entered-in-error"},        {"Observation", "entered-in-error"},
      {"Procedure", "entered-in-error"},        {"MedicationStatement", "entered-in-error"},
      {"RiskAssessment", "entered-in-error"},   {"Appointment", "cancelled"},
      {"DocumentReference", "entered-in-error"}};
  std::set<std::string> retractedUrls;
  for (const Element* entry : bundle.childrenNamed("entry")) {
    const Element* r = entry->child("resource");
    const Element* request = entry->child("request");
    const std::string type = r->type();
    auto it = expected.find(type);
    if (it != expected.end()) {
      BOOST_TEST(r->childValue("status") == it->second, type);
      // A conditional update on our identifier, so the receiver's copy is the one changed.
      BOOST_TEST(request->childValue("method") == "PUT", type);
      BOOST_TEST(request->childValue("url").rfind(type + "?identifier=", 0) == 0u, type);
      retractedUrls.emplace(entry->childValue("fullUrl"));
    } else if (type == "Provenance") {
      BOOST_TEST(request->childValue("method") == "PUT");
    } else {
      BOOST_TEST(request->childValue("method") == "POST", type);
      BOOST_TEST(!request->childValue("ifNoneExist").empty(), type);
    }
  }
  // DocumentReference, Encounter, 2 Observations, 2 Procedures, MedicationStatement,
  // RiskAssessment, Appointment.
  BOOST_TEST(retractedUrls.size() == 9u);
  for (const Element* c : resourcesOf(bundle, "Condition")) {
    BOOST_TEST(codes(c->child("verificationStatus")) == std::vector<std::string>{"confirmed"});
  }
  for (const Element* g : resourcesOf(bundle, "Goal")) {
    BOOST_TEST(g->childValue("lifecycleStatus") != "entered-in-error");
  }
  BOOST_TEST(resourcesOf(bundle, "DocumentReference").at(0)->childValue("docStatus") ==
             "entered-in-error");
  // The retraction is its own Provenance: NULLIFY, targeting exactly what was retracted.
  const auto provenances = resourcesOf(bundle, "Provenance");
  BOOST_REQUIRE(provenances.size() == 1u);
  const Element* prov = provenances[0];
  BOOST_TEST(codes(prov->child("activity")) == std::vector<std::string>{"NULLIFY"});
  std::set<std::string> targets;
  for (const Element* t : prov->childrenNamed("target"))
    targets.emplace(t->childValue("reference"));
  BOOST_TEST(targets == retractedUrls);
  BOOST_TEST(prov->child("signature") != nullptr);
  auto signedBundle = mapExample("soap");
  BOOST_TEST(resourcesOf(*signedBundle, "Provenance").at(0)->childValue("id") !=
             prov->childValue("id"));
  checkReferencesResolve(bundle);
}

BOOST_AUTO_TEST_CASE(a_retracted_amendment_leaves_the_encounter_to_the_version_it_replaced) {
  Note note = exampleNote("dap");
  BOOST_REQUIRE(note.replaces.has_value());
  note.status = NoteStatus::kEnteredInError;
  auto result = noteToFhir(note);
  BOOST_REQUIRE(result.ok());
  const Element* entry = entryOf(**result, "Encounter");
  BOOST_TEST(entry->child("resource")->childValue("status") == "finished");
  BOOST_TEST(entry->child("request")->childValue("method") == "POST");
  BOOST_TEST(entryOf(**result, "DocumentReference")->child("request")->childValue("method") ==
             "PUT");
}

// A retried delivery sends the same Bundle: the Provenance is written by the same id, so the
// receiver keeps one record. Another version or event is another record.
BOOST_AUTO_TEST_CASE(provenance_is_idempotent_across_retries) {
  auto provenanceEntry = [](const Note& note) {
    auto result = noteToFhir(note);
    BOOST_REQUIRE(result.ok());
    const Element* entry = entryOf(**result, "Provenance");
    return std::string(entry->child("request")->childValue("url")) + " " +
           std::string(entry->childValue("fullUrl"));
  };
  Note note = exampleNote("soap");
  const std::string first = provenanceEntry(note);
  BOOST_TEST(first == provenanceEntry(note));
  BOOST_TEST(first.rfind("Provenance/", 0) == 0u);
  Note other = note;
  other.version = 2;
  other.status = NoteStatus::kAmended;
  other.replaces = NoteRef{note.noteId, 1};
  BOOST_TEST(provenanceEntry(other) != first);
  Note retracted = note;
  retracted.status = NoteStatus::kEnteredInError;
  BOOST_TEST(provenanceEntry(retracted) != first);
  BOOST_TEST(provenanceEntry(retracted) == provenanceEntry(retracted));
  // Ids depend on the practice too.
  Note elsewhere = note;
  elsewhere.practice.npi = "1234567893";
  BOOST_TEST(provenanceEntry(elsewhere) != first);
}

BOOST_AUTO_TEST_CASE(drafts_and_unauthorized_psychotherapy_notes_are_refused) {
  Note draft = exampleNote("soap");
  draft.status = NoteStatus::kDraft;
  auto refused = noteToFhir(draft);
  BOOST_TEST(!refused.ok());
  BOOST_TEST(hasIssue(refused.outcome(), Severity::kError, "status", "draft"));

  Note psy = exampleNote("soap");
  psy.sensitivity.psychotherapyNote = true;
  auto blocked = noteToFhir(psy);
  BOOST_TEST(!blocked.ok());
  BOOST_TEST(hasIssue(blocked.outcome(), Severity::kError, "sensitivity.psychotherapyNote",
                      "authorization"));

  psy.sensitivity.authorization = Authorization{"AUTH-17", "2025-02-01"};
  auto allowed = noteToFhir(psy);
  BOOST_REQUIRE(allowed.ok());
  const Element* doc = resourcesOf(**allowed, "DocumentReference").at(0);
  const auto labels = securityCodes(*doc);
  BOOST_TEST((std::find(labels.begin(), labels.end(), "PSYTHPN") != labels.end()));
  BOOST_TEST((std::find(labels.begin(), labels.end(), "HIPAAPsyNotes") != labels.end()));
}

BOOST_AUTO_TEST_CASE(cpt_that_does_not_match_the_minutes_is_warned) {
  Note note = exampleNote("soap");
  note.session.minutes = 45;  // 90837 needs 53 minutes or more
  auto result = noteToFhir(note);
  BOOST_REQUIRE(result.ok());
  BOOST_TEST(hasIssue(result.outcome(), Severity::kWarning, "session.cpt", "expected 90834"));
  BOOST_TEST(expectedPsychotherapyCpt(15) == "");
  BOOST_TEST(expectedPsychotherapyCpt(16) == "90832");
  BOOST_TEST(expectedPsychotherapyCpt(37) == "90832");
  BOOST_TEST(expectedPsychotherapyCpt(38) == "90834");
  BOOST_TEST(expectedPsychotherapyCpt(52) == "90834");
  BOOST_TEST(expectedPsychotherapyCpt(53) == "90837");
  auto clean = noteToFhir(exampleNote("soap"));
  BOOST_TEST(clean.outcome().empty(), issuesText(clean.outcome()));
}

BOOST_AUTO_TEST_CASE(observations_follow_the_screening_assessment_shape) {
  auto bundle = mapExample("soap");
  auto observations = resourcesOf(*bundle, "Observation");
  BOOST_REQUIRE(observations.size() == 2u);
  const Element* phq9 = observations[0];
  BOOST_TEST(codes(phq9->child("code")) == std::vector<std::string>{"44261-6"});
  BOOST_TEST(codes(phq9->child("category")) == std::vector<std::string>{"survey"});
  BOOST_TEST(phq9->child("valueQuantity")->childValue("value") == "12");
  BOOST_TEST(phq9->child("valueQuantity")->childValue("code") == "{score}");
  BOOST_TEST(phq9->child("interpretation")->childValue("text") == "Moderate depression (10-14)");
  BOOST_TEST(phq9->childValue("effectiveDateTime") == "2025-03-04T15:00:00-05:00");
  const std::string docUrl(entryOf(*bundle, "DocumentReference")->childValue("fullUrl"));
  BOOST_TEST(phq9->child("derivedFrom")->childValue("reference") == docUrl);
  BOOST_TEST(phq9->childrenNamed("component").size() == 9u);
  BOOST_TEST(codes(phq9->childrenNamed("component")[8]->child("code")).at(0) == "44260-8");
  BOOST_TEST(codes(observations[1]->child("code")) == std::vector<std::string>{"70274-6"});
}

BOOST_AUTO_TEST_CASE(note_without_scores_emits_no_observation_and_absent_reason_is_kept) {
  Note note = exampleNote("soap");
  note.measures.clear();
  auto result = noteToFhir(note);
  BOOST_TEST(resourcesOf(**result, "Observation").empty());
  auto narrative = mapExample("narrative");
  auto obs = resourcesOf(*narrative, "Observation");
  BOOST_REQUIRE(obs.size() == 1u);
  BOOST_TEST(obs[0]->child("valueQuantity") == nullptr);
  BOOST_TEST(codes(obs[0]->child("dataAbsentReason")) ==
             std::vector<std::string>{"asked-declined"});
}

BOOST_AUTO_TEST_CASE(encounter_holds_session_coding_and_ranked_diagnoses) {
  auto bundle = mapExample("girp");
  const Element* enc = resourcesOf(*bundle, "Encounter").at(0);
  BOOST_TEST(enc->child("class")->childValue("code") == "VR");
  auto types = enc->childrenNamed("type");
  BOOST_REQUIRE(types.size() == 3u);
  BOOST_TEST(codes(types[0]) == std::vector<std::string>{"90834"});
  BOOST_TEST(codes(types[1]) == std::vector<std::string>{"90785"});
  BOOST_TEST(codes(types[2]) == std::vector<std::string>{"audio-only"});
  BOOST_TEST(enc->child("length")->childValue("value") == "40");
  BOOST_TEST(enc->child("length")->childValue("code") == "min");
  BOOST_TEST(enc->child("diagnosis")->childValue("rank") == "1");
  auto inPerson = mapExample("dap");
  BOOST_TEST(resourcesOf(*inPerson, "Encounter").at(0)->child("class")->childValue("code") ==
             "AMB");
}

BOOST_AUTO_TEST_CASE(group_participants_are_not_identified) {
  auto bundle = mapExample("birp");
  const Element* enc = resourcesOf(*bundle, "Encounter").at(0);
  auto participants = enc->childrenNamed("participant");
  BOOST_REQUIRE(participants.size() == 4u);
  for (std::size_t i = 1; i < participants.size(); ++i) {
    const Element* ind = participants[i]->child("individual");
    if (ind) BOOST_TEST(ind->child("reference") == nullptr);
  }
  const Element* doc = resourcesOf(*bundle, "DocumentReference").at(0);
  const std::string text =
      *base64Decode(doc->child("content")->child("attachment")->childValue("data"));
  BOOST_TEST(text.find("R. Diaz") == std::string::npos);
  BOOST_TEST(text.find("Also present: group-member, group-member, co-facilitator") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(goals_medications_and_provenance) {
  auto bundle = mapExample("soap");
  auto goals = resourcesOf(*bundle, "Goal");
  BOOST_REQUIRE(goals.size() == 2u);
  BOOST_TEST(codes(goals[0]->child("achievementStatus")) == std::vector<std::string>{"improving"});
  BOOST_TEST(codes(goals[1]->child("achievementStatus")) == std::vector<std::string>{"no-change"});
  const Element* med = resourcesOf(*bundle, "MedicationStatement").at(0);
  BOOST_TEST(med->childValue("status") == "active");
  BOOST_TEST(codes(med->child("medicationCodeableConcept")) == std::vector<std::string>{"312940"});
  const Element* prov = resourcesOf(*bundle, "Provenance").at(0);
  BOOST_TEST(prov->childValue("recorded") == "2025-03-04T17:20:00-05:00");
  BOOST_TEST(codes(prov->child("activity")) == std::vector<std::string>{"transform"});
  auto agents = prov->childrenNamed("agent");
  BOOST_REQUIRE(agents.size() == 2u);
  BOOST_TEST(codes(agents[0]->child("type")) == std::vector<std::string>{"author"});
  BOOST_TEST(agents[0]->child("onBehalfOf") != nullptr);
  BOOST_TEST(codes(agents[1]->child("type")) == std::vector<std::string>{"transmitter"});
  // DocumentReference, Encounter, 2 Conditions, 2 Observations, 2 Goals, 2 Procedures,
  // MedicationStatement, RiskAssessment, Appointment.
  BOOST_TEST(prov->childrenNamed("target").size() == 13u);
}

BOOST_AUTO_TEST_CASE(mapping_is_deterministic_and_ids_depend_only_on_note_identity) {
  auto a = mapExample("soap");
  auto b = mapExample("soap");
  BOOST_TEST(dump(*a) == dump(*b));
  Note other = exampleNote("soap");
  other.version = 2;
  other.status = NoteStatus::kAmended;
  other.replaces = NoteRef{other.noteId, 1};
  auto c = noteToFhir(other);
  BOOST_REQUIRE(c.ok());
  // A new version gets a new DocumentReference but keeps Patient, Encounter and Conditions.
  BOOST_TEST(entryOf(*a, "DocumentReference")->childValue("fullUrl") !=
             entryOf(**c, "DocumentReference")->childValue("fullUrl"));
  for (auto type : {"Patient", "Encounter", "Condition", "Practitioner", "Organization"}) {
    BOOST_TEST(
        entryOf(*a, type)->childValue("fullUrl") == entryOf(**c, type)->childValue("fullUrl"),
        type);
  }
}

BOOST_AUTO_TEST_CASE(note_type_is_configurable_with_fallback) {
  NoteToFhirOptions options;
  options.noteTypeCode = "11510-5";
  auto bundle = mapExample("soap", options);
  BOOST_TEST(codes(resourcesOf(*bundle, "DocumentReference").at(0)->child("type")) ==
             (std::vector<std::string>{"11510-5", "11506-3"}));
  options.noteTypeCode = "99999-9";
  auto fallback = noteToFhir(exampleNote("soap"), options);
  BOOST_TEST(hasIssue(fallback.outcome(), Severity::kWarning, "DocumentReference.type", "11506-3"));
  BOOST_TEST(codes(resourcesOf(**fallback, "DocumentReference").at(0)->child("type")) ==
             std::vector<std::string>{"11506-3"});
  options = {};
  options.includeXhtmlAttachment = true;
  options.created = "2025-03-05T08:00:00Z";
  auto both = mapExample("soap", options);
  const Element* doc = resourcesOf(*both, "DocumentReference").at(0);
  auto contents = doc->childrenNamed("content");
  BOOST_REQUIRE(contents.size() == 2u);
  const Element* xhtml = contents[1]->child("attachment");
  BOOST_TEST(xhtml->childValue("contentType") == "application/xhtml+xml; charset=utf-8");
  const std::string document = *base64Decode(xhtml->childValue("data"));
  BOOST_TEST(document.find("<html xmlns=\"http://www.w3.org/1999/xhtml\">") != std::string::npos);
  BOOST_TEST(document.find("<h2>Plan</h2>") != std::string::npos);
  BOOST_TEST(doc->childValue("date") == "2025-03-05T08:00:00Z");
  // The XHTML attachment alone also gives the sections back exactly.
  for (std::size_t i = 0; i < doc->children().size(); ++i) {
    if (doc->children()[i]->name() == "text") {
      const_cast<Element*>(doc)->removeChild(i);
      break;
    }
  }
  auto back = fhirToNote(*both);
  BOOST_REQUIRE(back.ok());
  BOOST_TEST((back->sections == exampleNote("soap").sections));
}

BOOST_AUTO_TEST_SUITE_END()

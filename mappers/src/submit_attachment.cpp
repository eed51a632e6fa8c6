#include "notebridge/mappers/submit_attachment.h"

#include <algorithm>
#include <set>

#include "note_checks.h"
#include "notebridge/mappers/consent.h"
#include "tree.h"
#include "vocabulary.h"

namespace notebridge::mappers {
namespace {

using fhir::Element;
using fhir::Outcome;
using fhir::Severity;
using namespace tree;

const ClientIdentifier* memberId(const Note& note) {
  for (const ClientIdentifier& id : note.client.identifiers) {
    if (id.type == "MB" && !id.value.empty()) return &id;
  }
  return nullptr;
}

Element& parameter(Element& parameters, std::string_view name) {
  Element& p = complex(parameters, "parameter"_name, "BackboneElement"_name, true);
  prim(p, "name"_name, "string"_name, name);
  return p;
}

Element& part(Element& parent, std::string_view name) {
  Element& p = complex(parent, "part"_name, "BackboneElement"_name, true);
  prim(p, "name"_name, "string"_name, name);
  return p;
}

void identifierValue(Element& p, std::string_view system, std::string_view value) {
  Element& id = choice(p, "value", "Identifier", "Identifier");
  if (!system.empty()) prim(id, "system"_name, "uri"_name, system);
  prim(id, "value"_name, "string"_name, value);
}

// A logical reference by identifier (https://hl7.org/fhir/R4/references.html#logical).
void logicalReference(Element& ref, std::string_view type, std::string_view system,
                      std::string_view value, std::string_view display = {}) {
  while (!ref.children().empty()) ref.removeChild(0);
  prim(ref, "type"_name, "uri"_name, type);
  Element& id = complex(ref, "identifier"_name, "Identifier"_name);
  prim(id, "system"_name, "uri"_name, system);
  prim(id, "value"_name, "string"_name, value);
  if (!display.empty()) prim(ref, "display"_name, "string"_name, display);
}

std::string displayName(const std::vector<PersonName>& names) {
  if (names.empty()) return {};
  std::string out;
  for (const auto& g : names.front().given) out += g + " ";
  return out + names.front().family;
}

// The note's DocumentReference made to stand alone inside Parameters: no Bundle holds its
// Patient, Practitioner or Encounter, so they become logical references (DOMAIN §4.1: the CDex
// example names the subject by member identifier).
Element::Ptr standaloneDocument(const Note& note, const Element& bundle) {
  const Element* doc = nullptr;
  for (const Element* entry : bundle.childrenNamed("entry")) {
    const Element* r = entry->child("resource");
    if (r && r->type() == "DocumentReference" && !doc) doc = r;
  }
  if (!doc) return nullptr;
  Element::Ptr copy = doc->clone();
  const ClientIdentifier* member = memberId(note);
  if (Element* subject = copy->child("subject"); subject && member) {
    logicalReference(*subject, "Patient", member->system, member->value);
  }
  for (std::size_t i = 0; i < copy->children().size(); ++i) {
    Element& c = *copy->children()[i];
    if ((c.name() == "author" || c.name() == "authenticator") && !note.clinician.npi.empty()) {
      logicalReference(c, "Practitioner", vocab::kNpi, note.clinician.npi,
                       displayName(note.clinician.names));
    } else if (c.name() == "custodian") {
      logicalReference(c, "Organization", vocab::kNpi, note.practice.npi, note.practice.name);
    }
  }
  if (Element* context = copy->child("context")) {
    // The Encounter stays behind; context.period carries the session (DOMAIN §9.13).
    for (std::size_t i = context->children().size(); i-- > 0;) {
      if (context->children()[i]->name() == "encounter") context->removeChild(i);
    }
  }
  return copy;
}

}  // namespace

Outcome payerChecklist(const Note& note) {
  Outcome out;
  auto error = [&](std::string message, std::string expression) {
    out.add(Severity::kError, "required", std::move(message), std::move(expression));
  };
  if (!isFhirDateTime(note.session.start, true) && !isFhirDateTime(note.session.start, false)) {
    error("date of service missing (session.start): the payer needs ServiceDate", "session.start");
  }
  if (note.session.minutes <= 0) {
    error("session minutes missing: they justify the CPT time band (DOMAIN §4.4)",
          "session.minutes");
  }
  if (note.session.cpt.empty()) {
    error("CPT code missing", "session.cpt");
  } else {
    static const std::set<std::string> kTimed = {"90832", "90834", "90837"};
    const std::string expected = expectedPsychotherapyCpt(note.session.minutes);
    if (kTimed.count(note.session.cpt) && expected != note.session.cpt) {
      out.add(Severity::kError, "business-rule",
              std::to_string(note.session.minutes) + " minutes do not support CPT " +
                  note.session.cpt +
                  (expected.empty() ? " (under 16 minutes)" : " (the band is " + expected + ")"),
              "session.cpt");
    }
    if ((note.session.cpt == "90846" || note.session.cpt == "90847") && note.session.minutes < 26) {
      out.add(Severity::kError, "business-rule", "family psychotherapy needs at least 26 minutes",
              "session.minutes");
    }
  }
  if (note.diagnoses.empty()) {
    error("no diagnosis: the payer needs ranked ICD-10-CM diagnoses", "diagnoses");
  } else {
    std::set<int> ranks;
    for (std::size_t i = 0; i < note.diagnoses.size(); ++i) {
      if (!ranks.insert(note.diagnoses[i].rank).second) {
        out.add(Severity::kError, "business-rule",
                "rank " + std::to_string(note.diagnoses[i].rank) + " is given twice",
                "diagnoses[" + std::to_string(i) + "].rank");
      }
    }
    if (!ranks.count(1)) error("no primary diagnosis (rank 1)", "diagnoses");
  }
  if (note.status != NoteStatus::kSigned && note.status != NoteStatus::kAmended) {
    error("the note is not signed (status " + std::string(toString(note.status)) + ")", "status");
  } else if (!note.signature || note.signature->signedAt.empty()) {
    error("no signature", "signature");
  }
  if (!memberId(note)) {
    error("no payer member id (a client identifier of type MB): the payer needs MemberId",
          "client.identifiers");
  }
  if (note.clinician.npi.empty() && note.practice.npi.empty()) {
    error("no rendering provider NPI and no practice NPI (ProviderId or OrganizationId)",
          "clinician.npi");
  }
  const bool scored = std::any_of(note.measures.begin(), note.measures.end(),
                                  [](const Measure& m) { return m.total.has_value(); });
  const bool progress = std::any_of(note.goals.begin(), note.goals.end(),
                                    [](const Goal& g) { return g.progress.has_value(); });
  if (!scored && !progress) {
    out.add(Severity::kWarning, "incomplete",
            "no measurable progress: no scored measure and no goal progress (DOMAIN §4.4)",
            "measures");
  }
  if (privacyOf(note).substanceUse) {
    out.add(Severity::kWarning, "security",
            "substance-use content: disclosure for payment needs a 42 CFR Part 2 consent on file "
            "(DOMAIN §6.2)",
            "sensitivity.substanceUse");
  }
  return out;
}

fhir::Result<Element::Ptr> buildSubmitAttachment(const std::vector<Note>& notes,
                                                 const SubmissionRequest& request) {
  Outcome outcome;
  if (notes.empty()) {
    return fhir::Result<Element::Ptr>::failure(Severity::kError, "required", "no note to submit",
                                               "notes");
  }
  const std::string tracking = request.trackingId.empty() ? request.claimId : request.trackingId;
  if (tracking.empty()) {
    outcome.add(Severity::kError, "required", "a tracking id (or claim id) is required",
                "trackingId");
  }
  if (request.attachTo != "claim" && request.attachTo != "preauthorization") {
    outcome.add(Severity::kError, "code-invalid",
                "attachTo must be claim or preauthorization, not '" + request.attachTo + "'",
                "attachTo");
  }
  std::vector<Element::Ptr> documents;
  for (std::size_t i = 0; i < notes.size(); ++i) {
    const Note& note = notes[i];
    const std::string where = "notes[" + note.noteId + "]";
    Outcome checks = payerChecklist(note);
    if (i > 0 && note.client.id != notes.front().client.id) {
      checks.add(Severity::kError, "business-rule", "all notes of a submission are of one client",
                 "client.id");
    }
    auto mapped = noteToFhir(note, request.noteOptions);
    checks.append(mapped.outcome());
    for (auto issue : checks.issues()) {
      issue.expression = where + (issue.expression.empty() ? "" : "." + issue.expression);
      outcome.add(std::move(issue));
    }
    if (!mapped) continue;
    documents.push_back(standaloneDocument(note, **mapped));
  }
  if (outcome.hasErrors()) return fhir::Result<Element::Ptr>(std::move(outcome));

  const Note& first = notes.front();
  auto params = Element::makeResource("Parameters");
  {
    Element& meta = complex(*params, "meta"_name, "Meta"_name);
    prim(meta, "profile"_name, "canonical"_name, kCdexSubmitAttachmentProfile, true);
  }
  identifierValue(parameter(*params, "TrackingId"), request.trackingSystem, tracking);
  choicePrim(parameter(*params, "AttachTo"), "value", "Code", "code", request.attachTo);
  if (!request.payerId.empty()) {
    identifierValue(parameter(*params, "PayerId"), request.payerSystem, request.payerId);
  }
  if (!first.practice.npi.empty()) {
    identifierValue(parameter(*params, "OrganizationId"), vocab::kNpi, first.practice.npi);
  }
  if (!first.clinician.npi.empty()) {
    identifierValue(parameter(*params, "ProviderId"), vocab::kNpi, first.clinician.npi);
  }
  const ClientIdentifier* member = memberId(first);
  identifierValue(parameter(*params, "MemberId"), member->system, member->value);
  // ServiceDate: day precision (SHALL for claims); the earliest session the notes document.
  std::string serviceDate = first.session.start.substr(0, 10);
  for (const Note& n : notes) serviceDate = std::min(serviceDate, n.session.start.substr(0, 10));
  choicePrim(parameter(*params, "ServiceDate"), "value", "DateTime", "dateTime", serviceDate);
  for (auto& doc : documents) {
    Element& attachment = parameter(*params, "Attachment");
    for (const auto& line : request.lineItems) {
      choicePrim(part(attachment, "LineItem"), "value", "String", "string", line);
    }
    Element& code = choice(part(attachment, "Code"), "value", "CodeableConcept", "CodeableConcept");
    // 11506-3 is in the CDex attachment code value set; 34904-3 is not (DOMAIN §0.1).
    coding(code, "coding"_name, vocab::kLoinc, "11506-3", "Progress note");
    Element& content = part(attachment, "Content");
    auto resource = Element::makeResource("resource", "DocumentReference");
    for (const auto& c : doc->children()) resource->addChild(c->clone(), c->index() >= 0);
    content.addChild(std::move(resource));
  }
  if (!request.final)
    choicePrim(parameter(*params, "Final"), "value", "Boolean", "boolean", "false");
  return fhir::Result<Element::Ptr>(std::move(params), std::move(outcome));
}

}  // namespace notebridge::mappers

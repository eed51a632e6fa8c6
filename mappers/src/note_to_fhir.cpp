#include "notebridge/mappers/note_to_fhir.h"

#include <algorithm>
#include <array>
#include <utility>

#include "note_text.h"
#include "notebridge/mappers/digest.h"
#include "resource_keys.h"
#include "tree.h"
#include "vocabulary.h"

namespace notebridge::mappers {
namespace {

using fhir::Element;
using fhir::Outcome;
using fhir::Severity;
using namespace tree;

// LOINC document codes a progress note may carry (DOMAIN §1.1).
constexpr std::array<std::pair<std::string_view, std::string_view>, 8> kNoteTypes = {{
    {"11506-3", "Progress note"},
    {"34904-3", "Mental health Progress note"},
    {"11510-5", "Psychology Progress note"},
    {"28627-8", "Psychiatry Progress note"},
    {"28656-7", "Social worker Progress note"},
    {"34785-6", "Mental health Consult note"},
    {"78306-8", "Mental health History and physical note"},
    {"78263-1", "Mental health Discharge summary note"},
}};

// PHQ-9 item LOINC codes in questionnaire order (DOMAIN §2.1); PHQ-2 asks the first two.
constexpr std::array<std::string_view, 9> kPhq9Items = {"44250-9", "44255-8", "44259-0",
                                                        "44254-1", "44251-7", "44258-2",
                                                        "44252-5", "44253-3", "44260-8"};

std::string_view band(Instrument instrument, int total) {
  // LOINC LL382-3 (PHQ-9) and the GAD-7 scoring bands (DOMAIN §0.8).
  if (instrument == Instrument::kPhq9) {
    if (total <= 4) return "None-minimal depression (0-4)";
    if (total <= 9) return "Mild depression (5-9)";
    if (total <= 14) return "Moderate depression (10-14)";
    if (total <= 19) return "Moderately severe depression (15-19)";
    return "Severe depression (20-27)";
  }
  if (instrument == Instrument::kGad7) {
    if (total <= 4) return "Minimal anxiety (0-4)";
    if (total <= 9) return "Mild anxiety (5-9)";
    if (total <= 14) return "Moderate anxiety (10-14)";
    return "Severe anxiety (15-21)";
  }
  return {};
}

struct Label {
  std::string_view system;
  std::string_view code;
};

class Mapper {
 public:
  Mapper(const Note& note, const NoteToFhirOptions& options) : note_(note), options_(options) {}

  Outcome& outcome() { return outcome_; }

  bool check() {
    if (note_.status == NoteStatus::kDraft) {
      outcome_.add(Severity::kError, "business-rule",
                   "a draft note is not sent out; sign it first (DOMAIN §9.3)", "status");
    }
    if (!note_.signature && note_.status != NoteStatus::kDraft) {
      outcome_.add(Severity::kError, "required", "a signed note needs a signature", "signature");
    }
    if (note_.sensitivity.psychotherapyNote && !note_.sensitivity.authorization) {
      outcome_.add(Severity::kError, "security",
                   "a psychotherapy note is only disclosed with an authorization "
                   "(45 CFR 164.508(a)(2), DOMAIN §6.1)",
                   "sensitivity.psychotherapyNote");
    }
    if (note_.practice.npi.empty()) {
      outcome_.add(Severity::kError, "required", "the practice NPI keys every identifier",
                   "practice.npi");
    }
    checkCpt();
    for (std::size_t i = 0; i < note_.diagnoses.size(); ++i) {
      const std::string& code = note_.diagnoses[i].code;
      const bool sud = code.size() >= 3 && code[0] == 'F' && code[1] == '1';
      if (sud) substanceUse_ = true;
      if (sud && !note_.sensitivity.substanceUse) {
        outcome_.add(Severity::kWarning, "business-rule",
                     code +
                         " is a substance-use diagnosis: 42 CFR Part 2 labels added although "
                         "sensitivity.substanceUse is false (DOMAIN §9.16)",
                     "diagnoses[" + std::to_string(i) + "].code");
      }
    }
    if (note_.sensitivity.substanceUse) substanceUse_ = true;
    for (std::size_t i = 0; i < note_.measures.size(); ++i) {
      const Measure& m = note_.measures[i];
      if (m.instrument == Instrument::kPhq9 && m.items.size() == 9 && m.items[8] &&
          *m.items[8] > 0 && (!note_.risk || !note_.risk->suicidalIdeation)) {
        outcome_.add(Severity::kWarning, "business-rule",
                     "PHQ-9 item 9 (thoughts of self-harm) is positive but no suicidal ideation "
                     "is recorded in risk",
                     "measures[" + std::to_string(i) + "].items[8]");
      }
    }
    return !outcome_.hasErrors();
  }

  Element::Ptr build() {
    labels_ = {{vocab::kConfidentiality, "R"}, {vocab::kActCode, "PSY"}, {vocab::kActCode, "MH"}};
    if (substanceUse_) {
      // SUD is a newer THO code; ETH goes along for older receivers (DOMAIN §9.22).
      labels_.push_back({vocab::kActCode, "SUD"});
      labels_.push_back({vocab::kActCode, "ETH"});
      labels_.push_back({vocab::kActCode, "42CFRPart2"});
    }
    if (note_.sensitivity.psychotherapyNote) {
      labels_.push_back({vocab::kActCode, "PSYTHPN"});
      labels_.push_back({vocab::kActCode, "HIPAAPsyNotes"});
    }
    npi_ = note_.practice.npi;
    version_ = "v" + std::to_string(note_.version);
    patientUrl_ = url("patient", {note_.client.id});
    practitionerUrl_ = url("practitioner", {note_.clinician.id});
    organizationUrl_ = url("organization", {});
    encounterUrl_ = url("encounter", {note_.noteId});
    documentUrl_ = url("document", {note_.noteId, version_});

    auto bundle = Element::makeResource("Bundle");
    prim(complex(*bundle, "identifier"_name, "Identifier"_name), "system"_name, "uri"_name,
         vocab::identifierSystem("transaction"));
    bundle->child("identifier")
        ->addChild(
            Element::makePrimitive("value", "string", joinKey({npi_, note_.noteId, version_})));
    prim(*bundle, "type"_name, "code"_name, "transaction");
    bundle_ = bundle.get();

    addOrganization();
    addPractitioner();
    addPractitionerRole();
    addPatient();
    addEncounter();
    addConditions();
    addDocumentReference();
    addObservations();
    addGoals();
    addProcedures();
    addMedications();
    addRisk();
    addAppointment();
    addProvenance();
    return bundle;
  }

 private:
  // The practice NPI and the parts, joined: an identifier value and the name of a UUID.
  std::string key(std::vector<std::string_view> parts) const {
    parts.insert(parts.begin(), npi_);
    return joinKey(parts);
  }
  // urn:uuid fullUrl of a resource: UUID v5 of its kind and key (deterministic, DESIGN §6).
  std::string url(std::string_view kind, std::vector<std::string_view> parts) const {
    std::string name;
    name.reserve(64);
    name.append(kind).append("|").append(key(std::move(parts)));
    std::string out;
    out.reserve(45);
    out.append("urn:uuid:").append(uuidV5(kNoteBridgeNamespace, name));
    return out;
  }

  Element::Ptr resource(std::string_view type, std::string_view profile) {
    auto r = Element::makeResource("resource", std::string(type));
    Element& meta = complex(*r, "meta"_name, "Meta"_name);
    if (!profile.empty()) prim(meta, "profile"_name, "canonical"_name, profile, true);
    for (const Label& l : labels_) coding(meta, "security"_name, l.system, l.code);
    return r;
  }

  // Adds the entry with a conditional create on the resource's NoteBridge identifier (or
  // `condition` when given); a PUT to the conditional URL when `update`; a PUT to [type]/[id]
  // when the resource has an id (https://hl7.org/fhir/R4/http.html#update).
  Element& addEntry(const std::string& fullUrl, Element::Ptr res, std::string condition,
                    bool update = false) {
    Element& entry = complex(*bundle_, "entry"_name, "BackboneElement"_name, true);
    prim(entry, "fullUrl"_name, "uri"_name, fullUrl);
    const std::string type = res->type();
    const std::string id(res->childValue("id"));
    Element& added = entry.addChild(std::move(res));
    Element& request = complex(entry, "request"_name, "BackboneElement"_name);
    if (!id.empty()) {
      prim(request, "method"_name, "code"_name, "PUT");
      prim(request, "url"_name, "uri"_name, type + "/" + id);
    } else if (update) {
      prim(request, "method"_name, "code"_name, "PUT");
      prim(request, "url"_name, "uri"_name, type + "?" + condition);
    } else {
      prim(request, "method"_name, "code"_name, "POST");
      prim(request, "url"_name, "uri"_name, type);
      if (!condition.empty()) prim(request, "ifNoneExist"_name, "string"_name, condition);
    }
    return added;
  }

  // Adds our identifier and returns the conditional-create query for it.
  std::string ownIdentifier(Element& r, std::string_view kind,
                            std::vector<std::string_view> parts) {
    const std::string system = vocab::identifierSystem(kind);
    const std::string value = key(std::move(parts));
    identifier(r, system, value);
    return identifierQuery(system, value);
  }

  void names(Element& r, const std::vector<PersonName>& list) {
    for (const PersonName& n : list) {
      Element& name = complex(r, "name"_name, "HumanName"_name, true);
      if (!n.use.empty()) prim(name, "use"_name, "code"_name, n.use);
      if (!n.family.empty()) prim(name, "family"_name, "string"_name, n.family);
      for (const auto& g : n.given) prim(name, "given"_name, "string"_name, g, true);
    }
  }

  void addOrganization() {
    auto r = resource("Organization", vocab::kUsCoreOrganization);
    identifier(*r, vocab::kNpi, npi_);
    if (!note_.practice.taxId.empty()) {
      Element& id = complex(*r, "identifier"_name, "Identifier"_name, true);
      codeable(id, "type"_name, vocab::kV2IdentifierType, "TAX", "Tax ID number", {}, false);
      prim(id, "system"_name, "uri"_name, vocab::kEin);
      prim(id, "value"_name, "string"_name, note_.practice.taxId);
    }
    prim(*r, "active"_name, "boolean"_name, "true");
    prim(*r, "name"_name, "string"_name, note_.practice.name);
    addEntry(organizationUrl_, std::move(r), identifierQuery(vocab::kNpi, npi_));
  }

  void addPractitioner() {
    const Clinician& c = note_.clinician;
    auto r = resource("Practitioner", vocab::kUsCorePractitioner);
    std::string condition = ownIdentifier(*r, "practitioner", {c.id});
    if (!c.npi.empty()) identifier(*r, vocab::kNpi, c.npi);
    names(*r, c.names);
    for (const auto& credential : c.credentials) {
      Element& q = complex(*r, "qualification"_name, "BackboneElement"_name, true);
      textConcept(q, "code"_name, credential, false);
    }
    addEntry(practitionerUrl_, std::move(r), condition);
  }

  void addPractitionerRole() {
    // No US Core PractitionerRole claim: its us-core-13 wants contact details we do not have.
    auto r = resource("PractitionerRole", {});
    std::string condition = ownIdentifier(*r, "practitioner-role", {note_.clinician.id});
    prim(*r, "active"_name, "boolean"_name, "true");
    reference(*r, "practitioner"_name, practitionerUrl_);
    reference(*r, "organization"_name, organizationUrl_);
    addEntry(url("practitioner-role", {note_.clinician.id}), std::move(r), condition);
  }

  void addPatient() {
    const Client& c = note_.client;
    auto r = resource("Patient", vocab::kUsCorePatient);
    std::string condition = ownIdentifier(*r, "patient", {c.id});
    for (const ClientIdentifier& ci : c.identifiers) {
      Element& id = complex(*r, "identifier"_name, "Identifier"_name, true);
      codeable(id, "type"_name, vocab::kV2IdentifierType, ci.type, {}, {}, false);
      prim(id, "system"_name, "uri"_name, ci.system);
      prim(id, "value"_name, "string"_name, ci.value);
    }
    names(*r, c.names);
    prim(*r, "gender"_name, "code"_name, toString(c.sex));
    if (!c.birthDate.empty()) prim(*r, "birthDate"_name, "date"_name, c.birthDate);
    addEntry(patientUrl_, std::move(r), condition);
  }

  void extensionCoding(Element& r, std::string_view extensionUrl, std::string_view system,
                       std::string_view code) {
    Element& ext = complex(r, "extension"_name, "Extension"_name, true);
    prim(ext, "url"_name, "uri"_name, extensionUrl);
    Element& value = choice(ext, "value", "Coding", "Coding");
    prim(value, "system"_name, "uri"_name, system);
    prim(value, "code"_name, "code"_name, code);
  }

  void addEncounter() {
    const Session& s = note_.session;
    auto r = resource("Encounter", vocab::kUsCoreEncounter);
    if (!s.placeOfService.empty()) {
      extensionCoding(*r, vocab::kPosExtension, vocab::kPos, s.placeOfService);
    }
    for (const auto& m : s.modifiers)
      extensionCoding(*r, vocab::kModifierExtension, vocab::kCpt, m);
    std::string condition = ownIdentifier(*r, "encounter", {note_.noteId});
    prim(*r, "status"_name, "code"_name, retractsEncounter() ? "entered-in-error" : "finished");
    // Encounter.class AMB vs VR (virtual) from v3-ActCode (DOMAIN §3.4).
    Element& cls = complex(*r, "class"_name, "Coding"_name);
    prim(cls, "system"_name, "uri"_name, vocab::kActCode);
    if (s.modality == Modality::kInPerson) {
      prim(cls, "code"_name, "code"_name, "AMB");
      prim(cls, "display"_name, "string"_name, "ambulatory");
    } else {
      prim(cls, "code"_name, "code"_name, "VR");
      prim(cls, "display"_name, "string"_name, "virtual");
    }
    codeable(*r, "type"_name, vocab::kCpt, s.cpt);
    for (const auto& a : s.addOnCodes) codeable(*r, "type"_name, vocab::kCpt, a);
    codeable(*r, "type"_name, vocab::kModalitySystem, toString(s.modality));
    reference(*r, "subject"_name, patientUrl_);
    {
      Element& p = complex(*r, "participant"_name, "BackboneElement"_name, true);
      codeable(p, "type"_name, vocab::kParticipationType, "PPRF", "primary performer");
      reference(p, "individual"_name, practitionerUrl_);
    }
    for (const Participant& other : s.participants) {
      Element& p = complex(*r, "participant"_name, "BackboneElement"_name, true);
      codeable(p, "type"_name, vocab::kParticipantRoleSystem, other.role);
      if (!other.name.empty()) {
        Element& ind = complex(p, "individual"_name, "Reference"_name);
        prim(ind, "display"_name, "string"_name, other.name);
      }
    }
    period(*r, "period"_name, s.start, s.end);
    Element& length = complex(*r, "length"_name, "Duration"_name);
    prim(length, "value"_name, "decimal"_name, std::to_string(s.minutes));
    prim(length, "unit"_name, "string"_name, "min");
    prim(length, "system"_name, "uri"_name, vocab::kUcum);
    prim(length, "code"_name, "code"_name, "min");
    for (const auto& reason : note_.reasons) textConcept(*r, "reasonCode"_name, reason);
    for (const Diagnosis& d : note_.diagnoses) {
      Element& diag = complex(*r, "diagnosis"_name, "BackboneElement"_name, true);
      reference(diag, "condition"_name, conditionUrl(d));
      prim(diag, "rank"_name, "positiveInt"_name, std::to_string(d.rank));
    }
    reference(*r, "serviceProvider"_name, organizationUrl_);
    if (retractsEncounter()) retractedTargets_.push_back(encounterUrl_);
    addEntry(encounterUrl_, std::move(r), condition, retractsEncounter());
  }

  // Entered in error (https://hl7.org/fhir/R4/valueset-encounter-status.html: "should not have
  // been part of this patient's medical record"): the Encounter is keyed by the note id alone,
  // so it exists because of this note. An amendment that is retracted leaves it: the version it
  // replaced still documents the session.
  bool retractsEncounter() const { return retracted() && !note_.replaces; }
  bool retracted() const { return note_.status == NoteStatus::kEnteredInError; }

  std::string conditionUrl(const Diagnosis& d) const {
    return url("condition", {note_.client.id, d.code});
  }

  // Conditions are the client's, keyed by client and code and reused by every note that makes
  // the diagnosis (DOMAIN §9.6), so retracting one note never retracts them: they stay
  // conditional creates (a no-op where they exist). The retracted Encounter's diagnosis link is
  // what ties them to this session.
  void addConditions() {
    for (const Diagnosis& d : note_.diagnoses) {
      auto r = resource("Condition", vocab::kUsCoreCondition);
      std::string condition = ownIdentifier(*r, "condition", {note_.client.id, d.code});
      codeable(*r, "clinicalStatus"_name, vocab::kConditionClinical, "active", {}, {}, false);
      codeable(*r, "verificationStatus"_name, vocab::kConditionVerification, "confirmed", {}, {},
               false);
      codeable(*r, "category"_name, vocab::kConditionCategory, "encounter-diagnosis",
               "Encounter Diagnosis");
      codeable(*r, "code"_name, vocab::kIcd10Cm, d.code, d.display, {}, false);
      reference(*r, "subject"_name, patientUrl_);
      reference(*r, "encounter"_name, encounterUrl_);
      addEntry(conditionUrl(d), std::move(r), condition);
    }
  }

  void attachment(Element& doc, std::string_view contentType, const std::string& bytes,
                  std::string_view title) {
    Element& content = complex(doc, "content"_name, "BackboneElement"_name, true);
    Element& a = complex(content, "attachment"_name, "Attachment"_name);
    prim(a, "contentType"_name, "code"_name, contentType);
    primMoved(a, "data"_name, "base64Binary"_name, base64Encode(bytes));
    // size is the byte count before base64; hash the base64 SHA-1 of those bytes
    // (https://hl7.org/fhir/R4/datatypes.html#Attachment, DOMAIN §9.9).
    prim(a, "size"_name, "unsignedInt"_name, std::to_string(bytes.size()));
    const auto digest = sha1(bytes);
    prim(a, "hash"_name, "base64Binary"_name,
         base64Encode(
             std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size())));
    prim(a, "title"_name, "string"_name, title);
    prim(a, "creation"_name, "dateTime"_name, note_.signature->signedAt);
  }

  std::pair<std::string, std::string> noteType() {
    std::string code = options_.noteTypeCode;
    auto known = std::find_if(kNoteTypes.begin(), kNoteTypes.end(),
                              [&](const auto& t) { return t.first == code; });
    if (known == kNoteTypes.end()) {
      outcome_.add(Severity::kWarning, "code-invalid",
                   "note type '" + code + "' is not a known LOINC note code; 11506-3 used",
                   "DocumentReference.type");
      known = kNoteTypes.begin();
    }
    return {std::string(known->first), std::string(known->second)};
  }

  void addDocumentReference() {
    auto r = resource("DocumentReference", vocab::kUsCoreDocumentReference);
    // No standard code says SOAP/DAP/BIRP: a tag keeps it (DOMAIN §8, note format row).
    coding(*r->child("meta"), "tag"_name, vocab::kNoteFormatSystem, toString(note_.format));
    // The XHTML rendering as the resource narrative; FHIR -> note reads the sections back from it.
    Element& narrative = complex(*r, "text"_name, "Narrative"_name);
    prim(narrative, "status"_name, "code"_name, "generated");
    XhtmlRenderings xhtml;
    if (options_.includeXhtmlAttachment) {
      xhtml = renderXhtmlAndNarrativeDiv(note_);
    } else {
      xhtml.div = renderNarrativeDiv(note_);
    }
    narrative.addChild(Element::makeXhtml(std::move(xhtml.div)));
    const std::string noteKey = joinKey({npi_, note_.noteId, version_});
    identifier(*r, vocab::kNoteIdSystem, noteKey);
    const std::string condition = identifierQuery(vocab::kNoteIdSystem, noteKey);
    const bool retracted = note_.status == NoteStatus::kEnteredInError;
    prim(*r, "status"_name, "code"_name, retracted ? "entered-in-error" : "current");
    prim(*r, "docStatus"_name, "code"_name,
         retracted ? "entered-in-error"
                   : (note_.status == NoteStatus::kAmended ? "amended" : "final"));
    const auto [typeCode, typeDisplay] = noteType();
    Element& type = complex(*r, "type"_name, "CodeableConcept"_name);
    coding(type, "coding"_name, vocab::kLoinc, typeCode, typeDisplay);
    if (options_.addGenericNoteType && typeCode != "11506-3") {
      coding(type, "coding"_name, vocab::kLoinc, "11506-3", "Progress note");
    }
    codeable(*r, "category"_name, vocab::kDocCategory, "clinical-note", "Clinical Note");
    reference(*r, "subject"_name, patientUrl_);
    prim(*r, "date"_name, "instant"_name,
         options_.created.empty() ? note_.signature->signedAt : options_.created);
    reference(*r, "author"_name, practitionerUrl_, true);
    reference(*r, "authenticator"_name, practitionerUrl_);
    reference(*r, "custodian"_name, organizationUrl_);
    if (note_.replaces) {
      // An amendment is a new DocumentReference that replaces the old one (DOMAIN §9.1); the
      // target is a logical reference by the old version's identifier.
      Element& rel = complex(*r, "relatesTo"_name, "BackboneElement"_name, true);
      prim(rel, "code"_name, "code"_name, "replaces");
      Element& target = complex(rel, "target"_name, "Reference"_name);
      prim(target, "type"_name, "uri"_name, "DocumentReference");
      Element& id = complex(target, "identifier"_name, "Identifier"_name);
      prim(id, "system"_name, "uri"_name, vocab::kNoteIdSystem);
      prim(id, "value"_name, "string"_name,
           joinKey({npi_, note_.replaces->noteId, "v" + std::to_string(note_.replaces->version)}));
    }
    for (const Label& l : labels_) codeable(*r, "securityLabel"_name, l.system, l.code);
    attachment(*r, "text/plain; charset=utf-8", renderPlainText(note_), "Progress note");
    if (options_.includeXhtmlAttachment) {
      attachment(*r, "application/xhtml+xml; charset=utf-8", std::move(xhtml.document),
                 "Progress note (XHTML)");
    }
    Element& context = complex(*r, "context"_name, "BackboneElement"_name);
    reference(context, "encounter"_name, encounterUrl_, true);
    period(context, "period"_name, note_.session.start, note_.session.end);
    if (note_.sensitivity.authorization) {
      Element& related = complex(context, "related"_name, "Reference"_name, true);
      prim(related, "type"_name, "uri"_name, "Consent");
      Element& id = complex(related, "identifier"_name, "Identifier"_name);
      prim(id, "system"_name, "uri"_name, vocab::kAuthorizationSystem);
      prim(id, "value"_name, "string"_name, note_.sensitivity.authorization->id);
      period(id, "period"_name, note_.sensitivity.authorization->date, {});
    }
    addEntry(documentUrl_, std::move(r), condition, retracted);
    addAttachmentDocuments(typeCode, typeDisplay);
  }

  // Kept attachments (e.g. a PDF read from outside) travel as their own DocumentReferences that
  // append to the note (https://hl7.org/fhir/R4/valueset-document-relationship-type.html): the
  // note itself keeps a single text content entry, as our profile and Oracle want.
  void addAttachmentDocuments(const std::string& typeCode, const std::string& typeDisplay) {
    for (std::size_t i = 0; i < note_.attachments.size(); ++i) {
      const OpaqueAttachment& a = note_.attachments[i];
      const std::string index = std::to_string(i);
      auto r = resource("DocumentReference", {});
      std::string condition = ownIdentifier(*r, "attachment", {note_.noteId, version_, index});
      // Retracted with the note, like the note's own DocumentReference.
      prim(*r, "status"_name, "code"_name, retracted() ? "entered-in-error" : "current");
      prim(*r, "docStatus"_name, "code"_name, retracted() ? "entered-in-error" : "final");
      codeable(*r, "type"_name, vocab::kLoinc, typeCode, typeDisplay, {}, false);
      codeable(*r, "category"_name, vocab::kDocCategory, "clinical-note", "Clinical Note");
      reference(*r, "subject"_name, patientUrl_);
      prim(*r, "date"_name, "instant"_name,
           options_.created.empty() ? note_.signature->signedAt : options_.created);
      reference(*r, "author"_name, practitionerUrl_, true);
      Element& rel = complex(*r, "relatesTo"_name, "BackboneElement"_name, true);
      prim(rel, "code"_name, "code"_name, "appends");
      reference(rel, "target"_name, documentUrl_);
      for (const Label& l : labels_) codeable(*r, "securityLabel"_name, l.system, l.code);
      Element& content = complex(*r, "content"_name, "BackboneElement"_name, true);
      Element& att = complex(content, "attachment"_name, "Attachment"_name);
      prim(att, "contentType"_name, "code"_name, a.contentType);
      prim(att, "data"_name, "base64Binary"_name, a.data);
      if (!a.title.empty()) prim(att, "title"_name, "string"_name, a.title);
      Element& context = complex(*r, "context"_name, "BackboneElement"_name);
      reference(context, "encounter"_name, encounterUrl_, true);
      period(context, "period"_name, note_.session.start, note_.session.end);
      const std::string fullUrl = url("attachment", {note_.noteId, version_, index});
      targets_.push_back(fullUrl);
      if (retracted()) retractedTargets_.push_back(fullUrl);
      addEntry(fullUrl, std::move(r), condition, retracted());
    }
  }

  std::string_view observationStatus() const {
    switch (note_.status) {
      case NoteStatus::kAmended:
        return "amended";
      case NoteStatus::kEnteredInError:
        return "entered-in-error";
      default:
        return "final";
    }
  }

  void addObservations() {
    for (std::size_t i = 0; i < note_.measures.size(); ++i) {
      const Measure& m = note_.measures[i];
      const InstrumentInfo& info = instrumentInfo(m.instrument);
      const std::string index = std::to_string(i);
      auto r = resource("Observation", vocab::kUsCoreScreening);
      std::string condition =
          ownIdentifier(*r, "observation", {note_.noteId, version_, info.name, index});
      prim(*r, "status"_name, "code"_name, observationStatus());
      codeable(*r, "category"_name, vocab::kObservationCategory, "survey", "Survey");
      codeable(*r, "code"_name, vocab::kLoinc, info.totalCode, {}, info.totalText, false);
      reference(*r, "subject"_name, patientUrl_);
      reference(*r, "encounter"_name, encounterUrl_);
      choicePrim(*r, "effective", "DateTime", "dateTime", note_.session.start);
      reference(*r, "performer"_name, practitionerUrl_, true);
      if (m.total) {
        // valueQuantity with the LOINC example unit {score} (DOMAIN §2.3).
        Element& q = choice(*r, "value", "Quantity", "Quantity");
        prim(q, "value"_name, "decimal"_name, std::to_string(*m.total));
        prim(q, "unit"_name, "string"_name, "{score}");
        prim(q, "system"_name, "uri"_name, vocab::kUcum);
        prim(q, "code"_name, "code"_name, "{score}");
      } else if (m.absentReason) {
        codeable(*r, "dataAbsentReason"_name, vocab::kDataAbsentReason, toString(*m.absentReason),
                 {}, {}, false);
      } else {
        // Items without a total (an incomplete form is not totalled, DOMAIN §9.4): the total
        // is unknown. Our profile wants a value or a reason even beside components.
        codeable(*r, "dataAbsentReason"_name, vocab::kDataAbsentReason, "unknown", {}, {}, false);
      }
      if (m.total && !band(m.instrument, *m.total).empty()) {
        textConcept(*r, "interpretation"_name, band(m.instrument, *m.total));
      }
      reference(*r, "derivedFrom"_name, documentUrl_, true);
      for (std::size_t item = 0; item < m.items.size(); ++item) {
        if (!m.items[item]) continue;
        Element& component = complex(*r, "component"_name, "BackboneElement"_name, true);
        Element& code = complex(component, "code"_name, "CodeableConcept"_name);
        const bool phq = m.instrument == Instrument::kPhq9 || m.instrument == Instrument::kPhq2;
        if (phq && item < kPhq9Items.size())
          coding(code, "coding"_name, vocab::kLoinc, kPhq9Items[item]);
        const std::string itemCode = std::string(info.name) + "-" + std::to_string(item + 1);
        coding(code, "coding"_name, vocab::kItemSystem, itemCode);
        prim(code, "text"_name, "string"_name,
             std::string(info.name) + " item " + std::to_string(item + 1));
        choicePrim(component, "value", "Integer", "integer", std::to_string(*m.items[item]));
      }
      const std::string fullUrl = url("observation", {note_.noteId, version_, info.name, index});
      targets_.push_back(fullUrl);
      if (retracted()) retractedTargets_.push_back(fullUrl);
      addEntry(fullUrl, std::move(r), condition, retracted());
    }
  }

  // Goals are the client's (keyed by client and goal id, carried from note to note): a retracted
  // note leaves them as they are, like Conditions.
  void addGoals() {
    for (const Goal& g : note_.goals) {
      auto r = resource("Goal", vocab::kUsCoreGoal);
      std::string condition = ownIdentifier(*r, "goal", {note_.client.id, g.id});
      prim(*r, "lifecycleStatus"_name, "code"_name, toString(g.status));
      if (g.progress) {
        static constexpr std::array<std::string_view, 4> kAchievement = {"improving", "no-change",
                                                                         "worsening", "achieved"};
        codeable(*r, "achievementStatus"_name, vocab::kGoalAchievement,
                 kAchievement[static_cast<std::size_t>(*g.progress)], {}, {}, false);
      }
      textConcept(*r, "description"_name, g.description, false);
      reference(*r, "subject"_name, patientUrl_);
      if (!g.setbacks.empty()) annotation(*r, g.setbacks);
      const std::string fullUrl = url("goal", {note_.client.id, g.id});
      targets_.push_back(fullUrl);
      addEntry(fullUrl, std::move(r), condition);
    }
  }

  void addProcedures() {
    for (std::size_t i = 0; i < note_.interventions.size(); ++i) {
      const Intervention& in = note_.interventions[i];
      const std::string index = std::to_string(i);
      auto r = resource("Procedure", {});
      std::string condition = ownIdentifier(*r, "procedure", {note_.noteId, version_, index});
      // https://hl7.org/fhir/R4/valueset-event-status.html
      prim(*r, "status"_name, "code"_name, retracted() ? "entered-in-error" : "completed");
      textConcept(*r, "code"_name, in.name, false);
      reference(*r, "subject"_name, patientUrl_);
      reference(*r, "encounter"_name, encounterUrl_);
      Element& performed = choice(*r, "performed", "Period", "Period");
      prim(performed, "start"_name, "dateTime"_name, note_.session.start);
      prim(performed, "end"_name, "dateTime"_name, note_.session.end);
      Element& performer = complex(*r, "performer"_name, "BackboneElement"_name, true);
      reference(performer, "actor"_name, practitionerUrl_);
      if (in.response) {
        // R4 procedure-outcome example codes
        // (https://hl7.org/fhir/R4/valueset-procedure-outcome.html).
        static constexpr std::array<std::pair<std::string_view, std::string_view>, 3> kOutcome = {
            {{"385669000", "Successful"},
             {"385670004", "Partially successful"},
             {"385671000", "Unsuccessful"}}};
        const auto& o = kOutcome[static_cast<std::size_t>(*in.response)];
        codeable(*r, "outcome"_name, vocab::kSnomed, o.first, o.second, {}, false);
      }
      if (!in.comment.empty()) annotation(*r, in.comment);
      const std::string fullUrl = url("procedure", {note_.noteId, version_, index});
      targets_.push_back(fullUrl);
      if (retracted()) retractedTargets_.push_back(fullUrl);
      addEntry(fullUrl, std::move(r), condition, retracted());
    }
  }

  void addMedications() {
    for (const Medication& m : note_.medications) {
      auto r = resource("MedicationStatement", {});
      {
        // Extension order is id, extension, url, value[x]: the nested extension precedes url.
        Element& ext = complex(*r, "extension"_name, "Extension"_name, true);
        Element& code = complex(ext, "extension"_name, "Extension"_name, true);
        prim(code, "url"_name, "uri"_name, "code");
        Element& value = choice(code, "value", "CodeableConcept", "CodeableConcept");
        coding(value, "coding"_name, vocab::kAdherenceCodes, toString(m.adherence));
        prim(ext, "url"_name, "uri"_name, vocab::kAdherenceExtension);
      }
      std::string condition =
          ownIdentifier(*r, "medication-statement", {note_.noteId, version_, m.id});
      static constexpr std::array<std::string_view, 5> kStatus = {"active", "active", "not-taken",
                                                                  "stopped", "unknown"};
      // https://hl7.org/fhir/R4/valueset-medication-statement-status.html; the adherence
      // extension still carries what the note said.
      prim(*r, "status"_name, "code"_name,
           retracted() ? std::string_view("entered-in-error")
                       : kStatus[static_cast<std::size_t>(m.adherence)]);
      Element& med = choice(*r, "medication", "CodeableConcept", "CodeableConcept");
      if (!m.rxnorm.empty()) coding(med, "coding"_name, vocab::kRxNorm, m.rxnorm);
      prim(med, "text"_name, "string"_name, m.name);
      reference(*r, "subject"_name, patientUrl_);
      reference(*r, "context"_name, encounterUrl_);
      prim(*r, "dateAsserted"_name, "dateTime"_name, note_.session.start);
      reference(*r, "informationSource"_name, patientUrl_);
      if (!m.comment.empty()) annotation(*r, m.comment);
      const std::string fullUrl = url("medication-statement", {note_.noteId, version_, m.id});
      targets_.push_back(fullUrl);
      if (retracted()) retractedTargets_.push_back(fullUrl);
      addEntry(fullUrl, std::move(r), condition, retracted());
    }
  }

  void addRisk() {
    if (!note_.risk) return;
    const Risk& risk = *note_.risk;
    auto r = resource("RiskAssessment", {});
    std::string condition = ownIdentifier(*r, "risk-assessment", {note_.noteId, version_});
    // RiskAssessment.status takes observation-status
    // (https://hl7.org/fhir/R4/riskassessment-definitions.html#RiskAssessment.status).
    prim(*r, "status"_name, "code"_name, retracted() ? "entered-in-error" : "final");
    textConcept(*r, "code"_name, "Suicide and violence risk assessment", false);
    reference(*r, "subject"_name, patientUrl_);
    reference(*r, "encounter"_name, encounterUrl_);
    choicePrim(*r, "occurrence", "DateTime", "dateTime", note_.session.start);
    reference(*r, "performer"_name, practitionerUrl_);
    static constexpr std::array<std::string_view, 4> kProbability = {"negligible", "low",
                                                                     "moderate", "high"};
    {
      Element& p = complex(*r, "prediction"_name, "BackboneElement"_name, true);
      codeable(p, "outcome"_name, vocab::kRiskSystem, "suicide", "Suicide", {}, false);
      codeable(p, "qualitativeRisk"_name, vocab::kRiskProbability,
               kProbability[static_cast<std::size_t>(risk.level)], {}, {}, false);
      prim(p, "rationale"_name, "string"_name,
           risk.suicidalIdeation ? "Suicidal ideation reported" : "Suicidal ideation denied");
    }
    {
      Element& p = complex(*r, "prediction"_name, "BackboneElement"_name, true);
      codeable(p, "outcome"_name, vocab::kRiskSystem, "homicide", "Homicide", {}, false);
      prim(p, "rationale"_name, "string"_name,
           risk.homicidalIdeation ? "Homicidal ideation reported" : "Homicidal ideation denied");
    }
    if (!risk.safetyPlan.empty()) prim(*r, "mitigation"_name, "string"_name, risk.safetyPlan);
    const std::string fullUrl = url("risk-assessment", {note_.noteId, version_});
    targets_.push_back(fullUrl);
    if (retracted()) retractedTargets_.push_back(fullUrl);
    addEntry(fullUrl, std::move(r), condition, retracted());
  }

  void addAppointment() {
    if (note_.nextSession.empty()) return;
    auto r = resource("Appointment", {});
    std::string condition = ownIdentifier(*r, "appointment", {note_.noteId, version_});
    // Proposed, with the wished time as requestedPeriod: app-2 wants start and end together.
    // A retracted note cancels it: app-3 allows entered-in-error only with start and end, which
    // a wished time does not have (https://hl7.org/fhir/R4/appointment.html#invs).
    prim(*r, "status"_name, "code"_name, retracted() ? "cancelled" : "proposed");
    for (const auto& [actor, status] :
         {std::pair{patientUrl_, "needs-action"}, std::pair{practitionerUrl_, "accepted"}}) {
      Element& p = complex(*r, "participant"_name, "BackboneElement"_name, true);
      reference(p, "actor"_name, actor);
      prim(p, "status"_name, "code"_name, status);
    }
    Element& requested = complex(*r, "requestedPeriod"_name, "Period"_name, true);
    prim(requested, "start"_name, "dateTime"_name, note_.nextSession);
    const std::string fullUrl = url("appointment", {note_.noteId, version_});
    targets_.push_back(fullUrl);
    if (retracted()) retractedTargets_.push_back(fullUrl);
    addEntry(fullUrl, std::move(r), condition, retracted());
  }

  // Provenance has no identifier in R4 (https://hl7.org/fhir/R4/provenance.html), so a
  // conditional create has nothing of ours to match on, and a plain POST would make a second copy
  // on every retried delivery. It is written by id instead: PUT Provenance/[id] with an id derived
  // from practice, note id, version and event (update as create,
  // https://hl7.org/fhir/R4/http.html#upsert), so a retry overwrites the same record.
  // The retraction of a note is its own event with its own id (activity NULLIFY), targeting what
  // was retracted; the original record stays.
  void addProvenance() {
    const std::string event = retracted() ? "entered-in-error" : "transform";
    const std::string provenanceUrl = url("provenance", {note_.noteId, version_, event});
    auto r = Element::makeResource("resource", "Provenance");
    prim(*r, "id"_name, "id"_name, provenanceUrl.substr(std::string_view("urn:uuid:").size()));
    {
      Element& meta = complex(*r, "meta"_name, "Meta"_name);
      prim(meta, "profile"_name, "canonical"_name, vocab::kUsCoreProvenance, true);
      for (const Label& l : labels_) coding(meta, "security"_name, l.system, l.code);
    }
    reference(*r, "target"_name, documentUrl_, true);
    if (retracted()) {
      for (const auto& t : retractedTargets_) reference(*r, "target"_name, t, true);
    } else {
      reference(*r, "target"_name, encounterUrl_, true);
      for (const Diagnosis& d : note_.diagnoses)
        reference(*r, "target"_name, conditionUrl(d), true);
      for (const auto& t : targets_) reference(*r, "target"_name, t, true);
    }
    prim(*r, "recorded"_name, "instant"_name,
         retracted() && !options_.created.empty() ? options_.created : note_.signature->signedAt);
    if (retracted()) {
      // https://hl7.org/fhir/R4/valueset-provenance-activity-type.html: v3 DataOperation NULLIFY,
      // "treat as though it never existed".
      codeable(*r, "activity"_name, vocab::kDataOperation, "NULLIFY", "nullify", {}, false);
    } else {
      // Transform: the note was translated to FHIR (DOMAIN §6.5).
      codeable(*r, "activity"_name, vocab::kLifecycle, "transform",
               "Transform/Translate Record Lifecycle Event", {}, false);
    }
    {
      Element& agent = complex(*r, "agent"_name, "BackboneElement"_name, true);
      codeable(agent, "type"_name, vocab::kProvenanceParticipant, "author", "Author", {}, false);
      reference(agent, "who"_name, practitionerUrl_);
      reference(agent, "onBehalfOf"_name, organizationUrl_);
    }
    {
      Element& agent = complex(*r, "agent"_name, "BackboneElement"_name, true);
      codeable(agent, "type"_name, vocab::kUsCoreProvenanceParticipant, "transmitter",
               "Transmitter", {}, false);
      reference(agent, "who"_name, organizationUrl_);
    }
    {
      Element& entity = complex(*r, "entity"_name, "BackboneElement"_name, true);
      prim(entity, "role"_name, "code"_name, "source");
      Element& what = complex(entity, "what"_name, "Reference"_name);
      Element& id = complex(what, "identifier"_name, "Identifier"_name);
      prim(id, "system"_name, "uri"_name, vocab::kNoteIdSystem);
      prim(id, "value"_name, "string"_name, joinKey({npi_, note_.noteId, version_}));
    }
    {
      Element& sig = complex(*r, "signature"_name, "Signature"_name, true);
      coding(sig, "type"_name, vocab::kSignatureType, "1.2.840.10065.1.12.1.1",
             "Author's Signature");
      prim(sig, "when"_name, "instant"_name, note_.signature->signedAt);
      reference(sig, "who"_name, practitionerUrl_);
      prim(sig, "sigFormat"_name, "code"_name, "text/plain");
      prim(sig, "data"_name, "base64Binary"_name, base64Encode(note_.signature->attestation));
    }
    addEntry(provenanceUrl, std::move(r), {});
  }

  void checkCpt() {
    const Session& s = note_.session;
    auto warn = [&](const std::string& message) {
      outcome_.add(Severity::kWarning, "business-rule", message, "session.cpt");
    };
    static constexpr std::array<std::string_view, 3> kPlain = {"90832", "90834", "90837"};
    static constexpr std::array<std::string_view, 3> kWithEm = {"90833", "90836", "90838"};
    const std::string expected = expectedPsychotherapyCpt(s.minutes);
    for (std::size_t i = 0; i < 3; ++i) {
      if (s.cpt == kPlain[i] && expected != kPlain[i]) {
        warn("CPT " + s.cpt + " does not match " + std::to_string(s.minutes) + " minutes" +
             (expected.empty() ? " (under 16 minutes is not billable psychotherapy)"
                               : " (expected " + expected + ", DOMAIN §3.1)"));
      }
    }
    for (const auto& code : s.addOnCodes) {
      for (std::size_t i = 0; i < 3; ++i) {
        const std::size_t want =
            expected.empty()
                ? 99
                : static_cast<std::size_t>(std::find(kPlain.begin(), kPlain.end(), expected) -
                                           kPlain.begin());
        if (code == kWithEm[i] && want != i) {
          warn("add-on CPT " + code + " does not match " + std::to_string(s.minutes) + " minutes");
        }
      }
    }
    if ((s.cpt == "90846" || s.cpt == "90847") && s.minutes < 26) {
      warn("family psychotherapy " + s.cpt + " needs at least 26 minutes; " +
           std::to_string(s.minutes) + " recorded");
    }
  }

  const Note& note_;
  const NoteToFhirOptions& options_;
  Outcome outcome_;
  bool substanceUse_ = false;
  std::vector<Label> labels_;
  std::string npi_;
  std::string version_;
  std::string patientUrl_, practitionerUrl_, organizationUrl_, encounterUrl_, documentUrl_;
  std::vector<std::string> targets_;
  std::vector<std::string> retractedTargets_;  // fullUrls set to entered-in-error (or cancelled)
  Element* bundle_ = nullptr;
};

}  // namespace

std::string expectedPsychotherapyCpt(int minutes) {
  if (minutes < 16) return {};
  if (minutes <= 37) return "90832";
  if (minutes <= 52) return "90834";
  return "90837";
}

fhir::Result<Element::Ptr> noteToFhir(const Note& note, const NoteToFhirOptions& options) {
  Mapper mapper(note, options);
  if (!mapper.check()) return fhir::Result<Element::Ptr>(std::move(mapper.outcome()));
  Element::Ptr bundle = mapper.build();
  return fhir::Result<Element::Ptr>(std::move(bundle), std::move(mapper.outcome()));
}

}  // namespace notebridge::mappers

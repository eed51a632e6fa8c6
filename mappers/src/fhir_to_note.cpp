#include "notebridge/mappers/fhir_to_note.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <set>

#include "note_text.h"
#include "notebridge/mappers/digest.h"
#include "resource_keys.h"
#include "vocabulary.h"

namespace notebridge::mappers {
namespace {

using fhir::Element;
using fhir::Outcome;
using fhir::Severity;

std::string str(const Element* e, std::string_view name) {
  return e ? std::string(e->childValue(name)) : std::string();
}

const Element* codingWith(const Element* cc, std::string_view system) {
  if (!cc) return nullptr;
  for (const Element* c : cc->childrenNamed("coding")) {
    if (c->childValue("system") == system) return c;
  }
  return nullptr;
}

std::string codeWith(const Element* cc, std::string_view system) {
  return str(codingWith(cc, system), "code");
}

bool startsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Our identifier on a resource of a kind: its key parts, or empty.
std::vector<std::string> ownKey(const Element* resource, std::string_view kind) {
  if (!resource) return {};
  const std::string system = vocab::identifierSystem(kind);
  for (const Element* id : resource->childrenNamed("identifier")) {
    if (id->childValue("system") == system) return splitKey(id->childValue("value"));
  }
  return {};
}

class Reader {
 public:
  explicit Reader(const Element& root) : root_(root) {}

  fhir::Result<Note> read() {
    collect();
    const Element* doc = findDocument();
    if (!doc) {
      return fhir::Result<Note>::failure(
          Severity::kError, "not-found",
          "no DocumentReference found (expected a DocumentReference or a Bundle holding one)",
          root_.name());
    }
    use(doc);
    document_ = doc;
    Note note;
    readDocument(*doc, note);
    reportUnused();
    return fhir::Result<Note>(std::move(note), std::move(outcome_));
  }

 private:
  void warn(const Element* at, std::string code, std::string message) {
    outcome_.add(Severity::kWarning, std::move(code), std::move(message),
                 at ? at->path() : std::string());
  }
  void info(const Element* at, std::string message) {
    outcome_.add(Severity::kInformation, "informational", std::move(message),
                 at ? at->path() : std::string());
  }

  void index(const Element* resource, std::string_view fullUrl) {
    resources_.push_back(resource);
    if (!fullUrl.empty()) byUrl_[std::string(fullUrl)] = resource;
    const std::string id(resource->childValue("id"));
    if (!id.empty()) byUrl_[resource->type() + "/" + id] = resource;
  }

  void collect() {
    if (root_.type() == "Bundle") {
      for (const Element* entry : root_.childrenNamed("entry")) {
        const Element* res = entry->child("resource");
        if (!res) {
          warn(entry, "incomplete", "Bundle entry without a resource");
          continue;
        }
        index(res, entry->childValue("fullUrl"));
        for (const Element* c : res->childrenNamed("contained")) {
          contained_[res][std::string("#") + std::string(c->childValue("id"))] = c;
        }
      }
    } else {
      index(&root_, {});
      for (const Element* c : root_.childrenNamed("contained")) {
        contained_[&root_][std::string("#") + std::string(c->childValue("id"))] = c;
      }
    }
  }

  // The note's DocumentReference: ours (by identifier) or the first that appends to nothing.
  // Documents that append to it are read as its attachments; any other is reported.
  const Element* findDocument() {
    const Element* found = nullptr;
    for (const Element* r : resources_) {
      if (r->type() != "DocumentReference" || appends(*r)) continue;
      for (const Element* id : r->childrenNamed("identifier")) {
        if (id->childValue("system") == vocab::kNoteIdSystem && !found) found = r;
      }
    }
    for (const Element* r : resources_) {
      if (r->type() != "DocumentReference" || appends(*r) || r == found) continue;
      if (!found) {
        found = r;
      } else {
        warn(r, "not-supported", "only one DocumentReference is read as the note; this one is not");
        use(r);
      }
    }
    return found;
  }

  static bool appends(const Element& doc) {
    for (const Element* rel : doc.childrenNamed("relatesTo")) {
      if (rel->childValue("code") == "appends") return true;
    }
    return false;
  }

  void use(const Element* resource) { used_.insert(resource); }

  // Resolves a Reference: contained ("#id"), a fullUrl, "Type/id", or an absolute URL ending in
  // "Type/id". Null (with no issue) when not resolvable: a reference may point outside.
  const Element* resolve(const Element* reference) {
    if (!reference) return nullptr;
    const std::string ref(reference->childValue("reference"));
    if (ref.empty()) return nullptr;
    if (ref[0] == '#') {
      const Element* owner = reference->containingResource();
      while (owner && owner->parent() && owner->parent()->containingResource() &&
             owner->name() == "contained") {
        owner = owner->parent()->containingResource();
      }
      auto it = contained_.find(owner);
      if (it == contained_.end()) return nullptr;
      auto c = it->second.find(ref);
      return c == it->second.end() ? nullptr : c->second;
    }
    if (auto it = byUrl_.find(ref); it != byUrl_.end()) return it->second;
    // http://server/fhir/Patient/123 -> Patient/123 (also drops a _history suffix)
    std::string tail = ref;
    if (auto h = tail.find("/_history/"); h != std::string::npos) tail.resize(h);
    const auto last = tail.rfind('/');
    if (last != std::string::npos && last > 0) {
      const auto prev = tail.rfind('/', last - 1);
      const std::string local = tail.substr(prev == std::string::npos ? 0 : prev + 1);
      if (auto it = byUrl_.find(local); it != byUrl_.end()) return it->second;
    }
    return nullptr;
  }

  // The id part of "Patient/123" when the reference cannot be resolved.
  static std::string idFromReference(const Element* reference) {
    const std::string ref(reference ? reference->childValue("reference") : "");
    const auto slash = ref.rfind('/');
    return slash == std::string::npos ? ref : ref.substr(slash + 1);
  }

  std::vector<PersonName> names(const Element& r) {
    std::vector<PersonName> out;
    for (const Element* n : r.childrenNamed("name")) {
      PersonName name;
      name.use = str(n, "use");
      name.family = str(n, "family");
      for (const Element* g : n->childrenNamed("given")) name.given.push_back(g->value());
      if (name.family.empty() && name.given.empty() && !n->childValue("text").empty()) {
        name.family = str(n, "text");
        warn(n, "informational", "name given only as text; kept as the family name");
      }
      out.push_back(std::move(name));
    }
    return out;
  }

  void readDocument(const Element& doc, Note& note) {
    // Identity and status.
    bool identified = false;
    for (const Element* id : doc.childrenNamed("identifier")) {
      if (id->childValue("system") != vocab::kNoteIdSystem) continue;
      auto parts = splitKey(id->childValue("value"));
      if (parts.size() == 3 && parseVersionPart(parts[2])) {
        practiceKey_ = parts[0];
        note.noteId = parts[1];
        note.version = *parseVersionPart(parts[2]);
        identified = true;
      }
    }
    if (!identified) {
      if (const Element* id = doc.child("identifier")) {
        note.noteId = str(id, "value");
        info(id, "foreign note: its first identifier is the note id, version 1");
      } else if (!doc.childValue("id").empty()) {
        note.noteId = str(&doc, "id");
        info(&doc, "foreign note without identifier: the resource id is the note id");
      } else {
        warn(&doc, "required", "the DocumentReference has no identifier and no id");
      }
    }
    const std::string status = str(&doc, "status");
    const std::string docStatus = str(&doc, "docStatus");
    if (status == "entered-in-error" || docStatus == "entered-in-error") {
      note.status = NoteStatus::kEnteredInError;
    } else if (docStatus == "amended") {
      note.status = NoteStatus::kAmended;
    } else if (docStatus == "preliminary") {
      note.status = NoteStatus::kDraft;
    } else {
      note.status = NoteStatus::kSigned;
      if (status == "superseded") {
        info(doc.child("status"), "superseded note read as signed; a later version replaces it");
      }
    }
    for (const Element* rel : doc.childrenNamed("relatesTo")) {
      if (rel->childValue("code") != "replaces") {
        warn(rel, "not-supported",
             "relatesTo '" + str(rel, "code") + "' has no place in the note; not mapped");
        continue;
      }
      const Element* target = rel->child("target");
      std::vector<std::string> parts;
      if (const Element* id = target ? target->child("identifier") : nullptr;
          id && id->childValue("system") == vocab::kNoteIdSystem) {
        parts = splitKey(id->childValue("value"));
      } else if (const Element* old = resolve(target)) {
        for (const Element* id : old->childrenNamed("identifier")) {
          if (id->childValue("system") == vocab::kNoteIdSystem) {
            parts = splitKey(id->childValue("value"));
          }
        }
      }
      if (parts.size() == 3 && parseVersionPart(parts[2])) {
        note.replaces = NoteRef{parts[1], *parseVersionPart(parts[2])};
      } else {
        const std::string ref = idFromReference(target);
        if (!ref.empty()) {
          note.replaces = NoteRef{ref, 1};
          info(rel, "replaced note known only by reference; its id is kept, version 1");
        } else {
          warn(rel, "not-found", "the replaced note cannot be identified");
        }
      }
    }
    // Sensitivity from the labels (DOMAIN §6.3).
    std::vector<const Element*> labels = doc.childrenNamed("securityLabel");
    if (const Element* meta = doc.child("meta")) {
      for (const Element* s : meta->childrenNamed("security")) labels.push_back(s);
    }
    for (const Element* label : labels) {
      std::vector<const Element*> codings = label->childrenNamed("coding");
      if (label->type() == "Coding") codings = {label};
      for (const Element* c : codings) {
        const std::string_view code = c->childValue("code");
        if (code == "PSYTHPN" || code == "HIPAAPsyNotes") note.sensitivity.psychotherapyNote = true;
        if (code == "SUD" || code == "ETH" || code == "42CFRPart2" || code == "ETHUD" ||
            code == "OPIOIDUD") {
          note.sensitivity.substanceUse = true;
        }
      }
    }
    // Format tag.
    std::optional<NoteFormat> taggedFormat;
    if (const Element* meta = doc.child("meta")) {
      for (const Element* tag : meta->childrenNamed("tag")) {
        if (tag->childValue("system") == vocab::kNoteFormatSystem) {
          taggedFormat = parseNoteFormat(tag->childValue("code"));
        }
      }
    }
    readContent(doc, note, taggedFormat);

    readPatient(resolve(doc.child("subject")), doc.child("subject"), note);
    const Element* authorRef = doc.child("author");
    const Element* practitioner = resolve(authorRef);
    if (practitioner && practitioner->type() == "PractitionerRole") {
      use(practitioner);
      practitioner = resolve(practitioner->child("practitioner"));
    }
    readPractitioner(practitioner, authorRef, note);
    const Element* organization = resolve(doc.child("custodian"));
    const Element* context = doc.child("context");
    const Element* encounter = context ? resolve(context->child("encounter")) : nullptr;
    if (!organization && encounter) organization = resolve(encounter->child("serviceProvider"));
    readOrganization(organization, note);
    if (context) {
      if (const Element* p = context->child("period")) {
        note.session.start = str(p, "start");
        note.session.end = str(p, "end");
      }
      for (const Element* related : context->childrenNamed("related")) {
        const Element* id = related->child("identifier");
        if (id && id->childValue("system") == vocab::kAuthorizationSystem) {
          Authorization a;
          a.id = str(id, "value");
          if (const Element* p = id->child("period")) a.date = str(p, "start");
          note.sensitivity.authorization = a;
        } else if (const Element* target = resolve(related)) {
          // Observations and the like are read from the Bundle anyway.
          (void)target;
        } else {
          warn(related, "not-supported", "related reference not mapped");
        }
      }
    }
    readEncounter(encounter, note);
    readResources(note);
    if (note.status != NoteStatus::kDraft && !note.signature) {
      // No Provenance of ours: the document date stands for the signature time.
      Signature s;
      s.signedAt = str(&doc, "date");
      note.signature = s;
      warn(&doc, "incomplete",
           "no signature record (Provenance.signature) found; DocumentReference.date is taken as "
           "the signature time and the attestation text is empty");
    }
  }

  void readContent(const Element& doc, Note& note, std::optional<NoteFormat> taggedFormat) {
    const Element* xhtml = nullptr;
    const Element* plain = nullptr;
    const Element* html = nullptr;
    for (const Element* content : doc.childrenNamed("content")) {
      const Element* a = content->child("attachment");
      if (!a) continue;
      const std::string type = str(a, "contentType");
      const std::string base = type.substr(0, type.find(';'));
      if (base == "application/xhtml+xml" && !xhtml) {
        xhtml = a;
      } else if (base == "text/plain" && !plain) {
        plain = a;
      } else if (base == "text/html" && !html) {
        html = a;
      } else {
        OpaqueAttachment opaque;
        opaque.contentType = type;
        opaque.title = str(a, "title");
        opaque.data = str(a, "data");
        if (opaque.data.empty() && !a->childValue("url").empty()) {
          warn(a, "not-supported",
               "content by URL is not fetched (mappers make no network calls); not mapped");
          continue;
        }
        warn(a, "informational",
             "content of type '" + type + "' kept as an opaque attachment (no sections)");
        note.attachments.push_back(std::move(opaque));
      }
    }
    auto decode = [&](const Element* a) -> std::optional<std::string> {
      if (a->childValue("data").empty()) {
        warn(a, "not-supported", "attachment without inline data (url is not fetched)");
        return std::nullopt;
      }
      auto bytes = base64Decode(a->childValue("data"));
      if (!bytes) warn(a->child("data"), "invalid", "attachment data is not base64");
      return bytes;
    };
    // Our own XHTML (the narrative, or an XHTML attachment) gives the sections back exactly.
    if (taggedFormat) {
      if (const Element* text = doc.child("text"); text && text->child("div")) {
        if (auto sections = sectionsFromOwnXhtml(text->child("div")->value())) {
          note.format = *taggedFormat;
          note.sections = std::move(*sections);
          return;
        }
      }
    }
    if (xhtml && taggedFormat) {
      if (auto bytes = decode(xhtml)) {
        if (auto sections = sectionsFromOwnXhtml(*bytes)) {
          note.format = *taggedFormat;
          note.sections = std::move(*sections);
          return;
        }
      }
    }
    std::optional<std::string> text;
    const Element* from = nullptr;
    if (plain && (text = decode(plain))) {
      from = plain;
    } else if (xhtml && (text = decode(xhtml))) {
      text = htmlToText(*text);
      from = xhtml;
    } else if (html && (text = decode(html))) {
      text = htmlToText(*text);
      from = html;
    }
    if (!text) {
      note.format = NoteFormat::kNarrative;
      if (note.attachments.empty()) {
        warn(&doc, "incomplete", "no readable note text (text/plain, text/html or XHTML)");
      }
      return;
    }
    RecoveredSections recovered = sectionsFromText(*text);
    if (taggedFormat && recovered.format != taggedFormat) {
      warn(from, "informational",
           "the note is tagged " + std::string(toString(*taggedFormat)) +
               " but its headings do not match; read as found");
    }
    note.format = recovered.format.value_or(NoteFormat::kNarrative);
    note.sections = std::move(recovered.sections);
    if (!recovered.unplaced.empty()) {
      info(from,
           "text before the first section heading (header lines) is not part of any section; "
           "not mapped");
    }
    if (!recovered.format) {
      info(from, "no SOAP/DAP/BIRP/GIRP headings found: the whole text is one narrative section");
    }
  }

  void readPatient(const Element* patient, const Element* ref, Note& note) {
    if (!patient) {
      note.client.id = idFromReference(ref);
      if (ref && !ref->child("reference") && ref->child("identifier")) {
        note.client.id = str(ref->child("identifier"), "value");
      }
      warn(ref, "not-found", "the Patient is not in the input: only its id is known");
      return;
    }
    use(patient);
    auto key = ownKey(patient, "patient");
    note.client.id = key.size() == 2 ? key[1] : str(patient, "id");
    for (const Element* id : patient->childrenNamed("identifier")) {
      if (id->childValue("system") == vocab::identifierSystem("patient")) continue;
      ClientIdentifier ci;
      ci.type = codeWith(id->child("type"), vocab::kV2IdentifierType);
      ci.system = str(id, "system");
      ci.value = str(id, "value");
      if (ci.type.empty()) {
        ci.type = "MR";
        info(id, "identifier without a v2-0203 type read as MR");
      }
      note.client.identifiers.push_back(std::move(ci));
    }
    note.client.names = names(*patient);
    note.client.birthDate = str(patient, "birthDate");
    note.client.sex =
        parseAdministrativeSex(patient->childValue("gender")).value_or(AdministrativeSex::kUnknown);
  }

  void readPractitioner(const Element* practitioner, const Element* ref, Note& note) {
    if (!practitioner) {
      note.clinician.id = idFromReference(ref);
      warn(ref, "not-found", "the author Practitioner is not in the input: only its id is known");
      return;
    }
    use(practitioner);
    auto key = ownKey(practitioner, "practitioner");
    note.clinician.id = key.size() == 2 ? key[1] : str(practitioner, "id");
    for (const Element* id : practitioner->childrenNamed("identifier")) {
      if (id->childValue("system") == vocab::kNpi) note.clinician.npi = str(id, "value");
    }
    note.clinician.names = names(*practitioner);
    for (const Element* q : practitioner->childrenNamed("qualification")) {
      const Element* code = q->child("code");
      std::string text = str(code, "text");
      if (text.empty() && code && code->child("coding")) {
        text = str(code->child("coding"), "code");
      }
      note.clinician.credentials.push_back(text);
    }
  }

  void readOrganization(const Element* organization, Note& note) {
    if (!organization) {
      note.practice.npi = practiceKey_;
      warn(nullptr, "not-found", "the practice Organization is not in the input");
      return;
    }
    use(organization);
    note.practice.name = str(organization, "name");
    for (const Element* id : organization->childrenNamed("identifier")) {
      if (id->childValue("system") == vocab::kNpi) note.practice.npi = str(id, "value");
      if (id->childValue("system") == vocab::kEin) note.practice.taxId = str(id, "value");
    }
    if (note.practice.npi.empty()) note.practice.npi = practiceKey_;
  }

  void readEncounter(const Element* encounter, Note& note) {
    if (!encounter) {
      warn(nullptr, "not-found",
           "no Encounter: session minutes, modality, CPT and diagnoses are unknown");
      return;
    }
    use(encounter);
    Session& s = note.session;
    for (const Element* ext : encounter->childrenNamed("extension")) {
      const std::string_view url = ext->childValue("url");
      const Element* value = ext->child("valueCoding");
      if (url == vocab::kPosExtension && value) {
        s.placeOfService = str(value, "code");
      } else if (url == vocab::kModifierExtension && value) {
        s.modifiers.push_back(str(value, "code"));
      } else {
        warn(ext, "not-supported", "extension '" + std::string(url) + "' not mapped");
      }
    }
    const std::string cls = str(encounter->child("class"), "code");
    s.modality = cls == "VR" ? Modality::kVideo : Modality::kInPerson;
    bool modalityCoded = false;
    for (const Element* type : encounter->childrenNamed("type")) {
      if (auto m = parseModality(codeWith(type, vocab::kModalitySystem))) {
        s.modality = *m;
        modalityCoded = true;
        continue;
      }
      const std::string cpt = codeWith(type, vocab::kCpt);
      if (cpt.empty()) {
        warn(type, "not-supported", "Encounter.type without a CPT coding not mapped");
      } else if (s.cpt.empty()) {
        s.cpt = cpt;
      } else {
        s.addOnCodes.push_back(cpt);
      }
    }
    if (cls == "VR" && !modalityCoded) {
      info(encounter->child("class"), "virtual encounter read as a video session");
    }
    if (const Element* p = encounter->child("period")) {
      if (s.start.empty()) s.start = str(p, "start");
      if (s.end.empty()) s.end = str(p, "end");
    }
    if (const Element* length = encounter->child("length")) {
      const std::string unit = str(length, "code");
      double value = std::atof(str(length, "value").c_str());
      if (unit == "h") value *= 60;
      s.minutes = static_cast<int>(std::lround(value));
    }
    bool first = true;
    for (const Element* p : encounter->childrenNamed("participant")) {
      const Element* type = p->child("type");
      const std::string role = codeWith(type, vocab::kParticipantRoleSystem);
      if (!role.empty()) {
        Participant part;
        part.role = role;
        part.name = str(p->child("individual"), "display");
        s.participants.push_back(std::move(part));
      } else if (!first) {
        const Element* who = resolve(p->child("individual"));
        if (who && who->type() == "Practitioner" && note.clinician.id.empty()) continue;
        Participant part;
        part.role = str(type, "text");
        if (part.role.empty()) part.role = codeWith(type, vocab::kParticipationType);
        if (part.role.empty()) part.role = "participant";
        part.name = str(p->child("individual"), "display");
        s.participants.push_back(std::move(part));
      }
      first = false;
    }
    for (const Element* reason : encounter->childrenNamed("reasonCode")) {
      std::string text = str(reason, "text");
      if (text.empty() && reason->child("coding")) {
        text = str(reason->child("coding"), "display");
      }
      note.reasons.push_back(text);
    }
    int nextRank = 1;
    for (const Element* d : encounter->childrenNamed("diagnosis")) {
      const Element* condition = resolve(d->child("condition"));
      if (!condition) {
        warn(d, "not-found", "diagnosis Condition is not in the input; not mapped");
        continue;
      }
      use(condition);
      Diagnosis diag;
      const Element* code = codingWith(condition->child("code"), vocab::kIcd10Cm);
      if (!code) {
        warn(condition->child("code"), "not-supported",
             "Condition without an ICD-10-CM coding not mapped");
        continue;
      }
      diag.code = str(code, "code");
      diag.display = str(code, "display");
      const std::string rank = str(d, "rank");
      diag.rank = rank.empty() ? nextRank : std::atoi(rank.c_str());
      nextRank = diag.rank + 1;
      note.diagnoses.push_back(std::move(diag));
    }
  }

  std::optional<int> score(const Element& holder, Instrument instrument) {
    const Element* value = nullptr;
    for (const auto& c : holder.children()) {
      if (c->baseName() == "value" && c->isChoice()) value = c.get();
    }
    if (!value) {
      for (const auto& c : holder.children()) {
        if (startsWith(c->name(), "value")) value = c.get();
      }
    }
    if (!value) return std::nullopt;
    std::string text;
    if (value->name() == "valueQuantity") {
      text = str(value, "value");
    } else if (value->name() == "valueInteger" || value->name() == "valueDecimal" ||
               value->name() == "valueString") {
      text = value->value();
    } else {
      warn(value, "not-supported",
           "score as " + value->name() +
               " is not read (expected an integer, decimal, quantity "
               "or string)");
      return std::nullopt;
    }
    char* end = nullptr;
    const double number = std::strtod(text.c_str(), &end);
    if (text.empty() || (end && *end != '\0') || number != std::floor(number)) {
      warn(value, "invalid",
           "score '" + text + "' of " + std::string(instrumentInfo(instrument).name) +
               " is not a whole number; not mapped");
      return std::nullopt;
    }
    return static_cast<int>(number);
  }

  void readObservation(const Element& obs, Note& note) {
    const Element* code = obs.child("code");
    const std::string loinc = codeWith(code, vocab::kLoinc);
    std::optional<Instrument> instrument;
    static constexpr std::array<std::pair<std::string_view, Instrument>, 5> kPanels = {{
        {"44249-1", Instrument::kPhq9},
        {"55757-9", Instrument::kPhq2},
        {"69737-5", Instrument::kGad7},
        {"72109-2", Instrument::kAuditC},
        {"101697-1", Instrument::kPcl5},
    }};
    for (Instrument i : {Instrument::kPhq9, Instrument::kPhq2, Instrument::kGad7,
                         Instrument::kAuditC, Instrument::kPcl5, Instrument::kCssrs}) {
      if (instrumentInfo(i).totalCode == loinc) instrument = i;
    }
    bool panel = false;
    for (const auto& [panelCode, i] : kPanels) {
      if (panelCode == loinc) {
        instrument = i;
        panel = true;
      }
    }
    if (!instrument) {
      warn(&obs, "not-supported",
           "Observation " + (loinc.empty() ? str(code, "text") : "LOINC " + loinc) +
               " is not a known measure; not mapped");
      return;
    }
    use(&obs);
    const InstrumentInfo& info = instrumentInfo(*instrument);
    Measure m;
    m.instrument = *instrument;
    if (!panel) m.total = score(obs, *instrument);
    if (m.total && (*m.total < 0 || *m.total > info.maxTotal)) {
      warn(&obs, "value",
           std::string(info.name) + " total " + std::to_string(*m.total) + " is out of range");
    }
    const Element* dar = obs.child("dataAbsentReason");
    if (dar && obs.child("component") && codeWith(dar, vocab::kDataAbsentReason) == "unknown") {
      dar = nullptr;  // our marker of items without a total
    }
    if (dar) {
      m.absentReason = parseAbsentReason(codeWith(dar, vocab::kDataAbsentReason));
      if (!m.absentReason) {
        warn(dar, "not-supported", "dataAbsentReason other than asked-declined/not-performed");
        m.absentReason = AbsentReason::kNotPerformed;
      }
    }
    std::vector<std::optional<int>> items(static_cast<std::size_t>(info.itemCount));
    bool anyItem = false;
    for (const Element* component : obs.childrenNamed("component")) {
      const Element* cc = component->child("code");
      int number = 0;
      const std::string own = codeWith(cc, vocab::kItemSystem);
      const std::string prefix = std::string(info.name) + "-";
      if (startsWith(own, prefix)) number = std::atoi(own.c_str() + prefix.size());
      if (number == 0 && (m.instrument == Instrument::kPhq9 || m.instrument == Instrument::kPhq2)) {
        static constexpr std::array<std::string_view, 9> kItems = {"44250-9", "44255-8", "44259-0",
                                                                   "44254-1", "44251-7", "44258-2",
                                                                   "44252-5", "44253-3", "44260-8"};
        const std::string itemLoinc = codeWith(cc, vocab::kLoinc);
        for (std::size_t i = 0; i < kItems.size(); ++i) {
          if (kItems[i] == itemLoinc) number = static_cast<int>(i) + 1;
        }
      }
      if (number < 1 || number > info.itemCount) {
        warn(component, "not-supported", "component is not a known item; not mapped");
        continue;
      }
      items[static_cast<std::size_t>(number - 1)] = score(*component, *instrument);
      anyItem = anyItem || items[static_cast<std::size_t>(number - 1)].has_value();
    }
    if (anyItem) m.items = std::move(items);
    for (const Element* member : obs.childrenNamed("hasMember")) {
      warn(member, "not-supported", "hasMember item Observations are not read; not mapped");
    }
    if (!m.total && !anyItem && !m.absentReason) {
      warn(&obs, "incomplete", std::string(info.name) + " without a score; not mapped");
      return;
    }
    note.measures.push_back(std::move(m));
  }

  void readResources(Note& note) {
    for (const Element* r : resources_) {
      if (used_.count(r)) continue;
      const std::string& type = r->type();
      if (type == "Observation") {
        readObservation(*r, note);
      } else if (type == "DocumentReference" && appends(*r)) {
        const Element* target = nullptr;
        for (const Element* rel : r->childrenNamed("relatesTo")) {
          if (rel->childValue("code") == "appends") target = resolve(rel->child("target"));
        }
        if (target != document_) continue;  // reported as not mapped
        use(r);
        for (const Element* content : r->childrenNamed("content")) {
          const Element* a = content->child("attachment");
          if (!a) continue;
          OpaqueAttachment opaque;
          opaque.contentType = str(a, "contentType");
          opaque.title = str(a, "title");
          opaque.data = str(a, "data");
          if (opaque.data.empty()) {
            warn(a, "not-supported", "appended content without inline data; not mapped");
            continue;
          }
          note.attachments.push_back(std::move(opaque));
        }
      } else if (type == "Goal") {
        use(r);
        Goal g;
        auto key = ownKey(r, "goal");
        g.id = key.size() == 3 ? key[2] : str(r, "id");
        g.description = str(r->child("description"), "text");
        g.status = parseGoalStatus(r->childValue("lifecycleStatus")).value_or(GoalStatus::kActive);
        const std::string achievement =
            codeWith(r->child("achievementStatus"), vocab::kGoalAchievement);
        if (achievement == "improving") g.progress = GoalProgress::kImproving;
        if (achievement == "no-change" || achievement == "sustaining") {
          g.progress = GoalProgress::kStable;
        }
        if (achievement == "worsening") g.progress = GoalProgress::kWorsening;
        if (achievement == "achieved") g.progress = GoalProgress::kAchieved;
        if (!achievement.empty() && !g.progress) {
          warn(r->child("achievementStatus"), "not-supported",
               "goal achievement '" + achievement + "' has no note equivalent; not mapped");
        }
        if (const Element* n = r->child("note")) g.setbacks = str(n, "text");
        note.goals.push_back(std::move(g));
      } else if (type == "Procedure") {
        use(r);
        Intervention in;
        const Element* code = r->child("code");
        in.name = str(code, "text");
        if (in.name.empty() && code && code->child("coding")) {
          in.name = str(code->child("coding"), "display");
        }
        const std::string outcome = codeWith(r->child("outcome"), vocab::kSnomed);
        if (outcome == "385669000") in.response = InterventionResponse::kHelped;
        if (outcome == "385670004") in.response = InterventionResponse::kPartlyHelped;
        if (outcome == "385671000") in.response = InterventionResponse::kNotHelped;
        if (const Element* n = r->child("note")) in.comment = str(n, "text");
        note.interventions.push_back(std::move(in));
      } else if (type == "MedicationStatement") {
        use(r);
        Medication m;
        auto key = ownKey(r, "medication-statement");
        m.id = key.size() == 4 ? key[3] : str(r, "id");
        const Element* med = r->child("medicationCodeableConcept");
        m.name = str(med, "text");
        m.rxnorm = codeWith(med, vocab::kRxNorm);
        if (m.name.empty() && med && med->child("coding")) {
          m.name = str(med->child("coding"), "display");
        }
        const std::string status = str(r, "status");
        m.adherence = status == "not-taken" ? Adherence::kNotTaking
                      : status == "stopped" ? Adherence::kStopped
                      : status == "active"  ? Adherence::kTakingAsDirected
                                            : Adherence::kUnknown;
        for (const Element* ext : r->childrenNamed("extension")) {
          if (ext->childValue("url") != vocab::kAdherenceExtension) continue;
          for (const Element* sub : ext->childrenNamed("extension")) {
            if (sub->childValue("url") != "code") continue;
            if (auto a = parseAdherence(
                    codeWith(sub->child("valueCodeableConcept"), vocab::kAdherenceCodes))) {
              m.adherence = *a;
            }
          }
        }
        if (const Element* n = r->child("note")) m.comment = str(n, "text");
        note.medications.push_back(std::move(m));
      } else if (type == "RiskAssessment") {
        use(r);
        Risk risk;
        for (const Element* p : r->childrenNamed("prediction")) {
          const std::string outcome = codeWith(p->child("outcome"), vocab::kRiskSystem);
          const std::string rationale = str(p, "rationale");
          const bool reported = rationale.find("reported") != std::string::npos;
          if (outcome == "suicide") {
            risk.suicidalIdeation = reported;
            const std::string level =
                codeWith(p->child("qualitativeRisk"), vocab::kRiskProbability);
            risk.level = level == "high" || level == "certain" ? RiskLevel::kHigh
                         : level == "moderate"                 ? RiskLevel::kModerate
                         : level == "low"                      ? RiskLevel::kLow
                                                               : RiskLevel::kNone;
          } else if (outcome == "homicide") {
            risk.homicidalIdeation = reported;
          } else {
            warn(p, "not-supported", "risk prediction not mapped");
          }
        }
        risk.safetyPlan = str(r, "mitigation");
        note.risk = std::move(risk);
      } else if (type == "Appointment") {
        use(r);
        if (const Element* p = r->child("requestedPeriod")) {
          note.nextSession = str(p, "start");
        } else {
          note.nextSession = str(r, "start");
        }
      } else if (type == "Provenance") {
        use(r);
        for (const Element* sig : r->childrenNamed("signature")) {
          Signature s;
          s.signedAt = str(sig, "when");
          if (auto text = base64Decode(sig->childValue("data"))) s.attestation = *text;
          note.signature = std::move(s);
        }
      } else if (type == "PractitionerRole" || type == "Organization" || type == "Patient" ||
                 type == "Practitioner" || type == "Condition" || type == "Encounter") {
        // Read through references; one that nothing points to is reported below.
      }
    }
  }

  void reportUnused() {
    for (const Element* r : resources_) {
      if (!used_.count(r)) {
        if (r->type() == "PractitionerRole") continue;  // carries nothing the note keeps
        warn(r, "not-supported", r->type() + " is not part of the note; not mapped");
        continue;
      }
      reportUnreadElements(*r);
    }
  }

  // What fhirToNote reads of one element: its children by base name, or everything below it.
  struct ReadTree {
    bool all = false;
    std::vector<std::pair<std::string, ReadTree>> children;

    const ReadTree* find(std::string_view name) const {
      // Asked for every element of every read resource: length and first letter settle most
      // comparisons without a call to memcmp.
      for (const auto& [key, sub] : children) {
        if (key.size() == name.size() && (name.empty() || key[0] == name[0]) && key == name) {
          return &sub;
        }
      }
      return nullptr;
    }
    ReadTree& at(std::string_view name) {
      for (auto& [key, sub] : children) {
        if (key == name) return sub;
      }
      children.emplace_back(std::string(name), ReadTree{});
      return children.back().second;
    }
  };
  using PathSet = ReadTree;

  // Elements of a read resource that the note has no place for, at any depth: each reported
  // with its path (issue 6: nothing dropped silently). What counts as read is readPaths().
  void reportUnreadElements(const Element& r) {
    const auto& table = readPaths();
    auto known = table.find(r.type());
    if (known == table.end()) return;
    reportUnread(r, r, known->second);
  }

  void reportUnread(const Element& e, const Element& resource, const ReadTree& read) {
    for (const auto& child : e.children()) {
      if (&e != &resource && child->baseName() == "id") continue;  // element ids carry no data
      const ReadTree* sub = read.find(child->baseName());
      if (!sub) {
        // "context.period.extension": base names below the resource, no indexes.
        std::string path(child->baseName());
        for (const Element* p = &e; p != &resource; p = p->parent()) {
          path.insert(0, std::string(p->baseName()) + ".");
        }
        warn(child.get(), "not-supported",
             resource.type() + "." + path + " has no place in the note; not mapped");
        continue;
      }
      if (sub->all || child->isResource()) continue;
      reportUnread(*child, resource, *sub);
    }
  }

  // Per resource type, the element paths fhirToNote reads (or that restate what it reads, such
  // as a Coding's display or the derived attachment size), by base name, no indexes. "x.*"
  // accepts x with everything below it; a listed complex element has its children checked.
  static const std::map<std::string, PathSet, std::less<>>& readPaths() {
    static const auto kTable = [] {
      std::map<std::string, PathSet, std::less<>> t;
      auto add = [](PathSet& s, std::string_view path) {
        ReadTree* node = &s;
        while (!path.empty()) {
          const std::size_t dot = path.find('.');
          const std::string_view name = path.substr(0, dot);
          if (name == "*") {
            node->all = true;
            break;
          }
          node = &node->at(name);
          path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
        }
      };
      auto coding = [&](PathSet& s, const std::string& p) {
        for (const char* c : {"system", "code", "display"}) add(s, p + "." + c);
      };
      auto codeable = [&](PathSet& s, const std::string& p) {
        coding(s, p + ".coding");
        add(s, p + ".text");
      };
      auto ref = [&](PathSet& s, const std::string& p) { add(s, p + ".reference"); };
      auto ownId = [&](PathSet& s) {
        add(s, "identifier.system");
        add(s, "identifier.value");
      };
      auto common = [&](PathSet& s) {
        for (const char* p :
             {"id", "meta.*", "implicitRules", "language", "text.*", "contained.*"}) {
          add(s, p);
        }
      };
      auto names = [&](PathSet& s) {
        for (const char* p : {"name.use", "name.family", "name.given", "name.text"}) add(s, p);
      };
      {
        PathSet& s = t["DocumentReference"];
        common(s);
        ownId(s);
        for (const char* p : {"status",
                              "docStatus",
                              "type.*",
                              "category.*",
                              "date",
                              "subject.identifier.system",
                              "subject.identifier.value",
                              "relatesTo.code",
                              "relatesTo.target.type",
                              "relatesTo.target.identifier.system",
                              "relatesTo.target.identifier.value",
                              "content.attachment.contentType",
                              "content.attachment.data",
                              "content.attachment.url",
                              "content.attachment.title",
                              "content.attachment.size",
                              "content.attachment.hash",
                              "content.attachment.creation",
                              "context.period.start",
                              "context.period.end",
                              "context.related.type",
                              "context.related.identifier.system",
                              "context.related.identifier.value",
                              "context.related.identifier.period.start"}) {
          add(s, p);
        }
        for (const char* p : {"subject", "author", "authenticator", "custodian", "relatesTo.target",
                              "context.encounter", "context.related"}) {
          ref(s, p);
        }
        codeable(s, "securityLabel");
      }
      {
        PathSet& s = t["Patient"];
        common(s);
        ownId(s);
        codeable(s, "identifier.type");
        names(s);
        for (const char* p : {"active", "gender", "birthDate"}) add(s, p);
      }
      {
        PathSet& s = t["Practitioner"];
        common(s);
        ownId(s);
        names(s);
        add(s, "active");
        codeable(s, "qualification.code");
      }
      {
        PathSet& s = t["Organization"];
        common(s);
        ownId(s);
        codeable(s, "identifier.type");
        add(s, "active");
        add(s, "name");
      }
      {
        PathSet& s = t["PractitionerRole"];
        common(s);
        ownId(s);
        add(s, "active");
        ref(s, "practitioner");
        ref(s, "organization");
      }
      {
        PathSet& s = t["Encounter"];
        common(s);
        ownId(s);
        add(s, "extension.url");
        coding(s, "extension.value");
        add(s, "status");
        coding(s, "class");
        codeable(s, "type");
        ref(s, "subject");
        codeable(s, "participant.type");
        ref(s, "participant.individual");
        add(s, "participant.individual.display");
        add(s, "period.start");
        add(s, "period.end");
        for (const char* p : {"length.value", "length.unit", "length.system", "length.code"}) {
          add(s, p);
        }
        codeable(s, "reasonCode");
        ref(s, "diagnosis.condition");
        add(s, "diagnosis.rank");
        ref(s, "serviceProvider");
      }
      {
        PathSet& s = t["Condition"];
        common(s);
        ownId(s);
        for (const char* p : {"clinicalStatus.*", "verificationStatus.*", "category.*"}) add(s, p);
        coding(s, "code.coding");
        ref(s, "subject");
        ref(s, "encounter");
      }
      {
        PathSet& s = t["Observation"];
        common(s);
        ownId(s);
        for (const char* p : {"status", "category.*", "effective", "dataAbsentReason.*",
                              "interpretation.*", "hasMember.*"}) {
          add(s, p);
        }
        codeable(s, "code");
        ref(s, "subject");
        ref(s, "encounter");
        ref(s, "performer");
        ref(s, "derivedFrom");
        for (const std::string v : {"value", "component.value"}) {
          for (const char* q : {"", ".value", ".unit", ".system", ".code"}) add(s, v + q);
        }
        codeable(s, "component.code");
      }
      {
        PathSet& s = t["Goal"];
        common(s);
        ownId(s);
        add(s, "lifecycleStatus");
        codeable(s, "achievementStatus");
        add(s, "description.text");
        ref(s, "subject");
        add(s, "note.text");
      }
      {
        PathSet& s = t["Procedure"];
        common(s);
        ownId(s);
        add(s, "status");
        codeable(s, "code");
        ref(s, "subject");
        ref(s, "encounter");
        add(s, "performed.start");
        add(s, "performed.end");
        ref(s, "performer.actor");
        codeable(s, "outcome");
        add(s, "note.text");
      }
      {
        PathSet& s = t["MedicationStatement"];
        common(s);
        ownId(s);
        add(s, "extension.url");
        add(s, "extension.extension.url");
        codeable(s, "extension.extension.value");
        add(s, "status");
        codeable(s, "medication");
        ref(s, "subject");
        ref(s, "context");
        add(s, "dateAsserted");
        ref(s, "informationSource");
        add(s, "note.text");
      }
      {
        PathSet& s = t["RiskAssessment"];
        common(s);
        ownId(s);
        for (const char* p :
             {"status", "code.*", "occurrence", "prediction.rationale", "mitigation"}) {
          add(s, p);
        }
        ref(s, "subject");
        ref(s, "encounter");
        ref(s, "performer");
        codeable(s, "prediction.outcome");
        codeable(s, "prediction.qualitativeRisk");
      }
      {
        PathSet& s = t["Appointment"];
        common(s);
        ownId(s);
        for (const char* p : {"status", "participant.status", "requestedPeriod.start", "start"}) {
          add(s, p);
        }
        ref(s, "participant.actor");
      }
      {
        PathSet& s = t["Provenance"];
        common(s);
        ref(s, "target");
        for (const char* p : {"recorded", "activity.*", "agent.*", "entity.*", "signature.type.*",
                              "signature.when", "signature.sigFormat", "signature.data"}) {
          add(s, p);
        }
        ref(s, "signature.who");
      }
      return t;
    }();
    return kTable;
  }

  const Element& root_;
  Outcome outcome_;
  std::vector<const Element*> resources_;
  std::map<std::string, const Element*> byUrl_;
  std::map<const Element*, std::map<std::string, const Element*>> contained_;
  std::set<const Element*> used_;
  std::string practiceKey_;
  const Element* document_ = nullptr;
};

}  // namespace

fhir::Result<Note> fhirToNote(const Element& root) { return Reader(root).read(); }

}  // namespace notebridge::mappers

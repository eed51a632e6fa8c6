#include "notebridge/mappers/record_import.h"

#include <algorithm>
#include <map>
#include <set>

#include "notebridge/mappers/fhir_to_note.h"
#include "tree.h"
#include "vocabulary.h"

namespace notebridge::mappers {
namespace {

using fhir::Element;
using fhir::Severity;

struct Entry {
  const Element* resource = nullptr;
  std::string fullUrl;
};

// Every literal reference inside a resource (Reference.reference values), contained ones
// excepted.
void referencesIn(const Element& e, std::vector<std::string>& out) {
  for (const auto& c : e.children()) {
    if (c->name() == "contained") continue;
    if (c->name() == "reference" && c->hasValue() && e.type() != "Bundle") {
      out.emplace_back(c->value());
    }
    referencesIn(*c, out);
  }
}

bool appends(const Element& doc) {
  for (const Element* rel : doc.childrenNamed("relatesTo")) {
    if (rel->childValue("code") == "appends") return true;
  }
  return false;
}

class Importer {
 public:
  explicit Importer(const Element& root) : root_(root) {}

  fhir::Result<ImportedRecord> run() {
    if (root_.type() == "DocumentReference") {
      ImportedRecord record;
      auto note = fhirToNote(root_);
      if (!note) return fhir::Result<ImportedRecord>(note.outcome());
      record.client = note->client;
      record.notes.push_back({*note, keyOf(root_, {}), note.outcome(), {}});
      return fhir::Result<ImportedRecord>(std::move(record));
    }
    if (root_.type() != "Bundle") {
      return fhir::Result<ImportedRecord>::failure(
          Severity::kError, "invalid",
          "expected a Bundle or a DocumentReference, got " + root_.type(), root_.path());
    }
    for (const Element* entry : root_.childrenNamed("entry")) {
      const Element* r = entry->child("resource");
      if (!r) continue;
      Entry e{r, std::string(entry->childValue("fullUrl"))};
      const std::size_t index = entries_.size();
      entries_.push_back(e);
      if (!e.fullUrl.empty()) byUrl_[e.fullUrl] = index;
      const std::string id(r->childValue("id"));
      if (!id.empty()) byUrl_[r->type() + "/" + id] = index;
    }
    ImportedRecord record;
    if (const Element* id = root_.child("identifier")) {
      record.documentKey =
          std::string(id->childValue("system")) + "|" + std::string(id->childValue("value"));
    }
    fhir::Outcome outcome;
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      const Element* r = entries_[i].resource;
      if (r->type() != "DocumentReference" || appends(*r)) continue;
      auto part = partFor(i);
      auto note = fhirToNote(*part);
      // fhirToNote's paths name the split Bundle; point them back to the received entry.
      fhir::Outcome noteOutcome;
      for (auto issue : note.outcome().issues()) {
        issue.expression = r->path() + " (" + issue.expression + ")";
        noteOutcome.add(std::move(issue));
      }
      if (!note) {
        outcome.append(noteOutcome);
        continue;
      }
      record.notes.push_back({std::move(note).value(), keyOf(*r, entries_[i].fullUrl),
                              std::move(noteOutcome), entries_[i].fullUrl});
    }
    if (record.notes.empty()) {
      outcome.add(Severity::kError, "not-found", "no note could be read from the Bundle",
                  root_.path());
      return fhir::Result<ImportedRecord>(std::move(outcome));
    }
    record.client = record.notes.back().note.client;
    return fhir::Result<ImportedRecord>(std::move(record), std::move(outcome));
  }

 private:
  static std::string keyOf(const Element& doc, const std::string& fullUrl) {
    const Element* chosen = nullptr;
    for (const Element* id : doc.childrenNamed("identifier")) {
      if (id->childValue("system") == vocab::kNoteIdSystem) chosen = id;
    }
    if (!chosen) chosen = doc.child("identifier");
    if (chosen) {
      return std::string(chosen->childValue("system")) + "|" +
             std::string(chosen->childValue("value"));
    }
    if (!fullUrl.empty()) return fullUrl;
    return "DocumentReference/" + std::string(doc.childValue("id"));
  }

  const Entry* resolve(const std::string& reference) const {
    auto it = byUrl_.find(reference);
    if (it != byUrl_.end()) return &entries_[it->second];
    // An absolute URL ending in Type/id.
    const auto slash = reference.rfind('/');
    if (slash == std::string::npos || slash == 0) return nullptr;
    const auto typeSlash = reference.rfind('/', slash - 1);
    if (typeSlash == std::string::npos) return nullptr;
    it = byUrl_.find(reference.substr(typeSlash + 1));
    return it == byUrl_.end() ? nullptr : &entries_[it->second];
  }

  bool refersTo(const Element& r, const std::set<std::string>& names) const {
    std::vector<std::string> refs;
    referencesIn(r, refs);
    for (const auto& ref : refs) {
      if (names.count(ref)) return true;
      const Entry* target = resolve(ref);
      if (target && names.count(target->fullUrl)) return true;
    }
    return false;
  }

  // The resources that belong to the note at entries_[doc], as a collection Bundle.
  Element::Ptr partFor(std::size_t doc) const {
    const Entry& d = entries_[doc];
    std::set<std::size_t> chosen{doc};
    auto add = [&](const Entry* e) {
      if (e) chosen.insert(static_cast<std::size_t>(e - entries_.data()));
    };
    std::set<std::string> docNames{d.fullUrl};
    if (!d.resource->childValue("id").empty()) {
      docNames.insert("DocumentReference/" + std::string(d.resource->childValue("id")));
    }
    docNames.erase("");
    // Our notes: the Provenance of the translation lists every resource of the note.
    bool viaProvenance = false;
    for (const Entry& e : entries_) {
      if (e.resource->type() != "Provenance") continue;
      bool targetsDoc = false;
      for (const Element* t : e.resource->childrenNamed("target")) {
        const std::string ref(t->childValue("reference"));
        const Entry* target = resolve(ref);
        if (docNames.count(ref) || (target && target == &d)) targetsDoc = true;
      }
      if (!targetsDoc) continue;
      viaProvenance = true;
      add(&e);
      for (const Element* t : e.resource->childrenNamed("target")) {
        add(resolve(std::string(t->childValue("reference"))));
      }
    }
    // The Encounter in the note's context and its diagnoses.
    std::set<std::string> encounterNames;
    if (const Element* context = d.resource->child("context")) {
      for (const Element* enc : context->childrenNamed("encounter")) {
        const std::string ref(enc->childValue("reference"));
        if (const Entry* e = resolve(ref)) {
          add(e);
          encounterNames.insert(e->fullUrl);
          encounterNames.insert(ref);
          for (const Element* diag : e->resource->childrenNamed("diagnosis")) {
            if (const Element* c = diag->child("condition")) {
              add(resolve(std::string(c->childValue("reference"))));
            }
          }
        }
      }
    }
    encounterNames.erase("");
    if (!viaProvenance) {
      // A foreign note: what refers to the document or its encounter is part of it.
      std::set<std::string> names = docNames;
      names.insert(encounterNames.begin(), encounterNames.end());
      for (const Entry& e : entries_) {
        const std::string& type = e.resource->type();
        if (type == "Composition" || type == "Consent") continue;
        if (type == "DocumentReference" && !appends(*e.resource)) continue;
        if (refersTo(*e.resource, names)) add(&e);
      }
    }
    // The people and organizations the chosen resources name.
    static const std::set<std::string> kShared = {"Patient", "Practitioner", "PractitionerRole",
                                                  "Organization"};
    for (int round = 0; round < 2; ++round) {
      std::vector<std::size_t> current(chosen.begin(), chosen.end());
      for (std::size_t index : current) {
        std::vector<std::string> refs;
        referencesIn(*entries_[index].resource, refs);
        for (const auto& ref : refs) {
          const Entry* target = resolve(ref);
          if (target && kShared.count(target->resource->type())) add(target);
        }
      }
    }
    auto bundle = Element::makeResource("Bundle");
    tree::prim(*bundle, "type", "code", "collection");
    for (std::size_t index : chosen) {
      Element& entry = tree::complex(*bundle, "entry", "BackboneElement", true);
      if (!entries_[index].fullUrl.empty()) {
        tree::prim(entry, "fullUrl", "uri", entries_[index].fullUrl);
      }
      entry.addChild(entries_[index].resource->clone());
    }
    return bundle;
  }

  const Element& root_;
  std::vector<Entry> entries_;
  std::map<std::string, std::size_t> byUrl_;
};

}  // namespace

fhir::Result<ImportedRecord> importRecord(const Element& root) {
  Importer importer(root);
  return importer.run();
}

}  // namespace notebridge::mappers

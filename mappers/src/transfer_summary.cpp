#include "notebridge/mappers/transfer_summary.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "note_text.h"
#include "notebridge/mappers/consent.h"
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

constexpr std::string_view kSectionSystem =
    "https://notebridge.io/fhir/CodeSystem/transfer-section";

std::string escape(std::string_view text) {
  std::string out;
  appendEscapedXml(out, text, true);
  return out;
}

// The date part of a dateTime ("2025-03-04T15:00:00-05:00" -> "2025-03-04").
std::string day(std::string_view dateTime) { return std::string(dateTime.substr(0, 10)); }

std::string_view progressText(GoalProgress p) {
  switch (p) {
    case GoalProgress::kImproving:
      return "improving";
    case GoalProgress::kStable:
      return "no change";
    case GoalProgress::kWorsening:
      return "worsening";
    case GoalProgress::kAchieved:
      return "achieved";
  }
  return {};
}

std::string_view adherenceText(Adherence a) {
  switch (a) {
    case Adherence::kTakingAsDirected:
      return "taking as directed";
    case Adherence::kTakingNotAsDirected:
      return "taking, not as directed";
    case Adherence::kNotTaking:
      return "not taking";
    case Adherence::kStopped:
      return "stopped";
    case Adherence::kUnknown:
      return "adherence unknown";
  }
  return {};
}

// One mapped note: its resources by fullUrl, in entry order.
struct MappedNote {
  const Note* note = nullptr;
  Element::Ptr bundle;
  std::map<std::string, std::vector<std::string>> urlsByType;
  std::string documentUrl, patientUrl, practitionerUrl, organizationUrl;
};

class SummaryBuilder {
 public:
  explicit SummaryBuilder(const TransferOptions& options) : options_(options) {}

  Outcome& outcome() { return outcome_; }

  fhir::Result<Element::Ptr> build(const std::vector<Note>& input) {
    const std::vector<const Note*> notes = select(input);
    if (outcome_.hasErrors()) return fhir::Result<Element::Ptr>(std::move(outcome_));
    if (notes.empty()) {
      outcome_.add(Severity::kError, "not-found", "no note of this client can be transferred",
                   "notes");
      return fhir::Result<Element::Ptr>(std::move(outcome_));
    }
    for (std::size_t i = 0; i < notes.size(); ++i) {
      NoteToFhirOptions noteOptions = options_.noteOptions;
      auto mapped = noteToFhir(*notes[i], noteOptions);
      const std::string where = "notes[" + notes[i]->noteId + "]";
      for (auto issue : mapped.outcome().issues()) {
        issue.expression = where + (issue.expression.empty() ? "" : "." + issue.expression);
        outcome_.add(std::move(issue));
      }
      if (!mapped) continue;
      MappedNote m;
      m.note = notes[i];
      m.bundle = std::move(mapped).value();
      absorb(m);
      mapped_.push_back(std::move(m));
    }
    if (outcome_.hasErrors()) return fhir::Result<Element::Ptr>(std::move(outcome_));

    const MappedNote& newest = mapped_.back();
    const Note& last = *newest.note;
    std::string keys;
    for (const MappedNote& m : mapped_) {
      keys += m.note->noteId + "/v" + std::to_string(m.note->version) + ";";
    }
    const std::string documentKey = joinKey({last.practice.npi, last.client.id, options_.now});
    const std::string compositionUrl =
        "urn:uuid:" +
        uuidV5(kNoteBridgeNamespace, "transfer-composition|" + documentKey + "|" + keys);

    auto bundle = Element::makeResource("Bundle");
    {
      Element& meta = complex(*bundle, "meta"_name, "Meta"_name);
      for (const auto& [system, code] : labels_) coding(meta, "security"_name, system, code);
    }
    {
      Element& id = complex(*bundle, "identifier"_name, "Identifier"_name);
      prim(id, "system"_name, "uri"_name, vocab::identifierSystem("transfer"));
      prim(id, "value"_name, "string"_name, documentKey);
    }
    prim(*bundle, "type"_name, "code"_name, "document");
    prim(*bundle, "timestamp"_name, "instant"_name, options_.now);

    Element& first = complex(*bundle, "entry"_name, "BackboneElement"_name, true);
    prim(first, "fullUrl"_name, "uri"_name, compositionUrl);
    first.addChild(composition(newest));

    if (options_.consent) {
      Element& entry = complex(*bundle, "entry"_name, "BackboneElement"_name, true);
      const std::string consentId(options_.consent->childValue("id"));
      prim(entry, "fullUrl"_name, "uri"_name,
           "urn:uuid:" +
               uuidV5(kNoteBridgeNamespace, "transfer-consent|" + documentKey + "|" + consentId));
      auto consent = renamed(options_.consent->clone());
      labelled(*consent);
      entry.addChild(std::move(consent));
    }
    for (auto& [url, resource] : entries_) {
      Element& entry = complex(*bundle, "entry"_name, "BackboneElement"_name, true);
      prim(entry, "fullUrl"_name, "uri"_name, url);
      entry.addChild(std::move(resource));
    }
    return fhir::Result<Element::Ptr>(std::move(bundle), std::move(outcome_));
  }

 private:
  // A resource placed in Bundle.entry is named "resource".
  static Element::Ptr renamed(Element::Ptr r) {
    if (r->name() == "resource") return r;
    auto out = Element::makeResource("resource", r->type());
    for (const auto& c : r->children()) out->addChild(c->clone(), c->index() >= 0);
    return out;
  }

  // Every outbound resource carries the labels of what the document holds (DOMAIN §6.3); the
  // Consent comes from the caller without them.
  void labelled(Element& resource) const {
    Element* meta = resource.child("meta");
    if (!meta) {
      const std::size_t at = resource.child("id") ? 1 : 0;
      meta = &resource.insertChild(at, Element::makeComplex("meta", "Meta"));
    }
    for (const auto& [system, code] : labels_) {
      bool present = false;
      for (const Element* s : meta->childrenNamed("security")) {
        if (s->childValue("system") == system && s->childValue("code") == code) present = true;
      }
      if (present) continue;
      std::size_t position = meta->children().size();
      for (std::size_t i = 0; i < meta->children().size(); ++i) {
        if (meta->children()[i]->name() == "tag") {
          position = i;
          break;
        }
      }
      auto security = Element::makeComplex("security", "Coding");
      prim(*security, "system"_name, "uri"_name, system);
      prim(*security, "code"_name, "code"_name, code);
      meta->insertChild(position, std::move(security), true);
    }
  }

  std::vector<const Note*> select(const std::vector<Note>& input) {
    // The latest version of each note id, in the order of its last appearance (newest last).
    std::map<std::string, std::size_t> latest;
    for (std::size_t i = 0; i < input.size(); ++i) {
      auto it = latest.find(input[i].noteId);
      if (it == latest.end() || input[it->second].version <= input[i].version) {
        latest[input[i].noteId] = i;
      }
    }
    std::vector<const Note*> out;
    for (std::size_t i = 0; i < input.size(); ++i) {
      const Note& n = input[i];
      const std::string where = "notes[" + n.noteId + "]";
      if (latest[n.noteId] != i) continue;
      if (n.status == NoteStatus::kDraft || n.status == NoteStatus::kEnteredInError) {
        outcome_.add(Severity::kWarning, "business-rule",
                     "a " + std::string(toString(n.status)) + " note is not transferred",
                     where + ".status");
        continue;
      }
      if (n.sensitivity.psychotherapyNote) {
        outcome_.add(Severity::kWarning, "security",
                     "a psychotherapy note is never part of a transfer (DOMAIN §6.1)",
                     where + ".sensitivity.psychotherapyNote");
        continue;
      }
      if (!out.empty() &&
          (n.client.id != out.front()->client.id || n.practice.npi != out.front()->practice.npi)) {
        outcome_.add(Severity::kError, "business-rule",
                     "a transfer carries one client's notes; this note is of client " +
                         n.client.id + ", not " + out.front()->client.id,
                     where + ".client.id");
        continue;
      }
      out.push_back(&n);
    }
    return out;
  }

  // Takes the note's resources into the document: a later note's copy of a shared resource
  // (same fullUrl) replaces the earlier one in place.
  void absorb(MappedNote& m) {
    for (const auto& [system, code] : privacyOf(*m.note).labels) {
      if (std::find(labels_.begin(), labels_.end(), std::pair{system, code}) == labels_.end()) {
        labels_.emplace_back(system, code);
      }
    }
    for (const Element* entry : m.bundle->childrenNamed("entry")) {
      const Element* resource = entry->child("resource");
      if (!resource) continue;
      const std::string url(entry->childValue("fullUrl"));
      auto& urls = m.urlsByType[resource->type()];
      urls.push_back(url);
      if (resource->type() == "DocumentReference" && m.documentUrl.empty()) {
        m.documentUrl = url;
        m.patientUrl = refOf(resource, "subject");
        m.organizationUrl = refOf(resource, "custodian");
        for (const Element* a : resource->childrenNamed("author")) {
          m.practitionerUrl = std::string(a->childValue("reference"));
        }
      }
      auto copy = resource->clone();
      auto found = position_.find(url);
      if (found == position_.end()) {
        position_[url] = entries_.size();
        entries_.emplace_back(url, std::move(copy));
      } else {
        entries_[found->second].second = std::move(copy);
      }
    }
  }

  static std::string refOf(const Element* r, std::string_view name) {
    const Element* ref = r->child(name);
    return ref ? std::string(ref->childValue("reference")) : std::string();
  }

  // A section: title, code, narrative (the list items), entries.
  void section(Element& composition, std::string_view title, std::string_view system,
               std::string_view code, std::string_view display,
               const std::vector<std::string>& lines, const std::vector<std::string>& entries) {
    Element& s = complex(composition, "section"_name, "BackboneElement"_name, true);
    prim(s, "title"_name, "string"_name, title);
    codeable(s, "code"_name, system, code, display, {}, false);
    Element& text = complex(s, "text"_name, "Narrative"_name);
    prim(text, "status"_name, "code"_name, "generated");
    std::string div = "<div xmlns=\"http://www.w3.org/1999/xhtml\">";
    if (lines.empty()) {
      div += "<p>None recorded.</p>";
    } else {
      div += "<ul>";
      for (const auto& line : lines) div += "<li>" + escape(line) + "</li>";
      div += "</ul>";
    }
    div += "</div>";
    text.addChild(Element::makeXhtml(std::move(div)));
    std::set<std::string> seen;
    for (const auto& e : entries) {
      if (seen.insert(e).second) reference(s, "entry"_name, e, true);
    }
    if (entries.empty()) {
      // cmp-2 allows emptyReason only without entries; it tells the reader the list is empty.
      codeable(s, "emptyReason"_name, "http://terminology.hl7.org/CodeSystem/list-empty-reason",
               lines.empty() ? "nilknown" : "unavailable", {}, {}, false);
    }
  }

  std::vector<std::string> urls(std::string_view type) const {
    std::vector<std::string> out;
    for (const MappedNote& m : mapped_) {
      auto it = m.urlsByType.find(std::string(type));
      if (it == m.urlsByType.end()) continue;
      for (const auto& u : it->second) {
        if (std::find(out.begin(), out.end(), u) == out.end()) out.push_back(u);
      }
    }
    return out;
  }

  Element::Ptr composition(const MappedNote& newest) {
    const Note& last = *newest.note;
    auto c = Element::makeResource("resource", "Composition");
    {
      Element& meta = complex(*c, "meta"_name, "Meta"_name);
      for (const auto& [system, code] : labels_) coding(meta, "security"_name, system, code);
    }
    {
      Element& id = complex(*c, "identifier"_name, "Identifier"_name);
      prim(id, "system"_name, "uri"_name, vocab::identifierSystem("transfer-summary"));
      prim(id, "value"_name, "string"_name,
           joinKey({last.practice.npi, last.client.id, options_.now}));
    }
    prim(*c, "status"_name, "code"_name, "final");
    codeable(*c, "type"_name, vocab::kLoinc, kTransferSummaryCode, "Transfer summary note", {},
             false);
    reference(*c, "subject"_name, newest.patientUrl);
    prim(*c, "date"_name, "dateTime"_name, options_.now);
    reference(*c, "author"_name, newest.practitionerUrl, true);
    prim(*c, "title"_name, "string"_name, "Behavioral health transfer summary");
    // Composition.confidentiality: behavioral-health records are restricted (DOMAIN §6.3).
    prim(*c, "confidentiality"_name, "code"_name, "R");
    {
      Element& a = complex(*c, "attester"_name, "BackboneElement"_name, true);
      prim(a, "mode"_name, "code"_name, "legal");
      prim(a, "time"_name, "dateTime"_name, last.signature->signedAt);
      reference(a, "party"_name, newest.practitionerUrl);
    }
    reference(*c, "custodian"_name, newest.organizationUrl);

    reasonsSection(*c);
    diagnosesSection(*c, last);
    goalsSection(*c);
    interventionsSection(*c);
    medicationsSection(*c);
    scoresSection(*c);
    riskSection(*c);
    planSection(*c, newest);
    notesSection(*c);
    redisclosureSection(*c);
    return c;
  }

  void reasonsSection(Element& c) {
    std::vector<std::string> lines;
    std::set<std::string> seen;
    for (const MappedNote& m : mapped_) {
      for (const auto& r : m.note->reasons) {
        if (seen.insert(r).second) {
          lines.push_back(r + " (first noted " + day(m.note->session.start) + ")");
        }
      }
    }
    section(c, "Reasons for care", vocab::kLoinc, "29299-5", "Reason for visit Narrative", lines,
            urls("Encounter"));
  }

  void diagnosesSection(Element& c, const Note& last) {
    std::vector<std::string> lines;
    std::set<std::string> current;
    std::vector<Diagnosis> ranked = last.diagnoses;
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const Diagnosis& a, const Diagnosis& b) { return a.rank < b.rank; });
    for (const Diagnosis& d : ranked) {
      current.insert(d.code);
      lines.push_back(d.code + " " + d.display + " (rank " + std::to_string(d.rank) + ", current)");
    }
    std::set<std::string> earlier;
    for (const MappedNote& m : mapped_) {
      for (const Diagnosis& d : m.note->diagnoses) {
        if (!current.count(d.code) && earlier.insert(d.code).second) {
          lines.push_back(d.code + " " + d.display + " (recorded " + day(m.note->session.start) +
                          ", not on the latest note)");
        }
      }
    }
    section(c, "Diagnoses", vocab::kLoinc, "11450-4", "Problem list - Reported", lines,
            urls("Condition"));
  }

  void goalsSection(Element& c) {
    struct History {
      const Goal* latest = nullptr;
      std::vector<std::string> progress;
      std::vector<std::string> setbacks;
    };
    std::vector<std::string> order;
    std::map<std::string, History> goals;
    for (const MappedNote& m : mapped_) {
      for (const Goal& g : m.note->goals) {
        if (!goals.count(g.id)) order.push_back(g.id);
        History& h = goals[g.id];
        h.latest = &g;
        const std::string when = day(m.note->session.start);
        if (g.progress) h.progress.push_back(std::string(progressText(*g.progress)) + " " + when);
        if (!g.setbacks.empty()) h.setbacks.push_back(when + ": " + g.setbacks);
      }
    }
    std::vector<std::string> lines;
    for (const auto& id : order) {
      const History& h = goals[id];
      std::string line =
          h.latest->description + " [" + std::string(toString(h.latest->status)) + "]";
      if (!h.progress.empty()) {
        line += "; progress: ";
        for (std::size_t i = 0; i < h.progress.size(); ++i) {
          line += (i ? ", " : "") + h.progress[i];
        }
      }
      line += h.setbacks.empty() ? "; no setbacks recorded" : "; setbacks: ";
      for (std::size_t i = 0; i < h.setbacks.size(); ++i) line += (i ? "; " : "") + h.setbacks[i];
      lines.push_back(line);
    }
    section(c, "Goals, progress and setbacks", vocab::kLoinc, "61146-7", "Goals Narrative", lines,
            urls("Goal"));
  }

  void interventionsSection(Element& c) {
    // The latest response per intervention decides where it is listed.
    std::vector<std::string> order;
    std::map<std::string, std::pair<const Intervention*, std::string>> latest;
    for (const MappedNote& m : mapped_) {
      for (const Intervention& in : m.note->interventions) {
        if (!latest.count(in.name)) order.push_back(in.name);
        latest[in.name] = {&in, day(m.note->session.start)};
      }
    }
    std::vector<std::string> worked, partly, failed, unknown;
    for (const auto& name : order) {
      const auto& [in, when] = latest[name];
      std::string line = name + " (last used " + when + ")";
      if (!in->comment.empty()) line += ": " + in->comment;
      if (!in->response) {
        unknown.push_back("Response not assessed: " + line);
      } else if (*in->response == InterventionResponse::kHelped) {
        worked.push_back("Worked: " + line);
      } else if (*in->response == InterventionResponse::kPartlyHelped) {
        partly.push_back("Partly worked: " + line);
      } else {
        failed.push_back("Did not work: " + line);
      }
    }
    std::vector<std::string> lines = worked;
    lines.insert(lines.end(), partly.begin(), partly.end());
    lines.insert(lines.end(), failed.begin(), failed.end());
    lines.insert(lines.end(), unknown.begin(), unknown.end());
    section(c, "Interventions and response", vocab::kLoinc, "62387-6", "Interventions Provided",
            lines, urls("Procedure"));
  }

  void medicationsSection(Element& c) {
    // The latest adherence per medication, then the earlier reports that differ from it.
    std::vector<std::string> order;
    std::map<std::string, std::vector<std::pair<const Medication*, std::string>>> history;
    for (const MappedNote& m : mapped_) {
      for (const Medication& med : m.note->medications) {
        const std::string key = med.id.empty() ? med.name : med.id;
        if (!history.count(key)) order.push_back(key);
        history[key].emplace_back(&med, day(m.note->session.start));
      }
    }
    std::vector<std::string> lines;
    for (const auto& key : order) {
      const auto& reports = history[key];
      const auto& [med, when] = reports.back();
      std::string line =
          med->name + ": " + std::string(adherenceText(med->adherence)) + " (as of " + when + ")";
      if (!med->comment.empty()) line += ", " + med->comment;
      std::string earlier;
      for (std::size_t i = reports.size() - 1; i-- > 0;) {
        const auto& [old, oldWhen] = reports[i];
        if (old->adherence == med->adherence && old->comment == med->comment) continue;
        earlier += (earlier.empty() ? "" : "; ") + std::string(adherenceText(old->adherence)) +
                   " (" + oldWhen + (old->comment.empty() ? "" : ", " + old->comment) + ")";
      }
      if (!earlier.empty()) line += "; earlier: " + earlier;
      lines.push_back(line);
    }
    section(c, "Medications and adherence", vocab::kLoinc, "10160-0",
            "History of Medication use Narrative", lines, urls("MedicationStatement"));
  }

  void scoresSection(Element& c) {
    // Instruments in order of first use; every total with its date, then the trend.
    std::vector<Instrument> order;
    std::map<Instrument, std::vector<std::pair<std::string, int>>> series;
    for (const MappedNote& m : mapped_) {
      for (const Measure& measure : m.note->measures) {
        if (!measure.total) continue;
        if (!series.count(measure.instrument)) order.push_back(measure.instrument);
        series[measure.instrument].emplace_back(day(m.note->session.start), *measure.total);
      }
    }
    std::vector<std::string> lines;
    for (Instrument instrument : order) {
      const auto& points = series[instrument];
      std::string line = std::string(instrumentInfo(instrument).name) + ": ";
      for (std::size_t i = 0; i < points.size(); ++i) {
        line += (i ? ", " : "") + std::to_string(points[i].second) + " on " + points[i].first;
      }
      const int delta = points.back().second - points.front().second;
      if (points.size() < 2) {
        line += "; one score, no trend yet";
      } else {
        // Higher totals mean more symptoms on every instrument we score (DOMAIN §2.1).
        line += "; trend " + std::to_string(points.front().second) + " -> " +
                std::to_string(points.back().second) + " (" + (delta > 0 ? "+" : "") +
                std::to_string(delta) + ", " +
                (delta < 0   ? "improving"
                 : delta > 0 ? "worsening"
                             : "unchanged") +
                ")";
      }
      lines.push_back(line);
    }
    section(c, "Score history and trend", kSectionSystem, "score-history", "Score history", lines,
            urls("Observation"));
  }

  void riskSection(Element& c) {
    std::vector<std::string> lines;
    const Note* latest = nullptr;
    bool everHigh = false;
    for (const MappedNote& m : mapped_) {
      if (!m.note->risk) continue;
      latest = m.note;
      everHigh = everHigh || m.note->risk->level == RiskLevel::kHigh ||
                 m.note->risk->suicidalIdeation || m.note->risk->homicidalIdeation;
    }
    if (latest) {
      const Risk& r = *latest->risk;
      lines.push_back("Current risk level " + std::string(toString(r.level)) + " (assessed " +
                      day(latest->session.start) + "); suicidal ideation " +
                      (r.suicidalIdeation ? "reported" : "denied") + ", homicidal ideation " +
                      (r.homicidalIdeation ? "reported" : "denied"));
      if (!r.safetyPlan.empty()) lines.push_back("Safety plan: " + r.safetyPlan);
      if (everHigh) lines.push_back("Ideation or high risk was recorded in earlier sessions");
    }
    section(c, "Risk and safety", kSectionSystem, "risk", "Risk and safety", lines,
            urls("RiskAssessment"));
  }

  void planSection(Element& c, const MappedNote& newest) {
    const Note& last = *newest.note;
    std::vector<std::string> lines;
    for (const Section& s : last.sections) {
      if (s.name == "plan") lines.push_back(s.text);
    }
    if (!last.nextSession.empty()) lines.push_back("Next session planned " + last.nextSession);
    std::vector<std::string> entries;
    auto it = newest.urlsByType.find("Appointment");
    if (it != newest.urlsByType.end()) entries = it->second;
    section(c, "Current plan", vocab::kLoinc, "18776-5", "Plan of care note", lines, entries);
  }

  void notesSection(Element& c) {
    std::vector<std::string> lines;
    std::vector<std::string> entries;
    for (const MappedNote& m : mapped_) {
      const Note& n = *m.note;
      std::string clinician = n.clinician.id;
      if (!n.clinician.names.empty()) clinician = n.clinician.names.front().family;
      lines.push_back(day(n.session.start) + " " + std::string(toString(n.format)) + " note " +
                      n.noteId + " v" + std::to_string(n.version) + " (CPT " + n.session.cpt +
                      ", " + std::to_string(n.session.minutes) + " min, " + clinician + ")");
      entries.push_back(m.documentUrl);
    }
    section(c, "Session notes", kSectionSystem, "session-notes", "Session notes", lines, entries);
  }

  void redisclosureSection(Element& c) {
    const bool sud = std::any_of(mapped_.begin(), mapped_.end(), [](const MappedNote& m) {
      return privacyOf(*m.note).substanceUse;
    });
    if (!sud) return;
    // 42 CFR 2.32: a disclosure of Part 2 records travels with a notice against redisclosure
    // and use in proceedings against the patient (DOMAIN §6.2).
    section(c, "42 CFR Part 2 redisclosure notice", kSectionSystem, "redisclosure-notice",
            "42 CFR Part 2 notice",
            {"This record contains substance use disorder information protected by federal "
             "confidentiality rules (42 CFR part 2). It may be redisclosed only as those rules "
             "and the patient's written consent allow, and it may not be used in any civil, "
             "criminal, administrative or legislative proceeding against the patient without "
             "the patient's consent or a court order."},
            {});
  }

  const TransferOptions& options_;
  Outcome outcome_;
  std::vector<MappedNote> mapped_;
  std::vector<std::pair<std::string, Element::Ptr>> entries_;
  std::map<std::string, std::size_t> position_;
  std::vector<std::pair<std::string, std::string>> labels_;
};

}  // namespace

fhir::Result<Element::Ptr> buildTransferSummary(const std::vector<Note>& notes,
                                                const TransferOptions& options) {
  if (options.now.empty()) {
    return fhir::Result<Element::Ptr>::failure(Severity::kError, "required",
                                               "the document needs a timestamp (now)", "now");
  }
  SummaryBuilder builder(options);
  return builder.build(notes);
}

}  // namespace notebridge::mappers

// The parse runs in situ over a zero-padded copy of the input, where RapidJSON's SSE2 string
// and whitespace scanners are safe (they read whole aligned 16-byte blocks), as in the core's
// FHIR JSON parser (json_parser.cpp, whose note says why no other file's RapidJSON code
// differs). SSE2 is part of every x86-64 CPU.
#if defined(__x86_64__) && !defined(RAPIDJSON_SSE2)
#define RAPIDJSON_SSE2
#endif
#include "notebridge/mappers/note_json.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "notebridge/fhir/json_text.h"

#include <algorithm>
#include <initializer_list>
#include <set>
#include <vector>

#include "note_checks.h"

namespace notebridge::mappers {
namespace {

using fhir::Outcome;
using fhir::Severity;
using rapidjson::Value;

std::string kindOf(const Value& v) {
  if (v.IsNull()) return "null";
  if (v.IsBool()) return "a boolean";
  if (v.IsNumber()) return "a number";
  if (v.IsString()) return "a string";
  if (v.IsArray()) return "an array";
  return "an object";
}

std::string join(const std::string& path, std::string_view key) {
  if (path.empty()) return std::string(key);
  return path + "." + std::string(key);
}

// A field's path, joined only when an issue names it: most fields have none, and building
// every path costs more than reading the field.
struct FieldPath {
  const std::string& parent;
  std::string_view key;
};

std::string pathText(const std::string& path) { return path; }
std::string pathText(const FieldPath& path) { return join(path.parent, path.key); }

std::string at(const std::string& path, std::size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

// Walks the DOM with a path, collecting issues; never stops at the first problem.
class Reader {
 public:
  explicit Reader(ParseMode mode) : mode_(mode) {}

  Outcome& outcome() { return outcome_; }

  void error(const std::string& path, std::string code, std::string message) {
    outcome_.add(Severity::kError, std::move(code), std::move(message), path);
  }
  void warning(const std::string& path, std::string code, std::string message) {
    outcome_.add(Severity::kWarning, std::move(code), std::move(message), path);
  }

  // Checks that `v` is an object whose keys are all in `known`; reports unknown and duplicate
  // keys. Returns false (after reporting) when `v` is not an object.
  bool object(const Value& v, const std::string& path,
              std::initializer_list<std::string_view> known) {
    if (!v.IsObject()) {
      error(path, "structure", "expected an object, found " + kindOf(v));
      return false;
    }
    // Note objects have a few dozen fields at most: comparing each key with the earlier ones
    // costs less than a set; larger objects (only in hostile input) take the set.
    constexpr std::size_t kPairwise = 64;
    const bool small = v.MemberCount() <= kPairwise;
    std::set<std::string_view> seen;
    for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
      std::string_view key(it->name.GetString(), it->name.GetStringLength());
      bool duplicate = false;
      if (small) {
        for (auto e = v.MemberBegin(); e != it && !duplicate; ++e) {
          duplicate = std::string_view(e->name.GetString(), e->name.GetStringLength()) == key;
        }
      } else {
        duplicate = !seen.insert(key).second;
      }
      if (duplicate) {
        error(join(path, key), "structure", "duplicate field '" + std::string(key) + "'");
      }
      if (std::find(known.begin(), known.end(), key) == known.end()) unknown(join(path, key));
    }
    return true;
  }

  void unknown(const std::string& path) {
    const std::string message = "unknown field (not part of the note format)";
    if (mode_ == ParseMode::kStrict) {
      error(path, "structure", message);
    } else {
      warning(path, "structure", message + "; ignored");
    }
  }

  const Value* member(const Value& obj, std::string_view key) {
    auto it = obj.FindMember(rapidjson::StringRef(key.data(), key.size()));
    return it == obj.MemberEnd() ? nullptr : &it->value;
  }

  // A string field. Required fields missing or empty are errors.
  std::string text(const Value& obj, const std::string& path, std::string_view key, bool required,
                   std::string_view expected = "a string") {
    const FieldPath p{path, key};
    const Value* v = member(obj, key);
    if (!v || v->IsNull()) {
      if (required) error(pathText(p), "required", "missing; expected " + std::string(expected));
      return {};
    }
    return textValue(*v, p, required, expected);
  }

  // `p`: the path as a std::string or a FieldPath.
  template <typename P>
  std::string textValue(const Value& v, const P& p, bool required,
                        std::string_view expected = "a string") {
    if (!v.IsString()) {
      error(pathText(p), "structure", "expected " + std::string(expected) + ", found " + kindOf(v));
      return {};
    }
    std::string s(v.GetString(), v.GetStringLength());
    if (required && s.empty()) {
      error(pathText(p), "required", "empty; expected " + std::string(expected));
    }
    if (hasControlCharacters(s)) {
      if (mode_ == ParseMode::kStrict) {
        error(pathText(p), "value",
              "control characters are not allowed in text (only tab and line breaks)");
      } else {
        warning(pathText(p), "value", "control characters removed");
        s = stripControlCharacters(s);
      }
    }
    return s;
  }

  template <typename E, typename F>
  std::optional<E> enumField(const Value& obj, const std::string& path, std::string_view key,
                             bool required, F parse, std::string_view allowed) {
    const FieldPath p{path, key};
    const Value* v = member(obj, key);
    if (!v || v->IsNull()) {
      if (required) {
        error(pathText(p), "required", "missing; expected one of " + std::string(allowed));
      }
      return std::nullopt;
    }
    if (!v->IsString()) {
      error(pathText(p), "structure",
            "expected one of " + std::string(allowed) + ", found " + kindOf(*v));
      return std::nullopt;
    }
    std::string_view s(v->GetString(), v->GetStringLength());
    std::optional<E> parsed = parse(s);
    if (!parsed) {
      error(pathText(p), "code-invalid",
            "'" + std::string(s) + "' is not allowed; expected one of " + std::string(allowed));
    }
    return parsed;
  }

  std::optional<int> integer(const Value& obj, const std::string& path, std::string_view key,
                             bool required, int min, int max) {
    const FieldPath p{path, key};
    const Value* v = member(obj, key);
    if (!v || v->IsNull()) {
      if (required) error(pathText(p), "required", "missing; expected " + rangeText(min, max));
      return std::nullopt;
    }
    return integerValue(*v, p, min, max);
  }

  template <typename P>
  std::optional<int> integerValue(const Value& v, const P& p, int min, int max) {
    if (!v.IsInt()) {
      error(pathText(p), "structure", "expected " + rangeText(min, max) + ", found " + kindOf(v));
      return std::nullopt;
    }
    const int n = v.GetInt();
    if (n < min || n > max) {
      error(pathText(p), "value",
            std::to_string(n) + " is out of range; expected " + rangeText(min, max));
      return std::nullopt;
    }
    return n;
  }

  bool boolean(const Value& obj, const std::string& path, std::string_view key) {
    const Value* v = member(obj, key);
    if (!v || v->IsNull()) return false;
    if (!v->IsBool()) {
      error(join(path, key), "structure", "expected true or false, found " + kindOf(*v));
      return false;
    }
    return v->GetBool();
  }

  // Calls `each(element, path)` for every element of an optional array field.
  template <typename F>
  void array(const Value& obj, const std::string& path, std::string_view key, F each) {
    const std::string p = join(path, key);
    const Value* v = member(obj, key);
    if (!v || v->IsNull()) return;
    if (!v->IsArray()) {
      error(p, "structure", "expected an array, found " + kindOf(*v));
      return;
    }
    for (rapidjson::SizeType i = 0; i < v->Size(); ++i) each((*v)[i], at(p, i));
  }

  std::vector<std::string> strings(const Value& obj, const std::string& path,
                                   std::string_view key) {
    std::vector<std::string> out;
    array(obj, path, key, [&](const Value& v, const std::string& p) {
      std::string s = textValue(v, p, true);
      out.push_back(std::move(s));
    });
    return out;
  }

  void dateTime(const std::string& value, const std::string& path, bool needsTime) {
    if (value.empty()) return;
    if (!isFhirDateTime(value, needsTime)) {
      error(path, "value",
            "'" + value + "' is not " +
                (needsTime ? "a date-time with seconds and offset (2025-03-04T15:00:00-05:00)"
                           : "a date (YYYY-MM-DD)"));
    }
  }

 private:
  static std::string rangeText(int min, int max) {
    return "an integer " + std::to_string(min) + ".." + std::to_string(max);
  }

  ParseMode mode_;
  Outcome outcome_;
};

constexpr std::string_view kStatuses = "draft, signed, amended, entered-in-error";
constexpr std::string_view kFormats = "SOAP, DAP, BIRP, GIRP, narrative";

std::vector<PersonName> readNames(Reader& r, const Value& obj, const std::string& path) {
  std::vector<PersonName> names;
  const Value* v = r.member(obj, "names");
  if (!v) {
    r.error(join(path, "names"), "required", "missing; expected an array of at least one name");
    return names;
  }
  r.array(obj, path, "names", [&](const Value& n, const std::string& p) {
    if (!r.object(n, p, {"use", "family", "given"})) return;
    PersonName name;
    name.use = r.text(n, p, "use", false);
    name.family = r.text(n, p, "family", false);
    name.given = r.strings(n, p, "given");
    if (name.family.empty() && name.given.empty()) {
      r.error(p, "required", "a name needs 'family' or 'given'");
    }
    names.push_back(std::move(name));
  });
  if (v->IsArray() && v->Empty()) {
    r.error(join(path, "names"), "required", "expected at least one name");
  }
  return names;
}

void checkNpi(Reader& r, const std::string& npi, const std::string& path) {
  if (!npi.empty() && !isNpi(npi)) {
    r.error(path, "value", "'" + npi + "' is not an NPI (10 digits with a valid check digit)");
  }
}

void readClient(Reader& r, const Value& v, const std::string& p, Client& c) {
  if (!r.object(v, p, {"id", "names", "birthDate", "sex", "identifiers"})) return;
  c.id = r.text(v, p, "id", true);
  c.names = readNames(r, v, p);
  c.birthDate = r.text(v, p, "birthDate", false);
  r.dateTime(c.birthDate, join(p, "birthDate"), false);
  c.sex = r.enumField<AdministrativeSex>(v, p, "sex", false, parseAdministrativeSex,
                                         "male, female, other, unknown")
              .value_or(AdministrativeSex::kUnknown);
  r.array(v, p, "identifiers", [&](const Value& e, const std::string& ip) {
    if (!r.object(e, ip, {"type", "system", "value"})) return;
    ClientIdentifier id;
    id.type = r.text(e, ip, "type", true, "a v2-0203 identifier type (MR, MB, ...)");
    id.system = r.text(e, ip, "system", true, "a URI");
    id.value = r.text(e, ip, "value", true);
    c.identifiers.push_back(std::move(id));
  });
}

void readClinician(Reader& r, const Value& v, const std::string& p, Clinician& c) {
  if (!r.object(v, p, {"id", "names", "npi", "credentials"})) return;
  c.id = r.text(v, p, "id", true);
  c.names = readNames(r, v, p);
  c.npi = r.text(v, p, "npi", true, "a 10-digit NPI");
  checkNpi(r, c.npi, join(p, "npi"));
  c.credentials = r.strings(v, p, "credentials");
}

void readPractice(Reader& r, const Value& v, const std::string& p, Practice& c) {
  if (!r.object(v, p, {"name", "npi", "taxId"})) return;
  c.name = r.text(v, p, "name", true);
  c.npi = r.text(v, p, "npi", true, "a 10-digit NPI");
  checkNpi(r, c.npi, join(p, "npi"));
  c.taxId = r.text(v, p, "taxId", false);
}

void readSession(Reader& r, const Value& v, const std::string& p, Session& s) {
  if (!r.object(v, p,
                {"start", "end", "minutes", "modality", "placeOfService", "cpt", "modifiers",
                 "addOnCodes", "participants"})) {
    return;
  }
  s.start = r.text(v, p, "start", true, "a date-time with offset");
  r.dateTime(s.start, join(p, "start"), true);
  s.end = r.text(v, p, "end", true, "a date-time with offset");
  r.dateTime(s.end, join(p, "end"), true);
  const auto startSeconds = epochSeconds(s.start);
  const auto endSeconds = epochSeconds(s.end);
  if (startSeconds && endSeconds && *endSeconds < *startSeconds) {
    r.error(join(p, "end"), "invariant", "the session ends before it starts (" + s.start + ")");
  }
  s.minutes = r.integer(v, p, "minutes", true, 0, 24 * 60).value_or(0);
  s.modality =
      r.enumField<Modality>(v, p, "modality", true, parseModality, "in-person, video, audio-only")
          .value_or(Modality::kInPerson);
  s.placeOfService = r.text(v, p, "placeOfService", false, "a two-digit CMS place-of-service code");
  if (!s.placeOfService.empty() && !isDigits(s.placeOfService, 2)) {
    r.error(join(p, "placeOfService"), "value",
            "'" + s.placeOfService + "' is not a two-digit place-of-service code");
  }
  s.cpt = r.text(v, p, "cpt", true, "a 5-character CPT code");
  if (!s.cpt.empty() && !isCpt(s.cpt)) {
    r.error(join(p, "cpt"), "value", "'" + s.cpt + "' is not a 5-character CPT code");
  }
  s.modifiers = r.strings(v, p, "modifiers");
  s.addOnCodes = r.strings(v, p, "addOnCodes");
  for (std::size_t i = 0; i < s.addOnCodes.size(); ++i) {
    if (!isCpt(s.addOnCodes[i])) {
      r.error(at(join(p, "addOnCodes"), i), "value",
              "'" + s.addOnCodes[i] + "' is not a 5-character CPT code");
    }
  }
  r.array(v, p, "participants", [&](const Value& e, const std::string& ep) {
    if (!r.object(e, ep, {"role", "name"})) return;
    Participant part;
    part.role = r.text(e, ep, "role", true);
    part.name = r.text(e, ep, "name", false);
    s.participants.push_back(std::move(part));
  });
}

void readMeasure(Reader& r, const Value& v, const std::string& p, Note& note) {
  if (!r.object(v, p, {"instrument", "total", "items", "absentReason"})) return;
  Measure m;
  auto instrument = r.enumField<Instrument>(v, p, "instrument", true, parseInstrument,
                                            "PHQ-9, PHQ-2, GAD-7, AUDIT-C, PCL-5, C-SSRS");
  if (!instrument) return;
  m.instrument = *instrument;
  const InstrumentInfo& info = instrumentInfo(m.instrument);
  m.total = r.integer(v, p, "total", false, 0, info.maxTotal);
  bool itemsOk = true;
  if (const Value* items = r.member(v, "items"); items && !items->IsNull()) {
    const std::string ip = join(p, "items");
    if (!items->IsArray()) {
      r.error(ip, "structure", "expected an array of integers or null, found " + kindOf(*items));
      itemsOk = false;
    } else if (items->Size() != static_cast<rapidjson::SizeType>(info.itemCount)) {
      r.error(ip, "value",
              std::string(info.name) + " has " + std::to_string(info.itemCount) + " items; found " +
                  std::to_string(items->Size()) + " (use null for an unanswered item)");
      itemsOk = false;
    } else {
      for (rapidjson::SizeType i = 0; i < items->Size(); ++i) {
        const Value& item = (*items)[i];
        if (item.IsNull()) {
          m.items.emplace_back();
          continue;
        }
        auto n = r.integerValue(item, at(ip, i), 0, info.maxItem);
        if (!n) itemsOk = false;
        m.items.push_back(n);
      }
    }
  }
  if (std::none_of(m.items.begin(), m.items.end(), [](const auto& i) { return i.has_value(); })) {
    m.items.clear();  // all unanswered: the same as no items
  }
  m.absentReason = r.enumField<AbsentReason>(v, p, "absentReason", false, parseAbsentReason,
                                             "asked-declined, not-performed");
  const bool anyItem =
      std::any_of(m.items.begin(), m.items.end(), [](const auto& i) { return i.has_value(); });
  if (!m.total && !anyItem && !m.absentReason) {
    r.error(p, "required", "a measure needs 'total', answered 'items' or 'absentReason'");
  }
  if (m.absentReason && (m.total || anyItem)) {
    r.error(join(p, "absentReason"), "invariant",
            "'absentReason' is only allowed for a measure without total and items");
  }
  const bool allItems =
      !m.items.empty() && itemsOk &&
      std::all_of(m.items.begin(), m.items.end(), [](const auto& i) { return i.has_value(); });
  if (m.total && allItems && m.instrument != Instrument::kCssrs) {
    int sum = 0;
    for (const auto& i : m.items) sum += *i;
    if (sum != *m.total) {
      r.warning(join(p, "total"), "business-rule",
                "total " + std::to_string(*m.total) + " differs from the sum of the items (" +
                    std::to_string(sum) + ")");
    }
  }
  note.measures.push_back(std::move(m));
}

void readSections(Reader& r, const Value& obj, Note& note) {
  const Value* v = r.member(obj, "sections");
  if (!v) {
    r.error("sections", "required", "missing; expected an object with the format's sections");
    return;
  }
  const auto& names = sectionNames(note.format);
  if (!v->IsObject()) {
    r.error("sections", "structure", "expected an object, found " + kindOf(*v));
    return;
  }
  for (auto it = v->MemberBegin(); it != v->MemberEnd(); ++it) {
    std::string_view key(it->name.GetString(), it->name.GetStringLength());
    if (std::find(names.begin(), names.end(), key) == names.end()) {
      std::string expected;
      for (auto n : names) expected += (expected.empty() ? "" : ", ") + std::string(n);
      r.unknown(join("sections", key));
      if (r.outcome().issues().back().severity == Severity::kError) {
        r.outcome().issues().back().diagnostics = "not a section of " +
                                                  std::string(toString(note.format)) +
                                                  " (expected " + expected + ")";
      }
    }
  }
  for (auto name : names) {
    Section s;
    s.name = std::string(name);
    s.text = r.text(*v, "sections", name, true);
    note.sections.push_back(std::move(s));
  }
}

Note readNote(Reader& r, const Value& root) {
  Note note;
  if (!r.object(root, "",
                {"noteId",    "version",       "status",      "replaces", "format",  "sections",
                 "client",    "clinician",     "practice",    "session",  "reasons", "diagnoses",
                 "goals",     "interventions", "medications", "measures", "risk",    "nextSession",
                 "signature", "sensitivity",   "attachments"})) {
    return note;
  }
  note.noteId = r.text(root, "", "noteId", true);
  note.version = r.integer(root, "", "version", true, 1, 1000000).value_or(1);
  note.status = r.enumField<NoteStatus>(root, "", "status", true, parseNoteStatus, kStatuses)
                    .value_or(NoteStatus::kDraft);
  if (const Value* v = r.member(root, "replaces"); v && !v->IsNull()) {
    if (r.object(*v, "replaces", {"noteId", "version"})) {
      NoteRef ref;
      ref.noteId = r.text(*v, "replaces", "noteId", true);
      ref.version = r.integer(*v, "replaces", "version", true, 1, 1000000).value_or(1);
      note.replaces = ref;
    }
  }
  if (note.status == NoteStatus::kAmended && !r.member(root, "replaces")) {
    r.error("replaces", "required", "an amended note must name the note version it replaces");
  }
  std::optional<NoteFormat> format =
      r.enumField<NoteFormat>(root, "", "format", true, parseNoteFormat, kFormats);
  if (format) {
    note.format = *format;
    readSections(r, root, note);
  }
  auto requiredObject = [&](std::string_view key) -> const Value* {
    const Value* v = r.member(root, key);
    if (!v) r.error(std::string(key), "required", "missing; expected an object");
    return v;
  };
  if (const Value* v = requiredObject("client")) readClient(r, *v, "client", note.client);
  if (const Value* v = requiredObject("clinician")) {
    readClinician(r, *v, "clinician", note.clinician);
  }
  if (const Value* v = requiredObject("practice")) readPractice(r, *v, "practice", note.practice);
  if (const Value* v = requiredObject("session")) readSession(r, *v, "session", note.session);
  note.reasons = r.strings(root, "", "reasons");
  std::set<int> ranks;
  std::set<std::string> codes;
  std::set<std::string> goalIds;
  std::set<std::string> medicationIds;
  r.array(root, "", "diagnoses", [&](const Value& v, const std::string& p) {
    if (!r.object(v, p, {"code", "display", "rank"})) return;
    Diagnosis d;
    d.code = r.text(v, p, "code", true, "an ICD-10-CM code");
    if (!d.code.empty() && !isIcd10Cm(d.code)) {
      r.error(join(p, "code"), "value", "'" + d.code + "' is not an ICD-10-CM code (e.g. F41.1)");
    }
    d.display = r.text(v, p, "display", false);
    d.rank = r.integer(v, p, "rank", true, 1, 99).value_or(1);
    if (!codes.insert(d.code).second) {
      r.error(join(p, "code"), "value", "diagnosis " + d.code + " is listed twice");
    }
    if (!ranks.insert(d.rank).second) {
      r.error(join(p, "rank"), "value", "rank " + std::to_string(d.rank) + " is used twice");
    }
    note.diagnoses.push_back(std::move(d));
  });
  r.array(root, "", "goals", [&](const Value& v, const std::string& p) {
    if (!r.object(v, p, {"id", "description", "status", "progress", "setbacks"})) return;
    Goal g;
    g.id = r.text(v, p, "id", true);
    if (!g.id.empty() && !goalIds.insert(g.id).second) {
      r.error(join(p, "id"), "value", "goal id '" + g.id + "' is used twice");
    }
    g.description = r.text(v, p, "description", true);
    g.status = r.enumField<GoalStatus>(v, p, "status", true, parseGoalStatus,
                                       "proposed, active, on-hold, completed, cancelled")
                   .value_or(GoalStatus::kActive);
    g.progress = r.enumField<GoalProgress>(v, p, "progress", false, parseGoalProgress,
                                           "improving, stable, worsening, achieved");
    g.setbacks = r.text(v, p, "setbacks", false);
    note.goals.push_back(std::move(g));
  });
  r.array(root, "", "interventions", [&](const Value& v, const std::string& p) {
    if (!r.object(v, p, {"name", "response", "comment"})) return;
    Intervention i;
    i.name = r.text(v, p, "name", true);
    i.response = r.enumField<InterventionResponse>(
        v, p, "response", false, parseInterventionResponse, "helped, partly-helped, not-helped");
    i.comment = r.text(v, p, "comment", false);
    note.interventions.push_back(std::move(i));
  });
  r.array(root, "", "medications", [&](const Value& v, const std::string& p) {
    if (!r.object(v, p, {"id", "name", "rxnorm", "adherence", "comment"})) return;
    Medication m;
    m.id = r.text(v, p, "id", true);
    if (!m.id.empty() && !medicationIds.insert(m.id).second) {
      r.error(join(p, "id"), "value", "medication id '" + m.id + "' is used twice");
    }
    m.name = r.text(v, p, "name", true);
    m.rxnorm = r.text(v, p, "rxnorm", false, "an RxNorm code");
    if (!m.rxnorm.empty() && !isDigits(m.rxnorm, 0)) {
      r.error(join(p, "rxnorm"), "value", "'" + m.rxnorm + "' is not an RxNorm code (digits)");
    }
    m.adherence =
        r.enumField<Adherence>(v, p, "adherence", true, parseAdherence,
                               "taking-as-directed, taking-not-as-directed, not-taking, stopped, "
                               "unknown")
            .value_or(Adherence::kUnknown);
    m.comment = r.text(v, p, "comment", false);
    note.medications.push_back(std::move(m));
  });
  r.array(root, "", "measures",
          [&](const Value& v, const std::string& p) { readMeasure(r, v, p, note); });
  if (const Value* v = r.member(root, "risk"); v && !v->IsNull()) {
    if (r.object(*v, "risk", {"suicidalIdeation", "homicidalIdeation", "level", "safetyPlan"})) {
      Risk risk;
      risk.suicidalIdeation = r.boolean(*v, "risk", "suicidalIdeation");
      risk.homicidalIdeation = r.boolean(*v, "risk", "homicidalIdeation");
      risk.level = r.enumField<RiskLevel>(*v, "risk", "level", true, parseRiskLevel,
                                          "none, low, moderate, high")
                       .value_or(RiskLevel::kNone);
      risk.safetyPlan = r.text(*v, "risk", "safetyPlan", false);
      note.risk = std::move(risk);
    }
  }
  note.nextSession = r.text(root, "", "nextSession", false, "a date-time with offset");
  r.dateTime(note.nextSession, "nextSession", true);
  if (const Value* v = r.member(root, "signature"); v && !v->IsNull()) {
    if (r.object(*v, "signature", {"signedAt", "attestation"})) {
      Signature s;
      s.signedAt = r.text(*v, "signature", "signedAt", true, "a date-time with offset");
      r.dateTime(s.signedAt, "signature.signedAt", true);
      s.attestation = r.text(*v, "signature", "attestation", true);
      note.signature = std::move(s);
    }
  } else if (note.status != NoteStatus::kDraft) {
    r.error("signature", "required",
            "a " + std::string(toString(note.status)) + " note needs a signature");
  }
  if (const Value* v = r.member(root, "sensitivity"); v && !v->IsNull()) {
    if (r.object(*v, "sensitivity", {"psychotherapyNote", "substanceUse", "authorization"})) {
      note.sensitivity.psychotherapyNote = r.boolean(*v, "sensitivity", "psychotherapyNote");
      note.sensitivity.substanceUse = r.boolean(*v, "sensitivity", "substanceUse");
      if (const Value* a = r.member(*v, "authorization"); a && !a->IsNull()) {
        const std::string ap = "sensitivity.authorization";
        if (r.object(*a, ap, {"id", "date"})) {
          Authorization auth;
          auth.id = r.text(*a, ap, "id", true);
          auth.date = r.text(*a, ap, "date", true, "a date (YYYY-MM-DD)");
          r.dateTime(auth.date, ap + ".date", false);
          note.sensitivity.authorization = std::move(auth);
        }
      }
    }
  }
  r.array(root, "", "attachments", [&](const Value& v, const std::string& p) {
    if (!r.object(v, p, {"contentType", "title", "data"})) return;
    OpaqueAttachment a;
    a.contentType = r.text(v, p, "contentType", true, "a MIME type");
    a.title = r.text(v, p, "title", false);
    a.data = r.text(v, p, "data", true, "base64 content");
    note.attachments.push_back(std::move(a));
  });
  return note;
}

// ---- writer -------------------------------------------------------------------------------

template <typename W>
class NoteWriter {
 public:
  explicit NoteWriter(W& w) : w_(w) {}

  void key(std::string_view k) { w_.Key(k.data(), static_cast<rapidjson::SizeType>(k.size())); }
  void str(std::string_view s) { w_.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }
  void field(std::string_view k, std::string_view s) {
    key(k);
    str(s);
  }
  void optional(std::string_view k, std::string_view s) {
    if (!s.empty()) field(k, s);
  }
  void strings(std::string_view k, const std::vector<std::string>& list) {
    if (list.empty()) return;
    key(k);
    w_.StartArray();
    for (const auto& s : list) str(s);
    w_.EndArray();
  }
  void names(const std::vector<PersonName>& names) {
    key("names");
    w_.StartArray();
    for (const auto& n : names) {
      w_.StartObject();
      optional("use", n.use);
      optional("family", n.family);
      strings("given", n.given);
      w_.EndObject();
    }
    w_.EndArray();
  }
  template <typename T, typename F>
  void list(std::string_view k, const std::vector<T>& items, F each) {
    if (items.empty()) return;
    key(k);
    w_.StartArray();
    for (const auto& item : items) {
      w_.StartObject();
      each(item);
      w_.EndObject();
    }
    w_.EndArray();
  }

  void write(const Note& n) {
    w_.StartObject();
    field("noteId", n.noteId);
    key("version");
    w_.Int(n.version);
    field("status", toString(n.status));
    if (n.replaces) {
      key("replaces");
      w_.StartObject();
      field("noteId", n.replaces->noteId);
      key("version");
      w_.Int(n.replaces->version);
      w_.EndObject();
    }
    field("format", toString(n.format));
    key("sections");
    w_.StartObject();
    for (const auto& s : n.sections) field(s.name, s.text);
    w_.EndObject();

    key("client");
    w_.StartObject();
    field("id", n.client.id);
    names(n.client.names);
    optional("birthDate", n.client.birthDate);
    field("sex", toString(n.client.sex));
    list("identifiers", n.client.identifiers, [&](const ClientIdentifier& i) {
      field("type", i.type);
      field("system", i.system);
      field("value", i.value);
    });
    w_.EndObject();

    key("clinician");
    w_.StartObject();
    field("id", n.clinician.id);
    names(n.clinician.names);
    field("npi", n.clinician.npi);
    strings("credentials", n.clinician.credentials);
    w_.EndObject();

    key("practice");
    w_.StartObject();
    field("name", n.practice.name);
    field("npi", n.practice.npi);
    optional("taxId", n.practice.taxId);
    w_.EndObject();

    const Session& s = n.session;
    key("session");
    w_.StartObject();
    field("start", s.start);
    field("end", s.end);
    key("minutes");
    w_.Int(s.minutes);
    field("modality", toString(s.modality));
    optional("placeOfService", s.placeOfService);
    field("cpt", s.cpt);
    strings("modifiers", s.modifiers);
    strings("addOnCodes", s.addOnCodes);
    list("participants", s.participants, [&](const Participant& p) {
      field("role", p.role);
      optional("name", p.name);
    });
    w_.EndObject();

    strings("reasons", n.reasons);
    list("diagnoses", n.diagnoses, [&](const Diagnosis& d) {
      field("code", d.code);
      optional("display", d.display);
      key("rank");
      w_.Int(d.rank);
    });
    list("goals", n.goals, [&](const Goal& g) {
      field("id", g.id);
      field("description", g.description);
      field("status", toString(g.status));
      if (g.progress) field("progress", toString(*g.progress));
      optional("setbacks", g.setbacks);
    });
    list("interventions", n.interventions, [&](const Intervention& i) {
      field("name", i.name);
      if (i.response) field("response", toString(*i.response));
      optional("comment", i.comment);
    });
    list("medications", n.medications, [&](const Medication& m) {
      field("id", m.id);
      field("name", m.name);
      optional("rxnorm", m.rxnorm);
      field("adherence", toString(m.adherence));
      optional("comment", m.comment);
    });
    list("measures", n.measures, [&](const Measure& m) {
      field("instrument", toString(m.instrument));
      if (m.total) {
        key("total");
        w_.Int(*m.total);
      }
      if (!m.items.empty()) {
        key("items");
        w_.StartArray();
        for (const auto& i : m.items) {
          if (i) {
            w_.Int(*i);
          } else {
            w_.Null();
          }
        }
        w_.EndArray();
      }
      if (m.absentReason) field("absentReason", toString(*m.absentReason));
    });
    if (n.risk) {
      key("risk");
      w_.StartObject();
      key("suicidalIdeation");
      w_.Bool(n.risk->suicidalIdeation);
      key("homicidalIdeation");
      w_.Bool(n.risk->homicidalIdeation);
      field("level", toString(n.risk->level));
      optional("safetyPlan", n.risk->safetyPlan);
      w_.EndObject();
    }
    optional("nextSession", n.nextSession);
    if (n.signature) {
      key("signature");
      w_.StartObject();
      field("signedAt", n.signature->signedAt);
      field("attestation", n.signature->attestation);
      w_.EndObject();
    }
    const Sensitivity& sens = n.sensitivity;
    if (sens.psychotherapyNote || sens.substanceUse || sens.authorization) {
      key("sensitivity");
      w_.StartObject();
      key("psychotherapyNote");
      w_.Bool(sens.psychotherapyNote);
      key("substanceUse");
      w_.Bool(sens.substanceUse);
      if (sens.authorization) {
        key("authorization");
        w_.StartObject();
        field("id", sens.authorization->id);
        field("date", sens.authorization->date);
        w_.EndObject();
      }
      w_.EndObject();
    }
    list("attachments", n.attachments, [&](const OpaqueAttachment& a) {
      field("contentType", a.contentType);
      optional("title", a.title);
      field("data", a.data);
    });
    w_.EndObject();
  }

 private:
  W& w_;
};

}  // namespace

// The DOM of a typical note fits here without a heap block; larger ones take more from the heap.
constexpr std::size_t kDomPoolBytes = 32u << 10;

fhir::Result<Note> parseNote(std::string_view json, ParseMode mode) {
  if (json.size() > kMaxNoteJsonBytes) {
    return fhir::Result<Note>::failure(Severity::kFatal, "too-long",
                                       "note document is " + std::to_string(json.size()) +
                                           " bytes; the limit is " +
                                           std::to_string(kMaxNoteJsonBytes));
  }
  // UTF-8 is checked in one fast pass; the DOM is then built in situ over a copy, so its
  // strings point into that copy instead of being copied once more.
  const std::size_t badByte = fhir::findInvalidUtf8(json);
  // Per-thread buffers for the copy and the DOM: fresh large blocks per note cost more than the
  // parse (glibc consolidates its free lists on every large request).
  thread_local std::string tBuffer;
  thread_local std::vector<char> tPool(kDomPoolBytes);
  fhir::PaddedCopy copy(tBuffer, json);
  rapidjson::MemoryPoolAllocator<> pool(tPool.data(), tPool.size());
  rapidjson::Document doc(&pool);
  if (badByte == std::string_view::npos) {
    doc.ParseInsitu<rapidjson::kParseIterativeFlag>(copy.data());
  }
  if (badByte != std::string_view::npos || doc.HasParseError()) {
    const std::size_t offset = badByte != std::string_view::npos ? badByte : doc.GetErrorOffset();
    fhir::Issue issue;
    issue.severity = Severity::kFatal;
    issue.code = "structure";
    issue.diagnostics =
        badByte != std::string_view::npos
            ? std::string("not valid JSON: Invalid encoding (not well-formed UTF-8)")
            : std::string("not valid JSON: ") + rapidjson::GetParseError_En(doc.GetParseError());
    issue.line = 1;
    issue.column = 1;
    for (std::size_t i = 0; i < offset && i < json.size(); ++i) {
      if (json[i] == '\n') {
        ++issue.line;
        issue.column = 1;
      } else {
        ++issue.column;
      }
    }
    fhir::Outcome outcome;
    outcome.add(std::move(issue));
    return fhir::Result<Note>(std::move(outcome));
  }
  Reader reader(mode);
  Note note = readNote(reader, doc);
  if (reader.outcome().hasErrors()) return fhir::Result<Note>(std::move(reader.outcome()));
  return fhir::Result<Note>(std::move(note), std::move(reader.outcome()));
}

std::string writeNote(const Note& note, bool pretty) {
  if (!pretty) {
    std::string out;
    out.reserve(1024);
    fhir::JsonTextWriter writer(out);
    NoteWriter<decltype(writer)>(writer).write(note);
    return out;
  }
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buffer);
  writer.SetIndent(' ', 2);
  NoteWriter<decltype(writer)>(writer).write(note);
  std::string out(buffer.GetString(), buffer.GetSize());
  out += '\n';
  return out;
}

}  // namespace notebridge::mappers

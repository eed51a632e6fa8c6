#include "fhir_api/search_parameters.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <map>

namespace notebridge::gateway {

using fhir::Element;
using fhir::Result;
using fhir::Severity;

const std::vector<SearchParameterDef>& searchParametersFor(std::string_view type) {
  static const std::map<std::string, std::vector<SearchParameterDef>, std::less<>> kByType = [] {
    std::map<std::string, std::vector<SearchParameterDef>, std::less<>> m;
    auto add = [&m](std::string type, std::string name, std::string kind,
                    std::vector<std::string> paths, std::string target = {}) {
      m[type].push_back(
          {type, std::move(name), std::move(kind), std::move(paths), std::move(target), {}});
    };
    add("DocumentReference", "patient", "reference", {"subject"}, "Patient");
    add("DocumentReference", "subject", "reference", {"subject"});
    add("DocumentReference", "type", "token", {"type"});
    add("DocumentReference", "category", "token", {"category"});
    add("DocumentReference", "date", "date", {"date"});
    add("DocumentReference", "period", "date", {"context.period"});
    add("DocumentReference", "status", "token", {"status"});
    add("DocumentReference", "identifier", "token", {"masterIdentifier", "identifier"});
    add("DocumentReference", "encounter", "reference", {"context.encounter"});
    add("DocumentReference", "author", "reference", {"author"});
    add("Observation", "patient", "reference", {"subject"}, "Patient");
    add("Observation", "subject", "reference", {"subject"});
    add("Observation", "code", "token", {"code"});
    add("Observation", "date", "date", {"effective"});
    add("Observation", "category", "token", {"category"});
    add("Observation", "status", "token", {"status"});
    add("Observation", "identifier", "token", {"identifier"});
    add("Observation", "encounter", "reference", {"encounter"});
    add("Observation", "derived-from", "reference", {"derivedFrom"});
    add("Patient", "identifier", "token", {"identifier"});
    add("Patient", "name", "string", {"name"});
    add("Patient", "family", "string", {"name.family"});
    add("Patient", "given", "string", {"name.given"});
    add("Patient", "birthdate", "date", {"birthDate"});
    add("Patient", "gender", "token", {"gender"});
    add("Practitioner", "identifier", "token", {"identifier"});
    add("Practitioner", "name", "string", {"name"});
    add("PractitionerRole", "identifier", "token", {"identifier"});
    add("PractitionerRole", "practitioner", "reference", {"practitioner"});
    add("PractitionerRole", "organization", "reference", {"organization"});
    add("Organization", "identifier", "token", {"identifier"});
    add("Organization", "name", "string", {"name", "alias"});
    add("Encounter", "patient", "reference", {"subject"}, "Patient");
    add("Encounter", "subject", "reference", {"subject"});
    add("Encounter", "identifier", "token", {"identifier"});
    add("Encounter", "status", "token", {"status"});
    add("Encounter", "class", "token", {"class"});
    add("Encounter", "type", "token", {"type"});
    add("Encounter", "date", "date", {"period"});
    add("Condition", "patient", "reference", {"subject"}, "Patient");
    add("Condition", "subject", "reference", {"subject"});
    add("Condition", "code", "token", {"code"});
    add("Condition", "identifier", "token", {"identifier"});
    add("Condition", "encounter", "reference", {"encounter"});
    add("Goal", "patient", "reference", {"subject"}, "Patient");
    add("Goal", "subject", "reference", {"subject"});
    add("Goal", "identifier", "token", {"identifier"});
    add("Goal", "lifecycle-status", "token", {"lifecycleStatus"});
    add("Provenance", "target", "reference", {"target"});
    add("Provenance", "patient", "reference", {"target"}, "Patient");
    add("Provenance", "recorded", "date", {"recorded"});
    // AuditEvent and Consent (issue 9): disclosures and imports are searched by patient.
    add("AuditEvent", "patient", "reference", {"agent.who", "entity.what"}, "Patient");
    add("AuditEvent", "entity", "reference", {"entity.what"});
    add("AuditEvent", "date", "date", {"recorded"});
    add("AuditEvent", "type", "token", {"type"});
    add("AuditEvent", "subtype", "token", {"subtype"});
    add("AuditEvent", "action", "token", {"action"});
    add("AuditEvent", "outcome", "token", {"outcome"});
    add("Consent", "patient", "reference", {"patient"}, "Patient");
    add("Consent", "status", "token", {"status"});
    add("Consent", "identifier", "token", {"identifier"});
    add("Consent", "period", "date", {"provision.period"});
    // patient = subject (or target) limited to Patient references: one index row serves both.
    for (auto& [type, defs] : m) {
      for (SearchParameterDef& def : defs) {
        if (def.kind != "reference" || def.targetType.empty()) continue;
        for (const SearchParameterDef& other : defs) {
          if (other.kind == "reference" && other.targetType.empty() && other.paths == def.paths) {
            def.indexedAs = other.name;
          }
        }
      }
    }
    return m;
  }();
  static const std::vector<SearchParameterDef> kNone;
  auto it = kByType.find(type);
  return it == kByType.end() ? kNone : it->second;
}

const std::vector<std::string>& servedResourceTypes() {
  static const std::vector<std::string> kTypes = {
      "AuditEvent", "Condition",    "Consent",          "DocumentReference",
      "Encounter",  "Goal",         "Observation",      "Organization",
      "Patient",    "Practitioner", "PractitionerRole", "Provenance"};
  return kTypes;
}

namespace {

// ---- dates ----

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's civil algorithm).
std::int64_t daysFromCivil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civilFromDays(std::int64_t z, int& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int>(static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2));
}

std::string formatMillis(std::int64_t ms) {
  std::int64_t days = ms >= 0 ? ms / 86400000 : (ms - 86399999) / 86400000;
  std::int64_t rest = ms - days * 86400000;
  int y;
  unsigned mo, d;
  civilFromDays(days, y, mo, d);
  const int hour = static_cast<int>(rest / 3600000);
  const int minute = static_cast<int>(rest / 60000 % 60);
  const int second = static_cast<int>(rest / 1000 % 60);
  const int millis = static_cast<int>(rest % 1000);
  if (y < 0 || y > 9999) {
    char out[40];
    std::snprintf(out, sizeof out, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", y, mo, d, hour, minute,
                  second, millis);
    return out;
  }
  // The common case without snprintf (two per indexed date: ~1.5 % of a note's request CPU).
  std::string out = "0000-00-00T00:00:00.000Z";
  const auto put = [&out](std::size_t at, int value, int width) {
    for (int i = width - 1; i >= 0; --i, value /= 10) {
      out[at + static_cast<std::size_t>(i)] = static_cast<char>('0' + value % 10);
    }
  };
  put(0, y, 4);
  put(5, static_cast<int>(mo), 2);
  put(8, static_cast<int>(d), 2);
  put(11, hour, 2);
  put(14, minute, 2);
  put(17, second, 2);
  put(20, millis, 3);
  return out;
}

bool digits(std::string_view text, std::size_t at, std::size_t count, int& out) {
  if (at + count > text.size()) return false;
  out = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

}  // namespace

std::optional<std::pair<std::string, std::string>> dateRange(std::string_view text) {
  int year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0, millis = 0;
  if (!digits(text, 0, 4, year)) return std::nullopt;
  std::size_t at = 4;
  enum { kYear, kMonth, kDay, kMinute, kSecond, kMilli } precision = kYear;
  if (at < text.size()) {
    if (text[at] != '-' || !digits(text, at + 1, 2, month) || month < 1 || month > 12) {
      return std::nullopt;
    }
    at += 3;
    precision = kMonth;
  }
  if (at < text.size()) {
    if (text[at] != '-' || !digits(text, at + 1, 2, day) || day < 1 || day > 31)
      return std::nullopt;
    at += 3;
    precision = kDay;
  }
  std::int64_t offsetMinutes = 0;
  if (at < text.size()) {
    if (text[at] != 'T' || !digits(text, at + 1, 2, hour) || text.size() < at + 6 ||
        text[at + 3] != ':' || !digits(text, at + 4, 2, minute) || hour > 23 || minute > 59) {
      return std::nullopt;
    }
    at += 6;
    precision = kMinute;
    if (at < text.size() && text[at] == ':') {
      if (!digits(text, at + 1, 2, second) || second > 60) return std::nullopt;
      at += 3;
      precision = kSecond;
      if (at < text.size() && text[at] == '.') {
        std::size_t end = at + 1;
        while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
        if (end == at + 1) return std::nullopt;
        std::string fraction(text.substr(at + 1, std::min<std::size_t>(3, end - at - 1)));
        fraction.resize(3, '0');
        millis = std::stoi(fraction);
        at = end;
        precision = kMilli;
      }
    }
    if (at < text.size()) {
      if (text[at] == 'Z' && at + 1 == text.size()) {
        at += 1;
      } else if ((text[at] == '+' || text[at] == '-') && text.size() == at + 6 &&
                 text[at + 3] == ':') {
        int oh = 0, om = 0;
        if (!digits(text, at + 1, 2, oh) || !digits(text, at + 4, 2, om)) return std::nullopt;
        offsetMinutes = (text[at] == '-' ? -1 : 1) * (oh * 60 + om);
        at = text.size();
      } else {
        return std::nullopt;
      }
    }
  }
  if (at != text.size()) return std::nullopt;
  const std::int64_t start =
      (daysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
       hour * 3600 + minute * 60 + second - offsetMinutes * 60) *
          1000 +
      millis;
  std::int64_t end = start;
  switch (precision) {
    case kYear:
      end = daysFromCivil(year + 1, 1, 1) * 86400000 - 1;
      break;
    case kMonth:
      end = (month == 12 ? daysFromCivil(year + 1, 1, 1)
                         : daysFromCivil(year, static_cast<unsigned>(month + 1), 1)) *
                86400000 -
            1;
      break;
    case kDay:
      end = start + 86400000 - 1;
      break;
    case kMinute:
      end = start + 60000 - 1;
      break;
    case kSecond:
      end = start + 999;
      break;
    case kMilli:
      break;
  }
  return std::make_pair(formatMillis(start), formatMillis(end));
}

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

void collect(const Element& node, std::string_view path, std::vector<const Element*>& out) {
  const std::size_t dot = path.find('.');
  const std::string_view head = path.substr(0, dot);
  for (const auto& child : node.children()) {
    if (child->baseName() != head) continue;
    if (dot == std::string_view::npos) {
      out.push_back(child.get());
    } else {
      collect(*child, path.substr(dot + 1), out);
    }
  }
}

// "http://x/fhir/Patient/1" and "Patient/1/_history/2" both index as "Patient/1".
std::string localReference(std::string_view reference) {
  if (const std::size_t history = reference.find("/_history/"); history != std::string_view::npos) {
    reference = reference.substr(0, history);
  }
  const std::size_t last = reference.rfind('/');
  if (last == std::string_view::npos || last == 0) return std::string(reference);
  const std::size_t before = reference.rfind('/', last - 1);
  return std::string(before == std::string_view::npos ? reference : reference.substr(before + 1));
}

void indexValue(const SearchParameterDef& def, const Element& e, std::vector<IndexEntry>& out) {
  const std::string& t = e.type();
  if (def.kind == "token") {
    if (t == "CodeableConcept") {
      for (const Element* coding : e.childrenNamed("coding")) indexValue(def, *coding, out);
    } else if (t == "Coding") {
      if (!e.childValue("code").empty()) {
        out.push_back({def.name,
                       "token",
                       std::string(e.childValue("system")),
                       std::string(e.childValue("code")),
                       {}});
      }
    } else if (t == "Identifier") {
      if (!e.childValue("value").empty()) {
        out.push_back({def.name,
                       "token",
                       std::string(e.childValue("system")),
                       std::string(e.childValue("value")),
                       {}});
      }
    } else if (e.hasValue()) {
      out.push_back({def.name, "token", {}, e.value(), {}});
    }
  } else if (def.kind == "reference") {
    const std::string_view reference = e.childValue("reference");
    if (reference.empty() || reference.front() == '#') return;
    std::string local = localReference(reference);
    if (!def.targetType.empty() && local.rfind(def.targetType + "/", 0) != 0) return;
    out.push_back({def.name, "reference", {}, std::move(local), {}});
  } else if (def.kind == "string") {
    if (e.isPrimitive()) {
      if (e.hasValue()) out.push_back({def.name, "string", e.value(), lower(e.value()), {}});
    } else {
      // HumanName, Address and the like: every string part is searchable.
      for (const auto& part : e.children()) {
        if (part->isPrimitive() && part->name() != "use" && part->hasValue()) {
          out.push_back({def.name, "string", part->value(), lower(part->value()), {}});
        }
      }
    }
  } else if (def.kind == "date") {
    if (t == "Period") {
      auto start = dateRange(e.childValue("start"));
      auto end = dateRange(e.childValue("end"));
      if (start || end) {
        out.push_back({def.name,
                       "date",
                       {},
                       start ? start->first : "0000-01-01T00:00:00.000Z",
                       end ? end->second : "9999-12-31T23:59:59.999Z"});
      }
    } else if (e.hasValue()) {
      if (auto range = dateRange(e.value())) {
        out.push_back({def.name, "date", {}, range->first, range->second});
      }
    }
  }
}

}  // namespace

std::vector<IndexEntry> indexResource(const Element& resource) {
  std::vector<IndexEntry> out;
  for (const SearchParameterDef& def : searchParametersFor(resource.type())) {
    if (!def.indexedAs.empty()) continue;
    for (const std::string& path : def.paths) {
      std::vector<const Element*> nodes;
      collect(resource, path, nodes);
      for (const Element* node : nodes) indexValue(def, *node, out);
    }
  }
  return out;
}

namespace {

// The date prefixes over a target range [low, high], as the SQL in sqlite_resources.cpp
// applies them (https://hl7.org/fhir/R4/search.html#prefix).
bool dateMatches(const SearchCriterion::Alternative& alt, const std::string& low,
                 const std::string& high) {
  const std::string& p = alt.prefix;
  if (p == "gt") return high > alt.high;
  if (p == "lt") return low < alt.value;
  if (p == "ge") return high >= alt.value;
  if (p == "le") return low <= alt.high;
  const bool within = low >= alt.value && high <= alt.high;
  return p == "ne" ? !within : within;
}

bool entryMatches(const SearchCriterion& criterion, const SearchCriterion::Alternative& alt,
                  const IndexEntry& entry) {
  if (entry.param != criterion.param) return false;
  const std::string& kind = criterion.kind;
  if (kind == "date") return dateMatches(alt, entry.value, entry.high);
  if (kind == "token") {
    return (!alt.hasSystem || entry.system == alt.system) &&
           (alt.value.empty() || entry.value == alt.value);
  }
  if (kind == "reference") {
    if (alt.value.find('/') != std::string::npos) return entry.value == alt.value;
    const std::string suffix = "/" + alt.value;
    return entry.value.size() >= suffix.size() &&
           entry.value.compare(entry.value.size() - suffix.size(), suffix.size(), suffix) == 0;
  }
  // string: the original text in `system` for :exact, the lower-cased one starts with
  if (alt.prefix == "exact") return entry.system == alt.value;
  return entry.value.compare(0, alt.value.size(), alt.value) == 0;
}

bool alternativeMatches(const std::vector<IndexEntry>& index, const ResourceVersion& version,
                        const SearchCriterion& criterion, const SearchCriterion::Alternative& alt) {
  if (criterion.kind == "id") return version.id == alt.value;
  if (criterion.kind == "lastUpdated") {
    return dateMatches(alt, version.lastUpdated, version.lastUpdated);
  }
  return std::any_of(index.begin(), index.end(),
                     [&](const IndexEntry& entry) { return entryMatches(criterion, alt, entry); });
}

}  // namespace

bool matchesCriteria(const std::vector<IndexEntry>& index, const ResourceVersion& version,
                     const std::vector<SearchCriterion>& criteria) {
  return std::all_of(criteria.begin(), criteria.end(), [&](const SearchCriterion& criterion) {
    return std::any_of(criterion.alternatives.begin(), criterion.alternatives.end(),
                       [&](const SearchCriterion::Alternative& alt) {
                         return alternativeMatches(index, version, criterion, alt);
                       });
  });
}

namespace {

std::vector<std::string> splitAlternatives(std::string_view value) {
  // A backslash escapes a comma (https://hl7.org/fhir/R4/search.html#escaping).
  std::vector<std::string> out(1);
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\\' && i + 1 < value.size()) {
      out.back() += value[++i];
    } else if (value[i] == ',') {
      out.emplace_back();
    } else {
      out.back() += value[i];
    }
  }
  return out;
}

// A criterion on a parameter with indexedAs becomes one on that parameter: a bare id names a
// resource of the target type, a reference to another type is dropped. When none is left the
// criterion stays as it was, on rows that are never written: it matches nothing, as before.
void searchIndexedAs(const SearchParameterDef& def, SearchCriterion& criterion) {
  const std::string prefix = def.targetType + "/";
  std::vector<SearchCriterion::Alternative> kept;
  for (const SearchCriterion::Alternative& alt : criterion.alternatives) {
    if (alt.value.find('/') == std::string::npos) {
      kept.push_back(alt);
      kept.back().value = prefix + alt.value;
    } else if (alt.value.rfind(prefix, 0) == 0) {
      kept.push_back(alt);
    }
  }
  if (kept.empty()) return;
  criterion.param = def.indexedAs;
  criterion.alternatives = std::move(kept);
}

}  // namespace

Result<ParsedSearch> parseSearch(const std::string& type,
                                 const std::vector<std::pair<std::string, std::string>>& params,
                                 bool strict) {
  ParsedSearch parsed;
  parsed.query.type = type;
  fhir::Outcome outcome;
  auto invalid = [&](const std::string& name, const std::string& why) {
    outcome.add(Severity::kError, "invalid", "search parameter " + name + ": " + why);
  };
  for (const auto& [rawName, value] : params) {
    std::string name = rawName;
    std::string modifier;
    if (const std::size_t colon = name.find(':'); colon != std::string::npos) {
      modifier = name.substr(colon + 1);
      name = name.substr(0, colon);
    }
    if (name == "_format" || name == "_pretty") continue;
    if (name == "_count") {
      int count = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), count);
      if (ec != std::errc() || end != value.data() + value.size() || count < 0) {
        invalid(name, "'" + value + "' is not a whole number");
      } else {
        parsed.query.count = std::min(count, 1000);
      }
      continue;
    }
    if (name == "_offset") {
      int offset = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), offset);
      if (ec != std::errc() || end != value.data() + value.size() || offset < 0) {
        invalid(name, "'" + value + "' is not a whole number");
      } else {
        parsed.query.offset = offset;
      }
      continue;
    }
    if (name == "_sort") {
      // A comma-separated list of keys, each `-` for descending
      // (https://hl7.org/fhir/R4/search.html#sort); a later _sort replaces an earlier one.
      parsed.query.sort.clear();
      const auto& defs = searchParametersFor(type);
      for (std::string key : splitAlternatives(value)) {
        const std::string given = key;
        SortKey sortKey;
        sortKey.descending = !key.empty() && key.front() == '-';
        if (sortKey.descending) key.erase(0, 1);
        const bool dateParam = std::any_of(
            defs.begin(), defs.end(),
            [&](const SearchParameterDef& d) { return d.name == key && d.kind == "date"; });
        if (key != "_lastUpdated" && key != "_id" && !dateParam) {
          if (strict) {
            invalid(name, "sorting by '" + key + "' is not supported (_lastUpdated, _id, dates)");
          } else {
            parsed.ignored.push_back(rawName + "=" + given);
          }
          continue;
        }
        sortKey.param = std::move(key);
        parsed.query.sort.push_back(std::move(sortKey));
      }
      continue;
    }

    SearchCriterion criterion;
    criterion.param = name;
    const SearchParameterDef* aliased = nullptr;
    if (name == "_id") {
      criterion.kind = "id";
    } else if (name == "_lastUpdated") {
      criterion.kind = "lastUpdated";
    } else {
      const auto& defs = searchParametersFor(type);
      auto def = std::find_if(defs.begin(), defs.end(),
                              [&](const SearchParameterDef& d) { return d.name == name; });
      if (def == defs.end()) {
        if (strict) {
          invalid(rawName, "not supported for " + type);
        } else {
          parsed.ignored.push_back(rawName);
        }
        continue;
      }
      criterion.kind = def->kind;
      aliased = &*def;
    }
    const bool modifierOk = modifier.empty() || (criterion.kind == "string" && modifier == "exact");
    if (!modifierOk) {
      if (strict) {
        invalid(rawName, "modifier :" + modifier + " is not supported");
      } else {
        parsed.ignored.push_back(rawName);
      }
      continue;
    }
    for (const std::string& text : splitAlternatives(value)) {
      SearchCriterion::Alternative alt;
      if (criterion.kind == "date" || criterion.kind == "lastUpdated") {
        static constexpr std::array<std::string_view, 6> kPrefixes = {"eq", "ne", "gt",
                                                                      "lt", "ge", "le"};
        std::string_view date = text;
        alt.prefix = "eq";
        if (date.size() > 2 && std::isalpha(static_cast<unsigned char>(date[0]))) {
          const std::string_view prefix = date.substr(0, 2);
          if (std::find(kPrefixes.begin(), kPrefixes.end(), prefix) == kPrefixes.end()) {
            invalid(rawName, "prefix '" + std::string(prefix) + "' is not supported");
            continue;
          }
          alt.prefix = std::string(prefix);
          date.remove_prefix(2);
        }
        auto range = dateRange(date);
        if (!range) {
          invalid(rawName, "'" + std::string(date) + "' is not a FHIR date or dateTime");
          continue;
        }
        alt.value = range->first;
        alt.high = range->second;
      } else if (criterion.kind == "token") {
        if (const std::size_t bar = text.find('|'); bar != std::string::npos) {
          alt.hasSystem = true;
          alt.system = text.substr(0, bar);
          alt.value = text.substr(bar + 1);
        } else {
          alt.value = text;
        }
        if (alt.value.empty() && !alt.hasSystem) {
          invalid(rawName, "an empty token matches nothing");
          continue;
        }
      } else if (criterion.kind == "string") {
        alt.prefix = modifier;
        alt.value = modifier == "exact" ? text : lower(text);
      } else {
        alt.value = criterion.kind == "reference" ? localReference(text) : text;
      }
      criterion.alternatives.push_back(std::move(alt));
    }
    if (aliased && !aliased->indexedAs.empty()) searchIndexedAs(*aliased, criterion);
    if (!criterion.alternatives.empty()) parsed.query.criteria.push_back(std::move(criterion));
  }
  if (outcome.hasErrors()) return Result<ParsedSearch>(std::move(outcome));
  return parsed;
}

}  // namespace notebridge::gateway

#include "notebridge/validation/terminology_service.h"

#include <array>
// GCC 12 reports std::regex internals as maybe-uninitialized under -fsanitize (a known false
// positive in libstdc++'s regex automaton); the filter regexes come from loaded definitions.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <regex>

namespace notebridge::validation {
namespace {

constexpr int kMaxNesting = 16;
constexpr std::size_t kMaxExpansion = 200000;

void indexConcepts(const std::vector<Concept>& concepts,
                   std::unordered_map<std::string, const Concept*>& out) {
  for (const Concept& c : concepts) {
    out.emplace(c.code, &c);
    indexConcepts(c.children, out);
  }
}

const Concept* findIn(const std::vector<Concept>& concepts, std::string_view code) {
  for (const Concept& c : concepts) {
    if (c.code == code) return &c;
    if (const Concept* found = findIn(c.children, code)) return found;
  }
  return nullptr;
}

void addAll(const std::vector<Concept>& concepts, const std::string& system,
            std::unordered_set<std::string>& out) {
  for (const Concept& c : concepts) {
    out.insert(system + "|" + c.code);
    addAll(c.children, system, out);
  }
}

std::string_view property(const Concept& c, std::string_view name) {
  for (const auto& [code, value] : c.properties) {
    if (code == name) return value;
  }
  return {};
}

// Concepts of a flat-or-nested system passing a property filter; hierarchy is by nesting,
// which is how the R4 core code systems express subsumption.
void matchFilter(const std::vector<Concept>& concepts, const ValueSetFilter& filter,
                 const std::string& system, std::unordered_set<std::string>& out,
                 const std::regex* pattern) {
  for (const Concept& c : concepts) {
    bool match = false;
    if (filter.op == "=") {
      match = property(c, filter.property) == filter.value;
    } else if (filter.op == "regex" && pattern) {
      const std::string subject =
          filter.property == "code" ? c.code : std::string(property(c, filter.property));
      match = std::regex_match(subject, *pattern);
    } else if (filter.op == "exists") {
      match = property(c, filter.property).empty() != (filter.value == "true");
    } else if (filter.op == "in") {
      std::string_view list = filter.value;
      const std::string_view value =
          filter.property == "code" ? std::string_view(c.code) : property(c, filter.property);
      while (!list.empty()) {
        const auto comma = list.find(',');
        if (list.substr(0, comma) == value) match = true;
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
      }
    }
    if (match) out.insert(system + "|" + c.code);
    matchFilter(c.children, filter, system, out, pattern);
  }
}

bool allDigits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// LOINC codes are digits, a hyphen and a mod-10 check digit (https://loinc.org/kb/faq/structure/).
bool validLoinc(std::string_view code) {
  const auto dash = code.find('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 2 != code.size()) {
    // LOINC parts (LP..) and answers (LA..) are also LOINC codes.
    return (code.substr(0, 2) == "LP" || code.substr(0, 2) == "LA" || code.substr(0, 2) == "LL") &&
           code.find('-') != std::string_view::npos;
  }
  const std::string_view digits = code.substr(0, dash);
  if (!allDigits(digits) || !allDigits(code.substr(dash + 1))) return false;
  int sum = 0;
  bool doubleIt = true;  // from the right, the rightmost digit is doubled
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    int d = *it - '0';
    if (doubleIt) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    doubleIt = !doubleIt;
  }
  return (10 - sum % 10) % 10 == code.back() - '0';
}

}  // namespace

TerminologyService::TerminologyService(std::shared_ptr<const ConformanceStore> store)
    : store_(std::move(store)) {}

bool TerminologyService::isExternalSystem(std::string_view system) {
  static constexpr std::array<std::string_view, 10> kExternal = {
      "http://loinc.org",
      "http://snomed.info/sct",
      "http://hl7.org/fhir/sid/icd-10-cm",
      "http://hl7.org/fhir/sid/icd-10",
      "http://www.ama-assn.org/go/cpt",
      "http://www.nlm.nih.gov/research/umls/rxnorm",
      "http://unitsofmeasure.org",
      "urn:ietf:bcp:13",
      "urn:ietf:bcp:47",
      "http://hl7.org/fhir/sid/ndc"};
  for (std::string_view known : kExternal) {
    if (known == system) return true;
  }
  return false;
}

std::optional<std::string> TerminologyService::checkExternalSyntax(std::string_view system,
                                                                   std::string_view code) {
  bool ok = true;
  if (system == "http://loinc.org") {
    ok = validLoinc(code);
  } else if (system == "http://snomed.info/sct") {
    ok = allDigits(code) && code.size() >= 6 && code.size() <= 18;
  } else if (system == "http://hl7.org/fhir/sid/icd-10-cm" ||
             system == "http://hl7.org/fhir/sid/icd-10") {
    ok = code.size() >= 3 && code[0] >= 'A' && code[0] <= 'Z';
  } else if (system == "http://www.ama-assn.org/go/cpt") {
    ok = code.size() == 5;
  } else if (system == "urn:ietf:bcp:13") {
    const auto slash = code.find('/');
    ok = slash != std::string_view::npos && slash > 0 && slash + 1 < code.size();
  }
  if (ok) return std::nullopt;
  return "'" + std::string(code) + "' is not a valid code of " + std::string(system);
}

const TerminologyService::ConceptIndex* TerminologyService::index(const CodeSystem& system) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& slot = indexes_[&system];
  if (!slot) {
    slot = std::make_unique<ConceptIndex>();
    indexConcepts(system.concepts, *slot);
  }
  return slot.get();
}

const Concept* TerminologyService::lookup(std::string_view system, std::string_view code) const {
  const CodeSystem* cs = store_->codeSystem(system);
  if (!cs) return nullptr;
  const ConceptIndex* concepts = index(*cs);
  auto it = concepts->find(std::string(code));
  return it == concepts->end() ? nullptr : it->second;
}

void TerminologyService::includeInto(const ValueSetInclude& include, Expansion& out, bool exclude,
                                     int depth) const {
  std::unordered_set<std::string> codes;
  bool open = false;
  for (const std::string& url : include.valueSets) {
    fhir::Outcome ignored;
    const ValueSet* nested = store_->valueSet(url);
    if (!nested || depth > kMaxNesting) {
      if (!exclude) out.incompleteReason = "value set " + url + " is not available";
      continue;
    }
    auto inner = expandUncached(*nested, depth + 1, ignored);
    codes.insert(inner->codes.begin(), inner->codes.end());
    if (!exclude) {
      out.openSystems.insert(inner->openSystems.begin(), inner->openSystems.end());
      if (!inner->incompleteReason.empty()) out.incompleteReason = inner->incompleteReason;
    }
  }
  if (!include.system.empty()) {
    const CodeSystem* cs = store_->codeSystem(include.system);
    if (!include.concepts.empty() && include.filters.empty()) {
      for (const auto& [code, display] : include.concepts)
        codes.insert(include.system + "|" + code);
    } else if (!cs || (cs->content != "complete" && !cs->content.empty())) {
      open = true;
    } else if (include.filters.empty()) {
      addAll(cs->concepts, include.system, codes);
    } else {
      // Filters combine with AND: start from the first, intersect with the others.
      bool first = true;
      for (const ValueSetFilter& filter : include.filters) {
        std::unordered_set<std::string> matched;
        if ((filter.op == "is-a" || filter.op == "descendent-of") && filter.property == "concept") {
          if (const Concept* root = findIn(cs->concepts, filter.value)) {
            if (filter.op == "is-a") matched.insert(include.system + "|" + root->code);
            addAll(root->children, include.system, matched);
          }
        } else if (filter.op == "is-not-a" && filter.property == "concept") {
          addAll(cs->concepts, include.system, matched);
          if (const Concept* root = findIn(cs->concepts, filter.value)) {
            std::unordered_set<std::string> removed;
            removed.insert(include.system + "|" + root->code);
            addAll(root->children, include.system, removed);
            for (const auto& code : removed) matched.erase(code);
          }
        } else if (filter.op == "=" || filter.op == "in" || filter.op == "exists" ||
                   filter.op == "regex") {
          std::regex pattern;
          bool haveRegex = false;
          if (filter.op == "regex") {
            try {
              pattern = std::regex(filter.value, std::regex::ECMAScript);
              haveRegex = true;
            } catch (const std::regex_error&) {
              open = true;
            }
          }
          matchFilter(cs->concepts, filter, include.system, matched,
                      haveRegex ? &pattern : nullptr);
        } else {
          open = true;
        }
        if (first) {
          codes = std::move(matched);
          first = false;
        } else {
          std::unordered_set<std::string> both;
          for (const auto& code : codes) {
            if (matched.count(code)) both.insert(code);
          }
          codes = std::move(both);
        }
      }
    }
  }
  if (exclude) {
    for (const auto& code : codes) out.codes.erase(code);
    return;
  }
  if (open) out.openSystems.insert(include.system);
  if (out.codes.size() + codes.size() > kMaxExpansion) {
    out.incompleteReason = "the expansion is too large";
    return;
  }
  out.codes.insert(codes.begin(), codes.end());
}

std::shared_ptr<const Expansion> TerminologyService::expandUncached(const ValueSet& vs, int depth,
                                                                    fhir::Outcome& outcome) const {
  auto out = std::make_shared<Expansion>();
  const auto indexBareCodes = [&out] {
    for (const std::string& member : out->codes) {
      out->bareCodes.insert(member.substr(member.rfind('|') + 1));
    }
  };
  if (vs.includes.empty() && vs.hasExpansion) {
    for (const auto& [system, code] : vs.expansion) out->codes.insert(system + "|" + code);
    indexBareCodes();
    return out;
  }
  for (const ValueSetInclude& include : vs.includes) includeInto(include, *out, false, depth);
  for (const ValueSetInclude& exclude : vs.excludes) includeInto(exclude, *out, true, depth);
  indexBareCodes();
  if (!out->incompleteReason.empty()) {
    outcome.add(fhir::Severity::kWarning, "not-found",
                "ValueSet " + vs.url + " could not be fully expanded: " + out->incompleteReason);
  }
  return out;
}

fhir::Result<std::shared_ptr<const Expansion>> TerminologyService::expand(
    std::string_view valueSetUrl) const {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = expansions_.find(valueSetUrl);
    if (it != expansions_.end()) return it->second;
  }
  const std::string key(valueSetUrl);
  const ValueSet* vs = store_->valueSet(valueSetUrl);
  if (!vs) {
    return fhir::Result<std::shared_ptr<const Expansion>>::failure(
        fhir::Severity::kWarning, "not-found",
        "ValueSet " + key + " is not available; the code was not checked");
  }
  fhir::Outcome outcome;
  auto expansion = expandUncached(*vs, 0, outcome);
  std::lock_guard<std::mutex> lock(mutex_);
  // The stored one (another thread may have stored its own first): callers may keep a raw
  // pointer to it for the service's lifetime.
  auto stored = expansions_.emplace(key, expansion).first->second;
  return {std::move(stored), std::move(outcome)};
}

CodeCheck TerminologyService::validateCode(std::string_view valueSetUrl, std::string_view system,
                                           std::string_view code) const {
  auto expansion = expand(valueSetUrl);
  if (!expansion.ok()) {
    return {CodeVerdict::kUnknown, expansion.outcome().issues().front().diagnostics};
  }
  return validateCode(**expansion, valueSetUrl, system, code);
}

CodeCheck TerminologyService::validateCode(const Expansion& e, std::string_view valueSetUrl,
                                           std::string_view system, std::string_view code) const {
  const std::string_view vsName = valueSetUrl;
  if (!system.empty()) {
    // A per-thread buffer: the lookup key is built for every coded element validated.
    thread_local std::string key;
    key.assign(system);
    key += '|';
    key += code;
    if (e.codes.count(key)) return {CodeVerdict::kValid, {}};
    if (e.openSystems.count(std::string(system))) {
      if (isExternalSystem(system)) {
        if (auto bad = checkExternalSyntax(system, code)) return {CodeVerdict::kInvalid, *bad};
        return {CodeVerdict::kUnknown,
                "code " + key + " of an external terminology was checked for syntax only"};
      }
      return {CodeVerdict::kUnknown, "code system " + std::string(system) +
                                         " is not available; code " + key + " was not checked"};
    }
  } else {
    if (e.bareCodes.find(code) != e.bareCodes.end()) return {CodeVerdict::kValid, {}};
    if (!e.openSystems.empty()) {
      // A bare code (e.g. Attachment.contentType) bound to a value set of one external system
      // gets that system's syntax check.
      if (e.openSystems.size() == 1 && e.codes.empty() &&
          isExternalSystem(*e.openSystems.begin())) {
        const std::string& only = *e.openSystems.begin();
        if (auto bad = checkExternalSyntax(only, code)) return {CodeVerdict::kInvalid, *bad};
        return {CodeVerdict::kUnknown, "code '" + std::string(code) +
                                           "' of an external terminology (" + only +
                                           ") was checked for syntax only"};
      }
      return {CodeVerdict::kUnknown,
              "value set " + std::string(vsName) + " includes systems that are not loaded"};
    }
  }
  if (!e.incompleteReason.empty()) {
    return {CodeVerdict::kUnknown,
            "value set " + std::string(vsName) + " is incomplete: " + e.incompleteReason};
  }
  std::string shown =
      system.empty() ? std::string(code) : std::string(system) + "|" + std::string(code);
  return {CodeVerdict::kInvalid, "code '" + shown + "' is not in value set " + std::string(vsName)};
}

}  // namespace notebridge::validation

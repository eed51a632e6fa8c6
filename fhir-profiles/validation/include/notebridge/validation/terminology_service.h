#pragma once

#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "notebridge/fhir/outcome.h"
#include "notebridge/validation/conformance_store.h"
#include "notebridge/validation/validation_plan.h"

namespace notebridge::validation {

// The codes of a ValueSet as far as the loaded definitions allow: `codes` holds "system|code"
// for every enumerable member; `openSystems` lists systems whose members cannot be enumerated
// here (not loaded, a large external terminology, an incomplete CodeSystem), where a code can be
// neither confirmed nor refuted.
struct Expansion {
  std::unordered_set<std::string> codes;
  // The code part (after the last '|') of every entry of `codes`: a bare code (no system) is
  // looked up here instead of scanning `codes`. Filled when the expansion is complete.
  std::unordered_set<std::string, StringHash, std::equal_to<>> bareCodes;
  std::set<std::string> openSystems;
  // Set when the expansion is incomplete for another reason (a missing nested ValueSet, an
  // unsupported filter): every code not found is then "unknown", not "invalid".
  std::string incompleteReason;
};

// The verdict on one code against one ValueSet.
enum class CodeVerdict { kValid, kInvalid, kUnknown };

struct CodeCheck {
  CodeVerdict verdict = CodeVerdict::kUnknown;
  // Why, for kInvalid and kUnknown (names the value set or code system that was missing).
  std::string message;
};

// ValueSet expansion and CodeSystem lookup over a ConformanceStore
// (https://hl7.org/fhir/R4/valueset.html#expansion). Supports compose include/exclude with
// concepts, whole code systems, nested value sets, and the filters is-a, is-not-a,
// descendent-of, =, in, regex and exists on loaded code systems. Codes of large external
// terminologies (LOINC, SNOMED CT, ICD-10-CM, CPT, RxNorm, UCUM, MIME types, languages) are
// checked for syntax only. Thread-safe: expansions are cached under a mutex and immutable.
class TerminologyService {
 public:
  explicit TerminologyService(std::shared_ptr<const ConformanceStore> store);

  // The expansion of a value set (cached), or an outcome with a warning naming what is missing.
  // A returned expansion stays alive and unchanged as long as this service.
  fhir::Result<std::shared_ptr<const Expansion>> expand(std::string_view valueSetUrl) const;

  // Is system|code in the value set? An empty system matches a code of any system in it (a
  // `code` element bound to a value set).
  CodeCheck validateCode(std::string_view valueSetUrl, std::string_view system,
                         std::string_view code) const;
  // The same against an expansion this service returned for `valueSetUrl` (no lookup).
  CodeCheck validateCode(const Expansion& expansion, std::string_view valueSetUrl,
                         std::string_view system, std::string_view code) const;

  // The concept of a loaded CodeSystem, or null (unknown system or code).
  const Concept* lookup(std::string_view system, std::string_view code) const;

  // True for terminologies the gateway never loads; their codes are checked for syntax only.
  static bool isExternalSystem(std::string_view system);
  // Syntax of a code of an external system (LOINC nnnnn-n with check digit, SNOMED CT digits,
  // ICD-10-CM, CPT, MIME type...): nothing when plausible, else the reason.
  static std::optional<std::string> checkExternalSyntax(std::string_view system,
                                                        std::string_view code);

  const ConformanceStore& store() const { return *store_; }

 private:
  using ConceptIndex = std::unordered_map<std::string, const Concept*>;
  const ConceptIndex* index(const CodeSystem& system) const;
  void includeInto(const ValueSetInclude& include, Expansion& out, bool exclude, int depth) const;
  std::shared_ptr<const Expansion> expandUncached(const ValueSet& vs, int depth,
                                                  fhir::Outcome& outcome) const;

  std::shared_ptr<const ConformanceStore> store_;
  mutable std::mutex mutex_;
  mutable std::unordered_map<std::string, std::shared_ptr<const Expansion>, StringHash,
                             std::equal_to<>>
      expansions_;
  mutable std::unordered_map<const CodeSystem*, std::unique_ptr<ConceptIndex>> indexes_;
};

}  // namespace notebridge::validation

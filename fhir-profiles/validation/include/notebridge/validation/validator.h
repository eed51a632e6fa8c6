#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "notebridge/fhir/element.h"
#include "notebridge/fhir/outcome.h"
#include "notebridge/validation/conformance_store.h"
#include "notebridge/validation/terminology_service.h"
#include "notebridge/validation/validation_plan.h"

namespace notebridge::validation {

// What to validate against and how strictly. Defaults: the base definition plus every profile
// in meta.profile; unknown extensions are warnings.
struct ValidationOptions {
  // Profiles (canonical URLs, optionally "|version") to validate against besides the base
  // definition and meta.profile. An unknown profile is an error issue.
  std::vector<std::string> profiles;
  // Validate against the profiles named in meta.profile (an unknown one is a warning).
  bool useMetaProfiles = true;
  // An extension whose definition cannot be found: error when true, warning otherwise.
  bool unknownExtensionIsError = false;
};

// Evaluates FHIRPath invariants (ElementDefinition.constraint.expression) for the validator.
// Implemented over the FHIRPath engine (issue 4); until one is installed invariants that have
// no native check are not evaluated. Implementations must be thread-safe.
class ConstraintEvaluator {
 public:
  virtual ~ConstraintEvaluator() = default;
  // True when the invariant holds on `focus`; nothing when it cannot be evaluated (the
  // validator then reports nothing for it).
  virtual std::optional<bool> holds(const Constraint& constraint, const fhir::Element& focus,
                                    const fhir::Element& resource) const = 0;

  // Optional: what the evaluator can reuse for `constraint` on every call (e.g. its compiled
  // expression). The Validator asks once per constraint when it compiles a plan, keeps the
  // answer with the plan and hands it back to the holds() below. Default: nothing.
  virtual std::shared_ptr<const void> prepare(const Constraint& constraint) const {
    (void)constraint;
    return nullptr;
  }
  // holds() with what prepare() returned for this constraint (null when it returned nothing).
  virtual std::optional<bool> holds(const Constraint& constraint, const void* prepared,
                                    const fhir::Element& focus,
                                    const fhir::Element& resource) const {
    (void)prepared;
    return holds(constraint, focus, resource);
  }
};

// The profile validator (https://hl7.org/fhir/R4/validation.html): validates a resource tree
// against its base definition and profiles. Checks structure (unknown elements), cardinality,
// types and choice types, primitive rules, fixed and pattern values, maxLength, min/maxValue,
// slicing (value, pattern, exists, type, profile discriminators; closed/open/openAtEnd;
// ordered), extensions (definition, context, modifier rules), terminology bindings,
// references (format, target type, contained and Bundle resolution), Bundle rules, contained
// resource rules (dom-2..5), Attachment size and hash, and invariants through the installed
// ConstraintEvaluator. Issues name the element path and carry the profile URL and constraint
// key in the diagnostics, sorted by location.
//
// Profiles compile once into immutable ValidationPlans, cached per URL; one Validator is meant
// to be shared by all threads (validate() is const and thread-safe).
class Validator {
 public:
  explicit Validator(std::shared_ptr<const ConformanceStore> store,
                     std::shared_ptr<const ConstraintEvaluator> invariants = nullptr);

  // Validates a resource. Never throws for data problems; an unknown resource type is an error.
  fhir::Outcome validate(const fhir::Element& resource,
                         const ValidationOptions& options = {}) const;

  // Parses FHIR JSON or XML (told apart by the first character) with the core codecs and
  // validates it. What the parser cannot place in the tree (unknown properties, wrong JSON
  // types) comes back as its issues, with line and column; a parse failure is a fatal issue.
  fhir::Outcome validateJson(std::string_view json, const ValidationOptions& options = {}) const;
  // The same, named for what it accepts: FHIR JSON or XML text.
  fhir::Outcome validateText(std::string_view text, const ValidationOptions& options = {}) const {
    return validateJson(text, options);
  }

  // The body (JSON or XML) of `POST [base]/$validate` or `POST [base]/{type}/$validate`
  // (https://hl7.org/fhir/R4/resource-operation-validate.html): a raw resource, or Parameters
  // with `resource` (the resource) and optional `profile` (valueUri/valueCanonical, added to
  // options.profiles). `expectedType` is {type} of the URL (empty for the system level): a
  // resource of another type is an error. Returns the OperationOutcome to answer with; a body
  // that is not JSON or a Parameters without `resource` gives a fatal issue (HTTP 400).
  fhir::Outcome validateOperation(std::string_view body, std::string_view expectedType = {},
                                  const ValidationOptions& options = {}) const;

  // The compiled plan of a profile or base definition, or null when unknown. Thread-safe.
  std::shared_ptr<const ValidationPlan> plan(std::string_view url) const;
  // The plan of a type's base definition ("Patient", "Quantity"), or null.
  const ValidationPlan* typePlan(std::string_view type) const;

  // True when the plan's snapshot came with the definition or was generated without issues.
  bool completeSnapshot(const ValidationPlan& plan) const;

  const ConformanceStore& store() const { return *store_; }
  const TerminologyService& terminology() const { return terminology_; }
  const ConstraintEvaluator* invariants() const { return invariants_.get(); }

 private:
  std::shared_ptr<const ConformanceStore> store_;
  std::shared_ptr<const ConstraintEvaluator> invariants_;
  TerminologyService terminology_;
  mutable std::mutex mutex_;
  mutable std::unordered_map<std::string, std::shared_ptr<const ValidationPlan>, StringHash,
                             std::equal_to<>>
      plans_;
  mutable std::unordered_map<std::string, std::shared_ptr<const ValidationPlan>, StringHash,
                             std::equal_to<>>
      typePlans_;
};

}  // namespace notebridge::validation

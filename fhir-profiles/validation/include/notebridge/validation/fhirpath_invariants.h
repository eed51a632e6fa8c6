#pragma once

#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "notebridge/fhirpath/expression.h"
#include "notebridge/validation/terminology_service.h"
#include "notebridge/validation/validator.h"

namespace notebridge::validation {

// Evaluates invariants with the FHIRPath engine (https://hl7.org/fhir/R4/fhirpath.html).
// Each expression compiles once (cached, thread-safe); %resource and %rootResource are set
// from the focus; memberOf() asks the TerminologyService. An expression that does not compile
// or fails at run time yields nothing (the validator reports nothing for it). Thread-safe.
class FhirPathInvariants : public ConstraintEvaluator {
 public:
  // `terminology` may be null (memberOf() then yields empty); it must outlive this object.
  explicit FhirPathInvariants(const TerminologyService* terminology);
  ~FhirPathInvariants() override;

  std::optional<bool> holds(const Constraint& constraint, const fhir::Element& focus,
                            const fhir::Element& resource) const override;
  // The compiled expression (a fhirpath::Expression), or null when it does not compile.
  std::shared_ptr<const void> prepare(const Constraint& constraint) const override;
  std::optional<bool> holds(const Constraint& constraint, const void* prepared,
                            const fhir::Element& focus,
                            const fhir::Element& resource) const override;

 private:
  class MemberOf;
  std::shared_ptr<const fhirpath::Expression> compiled(const std::string& text) const;
  std::optional<bool> evaluate(const fhirpath::Expression& expression, const fhir::Element& focus,
                               const fhir::Element& resource) const;

  std::unique_ptr<MemberOf> memberOf_;
  mutable std::shared_mutex mutex_;
  mutable std::unordered_map<std::string, std::shared_ptr<const fhirpath::Expression>> cache_;
};

}  // namespace notebridge::validation

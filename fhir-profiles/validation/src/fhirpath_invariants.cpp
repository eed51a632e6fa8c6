#include "notebridge/validation/fhirpath_invariants.h"

#include <mutex>

namespace notebridge::validation {

class FhirPathInvariants::MemberOf : public fhirpath::TerminologyService {
 public:
  explicit MemberOf(const validation::TerminologyService* terminology)
      : terminology_(terminology) {}
  std::optional<bool> isMember(std::string_view system, std::string_view code,
                               std::string_view valueSetUrl) const override {
    if (!terminology_) return std::nullopt;
    const CodeCheck check = terminology_->validateCode(valueSetUrl, system, code);
    if (check.verdict == CodeVerdict::kUnknown) return std::nullopt;
    return check.verdict == CodeVerdict::kValid;
  }

 private:
  const validation::TerminologyService* terminology_;
};

FhirPathInvariants::FhirPathInvariants(const TerminologyService* terminology)
    : memberOf_(std::make_unique<MemberOf>(terminology)) {}

FhirPathInvariants::~FhirPathInvariants() = default;

std::shared_ptr<const fhirpath::Expression> FhirPathInvariants::compiled(
    const std::string& text) const {
  {
    std::shared_lock lock(mutex_);
    auto it = cache_.find(text);
    if (it != cache_.end()) return it->second;
  }
  auto result = fhirpath::Expression::compile(text);
  std::shared_ptr<const fhirpath::Expression> expression;
  if (result.ok()) expression = std::make_shared<const fhirpath::Expression>(std::move(*result));
  std::unique_lock lock(mutex_);
  return cache_.emplace(text, expression).first->second;
}

std::optional<bool> FhirPathInvariants::holds(const Constraint& constraint,
                                              const fhir::Element& focus,
                                              const fhir::Element& resource) const {
  auto expression = compiled(constraint.expression);
  if (!expression) return std::nullopt;
  return evaluate(*expression, focus, resource);
}

std::shared_ptr<const void> FhirPathInvariants::prepare(const Constraint& constraint) const {
  return compiled(constraint.expression);
}

std::optional<bool> FhirPathInvariants::holds(const Constraint& constraint, const void* prepared,
                                              const fhir::Element& focus,
                                              const fhir::Element& resource) const {
  // `prepared` is what prepare() gave for this constraint: its compiled expression.
  if (!prepared) return holds(constraint, focus, resource);
  return evaluate(*static_cast<const fhirpath::Expression*>(prepared), focus, resource);
}

std::optional<bool> FhirPathInvariants::evaluate(const fhirpath::Expression& expression,
                                                 const fhir::Element& focus,
                                                 const fhir::Element& resource) const {
  fhirpath::EvaluationContext env;
  env.resource = &resource;
  env.rootResource = resource.root();
  env.terminology = memberOf_.get();
  auto result = expression.evaluate(focus, env);
  if (!result.ok()) return std::nullopt;
  return fhirpath::asBoolean(*result);
}

}  // namespace notebridge::validation

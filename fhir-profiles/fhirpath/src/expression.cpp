#include "notebridge/fhirpath/expression.h"

#include "ast.h"
#include "evaluator.h"
#include "parser.h"

namespace notebridge::fhirpath {

fhir::Result<Expression> Expression::compile(std::string_view text, const CompileOptions& options) {
  try {
    auto root = detail::Parser::parse(text, options);
    return Expression(std::string(text), std::shared_ptr<const detail::Node>(std::move(root)));
  } catch (const detail::CompileError& e) {
    fhir::Outcome outcome;
    fhir::Issue issue;
    issue.severity = fhir::Severity::kError;
    issue.code = "invalid";
    issue.diagnostics = std::string(e.semantic ? "FHIRPath semantic error" : "FHIRPath syntax error") +
                        " at column " + std::to_string(e.column) + ": " + e.message;
    issue.line = 1;
    issue.column = e.column;
    outcome.add(std::move(issue));
    return outcome;
  }
}

fhir::Result<Collection> Expression::evaluate(const fhir::Element& context,
                                              const EvaluationContext& env) const {
  Collection input{Item(&context)};
  return evaluate(input, env);
}

fhir::Result<Collection> Expression::evaluate(const Collection& input,
                                              const EvaluationContext& env) const {
  if (!root_) return fhir::Result<Collection>::failure(fhir::Severity::kError, "processing",
                                                       "expression was not compiled");
  try {
    detail::Evaluator evaluator(env, input);
    return evaluator.evaluate(*root_);
  } catch (const detail::EvalError& e) {
    return fhir::Result<Collection>::failure(fhir::Severity::kError, "processing",
                                             "FHIRPath evaluation error in '" + text_ + "': " +
                                                 e.message);
  } catch (const std::bad_alloc&) {
    return fhir::Result<Collection>::failure(fhir::Severity::kError, "too-costly",
                                             "FHIRPath evaluation ran out of memory");
  } catch (const std::exception& e) {
    // Nothing from the evaluator may escape as an exception; report what slipped through.
    return fhir::Result<Collection>::failure(fhir::Severity::kError, "exception",
                                             "FHIRPath evaluation failed in '" + text_ + "': " +
                                                 e.what());
  }
}

std::optional<bool> asBoolean(const Collection& result) {
  if (result.size() != 1) return std::nullopt;
  auto v = result[0].toValue();
  if (!v) return std::nullopt;
  if (auto* b = std::get_if<bool>(&*v)) return *b;
  return std::nullopt;
}

}  // namespace notebridge::fhirpath

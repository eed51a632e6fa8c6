#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "notebridge/fhir/element.h"
#include "notebridge/fhir/outcome.h"
#include "notebridge/fhirpath/evaluation_context.h"
#include "notebridge/fhirpath/value.h"

namespace notebridge::fhirpath {

namespace detail {
struct Node;
}

// Limits and checks applied when compiling.
struct CompileOptions {
  std::size_t maxLength = 100'000;  // characters of expression text
  std::size_t maxDepth = 400;       // nesting of the syntax tree
};

// A compiled FHIRPath expression (https://hl7.org/fhirpath/N1/). Immutable once compiled; copies
// share the syntax tree; evaluate() may run from many threads at once.
class Expression {
 public:
  // Parses and checks `text`. Errors (code "invalid"): syntax errors with the 1-based column and
  // what was expected, unknown functions, wrong argument counts, too long or too deep input.
  static fhir::Result<Expression> compile(std::string_view text, const CompileOptions& options = {});

  const std::string& text() const { return text_; }

  // Evaluates with `context` as the focus ($this, %context). Errors (code "processing"): type
  // errors, singleton violations, exhausted budgets, invalid regexes. Never throws.
  fhir::Result<Collection> evaluate(const fhir::Element& context,
                                    const EvaluationContext& env) const;
  // Evaluates over an arbitrary input collection (%context is that collection).
  fhir::Result<Collection> evaluate(const Collection& input, const EvaluationContext& env) const;

 private:
  Expression(std::string text, std::shared_ptr<const detail::Node> root)
      : text_(std::move(text)), root_(std::move(root)) {}

  std::string text_;
  std::shared_ptr<const detail::Node> root_;
};

// Convenience: expression.evaluate(context, env).
inline fhir::Result<Collection> evaluate(const Expression& expression,
                                         const fhir::Element& context,
                                         const EvaluationContext& env) {
  return expression.evaluate(context, env);
}

// The single Boolean of a result, or nullopt when empty or not a single Boolean-convertible
// item (as the validator reads an invariant's result).
std::optional<bool> asBoolean(const Collection& result);

}  // namespace notebridge::fhirpath

#pragma once

#include <memory>
#include <string_view>

#include "ast.h"
#include "lexer.h"
#include "notebridge/fhirpath/expression.h"

namespace notebridge::fhirpath::detail {

// Recursive-descent parser for the FHIRPath grammar (https://hl7.org/fhirpath/N1/grammar.html)
// with the semantic checks that need no model: known functions, argument counts, type
// specifiers. Throws CompileError; used only by Expression::compile.
class Parser {
 public:
  static std::unique_ptr<Node> parse(std::string_view text, const CompileOptions& options);
};

}  // namespace notebridge::fhirpath::detail

#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ast.h"
#include "notebridge/fhirpath/evaluation_context.h"
#include "notebridge/fhirpath/value.h"

namespace notebridge::fhirpath::detail {

// The string functions (https://hl7.org/fhirpath/N1/#string-manipulation) applied to `input`
// with already evaluated arguments. Positions and lengths count Unicode code points. Regular
// expressions run with a bounded matcher: too complex a match is an EvalError, not a hang.
Collection stringFunction(Fn fn, const std::string& name, const std::string& input,
                          const std::vector<Collection>& args, const EvaluationContext& env);

// htmlChecks(): the narrative XHTML uses no active content (script, event handlers, forms,
// embedded objects, javascript: links) (https://hl7.org/fhir/R4/narrative.html#xhtml).
bool narrativeIsSafe(std::string_view xhtml);

}  // namespace notebridge::fhirpath::detail

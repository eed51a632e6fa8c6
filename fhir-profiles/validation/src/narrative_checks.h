#pragma once

#include <string_view>

namespace notebridge::validation::detail {

// The FHIRPath function htmlChecks() (txt-1, txt-2 on Narrative.div,
// https://hl7.org/fhir/R4/narrative.html#rules) on one XHTML value, with exactly the verdict of
// the FHIRPath engine's check (fhirpath's narrativeIsSafe): no script-like element, no
// "javascript:", no on* event attribute inside a tag, and a <div somewhere (all ASCII
// case-insensitive). It looks only at the bytes around '<' and ':' and inside tags, so plain
// note text is skipped with memchr instead of being lowered and searched a dozen times.
bool htmlChecksHold(std::string_view xhtml);

}  // namespace notebridge::validation::detail

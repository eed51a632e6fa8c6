#pragma once

#include <string>
#include <string_view>

namespace notebridge::fhir {

// Checks that narrative markup is one well-formed `div` element in the XHTML namespace, so it
// can be written into FHIR XML as is (https://hl7.org/fhir/R4/narrative.html#xhtml). Returns
// an empty string when it is, else the reason. No DTD, entities or network (same rules as
// parseXml). Thread-safe.
std::string checkXhtmlDiv(std::string_view markup);

// The fast path of checkXhtmlDiv: true only when the markup is certainly a well-formed div in
// the XHTML namespace (a subset of XML without comments, CDATA, prefixes or DTDs); false means
// "not sure", never "malformed". Exposed for tests.
bool isCertainlyWellFormedDiv(std::string_view markup);
// The full check through libxml2 (what checkXhtmlDiv falls back to). Exposed for tests.
std::string checkXhtmlDivWithLibxml2(std::string_view markup);

}  // namespace notebridge::fhir

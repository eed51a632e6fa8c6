#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace notebridge::validation {

// True for the R4 primitive type codes (boolean, integer, string, decimal, uri, url, canonical,
// base64Binary, instant, date, dateTime, time, code, oid, id, markdown, unsignedInt,
// positiveInt, uuid, xhtml).
bool isPrimitiveType(std::string_view type);

// Checks a primitive value's text against the lexical rules and ranges of its R4 type
// (https://hl7.org/fhir/R4/datatypes.html#primitive): the regex of each type, calendar validity
// of dates, 32-bit ranges of the integer types, the 1 MiB limit of strings.
// Returns nothing when the value is valid, or a sentence saying what is wrong. Unknown types
// are accepted. Pure and thread-safe; hand-written matchers rather than std::regex because
// this runs for every primitive of every validated resource.
std::optional<std::string> checkPrimitive(std::string_view type, std::string_view value);

}  // namespace notebridge::validation

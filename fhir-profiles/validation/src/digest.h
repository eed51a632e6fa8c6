#pragma once

#include <optional>
#include <string>
#include <string_view>

// Private helper for Attachment.size (https://hl7.org/fhir/R4/datatypes.html#Attachment);
// decoding and SHA-1 for Attachment.hash are notebridge/fhir/digest.h.
namespace notebridge::validation::detail {

// The length of the decoded bytes without decoding; nothing when the text is not base64.
std::optional<std::size_t> decodedBase64Size(std::string_view text);

// fhir::base64Decode with the same result for every input (same bytes, same refusals), four
// characters at a time when the text is unbroken base64 (no whitespace, padding only at the
// end: what writers emit); anything else goes to fhir::base64Decode.
std::optional<std::string> base64DecodeFast(std::string_view text);

}  // namespace notebridge::validation::detail

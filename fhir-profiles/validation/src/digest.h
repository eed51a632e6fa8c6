#pragma once

#include <optional>
#include <string>
#include <string_view>

// Private helpers for Attachment.size and Attachment.hash
// (https://hl7.org/fhir/R4/datatypes.html#Attachment).
namespace notebridge::validation::detail {

// Decodes base64 (whitespace ignored); nothing when the text is not valid base64.
std::optional<std::string> decodeBase64(std::string_view text);
std::string encodeBase64(std::string_view bytes);
// The length of the decoded bytes without decoding; nothing when the text is not base64.
std::optional<std::size_t> decodedBase64Size(std::string_view text);
// The 20-byte SHA-1 digest (FIPS 180-4) of the bytes.
std::string sha1(std::string_view bytes);

}  // namespace notebridge::validation::detail

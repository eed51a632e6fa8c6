#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// SHA-1 and base64 as FHIR uses them: Attachment.hash is the base64 SHA-1 of Attachment.data
// (https://hl7.org/fhir/R4/datatypes.html#Attachment), base64Binary is standard base64.
// Pure functions, thread-safe. Not for security (SHA-1).
namespace notebridge::fhir {

// SHA-1 (FIPS 180-4) of the bytes. Uses the CPU's SHA instructions when it has them (x86-64
// SHA-NI, checked once at run time), else sha1Portable.
std::array<std::uint8_t, 20> sha1(std::string_view bytes);
// The same digest computed in plain C++ on every CPU (what sha1 falls back to; tests compare).
std::array<std::uint8_t, 20> sha1Portable(std::string_view bytes);

// Standard base64 (RFC 4648 §4) with padding.
std::string base64Encode(std::string_view bytes);
// Decodes standard base64; whitespace is ignored; nullopt when the text is not base64.
std::optional<std::string> base64Decode(std::string_view text);

}  // namespace notebridge::fhir

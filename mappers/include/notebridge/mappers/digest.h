#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// Hashing and encoding helpers the mappers need for attachments and deterministic ids.
// Pure functions, thread-safe.
namespace notebridge::mappers {

// SHA-1 (FIPS 180-4) of the bytes. Used for Attachment.hash, which FHIR R4 defines as the
// base64 SHA-1 of the data (https://hl7.org/fhir/R4/datatypes.html#Attachment); not for security.
std::array<std::uint8_t, 20> sha1(std::string_view bytes);

// Standard base64 (RFC 4648 §4) with padding.
std::string base64Encode(std::string_view bytes);
// Decodes standard base64; whitespace is ignored; nullopt when the text is not base64.
std::optional<std::string> base64Decode(std::string_view text);

// A name-based UUID (RFC 4122 §4.3, version 5, SHA-1) in lower-case text form.
std::string uuidV5(const std::array<std::uint8_t, 16>& nameSpace, std::string_view name);

// The namespace of every NoteBridge resource id (a fixed random UUID).
inline constexpr std::array<std::uint8_t, 16> kNoteBridgeNamespace = {
    0x5a, 0x0c, 0x3e, 0x71, 0x9b, 0x2d, 0x4f, 0x16, 0xa8, 0x43, 0x6e, 0x0b, 0xd2, 0x97, 0x1c, 0x58};

}  // namespace notebridge::mappers

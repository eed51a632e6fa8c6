#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "notebridge/fhir/digest.h"

// Deterministic ids for the mappers, and the hashing and encoding helpers they use.
// Pure functions, thread-safe.
namespace notebridge::mappers {

// SHA-1 and base64 live in the core library, shared with the validator.
using fhir::base64Decode;
using fhir::base64Encode;
using fhir::sha1;

// A name-based UUID (RFC 4122 §4.3, version 5, SHA-1) in lower-case text form.
std::string uuidV5(const std::array<std::uint8_t, 16>& nameSpace, std::string_view name);

// The namespace of every NoteBridge resource id (a fixed random UUID).
inline constexpr std::array<std::uint8_t, 16> kNoteBridgeNamespace = {
    0x5a, 0x0c, 0x3e, 0x71, 0x9b, 0x2d, 0x4f, 0x16, 0xa8, 0x43, 0x6e, 0x0b, 0xd2, 0x97, 0x1c, 0x58};

}  // namespace notebridge::mappers

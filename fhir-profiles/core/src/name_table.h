#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace notebridge::fhir {

// Element names and type codes, stored once per process so that nodes keep a pointer instead of
// their own copies. Entries are never removed: a pointer stays valid until the process ends,
// whatever happens to the registry or tree that first asked for it.
//
// Lookups are lock-free; inserts take a mutex. The table is bounded (kMaxNameTableEntries
// entries of at most kMaxInternedLength bytes): beyond that internName returns null and the
// caller keeps its own copy. Thread-safe.
inline constexpr std::size_t kMaxNameTableEntries = 1u << 15;
inline constexpr std::size_t kMaxInternedLength = 128;

const std::string* internName(std::string_view text);

// The interned empty string (never null).
const std::string& emptyInternedName();

// Whether the n bytes at a and b are equal. Names are short: up to 16 bytes they compare as two
// overlapping words (or four-byte halves), without a call to memcmp.
inline bool sameBytes(const char* a, const char* b, std::size_t n) {
  if (n < 8) {
    if (n < 4) {
      for (std::size_t i = 0; i < n; ++i) {
        if (a[i] != b[i]) return false;
      }
      return true;
    }
    std::uint32_t a0, a1, b0, b1;
    std::memcpy(&a0, a, 4);
    std::memcpy(&b0, b, 4);
    std::memcpy(&a1, a + n - 4, 4);
    std::memcpy(&b1, b + n - 4, 4);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
  }
  if (n <= 16) {
    std::uint64_t a0, a1, b0, b1;
    std::memcpy(&a0, a, 8);
    std::memcpy(&b0, b, 8);
    std::memcpy(&a1, a + n - 8, 8);
    std::memcpy(&b1, b + n - 8, 8);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
  }
  return std::memcmp(a, b, n) == 0;
}

}  // namespace notebridge::fhir

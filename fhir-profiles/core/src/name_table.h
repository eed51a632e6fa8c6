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

// Element and property names are short ASCII words: their first and last eight bytes (fewer when
// shorter) and their length tell them apart, and keys of up to 16 bytes compare by these words
// alone.
struct NameWords {
  std::uint64_t head = 0;
  std::uint64_t tail = 0;
  explicit NameWords(std::string_view s) {
    const std::size_t n = s.size();
    if (n >= 8) {
      std::memcpy(&head, s.data(), 8);
      std::memcpy(&tail, s.data() + n - 8, 8);
    } else if (n >= 4) {
      std::uint32_t x;
      std::uint32_t y;
      std::memcpy(&x, s.data(), 4);
      std::memcpy(&y, s.data() + n - 4, 4);
      head = x;
      tail = y;
    } else if (n > 0) {
      head = static_cast<unsigned char>(s[0]) |
             static_cast<std::uint64_t>(static_cast<unsigned char>(s[n / 2])) << 8 |
             static_cast<std::uint64_t>(static_cast<unsigned char>(s[n - 1])) << 16;
    }
  }
  std::size_t hash(std::size_t n) const {
    std::uint64_t h = (head * 0x9E3779B97F4A7C15ull) ^ (tail + n) * 0xC2B2AE3D27D4EB4Full;
    return static_cast<std::size_t>(h ^ (h >> 29));
  }
};

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

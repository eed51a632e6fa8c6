#pragma once

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

}  // namespace notebridge::fhir

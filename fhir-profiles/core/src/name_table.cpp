#include "name_table.h"

#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>

namespace notebridge::fhir {

namespace {

// Twice the entry bound, so every probe sequence ends at an empty slot.
constexpr std::size_t kSlots = kMaxNameTableEntries * 2;

struct Entry {
  std::uint64_t hash;
  std::string text;
};

// The first and last eight bytes and the length: names are short, so hashing every byte costs
// more than it spreads.
std::uint64_t hashOf(std::string_view s) {
  const std::size_t n = s.size();
  std::uint64_t head = 0;
  std::uint64_t tail = 0;
  if (n >= 8) {
    std::memcpy(&head, s.data(), 8);
    std::memcpy(&tail, s.data() + n - 8, 8);
  } else if (n > 0) {  // an empty view may have no data pointer at all
    std::memcpy(&head, s.data(), n);
  }
  if (n > 16) {
    // Names that share both ends ("...Reference...Reference") must still spread.
    std::uint64_t middle = 0;
    std::memcpy(&middle, s.data() + n / 2 - 4, 8);
    tail ^= middle * 0xFF51AFD7ED558CCDull;
  }
  std::uint64_t h = (head * 0x9E3779B97F4A7C15ull) ^ ((tail + n) * 0xC2B2AE3D27D4EB4Full);
  return h ^ (h >> 29);
}

class NameTable {
 public:
  const std::string* find(std::string_view text, std::uint64_t hash) const {
    for (std::size_t i = hash & (kSlots - 1);; i = (i + 1) & (kSlots - 1)) {
      const Entry* e = slots_[i].load(std::memory_order_acquire);
      if (!e) return nullptr;
      if (e->hash == hash && e->text.size() == text.size() &&
          sameBytes(e->text.data(), text.data(), text.size())) {
        return &e->text;
      }
    }
  }

  const std::string* insert(std::string_view text, std::uint64_t hash) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (const std::string* found = find(text, hash)) return found;
    if (count_ >= kMaxNameTableEntries) return nullptr;
    std::size_t i = hash & (kSlots - 1);
    while (slots_[i].load(std::memory_order_relaxed)) i = (i + 1) & (kSlots - 1);
    // Entries live as long as the process: nodes anywhere may point at them.
    auto* entry = new Entry{hash, std::string(text)};
    slots_[i].store(entry, std::memory_order_release);
    ++count_;
    return &entry->text;
  }

 private:
  std::unique_ptr<std::atomic<const Entry*>[]> slots_ { new std::atomic<const Entry*>[ kSlots ]() };
  std::mutex mutex_;
  std::size_t count_ = 0;
};

NameTable& table() {
  // Never destroyed: nodes freed during static destruction may still read their names.
  static NameTable* instance = new NameTable();
  return *instance;
}

// Builders name nodes with string literals, so the same few addresses come back thousands of
// times per document: a small per-thread cache keyed by the text's address and length answers
// those without hashing the text or touching the shared table (whose slots are spread over
// hundreds of kilobytes). The text is still compared, since a buffer may be reused.
struct RecentName {
  const char* data = nullptr;
  std::size_t size = 0;
  // The text's first and last eight bytes (zero-padded when shorter): names of up to 16 bytes
  // are checked against these without reaching the interned string.
  std::uint64_t head = 0;
  std::uint64_t tail = 0;
  const std::string* interned = nullptr;
};
constexpr std::size_t kRecentNames = 256;
thread_local RecentName tRecent[kRecentNames];

}  // namespace

const std::string* internName(std::string_view text) {
  if (text.size() > kMaxInternedLength) return nullptr;
  const auto address = reinterpret_cast<std::uintptr_t>(text.data());
  // Two ways per set: the names of one builder call often collide in a direct-mapped cache.
  RecentName* set = &tRecent[(((address + text.size()) * 0x9E3779B97F4A7C15ull) >> 57) * 2];
  const NameWords words(text);
  for (int way = 0; way < 2; ++way) {
    const RecentName& recent = set[way];
    // An untouched slot ({nullptr, 0, ...}) must not answer for an empty view with null data.
    if (recent.interned && recent.data == text.data() && recent.size == text.size() &&
        recent.head == words.head && recent.tail == words.tail &&
        (text.size() <= 16 || sameBytes(recent.interned->data(), text.data(), text.size()))) {
      return recent.interned;
    }
  }
  NameTable& t = table();
  const std::uint64_t hash = hashOf(text);
  const std::string* found = t.find(text, hash);
  if (!found) found = t.insert(text, hash);
  if (found) {
    set[1] = set[0];
    set[0] = RecentName{text.data(), text.size(), words.head, words.tail, found};
  }
  return found;
}

const std::string& emptyInternedName() {
  static const std::string* empty = internName(std::string_view("", 0));
  return *empty;
}

}  // namespace notebridge::fhir

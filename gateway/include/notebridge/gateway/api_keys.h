#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "notebridge/gateway/store.h"

namespace notebridge::gateway {

// API keys for internal clients (the practice's note system). A key reads
// `nb_<id>_<secret>`: the id is public (lists, logs), the secret is 256 random bits shown once
// and stored only as its SHA-256.
struct NewApiKey {
  ApiKeyRecord record;
  std::string token;  // the whole key, to hand to the client once
};

// Makes a key with fresh random id and secret (OpenSSL's RAND_bytes) and stores its hash.
fhir::Result<NewApiKey> createApiKey(Store& store, const std::string& name,
                                     const std::string& createdAt);

// Checks a presented key against the store in constant time. Returns the key id when the key
// is known, active and its secret matches; a "login" error otherwise (never quoting the key).
fhir::Result<std::string> verifyApiKey(Store& store, std::string_view token);

// Lowercase hex SHA-256 of `bytes`.
std::string sha256Hex(std::string_view bytes);

// The key-change marker of a database: `<database>-keys` beside the database file (symbolic
// links resolved, as SQLite does for its -wal file), so every process that opens the database
// names the same file. It only ever grows: each revocation appends one line. (Computed from the
// configured path rather than SQLite's own sqlite3_db_filename: the gateway, which watches the
// marker, and the CLI, which appends to it, both name it through this function from the same
// configuration, and the store does not expose SQLite's name.)
std::filesystem::path apiKeyMarkerPath(const std::filesystem::path& database);

// Appends "<what> <id>" to the marker of `database`, telling every running gateway on that
// database to forget the keys it has verified. The store calls it after a key is revoked (an
// added key needs none: refusals are not remembered and ids are never reused); fails with an
// "exception" issue when the file cannot be written. A missing marker is created with the
// database file's permission bits (not narrowed by the umask) and, when run as root, its owner
// and group, so whoever may write the database may append to it.
fhir::Outcome noteApiKeyChange(const std::filesystem::path& database, std::string_view what,
                               std::string_view id);

// Verifies API keys (as verifyApiKey) and remembers the keys it verified, so a client reusing
// its key is not charged a database read per request. A remembered key is used only while the
// marker (`marker`, see apiKeyMarkerPath) is unchanged, checked with one stat() per request:
// a revocation by any process is seen by the very next request; a missing marker turns
// remembering off. A remembered key is also re-read after `ttl` (a backstop for changes
// made to the database by hand). A presented secret is always compared, in constant time,
// with the hash read from the store. Thread-safe.
class ApiKeyVerifier {
 public:
  using Clock = std::chrono::steady_clock;

  // An empty `marker` never remembers (every request reads the store). The marker is created
  // when missing (as noteApiKeyChange does; its database is `marker` minus "-keys").
  ApiKeyVerifier(std::shared_ptr<Store> store, std::filesystem::path marker,
                 std::chrono::seconds ttl = std::chrono::seconds(60));

  // The key id, or a "login" error (never quoting the key). `now` (for the ttl) is the steady
  // clock: a wall clock set back cannot keep a key longer.
  fhir::Result<std::string> verify(std::string_view token,
                                   Clock::time_point now = Clock::now()) const;

  // Bounded: cleared when full.
  static constexpr std::size_t kMaxCachedKeys = 1024;

 private:
  // What stat() said of the marker: any append, replacement or removal changes it.
  struct MarkerState {
    bool exists = false;
    std::uint64_t device = 0, inode = 0, size = 0;
    std::int64_t modifiedNs = 0, changedNs = 0;
    bool operator==(const MarkerState&) const = default;
  };
  struct Verified {
    std::string secretHash;  // as stored: the SHA-256 of the secret
    Clock::time_point until;
  };
  MarkerState markerState() const;

  std::shared_ptr<Store> store_;
  std::filesystem::path marker_;
  Clock::duration ttl_;
  mutable std::mutex mutex_;
  mutable MarkerState seen_;  // the marker state the entries were verified under
  mutable std::unordered_map<std::string, Verified> verified_;
};

}  // namespace notebridge::gateway

#include "notebridge/gateway/api_keys.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "notebridge/gateway/jwt.h"

namespace notebridge::gateway {

using fhir::Result;
using fhir::Severity;

namespace {

// EVP_Digest with EVP_sha256() looks the implementation up and allocates a context on every
// call (OpenSSL 3), which cost as much as hashing a 2 KB body: the implementation is fetched
// once and each thread keeps its context.
const EVP_MD* sha256Algorithm() {
  static EVP_MD* const fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return fetched ? fetched : EVP_sha256();
}

struct DigestContext {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~DigestContext() { EVP_MD_CTX_free(ctx); }
};

}  // namespace

std::string sha256Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  thread_local DigestContext context;
  const bool done = context.ctx &&
                    EVP_DigestInit_ex(context.ctx, sha256Algorithm(), nullptr) == 1 &&
                    EVP_DigestUpdate(context.ctx, bytes.data(), bytes.size()) == 1 &&
                    EVP_DigestFinal_ex(context.ctx, digest, &length) == 1;
  if (!done) EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(std::size_t{length} * 2, '\0');
  for (unsigned i = 0; i < length; ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 15];
  }
  return out;
}

namespace {

bool randomBytes(std::string& out, std::size_t count) {
  out.resize(count);
  return RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(count)) == 1;
}

}  // namespace

Result<NewApiKey> createApiKey(Store& store, const std::string& name,
                               const std::string& createdAt) {
  std::string idBytes, secretBytes;
  if (!randomBytes(idBytes, 6) || !randomBytes(secretBytes, 32)) {
    return Result<NewApiKey>::failure(Severity::kFatal, "exception", "no randomness available");
  }
  // base64url may contain '_', so the id is hex: the first '_' after it separates the secret.
  std::string id = sha256Hex(idBytes).substr(0, 12);
  const std::string secret = base64UrlEncode(secretBytes);
  NewApiKey key{{id, name, createdAt, {}}, "nb_" + id + "_" + secret};
  fhir::Outcome outcome = store.addApiKey(key.record, sha256Hex(secret));
  if (outcome.hasErrors()) return Result<NewApiKey>(std::move(outcome));
  return key;
}

namespace {

Result<std::string> refuseKey() {
  return Result<std::string>::failure(Severity::kError, "login", "API key refused");
}

// Splits `nb_<id>_<secret>`; false when the token does not have that shape.
bool splitKey(std::string_view token, std::string_view& id, std::string_view& secret) {
  if (token.rfind("nb_", 0) != 0) return false;
  const std::string_view rest = token.substr(3);
  const std::size_t separator = rest.find('_');
  if (separator == std::string_view::npos || separator == 0) return false;
  id = rest.substr(0, separator);
  secret = rest.substr(separator + 1);
  return true;
}

bool sameHash(const std::string& stored, const std::string& presented) {
  return stored.size() == presented.size() &&
         CRYPTO_memcmp(stored.data(), presented.data(), presented.size()) == 0;
}

}  // namespace

Result<std::string> verifyApiKey(Store& store, std::string_view token) {
  std::string_view id, secret;
  if (!splitKey(token, id, secret)) return refuseKey();
  const std::optional<std::string> stored = store.activeApiKeyHash(std::string(id));
  if (!stored || !sameHash(*stored, sha256Hex(secret))) return refuseKey();
  return std::string(id);
}

std::filesystem::path apiKeyMarkerPath(const std::filesystem::path& database) {
  std::error_code error;
  std::filesystem::path resolved = std::filesystem::weakly_canonical(database, error);
  if (error) resolved = std::filesystem::absolute(database, error);
  if (error) resolved = database;
  resolved += "-keys";
  return resolved;
}

namespace {

// Opens the marker for appending, creating it when missing with the permission bits of its
// database (the marker path minus "-keys"), widened past the umask, and, when run as root, owned
// by the database's owner and group (as SQLite does for its -wal and -shm files): whoever may
// change the database's keys may also append to the marker. -1 with errno set on failure.
int openMarker(const std::filesystem::path& marker) {
  constexpr int kAppend = O_WRONLY | O_APPEND | O_CLOEXEC;
  int fd = ::open(marker.c_str(), kAppend);
  if (fd >= 0 || errno != ENOENT) return fd;
  std::string database = marker.string();
  constexpr std::string_view kSuffix = "-keys";
  if (database.size() > kSuffix.size() &&
      std::string_view(database).substr(database.size() - kSuffix.size()) == kSuffix) {
    database.resize(database.size() - kSuffix.size());
  }
  struct stat info {};
  const bool known = ::stat(database.c_str(), &info) == 0;
  const mode_t mode = known ? (info.st_mode & 0777) : 0666;
  fd = ::open(marker.c_str(), kAppend | O_CREAT | O_EXCL, mode);
  if (fd < 0) {
    // Made by another process in between: use theirs.
    return errno == EEXIST ? ::open(marker.c_str(), kAppend) : -1;
  }
  if (known) {
    bool adjusted = ::fchmod(fd, mode) == 0;
    if (::geteuid() == 0) adjusted = ::fchown(fd, info.st_uid, info.st_gid) == 0 && adjusted;
    (void)adjusted;  // on failure the file stays as created: usable by this user at least
  }
  return fd;
}

}  // namespace

fhir::Outcome noteApiKeyChange(const std::filesystem::path& database, std::string_view what,
                               std::string_view id) {
  fhir::Outcome outcome;
  const std::filesystem::path marker = apiKeyMarkerPath(database);
  std::string line;
  line.append(what).append(" ").append(id).append("\n");
  // One write() with O_APPEND: concurrent writers never interleave, and the size only grows,
  // so a gateway comparing stat() results cannot miss a change (timestamps can be too coarse).
  const int fd = openMarker(marker);
  std::string problem;
  if (fd < 0) {
    problem = std::strerror(errno);
  } else {
    const ssize_t wrote = ::write(fd, line.data(), line.size());
    if (wrote < 0) {
      problem = std::strerror(errno);
    } else if (wrote != static_cast<ssize_t>(line.size())) {
      problem = "short write";
    }
    ::close(fd);
  }
  if (!problem.empty()) {
    outcome.add(Severity::kError, "exception",
                "API key " + std::string(id) + " changed in the database, but running gateways " +
                    "could not be told (cannot write " + marker.string() + ": " + problem +
                    "); restart them, or they keep using it for up to 60 seconds");
  }
  return outcome;
}

ApiKeyVerifier::ApiKeyVerifier(std::shared_ptr<Store> store, std::filesystem::path marker,
                               std::chrono::seconds ttl)
    : store_(std::move(store)), marker_(std::move(marker)), ttl_(ttl) {
  if (marker_.empty()) return;
  // Created empty when missing (a database from before the marker), so that keys are
  // remembered from the start; when it cannot be created, nothing is remembered.
  const int fd = openMarker(marker_);
  if (fd >= 0) ::close(fd);
}

ApiKeyVerifier::MarkerState ApiKeyVerifier::markerState() const {
  MarkerState state;
  struct stat info {};
  if (::stat(marker_.c_str(), &info) != 0) return state;
  state.exists = true;
  state.device = info.st_dev;
  state.inode = info.st_ino;
  state.size = static_cast<std::uint64_t>(info.st_size);
  state.modifiedNs = std::int64_t{info.st_mtim.tv_sec} * 1000000000 + info.st_mtim.tv_nsec;
  state.changedNs = std::int64_t{info.st_ctim.tv_sec} * 1000000000 + info.st_ctim.tv_nsec;
  return state;
}

Result<std::string> ApiKeyVerifier::verify(std::string_view token, Clock::time_point now) const {
  if (marker_.empty()) return verifyApiKey(*store_, token);
  std::string_view idView, secret;
  if (!splitKey(token, idView, secret)) return refuseKey();
  std::string id(idView);
  const std::string presented = sha256Hex(secret);

  // Taken before the store is read: an entry is kept only if the marker has not changed since,
  // so a hash read before a revocation can never outlive the revocation's marker change.
  const MarkerState state = markerState();
  {
    std::lock_guard lock(mutex_);
    if (!(state == seen_)) {
      verified_.clear();
      seen_ = state;
    } else if (state.exists) {
      auto it = verified_.find(id);
      if (it != verified_.end()) {
        if (now < it->second.until) {
          // The store would answer the same hash: a wrong secret is refused here too.
          if (!sameHash(it->second.secretHash, presented)) return refuseKey();
          return id;
        }
        verified_.erase(it);
      }
    }
  }
  std::optional<std::string> stored = store_->activeApiKeyHash(id);
  if (!stored || !sameHash(*stored, presented)) return refuseKey();
  if (state.exists) {
    std::lock_guard lock(mutex_);
    if (state == seen_) {
      if (verified_.size() >= kMaxCachedKeys) verified_.clear();
      verified_[id] = Verified{std::move(*stored), now + ttl_};
    }
  }
  return id;
}

}  // namespace notebridge::gateway

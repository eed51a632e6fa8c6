#include "notebridge/gateway/api_keys.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

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

Result<std::string> verifyApiKey(Store& store, std::string_view token) {
  auto refuse = [] {
    return Result<std::string>::failure(Severity::kError, "login", "API key refused");
  };
  if (token.rfind("nb_", 0) != 0) return refuse();
  const std::string_view rest = token.substr(3);
  const std::size_t separator = rest.find('_');
  if (separator == std::string_view::npos || separator == 0) return refuse();
  const std::string id(rest.substr(0, separator));
  const std::optional<std::string> stored = store.activeApiKeyHash(id);
  const std::string presented = sha256Hex(rest.substr(separator + 1));
  if (!stored || stored->size() != presented.size() ||
      CRYPTO_memcmp(stored->data(), presented.data(), presented.size()) != 0) {
    return refuse();
  }
  return id;
}

}  // namespace notebridge::gateway

#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "notebridge/gateway/api_keys.h"
#include "notebridge/gateway/http_exchange.h"
#include "notebridge/gateway/jwt.h"
#include "notebridge/gateway/router.h"
#include "notebridge/gateway/store.h"

namespace notebridge::gateway {

// Decides whether a request may use a route: API keys for internal routes, bearer JWTs with
// SMART system scopes for FHIR routes. Thread-safe (the store is; the verifier is immutable).
class Authenticator {
 public:
  // `jwt` may be null: then FHIR routes refuse every request, saying that no keys are set up.
  // `apiKeyMarker` (apiKeyMarkerPath of the store's database) lets verified API keys be
  // remembered (see ApiKeyVerifier); empty, every API key is read from the store.
  Authenticator(std::shared_ptr<Store> store, std::shared_ptr<const JwtVerifier> jwt,
                std::filesystem::path apiKeyMarker = {});

  // The principal, or an error: "login" (401: no, malformed, unknown, expired credentials) or
  // "forbidden" (403: valid credentials whose scopes do not allow this). `authorization` and
  // `apiKey` are the request's Authorization and X-API-Key headers; `resourceType` the `{type}`
  // path segment when the route has one. Diagnostics never quote a credential.
  fhir::Result<Principal> authorize(const Route& route, std::string_view authorization,
                                    std::string_view apiKey, std::string_view resourceType,
                                    std::int64_t now) const;

 private:
  // A verified token's claims, remembered until it expires, so a client reusing its token
  // is not charged a signature check per request (the whole token is the key: a changed
  // signature is a different token). Bounded: cleared when full.
  fhir::Result<JwtClaims> verifyCached(std::string_view token, std::int64_t now) const;
  static constexpr std::size_t kMaxCachedTokens = 4096;

  ApiKeyVerifier apiKeys_;
  std::shared_ptr<const JwtVerifier> jwt_;
  mutable std::mutex cacheMutex_;
  mutable std::unordered_map<std::string, JwtClaims> verified_;
};

}  // namespace notebridge::gateway

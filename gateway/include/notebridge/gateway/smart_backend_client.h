#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "notebridge/fhir/outcome.h"
#include "notebridge/gateway/destination_config.h"
#include "notebridge/gateway/upstream_client.h"

namespace notebridge::gateway {

// What the SMART Backend Services client needs (DOMAIN §5; SMART App Launch 2.x
// backend-services.html).
struct SmartBackendOptions {
  std::string baseUrl;        // the FHIR base, for discovery
  std::string tokenUrl;       // empty: discovered from {baseUrl}/.well-known/smart-configuration
  std::string clientId;       // iss = sub of the client assertion
  std::string privateKeyPem;  // RSA (RS384) or P-384 (ES384)
  std::string keyId;          // kid header
  std::string alg = "RS384";  // RS384 or ES384
  // Tokens are renewed this long before they expire.
  std::chrono::seconds renewBefore{30};

  // From a destination (reads private_key_file). Fails when the key file cannot be read.
  static fhir::Result<SmartBackendOptions> from(const DestinationConfig& destination);
};

// An access token, or why there is none: `failure` is the discovery or token request's result
// (a response with its status, or a transport error) so the retry policy can classify it.
struct AccessToken {
  std::string token;
  std::chrono::system_clock::time_point expiresAt{};
  UpstreamResult failure;
  bool ok() const { return !token.empty(); }
};

// Gets and caches access tokens with the client-credentials grant and a signed client
// assertion (iss = sub = client id, aud = token URL, exp 4 minutes ahead, fresh random jti).
// Tokens are cached per scope and renewed `renewBefore` their expiry; a caller that got a 401
// with a cached token asks again with `renew` once. Thread-safe (one request at a time).
class SmartBackendClient {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;
  SmartBackendClient(
      SmartBackendOptions options, std::shared_ptr<UpstreamClient> http,
      Clock clock = [] { return std::chrono::system_clock::now(); });

  // A token for `scope` (space-separated), from the cache unless it is near expiry or `renew`.
  AccessToken accessToken(const std::string& scope, bool renew = false);

  // The signed client assertion for `audience` (exposed for tests). Fails on a bad key.
  fhir::Result<std::string> clientAssertion(const std::string& audience) const;

  // Token requests made so far (tests check the caching).
  int tokenRequests() const;

 private:
  UpstreamResult discover();

  SmartBackendOptions options_;
  std::shared_ptr<UpstreamClient> http_;
  Clock clock_;
  mutable std::mutex mutex_;
  std::string tokenUrl_;
  std::map<std::string, AccessToken> cache_;
  int tokenRequests_ = 0;
};

}  // namespace notebridge::gateway

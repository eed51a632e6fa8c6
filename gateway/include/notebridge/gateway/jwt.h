#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "notebridge/fhir/outcome.h"

namespace notebridge::gateway {

// What a verified token says.
struct JwtClaims {
  std::string issuer;
  std::string subject;
  std::string audience;  // the audience that matched, or the first one
  std::string scope;     // space-separated ("scope" claim, or "scp" array joined)
  std::string jwtId;
  std::int64_t expiresAt = 0;
};

// How bearer tokens are checked.
struct JwtOptions {
  // Accepted "alg" values; anything else (none, HS256, ...) is refused.
  std::vector<std::string> algorithms = {"RS256", "RS384", "ES384"};
  // Required "iss" when non-empty.
  std::string issuer;
  // Required "aud" (string or array) when non-empty.
  std::string audience;
  // Clock skew allowed on exp and nbf.
  int leewaySeconds = 60;
};

// Verifies signed JWTs (RS256, RS384 with RSA keys; ES384 with P-384 keys, signature in the
// JOSE raw R||S form) against public keys from PEM files and/or a JWKS file. Immutable after
// load; verify() is thread-safe.
class JwtVerifier {
 public:
  // Loads keys. A PEM file's key id is its file name without extension; JWKS keys use "kid".
  // Fails with every unreadable or unsupported key listed.
  static fhir::Result<std::shared_ptr<const JwtVerifier>> load(
      const std::vector<std::filesystem::path>& pemFiles, const std::filesystem::path& jwksFile,
      JwtOptions options);
  ~JwtVerifier();

  // Checks the signature, alg, exp (required), nbf, iss and aud at time `now` (Unix seconds).
  // Errors use code "login" with a reason that never quotes the token.
  fhir::Result<JwtClaims> verify(std::string_view token, std::int64_t now) const;

  std::size_t keyCount() const;

  struct Impl;

 private:
  explicit JwtVerifier(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Signs a JWT with a PEM private key: RS256/RS384 (RSA) or ES384 (P-384, raw R||S signature).
// `headerJson` lacks "alg" (it is added), `payloadJson` is used as given. Used by the SMART
// Backend Services client and by tests. Fails when the key does not fit the algorithm.
fhir::Result<std::string> signJwt(std::string_view algorithm, const std::string& privateKeyPem,
                                  std::string_view keyId, std::string_view payloadJson);

// base64url without padding (RFC 7515 §2).
std::string base64UrlEncode(std::string_view bytes);
// Decodes base64url with or without padding; false on a character outside the alphabet.
bool base64UrlDecode(std::string_view text, std::string& out);

}  // namespace notebridge::gateway

#include "notebridge/gateway/authenticator.h"

#include "notebridge/gateway/smart_scopes.h"

namespace notebridge::gateway {

using fhir::Result;
using fhir::Severity;

Authenticator::Authenticator(std::shared_ptr<Store> store, std::shared_ptr<const JwtVerifier> jwt,
                             std::filesystem::path apiKeyMarker)
    : apiKeys_(std::move(store), std::move(apiKeyMarker)), jwt_(std::move(jwt)) {}

namespace {

std::string_view bearerToken(std::string_view authorization) {
  constexpr std::string_view kScheme = "Bearer ";
  if (authorization.size() <= kScheme.size()) return {};
  // The scheme is case-insensitive (RFC 7235 §2.1).
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) !=
        std::tolower(static_cast<unsigned char>(kScheme[i]))) {
      return {};
    }
  }
  std::string_view token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  return token;
}

Result<Principal> refuse(const char* code, std::string diagnostics) {
  return Result<Principal>::failure(Severity::kError, code, std::move(diagnostics));
}

}  // namespace

Result<JwtClaims> Authenticator::verifyCached(std::string_view token, std::int64_t now) const {
  {
    std::lock_guard lock(cacheMutex_);
    auto it = verified_.find(std::string(token));
    if (it != verified_.end()) {
      if (now < it->second.expiresAt) return it->second;
      verified_.erase(it);
    }
  }
  Result<JwtClaims> claims = jwt_->verify(token, now);
  if (claims && claims->expiresAt > now) {
    std::lock_guard lock(cacheMutex_);
    if (verified_.size() >= kMaxCachedTokens) verified_.clear();
    verified_.emplace(std::string(token), *claims);
  }
  return claims;
}

Result<Principal> Authenticator::authorize(const Route& route, std::string_view authorization,
                                           std::string_view apiKey, std::string_view resourceType,
                                           std::int64_t now) const {
  if (route.access == Access::kPublic) return Principal{};
  std::string_view credential = !apiKey.empty() ? apiKey : bearerToken(authorization);
  if (credential.empty()) {
    return refuse("login", route.access == Access::kInternal
                               ? "an API key is required (X-API-Key or Authorization: Bearer)"
                               : "a bearer token is required (Authorization: Bearer)");
  }
  const bool looksLikeApiKey = credential.rfind("nb_", 0) == 0;

  if (route.access == Access::kInternal) {
    if (!looksLikeApiKey) return refuse("login", "this endpoint takes an API key, not a JWT");
    Result<std::string> id = apiKeys_.verify(credential);
    if (!id) return Result<Principal>(std::move(id.outcome()));
    return Principal{"api-key", *id, {}};
  }

  if (looksLikeApiKey) return refuse("login", "FHIR endpoints take a bearer JWT, not an API key");
  if (!jwt_)
    return refuse("login", "bearer tokens are not accepted: no signing keys are configured");
  Result<JwtClaims> claims = verifyCached(credential, now);
  if (!claims) return Result<Principal>(std::move(claims.outcome()));
  Principal principal{"jwt", claims->subject, claims->scope};

  const SmartScopes scopes = SmartScopes::parse(claims->scope);
  for (const conformance::RestInteraction& interaction : route.interactions) {
    if (interaction.resourceType.empty()) continue;  // system level: the handler checks entries
    if (!resourceType.empty() && interaction.resourceType != resourceType) continue;
    // A narrowed grant lets the request through; the FHIR handler applies its query.
    if (!scopes.mayAllow(interaction.resourceType, interaction.code)) {
      return refuse("forbidden", "the token's scopes do not allow " + interaction.code + " on " +
                                     interaction.resourceType);
    }
  }
  return principal;
}

}  // namespace notebridge::gateway

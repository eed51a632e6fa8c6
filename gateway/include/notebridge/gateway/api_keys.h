#pragma once

#include <string>
#include <string_view>

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

}  // namespace notebridge::gateway

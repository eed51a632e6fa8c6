#pragma once

#include <optional>
#include <string>
#include <vector>

#include "notebridge/fhir/outcome.h"

namespace notebridge::gateway {

// An API key as listed: never its secret, which is stored only as a SHA-256 hash.
struct ApiKeyRecord {
  std::string id;         // public part of the key, shown in lists and logs
  std::string name;       // who or what it is for
  std::string createdAt;  // dateTime
  std::string revokedAt;  // empty while active
};

// Where the gateway keeps everything it has accepted. Two implementations are planned:
// SqliteStore (the embedded default) and a PostgreSQL one for several instances sharing a
// database; callers depend only on this interface. Implementations are thread-safe and catch
// their driver's exceptions: failures come back as issues.
class Store {
 public:
  virtual ~Store() = default;

  // Checks that the database answers (for /readyz). An empty outcome means ready.
  virtual fhir::Outcome ping() = 0;
  // The schema version the database is at (the highest migration applied).
  virtual int schemaVersion() = 0;
  // Stores a new API key. Fails ("duplicate") when the id exists.
  virtual fhir::Outcome addApiKey(const ApiKeyRecord& key, const std::string& secretHash) = 0;
  // Every key, active and revoked, oldest first.
  virtual fhir::Result<std::vector<ApiKeyRecord>> listApiKeys() = 0;
  // Marks a key revoked. Fails ("not-found") when there is no active key with this id.
  virtual fhir::Outcome revokeApiKey(const std::string& id) = 0;
  // The secret hash of an active key, or nothing (unknown or revoked).
  virtual std::optional<std::string> activeApiKeyHash(const std::string& id) = 0;

  // Releases connections; later calls fail with an issue. Safe to call twice.
  virtual void close() = 0;
};

}  // namespace notebridge::gateway

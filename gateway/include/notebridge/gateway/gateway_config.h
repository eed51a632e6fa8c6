#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "notebridge/fhir/outcome.h"
#include "notebridge/gateway/destination_config.h"

namespace Poco::Util {
class AbstractConfiguration;
}

namespace notebridge::gateway {

// Everything `notebridge serve` reads from its properties file, read once at start and immutable
// afterwards. Every field documents its key and default; the README's configuration table lists
// the same keys (a test keeps the two in step).
struct GatewayConfig {
  // server.host: the address to listen on.
  std::string host = "127.0.0.1";
  // server.port: the TCP port; 0 picks a free one (tests).
  std::uint16_t port = 8080;
  // server.threads: worker threads serving requests.
  int threads = 16;
  // server.queue: accepted connections waiting for a worker before new ones are refused.
  int queue = 64;
  // server.shutdownTimeoutSeconds: how long a stop waits for in-flight requests.
  int shutdownTimeoutSeconds = 30;
  // data.dir: where the gateway keeps its state; created when missing.
  std::filesystem::path dataDir = "var";
  // database.path: the SQLite database file; empty means <data.dir>/notebridge.db.
  std::filesystem::path databasePath;
  // store.writerBoost: nice levels the thread holding the database's write lock runs above
  // its own for its turn (0 to 39; 0: off). SqliteStoreOptions::writerBoost.
  int writerBoost = 10;
  // log.level: fatal, critical, error, warning, notice, information, debug or trace.
  std::string logLevel = "information";

  // definitions.packages: comma-separated FHIR package folders (US Core, CDex...) loaded
  // beside the R4 core definitions and our own.
  std::vector<std::filesystem::path> definitionPackages;

  // limits.maxBodyBytes: a larger request body is refused with 413.
  std::int64_t maxBodyBytes = 16 * 1024 * 1024;
  // limits.readTimeoutSeconds / limits.writeTimeoutSeconds: socket timeouts per request.
  int readTimeoutSeconds = 30;
  int writeTimeoutSeconds = 30;
  // limits.maxJsonDepth / limits.maxXmlDepth: nesting accepted in request bodies.
  int maxJsonDepth = 128;
  int maxXmlDepth = 128;

  // auth.jwt.keyFiles: comma-separated PEM public keys that sign bearer tokens.
  std::vector<std::filesystem::path> jwtKeyFiles;
  // auth.jwt.jwksFile: a JWKS file with more such keys.
  std::filesystem::path jwtJwksFile;
  // auth.jwt.issuer / auth.jwt.audience: required iss / aud when set.
  std::string jwtIssuer;
  std::string jwtAudience;
  // auth.jwt.algorithms: accepted signature algorithms.
  std::vector<std::string> jwtAlgorithms = {"RS256", "RS384", "ES384"};

  // tls.certificateFile + tls.privateKeyFile: serve HTTPS (TLS 1.2 and up) instead of HTTP.
  std::filesystem::path tlsCertificateFile;
  std::filesystem::path tlsPrivateKeyFile;
  // tls.caFile: CA certificates that client certificates must chain to.
  std::filesystem::path tlsCaFile;
  // tls.requireClientCertificate: mutual TLS; needs tls.caFile.
  bool tlsRequireClientCertificate = false;

  // destinations.<name>.*: where accepted notes are forwarded (see DestinationConfig), in
  // name order. None: notes are stored only.
  std::vector<DestinationConfig> destinations;
  // delivery.lease_seconds: how long a claimed delivery stays reserved for the worker that
  // claimed it; after a crash the row is claimable again once this has passed. Must exceed
  // every destination's connect + request timeout.
  int deliveryLeaseSeconds = 120;
  // delivery.poll_ms: how often idle workers look for due deliveries.
  int deliveryPollMs = 200;
  // delivery.batch: deliveries a worker claims per transaction.
  int deliveryBatch = 16;

  // The destination with this name, or null.
  const DestinationConfig* destination(std::string_view name) const {
    for (const auto& d : destinations)
      if (d.name == name) return &d;
    return nullptr;
  }

  bool tlsEnabled() const { return !tlsCertificateFile.empty(); }

  // The database file after applying the default.
  std::filesystem::path effectiveDatabasePath() const {
    return databasePath.empty() ? dataDir / "notebridge.db" : databasePath;
  }
};

// One documented configuration key.
struct ConfigKey {
  std::string_view key;
  std::string_view defaultValue;
  std::string_view description;
};

// Every key GatewayConfig reads, in README order.
const std::vector<ConfigKey>& configKeys();

// Reads and checks a configuration. Keys that are absent keep their defaults. Every problem
// (an unknown key, a value of the wrong form or out of range) is an error issue naming the key,
// all of them reported at once; the config is returned only when there are none.
fhir::Result<GatewayConfig> readGatewayConfig(const Poco::Util::AbstractConfiguration& config);

// Loads a properties file and reads it as above; a file that cannot be read is a fatal issue.
fhir::Result<GatewayConfig> loadGatewayConfig(const std::filesystem::path& file);

}  // namespace notebridge::gateway

#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "notebridge/fhir/outcome.h"
#include "notebridge/gateway/destination_config.h"

namespace notebridge::gateway {

// One request to a receiver. `url` is absolute (http:// or https://).
struct UpstreamRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string contentType;  // empty: no body
  std::string body;
};

// The receiver's answer. Header names are lower-cased.
struct UpstreamResponse {
  int status = 0;
  std::map<std::string, std::string> headers;
  std::string body;

  // The header's value, or empty (`name` lower-case).
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// Why no response came back.
enum class UpstreamError {
  kNone,        // a response arrived (any status)
  kConnect,     // connection refused, unreachable, DNS failure
  kTimeout,     // connect, send or receive timed out
  kConnection,  // reset or closed mid-exchange, malformed answer
  kTls,         // handshake failed: certificate not trusted, wrong host name, no client cert
  kRequest,     // the request itself cannot be made (bad URL): retrying will not help
};

std::string_view toString(UpstreamError value);

// A response, or the error class and a readable reason.
struct UpstreamResult {
  std::optional<UpstreamResponse> response;
  UpstreamError error = UpstreamError::kNone;
  std::string reason;
};

// Sends HTTP requests to a receiver (DESIGN §7: interface noun, implementations by mechanism).
// Implementations are thread-safe and never throw: transport failures are UpstreamErrors.
class UpstreamClient {
 public:
  virtual ~UpstreamClient() = default;
  virtual UpstreamResult send(const UpstreamRequest& request) = 0;
};

// TLS and timeouts of a PocoUpstreamClient, taken from a destination.
struct UpstreamOptions {
  int connectTimeoutSeconds = 5;
  int timeoutSeconds = 30;
  std::filesystem::path caFile;          // empty: the system's trusted CAs
  std::filesystem::path clientCertFile;  // with clientKeyFile: presented for mutual TLS
  std::filesystem::path clientKeyFile;
  bool insecureSkipVerify = false;  // no certificate or host name verification
  int maxIdleConnections = 16;      // keep-alive sessions kept per host

  static UpstreamOptions from(const DestinationConfig& destination);
};

// UpstreamClient over Poco HTTPClientSession / HTTPSClientSession with keep-alive. TLS 1.2+,
// the peer certificate verified against `caFile` (or the system CAs) with host name checking
// unless insecureSkipVerify. One of the three places that catch Poco exceptions (DESIGN §4).
class PocoUpstreamClient final : public UpstreamClient {
 public:
  // Fails when the TLS material cannot be loaded (unreadable CA file, key not matching the
  // certificate).
  static fhir::Result<std::shared_ptr<PocoUpstreamClient>> create(UpstreamOptions options);
  ~PocoUpstreamClient() override;

  UpstreamResult send(const UpstreamRequest& request) override;

  struct Impl;

 private:
  explicit PocoUpstreamClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace notebridge::gateway

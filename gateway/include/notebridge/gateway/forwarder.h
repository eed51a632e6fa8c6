#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "notebridge/fhir/outcome.h"
#include "notebridge/gateway/destination_config.h"
#include "notebridge/gateway/outbound_transform.h"
#include "notebridge/gateway/smart_backend_client.h"
#include "notebridge/gateway/upstream_client.h"

namespace notebridge::gateway {

// The result of one delivery attempt of one note to one destination.
struct DeliveryAttempt {
  // The deciding exchange: the last response (2xx when everything went), or the transport
  // error; feed it to decideRetry(). Meaningless when `refused`.
  UpstreamResult result;
  // Refused before sending (vendor rules, profile validation, no builder): dead-letter at once.
  bool refused = false;
  // A readable reason: the issues of a refusal, the failing request, the auth failure.
  std::string reason;
  // JSON receipt: {"status", "location", "id", "outcome", "requests"}: what the receiver said.
  std::string receipt;
};

// Delivers stored notes to one destination: plans with the OutboundTransform, authenticates
// (bearer file, SMART Backend Services with one re-authentication on a 401, mutual TLS through
// the client's TLS material) and sends with the UpstreamClient. Thread-safe.
class Forwarder {
 public:
  // `http` null: a PocoUpstreamClient from the destination's TLS and timeout settings. Fails
  // when TLS material or the SMART private key cannot be loaded.
  static fhir::Result<std::shared_ptr<Forwarder>> create(
      DestinationConfig destination, std::shared_ptr<const OutboundTransform> transform,
      std::shared_ptr<UpstreamClient> http = nullptr);

  // One attempt for the stored Bundle `bundleJson`. Never throws.
  DeliveryAttempt deliver(std::string_view bundleJson) const;

  // One request to this destination with its authentication (and one SMART renewal on a 401),
  // for bodies the caller built itself (the journeys' transfer documents and CDex Parameters).
  UpstreamResult sendRequest(UpstreamRequest request) const { return send(std::move(request)); }

  const DestinationConfig& destination() const { return destination_; }
  // Null unless auth = smart-backend.
  SmartBackendClient* smart() const { return smart_.get(); }

 private:
  Forwarder(DestinationConfig destination, std::shared_ptr<const OutboundTransform> transform,
            std::shared_ptr<UpstreamClient> http, std::unique_ptr<SmartBackendClient> smart);
  // Sends with the auth header; on a 401 with a SMART token, renews it and sends once more.
  UpstreamResult send(UpstreamRequest request) const;

  DestinationConfig destination_;
  std::shared_ptr<const OutboundTransform> transform_;
  std::shared_ptr<UpstreamClient> http_;
  std::unique_ptr<SmartBackendClient> smart_;
};

}  // namespace notebridge::gateway

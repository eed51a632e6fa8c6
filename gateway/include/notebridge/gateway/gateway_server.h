#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "notebridge/fhir/definitions.h"
#include "notebridge/fhir/outcome.h"
#include "notebridge/gateway/authenticator.h"
#include "notebridge/gateway/gateway_config.h"
#include "notebridge/gateway/note_routing.h"
#include "notebridge/gateway/router.h"
#include "notebridge/gateway/store.h"
#include "notebridge/validation/validator.h"

namespace Poco {
class ThreadPool;
}
namespace Poco::Net {
class HTTPServer;
}

namespace notebridge::gateway {

struct ServingContext;  // what each request handler reads: see src/http/request_handler.h

// The gateway's HTTP server: the route table, the Poco listener and its worker threads.
// Used by `notebridge serve` and, on port 0, by the integration tests.
class GatewayServer {
 public:
  // Builds the product's route table over `store` (shared with the caller, which closes it)
  // and `registry` (the FHIR definitions, loaded once and shared). `validator` checks incoming
  // resources and serves $validate; null leaves both out (and out of the CapabilityStatement).
  GatewayServer(GatewayConfig config, std::shared_ptr<Store> store,
                std::shared_ptr<const fhir::DefinitionRegistry> registry,
                std::shared_ptr<const validation::Validator> validator);
  // Same with extra routes (tests add slow or failing routes to exercise shutdown and errors).
  GatewayServer(GatewayConfig config, std::shared_ptr<Store> store,
                std::shared_ptr<const fhir::DefinitionRegistry> registry,
                std::shared_ptr<const validation::Validator> validator, std::vector<Route> extra);
  // Same with the routing of accepted notes (null: no destinations; see note_routing.h).
  GatewayServer(GatewayConfig config, std::shared_ptr<Store> store,
                std::shared_ptr<const fhir::DefinitionRegistry> registry,
                std::shared_ptr<const validation::Validator> validator,
                std::shared_ptr<const NoteRouting> routing, std::vector<Route> extra = {});
  ~GatewayServer();

  GatewayServer(const GatewayServer&) = delete;
  GatewayServer& operator=(const GatewayServer&) = delete;

  // Loads the JWT keys and TLS material, binds and starts accepting (HTTPS when the
  // configuration has a certificate). An empty outcome means listening; otherwise the issues
  // say why (unreadable key or certificate, address in use, bad host).
  fhir::Outcome start();
  // Stops accepting, lets in-flight requests finish (up to shutdownTimeoutSeconds), then
  // closes the remaining connections. Idempotent.
  void stop();

  // The bound port (the real one when configured as 0); 0 before start().
  std::uint16_t port() const { return port_; }
  // "https" or "http".
  const char* scheme() const { return config_.tlsEnabled() ? "https" : "http"; }
  const Router& router() const { return router_; }
  const GatewayConfig& config() const { return config_; }

 private:
  void addSystemRoutes();

  GatewayConfig config_;
  std::shared_ptr<Store> store_;
  std::shared_ptr<const fhir::DefinitionRegistry> registry_;
  Router router_;
  std::string capabilityStatement_;
  std::unique_ptr<Authenticator> authenticator_;
  std::unique_ptr<ServingContext> serving_;
  std::unique_ptr<Poco::ThreadPool> threads_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  std::uint16_t port_ = 0;
};

}  // namespace notebridge::gateway

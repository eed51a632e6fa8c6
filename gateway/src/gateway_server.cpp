#include "notebridge/gateway/gateway_server.h"

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Exception.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/ThreadPool.h>

#include <chrono>
#include <thread>

#include "http/request_handler.h"

namespace notebridge::gateway {

GatewayServer::GatewayServer(GatewayConfig config, std::shared_ptr<Store> store)
    : GatewayServer(std::move(config), std::move(store), {}) {}

GatewayServer::GatewayServer(GatewayConfig config, std::shared_ptr<Store> store,
                             std::vector<Route> extra)
    : config_(std::move(config)), store_(std::move(store)) {
  addSystemRoutes();
  for (Route& route : extra) router_.add(std::move(route));

  // Generated once from the finished route table: exactly what is served, nothing more.
  conformance::ServerDescription description;
  description.softwareVersion = NOTEBRIDGE_VERSION;
  description.implementationDescription = "NoteBridge FHIR R4 gateway for behavioral-health notes";
  description.date =
      Poco::DateTimeFormatter::format(Poco::DateTime(), Poco::DateTimeFormat::ISO8601_FORMAT);
  description.formats = {"json"};
  capabilityStatement_ = conformance::buildCapabilityStatementJson(
      description, router_.interactions(), router_.operations());
}

GatewayServer::~GatewayServer() { stop(); }

void GatewayServer::addSystemRoutes() {
  router_.add(
      {"GET",
       "/healthz",
       [](HttpExchange& exchange) { exchange.send(200, kPlainJson, R"({"status":"pass"})"); },
       {},
       {}});
  router_.add({"GET",
               "/readyz",
               [this](HttpExchange& exchange) {
                 const fhir::Outcome outcome = store_->ping();
                 if (outcome.hasErrors()) {
                   exchange.setHeader("Retry-After", "5");
                   exchange.sendOutcome(503, outcome);
                 } else {
                   exchange.send(200, kPlainJson, R"({"status":"pass","database":"pass"})");
                 }
               },
               {},
               {}});
  router_.add(
      {"GET",
       "/fhir/metadata",
       [this](HttpExchange& exchange) { exchange.send(200, kFhirJson, capabilityStatement_); },
       {},
       {}});
}

fhir::Outcome GatewayServer::start() {
  fhir::Outcome outcome;
  if (server_) return outcome;
  try {
    // Poco's default bind also sets SO_REUSEPORT, which would let a second gateway share the
    // port silently; reuse the address (fast restarts) but not the port.
    Poco::Net::ServerSocket socket;
    socket.bind(Poco::Net::SocketAddress(config_.host, config_.port), true, false);
    socket.listen(config_.queue);
    port_ = socket.address().port();
    auto params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(config_.threads);
    params->setMaxQueued(config_.queue);
    params->setKeepAlive(true);
    threads_ = std::make_unique<Poco::ThreadPool>(std::min(2, config_.threads), config_.threads);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new RequestHandlerFactory(router_), *threads_,
                                                      socket, params);
    server_->start();
  } catch (const Poco::Exception& e) {
    server_.reset();
    threads_.reset();
    port_ = 0;
    outcome.add(fhir::Severity::kFatal, "exception",
                "cannot listen on " + config_.host + ":" + std::to_string(config_.port) + ": " +
                    e.displayText());
  }
  return outcome;
}

void GatewayServer::stop() {
  if (!server_) return;
  // Stop accepting, and close each kept-alive connection once its current request is answered.
  server_->stopAll(false);
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(config_.shutdownTimeoutSeconds);
  while (server_->currentConnections() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (server_->currentConnections() > 0) server_->stopAll(true);
  threads_->joinAll();
  server_.reset();
  threads_.reset();
}

}  // namespace notebridge::gateway

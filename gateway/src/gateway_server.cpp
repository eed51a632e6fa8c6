#include "notebridge/gateway/gateway_server.h"

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/ThreadPool.h>
#include <Poco/Timespan.h>

#include <chrono>
#include <thread>

#include "fhir_api/fhir_routes.h"
#include "fhir_api/search_parameters.h"
#include "http/request_handler.h"
#include "http/serving_socket.h"
#include "notebridge/gateway/api_keys.h"
#include "notebridge/gateway/journeys.h"
#include "notebridge/gateway/sqlite_store.h"
#include "notes_api/note_routes.h"

namespace notebridge::gateway {

GatewayServer::GatewayServer(GatewayConfig config, std::shared_ptr<Store> store,
                             std::shared_ptr<const fhir::DefinitionRegistry> registry,
                             std::shared_ptr<const validation::Validator> validator)
    : GatewayServer(std::move(config), std::move(store), std::move(registry), std::move(validator),
                    std::vector<Route>{}) {}

GatewayServer::GatewayServer(GatewayConfig config, std::shared_ptr<Store> store,
                             std::shared_ptr<const fhir::DefinitionRegistry> registry,
                             std::shared_ptr<const validation::Validator> validator,
                             std::vector<Route> extra)
    : GatewayServer(std::move(config), std::move(store), std::move(registry), std::move(validator),
                    std::shared_ptr<const NoteRouting>(), std::move(extra)) {}

GatewayServer::GatewayServer(GatewayConfig config, std::shared_ptr<Store> store,
                             std::shared_ptr<const fhir::DefinitionRegistry> registry,
                             std::shared_ptr<const validation::Validator> validator,
                             std::shared_ptr<const NoteRouting> routing, std::vector<Route> extra)
    : config_(std::move(config)), store_(std::move(store)), registry_(std::move(registry)) {
  addSystemRoutes();
  addFhirRoutes(router_, store_, registry_, validator, config_);
  addNoteRoutes(router_, store_, registry_, validator, std::move(routing), config_);
  addJourneyRoutes(router_, std::make_shared<const JourneyContext>(JourneyContext{
                                store_, registry_, validator, config_, [this] { return port(); }}));
  for (Route& route : extra) router_.add(std::move(route));

  // Generated once from the finished route table: exactly what is served, nothing more.
  conformance::ServerDescription description;
  description.softwareVersion = NOTEBRIDGE_VERSION;
  description.implementationDescription = "NoteBridge FHIR R4 gateway for behavioral-health notes";
  description.date =
      Poco::DateTimeFormatter::format(Poco::DateTime(), Poco::DateTimeFormat::ISO8601_FORMAT);
  description.formats = {"json", "xml"};
  if (!config_.jwtKeyFiles.empty() || !config_.jwtJwksFile.empty()) {
    description.securityServices = {"SMART-on-FHIR"};
  }
  // Search parameters for exactly the types whose search is routed: _id and _lastUpdated for
  // all, then each type's own (search_parameters.cpp, which the search itself uses).
  const std::vector<conformance::RestInteraction> interactions = router_.interactions();
  std::vector<conformance::RestSearchParam> searchParams;
  for (const conformance::RestInteraction& interaction : interactions) {
    if (interaction.code != "search-type") continue;
    const std::string& type = interaction.resourceType;
    searchParams.push_back({type, "_id", "token"});
    searchParams.push_back({type, "_lastUpdated", "date"});
    for (const SearchParameterDef& def : searchParametersFor(type)) {
      searchParams.push_back({type, def.name, def.kind});
    }
  }
  capabilityStatement_ = conformance::buildCapabilityStatementJson(
      description, interactions, router_.operations(), searchParams);
}

GatewayServer::~GatewayServer() { stop(); }

namespace {

// TLS 1.2 and up only; client certificates required (and checked against tls.caFile) for
// mutual TLS, otherwise not asked for.
Poco::Net::Context::Ptr serverTlsContext(const GatewayConfig& config) {
  Poco::Net::initializeSSL();
  Poco::Net::Context::Params params;
  params.privateKeyFile = config.tlsPrivateKeyFile.string();
  params.certificateFile = config.tlsCertificateFile.string();
  params.caLocation = config.tlsCaFile.string();
  params.verificationMode = config.tlsRequireClientCertificate ? Poco::Net::Context::VERIFY_STRICT
                                                               : Poco::Net::Context::VERIFY_NONE;
  params.cipherList = "HIGH:!aNULL:!eNULL:!MD5:!RC4:!3DES:@STRENGTH";
  Poco::Net::Context::Ptr context =
      new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, params);
  context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
  // Poco's "extended" check compares a client certificate's names with the client's address;
  // a client's identity comes from its chain to tls.caFile, not from where it connects from.
  context->enableExtendedCertificateVerification(false);
  return context;
}

}  // namespace

void GatewayServer::addSystemRoutes() {
  router_.add(
      {"GET",
       "/healthz",
       [](HttpExchange& exchange) { exchange.send(200, kPlainJson, R"({"status":"pass"})"); },
       {},
       {},
       Access::kPublic});
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
               {},
               Access::kPublic});
  router_.add({"GET",
               "/fhir/metadata",
               [this](HttpExchange& exchange) {
                 sendNegotiated(exchange, capabilityStatement_, *registry_);
               },
               {},
               {},
               Access::kPublic});
}

fhir::Outcome GatewayServer::start() {
  fhir::Outcome outcome;
  if (server_) return outcome;

  std::shared_ptr<const JwtVerifier> jwt;
  if (!config_.jwtKeyFiles.empty() || !config_.jwtJwksFile.empty()) {
    JwtOptions options;
    options.algorithms = config_.jwtAlgorithms;
    options.issuer = config_.jwtIssuer;
    options.audience = config_.jwtAudience;
    auto loaded = JwtVerifier::load(config_.jwtKeyFiles, config_.jwtJwksFile, options);
    if (!loaded) return loaded.outcome();
    jwt = *loaded;
  }
  // Verified API keys are remembered while the database's key marker is unchanged (SQLite
  // only: the marker is a file beside the database).
  std::filesystem::path apiKeyMarker;
  if (const auto* sqlite = dynamic_cast<const SqliteStore*>(store_.get())) {
    apiKeyMarker = apiKeyMarkerPath(sqlite->file());
  }
  authenticator_ = std::make_unique<Authenticator>(store_, jwt, std::move(apiKeyMarker));
  serving_ = std::make_unique<ServingContext>();
  serving_->router = &router_;
  serving_->authenticator = authenticator_.get();
  serving_->maxBodyBytes = config_.maxBodyBytes;
  serving_->overloaded = [this] {
    return server_ && server_->queuedConnections() >= config_.queue;
  };

  try {
    // Poco's default bind also sets SO_REUSEPORT, which would let a second gateway share the
    // port silently; reuse the address (fast restarts) but not the port.
    std::unique_ptr<Poco::Net::ServerSocket> socket;
    if (config_.tlsEnabled()) {
      socket = std::make_unique<Poco::Net::SecureServerSocket>(serverTlsContext(config_));
    } else {
      socket = std::make_unique<ServingSocket>();  // fewer system calls per request
    }
    socket->bind(Poco::Net::SocketAddress(config_.host, config_.port), true, false);
    // Poco applies limits.readTimeoutSeconds to reads; a slow reader of our responses gets
    // limits.writeTimeoutSeconds. Set on the listening socket, whose accepted connections
    // inherit it (Linux), instead of a setsockopt() per request.
    socket->setSendTimeout(Poco::Timespan(config_.writeTimeoutSeconds, 0));
    // Room beyond server.queue so that excess connections get a quick 503 from the shedding
    // check instead of being dropped unanswered.
    const int backlog = config_.queue * 4 + config_.threads;
    socket->listen(backlog);
    port_ = socket->address().port();
    auto params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(config_.threads);
    params->setMaxQueued(backlog);
    params->setKeepAlive(true);
    params->setTimeout(Poco::Timespan(config_.readTimeoutSeconds, 0));
    threads_ = std::make_unique<Poco::ThreadPool>(std::min(2, config_.threads), config_.threads);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new RequestHandlerFactory(*serving_),
                                                      *threads_, *socket, params);
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

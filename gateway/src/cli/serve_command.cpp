#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/FormattingChannel.h>
#include <Poco/Logger.h>
#include <Poco/PatternFormatter.h>
#include <Poco/Process.h>
#include <Poco/Util/ServerApplication.h>

#include <csignal>
#include <ostream>
#include <string>

#include "cli/commands.h"
#include "delivery_api/delivery_routes.h"
#include "notebridge/fhir/definitions.h"
#include "notebridge/gateway/cli.h"
#include "notebridge/gateway/configured_note_routing.h"
#include "notebridge/gateway/forwarder.h"
#include "notebridge/gateway/gateway_config.h"
#include "notebridge/gateway/gateway_server.h"
#include "notebridge/gateway/journeys.h"
#include "notebridge/gateway/outbox_worker.h"
#include "notebridge/gateway/sqlite_store.h"
#include "notebridge/validation/standard_definitions.h"
#include "notebridge/validation/validator.h"

namespace notebridge::gateway::cli {
namespace {

constexpr const char* kServeUsage =
    "Usage: notebridge serve [--config FILE]\n\n"
    "Runs the gateway until SIGTERM or SIGINT. FILE is a properties file (see the README's\n"
    "configuration table); without it every key keeps its default: 127.0.0.1:8080, data in "
    "./var.\n";

void setUpLogging(const std::string& level) {
  Poco::AutoPtr<Poco::PatternFormatter> formatter(
      new Poco::PatternFormatter("%Y-%m-%dT%H:%M:%S.%iZ %p %s: %t"));
  formatter->setProperty("times", "UTC");
  Poco::AutoPtr<Poco::FormattingChannel> channel(
      new Poco::FormattingChannel(formatter, new Poco::ConsoleChannel));
  Poco::Logger::root().setChannel(channel);
  Poco::Logger::root().setLevel(level);
  // Loggers created before this point keep their old channel: reset the whole tree.
  Poco::Logger::setChannel("", channel);
  Poco::Logger::setLevel("", Poco::Logger::parseLevel(level));
}

// The gateway process: ServerApplication gives the lifecycle and waits for SIGTERM/SIGINT.
class ServeApplication final : public Poco::Util::ServerApplication {
 public:
  explicit ServeApplication(GatewayConfig config) : config_(std::move(config)) {}

 protected:
  int main(const std::vector<std::string>&) override {
    setUpLogging(config_.logLevel);
    Poco::Logger& log = Poco::Logger::get("notebridge");
    SqliteStoreOptions storeOptions;
    storeOptions.writerBoost = config_.writerBoost;
    auto store = SqliteStore::open(config_.effectiveDatabasePath(), storeOptions);
    if (!store) {
      for (const auto& issue : store.outcome().issues()) log.fatal(issue.diagnostics);
      return kExitFailed;
    }
    log.information("database %s at schema version %d", config_.effectiveDatabasePath().string(),
                    (*store)->schemaVersion());
    fhir::RegistryOptions definitions;
    definitions.packageDirs = config_.definitionPackages;
    auto registry = fhir::DefinitionRegistry::load(definitions);
    if (!registry) {
      for (const auto& issue : registry.outcome().issues()) log.fatal(issue.diagnostics);
      (*store)->close();
      return kExitFailed;
    }
    auto standard = validation::loadStandardDefinitions();
    if (!standard) {
      for (const auto& issue : standard.outcome().issues()) log.fatal(issue.diagnostics);
      (*store)->close();
      return kExitFailed;
    }
    for (const auto& dir : config_.definitionPackages) {
      fhir::Outcome loaded = (*standard)->loadPackage(dir);
      if (loaded.hasErrors()) {
        for (const auto& issue : loaded.issues()) log.fatal(issue.diagnostics);
        (*store)->close();
        return kExitFailed;
      }
    }
    auto validator = std::make_shared<const validation::Validator>(*standard);

    auto worker = startDelivery(*store, *registry, validator, log);
    if (!worker) {
      (*store)->close();
      return kExitFailed;
    }
    std::shared_ptr<const NoteRouting> routing;
    if (!config_.destinations.empty()) {
      routing = std::make_shared<ConfiguredNoteRouting>(config_.destinations);
    }
    GatewayServer server(config_, *store, *registry, validator, routing,
                         deliveryRoutes(*store, [w = worker.get()] { w->wake(); }));
    fhir::Outcome started = server.start();
    if (started.hasErrors()) {
      for (const auto& issue : started.issues()) log.fatal(issue.diagnostics);
      (*store)->close();
      return kExitFailed;
    }
    worker->start();
    log.information("listening on http://%s:%hu", config_.host, server.port());
    waitForTerminationRequest();
    log.information("stopping: finishing in-flight requests");
    server.stop();
    log.information("stopping: finishing deliveries under way");
    worker->stop();
    (*store)->close();
    log.information("stopped");
    return kExitOk;
  }

 private:
  // The forwarders and the outbox worker for the configured destinations (not started yet), or
  // null after logging why a destination cannot be served.
  std::shared_ptr<OutboxWorker> startDelivery(
      const std::shared_ptr<Store>& store,
      const std::shared_ptr<const fhir::DefinitionRegistry>& registry,
      const std::shared_ptr<const validation::Validator>& validator, Poco::Logger& log) {
    // Payer destinations (submit-attachment) get CDex Parameters from the journeys' builder.
    auto transform = std::make_shared<const OutboundTransform>(registry, validator,
                                                               cdexSubmitAttachmentBuilder());
    std::vector<std::shared_ptr<Forwarder>> forwarders;
    bool ok = true;
    for (const DestinationConfig& d : config_.destinations) {
      if (d.insecureSkipVerify) {
        log.warning(
            "destination %s: insecure_skip_verify is on: the receiver's certificate and "
            "host name are NOT checked",
            d.name);
      }
      for (const std::string& url : d.profiles) {
        if (!validator->store().structureDefinition(url)) {
          log.fatal(
              "destination %s: profile %s is not loaded (add its package to "
              "definitions.packages)",
              d.name, url);
          ok = false;
        }
      }
      auto forwarder = Forwarder::create(d, transform);
      if (!forwarder) {
        for (const auto& issue : forwarder.outcome().issues()) {
          log.fatal("destination %s: %s", d.name, issue.diagnostics);
        }
        ok = false;
        continue;
      }
      log.information("destination %s: %s %s to %s, %d worker(s)", d.name,
                      std::string(toString(d.kind)), std::string(toString(d.interaction)),
                      d.baseUrl, d.concurrency);
      forwarders.push_back(std::move(*forwarder));
    }
    if (!ok) return nullptr;
    OutboxWorkerOptions options;
    options.instanceId = "pid" + std::to_string(Poco::Process::id()) + "-" +
                         formatInstant(std::chrono::system_clock::now());
    options.leaseSeconds = config_.deliveryLeaseSeconds;
    options.pollMs = config_.deliveryPollMs;
    options.batch = config_.deliveryBatch;
    return std::make_shared<OutboxWorker>(store, std::move(forwarders), options);
  }

  GatewayConfig config_;
};

}  // namespace

int runServe(std::span<char* const> args, std::ostream& out, std::ostream& err) {
  std::string configFile;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string arg = args[i];
    if (arg == "--help" || arg == "-h") {
      out << kServeUsage;
      return kExitOk;
    }
    if (arg == "--config" && i + 1 < args.size()) {
      configFile = args[++i];
    } else if (arg.rfind("--config=", 0) == 0) {
      configFile = arg.substr(9);
    } else {
      err << "serve: unexpected argument '" << arg << "'\n\n" << kServeUsage;
      return kExitUsage;
    }
  }

  fhir::Result<GatewayConfig> config = configFile.empty()
                                           ? fhir::Result<GatewayConfig>(GatewayConfig{})
                                           : loadGatewayConfig(configFile);
  if (!config) {
    err << "serve: the configuration has " << config.outcome().issues().size() << " problem(s):\n";
    for (const auto& issue : config.outcome().issues()) err << "  - " << issue.diagnostics << '\n';
    return kExitFailed;
  }

  // Block the stop signals before any thread starts, so every thread inherits the mask and
  // the signal reaches only ServerApplication's sigwait, never a worker's default action.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGQUIT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  ServeApplication app(std::move(*config));
  char programName[] = "notebridge";
  char* argv[] = {programName, nullptr};
  return app.run(1, argv);
}

}  // namespace notebridge::gateway::cli

#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/FormattingChannel.h>
#include <Poco/Logger.h>
#include <Poco/PatternFormatter.h>
#include <Poco/Util/ServerApplication.h>

#include <csignal>
#include <ostream>
#include <string>

#include "cli/commands.h"
#include "notebridge/fhir/definitions.h"
#include "notebridge/gateway/cli.h"
#include "notebridge/gateway/gateway_config.h"
#include "notebridge/gateway/gateway_server.h"
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
    auto store = SqliteStore::open(config_.effectiveDatabasePath());
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
    GatewayServer server(config_, *store, *registry, validator);
    fhir::Outcome started = server.start();
    if (started.hasErrors()) {
      for (const auto& issue : started.issues()) log.fatal(issue.diagnostics);
      (*store)->close();
      return kExitFailed;
    }
    log.information("listening on http://%s:%hu", config_.host, server.port());
    waitForTerminationRequest();
    log.information("stopping: finishing in-flight requests");
    server.stop();
    (*store)->close();
    log.information("stopped");
    return kExitOk;
  }

 private:
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

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>

#include <ostream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "notebridge/gateway/api_keys.h"
#include "notebridge/gateway/cli.h"
#include "notebridge/gateway/gateway_config.h"
#include "notebridge/gateway/sqlite_store.h"

namespace notebridge::gateway::cli {
namespace {

constexpr const char* kKeysUsage =
    "Usage: notebridge keys add NAME [--config FILE]\n"
    "       notebridge keys list [--config FILE]\n"
    "       notebridge keys revoke ID [--config FILE]\n\n"
    "Manages the API keys of internal clients (the practice's note system) in the gateway's\n"
    "database. `add` prints the new key once: only its hash is stored.\n";

void printIssues(std::ostream& err, const fhir::Outcome& outcome) {
  for (const auto& issue : outcome.issues()) err << "keys: " << issue.diagnostics << '\n';
}

}  // namespace

int runKeys(std::span<char* const> args, std::ostream& out, std::ostream& err) {
  std::vector<std::string> words;
  std::string configFile;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string arg = args[i];
    if (arg == "--help" || arg == "-h") {
      out << kKeysUsage;
      return kExitOk;
    }
    if (arg == "--config" && i + 1 < args.size()) {
      configFile = args[++i];
    } else if (arg.rfind("--config=", 0) == 0) {
      configFile = arg.substr(9);
    } else if (arg.rfind("--", 0) == 0) {
      err << "keys: unknown option '" << arg << "'\n\n" << kKeysUsage;
      return kExitUsage;
    } else {
      words.push_back(arg);
    }
  }
  const bool valid = !words.empty() && ((words[0] == "add" && words.size() == 2) ||
                                        (words[0] == "list" && words.size() == 1) ||
                                        (words[0] == "revoke" && words.size() == 2));
  if (!valid) {
    err << kKeysUsage;
    return kExitUsage;
  }

  fhir::Result<GatewayConfig> config = configFile.empty()
                                           ? fhir::Result<GatewayConfig>(GatewayConfig{})
                                           : loadGatewayConfig(configFile);
  if (!config) {
    printIssues(err, config.outcome());
    return kExitFailed;
  }
  auto store = SqliteStore::open(config->effectiveDatabasePath());
  if (!store) {
    printIssues(err, store.outcome());
    return kExitFailed;
  }

  if (words[0] == "add") {
    const std::string now = Poco::DateTimeFormatter::format(
        Poco::DateTime(), Poco::DateTimeFormat::ISO8601_FRAC_FORMAT);
    auto key = createApiKey(**store, words[1], now);
    if (!key) {
      printIssues(err, key.outcome());
      return kExitFailed;
    }
    out << key->token << '\n';
    err << "keys: added " << key->record.id << " (" << key->record.name
        << "); the key above is shown once\n";
    return kExitOk;
  }
  if (words[0] == "list") {
    auto keys = (*store)->listApiKeys();
    if (!keys) {
      printIssues(err, keys.outcome());
      return kExitFailed;
    }
    out << "id\tname\tcreated\tstatus\n";
    for (const ApiKeyRecord& key : *keys) {
      out << key.id << '\t' << key.name << '\t' << key.createdAt << '\t'
          << (key.revokedAt.empty() ? "active" : "revoked " + key.revokedAt) << '\n';
    }
    return kExitOk;
  }
  fhir::Outcome revoked = (*store)->revokeApiKey(words[1]);
  if (revoked.hasErrors()) {
    printIssues(err, revoked);
    return kExitFailed;
  }
  err << "keys: revoked " << words[1] << '\n';
  return kExitOk;
}

}  // namespace notebridge::gateway::cli

#include "notebridge/gateway/gateway_config.h"

#include <Poco/AutoPtr.h>
#include <Poco/Exception.h>
#include <Poco/Util/PropertyFileConfiguration.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>

namespace notebridge::gateway {

using fhir::Result;
using fhir::Severity;

const std::vector<ConfigKey>& configKeys() {
  static const std::vector<ConfigKey> kKeys = {
      {"server.host", "127.0.0.1", "Address to listen on."},
      {"server.port", "8080", "TCP port to listen on; 0 picks a free port."},
      {"server.threads", "16", "Worker threads serving requests (1 to 1024)."},
      {"server.queue", "64",
       "Connections waiting for a worker before new ones are refused (1 to 65536)."},
      {"server.shutdownTimeoutSeconds", "30",
       "On SIGTERM/SIGINT, how long to wait for in-flight requests (0 to 3600)."},
      {"data.dir", "var", "Directory for the gateway's state; created when missing."},
      {"database.path", "<data.dir>/notebridge.db", "SQLite database file."},
      {"log.level", "information",
       "fatal, critical, error, warning, notice, information, debug or trace. Bodies are logged "
       "only at trace, never above debug."},
      {"definitions.packages", "(none)",
       "Comma-separated FHIR package folders (e.g. US Core) loaded beside R4 core and ours."},
      {"limits.maxBodyBytes", "16777216", "Largest request body accepted; larger ones get 413."},
      {"limits.readTimeoutSeconds", "30", "Socket read timeout per request (1 to 3600)."},
      {"limits.writeTimeoutSeconds", "30", "Socket write timeout per response (1 to 3600)."},
      {"limits.maxJsonDepth", "128", "Deepest JSON nesting accepted in a body (8 to 10000)."},
      {"limits.maxXmlDepth", "128", "Deepest XML nesting accepted in a body (8 to 10000)."},
      {"auth.jwt.keyFiles", "(none)",
       "Comma-separated PEM public keys (RSA or P-384) for bearer JWTs."},
      {"auth.jwt.jwksFile", "(none)", "A JWKS file with more public keys for bearer JWTs."},
      {"auth.jwt.issuer", "(none)", "When set, a bearer JWT's iss must equal it."},
      {"auth.jwt.audience", "(none)", "When set, a bearer JWT's aud must contain it."},
      {"auth.jwt.algorithms", "RS256,RS384,ES384", "Accepted JWT signature algorithms."},
      {"tls.certificateFile", "(none)",
       "PEM certificate (chain): with tls.privateKeyFile, serve HTTPS."},
      {"tls.privateKeyFile", "(none)", "PEM private key of the certificate."},
      {"tls.caFile", "(none)", "PEM CA certificates that client certificates must chain to."},
      {"tls.requireClientCertificate", "false",
       "Mutual TLS: refuse clients without a valid certificate."},
  };
  return kKeys;
}

namespace {

// Collects the problems of one configuration so that all are reported together.
class Reader {
 public:
  explicit Reader(const Poco::Util::AbstractConfiguration& config) : config_(config) {}

  void integer(std::string_view key, int min, int max, int& out) {
    const std::string k(key);
    if (!config_.hasProperty(k)) return;
    const std::string text = config_.getRawString(k);
    int value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) {
      problem(key, "'" + text + "' is not a whole number");
      return;
    }
    if (value < min || value > max) {
      problem(key, std::to_string(value) + " is out of range (" + std::to_string(min) + " to " +
                       std::to_string(max) + ")");
      return;
    }
    out = value;
  }

  void integer64(std::string_view key, std::int64_t min, std::int64_t max, std::int64_t& out) {
    const std::string k(key);
    if (!config_.hasProperty(k)) return;
    const std::string text = config_.getRawString(k);
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) {
      problem(key, "'" + text + "' is not a whole number");
    } else if (value < min || value > max) {
      problem(key, std::to_string(value) + " is out of range (" + std::to_string(min) + " to " +
                       std::to_string(max) + ")");
    } else {
      out = value;
    }
  }

  void boolean(std::string_view key, bool& out) {
    const std::string k(key);
    if (!config_.hasProperty(k)) return;
    const std::string text = config_.getRawString(k);
    if (text == "true") {
      out = true;
    } else if (text == "false") {
      out = false;
    } else {
      problem(key, "'" + text + "' is not true or false");
    }
  }

  // A comma-separated list; blanks around items are trimmed, empty items dropped.
  void list(std::string_view key, std::vector<std::string>& out) {
    const std::string k(key);
    if (!config_.hasProperty(k)) return;
    const std::string text = config_.getRawString(k);
    out.clear();
    std::size_t start = 0;
    while (start <= text.size()) {
      std::size_t end = text.find(',', start);
      if (end == std::string::npos) end = text.size();
      std::string item = text.substr(start, end - start);
      item.erase(0, item.find_first_not_of(" \t"));
      item.erase(item.find_last_not_of(" \t") + 1);
      if (!item.empty()) out.push_back(item);
      start = end + 1;
    }
  }

  void path(std::string_view key, std::filesystem::path& out) {
    std::string text;
    string(key, text);
    if (!text.empty()) out = text;
  }

  void string(std::string_view key, std::string& out) {
    const std::string k(key);
    if (!config_.hasProperty(k)) return;
    std::string value = config_.getString(k);
    if (value.empty()) {
      problem(key, "must not be empty");
      return;
    }
    out = std::move(value);
  }

  void problem(std::string_view key, std::string message) {
    outcome_.add(Severity::kError, "invalid", std::string(key) + ": " + message);
  }

  fhir::Outcome& outcome() { return outcome_; }

 private:
  const Poco::Util::AbstractConfiguration& config_;
  fhir::Outcome outcome_;
};

void listKeys(const Poco::Util::AbstractConfiguration& config, const std::string& prefix,
              std::vector<std::string>& out) {
  Poco::Util::AbstractConfiguration::Keys keys;
  config.keys(prefix, keys);
  for (const std::string& key : keys) {
    const std::string full = prefix.empty() ? key : prefix + "." + key;
    if (config.hasProperty(full)) out.push_back(full);
    listKeys(config, full, out);
  }
}

}  // namespace

Result<GatewayConfig> readGatewayConfig(const Poco::Util::AbstractConfiguration& config) {
  GatewayConfig out;
  Reader reader(config);

  // A misspelt key would silently keep its default: name it instead.
  std::vector<std::string> present;
  listKeys(config, "", present);
  for (const std::string& key : present) {
    const auto& known = configKeys();
    if (std::none_of(known.begin(), known.end(),
                     [&](const ConfigKey& k) { return k.key == key; })) {
      reader.problem(key, "unknown key");
    }
  }

  reader.string("server.host", out.host);
  int port = out.port;
  reader.integer("server.port", 0, 65535, port);
  out.port = static_cast<std::uint16_t>(port);
  reader.integer("server.threads", 1, 1024, out.threads);
  reader.integer("server.queue", 1, 65536, out.queue);
  reader.integer("server.shutdownTimeoutSeconds", 0, 3600, out.shutdownTimeoutSeconds);
  std::string dataDir = out.dataDir.string();
  reader.string("data.dir", dataDir);
  out.dataDir = dataDir;
  std::string databasePath;
  reader.string("database.path", databasePath);
  out.databasePath = databasePath;

  reader.string("log.level", out.logLevel);
  static constexpr std::array<std::string_view, 8> kLevels = {
      "fatal", "critical", "error", "warning", "notice", "information", "debug", "trace"};
  if (std::find(kLevels.begin(), kLevels.end(), out.logLevel) == kLevels.end()) {
    reader.problem("log.level", "'" + out.logLevel +
                                    "' is not one of fatal, critical, error, "
                                    "warning, notice, information, debug, trace");
  }

  std::vector<std::string> packages;
  reader.list("definitions.packages", packages);
  for (const std::string& dir : packages) {
    if (!std::filesystem::is_directory(dir)) {
      reader.problem("definitions.packages", dir + " is not a folder");
    }
    out.definitionPackages.emplace_back(dir);
  }
  reader.integer64("limits.maxBodyBytes", 1024, std::int64_t{1} << 34, out.maxBodyBytes);
  reader.integer("limits.readTimeoutSeconds", 1, 3600, out.readTimeoutSeconds);
  reader.integer("limits.writeTimeoutSeconds", 1, 3600, out.writeTimeoutSeconds);
  reader.integer("limits.maxJsonDepth", 8, 10000, out.maxJsonDepth);
  reader.integer("limits.maxXmlDepth", 8, 10000, out.maxXmlDepth);

  std::vector<std::string> keyFiles;
  reader.list("auth.jwt.keyFiles", keyFiles);
  out.jwtKeyFiles.assign(keyFiles.begin(), keyFiles.end());
  reader.path("auth.jwt.jwksFile", out.jwtJwksFile);
  reader.string("auth.jwt.issuer", out.jwtIssuer);
  reader.string("auth.jwt.audience", out.jwtAudience);
  reader.list("auth.jwt.algorithms", out.jwtAlgorithms);
  for (const std::string& alg : out.jwtAlgorithms) {
    if (alg != "RS256" && alg != "RS384" && alg != "ES384") {
      reader.problem("auth.jwt.algorithms", "'" + alg + "' is not one of RS256, RS384, ES384");
    }
  }

  reader.path("tls.certificateFile", out.tlsCertificateFile);
  reader.path("tls.privateKeyFile", out.tlsPrivateKeyFile);
  reader.path("tls.caFile", out.tlsCaFile);
  reader.boolean("tls.requireClientCertificate", out.tlsRequireClientCertificate);
  if (out.tlsCertificateFile.empty() != out.tlsPrivateKeyFile.empty()) {
    reader.problem("tls.certificateFile", "tls.certificateFile and tls.privateKeyFile go together");
  }
  if (out.tlsRequireClientCertificate && (out.tlsCaFile.empty() || !out.tlsEnabled())) {
    reader.problem("tls.requireClientCertificate",
                   "needs tls.caFile and a server certificate (tls.certificateFile)");
  }
  for (const auto& [key, file] : {std::pair<const char*, const std::filesystem::path*>{
                                      "tls.certificateFile", &out.tlsCertificateFile},
                                  {"tls.privateKeyFile", &out.tlsPrivateKeyFile},
                                  {"tls.caFile", &out.tlsCaFile},
                                  {"auth.jwt.jwksFile", &out.jwtJwksFile}}) {
    if (!file->empty() && !std::filesystem::is_regular_file(*file)) {
      reader.problem(key, file->string() + " is not a readable file");
    }
  }
  for (const auto& file : out.jwtKeyFiles) {
    if (!std::filesystem::is_regular_file(file)) {
      reader.problem("auth.jwt.keyFiles", file.string() + " is not a readable file");
    }
  }

  if (reader.outcome().hasErrors()) return Result<GatewayConfig>(std::move(reader.outcome()));
  return Result<GatewayConfig>(std::move(out), std::move(reader.outcome()));
}

Result<GatewayConfig> loadGatewayConfig(const std::filesystem::path& file) {
  std::ifstream probe(file);
  if (!probe) {
    return Result<GatewayConfig>::failure(Severity::kFatal, "not-found",
                                          "cannot read configuration file " + file.string());
  }
  try {
    Poco::AutoPtr<Poco::Util::PropertyFileConfiguration> config(
        new Poco::Util::PropertyFileConfiguration(file.string()));
    return readGatewayConfig(*config);
  } catch (const Poco::Exception& e) {
    return Result<GatewayConfig>::failure(Severity::kFatal, "invalid",
                                          "cannot parse " + file.string() + ": " + e.displayText());
  }
}

}  // namespace notebridge::gateway

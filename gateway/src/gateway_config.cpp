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
      {"store.writerBoost", "10",
       "Nice levels the thread writing to the database runs above the others during its turn "
       "(0 to 39; 0: off); needs LimitNICE= (RLIMIT_NICE), raised as far as it allows."},
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
      {"delivery.lease_seconds", "120",
       "How long a claimed delivery stays reserved; after a crash it is claimable again once "
       "this passes. Must exceed every destination's connect + request timeout (5 to 86400)."},
      {"delivery.poll_ms", "200",
       "How often idle delivery workers look for due rows (10 to 60000)."},
      {"delivery.batch", "16", "Deliveries a worker claims per transaction (1 to 1000)."},
      {"destinations.<name>.kind", "(required)",
       "ehr, payer, practice or webhook. <name>: letters, digits, '-' and '_'."},
      {"destinations.<name>.base_url", "(required)",
       "The receiver's FHIR base URL (http:// or https://)."},
      {"destinations.<name>.format", "json", "Body format sent: json or xml."},
      {"destinations.<name>.interaction", "transaction",
       "transaction (POST the Bundle), put (PUT Type/id per resource, deterministic ids), "
       "conditional-create (POST Type with If-None-Exist, in reference order) or "
       "submit-attachment (Da Vinci CDex $submit-attachment)."},
      {"destinations.<name>.auth", "none",
       "none, bearer-file (token_file), smart-backend (SMART Backend Services) or mtls "
       "(client_cert_file + client_key_file)."},
      {"destinations.<name>.token_file", "(none)",
       "bearer-file: a file holding the bearer token (read at each use)."},
      {"destinations.<name>.client_id", "(none)", "smart-backend: the registered client id."},
      {"destinations.<name>.token_url", "(discovered)",
       "smart-backend: the token endpoint; when absent, read from "
       "{base_url}/.well-known/smart-configuration."},
      {"destinations.<name>.private_key_file", "(none)",
       "smart-backend: PEM private key signing the client assertion (RSA or P-384)."},
      {"destinations.<name>.key_id", "(none)", "smart-backend: the kid of the registered key."},
      {"destinations.<name>.alg", "RS384", "smart-backend: RS384 or ES384."},
      {"destinations.<name>.scope", "(none)",
       "smart-backend: requested system scopes, space-separated (required)."},
      {"destinations.<name>.client_cert_file", "(none)",
       "PEM client certificate presented to the receiver (mutual TLS)."},
      {"destinations.<name>.client_key_file", "(none)", "PEM private key of client_cert_file."},
      {"destinations.<name>.ca_file", "(system CAs)",
       "PEM CA certificates the receiver's certificate must chain to."},
      {"destinations.<name>.insecure_skip_verify", "false",
       "true turns off certificate and host name verification (a warning at every start)."},
      {"destinations.<name>.profiles", "(none)",
       "Comma-separated profile canonical URLs; each outbound resource of the profile's type is "
       "validated against it before sending (failures go to dead-letter)."},
      {"destinations.<name>.rules.single_content", "false",
       "DocumentReference: send only the first content entry."},
      {"destinations.<name>.rules.require_charset", "false",
       "DocumentReference: text and XML content types get ;charset=utf-8."},
      {"destinations.<name>.rules.require_period_end", "false",
       "DocumentReference: context.period.end required (filled from period.start or date)."},
      {"destinations.<name>.rules.require_time_on_dates", "false",
       "DocumentReference: every dateTime must carry a time (date-only values are refused)."},
      {"destinations.<name>.connect_timeout_seconds", "5", "Connection timeout (1 to 300)."},
      {"destinations.<name>.timeout_seconds", "30", "Send and receive timeout (1 to 3600)."},
      {"destinations.<name>.retry.max_attempts", "10", "Attempts before dead-letter (1 to 1000)."},
      {"destinations.<name>.retry.base_backoff_ms", "1000",
       "First backoff, doubled per attempt, with jitter (1 to 3600000)."},
      {"destinations.<name>.retry.max_backoff_seconds", "300", "Backoff cap (1 to 86400)."},
      {"destinations.<name>.retry.max_retry_after_seconds", "3600",
       "A longer Retry-After from the receiver is capped here (1 to 86400)."},
      {"destinations.<name>.concurrency", "2", "Deliveries in flight at once (1 to 64)."},
      {"destinations.<name>.breaker.failures", "5",
       "Consecutive failed attempts that open the circuit (1 to 10000)."},
      {"destinations.<name>.breaker.open_seconds", "30",
       "How long an open circuit waits before one trial delivery (1 to 86400)."},
      {"destinations.<name>.route.default", "true",
       "true: every routable note goes here; false: only notes naming it in POST /notes."},
      {"destinations.<name>.route.statuses", "signed,amended,entered-in-error",
       "Note statuses sent (draft is never allowed)."},
      {"destinations.<name>.route.clients", "(all)", "Comma-separated client ids sent."},
      {"destinations.<name>.route.allow_sensitive", "false",
       "Psychotherapy notes and substance-use content may go here when the note carries its "
       "authorization; false refuses them."},
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

// "destinations.ehr1.kind" -> "destinations.<name>.kind": how configKeys() spells it.
std::string keyPattern(const std::string& key) {
  static constexpr std::string_view kPrefix = "destinations.";
  if (key.rfind(kPrefix, 0) != 0) return key;
  const std::size_t dot = key.find('.', kPrefix.size());
  if (dot == std::string::npos) return key;
  return std::string(kPrefix) + "<name>" + key.substr(dot);
}

template <typename Enum, std::size_t N>
void choice(Reader& reader, const std::string& key,
            const std::array<std::pair<std::string_view, Enum>, N>& options, Enum& out) {
  std::string text;
  reader.string(key, text);
  if (text.empty()) return;
  std::string spelled;
  for (const auto& [name, value] : options) {
    if (name == text) {
      out = value;
      return;
    }
    spelled += (spelled.empty() ? "" : ", ") + std::string(name);
  }
  reader.problem(key, "'" + text + "' is not one of " + spelled);
}

void readDestination(const Poco::Util::AbstractConfiguration& config, Reader& reader,
                     const std::string& name, DestinationConfig& d) {
  const std::string p = "destinations." + name + ".";
  d.name = name;
  if (name.empty() || name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                             "0123456789-_") != std::string::npos) {
    reader.problem("destinations." + name, "a destination name has only letters, digits, - and _");
  }
  if (!config.hasProperty(p + "kind")) reader.problem(p + "kind", "is required");
  choice<DestinationKind, 4>(reader, p + "kind",
                             {{{"ehr", DestinationKind::kEhr},
                               {"payer", DestinationKind::kPayer},
                               {"practice", DestinationKind::kPractice},
                               {"webhook", DestinationKind::kWebhook}}},
                             d.kind);
  reader.string(p + "base_url", d.baseUrl);
  if (!config.hasProperty(p + "base_url")) {
    reader.problem(p + "base_url", "is required");
  } else if (d.baseUrl.rfind("http://", 0) != 0 && d.baseUrl.rfind("https://", 0) != 0) {
    reader.problem(p + "base_url", "'" + d.baseUrl + "' is not an http:// or https:// URL");
  }
  while (!d.baseUrl.empty() && d.baseUrl.back() == '/') d.baseUrl.pop_back();
  choice<DestinationFormat, 2>(
      reader, p + "format",
      {{{"json", DestinationFormat::kJson}, {"xml", DestinationFormat::kXml}}}, d.format);
  choice<DeliveryInteraction, 4>(reader, p + "interaction",
                                 {{{"transaction", DeliveryInteraction::kTransaction},
                                   {"put", DeliveryInteraction::kPut},
                                   {"conditional-create", DeliveryInteraction::kConditionalCreate},
                                   {"submit-attachment", DeliveryInteraction::kSubmitAttachment}}},
                                 d.interaction);
  choice<DestinationAuth, 4>(reader, p + "auth",
                             {{{"none", DestinationAuth::kNone},
                               {"bearer-file", DestinationAuth::kBearerFile},
                               {"smart-backend", DestinationAuth::kSmartBackend},
                               {"mtls", DestinationAuth::kMtls}}},
                             d.auth);
  reader.path(p + "token_file", d.tokenFile);
  reader.string(p + "client_id", d.clientId);
  reader.string(p + "token_url", d.tokenUrl);
  reader.path(p + "private_key_file", d.privateKeyFile);
  reader.string(p + "key_id", d.keyId);
  reader.string(p + "alg", d.alg);
  if (d.alg != "RS384" && d.alg != "ES384") {
    reader.problem(p + "alg", "'" + d.alg + "' is not one of RS384, ES384");
  }
  reader.string(p + "scope", d.scope);
  reader.path(p + "client_cert_file", d.clientCertFile);
  reader.path(p + "client_key_file", d.clientKeyFile);
  reader.path(p + "ca_file", d.caFile);
  reader.boolean(p + "insecure_skip_verify", d.insecureSkipVerify);
  reader.list(p + "profiles", d.profiles);
  reader.boolean(p + "rules.single_content", d.rules.singleContent);
  reader.boolean(p + "rules.require_charset", d.rules.requireCharset);
  reader.boolean(p + "rules.require_period_end", d.rules.requirePeriodEnd);
  reader.boolean(p + "rules.require_time_on_dates", d.rules.requireTimeOnDates);
  reader.integer(p + "connect_timeout_seconds", 1, 300, d.connectTimeoutSeconds);
  reader.integer(p + "timeout_seconds", 1, 3600, d.timeoutSeconds);
  reader.integer(p + "retry.max_attempts", 1, 1000, d.retry.maxAttempts);
  int baseMs = static_cast<int>(d.retry.baseBackoff.count());
  reader.integer(p + "retry.base_backoff_ms", 1, 3600000, baseMs);
  d.retry.baseBackoff = std::chrono::milliseconds(baseMs);
  int maxSeconds = 300;
  reader.integer(p + "retry.max_backoff_seconds", 1, 86400, maxSeconds);
  d.retry.maxBackoff = std::chrono::seconds(maxSeconds);
  int retryAfterSeconds = 3600;
  reader.integer(p + "retry.max_retry_after_seconds", 1, 86400, retryAfterSeconds);
  d.retry.maxRetryAfter = std::chrono::seconds(retryAfterSeconds);
  reader.integer(p + "concurrency", 1, 64, d.concurrency);
  reader.integer(p + "breaker.failures", 1, 10000, d.breakerFailures);
  reader.integer(p + "breaker.open_seconds", 1, 86400, d.breakerOpenSeconds);
  reader.boolean(p + "route.default", d.routing.byDefault);
  reader.list(p + "route.statuses", d.routing.statuses);
  for (const std::string& status : d.routing.statuses) {
    if (status == "draft") {
      reader.problem(p + "route.statuses", "drafts never leave the gateway");
    } else if (status != "signed" && status != "amended" && status != "entered-in-error") {
      reader.problem(p + "route.statuses",
                     "'" + status + "' is not one of signed, amended, entered-in-error");
    }
  }
  reader.list(p + "route.clients", d.routing.clients);
  reader.boolean(p + "route.allow_sensitive", d.routing.allowSensitive);

  // What each authentication mode needs, all reported together.
  const auto need = [&](bool present, const std::string& key, const char* why) {
    if (!present) reader.problem(p + key, std::string("is required ") + why);
  };
  if (d.auth == DestinationAuth::kBearerFile) {
    need(!d.tokenFile.empty(), "token_file", "with auth = bearer-file");
  }
  if (d.auth == DestinationAuth::kSmartBackend) {
    need(!d.clientId.empty(), "client_id", "with auth = smart-backend");
    need(!d.privateKeyFile.empty(), "private_key_file", "with auth = smart-backend");
    need(!d.scope.empty(), "scope", "with auth = smart-backend");
  }
  if (d.auth == DestinationAuth::kMtls) {
    need(!d.clientCertFile.empty(), "client_cert_file", "with auth = mtls");
  }
  if (d.clientCertFile.empty() != d.clientKeyFile.empty()) {
    reader.problem(p + "client_cert_file", "client_cert_file and client_key_file go together");
  }
  if (d.baseUrl.rfind("http://", 0) == 0 &&
      (!d.clientCertFile.empty() || !d.caFile.empty() || d.insecureSkipVerify)) {
    reader.problem(p + "base_url", "TLS settings need an https:// base_url");
  }
  for (const auto& [key, file] :
       {std::pair<std::string, const std::filesystem::path*>{"token_file", &d.tokenFile},
        {"private_key_file", &d.privateKeyFile},
        {"client_cert_file", &d.clientCertFile},
        {"client_key_file", &d.clientKeyFile},
        {"ca_file", &d.caFile}}) {
    if (!file->empty() && !std::filesystem::is_regular_file(*file)) {
      reader.problem(p + key, file->string() + " is not a readable file");
    }
  }
}

void readDestinations(const Poco::Util::AbstractConfiguration& config, Reader& reader,
                      GatewayConfig& out) {
  Poco::Util::AbstractConfiguration::Keys names;
  config.keys("destinations", names);
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    DestinationConfig d;
    readDestination(config, reader, name, d);
    if (d.connectTimeoutSeconds + d.timeoutSeconds >= out.deliveryLeaseSeconds) {
      reader.problem("destinations." + name + ".timeout_seconds",
                     "connect_timeout_seconds + timeout_seconds must stay below "
                     "delivery.lease_seconds (" +
                         std::to_string(out.deliveryLeaseSeconds) + ")");
    }
    out.destinations.push_back(std::move(d));
  }
}

}  // namespace

std::string_view toString(DestinationKind value) {
  static constexpr std::array<std::string_view, 4> kNames = {"ehr", "payer", "practice", "webhook"};
  return kNames[static_cast<std::size_t>(value)];
}
std::string_view toString(DeliveryInteraction value) {
  static constexpr std::array<std::string_view, 4> kNames = {
      "transaction", "put", "conditional-create", "submit-attachment"};
  return kNames[static_cast<std::size_t>(value)];
}
std::string_view toString(DestinationAuth value) {
  static constexpr std::array<std::string_view, 4> kNames = {"none", "bearer-file", "smart-backend",
                                                             "mtls"};
  return kNames[static_cast<std::size_t>(value)];
}
std::string_view toString(DestinationFormat value) {
  return value == DestinationFormat::kJson ? "json" : "xml";
}

Result<GatewayConfig> readGatewayConfig(const Poco::Util::AbstractConfiguration& config) {
  GatewayConfig out;
  Reader reader(config);

  // A misspelt key would silently keep its default: name it instead.
  std::vector<std::string> present;
  listKeys(config, "", present);
  for (const std::string& key : present) {
    const auto& known = configKeys();
    const std::string pattern = keyPattern(key);
    if (std::none_of(known.begin(), known.end(),
                     [&](const ConfigKey& k) { return k.key == pattern; })) {
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
  // SqliteStoreOptions::kMaxWriterBoost.
  reader.integer("store.writerBoost", 0, 39, out.writerBoost);

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

  reader.integer("delivery.lease_seconds", 5, 86400, out.deliveryLeaseSeconds);
  reader.integer("delivery.poll_ms", 10, 60000, out.deliveryPollMs);
  reader.integer("delivery.batch", 1, 1000, out.deliveryBatch);
  readDestinations(config, reader, out);

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

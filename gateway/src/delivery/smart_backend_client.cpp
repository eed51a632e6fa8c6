#include "notebridge/gateway/smart_backend_client.h"

#include <openssl/rand.h>

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <fstream>
#include <sstream>

#include "notebridge/gateway/jwt.h"

namespace notebridge::gateway {

using Clock = std::chrono::system_clock;

namespace {

std::string formEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string randomHex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

// A failure that did not come from the network (a bad answer): classified as a connection
// problem so that it is retried.
UpstreamResult badAnswer(std::string reason) {
  UpstreamResult result;
  result.error = UpstreamError::kConnection;
  result.reason = std::move(reason);
  return result;
}

Poco::JSON::Object::Ptr parseObject(const std::string& body) {
  try {
    Poco::JSON::Parser parser;
    return parser.parse(body).extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception&) {
    return nullptr;
  } catch (const std::exception&) {
    return nullptr;
  }
}

}  // namespace

fhir::Result<SmartBackendOptions> SmartBackendOptions::from(const DestinationConfig& destination) {
  SmartBackendOptions options;
  options.baseUrl = destination.baseUrl;
  options.tokenUrl = destination.tokenUrl;
  options.clientId = destination.clientId;
  options.keyId = destination.keyId;
  options.alg = destination.alg;
  std::ifstream in(destination.privateKeyFile);
  if (!in) {
    return fhir::Result<SmartBackendOptions>::failure(fhir::Severity::kFatal, "not-found",
                                                      "destination " + destination.name +
                                                          ": cannot read private_key_file " +
                                                          destination.privateKeyFile.string());
  }
  std::ostringstream text;
  text << in.rdbuf();
  options.privateKeyPem = text.str();
  return options;
}

SmartBackendClient::SmartBackendClient(SmartBackendOptions options,
                                       std::shared_ptr<UpstreamClient> http, Clock clock)
    : options_(std::move(options)), http_(std::move(http)), clock_(std::move(clock)) {
  tokenUrl_ = options_.tokenUrl;
}

int SmartBackendClient::tokenRequests() const {
  std::lock_guard lock(mutex_);
  return tokenRequests_;
}

fhir::Result<std::string> SmartBackendClient::clientAssertion(const std::string& audience) const {
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(clock_().time_since_epoch()).count();
  Poco::JSON::Object claims;
  claims.set("iss", options_.clientId);
  claims.set("sub", options_.clientId);
  claims.set("aud", audience);
  claims.set("iat", static_cast<Poco::Int64>(now));
  // At most five minutes ahead (SMART backend services); four leaves room for clock skew.
  claims.set("exp", static_cast<Poco::Int64>(now + 240));
  claims.set("jti", randomHex(16));
  std::ostringstream payload;
  claims.stringify(payload);
  return signJwt(options_.alg, options_.privateKeyPem, options_.keyId, payload.str());
}

UpstreamResult SmartBackendClient::discover() {
  UpstreamRequest request;
  request.method = "GET";
  request.url = options_.baseUrl + "/.well-known/smart-configuration";
  request.headers.emplace_back("Accept", "application/json");
  UpstreamResult result = http_->send(request);
  if (!result.response || result.response->status != 200) return result;
  auto config = parseObject(result.response->body);
  const std::string endpoint = config ? config->optValue<std::string>("token_endpoint", "") : "";
  if (endpoint.empty()) {
    return badAnswer(request.url + " has no token_endpoint");
  }
  tokenUrl_ = endpoint;
  return result;
}

AccessToken SmartBackendClient::accessToken(const std::string& scope, bool renew) {
  std::lock_guard lock(mutex_);
  const auto now = clock_();
  auto cached = cache_.find(scope);
  if (!renew && cached != cache_.end() && cached->second.expiresAt - options_.renewBefore > now) {
    return cached->second;
  }
  AccessToken token;
  if (tokenUrl_.empty()) {
    UpstreamResult discovered = discover();
    if (tokenUrl_.empty()) {
      token.failure = std::move(discovered);
      return token;
    }
  }
  auto assertion = clientAssertion(tokenUrl_);
  if (!assertion) {
    token.failure.error = UpstreamError::kRequest;
    token.failure.reason =
        "cannot sign the client assertion: " +
        (assertion.outcome().empty() ? std::string("bad key")
                                     : assertion.outcome().issues().front().diagnostics);
    return token;
  }
  UpstreamRequest request;
  request.method = "POST";
  request.url = tokenUrl_;
  request.contentType = "application/x-www-form-urlencoded";
  request.headers.emplace_back("Accept", "application/json");
  request.body = "grant_type=client_credentials&scope=" + formEncode(scope) +
                 "&client_assertion_type=" +
                 formEncode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer") +
                 "&client_assertion=" + formEncode(*assertion);
  ++tokenRequests_;
  UpstreamResult result = http_->send(request);
  if (!result.response || result.response->status != 200) {
    token.failure = std::move(result);
    return token;
  }
  auto answer = parseObject(result.response->body);
  const std::string access = answer ? answer->optValue<std::string>("access_token", "") : "";
  if (access.empty()) {
    token.failure = badAnswer("the token endpoint answered without an access_token");
    return token;
  }
  // expires_in is recommended, not required; without it assume the SMART maximum of 300 s.
  const int expiresIn = answer->optValue<int>("expires_in", 300);
  token.token = access;
  token.expiresAt = now + std::chrono::seconds(expiresIn);
  cache_[scope] = token;
  return token;
}

}  // namespace notebridge::gateway

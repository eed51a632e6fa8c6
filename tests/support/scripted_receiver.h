#pragma once

// A FHIR receiver on loopback whose answers tests script: it stands in for an EHR, a payer or
// another practice when delivery must meet failures (DESIGN §8). Plain HTTP or HTTPS (optionally
// requiring a client certificate), port 0. Unscripted requests get what a FHIR server would
// answer, de-duplicating like one: PUT [type]/[id] creates once then updates, POST [type] with
// If-None-Exist matches an existing identifier, a transaction Bundle applies its entries the same
// way. A SMART token endpoint (/token, discovered through /.well-known/smart-configuration)
// verifies the client assertion with the client's public key.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTMLForm.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/NullStream.h>
#include <Poco/StreamCopier.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "notebridge/gateway/jwt.h"

namespace notebridge::testing {

// One scripted answer.
struct Scripted {
  enum class Kind {
    kRespond,   // status, headers, body
    kNoAnswer,  // hold the request without answering until `delayMs` passes (a timeout)
    kReset,     // drop the connection with a TCP reset, no answer
    kSlow,      // wait `delayMs`, then behave like an unscripted request
  };
  Kind kind = Kind::kRespond;
  int status = 200;
  std::map<std::string, std::string> headers;
  std::string body;
  int delayMs = 0;

  static Scripted respond(int status, std::string body = {},
                          std::map<std::string, std::string> headers = {}) {
    Scripted s;
    s.status = status;
    s.body = std::move(body);
    s.headers = std::move(headers);
    return s;
  }
  static Scripted noAnswer(int ms) {
    Scripted s;
    s.kind = Kind::kNoAnswer;
    s.delayMs = ms;
    return s;
  }
  static Scripted reset() {
    Scripted s;
    s.kind = Kind::kReset;
    return s;
  }
  static Scripted slow(int ms) {
    Scripted s;
    s.kind = Kind::kSlow;
    s.delayMs = ms;
    return s;
  }
  // An OperationOutcome body with one error issue.
  static std::string outcome(const std::string& code, const std::string& text) {
    return R"({"resourceType":"OperationOutcome","issue":[{"severity":"error","code":")" + code +
           R"(","diagnostics":")" + text + R"("}]})";
  }
};

// What arrived.
struct ReceivedRequest {
  std::string method;
  std::string path;  // with the query
  std::map<std::string, std::string> headers;
  std::string body;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct ReceiverOptions {
  // HTTPS with this certificate and key (PEM) when set.
  std::filesystem::path certificateFile;
  std::filesystem::path privateKeyFile;
  // With HTTPS: require a client certificate chaining to this CA.
  std::filesystem::path clientCaFile;
  // Bearer tokens: FHIR requests need one issued by /token (401 otherwise).
  bool requireToken = false;
  // The client's public key (PEM) that /token verifies client assertions with.
  std::filesystem::path clientPublicKey;
  std::string clientId;
  int tokenLifetimeSeconds = 300;
  // false: answer 201 at once without reading bodies as FHIR (benchmarks).
  bool fhirSemantics = true;
  int threads = 16;
};

class ScriptedReceiver {
 public:
  explicit ScriptedReceiver(ReceiverOptions options = {}) : options_(std::move(options)) {
    std::unique_ptr<Poco::Net::ServerSocket> socket;
    if (!options_.certificateFile.empty()) {
      Poco::Net::initializeSSL();
      Poco::Net::Context::Params params;
      params.certificateFile = options_.certificateFile.string();
      params.privateKeyFile = options_.privateKeyFile.string();
      params.caLocation = options_.clientCaFile.string();
      params.verificationMode = options_.clientCaFile.empty() ? Poco::Net::Context::VERIFY_NONE
                                                              : Poco::Net::Context::VERIFY_STRICT;
      Poco::Net::Context::Ptr context =
          new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, params);
      context->enableExtendedCertificateVerification(false);
      socket = std::make_unique<Poco::Net::SecureServerSocket>(context);
      scheme_ = "https";
    } else {
      socket = std::make_unique<Poco::Net::ServerSocket>();
    }
    socket->bind(Poco::Net::SocketAddress("127.0.0.1", 0), true, false);
    socket->listen(256);
    port_ = socket->address().port();
    if (!options_.clientPublicKey.empty()) {
      notebridge::gateway::JwtOptions jwt;
      jwt.audience = tokenUrl();
      verifier_ = *notebridge::gateway::JwtVerifier::load({options_.clientPublicKey}, {}, jwt);
    }
    auto params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(options_.threads);
    params->setMaxQueued(256);
    params->setKeepAlive(true);
    params->setMaxKeepAliveRequests(0);
    threads_ = std::make_unique<Poco::ThreadPool>(2, options_.threads);
    server_ =
        std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), *threads_, *socket, params);
    server_->start();
  }
  ~ScriptedReceiver() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    server_->stopAll(true);
    threads_->joinAll();
  }

  std::uint16_t port() const { return port_; }
  std::string baseUrl() const {
    return scheme_ + "://" + (scheme_ == "https" ? "localhost" : "127.0.0.1") + ":" +
           std::to_string(port_) + "/fhir";
  }
  std::string tokenUrl() const { return baseUrl() + "/token"; }

  // Answers for the next FHIR requests (not /token or discovery), in order.
  void script(std::vector<Scripted> answers) {
    std::lock_guard lock(mutex_);
    for (auto& a : answers) script_.push_back(std::move(a));
  }
  // Forgets every issued token: the next request with one gets 401.
  void revokeTokens() {
    std::lock_guard lock(mutex_);
    tokens_.clear();
  }

  std::vector<ReceivedRequest> received() const {
    std::lock_guard lock(mutex_);
    return received_;
  }
  int requestCount() const {
    std::lock_guard lock(mutex_);
    return static_cast<int>(received_.size());
  }
  int tokenRequests() const { return tokenRequests_.load(); }
  std::vector<std::string> tokenFailures() const {
    std::lock_guard lock(mutex_);
    return tokenFailures_;
  }
  // Stored resources of `type` per identifier ("system|value"): 1 each when nothing was
  // duplicated.
  std::map<std::string, int> countByIdentifier(const std::string& type) const {
    std::lock_guard lock(mutex_);
    std::map<std::string, int> counts;
    for (const auto& [key, resource] : stored_) {
      if (key.first != type) continue;
      for (const std::string& identifier : resource.identifiers) ++counts[identifier];
    }
    return counts;
  }
  int storedCount(const std::string& type) const {
    std::lock_guard lock(mutex_);
    int n = 0;
    for (const auto& [key, resource] : stored_) n += key.first == type ? 1 : 0;
    return n;
  }
  // The body of a stored resource, or empty.
  std::string storedBody(const std::string& type, const std::string& id) const {
    std::lock_guard lock(mutex_);
    auto it = stored_.find({type, id});
    return it == stored_.end() ? std::string() : it->second.body;
  }
  int fastAnswers() const { return fastAnswers_.load(); }

 private:
  struct Stored {
    std::set<std::string> identifiers;
    std::string body;
  };

  class Handler final : public Poco::Net::HTTPRequestHandler {
   public:
    explicit Handler(ScriptedReceiver& owner) : owner_(owner) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
      owner_.handle(request, response);
    }

   private:
    ScriptedReceiver& owner_;
  };
  class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    explicit Factory(ScriptedReceiver& owner) : owner_(owner) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
      return new Handler(owner_);
    }

   private:
    ScriptedReceiver& owner_;
  };

  static void send(Poco::Net::HTTPServerResponse& response, int status, const std::string& body,
                   const std::map<std::string, std::string>& headers = {},
                   const std::string& contentType = "application/fhir+json") {
    response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
    for (const auto& [name, value] : headers) response.set(name, value);
    if (!body.empty()) response.setContentType(contentType);
    response.setContentLength(static_cast<std::streamsize>(body.size()));
    response.send() << body;
  }

  void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
    if (!options_.fhirSemantics) {
      // Benchmarks: drain and answer at once.
      Poco::NullOutputStream sink;
      Poco::StreamCopier::copyStream(request.stream(), sink);
      ++fastAnswers_;
      send(response, 201, {}, {{"Location", "DocumentReference/1/_history/1"}});
      return;
    }
    ReceivedRequest in;
    in.method = request.getMethod();
    in.path = request.getURI();
    for (const auto& [name, value] : request) in.headers[name] = value;
    std::ostringstream body;
    Poco::StreamCopier::copyStream(request.stream(), body);
    in.body = body.str();
    const std::string base = "/fhir";
    if (in.path == base + "/.well-known/smart-configuration") {
      send(response, 200,
           R"({"token_endpoint":")" + tokenUrl() +
               R"(","grant_types_supported":["client_credentials"],)"
               R"("token_endpoint_auth_methods_supported":["private_key_jwt"],)"
               R"("token_endpoint_auth_signing_alg_values_supported":["RS384","ES384"]})",
           {}, "application/json");
      return;
    }
    if (in.path == base + "/token") {
      token(in, response);
      return;
    }
    Scripted action;
    bool scripted = false;
    {
      std::lock_guard lock(mutex_);
      received_.push_back(in);
      if (!script_.empty()) {
        action = script_.front();
        script_.pop_front();
        scripted = true;
      }
    }
    if (scripted && action.kind == Scripted::Kind::kReset) {
      auto& impl = static_cast<Poco::Net::HTTPServerRequestImpl&>(request);
      Poco::Net::StreamSocket socket = impl.socket();
      socket.setLinger(true, 0);
      socket.close();
      return;
    }
    if (scripted &&
        (action.kind == Scripted::Kind::kNoAnswer || action.kind == Scripted::Kind::kSlow)) {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, std::chrono::milliseconds(action.delayMs), [&] { return stopping_; });
      if (action.kind == Scripted::Kind::kNoAnswer) {
        // Close without a word: the client has given up by now.
        auto& impl = static_cast<Poco::Net::HTTPServerRequestImpl&>(request);
        Poco::Net::StreamSocket socket = impl.socket();
        socket.setLinger(true, 0);
        socket.close();
        return;
      }
    }
    if (scripted && action.kind == Scripted::Kind::kRespond) {
      send(response, action.status, action.body, action.headers);
      return;
    }
    if (options_.requireToken) {
      const std::string auth = in.header("Authorization");
      std::lock_guard lock(mutex_);
      if (auth.rfind("Bearer ", 0) != 0 || tokens_.count(auth.substr(7)) == 0) {
        send(response, 401, Scripted::outcome("login", "unknown or expired token"));
        return;
      }
    }
    fhirServer(in, response);
  }

  void token(const ReceivedRequest& in, Poco::Net::HTTPServerResponse& response) {
    ++tokenRequests_;
    std::map<std::string, std::string> form;
    std::istringstream pairs(in.body);
    std::string pair;
    while (std::getline(pairs, pair, '&')) {
      const auto eq = pair.find('=');
      std::string key = pair.substr(0, eq), value;
      if (eq != std::string::npos) Poco::URI::decode(pair.substr(eq + 1), value, true);
      form[key] = value;
    }
    std::string failure;
    if (form["grant_type"] != "client_credentials") failure = "grant_type";
    if (form["client_assertion_type"] != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
      failure = "client_assertion_type";
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    if (failure.empty()) {
      if (!verifier_) {
        failure = "no client key";
      } else {
        auto claims = verifier_->verify(form["client_assertion"], now);
        if (!claims) {
          failure = claims.outcome().issues().front().diagnostics;
        } else if (claims->issuer != options_.clientId || claims->subject != options_.clientId) {
          failure = "iss/sub";
        } else if (claims->expiresAt > now + 300) {
          failure = "exp more than 5 minutes ahead";
        } else {
          std::lock_guard lock(mutex_);
          if (!jtis_.insert(claims->jwtId).second || claims->jwtId.empty()) failure = "jti reused";
        }
      }
    }
    if (!failure.empty()) {
      {
        std::lock_guard lock(mutex_);
        tokenFailures_.push_back(failure);
      }
      send(response, 400, R"({"error":"invalid_client"})", {}, "application/json");
      return;
    }
    std::string issued = "tok-" + std::to_string(tokenRequests_.load());
    {
      std::lock_guard lock(mutex_);
      tokens_.insert(issued);
    }
    send(response, 200,
         R"({"access_token":")" + issued + R"(","token_type":"bearer","expires_in":)" +
             std::to_string(options_.tokenLifetimeSeconds) + R"(,"scope":")" + form["scope"] +
             R"("})",
         {}, "application/json");
  }

  static std::set<std::string> identifiersOf(const Poco::JSON::Object::Ptr& resource) {
    std::set<std::string> out;
    auto list = resource->getArray("identifier");
    for (std::size_t i = 0; list && i < list->size(); ++i) {
      auto id = list->getObject(static_cast<unsigned>(i));
      if (id) {
        out.insert(id->optValue<std::string>("system", "") + "|" +
                   id->optValue<std::string>("value", ""));
      }
    }
    return out;
  }

  // "identifier=system|value" (URL-decoded) -> "system|value".
  static std::string identifierQuery(const std::string& query) {
    std::string decoded;
    Poco::URI::decode(query, decoded);
    const std::string key = "identifier=";
    const auto at = decoded.find(key);
    return at == std::string::npos ? std::string() : decoded.substr(at + key.size());
  }

  // Applies one write like a FHIR server; returns status and "Type/id". Caller holds mutex_.
  std::pair<int, std::string> write(const std::string& method, const std::string& url,
                                    const std::string& ifNoneExist,
                                    const Poco::JSON::Object::Ptr& resource,
                                    const std::string& text) {
    const std::string type = resource->optValue<std::string>("resourceType", "");
    const auto slash = url.find('/');
    if (method == "PUT" && slash != std::string::npos && url.find('?') == std::string::npos) {
      const std::string id = url.substr(slash + 1);
      const bool created = stored_.count({type, id}) == 0;
      stored_[{type, id}] = {identifiersOf(resource), text};
      return {created ? 201 : 200, type + "/" + id};
    }
    // A conditional create or conditional update: find the identifier first.
    std::string condition = ifNoneExist;
    const auto question = url.find('?');
    if (method == "PUT" && question != std::string::npos) condition = url.substr(question + 1);
    const std::string wanted = condition.empty() ? std::string() : identifierQuery(condition);
    if (!wanted.empty()) {
      for (auto& [key, stored] : stored_) {
        if (key.first == type && stored.identifiers.count(wanted)) {
          if (method == "PUT") stored = {identifiersOf(resource), text};
          return {200, key.first + "/" + key.second};
        }
      }
    }
    const std::string id = "r" + std::to_string(++nextId_);
    stored_[{type, id}] = {identifiersOf(resource), text};
    return {201, type + "/" + id};
  }

  void fhirServer(const ReceivedRequest& in, Poco::Net::HTTPServerResponse& response) {
    std::string path = in.path.substr(std::min<std::size_t>(in.path.size(), 5));  // after /fhir
    if (!path.empty() && path.front() == '/') path.erase(0, 1);
    Poco::JSON::Object::Ptr resource;
    try {
      Poco::JSON::Parser parser;
      resource = parser.parse(in.body).extract<Poco::JSON::Object::Ptr>();
    } catch (...) {
      resource = nullptr;
    }
    if (!resource) {
      send(response, 400, Scripted::outcome("structure", "the body is not a JSON resource"));
      return;
    }
    std::lock_guard lock(mutex_);
    if (path.empty()) {
      if (resource->optValue<std::string>("type", "") != "transaction") {
        send(response, 400, Scripted::outcome("invalid", "not a transaction"));
        return;
      }
      // Resolve conditional creates, then rewrite references (all-or-nothing is not modelled).
      auto entries = resource->getArray("entry");
      std::map<std::string, std::string> ids;
      std::string out = R"({"resourceType":"Bundle","type":"transaction-response","entry":[)";
      for (std::size_t i = 0; entries && i < entries->size(); ++i) {
        auto entry = entries->getObject(static_cast<unsigned>(i));
        auto res = entry->getObject("resource");
        auto req = entry->getObject("request");
        std::ostringstream text;
        res->stringify(text);
        auto [status, id] = write(req->optValue<std::string>("method", "POST"),
                                  req->optValue<std::string>("url", ""),
                                  req->optValue<std::string>("ifNoneExist", ""), res, text.str());
        ids[entry->optValue<std::string>("fullUrl", "")] = id;
        out += std::string(i ? "," : "") + R"({"response":{"status":")" + std::to_string(status) +
               R"(","location":")" + id + R"("}})";
      }
      out += "]}";
      send(response, 200, out);
      return;
    }
    std::ostringstream text;
    resource->stringify(text);
    auto [status, id] = write(in.method, path, in.header("If-None-Exist"), resource, text.str());
    send(response, status, text.str(), {{"Location", baseUrl() + "/" + id + "/_history/1"}});
  }

  ReceiverOptions options_;
  std::string scheme_ = "http";
  std::uint16_t port_ = 0;
  std::shared_ptr<const notebridge::gateway::JwtVerifier> verifier_;
  std::unique_ptr<Poco::ThreadPool> threads_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::deque<Scripted> script_;
  std::vector<ReceivedRequest> received_;
  std::map<std::pair<std::string, std::string>, Stored> stored_;
  std::set<std::string> tokens_;
  std::set<std::string> jtis_;
  std::vector<std::string> tokenFailures_;
  std::atomic<int> tokenRequests_{0};
  std::atomic<int> fastAnswers_{0};
  int nextId_ = 0;
};

}  // namespace notebridge::testing

#pragma once

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>

#include <functional>
#include <string>

#include "notebridge/gateway/authenticator.h"
#include "notebridge/gateway/router.h"

namespace notebridge::gateway {

// Accepts a client's X-Request-Id when it is 1 to 128 characters of [A-Za-z0-9._:-];
// anything else (absent, too long, odd characters that could forge log lines) gets a new UUID.
std::string chooseRequestId(const std::string& offered);

// What every request needs from the server; owned by GatewayServer, read-only while serving.
struct ServingContext {
  const Router* router = nullptr;
  const Authenticator* authenticator = nullptr;
  std::int64_t maxBodyBytes = 0;
  // True when connections wait for a worker beyond the configured queue: shed load with 503.
  std::function<bool()> overloaded;
};

// The base of every request: request id, load shedding, routing, 404/405, authentication and
// authorization (401/403), the body size limit (413), the one catch for anything a handler let
// escape (500 with the request id), and one log line per request (never bodies).
class RequestHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit RequestHandler(const ServingContext& context) : context_(context) {}
  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override;

 private:
  void dispatch(HttpExchange& exchange);

  const ServingContext& context_;
};

class RequestHandlerFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit RequestHandlerFactory(const ServingContext& context) : context_(context) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new RequestHandler(context_);
  }

 private:
  const ServingContext& context_;
};

}  // namespace notebridge::gateway

#pragma once

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>

#include <string>

#include "notebridge/gateway/router.h"

namespace notebridge::gateway {

// Accepts a client's X-Request-Id when it is 1 to 128 characters of [A-Za-z0-9._:-];
// anything else (absent, too long, odd characters that could forge log lines) gets a new UUID.
std::string chooseRequestId(const std::string& offered);

// The base of every request: request id, routing, 404/405, the one catch for anything a
// handler let escape (500 with the request id), and one log line per request (never bodies).
class RequestHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit RequestHandler(const Router& router) : router_(router) {}
  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override;

 private:
  const Router& router_;
};

class RequestHandlerFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit RequestHandlerFactory(const Router& router) : router_(router) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new RequestHandler(router_);
  }

 private:
  const Router& router_;
};

}  // namespace notebridge::gateway

#include "http/request_handler.h"

#include <Poco/Logger.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/UUIDGenerator.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>

namespace notebridge::gateway {

std::string chooseRequestId(const std::string& offered) {
  const bool wellFormed = !offered.empty() && offered.size() <= 128 &&
                          std::all_of(offered.begin(), offered.end(), [](char c) {
                            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                   (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' ||
                                   c == '-';
                          });
  if (wellFormed) return offered;
  return Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
}

namespace {

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

// Control characters in a decoded path could forge log lines; show them escaped.
std::string printable(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "%%%02X", c);
      out += escaped;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace

void RequestHandler::handleRequest(Poco::Net::HTTPServerRequest& request,
                                   Poco::Net::HTTPServerResponse& response) {
  const auto started = std::chrono::steady_clock::now();
  HttpExchange exchange(request, response, chooseRequestId(request.get("X-Request-Id", "")));
  try {
    RouteMatch match = router_.match(exchange.method(), exchange.path());
    if (match.route) {
      exchange.setPathParams(std::move(match.params));
      match.route->handler(exchange);
      if (!exchange.sent()) {
        fhir::Outcome outcome;
        outcome.add(fhir::Severity::kFatal, "exception", "the handler produced no response");
        exchange.sendOutcome(500, outcome);
      }
    } else if (!match.allowedMethods.empty()) {
      exchange.setHeader("Allow", joined(match.allowedMethods));
      fhir::Outcome outcome;
      outcome.add(fhir::Severity::kError, "not-supported",
                  "method " + exchange.method() + " is not allowed on " + exchange.path() +
                      " (allowed: " + joined(match.allowedMethods) + ")");
      exchange.sendOutcome(outcome);
    } else {
      fhir::Outcome outcome;
      outcome.add(fhir::Severity::kError, "not-found", "no such endpoint: " + exchange.path());
      exchange.sendOutcome(outcome);
    }
  } catch (const std::exception& e) {
    // The message may quote input, so it goes to the debug log only.
    Poco::Logger::get("notebridge.http")
        .debug("request %s failed: %s", exchange.requestId(), std::string(e.what()));
    fhir::Outcome outcome;
    outcome.add(fhir::Severity::kFatal, "exception",
                "internal error; quote request id " + exchange.requestId());
    exchange.sendOutcome(500, outcome);
  } catch (...) {
    fhir::Outcome outcome;
    outcome.add(fhir::Severity::kFatal, "exception",
                "internal error; quote request id " + exchange.requestId());
    exchange.sendOutcome(500, outcome);
  }
  const double millis =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  char duration[32];
  std::snprintf(duration, sizeof duration, "%.2fms", millis);
  Poco::Logger::get("notebridge.http")
      .information("%s %s %d %s id=%s", printable(exchange.method()), printable(exchange.path()),
                   exchange.status(), std::string(duration), exchange.requestId());
}

}  // namespace notebridge::gateway

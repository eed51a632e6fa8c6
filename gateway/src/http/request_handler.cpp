#include "http/request_handler.h"

#include <Poco/Logger.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <exception>
#include <random>

namespace notebridge::gateway {

std::string chooseRequestId(const std::string& offered) {
  const bool wellFormed = !offered.empty() && offered.size() <= 128 &&
                          std::all_of(offered.begin(), offered.end(), [](char c) {
                            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                   (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' ||
                                   c == '-';
                          });
  if (wellFormed) return offered;
  // A random (version 4) UUID from a per-thread generator: Poco's createRandom reads the
  // system's random source under a global lock on every call, a cost on every request. A
  // request id only needs to be unique, not unpredictable.
  thread_local std::mt19937_64 generator{std::random_device{}()};
  const std::uint64_t high = (generator() & ~std::uint64_t{0xF000}) | 0x4000;
  const std::uint64_t low = (generator() & ~(std::uint64_t{3} << 62)) | (std::uint64_t{2} << 62);
  char text[37];
  std::snprintf(text, sizeof text, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(high >> 32),
                static_cast<unsigned>((high >> 16) & 0xFFFF), static_cast<unsigned>(high & 0xFFFF),
                static_cast<unsigned>(low >> 48),
                static_cast<unsigned long long>(low & 0xFFFFFFFFFFFFULL));
  return text;
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

void RequestHandler::dispatch(HttpExchange& exchange) {
  if (context_.overloaded && context_.overloaded()) {
    exchange.setHeader("Retry-After", "1");
    fhir::Outcome outcome;
    outcome.add(fhir::Severity::kFatal, "transient", "the gateway is overloaded; retry later");
    exchange.sendOutcome(outcome);
    return;
  }
  RouteMatch match = context_.router->match(exchange.method(), exchange.rawPath());
  if (!match.route) {
    fhir::Outcome outcome;
    if (!match.allowedMethods.empty()) {
      exchange.setHeader("Allow", joined(match.allowedMethods));
      outcome.add(fhir::Severity::kError, "not-supported",
                  "method " + exchange.method() + " is not allowed on " + exchange.path() +
                      " (allowed: " + joined(match.allowedMethods) + ")");
    } else {
      outcome.add(fhir::Severity::kError, "not-found", "no such endpoint: " + exchange.path());
    }
    exchange.sendOutcome(outcome);
    return;
  }
  exchange.setPathParams(std::move(match.params));

  Poco::Net::HTTPServerRequest& request = exchange.request();
  fhir::Result<Principal> principal = context_.authenticator->authorize(
      *match.route, request.get("Authorization", ""), request.get("X-API-Key", ""),
      exchange.pathParam("type"), static_cast<std::int64_t>(std::time(nullptr)));
  if (!principal) {
    const fhir::Issue& issue = principal.outcome().issues().front();
    Poco::Logger::get("notebridge.auth")
        .warning("refused %s %s from %s: %s id=%s", printable(exchange.method()),
                 printable(exchange.path()), request.clientAddress().host().toString(),
                 issue.diagnostics, exchange.requestId());
    if (issue.code == "login")
      exchange.setHeader("WWW-Authenticate", "Bearer realm=\"notebridge\"");
    exchange.sendOutcome(principal.outcome());
    return;
  }
  exchange.setPrincipal(std::move(*principal));

  if (request.getContentLength64() > context_.maxBodyBytes) {
    fhir::Outcome outcome;
    outcome.add(
        fhir::Severity::kError, "too-long",
        "the body is larger than the limit of " + std::to_string(context_.maxBodyBytes) + " bytes");
    exchange.sendOutcome(outcome);
    return;
  }
  exchange.setBodyLimit(context_.maxBodyBytes);
  match.route->handler(exchange);
  if (!exchange.sent()) {
    fhir::Outcome outcome;
    outcome.add(fhir::Severity::kFatal, "exception", "the handler produced no response");
    exchange.sendOutcome(500, outcome);
  }
}

void RequestHandler::handleRequest(Poco::Net::HTTPServerRequest& request,
                                   Poco::Net::HTTPServerResponse& response) {
  const auto started = std::chrono::steady_clock::now();
  HttpExchange exchange(request, response, chooseRequestId(request.get("X-Request-Id", "")));
  try {
    dispatch(exchange);
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
  // Looked up once and checked before formatting: at the default level nothing is formatted,
  // and the logger registry's global lock is not taken on every request.
  static Poco::Logger& log = Poco::Logger::get("notebridge.http");
  if (!log.information()) return;
  const double millis =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  char duration[32];
  std::snprintf(duration, sizeof duration, "%.2fms", millis);
  log.information("%s %s %d %s id=%s", printable(exchange.method()), printable(exchange.path()),
                  exchange.status(), std::string(duration), exchange.requestId());
}

}  // namespace notebridge::gateway

// The one file that maps outcomes to HTTP status codes (DESIGN §4). Every error answer goes
// through httpStatusFor, so a status never depends on which handler found the problem.
#include <map>
#include <string_view>

#include "notebridge/gateway/http_exchange.h"

namespace notebridge::gateway {

int httpStatusFor(const fhir::Outcome& outcome) {
  if (!outcome.hasErrors()) return 200;
  // The first error decides: handlers put the cause first and consequences after it.
  static const std::map<std::string_view, int, std::less<>> kByCode = {
      {"not-found", 404}, {"deleted", 410},    {"not-supported", 405}, {"structure", 400},
      {"invalid", 400},   {"login", 401},      {"unknown", 401},       {"security", 403},
      {"forbidden", 403}, {"suppressed", 403}, {"too-long", 413},      {"too-costly", 413},
      {"timeout", 504},   {"transient", 503},  {"throttled", 503},     {"conflict", 409},
      {"duplicate", 409}, {"exception", 500},  {"incomplete", 502},    {"lock-error", 409},
  };
  for (const fhir::Issue& issue : outcome.issues()) {
    if (issue.severity < fhir::Severity::kError) continue;
    auto it = kByCode.find(issue.code);
    // Anything else that is an error is data breaking a rule: unprocessable.
    return it == kByCode.end() ? 422 : it->second;
  }
  return 200;
}

}  // namespace notebridge::gateway

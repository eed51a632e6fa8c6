#include "notebridge/gateway/retry_decision.h"

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace notebridge::gateway {

using std::chrono::milliseconds;
using Clock = std::chrono::system_clock;

std::string_view toString(DeliveryAction value) {
  switch (value) {
    case DeliveryAction::kDelivered:
      return "delivered";
    case DeliveryAction::kRetry:
      return "retry";
    case DeliveryAction::kDeadLetter:
      return "dead-letter";
  }
  return "unknown";
}

std::optional<milliseconds> parseRetryAfter(std::string_view value, Clock::time_point now) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (std::isdigit(static_cast<unsigned char>(value.front()))) {
    long long seconds = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec != std::errc() || end != value.data() + value.size()) return std::nullopt;
    return milliseconds(std::min<long long>(seconds, 10LL * 365 * 86400) * 1000);
  }
  // Poco's parser is lenient (it reads "soon" as a date); HTTP dates always end in GMT.
  if (value.size() < 20 || value.substr(value.size() - 3) != "GMT") return std::nullopt;
  Poco::DateTime date;
  int zone = 0;
  if (!Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::HTTP_FORMAT, std::string(value), date,
                                      zone)) {
    return std::nullopt;
  }
  date.makeUTC(zone);
  const auto at = Clock::from_time_t(date.timestamp().epochTime());
  if (at <= now) return milliseconds(0);
  return std::chrono::duration_cast<milliseconds>(at - now);
}

namespace {

std::string textOfJson(std::string_view body) {
  Poco::JSON::Parser parser;
  Poco::Dynamic::Var parsed = parser.parse(std::string(body));
  auto root = parsed.extract<Poco::JSON::Object::Ptr>();
  if (!root || root->optValue<std::string>("resourceType", "") != "OperationOutcome") return {};
  auto issues = root->getArray("issue");
  std::string text;
  for (std::size_t i = 0; issues && i < issues->size(); ++i) {
    auto issue = issues->getObject(static_cast<unsigned>(i));
    if (!issue) continue;
    std::string part = issue->optValue<std::string>("severity", "") + " " +
                       issue->optValue<std::string>("code", "");
    std::string detail;
    if (auto details = issue->getObject("details"))
      detail = details->optValue<std::string>("text", "");
    if (detail.empty()) detail = issue->optValue<std::string>("diagnostics", "");
    if (!detail.empty()) part += ": " + detail;
    text += (text.empty() ? "" : "; ") + part;
  }
  return text;
}

// The value="..." attributes of elements named `name` (XML OperationOutcome, no DTDs involved:
// a plain scan).
std::string xmlValue(std::string_view xml, std::string_view name, std::size_t from,
                     std::size_t to) {
  const std::string open = "<" + std::string(name);
  std::size_t at = xml.find(open, from);
  if (at == std::string_view::npos || at >= to) return {};
  std::size_t value = xml.find("value=\"", at);
  if (value == std::string_view::npos || value >= to) return {};
  value += 7;
  std::size_t end = xml.find('"', value);
  if (end == std::string_view::npos) return {};
  return std::string(xml.substr(value, end - value));
}

std::string textOfXml(std::string_view body) {
  if (body.find("<OperationOutcome") == std::string_view::npos) return {};
  std::string text;
  std::size_t at = 0;
  while ((at = body.find("<issue", at)) != std::string_view::npos) {
    std::size_t end = body.find("</issue>", at);
    if (end == std::string_view::npos) end = body.size();
    std::string part = xmlValue(body, "severity", at, end) + " " + xmlValue(body, "code", at, end);
    std::string detail;
    const std::size_t details = body.find("<details", at);
    if (details != std::string_view::npos && details < end) {
      detail = xmlValue(body, "text", details, end);
    }
    if (detail.empty()) detail = xmlValue(body, "diagnostics", at, end);
    if (!detail.empty()) part += ": " + detail;
    text += (text.empty() ? "" : "; ") + part;
    at = end;
  }
  return text;
}

}  // namespace

std::string operationOutcomeText(std::string_view body) {
  body = body.substr(0, 64 * 1024);
  std::size_t first = body.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  std::string text;
  try {
    text = body[first] == '{' ? textOfJson(body) : textOfXml(body);
  } catch (const Poco::Exception&) {
    return {};
  }
  if (text.size() > 2000) text = text.substr(0, 2000) + "...";
  return text;
}

RetryDecision decideRetry(int attempt, const UpstreamResult& result, const RetryPolicy& policy,
                          Clock::time_point now, const std::function<double()>& random) {
  RetryDecision decision;
  bool retryable = false;
  std::optional<milliseconds> retryAfter;
  if (result.response) {
    const int status = result.response->status;
    if (status >= 200 && status < 300) {
      decision.action = DeliveryAction::kDelivered;
      decision.reason = "HTTP " + std::to_string(status);
      return decision;
    }
    const std::string outcome = operationOutcomeText(result.response->body);
    decision.reason = "HTTP " + std::to_string(status) + (outcome.empty() ? "" : ": " + outcome);
    retryable = status == 408 || status == 429 || status >= 500;
    if (retryable) retryAfter = parseRetryAfter(result.response->header("retry-after"), now);
  } else {
    decision.reason = std::string(toString(result.error)) + ": " + result.reason;
    retryable = result.error != UpstreamError::kRequest;
  }
  if (!retryable) {
    decision.action = DeliveryAction::kDeadLetter;
    return decision;
  }
  if (attempt >= policy.maxAttempts) {
    decision.action = DeliveryAction::kDeadLetter;
    decision.reason = "gave up after " + std::to_string(attempt) + " attempts: " + decision.reason;
    return decision;
  }
  decision.action = DeliveryAction::kRetry;
  if (retryAfter) {
    decision.delay = std::min(*retryAfter, policy.maxRetryAfter);
  } else {
    // Doubling without overflow: past 2^30 the cap has long been reached.
    const int exponent = std::clamp(attempt - 1, 0, 30);
    const double backoff =
        std::min(static_cast<double>(policy.baseBackoff.count()) * std::ldexp(1.0, exponent),
                 static_cast<double>(policy.maxBackoff.count()));
    const double r = std::clamp(random ? random() : 0.0, 0.0, 1.0);
    decision.delay = milliseconds(static_cast<long long>(backoff / 2 + r * backoff / 2));
  }
  decision.nextAttemptAt = now + decision.delay;
  return decision;
}

}  // namespace notebridge::gateway

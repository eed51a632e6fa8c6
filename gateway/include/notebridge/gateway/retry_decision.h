#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "notebridge/gateway/destination_config.h"
#include "notebridge/gateway/upstream_client.h"

namespace notebridge::gateway {

// What to do with a delivery after an attempt.
enum class DeliveryAction { kDelivered, kRetry, kDeadLetter };

std::string_view toString(DeliveryAction value);

// The decision for one attempt: the action, when to try again (kRetry), and a reason a person
// can read (the receiver's OperationOutcome text for a refusal, the transport error, ...).
struct RetryDecision {
  DeliveryAction action = DeliveryAction::kDelivered;
  std::chrono::system_clock::time_point nextAttemptAt{};
  std::chrono::milliseconds delay{0};
  std::string reason;
};

// Decides after attempt number `attempt` (1 = the first) with `result` (DESIGN §6, the shape of
// envoy's retry_state: immutable policy, per-delivery attempt count, no side effects):
// - 2xx: delivered;
// - 408, 429, 5xx, and transport errors (connect, timeout, connection, TLS): retry after
//   Retry-After when the receiver sent one (seconds or HTTP-date, capped at
//   policy.maxRetryAfter), else after an exponential backoff base * 2^(attempt-1) capped at
//   maxBackoff, with jitter: the delay is drawn uniformly from [backoff/2, backoff) with
//   `random` (a source of doubles in [0, 1));
// - any other status (4xx, unexpected 1xx/3xx) and unusable requests: dead-letter, the reason
//   quoting the receiver's OperationOutcome when it sent one;
// - a retry class past policy.maxAttempts: dead-letter ("gave up after N attempts: ...").
// Pure and thread-safe: the clock and the randomness are arguments.
RetryDecision decideRetry(int attempt, const UpstreamResult& result, const RetryPolicy& policy,
                          std::chrono::system_clock::time_point now,
                          const std::function<double()>& random);

// A Retry-After value (https://www.rfc-editor.org/rfc/rfc9110#field.retry-after): delay-seconds
// or an HTTP-date, as a delay from `now` (a past date is 0). Nothing for an unreadable value.
std::optional<std::chrono::milliseconds> parseRetryAfter(std::string_view value,
                                                         std::chrono::system_clock::time_point now);

// The text of an OperationOutcome (JSON or XML): each issue's severity, code and details.text
// or diagnostics, "; "-separated. Empty when `body` is not an OperationOutcome. Bounded: reads
// at most the first 64 KiB and returns at most 2000 characters.
std::string operationOutcomeText(std::string_view body);

}  // namespace notebridge::gateway

// The retry decision (DESIGN §6): a pure function of attempt, result, policy, clock and a random
// source, so every case here controls time and jitter.
#include "notebridge/gateway/retry_decision.h"

#include <boost/test/unit_test.hpp>
#include <ostream>

namespace notebridge::gateway {
// Lets Boost.Test print actions in failure messages.
inline std::ostream& operator<<(std::ostream& os, DeliveryAction a) { return os << toString(a); }
}  // namespace notebridge::gateway

using namespace notebridge::gateway;
using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

namespace {

// 2026-11-29T08:00:00Z.
const Clock::time_point kNow = Clock::from_time_t(1795939200);

UpstreamResult response(int status, std::string body = {},
                        std::map<std::string, std::string> headers = {}) {
  UpstreamResult result;
  result.response = UpstreamResponse{status, std::move(headers), std::move(body)};
  return result;
}

UpstreamResult transport(UpstreamError error) {
  UpstreamResult result;
  result.error = error;
  result.reason = "simulated";
  return result;
}

RetryPolicy policy() {
  RetryPolicy p;
  p.maxAttempts = 5;
  p.baseBackoff = 1000ms;
  p.maxBackoff = 10s;
  p.maxRetryAfter = 120s;
  return p;
}

std::string busyOutcome() {
  return R"({"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"transient",)"
         R"("diagnostics":"busy"}]})";
}

RetryDecision decide(int attempt, const UpstreamResult& result, double random = 0.0) {
  return decideRetry(attempt, result, policy(), kNow, [random] { return random; });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(retry_decision)

BOOST_AUTO_TEST_CASE(success_statuses_are_delivered) {
  for (int status : {200, 201, 204}) {
    BOOST_TEST(decide(1, response(status)).action == DeliveryAction::kDelivered);
  }
}

BOOST_AUTO_TEST_CASE(timeouts_throttling_server_errors_and_transport_errors_retry) {
  for (int status : {408, 429, 500, 502, 503, 504}) {
    BOOST_TEST(decide(1, response(status)).action == DeliveryAction::kRetry, status);
  }
  for (UpstreamError error : {UpstreamError::kConnect, UpstreamError::kTimeout,
                              UpstreamError::kConnection, UpstreamError::kTls}) {
    auto decision = decide(1, transport(error));
    BOOST_TEST(decision.action == DeliveryAction::kRetry);
    BOOST_TEST(decision.reason.find(std::string(toString(error))) == 0u);
  }
}

BOOST_AUTO_TEST_CASE(other_client_errors_go_to_dead_letter_with_the_receivers_reason) {
  const std::string outcome =
      R"({"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"required",)"
      R"("details":{"text":"context.period.end is required"}}]})";
  auto decision = decide(1, response(400, outcome));
  BOOST_TEST(decision.action == DeliveryAction::kDeadLetter);
  BOOST_TEST(decision.reason == "HTTP 400: error required: context.period.end is required");
  for (int status : {401, 403, 404, 409, 412, 422, 302}) {
    BOOST_TEST(decide(1, response(status)).action == DeliveryAction::kDeadLetter, status);
  }
  // A request that cannot be made will not work better later.
  BOOST_TEST(decide(1, transport(UpstreamError::kRequest)).action == DeliveryAction::kDeadLetter);
}

BOOST_AUTO_TEST_CASE(xml_operation_outcomes_are_quoted_too) {
  const std::string xml =
      R"(<OperationOutcome xmlns="http://hl7.org/fhir"><issue><severity value="error"/>)"
      R"(<code value="invalid"/><diagnostics value="type: LOINC and code set 72 mixed"/>)"
      R"(</issue></OperationOutcome>)";
  BOOST_TEST(decide(1, response(422, xml)).reason ==
             "HTTP 422: error invalid: type: LOINC and code set 72 mixed");
}

BOOST_AUTO_TEST_CASE(backoff_doubles_with_jitter_between_half_and_all_of_it_up_to_the_cap) {
  // attempt n: backoff = 1 s * 2^(n-1), capped at 10 s; delay in [backoff/2, backoff).
  BOOST_TEST(decide(1, response(503), 0.0).delay.count() == 500);
  BOOST_TEST(decide(1, response(503), 0.5).delay.count() == 750);
  BOOST_TEST(decide(2, response(503), 0.0).delay.count() == 1000);
  BOOST_TEST(decide(3, response(503), 0.999).delay.count() == 3998);
  BOOST_TEST(decide(4, response(503), 0.0).delay.count() == 4000);
  // Attempt 4 would be 8 s; the policy allows 5 attempts, so use a longer one to see the cap.
  RetryPolicy longer = policy();
  longer.maxAttempts = 100;
  auto capped = decideRetry(60, response(503), longer, kNow, [] { return 0.0; });
  BOOST_TEST(capped.delay.count() == 5000);  // half of the 10 s cap, no overflow at 2^59
  auto decision = decide(2, response(500), 0.5);
  BOOST_TEST((decision.nextAttemptAt == kNow + 1500ms));
}

BOOST_AUTO_TEST_CASE(retry_after_in_seconds_and_as_an_http_date_is_honoured_and_capped) {
  auto seconds = decide(1, response(429, {}, {{"retry-after", "7"}}), 0.9);
  BOOST_TEST(seconds.action == DeliveryAction::kRetry);
  BOOST_TEST(seconds.delay.count() == 7000);
  // kNow + 90 s as an IMF-fixdate.
  auto date = decide(1, response(503, {}, {{"retry-after", "Sun, 29 Nov 2026 08:01:30 GMT"}}));
  BOOST_TEST(date.delay.count() == 90000);
  auto past = decide(1, response(503, {}, {{"retry-after", "Sun, 29 Nov 2026 07:00:00 GMT"}}));
  BOOST_TEST(past.delay.count() == 0);
  auto huge = decide(1, response(503, {}, {{"retry-after", "86400"}}));
  BOOST_TEST(huge.delay.count() == 120000);  // policy.maxRetryAfter
  // Unreadable: the ordinary backoff.
  auto junk = decide(1, response(503, {}, {{"retry-after", "soon"}}), 0.0);
  BOOST_TEST(junk.delay.count() == 500);
  // Retry-After on a refusal does not turn it into a retry.
  BOOST_TEST(decide(1, response(400, {}, {{"retry-after", "1"}})).action ==
             DeliveryAction::kDeadLetter);
}

BOOST_AUTO_TEST_CASE(the_last_allowed_attempt_goes_to_dead_letter_saying_why) {
  auto decision = decide(5, response(503, busyOutcome()));
  BOOST_TEST(decision.action == DeliveryAction::kDeadLetter);
  BOOST_TEST(decision.reason == "gave up after 5 attempts: HTTP 503: error transient: busy");
  BOOST_TEST(decide(4, response(503)).action == DeliveryAction::kRetry);
}

BOOST_AUTO_TEST_CASE(operation_outcome_text_ignores_other_bodies) {
  BOOST_TEST(operationOutcomeText("").empty());
  BOOST_TEST(operationOutcomeText("<html>busy</html>").empty());
  BOOST_TEST(operationOutcomeText(R"({"resourceType":"Patient"})").empty());
  BOOST_TEST(operationOutcomeText("{not json").empty());
  BOOST_TEST(operationOutcomeText(std::string(200000, '{')).empty());
}

BOOST_AUTO_TEST_SUITE_END()

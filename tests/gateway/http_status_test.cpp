#include "notebridge/gateway/http_exchange.h"

#include <boost/test/unit_test.hpp>

using notebridge::fhir::Outcome;
using notebridge::fhir::Severity;
using notebridge::gateway::httpStatusFor;

namespace {
int statusOf(Severity severity, const char* code) {
  Outcome outcome;
  outcome.add(severity, code, "x");
  return httpStatusFor(outcome);
}
}  // namespace

BOOST_AUTO_TEST_SUITE(http_status)

BOOST_AUTO_TEST_CASE(errors_map_to_the_design_table) {
  BOOST_TEST(statusOf(Severity::kError, "structure") == 400);
  BOOST_TEST(statusOf(Severity::kError, "required") == 422);
  BOOST_TEST(statusOf(Severity::kError, "invariant") == 422);
  BOOST_TEST(statusOf(Severity::kError, "not-found") == 404);
  BOOST_TEST(statusOf(Severity::kError, "not-supported") == 405);
  BOOST_TEST(statusOf(Severity::kError, "login") == 401);
  BOOST_TEST(statusOf(Severity::kError, "forbidden") == 403);
  BOOST_TEST(statusOf(Severity::kError, "too-long") == 413);
  BOOST_TEST(statusOf(Severity::kFatal, "timeout") == 504);
  BOOST_TEST(statusOf(Severity::kFatal, "transient") == 503);
  BOOST_TEST(statusOf(Severity::kFatal, "exception") == 500);
}

BOOST_AUTO_TEST_CASE(warnings_alone_are_success_and_the_first_error_decides) {
  BOOST_TEST(statusOf(Severity::kWarning, "not-found") == 200);
  Outcome outcome;
  outcome.add(Severity::kWarning, "too-long", "w");
  outcome.add(Severity::kError, "not-found", "first");
  outcome.add(Severity::kError, "structure", "second");
  BOOST_TEST(httpStatusFor(outcome) == 404);
}

BOOST_AUTO_TEST_SUITE_END()

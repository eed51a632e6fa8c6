// dateRange (search index rows and `since`): the first and last instant a FHIR date or
// dateTime covers, as UTC instants with milliseconds. Checked against the C library's calendar
// over a sweep of days and times, and at the edges of the four-digit years.
#include <time.h>

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <string>

#include "fhir_api/search_parameters.h"

using notebridge::gateway::dateRange;

namespace {

// `seconds` since 1970 as the index writes an instant, by gmtime_r and snprintf.
std::string instant(long long seconds, int millis) {
  const time_t t = static_cast<time_t>(seconds);
  tm parts{};
  gmtime_r(&t, &parts);
  char out[96];
  std::snprintf(out, sizeof out, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900,
                parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec, millis);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(date_range)

BOOST_AUTO_TEST_CASE(every_precision_gives_its_first_and_last_instant) {
  auto day = dateRange("2024-02-29");
  BOOST_REQUIRE(day);
  BOOST_TEST(day->first == "2024-02-29T00:00:00.000Z");
  BOOST_TEST(day->second == "2024-02-29T23:59:59.999Z");
  auto month = dateRange("2023-12");
  BOOST_REQUIRE(month);
  BOOST_TEST(month->first == "2023-12-01T00:00:00.000Z");
  BOOST_TEST(month->second == "2023-12-31T23:59:59.999Z");
  auto year = dateRange("0001");
  BOOST_REQUIRE(year);
  BOOST_TEST(year->first == "0001-01-01T00:00:00.000Z");
  BOOST_TEST(year->second == "0001-12-31T23:59:59.999Z");
  auto last = dateRange("9999-12-31T23:59:59.999Z");
  BOOST_REQUIRE(last);
  BOOST_TEST(last->first == "9999-12-31T23:59:59.999Z");
  BOOST_TEST(last->second == "9999-12-31T23:59:59.999Z");
  // Offsets move the instant into UTC, across the year when they must.
  auto offset = dateRange("2025-01-01T00:30:00+01:00");
  BOOST_REQUIRE(offset);
  BOOST_TEST(offset->first == "2024-12-31T23:30:00.000Z");
  BOOST_TEST(offset->second == "2024-12-31T23:30:00.999Z");
  // Before year 1 (an offset from year 0001) and past 9999 still come out, as before.
  auto early = dateRange("0001-01-01T00:00:00+01:00");
  BOOST_REQUIRE(early);
  BOOST_TEST(early->first == "0000-12-31T23:00:00.000Z");
  auto late = dateRange("9999-12-31T23:00:00-02:00");
  BOOST_REQUIRE(late);
  BOOST_TEST(late->first == "10000-01-01T01:00:00.000Z");
  // Before year 0: year -1 as snprintf's %04d writes it (sign included in the four).
  auto negative = dateRange("0000-01-01T00:00:00+01:00");
  BOOST_REQUIRE(negative);
  BOOST_TEST(negative->first == "-001-12-31T23:00:00.000Z");
  BOOST_TEST(negative->second == "-001-12-31T23:00:00.999Z");
}

BOOST_AUTO_TEST_CASE(instants_agree_with_the_c_library_calendar) {
  // Every 7th day and a changing time of day from 1900 to 2100, with milliseconds.
  for (long long seconds = -2208988800LL; seconds < 4102444800LL; seconds += 7 * 86400 + 3797) {
    const int millis = static_cast<int>(seconds % 1000 + 1000) % 1000;
    const std::string expected = instant(seconds, millis);
    auto range = dateRange(expected);
    BOOST_REQUIRE(range);
    if (range->first != expected || range->second != expected) {
      BOOST_TEST(range->first == expected);
      BOOST_TEST(range->second == expected);
      break;
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

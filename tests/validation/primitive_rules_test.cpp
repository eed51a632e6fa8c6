#include <boost/test/unit_test.hpp>

#include "notebridge/validation/primitive_rules.h"

using notebridge::validation::checkPrimitive;

namespace {
bool ok(const char* type, const char* value) { return !checkPrimitive(type, value).has_value(); }
}  // namespace

BOOST_AUTO_TEST_SUITE(primitive_rules)

BOOST_AUTO_TEST_CASE(dates_follow_the_r4_regex_and_the_calendar) {
  BOOST_TEST(ok("date", "2024"));
  BOOST_TEST(ok("date", "2024-02"));
  BOOST_TEST(ok("date", "2024-02-29"));  // leap year
  BOOST_TEST(!ok("date", "2023-02-29"));
  BOOST_TEST(!ok("date", "2024-13-01"));
  BOOST_TEST(!ok("date", "0000"));
  BOOST_TEST(!ok("date", "2024-1-01"));
  BOOST_TEST(!ok("date", "2024-01-01T10:00:00Z"));
}

BOOST_AUTO_TEST_CASE(date_times_need_a_zone_with_a_time) {
  BOOST_TEST(ok("dateTime", "2024-03-04"));
  BOOST_TEST(ok("dateTime", "2024-03-04T15:00:00-05:00"));
  BOOST_TEST(ok("dateTime", "2024-03-04T15:00:00.123Z"));
  BOOST_TEST(!ok("dateTime", "2024-03-04T15:00:00"));
  BOOST_TEST(!ok("dateTime", "2024-03-04T24:00:00Z"));
  BOOST_TEST(!ok("dateTime", "2024-03-04T15:00Z"));
  BOOST_TEST(!ok("dateTime", "2024-03-04T15:00:00+14:30"));
  BOOST_TEST(ok("instant", "2024-03-04T15:00:00Z"));
  BOOST_TEST(!ok("instant", "2024-03-04"));
  BOOST_TEST(ok("time", "23:59:60"));
  BOOST_TEST(!ok("time", "23:59"));
}

BOOST_AUTO_TEST_CASE(numbers_have_their_ranges) {
  BOOST_TEST(ok("integer", "-2147483648"));
  BOOST_TEST(!ok("integer", "2147483648"));
  BOOST_TEST(!ok("integer", "01"));
  BOOST_TEST(!ok("integer", "1.0"));
  BOOST_TEST(ok("positiveInt", "1"));
  BOOST_TEST(!ok("positiveInt", "0"));
  BOOST_TEST(ok("unsignedInt", "0"));
  BOOST_TEST(!ok("unsignedInt", "-1"));
  BOOST_TEST(ok("decimal", "1.50"));
  BOOST_TEST(ok("decimal", "-0.5e-3"));
  BOOST_TEST(!ok("decimal", "01.5"));
  BOOST_TEST(!ok("decimal", "1."));
  BOOST_TEST(ok("boolean", "true"));
  BOOST_TEST(!ok("boolean", "True"));
}

BOOST_AUTO_TEST_CASE(identifiers_and_uris) {
  BOOST_TEST(ok("id", "note-1001.v1"));
  BOOST_TEST(!ok("id", "note 1001"));
  BOOST_TEST(!ok("id", std::string(65, 'a').c_str()));
  BOOST_TEST(ok("oid", "urn:oid:2.16.840.1.113883.4.4"));
  BOOST_TEST(!ok("oid", "urn:oid:3.1"));
  BOOST_TEST(!ok("oid", "urn:oid:1.01"));
  BOOST_TEST(ok("uuid", "urn:uuid:3f2a3f0e-5c1b-4a8e-9d2b-111111111111"));
  BOOST_TEST(!ok("uuid", "urn:uuid:3F2A3F0E-5C1B-4A8E-9D2B-111111111111"));
  BOOST_TEST(ok("uri", "https://notebridge.io/fhir/sid/note"));
  BOOST_TEST(!ok("uri", "has space"));
  BOOST_TEST(!ok("canonical", "a b"));
  BOOST_TEST(!ok("url", "a\tb"));
}

BOOST_AUTO_TEST_CASE(codes_strings_and_base64) {
  BOOST_TEST(ok("code", "text/plain; charset=utf-8"));
  BOOST_TEST(!ok("code", " final"));
  BOOST_TEST(!ok("code", "a  b"));
  BOOST_TEST(ok("string", "line one\nline two"));
  BOOST_TEST(!ok("string", "bell\x07"));
  BOOST_TEST(!ok("string", "   "));
  BOOST_TEST(!ok("string", ""));
  BOOST_TEST(!ok("string", std::string(1024 * 1024 + 1, 'x').c_str()));
  BOOST_TEST(ok("markdown", "# Plan\n- continue CBT"));
  BOOST_TEST(ok("base64Binary", "SGVsbG8="));
  BOOST_TEST(!ok("base64Binary", "SGVsbG8"));
  BOOST_TEST(!ok("base64Binary", "SGV*bG8="));
}

BOOST_AUTO_TEST_CASE(the_message_names_the_value_and_type) {
  const auto problem = checkPrimitive("date", "2023-02-30");
  BOOST_REQUIRE(problem.has_value());
  BOOST_TEST(*problem == "'2023-02-30' is not a valid date");
}

BOOST_AUTO_TEST_SUITE_END()

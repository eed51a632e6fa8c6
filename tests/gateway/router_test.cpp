#include "notebridge/gateway/router.h"

#include <boost/test/unit_test.hpp>

using namespace notebridge::gateway;

namespace {
Router sampleRouter() {
  Router router;
  auto noop = [](HttpExchange&) {};
  router.add({"GET", "/fhir/metadata", noop, {}, {}});
  router.add({"GET", "/fhir/{type}/{id}", noop, {{"Patient", "read"}}, {}});
  router.add({"PUT", "/fhir/{type}/{id}", noop, {{"Patient", "update"}}, {}});
  router.add({"POST", "/fhir/{type}", noop, {{"Patient", "create"}}, {}});
  return router;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(router)

BOOST_AUTO_TEST_CASE(captures_segments) {
  const Router router = sampleRouter();
  RouteMatch match = router.match("GET", "/fhir/Patient/123");
  BOOST_REQUIRE(match.route != nullptr);
  BOOST_TEST(match.route->pattern == "/fhir/{type}/{id}");
  BOOST_TEST(match.params.at("type") == "Patient");
  BOOST_TEST(match.params.at("id") == "123");
}

BOOST_AUTO_TEST_CASE(segments_are_decoded_after_the_split) {
  const Router router = sampleRouter();
  // An encoded slash stays inside its segment instead of making a deeper path.
  RouteMatch match = router.match("GET", "/fhir/Patient/a%2Fb%20c");
  BOOST_REQUIRE(match.route != nullptr);
  BOOST_TEST(match.params.at("id") == "a/b c");
  BOOST_TEST(router.match("GET", "/fhir/%50atient/1").params.at("type") == "Patient");
  // A malformed escape is kept as sent.
  BOOST_TEST(router.match("GET", "/fhir/Patient/a%zz").params.at("id") == "a%zz");
}

BOOST_AUTO_TEST_CASE(a_known_path_under_another_method_lists_the_allowed_ones) {
  const Router router = sampleRouter();
  RouteMatch match = router.match("DELETE", "/fhir/Patient/123");
  BOOST_TEST(match.route == nullptr);
  BOOST_TEST(match.allowedMethods == (std::vector<std::string>{"GET", "PUT"}));
}

BOOST_AUTO_TEST_CASE(a_literal_segment_beats_a_capture) {
  const Router router = sampleRouter();
  // POST /fhir/metadata must not be taken as a create of type "metadata".
  RouteMatch match = router.match("POST", "/fhir/metadata");
  BOOST_TEST(match.route == nullptr);
  BOOST_TEST(match.allowedMethods == (std::vector<std::string>{"GET"}));
}

BOOST_AUTO_TEST_CASE(an_unknown_path_matches_nothing) {
  const Router router = sampleRouter();
  RouteMatch match = router.match("GET", "/fhir/Patient/123/extra/deep");
  BOOST_TEST(match.route == nullptr);
  BOOST_TEST(match.allowedMethods.empty());
  BOOST_TEST(router.interactions().size() == 3u);
}

BOOST_AUTO_TEST_SUITE_END()

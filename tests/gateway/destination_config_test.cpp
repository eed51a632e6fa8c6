// destinations.<name>.* keys: read, defaulted, and every problem reported at once.
#include <Poco/AutoPtr.h>
#include <Poco/Util/MapConfiguration.h>

#include <boost/test/unit_test.hpp>

#include "notebridge/gateway/gateway_config.h"

using namespace notebridge::gateway;

namespace {
Poco::AutoPtr<Poco::Util::MapConfiguration> mapConfig(
    std::initializer_list<std::pair<const char*, const char*>> entries) {
  Poco::AutoPtr<Poco::Util::MapConfiguration> config(new Poco::Util::MapConfiguration);
  for (const auto& [key, value] : entries) config->setString(key, value);
  return config;
}

std::string allProblems(const notebridge::fhir::Outcome& outcome) {
  std::string all;
  for (const auto& issue : outcome.issues()) all += issue.diagnostics + "\n";
  return all;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(destination_config)

BOOST_AUTO_TEST_CASE(a_destination_with_only_its_required_keys_gets_the_documented_defaults) {
  auto config = readGatewayConfig(*mapConfig(
      {{"destinations.ehr.kind", "ehr"}, {"destinations.ehr.base_url", "https://ehr.test/fhir/"}}));
  BOOST_REQUIRE_MESSAGE(config.ok(), allProblems(config.outcome()));
  BOOST_REQUIRE(config->destinations.size() == 1u);
  const DestinationConfig& d = config->destinations[0];
  BOOST_TEST(d.name == "ehr");
  BOOST_TEST(d.baseUrl == "https://ehr.test/fhir");  // the trailing slash goes
  BOOST_TEST((d.format == DestinationFormat::kJson));
  BOOST_TEST((d.interaction == DeliveryInteraction::kTransaction));
  BOOST_TEST((d.auth == DestinationAuth::kNone));
  BOOST_TEST(!d.insecureSkipVerify);
  BOOST_TEST(d.retry.maxAttempts == 10);
  BOOST_TEST(d.concurrency == 2);
  BOOST_TEST(d.routing.byDefault);
  BOOST_TEST(!d.routing.allowSensitive);
  BOOST_TEST(config->destination("ehr") == &d);
  BOOST_TEST(config->destination("other") == nullptr);
}

BOOST_AUTO_TEST_CASE(every_key_is_read) {
  auto config = readGatewayConfig(*mapConfig({
      {"destinations.oracle.kind", "ehr"},
      {"destinations.oracle.base_url", "https://oracle.test/r4"},
      {"destinations.oracle.format", "xml"},
      {"destinations.oracle.interaction", "conditional-create"},
      {"destinations.oracle.profiles", "http://a/p1, http://a/p2"},
      {"destinations.oracle.rules.single_content", "true"},
      {"destinations.oracle.rules.require_charset", "true"},
      {"destinations.oracle.rules.require_period_end", "true"},
      {"destinations.oracle.rules.require_time_on_dates", "true"},
      {"destinations.oracle.connect_timeout_seconds", "3"},
      {"destinations.oracle.timeout_seconds", "20"},
      {"destinations.oracle.retry.max_attempts", "4"},
      {"destinations.oracle.retry.base_backoff_ms", "250"},
      {"destinations.oracle.retry.max_backoff_seconds", "60"},
      {"destinations.oracle.retry.max_retry_after_seconds", "600"},
      {"destinations.oracle.concurrency", "8"},
      {"destinations.oracle.breaker.failures", "3"},
      {"destinations.oracle.breaker.open_seconds", "10"},
      {"destinations.oracle.route.default", "false"},
      {"destinations.oracle.route.statuses", "signed"},
      {"destinations.oracle.route.clients", "c1,c2"},
      {"destinations.oracle.route.allow_sensitive", "true"},
      {"destinations.payer.kind", "payer"},
      {"destinations.payer.base_url", "http://payer.test"},
      {"destinations.payer.interaction", "put"},
  }));
  BOOST_REQUIRE_MESSAGE(config.ok(), allProblems(config.outcome()));
  BOOST_REQUIRE(config->destinations.size() == 2u);
  const DestinationConfig& d = *config->destination("oracle");
  BOOST_TEST((d.format == DestinationFormat::kXml));
  BOOST_TEST((d.interaction == DeliveryInteraction::kConditionalCreate));
  BOOST_TEST(d.profiles == (std::vector<std::string>{"http://a/p1", "http://a/p2"}));
  BOOST_TEST(d.rules.singleContent);
  BOOST_TEST(d.rules.requireCharset);
  BOOST_TEST(d.rules.requirePeriodEnd);
  BOOST_TEST(d.rules.requireTimeOnDates);
  BOOST_TEST(d.connectTimeoutSeconds == 3);
  BOOST_TEST(d.timeoutSeconds == 20);
  BOOST_TEST(d.retry.maxAttempts == 4);
  BOOST_TEST(d.retry.baseBackoff.count() == 250);
  BOOST_TEST(d.retry.maxBackoff.count() == 60000);
  BOOST_TEST(d.retry.maxRetryAfter.count() == 600000);
  BOOST_TEST(d.concurrency == 8);
  BOOST_TEST(d.breakerFailures == 3);
  BOOST_TEST(d.breakerOpenSeconds == 10);
  BOOST_TEST(!d.routing.byDefault);
  BOOST_TEST(d.routing.statuses == (std::vector<std::string>{"signed"}));
  BOOST_TEST(d.routing.clients == (std::vector<std::string>{"c1", "c2"}));
  BOOST_TEST(d.routing.allowSensitive);
  BOOST_TEST((config->destination("payer")->kind == DestinationKind::kPayer));
}

BOOST_AUTO_TEST_CASE(a_bad_destination_lists_every_problem) {
  auto config = readGatewayConfig(*mapConfig({
      {"destinations.a.kind", "hospital"},
      {"destinations.a.base_url", "ftp://x"},
      {"destinations.a.auth", "smart-backend"},
      {"destinations.a.alg", "HS256"},
      {"destinations.a.route.statuses", "draft,signed"},
      {"destinations.a.timeout_seconds", "200"},
      {"destinations.a.ca_file", "/nonexistent/ca.pem"},
      {"destinations.a.colour", "blue"},
      {"destinations.b.format", "yaml"},
      {"destinations.c.kind", "ehr"},
      {"destinations.c.base_url", "https://c.test"},
      {"destinations.c.auth", "mtls"},
      {"destinations.c.client_key_file", "/nonexistent/key.pem"},
      {"destinations.d.kind", "ehr"},
      {"destinations.d.base_url", "http://d.test"},
      {"destinations.d.insecure_skip_verify", "true"},
  }));
  BOOST_REQUIRE(!config.ok());
  const std::string all = allProblems(config.outcome());
  for (const char* expected : {
           "destinations.a.kind: 'hospital' is not one of ehr, payer, practice, webhook",
           "destinations.a.base_url: 'ftp://x' is not an http:// or https:// URL",
           "destinations.a.alg: 'HS256' is not one of RS384, ES384",
           "destinations.a.route.statuses: drafts never leave the gateway",
           "destinations.a.client_id: is required with auth = smart-backend",
           "destinations.a.private_key_file: is required with auth = smart-backend",
           "destinations.a.scope: is required with auth = smart-backend",
           "destinations.a.timeout_seconds: connect_timeout_seconds + timeout_seconds must stay "
           "below delivery.lease_seconds (120)",
           "destinations.d.base_url: TLS settings need an https:// base_url",
           "destinations.a.ca_file: /nonexistent/ca.pem is not a readable file",
           "destinations.a.colour: unknown key",
           "destinations.b.kind: is required",
           "destinations.b.base_url: is required",
           "destinations.b.format: 'yaml' is not one of json, xml",
           "destinations.c.client_cert_file: is required with auth = mtls",
           "destinations.c.client_cert_file: client_cert_file and client_key_file go together",
       }) {
    BOOST_TEST(all.find(expected) != std::string::npos, "missing: " << expected << "\nin:\n"
                                                                    << all);
  }
}

BOOST_AUTO_TEST_CASE(delivery_keys_are_read_and_checked) {
  auto config = readGatewayConfig(*mapConfig(
      {{"delivery.lease_seconds", "30"}, {"delivery.poll_ms", "50"}, {"delivery.batch", "4"}}));
  BOOST_REQUIRE(config.ok());
  BOOST_TEST(config->deliveryLeaseSeconds == 30);
  BOOST_TEST(config->deliveryPollMs == 50);
  BOOST_TEST(config->deliveryBatch == 4);
  auto bad = readGatewayConfig(*mapConfig({{"delivery.lease_seconds", "1"}}));
  BOOST_TEST(!bad.ok());
}

BOOST_AUTO_TEST_SUITE_END()

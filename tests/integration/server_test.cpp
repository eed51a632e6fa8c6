// The real server, in-process on port 0, called over HTTP.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Timespan.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <regex>
#include <set>
#include <thread>

#include "http_client.h"
#include "notebridge/gateway/gateway_server.h"
#include "notebridge/gateway/sqlite_store.h"
#include "shared_registry.h"
#include "temp_dir.h"

using namespace notebridge::gateway;
using notebridge::testing::httpRequest;
using notebridge::testing::TempDir;

namespace {

const char* kFhirJsonType = "application/fhir+json; charset=utf-8";

Poco::JSON::Object::Ptr parseObject(const std::string& body) {
  return Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
}

// A started server over a fresh SQLite database in a temp dir.
struct RunningServer {
  explicit RunningServer(std::vector<Route> extra = {}, int threads = 4, int queue = 64,
                         const std::function<void(GatewayConfig&)>& adjust = {}) {
    GatewayConfig config;
    config.port = 0;
    config.threads = threads;
    config.queue = queue;
    config.shutdownTimeoutSeconds = 10;
    config.dataDir = dir.path();
    if (adjust) adjust(config);
    store = *SqliteStore::open(config.effectiveDatabasePath());
    server =
        std::make_unique<GatewayServer>(config, store, notebridge::testing::sharedRegistry(),
                                        notebridge::testing::sharedValidator(), std::move(extra));
    BOOST_REQUIRE(server->start().empty());
    port = server->port();
  }
  ~RunningServer() {
    server->stop();
    store->close();
  }
  TempDir dir;
  std::shared_ptr<SqliteStore> store;
  std::unique_ptr<GatewayServer> server;
  std::uint16_t port = 0;
};

bool isUuid(const std::string& text) {
  static const std::regex kUuid(
      "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  return std::regex_match(text, kUuid);
}

void requireOperationOutcome(const notebridge::testing::HttpResult& result, const char* code) {
  BOOST_TEST(result.contentType == kFhirJsonType);
  auto outcome = parseObject(result.body);
  BOOST_TEST(outcome->getValue<std::string>("resourceType") == "OperationOutcome");
  auto issue = outcome->getArray("issue")->getObject(0);
  BOOST_TEST(issue->getValue<std::string>("code") == code);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(server)

BOOST_AUTO_TEST_CASE(health_and_readiness_answer) {
  RunningServer running;
  auto health = httpRequest(running.port, "GET", "/healthz");
  BOOST_TEST(health.status == 200);
  BOOST_TEST(parseObject(health.body)->getValue<std::string>("status") == "pass");
  auto ready = httpRequest(running.port, "GET", "/readyz");
  BOOST_TEST(ready.status == 200);
  BOOST_TEST(parseObject(ready.body)->getValue<std::string>("database") == "pass");
}

BOOST_AUTO_TEST_CASE(readiness_fails_when_the_database_is_gone) {
  RunningServer running;
  running.store->close();
  auto ready = httpRequest(running.port, "GET", "/readyz");
  BOOST_TEST(ready.status == 503);
  BOOST_TEST(ready.header("Retry-After") == "5");
  requireOperationOutcome(ready, "transient");
}

// The (type, code) pairs a CapabilityStatement advertises; type "" for system level.
std::set<std::pair<std::string, std::string>> advertised(const Poco::JSON::Object::Ptr& cs) {
  std::set<std::pair<std::string, std::string>> out;
  auto rest = cs->getArray("rest")->getObject(0);
  if (auto resources = rest->getArray("resource")) {
    for (std::size_t i = 0; i < resources->size(); ++i) {
      auto resource = resources->getObject(static_cast<unsigned>(i));
      auto interactions = resource->getArray("interaction");
      for (std::size_t k = 0; interactions && k < interactions->size(); ++k) {
        out.insert(
            {resource->getValue<std::string>("type"),
             interactions->getObject(static_cast<unsigned>(k))->getValue<std::string>("code")});
      }
    }
  }
  if (auto system = rest->getArray("interaction")) {
    for (std::size_t k = 0; k < system->size(); ++k) {
      out.insert({"", system->getObject(static_cast<unsigned>(k))->getValue<std::string>("code")});
    }
  }
  return out;
}

std::set<std::pair<std::string, std::string>> routed(const GatewayServer& server) {
  std::set<std::pair<std::string, std::string>> out;
  for (const auto& i : server.router().interactions()) out.insert({i.resourceType, i.code});
  return out;
}

BOOST_AUTO_TEST_CASE(metadata_is_a_capability_statement_listing_exactly_what_is_routed) {
  RunningServer running;
  auto metadata = httpRequest(running.port, "GET", "/fhir/metadata");
  BOOST_TEST(metadata.status == 200);
  BOOST_TEST(metadata.contentType == kFhirJsonType);
  auto cs = parseObject(metadata.body);
  BOOST_TEST(cs->getValue<std::string>("resourceType") == "CapabilityStatement");
  BOOST_TEST(cs->getValue<std::string>("fhirVersion") == "4.0.1");
  BOOST_TEST(cs->getValue<std::string>("kind") == "instance");
  BOOST_TEST(cs->getArray("rest")->getObject(0)->getValue<std::string>("mode") == "server");
  const auto listed = advertised(cs);
  BOOST_TEST(listed.size() == routed(*running.server).size());
  BOOST_TEST((listed == routed(*running.server)));
  BOOST_TEST(listed.count({"DocumentReference", "search-type"}) == 1u);
  BOOST_TEST(listed.count({"DocumentReference", "delete"}) == 0u);  // not served, not listed
  auto xml = httpRequest(running.port, "GET", "/fhir/metadata?_format=xml");
  BOOST_TEST(xml.contentType == "application/fhir+xml; charset=utf-8");
  BOOST_TEST(xml.body.find("<CapabilityStatement xmlns=\"http://hl7.org/fhir\">") == 0u);
}

BOOST_AUTO_TEST_CASE(a_routed_interaction_appears_in_the_capability_statement) {
  auto ok = [](HttpExchange& exchange) { exchange.send(200, kFhirJson, "{}"); };
  RunningServer running(
      {{"POST", "/fhir", ok, {{"", "transaction"}}, {}, Access::kFhir},
       {"DELETE", "/fhir/Goal/{id}", ok, {{"Goal", "delete"}}, {}, Access::kFhir}});
  const auto listed =
      advertised(parseObject(httpRequest(running.port, "GET", "/fhir/metadata").body));
  BOOST_TEST(listed.count({"", "transaction"}) == 1u);
  BOOST_TEST(listed.count({"Goal", "delete"}) == 1u);
  BOOST_TEST((listed == routed(*running.server)));
}

BOOST_AUTO_TEST_CASE(an_unknown_path_is_a_404_operation_outcome) {
  RunningServer running;
  auto result = httpRequest(running.port, "GET", "/nothing/here");
  BOOST_TEST(result.status == 404);
  requireOperationOutcome(result, "not-found");
}

BOOST_AUTO_TEST_CASE(a_wrong_method_is_a_405_operation_outcome_with_allow) {
  RunningServer running;
  auto result = httpRequest(running.port, "DELETE", "/fhir/metadata");
  BOOST_TEST(result.status == 405);
  BOOST_TEST(result.header("Allow") == "GET");
  requireOperationOutcome(result, "not-supported");
}

BOOST_AUTO_TEST_CASE(request_ids_are_echoed_when_well_formed_and_made_otherwise) {
  RunningServer running;
  auto given = httpRequest(running.port, "GET", "/healthz", {}, {{"X-Request-Id", "ehr-42.a_b:c"}});
  BOOST_TEST(given.header("X-Request-Id") == "ehr-42.a_b:c");
  auto made = httpRequest(running.port, "GET", "/healthz");
  BOOST_TEST(isUuid(made.header("X-Request-Id")));
  auto rejected =
      httpRequest(running.port, "GET", "/nope", {}, {{"X-Request-Id", "has spaces <script>"}});
  BOOST_TEST(isUuid(rejected.header("X-Request-Id")));
  auto tooLong =
      httpRequest(running.port, "GET", "/healthz", {}, {{"X-Request-Id", std::string(129, 'a')}});
  BOOST_TEST(isUuid(tooLong.header("X-Request-Id")));
}

BOOST_AUTO_TEST_CASE(a_handler_that_throws_gives_a_500_naming_the_request_id) {
  RunningServer running({{"GET",
                          "/boom",
                          [](HttpExchange&) -> void { throw std::runtime_error("secret detail"); },
                          {},
                          {},
                          Access::kPublic}});
  auto result = httpRequest(running.port, "GET", "/boom", {}, {{"X-Request-Id", "rid-1"}});
  BOOST_TEST(result.status == 500);
  requireOperationOutcome(result, "exception");
  BOOST_TEST(result.body.find("rid-1") != std::string::npos);
  BOOST_TEST(result.body.find("secret detail") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(stopping_finishes_in_flight_requests_then_refuses_new_ones) {
  std::promise<void> entered;
  auto slow = [&entered](HttpExchange& exchange) {
    entered.set_value();
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    exchange.send(200, kFhirJson, R"({"done":true})");
  };
  RunningServer running({{"GET", "/slow", slow, {}, {}, Access::kPublic}});
  auto inFlight = std::async(std::launch::async,
                             [port = running.port] { return httpRequest(port, "GET", "/slow"); });
  BOOST_REQUIRE(entered.get_future().wait_for(std::chrono::seconds(10)) ==
                std::future_status::ready);
  running.server->stop();
  auto result = inFlight.get();
  BOOST_TEST(result.status == 200);
  BOOST_TEST(result.body == R"({"done":true})");
  BOOST_CHECK_THROW(httpRequest(running.port, "GET", "/healthz"), Poco::Exception);
}

// limits.writeTimeoutSeconds: a client that stops reading its answer does not hold a worker
// longer than that (each send() gives up after it).
BOOST_AUTO_TEST_CASE(a_client_that_stops_reading_is_given_up_after_the_write_timeout) {
  std::promise<double> gaveUp;
  auto large = [&gaveUp](HttpExchange& exchange) {
    const auto started = std::chrono::steady_clock::now();
    try {
      exchange.send(200, kPlainJson, std::string(std::size_t{64} << 20, ' '));
    } catch (...) {
      gaveUp.set_value(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      throw;
    }
    gaveUp.set_value(-1);
  };
  RunningServer running({{"GET", "/large", large, {}, {}, Access::kPublic}}, 4, 64,
                        [](GatewayConfig& config) { config.writeTimeoutSeconds = 1; });
  for (int connection = 0; connection < 2; ++connection) {
    if (connection == 1) gaveUp = std::promise<double>();
    Poco::Net::StreamSocket client(Poco::Net::SocketAddress::IPv4);
    client.setReceiveBufferSize(4096);
    client.connect(Poco::Net::SocketAddress("127.0.0.1", running.port));
    const std::string request = "GET /large HTTP/1.1\r\nHost: localhost\r\n\r\n";
    client.sendBytes(request.data(), static_cast<int>(request.size()));
    auto seconds = gaveUp.get_future();
    const bool done = seconds.wait_for(std::chrono::seconds(20)) == std::future_status::ready;
    client.close();  // unblocks the worker if the timeout did not
    BOOST_REQUIRE(done);
    const double waited = seconds.get();
    BOOST_TEST(waited >= 0.9);
    BOOST_TEST(waited < 10);
  }
}

// limits.readTimeoutSeconds: a connection that sends no request is closed after it.
BOOST_AUTO_TEST_CASE(a_silent_connection_is_closed_after_the_read_timeout) {
  RunningServer running({}, 4, 64, [](GatewayConfig& config) { config.readTimeoutSeconds = 1; });
  Poco::Net::StreamSocket client(Poco::Net::SocketAddress("127.0.0.1", running.port));
  client.setReceiveTimeout(Poco::Timespan(20, 0));
  const auto started = std::chrono::steady_clock::now();
  char byte = 0;
  int got = -1;
  try {
    got = client.receiveBytes(&byte, 1);
  } catch (const Poco::Net::NetException&) {
    got = 0;  // reset instead of closed: closed all the same
  } catch (const Poco::TimeoutException&) {
    got = -1;
  }
  const double waited =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  BOOST_TEST(got == 0);
  BOOST_TEST(waited >= 0.9);
  BOOST_TEST(waited < 10);
}

// Requests on one kept-alive connection see the connection's own addresses, every time. The
// server listens on 0.0.0.0, so the connection's local address is not the listener's.
BOOST_AUTO_TEST_CASE(each_request_sees_the_client_and_server_address_of_its_connection) {
  auto addresses = [](HttpExchange& exchange) {
    exchange.send(200, kPlainJson,
                  exchange.request().clientAddress().toString() + " " +
                      exchange.request().serverAddress().toString());
  };
  RunningServer running({{"GET", "/addresses", addresses, {}, {}, Access::kPublic}}, 4, 64,
                        [](GatewayConfig& config) { config.host = "0.0.0.0"; });
  for (int connection = 0; connection < 2; ++connection) {
    Poco::Net::HTTPClientSession session("127.0.0.1", running.port);
    session.setKeepAlive(true);
    std::string first;
    for (int i = 0; i < 3; ++i) {
      auto result = notebridge::testing::httpRequest(session, "GET", "/addresses", {}, {}, "");
      BOOST_TEST(result.status == 200);
      if (i == 0) first = result.body;
      BOOST_TEST(result.body == first);
    }
    const std::string client = session.socket().address().toString();
    BOOST_TEST(first == client + " 127.0.0.1:" + std::to_string(running.port));
  }
}

BOOST_AUTO_TEST_CASE(a_saturated_server_sheds_load_with_503_and_retry_after) {
  std::promise<void> entered;
  auto slow = [&entered](HttpExchange& exchange) {
    entered.set_value();
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    exchange.send(200, kFhirJson, "{}");
  };
  // One worker and a queue of one: while the worker is busy, three more clients wait.
  RunningServer running({{"GET", "/slow", slow, {}, {}, Access::kPublic}}, 1, 1);
  auto busy = std::async(std::launch::async,
                         [port = running.port] { return httpRequest(port, "GET", "/slow"); });
  BOOST_REQUIRE(entered.get_future().wait_for(std::chrono::seconds(10)) ==
                std::future_status::ready);
  std::vector<std::future<notebridge::testing::HttpResult>> waiting;
  for (int i = 0; i < 3; ++i) {
    waiting.push_back(std::async(std::launch::async, [port = running.port] {
      return httpRequest(port, "GET", "/healthz");
    }));
  }
  BOOST_TEST(busy.get().status == 200);
  int shed = 0, served = 0;
  for (auto& f : waiting) {
    auto result = f.get();
    if (result.status == 503) {
      ++shed;
      BOOST_TEST(result.header("Retry-After") == "1");
      requireOperationOutcome(result, "transient");
    } else if (result.status == 200) {
      ++served;
    }
  }
  BOOST_TEST(shed >= 1);
  BOOST_TEST(served >= 1);
  BOOST_TEST(shed + served == 3);
}

BOOST_AUTO_TEST_CASE(a_port_in_use_is_reported_not_thrown) {
  RunningServer first;
  GatewayConfig config;
  config.port = first.port;
  GatewayServer second(config, first.store, notebridge::testing::sharedRegistry(),
                       notebridge::testing::sharedValidator());
  auto outcome = second.start();
  BOOST_REQUIRE(outcome.hasErrors());
  BOOST_TEST(outcome.issues().front().diagnostics.find("cannot listen") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

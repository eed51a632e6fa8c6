// HTTPS and mutual TLS with real certificates (made by tests/support/make-test-pki.sh).
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <future>

#include "http_client.h"
#include "notebridge/gateway/gateway_server.h"
#include "notebridge/gateway/sqlite_store.h"
#include "shared_registry.h"
#include "temp_dir.h"
#include "test_pki.h"

using namespace notebridge::gateway;
using notebridge::testing::httpRequest;
using notebridge::testing::TempDir;
using notebridge::testing::testPki;

namespace {

struct TlsServer {
  explicit TlsServer(bool mutual, std::vector<Route> extra = {}, int writeTimeoutSeconds = 30) {
    GatewayConfig config;
    config.port = 0;
    config.threads = 2;
    config.dataDir = dir.path();
    config.writeTimeoutSeconds = writeTimeoutSeconds;
    config.tlsCertificateFile = testPki() / "server.pem";
    config.tlsPrivateKeyFile = testPki() / "server.key";
    if (mutual) {
      config.tlsCaFile = testPki() / "ca.pem";
      config.tlsRequireClientCertificate = true;
    }
    store = *SqliteStore::open(config.effectiveDatabasePath());
    server =
        std::make_unique<GatewayServer>(config, store, notebridge::testing::sharedRegistry(),
                                        notebridge::testing::sharedValidator(), std::move(extra));
    BOOST_REQUIRE(server->start().empty());
    BOOST_TEST(std::string(server->scheme()) == "https");
  }
  ~TlsServer() {
    server->stop();
    store->close();
  }
  TempDir dir;
  std::shared_ptr<SqliteStore> store;
  std::unique_ptr<GatewayServer> server;
};

// A client that verifies the server against `ca` and, when given, presents a certificate.
Poco::Net::Context::Ptr clientContext(const std::string& ca, const std::string& certificate = {},
                                      const std::string& key = {}, bool tls11Only = false) {
  Poco::Net::initializeSSL();
  Poco::Net::Context::Params params;
  params.caLocation = (testPki() / ca).string();
  if (!certificate.empty()) {
    params.certificateFile = (testPki() / certificate).string();
    params.privateKeyFile = (testPki() / key).string();
  }
  params.verificationMode = Poco::Net::Context::VERIFY_RELAXED;
  Poco::Net::Context::Ptr context =
      new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
  if (tls11Only) {
    context->disableProtocols(Poco::Net::Context::PROTO_TLSV1_2 |
                              Poco::Net::Context::PROTO_TLSV1_3);
  }
  // Without a handler Poco would look for an Application's configuration; reject bad
  // certificates explicitly instead.
  Poco::Net::SSLManager::instance().initializeClient(
      nullptr, new Poco::Net::RejectCertificateHandler(false), context);
  return context;
}

notebridge::testing::HttpResult getMetadata(std::uint16_t port, Poco::Net::Context::Ptr context) {
  Poco::Net::HTTPSClientSession session("localhost", port, context);
  return httpRequest(session, "GET", "/fhir/metadata", {}, {}, {});
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tls)

BOOST_AUTO_TEST_CASE(https_serves_clients_that_trust_its_ca) {
  TlsServer s(false);
  auto result = getMetadata(s.server->port(), clientContext("ca.pem"));
  BOOST_TEST(result.status == 200);
  BOOST_TEST(result.body.find("CapabilityStatement") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_client_trusting_another_ca_refuses_the_server) {
  TlsServer s(false);
  BOOST_CHECK_THROW(getMetadata(s.server->port(), clientContext("rogue-ca.pem")), Poco::Exception);
}

BOOST_AUTO_TEST_CASE(plain_http_and_tls_1_1_are_refused) {
  TlsServer s(false);
  BOOST_CHECK_THROW(httpRequest(s.server->port(), "GET", "/fhir/metadata"), Poco::Exception);
  BOOST_CHECK_THROW(getMetadata(s.server->port(), clientContext("ca.pem", {}, {}, true)),
                    Poco::Exception);
}

BOOST_AUTO_TEST_CASE(mutual_tls_requires_a_certificate_from_the_configured_ca) {
  TlsServer s(true);
  auto good = getMetadata(s.server->port(), clientContext("ca.pem", "client.pem", "client.key"));
  BOOST_TEST(good.status == 200);
  BOOST_CHECK_THROW(getMetadata(s.server->port(), clientContext("ca.pem")), Poco::Exception);
  BOOST_CHECK_THROW(getMetadata(s.server->port(),
                                clientContext("ca.pem", "rogue-client.pem", "rogue-client.key")),
                    Poco::Exception);
}

// limits.writeTimeoutSeconds over TLS too: a client that stops reading its answer does not
// hold a worker longer than that.
BOOST_AUTO_TEST_CASE(a_tls_client_that_stops_reading_is_given_up_after_the_write_timeout) {
  std::promise<double> gaveUp;
  // Over TLS the failed write may end as a failed stream rather than an exception: either way
  // the worker is free once send() returns.
  auto large = [&gaveUp](HttpExchange& exchange) {
    const auto started = std::chrono::steady_clock::now();
    auto elapsed = [&] {
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    };
    try {
      exchange.send(200, kPlainJson, std::string(std::size_t{64} << 20, ' '));
    } catch (...) {
      gaveUp.set_value(elapsed());
      throw;
    }
    gaveUp.set_value(elapsed());
  };
  TlsServer s(false, {{"GET", "/large", large, {}, {}, Access::kPublic}}, 1);
  Poco::Net::StreamSocket plain(Poco::Net::SocketAddress::IPv4);
  plain.setReceiveBufferSize(4096);
  plain.connect(Poco::Net::SocketAddress("127.0.0.1", s.server->port()));
  Poco::Net::SecureStreamSocket client =
      Poco::Net::SecureStreamSocket::attach(plain, "localhost", clientContext("ca.pem"));
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

BOOST_AUTO_TEST_SUITE_END()

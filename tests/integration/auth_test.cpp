// Authentication and authorization over real HTTP: API keys on internal routes, bearer JWTs
// with SMART scopes on FHIR routes, and the body limit.
#include <Poco/JSON/Parser.h>

#include <sqlite3.h>

#include <boost/test/unit_test.hpp>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "http_client.h"
#include "notebridge/gateway/api_keys.h"
#include "notebridge/gateway/gateway_server.h"
#include "notebridge/gateway/jwt.h"
#include "notebridge/gateway/sqlite_store.h"
#include "process_runner.h"
#include "shared_registry.h"
#include "temp_dir.h"
#include "test_pki.h"

using namespace notebridge::gateway;
using notebridge::testing::httpRequest;
using notebridge::testing::readFile;
using notebridge::testing::runNotebridge;
using notebridge::testing::TempDir;
using notebridge::testing::testPki;

namespace {

// A server with one internal route, one FHIR route per resource type, and a body echo.
struct AuthServer {
  AuthServer() {
    GatewayConfig config;
    config.port = 0;
    config.threads = 4;
    config.dataDir = dir.path();
    config.maxBodyBytes = 4096;
    config.jwtKeyFiles = {testPki() / "rsa.pub.pem", testPki() / "ec.pub.pem"};
    config.jwtAudience = "https://gw.example/fhir";
    store = *SqliteStore::open(config.effectiveDatabasePath());
    auto ok = [](HttpExchange& exchange) {
      exchange.send(200, kPlainJson, R"({"who":")" + exchange.principal().id + R"("})");
    };
    auto echoLength = [](HttpExchange& exchange) {
      auto body = exchange.body();
      if (!body) return exchange.sendOutcome(body.outcome());
      exchange.send(200, kPlainJson, R"({"length":)" + std::to_string(body->size()) + "}");
    };
    std::vector<Route> routes = {
        {"GET", "/test/echo", ok, {}, {}, Access::kInternal},
        {"POST", "/test/echo", echoLength, {}, {}, Access::kInternal},
        {"GET",
         "/scoped/{type}/{id}",
         ok,
         {{"DocumentReference", "read"}, {"Patient", "read"}},
         {},
         Access::kFhir},
    };
    server =
        std::make_unique<GatewayServer>(config, store, notebridge::testing::sharedRegistry(),
                                        notebridge::testing::sharedValidator(), std::move(routes));
    BOOST_REQUIRE(server->start().empty());
    port = server->port();
  }
  ~AuthServer() {
    server->stop();
    store->close();
  }

  std::string token(const std::string& scope, std::int64_t lifetime = 300,
                    const std::string& alg = "RS384", const std::string& key = "rsa.key") {
    const std::int64_t now = std::time(nullptr);
    auto signedToken =
        signJwt(alg, readFile(testPki() / key), "",
                R"({"sub":"ehr-1","aud":"https://gw.example/fhir","exp":)" +
                    std::to_string(now + lifetime) + R"(,"scope":")" + scope + R"("})");
    BOOST_REQUIRE(signedToken.ok());
    return "Bearer " + *signedToken;
  }

  TempDir dir;
  std::shared_ptr<SqliteStore> store;
  std::unique_ptr<GatewayServer> server;
  std::uint16_t port = 0;
};

// Runs SQL on the database directly, as an operator with the sqlite3 shell would: no store, so
// no key-change marker is written.
void changeByHand(const std::filesystem::path& database, const std::string& sql) {
  sqlite3* db = nullptr;
  BOOST_REQUIRE(sqlite3_open_v2(database.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) ==
                SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  BOOST_TEST(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
}

std::string issueCode(const std::string& body) {
  auto outcome = Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
  return outcome->getArray("issue")->getObject(0)->getValue<std::string>("code");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(auth)

BOOST_AUTO_TEST_CASE(internal_routes_take_active_api_keys_only) {
  AuthServer s;
  auto key = createApiKey(*s.store, "practice EHR bridge", "2026-01-01T00:00:00Z");
  BOOST_REQUIRE(key.ok());

  auto none = httpRequest(s.port, "GET", "/test/echo");
  BOOST_TEST(none.status == 401);
  BOOST_TEST(issueCode(none.body) == "login");
  BOOST_TEST(none.header("WWW-Authenticate").find("Bearer") == 0u);

  auto good = httpRequest(s.port, "GET", "/test/echo", {}, {{"X-API-Key", key->token}});
  BOOST_TEST(good.status == 200);
  BOOST_TEST(good.body.find(key->record.id) != std::string::npos);
  auto asBearer =
      httpRequest(s.port, "GET", "/test/echo", {}, {{"Authorization", "Bearer " + key->token}});
  BOOST_TEST(asBearer.status == 200);

  std::string forged = key->token;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  BOOST_TEST(httpRequest(s.port, "GET", "/test/echo", {}, {{"X-API-Key", forged}}).status == 401);
  BOOST_TEST(
      httpRequest(s.port, "GET", "/test/echo", {}, {{"Authorization", s.token("system/*.*")}})
          .status == 401);

  BOOST_TEST(s.store->revokeApiKey(key->record.id).empty());
  BOOST_TEST(httpRequest(s.port, "GET", "/test/echo", {}, {{"X-API-Key", key->token}}).status ==
             401);
}

BOOST_AUTO_TEST_CASE(fhir_routes_enforce_smart_scopes_per_type_and_interaction) {
  AuthServer s;
  auto read = [&](const std::string& path, const std::string& authorization) {
    return httpRequest(s.port, "GET", path, {}, {{"Authorization", authorization}});
  };
  BOOST_TEST(httpRequest(s.port, "GET", "/scoped/Patient/1").status == 401);
  BOOST_TEST(read("/scoped/DocumentReference/1", s.token("system/DocumentReference.rs")).status ==
             200);
  BOOST_TEST(read("/scoped/DocumentReference/1", s.token("system/DocumentReference.read")).status ==
             200);
  BOOST_TEST(
      read("/scoped/DocumentReference/1", s.token("system/*.rs", 300, "ES384", "ec.key")).status ==
      200);

  auto denied = read("/scoped/Patient/1", s.token("system/DocumentReference.rs"));
  BOOST_TEST(denied.status == 403);
  BOOST_TEST(issueCode(denied.body) == "forbidden");
  BOOST_TEST(read("/scoped/Patient/1", s.token("system/Patient.c")).status == 403);

  BOOST_TEST(read("/scoped/Patient/1", s.token("system/Patient.rs", -120)).status == 401);
  BOOST_TEST(read("/scoped/Patient/1", s.token("system/Patient.rs", 300, "RS384", "other-rsa.key"))
                 .status == 401);
  auto key = createApiKey(*s.store, "not for FHIR", "2026-01-01T00:00:00Z");
  BOOST_TEST(read("/scoped/Patient/1", "Bearer " + key->token).status == 401);
}

BOOST_AUTO_TEST_CASE(bodies_over_the_limit_are_413_with_or_without_content_length) {
  AuthServer s;
  auto key = createApiKey(*s.store, "bridge", "2026-01-01T00:00:00Z");
  const std::map<std::string, std::string> auth = {{"X-API-Key", key->token}};
  auto small = httpRequest(s.port, "POST", "/test/echo", std::string(4000, 'x'), auth);
  BOOST_TEST(small.status == 200);
  BOOST_TEST(small.body == R"({"length":4000})");
  auto large = httpRequest(s.port, "POST", "/test/echo", std::string(5000, 'x'), auth);
  BOOST_TEST(large.status == 413);
  BOOST_TEST(issueCode(large.body) == "too-long");

  // Chunked: no Content-Length, so the limit is enforced while reading.
  Poco::Net::HTTPClientSession session("127.0.0.1", s.port);
  Poco::Net::HTTPRequest request("POST", "/test/echo", Poco::Net::HTTPMessage::HTTP_1_1);
  request.set("X-API-Key", key->token);
  request.setChunkedTransferEncoding(true);
  session.sendRequest(request) << std::string(5000, 'y');
  Poco::Net::HTTPResponse response;
  session.receiveResponse(response);
  BOOST_TEST(static_cast<int>(response.getStatus()) == 413);
}

// A verified key is remembered (a change made to the database by hand, bypassing the store, is
// not seen), yet `notebridge keys revoke` in another process is seen by the very next request,
// and keys added by the CLI work at once.
BOOST_AUTO_TEST_CASE(a_remembered_api_key_revoked_by_the_cli_is_refused_on_the_next_request) {
  AuthServer s;
  const std::filesystem::path config = s.dir.path() / "gateway.properties";
  std::ofstream(config) << "data.dir = " << s.dir.path().string() << "\n";
  auto added = runNotebridge({"keys", "add", "bridge", "--config", config.string()});
  BOOST_REQUIRE(added.exitCode == 0);
  const std::string token = added.out.substr(0, added.out.find('\n'));
  const std::string id = token.substr(3, token.find('_', 3) - 3);
  const std::map<std::string, std::string> auth = {{"X-API-Key", token}};

  BOOST_TEST(httpRequest(s.port, "GET", "/test/echo", {}, auth).status == 200);
  changeByHand(s.store->file(), "UPDATE api_keys SET secret_sha256 = 'x' WHERE id = '" + id + "'");
  BOOST_TEST(httpRequest(s.port, "GET", "/test/echo", {}, auth).status == 200);  // remembered
  changeByHand(s.store->file(), "UPDATE api_keys SET secret_sha256 = '" +
                                    sha256Hex(token.substr(4 + id.size())) + "' WHERE id = '" + id +
                                    "'");

  auto revoked = runNotebridge({"keys", "revoke", id, "--config", config.string()});
  BOOST_TEST(revoked.exitCode == 0, revoked.err);
  auto refused = httpRequest(s.port, "GET", "/test/echo", {}, auth);
  BOOST_TEST(refused.status == 401);
  BOOST_TEST(issueCode(refused.body) == "login");
  BOOST_TEST(httpRequest(s.port, "GET", "/test/echo", {}, auth).status == 401);

  auto again = runNotebridge({"keys", "add", "bridge again", "--config", config.string()});
  BOOST_REQUIRE(again.exitCode == 0);
  const std::string newToken = again.out.substr(0, again.out.find('\n'));
  auto fresh = httpRequest(s.port, "GET", "/test/echo", {}, {{"X-API-Key", newToken}});
  BOOST_TEST(fresh.status == 200);
  BOOST_TEST(fresh.body.find(newToken.substr(3, 12)) != std::string::npos);
  BOOST_TEST(httpRequest(s.port, "GET", "/test/echo", {}, auth).status == 401);
}

BOOST_AUTO_TEST_CASE(a_wrong_secret_for_a_remembered_key_id_is_refused) {
  AuthServer s;
  auto key = createApiKey(*s.store, "bridge", "2026-01-01T00:00:00Z");
  BOOST_REQUIRE(key.ok());
  const std::map<std::string, std::string> auth = {{"X-API-Key", key->token}};
  BOOST_TEST(httpRequest(s.port, "GET", "/test/echo", {}, auth).status == 200);
  for (const std::string& secret : {std::string("wrong"), std::string(), std::string(43, 'A'),
                                    key->token.substr(4 + key->record.id.size()) + "x"}) {
    const std::string forged = "nb_" + key->record.id + "_" + secret;
    BOOST_TEST(httpRequest(s.port, "GET", "/test/echo", {}, {{"X-API-Key", forged}}).status == 401,
               secret);
  }
  BOOST_TEST(httpRequest(s.port, "GET", "/test/echo", {}, auth).status == 200);
  // Revoked in this process, through the store the server uses: refused at once too.
  BOOST_TEST(s.store->revokeApiKey(key->record.id).empty());
  BOOST_TEST(httpRequest(s.port, "GET", "/test/echo", {}, auth).status == 401);
}

BOOST_AUTO_TEST_CASE(remembered_keys_are_read_again_after_the_ttl_or_without_a_marker) {
  TempDir dir;
  auto store = *SqliteStore::open(dir.path() / "keys.db");
  auto key = createApiKey(*store, "bridge", "2026-01-01T00:00:00Z");
  BOOST_REQUIRE(key.ok());
  const std::filesystem::path marker = apiKeyMarkerPath(store->file());
  BOOST_TEST(marker.filename() == "keys.db-keys");
  BOOST_TEST(std::filesystem::exists(marker));  // written by addApiKey
  const std::string revokeByHand =
      "UPDATE api_keys SET revoked_at = 'x' WHERE id = '" + key->record.id + "'";
  const std::string restoreByHand =
      "UPDATE api_keys SET revoked_at = NULL WHERE id = '" + key->record.id + "'";

  ApiKeyVerifier verifier(store, marker, std::chrono::seconds(60));
  BOOST_TEST(verifier.verify(key->token, 1000).ok());
  changeByHand(store->file(), revokeByHand);
  BOOST_TEST(verifier.verify(key->token, 1059).ok());   // remembered
  BOOST_TEST(!verifier.verify(key->token, 1060).ok());  // the ttl is over: read again

  // Without a marker nothing is remembered (here: removed while running).
  changeByHand(store->file(), restoreByHand);
  BOOST_TEST(verifier.verify(key->token, 2000).ok());
  std::filesystem::remove(marker);
  BOOST_TEST(verifier.verify(key->token, 2001).ok());
  changeByHand(store->file(), revokeByHand);
  BOOST_TEST(!verifier.verify(key->token, 2002).ok());

  // A verifier on a database whose marker is missing creates it.
  changeByHand(store->file(), restoreByHand);
  ApiKeyVerifier second(store, marker);
  BOOST_TEST(std::filesystem::exists(marker));
  BOOST_TEST(second.verify(key->token, 3000).ok());
  BOOST_TEST(!second.verify("nb_" + key->record.id + "_wrong", 3001).ok());
  BOOST_TEST(!second.verify("not a key", 3001).ok());
  store->close();
}

BOOST_AUTO_TEST_SUITE_END()

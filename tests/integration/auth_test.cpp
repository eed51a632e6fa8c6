// Authentication and authorization over real HTTP: API keys on internal routes, bearer JWTs
// with SMART scopes on FHIR routes, and the body limit.
#include <Poco/JSON/Parser.h>

#include <sqlite3.h>
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
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
namespace fhir = notebridge::fhir;

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

// A point of the key cache's (steady) clock, `seconds` after its epoch.
ApiKeyVerifier::Clock::time_point at(int seconds) {
  return ApiKeyVerifier::Clock::time_point(std::chrono::seconds(seconds));
}

// A store (forwarding to a real one) whose key read races a revocation: the first read of a key
// answers its hash and, before returning, the key is revoked by another process as
// `keys revoke` does (noting the change in the marker); from then on the key is unknown.
class RacingStore final : public Store {
 public:
  explicit RacingStore(std::shared_ptr<SqliteStore> inner) : inner_(std::move(inner)) {}

  std::optional<std::string> activeApiKeyHash(const std::string& id) override {
    if (revoked_) return std::nullopt;
    std::optional<std::string> hash = inner_->activeApiKeyHash(id);
    BOOST_TEST(noteApiKeyChange(inner_->file(), "revoke", id).empty());
    revoked_ = true;
    return hash;
  }

  fhir::Outcome ping() override { return inner_->ping(); }
  int schemaVersion() override { return inner_->schemaVersion(); }
  fhir::Outcome addApiKey(const ApiKeyRecord& key, const std::string& secretHash) override {
    return inner_->addApiKey(key, secretHash);
  }
  fhir::Result<std::vector<ApiKeyRecord>> listApiKeys() override { return inner_->listApiKeys(); }
  fhir::Outcome revokeApiKey(const std::string& id) override { return inner_->revokeApiKey(id); }
  fhir::Result<WriteResult> writeResource(const ResourceWrite& write) override {
    return inner_->writeResource(write);
  }
  fhir::Result<ResourceVersion> readResource(const std::string& type, const std::string& id,
                                             std::optional<int> version) override {
    return inner_->readResource(type, id, version);
  }
  fhir::Result<std::vector<ResourceVersion>> history(const std::string& type, const std::string& id,
                                                     int count) override {
    return inner_->history(type, id, count);
  }
  fhir::Result<SearchPage> search(const SearchQuery& query) override {
    return inner_->search(query);
  }
  fhir::Result<NoteWriteResult> writeNote(const NoteWrite& write) override {
    return inner_->writeNote(write);
  }
  fhir::Result<NoteRecord> readNote(const std::string& id, std::optional<int> version) override {
    return inner_->readNote(id, version);
  }
  fhir::Result<NotePage> listNotes(const NoteQuery& query) override {
    return inner_->listNotes(query);
  }
  fhir::Result<std::vector<NoteDelivery>> noteDeliveries(const std::string& id,
                                                         int version) override {
    return inner_->noteDeliveries(id, version);
  }
  fhir::Outcome writeResources(
      const std::function<fhir::Outcome(ResourceTransaction&)>& work) override {
    return inner_->writeResources(work);
  }
  void close() override { inner_->close(); }
  fhir::Result<std::vector<OutboxClaim>> claimDeliveries(const std::string& destination,
                                                         const std::string& worker, int limit,
                                                         const std::string& now,
                                                         const std::string& leaseUntil) override {
    return inner_->claimDeliveries(destination, worker, limit, now, leaseUntil);
  }
  fhir::Result<int> finishDeliveries(const std::string& worker,
                                     const std::vector<OutboxFinish>& results,
                                     const std::string& now) override {
    return inner_->finishDeliveries(worker, results, now);
  }
  fhir::Result<std::vector<OutboxRow>> listDeliveries(const OutboxQuery& query) override {
    return inner_->listDeliveries(query);
  }
  fhir::Result<OutboxRow> readDelivery(std::int64_t id) override {
    return inner_->readDelivery(id);
  }
  fhir::Result<OutboxRow> retryDelivery(std::int64_t id, const std::string& now) override {
    return inner_->retryDelivery(id, now);
  }

 private:
  std::shared_ptr<SqliteStore> inner_;
  bool revoked_ = false;
};

// Permission bits of `path`.
unsigned modeOf(const std::filesystem::path& path) {
  struct stat info {};
  BOOST_REQUIRE(::stat(path.c_str(), &info) == 0);
  return info.st_mode & 07777;
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
  BOOST_TEST(!std::filesystem::exists(marker));  // adding a key does not touch it
  const std::string revokeByHand =
      "UPDATE api_keys SET revoked_at = 'x' WHERE id = '" + key->record.id + "'";
  const std::string restoreByHand =
      "UPDATE api_keys SET revoked_at = NULL WHERE id = '" + key->record.id + "'";

  ApiKeyVerifier verifier(store, marker, std::chrono::seconds(60));
  BOOST_TEST(std::filesystem::exists(marker));  // made by the verifier
  BOOST_TEST(verifier.verify(key->token, at(1000)).ok());
  changeByHand(store->file(), revokeByHand);
  BOOST_TEST(verifier.verify(key->token, at(1059)).ok());   // remembered
  BOOST_TEST(!verifier.verify(key->token, at(1060)).ok());  // the ttl is over: read again

  // Without a marker nothing is remembered (here: removed while running).
  changeByHand(store->file(), restoreByHand);
  BOOST_TEST(verifier.verify(key->token, at(2000)).ok());
  std::filesystem::remove(marker);
  BOOST_TEST(verifier.verify(key->token, at(2001)).ok());
  changeByHand(store->file(), revokeByHand);
  BOOST_TEST(!verifier.verify(key->token, at(2002)).ok());

  // A verifier on a database whose marker is missing creates it.
  changeByHand(store->file(), restoreByHand);
  ApiKeyVerifier second(store, marker);
  BOOST_TEST(std::filesystem::exists(marker));
  BOOST_TEST(second.verify(key->token, at(3000)).ok());
  BOOST_TEST(!second.verify("nb_" + key->record.id + "_wrong", at(3001)).ok());
  BOOST_TEST(!second.verify("not a key", at(3001)).ok());
  store->close();
}

// The cache's correctness rests on its order: the marker is stat()ed before the store is read,
// and an entry is used only while the marker is unchanged since. A revocation noted while the
// key is being read must make the very next request read the store again.
BOOST_AUTO_TEST_CASE(a_key_revoked_while_it_is_being_read_is_refused_next_time) {
  TempDir dir;
  auto store = *SqliteStore::open(dir.path() / "keys.db");
  auto key = createApiKey(*store, "bridge", "2026-01-01T00:00:00Z");
  BOOST_REQUIRE(key.ok());
  auto racing = std::make_shared<RacingStore>(store);
  ApiKeyVerifier verifier(racing, apiKeyMarkerPath(store->file()));
  BOOST_TEST(verifier.verify(key->token, at(1000)).ok());  // read before the revocation
  BOOST_TEST(!verifier.verify(key->token, at(1001)).ok());
  BOOST_TEST(!verifier.verify(key->token, at(1002)).ok());
  store->close();
}

// The marker is made with the database's permission bits whatever the umask, so an operator who
// may write the database (its group) may also note a revocation.
BOOST_AUTO_TEST_CASE(the_marker_takes_the_permissions_of_its_database) {
  TempDir dir;
  auto store = *SqliteStore::open(dir.path() / "keys.db");
  auto key = createApiKey(*store, "bridge", "2026-01-01T00:00:00Z");
  BOOST_REQUIRE(key.ok());
  const std::filesystem::path marker = apiKeyMarkerPath(store->file());
  const mode_t previous = ::umask(022);
  BOOST_REQUIRE(::chmod(store->file().c_str(), 0660) == 0);
  BOOST_TEST(store->revokeApiKey(key->record.id).empty());  // by the store: creates the marker
  BOOST_TEST(modeOf(marker) == 0660u);

  std::filesystem::remove(marker);
  BOOST_REQUIRE(::chmod(store->file().c_str(), 0640) == 0);
  { ApiKeyVerifier verifier(store, marker); }  // by a gateway starting
  BOOST_TEST(modeOf(marker) == 0640u);
  ::umask(previous);
  store->close();
}

// When the marker cannot be written, a revocation is still committed and says that running
// gateways must be restarted (or keep the key up to 60 s); adding a key never needs the marker.
BOOST_AUTO_TEST_CASE(a_marker_that_cannot_be_written_fails_revoke_but_not_add) {
  TempDir dir;
  const std::filesystem::path config = dir.path() / "gateway.properties";
  std::ofstream(config) << "data.dir = " << dir.path().string() << "\n";
  auto added = runNotebridge({"keys", "add", "bridge", "--config", config.string()});
  BOOST_REQUIRE(added.exitCode == 0);
  const std::string token = added.out.substr(0, added.out.find('\n'));
  const std::string id = token.substr(3, token.find('_', 3) - 3);

  GatewayConfig gateway;
  gateway.dataDir = dir.path();
  const std::filesystem::path marker = apiKeyMarkerPath(gateway.effectiveDatabasePath());
  std::filesystem::create_directories(marker);  // where the marker goes: not writable as a file

  auto second = runNotebridge({"keys", "add", "second", "--config", config.string()});
  BOOST_TEST(second.exitCode == 0, second.err);
  BOOST_TEST(second.out.rfind("nb_", 0) == 0u);

  auto revoked = runNotebridge({"keys", "revoke", id, "--config", config.string()});
  BOOST_TEST(revoked.exitCode == 1);
  BOOST_TEST(revoked.err.find("restart") != std::string::npos, revoked.err);
  BOOST_TEST(revoked.err.find(marker.filename().string()) != std::string::npos, revoked.err);

  auto store = *SqliteStore::open(gateway.effectiveDatabasePath());
  BOOST_TEST(!verifyApiKey(*store, token).ok());  // committed all the same
  auto again = store->revokeApiKey(id);
  BOOST_TEST(again.hasErrors());  // no longer active
  store->close();
}

BOOST_AUTO_TEST_SUITE_END()

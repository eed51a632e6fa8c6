// Over HTTP: an answer never gets ahead of the fdatasync that makes a note durable (POST
// /notes, GET /notes, FHIR reads and searches), and a failed fdatasync is an error, never
// "stored".
#include <Poco/JSON/Parser.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <future>
#include <mutex>

#include "http_client.h"
#include "notebridge/gateway/api_keys.h"
#include "notebridge/gateway/gateway_server.h"
#include "notebridge/gateway/jwt.h"
#include "notebridge/gateway/sqlite_store.h"
#include "shared_registry.h"
#include "temp_dir.h"
#include "test_paths.h"
#include "test_pki.h"

using namespace notebridge::gateway;
using namespace std::chrono_literals;
using notebridge::testing::HttpResult;
using notebridge::testing::readFile;
using notebridge::testing::TempDir;
using notebridge::testing::testDataDir;
using notebridge::testing::testPki;

namespace {

struct DurabilityServer {
  DurabilityServer() {
    GatewayConfig config;
    config.port = 0;
    config.threads = 8;
    config.dataDir = dir.path();
    config.jwtKeyFiles = {testPki() / "rsa.pub.pem"};
    store = *SqliteStore::open(config.effectiveDatabasePath());
    apiKey = createApiKey(*store, "durability test", "2026-01-01T00:00:00Z")->token;
    bearer =
        "Bearer " + *signJwt("RS384", readFile(testPki() / "rsa.key"), "",
                             R"({"sub":"test","exp":)" + std::to_string(std::time(nullptr) + 600) +
                                 R"(,"scope":"system/*.rs"})");
    server = std::make_unique<GatewayServer>(config, store, notebridge::testing::sharedRegistry(),
                                             notebridge::testing::sharedValidator());
    BOOST_REQUIRE(server->start().empty());
    port = server->port();
  }
  ~DurabilityServer() {
    server->stop();
    store->close();
  }
  HttpResult call(const std::string& method, const std::string& path,
                  const std::string& body = {}) {
    return notebridge::testing::httpRequest(port, method, path, body, {{"X-API-Key", apiKey}},
                                            "application/json");
  }
  std::future<HttpResult> callLater(const std::string& method, const std::string& path,
                                    const std::string& body = {}) {
    return std::async(std::launch::async, [=, this] { return call(method, path, body); });
  }
  // A FHIR read or search (bearer token), answered later.
  std::future<HttpResult> fhirLater(const std::string& path) {
    return std::async(std::launch::async, [=, this] {
      return notebridge::testing::httpRequest(port, "GET", path, {}, {{"Authorization", bearer}},
                                              "application/fhir+json");
    });
  }

  TempDir dir;
  std::shared_ptr<SqliteStore> store;
  std::unique_ptr<GatewayServer> server;
  std::uint16_t port = 0;
  std::string apiKey;
  std::string bearer;
};

// The SOAP fixture under another note id.
std::string soapNote(const std::string& id) {
  std::string note = readFile(testDataDir() / "mappers" / "soap.note.json");
  const std::string from = R"("noteId": "N-2025-0412")";
  const std::size_t at = note.find(from);
  BOOST_REQUIRE(at != std::string::npos);
  note.replace(at, from.size(), R"("noteId": ")" + id + "\"");
  return note;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(durability)

BOOST_AUTO_TEST_CASE(no_answer_shows_a_note_before_its_wal_sync_has_ended) {
  // The sync's state is declared before the server (which calls the held sync), the calls'
  // futures after it, and the release after them: however the test ends (a BOOST_REQUIRE, an
  // HTTP timeout), the sync is released first, then the futures' destructors wait for their
  // calls, then the server stops.
  std::mutex mutex;
  std::condition_variable changed;
  bool entered = false, released = false;
  struct Release {
    std::mutex& mutex;
    std::condition_variable& changed;
    bool& released;
    ~Release() {
      std::lock_guard lock(mutex);
      released = true;
      changed.notify_all();
    }
  };
  DurabilityServer s;
  std::future<HttpResult> posted, read, listed, fhirSearch, fhirRead;
  const Release releaseFirst{mutex, changed, released};
  // A first note, durable: its Patient is the one the held note's client updates.
  const HttpResult first = s.call("POST", "/notes", soapNote("N-D0"));
  BOOST_REQUIRE_MESSAGE(first.status == 201, first.body);
  const std::string patient = Poco::JSON::Parser()
                                  .parse(first.body)
                                  .extract<Poco::JSON::Object::Ptr>()
                                  ->getObject("fhir")
                                  ->getValue<std::string>("Patient");
  s.store->setWalSyncForTesting([&](int fd) {
    std::unique_lock lock(mutex);
    entered = true;
    changed.notify_all();
    changed.wait(lock, [&] { return released; });
    return ::fdatasync(fd);
  });

  posted = s.callLater("POST", "/notes", soapNote("N-D1"));
  bool started = false;
  {
    std::unique_lock lock(mutex);
    started = changed.wait_for(lock, 10s, [&] { return entered; });
  }
  BOOST_REQUIRE_MESSAGE(started, "the note's sync never started");
  // The note is committed; neither its POST nor a GET of it (as a note or as FHIR) may answer.
  read = s.callLater("GET", "/notes/N-D1");
  listed = s.callLater("GET", "/notes");
  fhirSearch = s.fhirLater("/fhir/DocumentReference");
  fhirRead = s.fhirLater("/fhir/" + patient);
  BOOST_TEST((posted.wait_for(300ms) == std::future_status::timeout));
  BOOST_TEST((read.wait_for(0ms) == std::future_status::timeout));
  BOOST_TEST((listed.wait_for(0ms) == std::future_status::timeout));
  BOOST_TEST((fhirSearch.wait_for(0ms) == std::future_status::timeout));
  BOOST_TEST((fhirRead.wait_for(0ms) == std::future_status::timeout));
  // Readiness does not wait for the disk.
  BOOST_TEST(notebridge::testing::httpRequest(s.port, "GET", "/readyz").status == 200);
  {
    std::lock_guard lock(mutex);
    released = true;
    changed.notify_all();
  }
  const HttpResult created = posted.get();
  BOOST_TEST(created.status == 201, created.body);
  BOOST_TEST(read.get().status == 200);
  BOOST_TEST(listed.get().body.find("N-D1") != std::string::npos);
  const HttpResult found = fhirSearch.get();
  BOOST_TEST(found.status == 200);
  BOOST_TEST(found.body.find("\"total\":2") != std::string::npos, found.body);
  BOOST_TEST(fhirRead.get().status == 200);
}

BOOST_AUTO_TEST_CASE(a_failed_wal_sync_is_an_error_and_the_gateway_is_not_ready) {
  DurabilityServer s;
  BOOST_REQUIRE(s.call("POST", "/notes", soapNote("N-D2")).status == 201);
  s.store->setWalSyncForTesting([](int) {
    errno = EIO;
    return -1;
  });
  const HttpResult failed = s.call("POST", "/notes", soapNote("N-D3"));
  BOOST_TEST(failed.status == 500, failed.body);
  BOOST_TEST(failed.body.find("durable") != std::string::npos);
  BOOST_TEST(s.call("GET", "/notes/N-D3").status != 200);
  BOOST_TEST(s.call("POST", "/notes", soapNote("N-D4")).status == 500);
  BOOST_TEST(notebridge::testing::httpRequest(s.port, "GET", "/readyz").status == 503);
}

BOOST_AUTO_TEST_SUITE_END()

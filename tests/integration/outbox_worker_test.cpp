// The outbox workers in-process: SQLite outbox, forwarders, a scripted receiver.
#include "notebridge/gateway/outbox_worker.h"

#include <boost/test/unit_test.hpp>
#include <thread>

#include "note_bundles.h"
#include "notebridge/gateway/sqlite_store.h"
#include "scripted_receiver.h"
#include "shared_registry.h"
#include "temp_dir.h"

using namespace notebridge::gateway;
using namespace std::chrono_literals;
using notebridge::testing::Scripted;
using notebridge::testing::ScriptedReceiver;

namespace {

struct WorkerFixture {
  WorkerFixture() { store = *SqliteStore::open(dir.path() / "nb.db"); }
  ~WorkerFixture() {
    if (worker) worker->stop();
    store->close();
  }

  DestinationConfig destination() const {
    DestinationConfig d;
    d.name = "ehr";
    d.baseUrl = receiver.baseUrl();
    d.interaction = DeliveryInteraction::kPut;
    d.concurrency = 2;
    d.timeoutSeconds = 5;
    d.retry.baseBackoff = 20ms;
    d.retry.maxBackoff = 100ms;
    d.retry.maxAttempts = 4;
    d.breakerFailures = 1000;
    return d;
  }

  void start(const DestinationConfig& d) {
    auto transform = std::make_shared<const OutboundTransform>(
        notebridge::testing::sharedRegistry(), notebridge::testing::sharedValidator());
    OutboxWorkerOptions options;
    options.instanceId = "test";
    options.pollMs = 20;
    options.batch = 4;
    worker = std::make_unique<OutboxWorker>(
        store, std::vector<std::shared_ptr<Forwarder>>{*Forwarder::create(d, transform)}, options);
    worker->start();
  }

  void addNote(const std::string& id) {
    NoteWrite write;
    write.note.id = id;
    write.note.version = 1;
    write.note.clientId = "C-1001";
    write.note.status = "signed";
    write.note.source = "internal";
    write.note.contentHash = id;
    write.note.noteJson = "{}";
    write.note.bundleJson = notebridge::testing::sampleBundleJson(id);
    write.destinations = {"ehr"};
    BOOST_REQUIRE(store->writeNote(write).ok());
  }

  std::vector<OutboxRow> rows(const std::string& state = {}) {
    OutboxQuery query;
    query.state = state;
    query.count = 1000;
    return *store->listDeliveries(query);
  }

  // Waits (bounded) until `done` holds.
  template <typename Done>
  bool waitFor(Done done, std::chrono::seconds limit = 30s) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      if (done()) return true;
      std::this_thread::sleep_for(20ms);
    }
    return done();
  }

  notebridge::testing::TempDir dir;
  std::shared_ptr<SqliteStore> store;
  ScriptedReceiver receiver;
  std::unique_ptr<OutboxWorker> worker;
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(outbox_worker, WorkerFixture)

BOOST_AUTO_TEST_CASE(every_note_is_delivered_with_its_receipt) {
  for (int i = 0; i < 12; ++i) addNote("N-W" + std::to_string(i));
  start(destination());
  BOOST_REQUIRE(waitFor([&] { return rows("delivered").size() == 12u; }));
  BOOST_TEST(receiver.countByIdentifier("DocumentReference").size() == 12u);
  for (const OutboxRow& row : rows()) {
    BOOST_TEST(row.attempts == 1);
    BOOST_TEST(row.receipt.find("\"status\":201") != std::string::npos, row.receipt);
    BOOST_TEST(row.receipt.find("\"id\":\"DocumentReference/") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(server_errors_are_retried_and_refusals_go_to_dead_letter_with_the_reason) {
  // Each note is many PUTs; the first two requests fail (two attempts), then all is well.
  receiver.script({Scripted::respond(503), Scripted::respond(500)});
  addNote("N-RETRY");
  DestinationConfig d = destination();
  d.concurrency = 1;
  start(d);
  BOOST_REQUIRE(waitFor([&] { return rows("delivered").size() == 1u; }));
  BOOST_TEST(rows().front().attempts == 3);
  receiver.script({Scripted::respond(422, Scripted::outcome("required", "no period end"))});
  addNote("N-REFUSED");
  BOOST_REQUIRE(waitFor([&] { return rows("dead-letter").size() == 1u; }));
  const OutboxRow dead = rows("dead-letter").front();
  BOOST_TEST(dead.noteId == "N-REFUSED");
  BOOST_TEST(dead.attempts == 1);
  BOOST_TEST(dead.lastError.find("HTTP 422: error required: no period end") == 0u, dead.lastError);
}

BOOST_AUTO_TEST_CASE(attempts_run_out_into_dead_letter) {
  std::vector<Scripted> failures(10, Scripted::respond(503));
  receiver.script(failures);
  addNote("N-GIVEUP");
  DestinationConfig d = destination();
  d.concurrency = 1;
  start(d);
  BOOST_REQUIRE(waitFor([&] { return rows("dead-letter").size() == 1u; }));
  BOOST_TEST(rows().front().attempts == 4);
  BOOST_TEST(rows().front().lastError.find("gave up after 4 attempts: HTTP 503") == 0u);
}

BOOST_AUTO_TEST_CASE(the_circuit_opens_after_consecutive_failures_and_holds_the_rest) {
  std::vector<Scripted> failures(3, Scripted::respond(503));
  receiver.script(failures);
  for (int i = 0; i < 6; ++i) addNote("N-BRK" + std::to_string(i));
  DestinationConfig d = destination();
  d.concurrency = 1;
  d.breakerFailures = 3;
  d.breakerOpenSeconds = 2;
  d.retry.maxAttempts = 10;
  start(d);
  BOOST_REQUIRE(waitFor([&] { return worker->breaker("ehr").open; }, 10s));
  // While open nothing is sent: three failed requests, nothing else.
  std::this_thread::sleep_for(300ms);
  BOOST_TEST(receiver.requestCount() == 3);
  // After open_seconds a trial succeeds, the circuit closes, and everything goes.
  BOOST_REQUIRE(waitFor([&] { return rows("delivered").size() == 6u; }));
  BOOST_TEST(!worker->breaker("ehr").open);
  BOOST_TEST(receiver.countByIdentifier("DocumentReference").size() == 6u);
}

BOOST_AUTO_TEST_SUITE_END()

// The outbox in SQLite: claims under a lease, how deliveries end, listings and retry.
#include <boost/test/unit_test.hpp>

#include "notebridge/gateway/outbox_worker.h"
#include "notebridge/gateway/sqlite_store.h"
#include "temp_dir.h"

using namespace notebridge::gateway;
using notebridge::testing::TempDir;

namespace {

struct OutboxFixture {
  OutboxFixture() { store = *SqliteStore::open(dir.path() / "nb.db"); }
  ~OutboxFixture() { store->close(); }

  // A note with outbox rows for `destinations`; returns their ids in order.
  std::vector<std::int64_t> addNote(const std::string& id, std::vector<std::string> destinations) {
    NoteWrite write;
    write.note.id = id;
    write.note.version = 1;
    write.note.clientId = "C-1";
    write.note.status = "signed";
    write.note.source = "internal";
    write.note.contentHash = "hash-" + id;
    write.note.noteJson = "{}";
    write.note.bundleJson = "{\"bundle\":\"" + id + "\"}";
    write.destinations = std::move(destinations);
    auto written = store->writeNote(write);
    BOOST_REQUIRE_MESSAGE(written.ok(),
                          (written.ok() ? "" : written.outcome().issues().front().diagnostics));
    std::vector<std::int64_t> ids;
    for (const auto& d : written->deliveries) ids.push_back(d.id);
    return ids;
  }

  TempDir dir;
  std::shared_ptr<SqliteStore> store;
};

const std::string kT0 = "2099-01-01T00:00:00.000Z";
const std::string kT1 = "2099-01-01T00:01:00.000Z";
const std::string kT2 = "2099-01-01T00:02:00.000Z";
const std::string kT3 = "2099-01-01T00:03:00.000Z";

}  // namespace

BOOST_FIXTURE_TEST_SUITE(sqlite_outbox, OutboxFixture)

BOOST_AUTO_TEST_CASE(claims_take_due_rows_of_one_destination_once_with_the_bundle) {
  addNote("N1", {"ehr", "payer"});
  addNote("N2", {"ehr"});
  auto first = store->claimDeliveries("ehr", "w1", 1, kT0, kT1);
  BOOST_REQUIRE(first.ok());
  BOOST_REQUIRE(first->size() == 1u);
  BOOST_TEST(first->front().row.noteId == "N1");
  BOOST_TEST(first->front().row.state == "in-flight");
  BOOST_TEST(first->front().row.attempts == 1);
  BOOST_TEST(first->front().bundleJson == "{\"bundle\":\"N1\"}");
  auto second = store->claimDeliveries("ehr", "w2", 10, kT0, kT1);
  BOOST_REQUIRE(second->size() == 1u);
  BOOST_TEST(second->front().row.noteId == "N2");
  BOOST_TEST(store->claimDeliveries("ehr", "w3", 10, kT0, kT1)->empty());
  auto payer = store->claimDeliveries("payer", "w1", 10, kT0, kT1);
  BOOST_TEST(payer->size() == 1u);
}

BOOST_AUTO_TEST_CASE(an_expired_lease_makes_a_row_claimable_again_and_the_late_worker_is_ignored) {
  addNote("N1", {"ehr"});
  auto claimed = store->claimDeliveries("ehr", "crashed", 1, kT0, kT1);
  BOOST_REQUIRE(claimed->size() == 1u);
  BOOST_TEST(store->claimDeliveries("ehr", "w2", 1, "2099-01-01T00:00:30.000Z", kT2)->empty());
  auto again = store->claimDeliveries("ehr", "w2", 1, kT1, kT2);
  BOOST_REQUIRE(again->size() == 1u);
  BOOST_TEST(again->front().row.attempts == 2);  // the crashed attempt counts
  const std::int64_t id = again->front().row.id;
  // A record travels with its finish: stored only when the finish counts.
  const auto audit = [](const std::string& id) {
    ResourceWrite write;
    write.type = "AuditEvent";
    write.id = id;
    write.mustNotExist = true;
    write.render = [id](const ResourceVersion&) {
      return R"({"resourceType":"AuditEvent","id":")" + id + R"("})";
    };
    return write;
  };
  // The first worker comes back late: its result (and its record) no longer count.
  auto late =
      store->finishDeliveries("crashed", {{id, "delivered", "", "late", "", audit("a-late")}}, kT1);
  BOOST_TEST(*late == 0);
  BOOST_TEST(!store->readResource("AuditEvent", "a-late", std::nullopt));
  auto done = store->finishDeliveries(
      "w2", {{id, "delivered", "", "HTTP 201", R"({"status":201})", audit("a-w2")}}, kT2);
  BOOST_TEST(*done == 1);
  BOOST_TEST(store->readResource("AuditEvent", "a-w2", std::nullopt).ok());
  auto row = store->readDelivery(id);
  BOOST_TEST(row->state == "delivered");
  BOOST_TEST(row->receipt == R"({"status":201})");
  BOOST_TEST(row->claimedBy.empty());
  BOOST_TEST(store->claimDeliveries("ehr", "w3", 1, kT3, kT3)->empty());
}

BOOST_AUTO_TEST_CASE(a_rescheduled_row_waits_for_its_time) {
  addNote("N1", {"ehr"});
  auto claimed = store->claimDeliveries("ehr", "w", 1, kT0, kT1);
  const std::int64_t id = claimed->front().row.id;
  store->finishDeliveries("w", {{id, "pending", kT2, "HTTP 503", "", {}}}, kT0);
  BOOST_TEST(store->claimDeliveries("ehr", "w", 1, kT1, kT2)->empty());
  auto due = store->claimDeliveries("ehr", "w", 1, kT2, kT3);
  BOOST_REQUIRE(due->size() == 1u);
  BOOST_TEST(due->front().row.lastError == "HTTP 503");
}

BOOST_AUTO_TEST_CASE(dead_letters_are_listed_and_retried) {
  auto ids = addNote("N1", {"ehr", "payer"});
  addNote("N2", {"ehr"});
  auto claimed = store->claimDeliveries("ehr", "w", 10, kT0, kT1);
  BOOST_REQUIRE(claimed->size() == 2u);
  store->finishDeliveries(
      "w",
      {{claimed->at(0).row.id, "dead-letter", "", "HTTP 422: error required: period end", "", {}},
       {claimed->at(1).row.id, "delivered", "", "HTTP 201", "", {}}},
      kT1);
  OutboxQuery dead;
  dead.state = "dead-letter";
  auto listed = store->listDeliveries(dead);
  BOOST_REQUIRE(listed->size() == 1u);
  BOOST_TEST(listed->front().lastError == "HTTP 422: error required: period end");
  OutboxQuery byNote;
  byNote.noteId = "N1";
  BOOST_TEST(store->listDeliveries(byNote)->size() == 2u);
  OutboxQuery byDestination;
  byDestination.destination = "payer";
  BOOST_TEST(store->listDeliveries(byDestination)->size() == 1u);

  auto retried = store->retryDelivery(listed->front().id, kT2);
  BOOST_REQUIRE(retried.ok());
  BOOST_TEST(retried->state == "pending");
  BOOST_TEST(retried->attempts == 0);
  BOOST_TEST(store->claimDeliveries("ehr", "w", 10, kT2, kT3)->size() == 1u);
  // Only dead-letters can be retried.
  auto notDead = store->retryDelivery(claimed->at(1).row.id, kT2);
  BOOST_REQUIRE(!notDead.ok());
  BOOST_TEST(notDead.outcome().issues().front().code == "conflict");
  BOOST_TEST(store->retryDelivery(999999, kT2).outcome().issues().front().code == "not-found");
  (void)ids;
}

BOOST_AUTO_TEST_CASE(instants_are_formatted_like_the_store_writes_them) {
  const auto at = std::chrono::system_clock::from_time_t(1795939200) + std::chrono::milliseconds(7);
  BOOST_TEST(formatInstant(at) == "2026-11-29T08:00:00.007Z");
}

BOOST_AUTO_TEST_SUITE_END()

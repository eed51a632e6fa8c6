#include "notebridge/gateway/sqlite_store.h"

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>

#include "temp_dir.h"

using namespace notebridge::gateway;
using namespace Poco::Data::Keywords;
using notebridge::testing::TempDir;

namespace {
const Migration kOne{1, "one", {"CREATE TABLE a (x INTEGER)"}};
const Migration kTwo{2, "two", {"CREATE TABLE b (y INTEGER)"}};
const Migration kThree{3, "three", {"CREATE TABLE c (z INTEGER)"}};

int countTables(const std::filesystem::path& file, const std::string& name) {
  Poco::Data::SQLite::Connector::registerConnector();
  Poco::Data::Session session("SQLite", file.string());
  int count = 0;
  std::string n = name;
  session << "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?", use(n),
      into(count), now;
  return count;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(sqlite_store)

BOOST_AUTO_TEST_CASE(creates_the_file_and_its_directory_in_wal_mode_at_the_latest_version) {
  TempDir dir;
  const auto file = dir.path() / "nested" / "notebridge.db";
  auto store = SqliteStore::open(file);
  BOOST_REQUIRE(store.ok());
  BOOST_TEST((*store)->schemaVersion() == sqliteMigrations().back().version);
  BOOST_TEST((*store)->ping().empty());
  Poco::Data::Session session("SQLite", file.string());
  std::string mode;
  session << "PRAGMA journal_mode", into(mode), now;
  BOOST_TEST(mode == "wal");
}

BOOST_AUTO_TEST_CASE(later_migrations_are_applied_once_in_order) {
  TempDir dir;
  const auto file = dir / "db.sqlite";
  {
    auto store = SqliteStore::open(file, {kOne, kTwo});
    BOOST_REQUIRE(store.ok());
    BOOST_TEST((*store)->schemaVersion() == 2);
  }
  {
    // Reopening with one more migration applies only that one (the first two would fail if rerun).
    auto store = SqliteStore::open(file, {kOne, kTwo, kThree});
    BOOST_REQUIRE(store.ok());
    BOOST_TEST((*store)->schemaVersion() == 3);
  }
  BOOST_TEST(countTables(file, "c") == 1);
}

BOOST_AUTO_TEST_CASE(a_failing_migration_is_rolled_back_and_reported) {
  TempDir dir;
  const auto file = dir / "db.sqlite";
  const Migration broken{2, "broken", {"CREATE TABLE d (w INTEGER)", "THIS IS NOT SQL"}};
  auto store = SqliteStore::open(file, {kOne, broken});
  BOOST_REQUIRE(!store.ok());
  BOOST_TEST(store.outcome().issues().front().diagnostics.find("cannot open database") !=
             std::string::npos);
  BOOST_TEST(countTables(file, "d") == 0);
  auto again = SqliteStore::open(file, {kOne});
  BOOST_REQUIRE(again.ok());
  BOOST_TEST((*again)->schemaVersion() == 1);
}

BOOST_AUTO_TEST_CASE(a_database_newer_than_the_program_is_refused) {
  TempDir dir;
  const auto file = dir / "db.sqlite";
  BOOST_REQUIRE(SqliteStore::open(file, {kOne, kTwo}).ok());
  auto older = SqliteStore::open(file, {kOne});
  BOOST_REQUIRE(!older.ok());
  BOOST_TEST(older.outcome().issues().front().diagnostics.find("schema version 2") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_closed_store_is_not_ready) {
  TempDir dir;
  auto store = SqliteStore::open(dir / "db.sqlite");
  BOOST_REQUIRE(store.ok());
  (*store)->close();
  (*store)->close();
  BOOST_TEST((*store)->ping().hasErrors());
}

namespace {

ResourceWrite indexedWrite(const std::string& type, const std::string& id,
                           std::vector<IndexEntry> index) {
  ResourceWrite write;
  write.type = type;
  write.id = id;
  write.index = std::move(index);
  write.render = [type, id](const ResourceVersion& v) {
    return R"({"resourceType":")" + type + R"(","id":")" + id + R"(","meta":{"versionId":")" +
           std::to_string(v.version) + R"("}})";
  };
  return write;
}

// Rows of `sql` (one text column), in order.
std::vector<std::string> texts(Poco::Data::Session& session, const std::string& sql) {
  std::vector<std::string> out;
  session << sql, into(out), now;
  return out;
}

// A session on `file` whose table deleted_rows (param, value) records every search_index row
// deleted from then on, by any connection (a trigger).
Poco::Data::Session recordIndexDeletes(const std::filesystem::path& file) {
  Poco::Data::SQLite::Connector::registerConnector();
  Poco::Data::Session session("SQLite", file.string());
  session << "CREATE TABLE deleted_rows (param TEXT, value TEXT)", now;
  session << "CREATE TRIGGER record_deletes AFTER DELETE ON search_index BEGIN "
             "INSERT INTO deleted_rows VALUES (old.param, old.value); END",
      now;
  return session;
}

}  // namespace

BOOST_AUTO_TEST_CASE(an_update_rewrites_only_the_index_rows_that_changed) {
  // The new version's index replaces the old one exactly; rows the two versions share are
  // left in place rather than deleted and inserted again.
  TempDir dir;
  const auto file = dir / "db.sqlite";
  auto store = *SqliteStore::open(file);
  const IndexEntry code{"code", "token", "urn:x", "a", ""};
  const IndexEntry subject{"subject", "reference", "", "Patient/p-1", ""};
  BOOST_REQUIRE(store
                    ->writeResource(indexedWrite(
                        "Observation", "o-1",
                        {code, {"date", "date", "", "2026-01-01", "2026-01-02"}, subject}))
                    .ok());
  Poco::Data::Session session = recordIndexDeletes(file);
  // The subject's target is stored now: the update indexes it as "#rid" instead of the text.
  auto patient = store->writeResource(indexedWrite("Patient", "p-1", {}));
  BOOST_REQUIRE(patient.ok());
  auto updated = store->writeResource(
      indexedWrite("Observation", "o-1",
                   {code, {"date", "date", "", "2026-03-01", "2026-03-02"}, subject, code}));
  BOOST_REQUIRE(updated.ok());
  BOOST_TEST(updated->written.version == 2);
  const std::string patientRid =
      texts(session, "SELECT rid FROM resources WHERE type = 'Patient' AND id = 'p-1'").front();
  const std::vector<std::string> rows = texts(
      session,
      "SELECT i.param || '=' || i.value || '|' || i.system || '|' || i.high FROM search_index i "
      "JOIN resources r ON r.rid = i.rid WHERE r.type = 'Observation' AND r.id = 'o-1' "
      "ORDER BY 1");
  const std::vector<std::string> expected = {"code=a|urn:x|", "date=2026-03-01||2026-03-02",
                                             "subject=#" + patientRid + "||"};
  BOOST_TEST(rows == expected, boost::test_tools::per_element());
  const std::vector<std::string> deleted =
      texts(session, "SELECT param || '=' || value FROM deleted_rows ORDER BY 1");
  const std::vector<std::string> expectedDeleted = {"date=2026-01-01", "subject=Patient/p-1"};
  BOOST_TEST(deleted == expectedDeleted, boost::test_tools::per_element());
  // Searches see the new rows only.
  SearchQuery query;
  query.type = "Observation";
  SearchCriterion byDate;
  byDate.param = "date";
  byDate.kind = "date";
  byDate.alternatives.push_back({"eq", "", false, "2026-01-01", "2026-01-02"});
  query.criteria = {byDate};
  BOOST_TEST(store->search(query)->total == 0);
  query.criteria.front().alternatives.front() = {"eq", "", false, "2026-03-01", "2026-03-02"};
  BOOST_TEST(store->search(query)->total == 1);
  store->close();
}

BOOST_AUTO_TEST_CASE(an_update_of_a_resource_with_twenty_thousand_index_rows_keeps_the_right_ones) {
  // The diff of the stored rows against the new version's at a size where a quadratic one
  // would take minutes: half the identifiers stay, half change, some are given twice, and one
  // row is new.
  TempDir dir;
  const auto file = dir / "db.sqlite";
  auto store = *SqliteStore::open(file);
  constexpr int kRows = 20000;
  std::vector<IndexEntry> before;
  std::vector<IndexEntry> after;
  for (int i = 0; i < kRows; ++i) {
    // Written in an order that is not the sorted one.
    const int n = (i * 7919) % kRows;
    const std::string id = std::to_string(n);
    before.push_back({"identifier", "token", "urn:x", "v-" + id, ""});
    after.push_back({"identifier", "token", "urn:x", (n % 2 == 0 ? "v-" : "w-") + id, ""});
    if (n % 1000 == 0) after.push_back(after.back());  // the same row twice
  }
  after.push_back({"code", "token", "urn:c", "new", ""});
  BOOST_REQUIRE(store->writeResource(indexedWrite("Basic", "many", before)).ok());
  Poco::Data::Session session = recordIndexDeletes(file);
  auto updated = store->writeResource(indexedWrite("Basic", "many", after));
  BOOST_REQUIRE(updated.ok());
  BOOST_TEST(updated->written.version == 2);
  const std::vector<std::string> rows =
      texts(session,
            "SELECT i.param || '=' || i.value || '|' || i.system FROM search_index i "
            "JOIN resources r ON r.rid = i.rid WHERE r.type = 'Basic' AND r.id = 'many' "
            "ORDER BY 1");
  std::vector<std::string> expected;
  for (int n = 0; n < kRows; ++n) {
    expected.push_back("identifier=" + std::string(n % 2 == 0 ? "v-" : "w-") + std::to_string(n) +
                       "|urn:x");
  }
  expected.push_back("code=new|urn:c");
  std::sort(expected.begin(), expected.end());
  BOOST_TEST(rows.size() == expected.size());
  BOOST_TEST(rows == expected);
  // Only the changed rows were deleted: the odd ones, once each.
  std::vector<std::string> deleted = texts(session, "SELECT value FROM deleted_rows ORDER BY 1");
  std::vector<std::string> expectedDeleted;
  for (int n = 1; n < kRows; n += 2) expectedDeleted.push_back("v-" + std::to_string(n));
  std::sort(expectedDeleted.begin(), expectedDeleted.end());
  BOOST_TEST(deleted.size() == expectedDeleted.size());
  BOOST_TEST(deleted == expectedDeleted);
  store->close();
}

BOOST_AUTO_TEST_SUITE_END()

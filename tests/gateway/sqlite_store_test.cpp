#include "notebridge/gateway/sqlite_store.h"

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>

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

BOOST_AUTO_TEST_SUITE_END()

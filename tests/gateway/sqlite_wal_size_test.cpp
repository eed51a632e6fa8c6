// The WAL file's size across a restart: SQLite truncates a restarted WAL larger than the
// writer's journal_size_limit, in the writer's turn, and that truncation held every queued
// write for 75-90 ms. A WAL that the checkpoints keep bounded must keep its size instead.
#include <sqlite3.h>
#include <stdlib.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <string>

#include "notebridge/gateway/sqlite_store.h"
#include "temp_dir.h"

using namespace notebridge::gateway;
using notebridge::testing::TempDir;

namespace {

// ~1 MB bodies: a few dozen writes grow the WAL past the size SQLite used to truncate it to.
notebridge::fhir::Outcome writeLarge(Store& store, const std::string& id) {
  ResourceWrite write;
  write.type = "Basic";
  write.id = id;
  write.render = [id](const ResourceVersion& v) {
    return R"({"resourceType":"Basic","id":")" + id + R"(","meta":{"versionId":")" +
           std::to_string(v.version) + R"("},"text":")" + std::string(1 << 20, 'x') + "\"}";
  };
  auto written = store.writeResource(write);
  return written ? notebridge::fhir::Outcome() : written.outcome();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sqlite_wal_size)

BOOST_AUTO_TEST_CASE(a_restarted_wal_under_the_limit_keeps_its_size) {
  TempDir dir;
  const auto file = dir.path() / "notebridge.db";
  // The checkpoint thread waits for 30,000 pages (~120 MB), and runs no idle checkpoint (on
  // a loaded machine one could copy the WAL and let a write restart it mid-loop): the WAL
  // grows past 64 MB (the old limit) before anything is copied back.
  BOOST_REQUIRE(setenv("NOTEBRIDGE_CHECKPOINT_PAGES", "30000", 1) == 0);
  BOOST_REQUIRE(setenv("NOTEBRIDGE_CHECKPOINT_IDLE_MS", "0", 1) == 0);
  auto opened = SqliteStore::open(file);
  BOOST_REQUIRE(unsetenv("NOTEBRIDGE_CHECKPOINT_PAGES") == 0);
  BOOST_REQUIRE(unsetenv("NOTEBRIDGE_CHECKPOINT_IDLE_MS") == 0);
  BOOST_REQUIRE(opened.ok());
  SqliteStore& store = **opened;
  for (int i = 0; i < 80; ++i) {
    BOOST_REQUIRE(writeLarge(store, "large-" + std::to_string(i)).empty());
  }
  const std::filesystem::path wal = file.string() + "-wal";
  const auto grown = std::filesystem::file_size(wal);
  BOOST_REQUIRE(grown > 64u * 1024 * 1024);
  BOOST_REQUIRE(grown < static_cast<std::uintmax_t>(SqliteStore::kWalSizeLimitBytes));

  // Copy the whole WAL back from a connection of the test's own, so the next write restarts
  // the WAL from its first frame.
  sqlite3* db = nullptr;
  BOOST_REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
  // A connection finds the WAL at its first read; a checkpoint before that does nothing.
  BOOST_REQUIRE(sqlite3_exec(db, "SELECT COUNT(*) FROM sqlite_master", nullptr, nullptr, nullptr) ==
                SQLITE_OK);
  int frames = -1;
  int copied = -2;
  BOOST_REQUIRE(sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &frames,
                                          &copied) == SQLITE_OK);
  sqlite3_close(db);
  BOOST_REQUIRE(frames > 0);
  BOOST_REQUIRE(frames == copied);

  BOOST_REQUIRE(writeLarge(store, "after-restart").empty());
  BOOST_TEST(std::filesystem::file_size(wal) == grown);
  // The restarted WAL serves reads like any other: the first and the last writes are there.
  BOOST_TEST(store.readResource("Basic", "large-0", std::nullopt).ok());
  BOOST_TEST(store.readResource("Basic", "after-restart", std::nullopt).ok());
}

BOOST_AUTO_TEST_SUITE_END()

// The checkpoint thread's figures (storage/wal_checkpointer.h): what bench/run_load_bench.sh
// prints as the checkpointer's "store_stats" line, and NOTEBRIDGE_CHECKPOINT_PAGES.
#include "storage/wal_checkpointer.h"

#include <sqlite3.h>
#include <stdlib.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <string>
#include <thread>

#include "temp_dir.h"

using notebridge::gateway::WalCheckpointer;
using notebridge::testing::TempDir;

namespace {

int exec(sqlite3* db, const char* sql) { return sqlite3_exec(db, sql, nullptr, nullptr, nullptr); }

}  // namespace

BOOST_AUTO_TEST_SUITE(wal_checkpointer_figures)

BOOST_AUTO_TEST_CASE(the_thread_counts_its_checkpoints_the_frames_it_copied_and_its_cpu) {
  TempDir dir;
  const std::string file = (dir.path() / "figures.db").string();
  sqlite3* db = nullptr;
  BOOST_REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
  BOOST_REQUIRE(exec(db, "PRAGMA journal_mode = WAL; CREATE TABLE t (x TEXT)") == SQLITE_OK);
  {
    WalCheckpointer checkpointer(file, 8);
    checkpointer.install(db);
    BOOST_TEST(checkpointer.stats().runs == 0u);
    for (int i = 0; i < 20; ++i) {
      // ~16 KB per commit: 4 or more pages each.
      BOOST_REQUIRE(exec(db, "INSERT INTO t VALUES (hex(randomblob(8192)))") == SQLITE_OK);
    }
    // The thread runs on its own: wait until it has copied everything (bounded).
    for (int i = 0; i < 500 && checkpointer.stats().framesCopied == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    WalCheckpointer::uninstall(db);
    const WalCheckpointer::Stats stats = checkpointer.stats();
    BOOST_TEST(stats.runs > 0u);
    BOOST_TEST(stats.runs == checkpointer.checkpoints());
    BOOST_TEST(stats.complete <= stats.runs);
    BOOST_TEST(stats.framesCopied > 0u);
    BOOST_TEST(stats.cpuNanos > 0u);
    // At most what was written: 20 commits of 4 or 5 pages (and their B-tree pages).
    BOOST_TEST(stats.framesCopied <= 20u * 8u);
  }
  sqlite3_close(db);
}

BOOST_AUTO_TEST_CASE(the_wake_threshold_comes_from_the_environment_only_for_the_default) {
  TempDir dir;
  const std::string file = (dir.path() / "threshold.db").string();
  sqlite3* db = nullptr;
  BOOST_REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
  BOOST_REQUIRE(exec(db, "PRAGMA journal_mode = WAL; CREATE TABLE t (x TEXT)") == SQLITE_OK);
  BOOST_REQUIRE(setenv("NOTEBRIDGE_CHECKPOINT_PAGES", "4", 1) == 0);
  {
    // The default threshold (8,000 pages) replaced by 4: a few commits wake the thread.
    WalCheckpointer checkpointer(file);
    checkpointer.install(db);
    for (int i = 0; i < 5; ++i) {
      BOOST_REQUIRE(exec(db, "INSERT INTO t VALUES (hex(randomblob(8192)))") == SQLITE_OK);
    }
    for (int i = 0; i < 500 && checkpointer.checkpoints() == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    BOOST_TEST(checkpointer.checkpoints() > 0u);
    WalCheckpointer::uninstall(db);
  }
  {
    // A threshold given by the caller stays: 100,000 pages are never reached here.
    WalCheckpointer checkpointer(file, 100000);
    checkpointer.install(db);
    for (int i = 0; i < 5; ++i) {
      BOOST_REQUIRE(exec(db, "INSERT INTO t VALUES (hex(randomblob(8192)))") == SQLITE_OK);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    BOOST_TEST(checkpointer.checkpoints() == 0u);
    WalCheckpointer::uninstall(db);
  }
  unsetenv("NOTEBRIDGE_CHECKPOINT_PAGES");
  sqlite3_close(db);
}

BOOST_AUTO_TEST_SUITE_END()

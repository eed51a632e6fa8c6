// The checkpoint thread's figures (storage/wal_checkpointer.h): what bench/run_load_bench.sh
// prints as the checkpointer's "store_stats" line, NOTEBRIDGE_CHECKPOINT_PAGES and _IDLE_MS,
// and when the thread runs (WalCheckpointer::Policy).
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

// ~16 KB per commit: 4 or more pages each.
int commitSixteenKb(sqlite3* db) {
  return exec(db, "INSERT INTO t VALUES (hex(randomblob(8192)))");
}

// Rewrites the one row of t with a blob of the same size: the same pages each time.
int rewriteRow(sqlite3* db) {
  return exec(db, "UPDATE t SET x = hex(randomblob(8192)) WHERE rowid = 1");
}

// Waits (bounded) until `done` holds.
template <typename Done>
bool waitFor(Done done) {
  for (int i = 0; i < 500; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

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
  // No idle checkpoint: only the threshold can wake the thread.
  BOOST_REQUIRE(setenv("NOTEBRIDGE_CHECKPOINT_IDLE_MS", "0", 1) == 0);
  {
    // The default threshold (kRestartPages) replaced by 4: a few commits wake the thread.
    WalCheckpointer checkpointer(file);
    checkpointer.install(db);
    for (int i = 0; i < 5; ++i) {
      BOOST_REQUIRE(exec(db, "INSERT INTO t VALUES (hex(randomblob(8192)))") == SQLITE_OK);
    }
    BOOST_TEST(waitFor([&] { return checkpointer.checkpoints() > 0; }));
    BOOST_TEST(checkpointer.stats().idleRuns == 0u);
    WalCheckpointer::uninstall(db);
  }
  unsetenv("NOTEBRIDGE_CHECKPOINT_IDLE_MS");
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

BOOST_AUTO_TEST_CASE(the_policy_comes_from_the_environment) {
  unsetenv("NOTEBRIDGE_CHECKPOINT_PAGES");
  unsetenv("NOTEBRIDGE_CHECKPOINT_IDLE_MS");
  WalCheckpointer::Policy policy = WalCheckpointer::defaultPolicy();
  BOOST_TEST(policy.restartPages == WalCheckpointer::kRestartPages);
  BOOST_TEST(policy.restartPages == 16000);
  BOOST_TEST(policy.idle.count() == WalCheckpointer::kIdle.count());
  BOOST_REQUIRE(setenv("NOTEBRIDGE_CHECKPOINT_PAGES", "32000", 1) == 0);
  BOOST_REQUIRE(setenv("NOTEBRIDGE_CHECKPOINT_IDLE_MS", "0", 1) == 0);
  policy = WalCheckpointer::defaultPolicy();
  BOOST_TEST(policy.restartPages == 32000);
  BOOST_TEST(policy.idle.count() == 0);
  BOOST_REQUIRE(setenv("NOTEBRIDGE_CHECKPOINT_PAGES", "1", 1) == 0);
  BOOST_REQUIRE(setenv("NOTEBRIDGE_CHECKPOINT_IDLE_MS", "3600000", 1) == 0);
  policy = WalCheckpointer::defaultPolicy();
  BOOST_TEST(policy.restartPages == 1);
  BOOST_TEST(policy.idle.count() == 3600000);
  // Anything else is ignored (a warning on stderr): the default, not a value made of part
  // of the text, a wrapped integer or "off".
  for (const char* bad : {"12abc", "-5", "0", "+7", " 7", "7 ", "0x10", "64001",
                          "99999999999999999999999", "2147483648", "abc"}) {
    BOOST_TEST_CONTEXT("NOTEBRIDGE_CHECKPOINT_PAGES=" << bad) {
      BOOST_REQUIRE(setenv("NOTEBRIDGE_CHECKPOINT_PAGES", bad, 1) == 0);
      BOOST_TEST(WalCheckpointer::defaultPolicy().restartPages == WalCheckpointer::kRestartPages);
    }
  }
  for (const char* bad : {"-5", "abc", "20ms", "3600001", "99999999999999999999999"}) {
    BOOST_TEST_CONTEXT("NOTEBRIDGE_CHECKPOINT_IDLE_MS=" << bad) {
      BOOST_REQUIRE(setenv("NOTEBRIDGE_CHECKPOINT_IDLE_MS", bad, 1) == 0);
      BOOST_TEST(WalCheckpointer::defaultPolicy().idle.count() == WalCheckpointer::kIdle.count());
    }
  }
  unsetenv("NOTEBRIDGE_CHECKPOINT_PAGES");
  unsetenv("NOTEBRIDGE_CHECKPOINT_IDLE_MS");
}

BOOST_AUTO_TEST_CASE(a_store_without_commits_for_the_idle_time_is_copied_to_the_end) {
  TempDir dir;
  const std::string file = (dir.path() / "idle.db").string();
  sqlite3* db = nullptr;
  BOOST_REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
  BOOST_REQUIRE(exec(db, "PRAGMA journal_mode = WAL; CREATE TABLE t (x TEXT)") == SQLITE_OK);
  // An empty WAL to start from: every frame in it from here on is one of the commits below.
  BOOST_REQUIRE(exec(db, "PRAGMA wal_checkpoint(TRUNCATE)") == SQLITE_OK);
  {
    // The threshold is never reached: only idleness (250 ms without a commit) wakes it.
    WalCheckpointer checkpointer(file, {100000, std::chrono::milliseconds(250)});
    checkpointer.install(db);
    for (int i = 0; i < 5; ++i) BOOST_REQUIRE(commitSixteenKb(db) == SQLITE_OK);
    const int log = checkpointer.stats().walPages;
    BOOST_REQUIRE(log >= 5 * 4);
    BOOST_REQUIRE(waitFor([&] { return checkpointer.stats().complete > 0; }));
    const WalCheckpointer::Stats stats = checkpointer.stats();
    BOOST_TEST(stats.idleRuns >= 1u);
    // The thread's own checkpoints copied every frame the commits wrote.
    BOOST_TEST(stats.framesCopied == static_cast<std::uint64_t>(log));
    // Caught up, it sleeps: no more checkpoints without commits.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    BOOST_TEST(checkpointer.stats().runs == stats.runs);
    // The next commit restarts the WAL from its first frame (everything was copied), and
    // starts the idle time again.
    BOOST_REQUIRE(commitSixteenKb(db) == SQLITE_OK);
    BOOST_TEST(checkpointer.stats().walPages < log);
    BOOST_TEST(waitFor([&] { return checkpointer.stats().idleRuns > stats.idleRuns; }));
    WalCheckpointer::uninstall(db);
  }
  sqlite3_close(db);
}

BOOST_AUTO_TEST_CASE(a_restarted_wal_as_long_as_the_last_one_is_still_copied_when_idle) {
  // Frames left to copy are known from the commits, not from the WAL's length: a WAL
  // restarted after an idle checkpoint that grows back to exactly the frames that checkpoint
  // copied still has all of them to copy.
  TempDir dir;
  const std::string file = (dir.path() / "restart.db").string();
  sqlite3* db = nullptr;
  BOOST_REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
  BOOST_REQUIRE(exec(db, "PRAGMA journal_mode = WAL; CREATE TABLE t (x TEXT)") == SQLITE_OK);
  BOOST_REQUIRE(commitSixteenKb(db) == SQLITE_OK);
  // A few rewrites first, so that the free pages each one reuses are the same from then on.
  for (int i = 0; i < 3; ++i) BOOST_REQUIRE(rewriteRow(db) == SQLITE_OK);
  BOOST_REQUIRE(exec(db, "PRAGMA wal_checkpoint(TRUNCATE)") == SQLITE_OK);
  {
    WalCheckpointer checkpointer(file, {100000, std::chrono::milliseconds(50)});
    checkpointer.install(db);
    BOOST_REQUIRE(rewriteRow(db) == SQLITE_OK);
    const int frames = checkpointer.stats().walPages;
    BOOST_REQUIRE(waitFor([&] { return checkpointer.stats().complete == 1; }));
    const WalCheckpointer::Stats first = checkpointer.stats();
    BOOST_TEST(first.idleRuns == 1u);
    BOOST_TEST(first.framesCopied == static_cast<std::uint64_t>(frames));
    // The same pages again, in a restarted WAL: exactly as many frames.
    BOOST_REQUIRE(rewriteRow(db) == SQLITE_OK);
    BOOST_REQUIRE(checkpointer.stats().walPages == frames);
    BOOST_TEST(waitFor([&] { return checkpointer.stats().idleRuns == 2; }));
    const WalCheckpointer::Stats second = checkpointer.stats();
    BOOST_TEST(second.complete == 2u);
    BOOST_TEST(second.framesCopied == 2u * static_cast<std::uint64_t>(frames));
    WalCheckpointer::uninstall(db);
  }
  sqlite3_close(db);
}

BOOST_AUTO_TEST_CASE(a_halted_checkpointer_runs_no_checkpoint_idle_or_woken) {
  TempDir dir;
  const std::string file = (dir.path() / "halted.db").string();
  sqlite3* db = nullptr;
  BOOST_REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
  BOOST_REQUIRE(exec(db, "PRAGMA journal_mode = WAL; CREATE TABLE t (x TEXT)") == SQLITE_OK);
  {
    // Woken by every commit (4 frames) and after 20 ms without one: neither runs once halted.
    WalCheckpointer checkpointer(file, {4, std::chrono::milliseconds(20)});
    checkpointer.install(db);
    checkpointer.halt();
    for (int i = 0; i < 5; ++i) BOOST_REQUIRE(commitSixteenKb(db) == SQLITE_OK);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    BOOST_TEST(checkpointer.checkpoints() == 0u);
    BOOST_TEST(checkpointer.stats().walPages >= 5 * 4);
    WalCheckpointer::uninstall(db);
  }
  sqlite3_close(db);
}

BOOST_AUTO_TEST_SUITE_END()

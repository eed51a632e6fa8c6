// The checkpoint thread's figures (storage/wal_checkpointer.h): what bench/run_load_bench.sh
// prints as the checkpointer's "store_stats" line, NOTEBRIDGE_CHECKPOINT_PAGES, and when the
// thread runs (WalCheckpointer::Policy).
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

// Frames in `db`'s WAL and how many of them are copied, from a PASSIVE checkpoint of `db`
// (it copies what the thread left, so it is called once the thread has caught up).
std::pair<int, int> walFrames(sqlite3* db) {
  int log = -1;
  int copied = -1;
  sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
  return {log, copied};
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

BOOST_AUTO_TEST_CASE(the_policy_comes_from_the_environment) {
  unsetenv("NOTEBRIDGE_CHECKPOINT_PAGES");
  unsetenv("NOTEBRIDGE_CHECKPOINT_STEP");
  unsetenv("NOTEBRIDGE_CHECKPOINT_IDLE_MS");
  WalCheckpointer::Policy policy = WalCheckpointer::defaultPolicy();
  BOOST_TEST(policy.restartPages == WalCheckpointer::kRestartPages);
  BOOST_TEST(policy.stepPages == WalCheckpointer::kStepPages);
  BOOST_TEST(policy.idle.count() == WalCheckpointer::kIdle.count());
  BOOST_TEST(!policy.forceRestart);
  BOOST_REQUIRE(setenv("NOTEBRIDGE_CHECKPOINT_RESTART", "1", 1) == 0);
  BOOST_TEST(WalCheckpointer::defaultPolicy().forceRestart);
  unsetenv("NOTEBRIDGE_CHECKPOINT_RESTART");
  BOOST_REQUIRE(setenv("NOTEBRIDGE_CHECKPOINT_PAGES", "32000", 1) == 0);
  BOOST_REQUIRE(setenv("NOTEBRIDGE_CHECKPOINT_STEP", "1234", 1) == 0);
  BOOST_REQUIRE(setenv("NOTEBRIDGE_CHECKPOINT_IDLE_MS", "0", 1) == 0);
  policy = WalCheckpointer::defaultPolicy();
  BOOST_TEST(policy.restartPages == 32000);
  BOOST_TEST(policy.stepPages == 1234);
  BOOST_TEST(policy.idle.count() == 0);
  // A step below 1 keeps the default; an idle time below 0 is none.
  BOOST_REQUIRE(setenv("NOTEBRIDGE_CHECKPOINT_STEP", "-5", 1) == 0);
  BOOST_REQUIRE(setenv("NOTEBRIDGE_CHECKPOINT_IDLE_MS", "-5", 1) == 0);
  policy = WalCheckpointer::defaultPolicy();
  BOOST_TEST(policy.stepPages == WalCheckpointer::kStepPages);
  BOOST_TEST(policy.idle.count() == 0);
  unsetenv("NOTEBRIDGE_CHECKPOINT_PAGES");
  unsetenv("NOTEBRIDGE_CHECKPOINT_STEP");
  unsetenv("NOTEBRIDGE_CHECKPOINT_IDLE_MS");
}

BOOST_AUTO_TEST_CASE(frames_not_yet_copied_wake_the_thread_below_the_restart_threshold) {
  TempDir dir;
  const std::string file = (dir.path() / "step.db").string();
  sqlite3* db = nullptr;
  BOOST_REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
  BOOST_REQUIRE(exec(db, "PRAGMA journal_mode = WAL; CREATE TABLE t (x TEXT)") == SQLITE_OK);
  {
    // Never woken by the WAL's size (100,000 frames), nor by idleness: only by every 16 frames
    // not yet copied, i.e. about every third commit of ~5 frames.
    WalCheckpointer checkpointer(file, {100000, 16, std::chrono::milliseconds(0)});
    checkpointer.install(db);
    for (int i = 0; i < 30; ++i) {
      BOOST_REQUIRE(commitSixteenKb(db) == SQLITE_OK);
      // Time for the woken thread to copy (less only makes the runs below fewer).
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    for (int i = 0; i < 500 && checkpointer.checkpoints() == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    WalCheckpointer::uninstall(db);
    const WalCheckpointer::Stats stats = checkpointer.stats();
    BOOST_TEST(stats.runs > 0u);
    BOOST_TEST(stats.framesCopied > 0u);
    // Counting the WAL's frames instead of the uncopied ones would wake it after every commit
    // from the fourth on (~27 runs); the step wakes it every ~3 commits.
    BOOST_TEST(stats.runs <= 15u);
    BOOST_TEST(stats.idleRuns == 0u);
  }
  sqlite3_close(db);
}

BOOST_AUTO_TEST_CASE(a_forced_restart_checkpoint_runs_when_the_writer_is_between_transactions) {
  TempDir dir;
  const std::string file = (dir.path() / "restart.db").string();
  sqlite3* db = nullptr;
  BOOST_REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
  BOOST_REQUIRE(exec(db, "PRAGMA journal_mode = WAL; CREATE TABLE t (x TEXT)") == SQLITE_OK);
  {
    WalCheckpointer checkpointer(file, {8, 8, std::chrono::milliseconds(0), true});
    checkpointer.install(db);
    for (int i = 0; i < 10; ++i) {
      BOOST_REQUIRE(commitSixteenKb(db) == SQLITE_OK);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    for (int i = 0; i < 500 && checkpointer.stats().restartsDone == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    WalCheckpointer::uninstall(db);
    const WalCheckpointer::Stats stats = checkpointer.stats();
    BOOST_TEST(stats.restartTries >= 1u);
    BOOST_TEST(stats.restartsDone >= 1u);
    BOOST_TEST(stats.restartsDone <= stats.restartTries);
  }
  sqlite3_stmt* count = nullptr;
  BOOST_REQUIRE(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM t", -1, &count, nullptr) == SQLITE_OK);
  BOOST_REQUIRE(sqlite3_step(count) == SQLITE_ROW);
  BOOST_TEST(sqlite3_column_int(count, 0) == 10);
  sqlite3_finalize(count);
  sqlite3_close(db);
}

BOOST_AUTO_TEST_CASE(a_store_without_commits_for_the_idle_time_is_copied_to_the_end) {
  TempDir dir;
  const std::string file = (dir.path() / "idle.db").string();
  sqlite3* db = nullptr;
  BOOST_REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
  BOOST_REQUIRE(exec(db, "PRAGMA journal_mode = WAL; CREATE TABLE t (x TEXT)") == SQLITE_OK);
  {
    // Neither threshold is reached: only idleness (50 ms without a commit) wakes it.
    WalCheckpointer checkpointer(file, {100000, 100000, std::chrono::milliseconds(50)});
    checkpointer.install(db);
    for (int i = 0; i < 5; ++i) BOOST_REQUIRE(commitSixteenKb(db) == SQLITE_OK);
    for (int i = 0; i < 500 && checkpointer.stats().complete == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    const WalCheckpointer::Stats stats = checkpointer.stats();
    BOOST_TEST(stats.idleRuns >= 1u);
    BOOST_TEST(stats.complete >= 1u);
    BOOST_TEST(stats.framesCopied >= 5u * 4u);
    const auto [log, copied] = walFrames(db);
    BOOST_TEST(copied == log);  // all copied
    // Caught up, it sleeps: no more checkpoints without commits.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    BOOST_TEST(checkpointer.stats().runs == stats.runs);
    // The next commit restarts the WAL from its first frame (everything was copied), and
    // starts the idle time again.
    BOOST_REQUIRE(commitSixteenKb(db) == SQLITE_OK);
    BOOST_TEST(walFrames(db).first < log);
    for (int i = 0; i < 500 && checkpointer.stats().idleRuns == stats.idleRuns; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    BOOST_TEST(checkpointer.stats().idleRuns > stats.idleRuns);
    WalCheckpointer::uninstall(db);
  }
  sqlite3_close(db);
}

BOOST_AUTO_TEST_SUITE_END()

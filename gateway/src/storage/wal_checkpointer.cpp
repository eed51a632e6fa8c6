#include "storage/wal_checkpointer.h"

#include <Poco/Data/DataException.h>
#include <pthread.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

#include "storage/sqlite_vfs.h"

namespace notebridge::gateway {

namespace {

// A positive integer from the environment, or `fallback`.
long positiveFromEnvironment(const char* name, long fallback) {
  if (const char* text = std::getenv(name); text && *text) {
    if (const long n = std::atol(text); n > 0) return n;
  }
  return fallback;
}

std::uint64_t threadCpuNanos() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<std::uint64_t>(now.tv_sec) * 1000000000u +
         static_cast<std::uint64_t>(now.tv_nsec);
}

WalCheckpointer::Policy policyFor(int wakePages) {
  if (wakePages != WalCheckpointer::kWakePages) {
    return {wakePages, wakePages, std::chrono::milliseconds(0)};
  }
  return WalCheckpointer::defaultPolicy();
}

}  // namespace

WalCheckpointer::Policy WalCheckpointer::defaultPolicy() {
  Policy policy{kRestartPages, kStepPages, kIdle};
  policy.restartPages =
      static_cast<int>(positiveFromEnvironment("NOTEBRIDGE_CHECKPOINT_PAGES", kRestartPages));
  policy.stepPages =
      static_cast<int>(positiveFromEnvironment("NOTEBRIDGE_CHECKPOINT_STEP", kStepPages));
  // 0 is allowed here: no idle checkpoint.
  if (const char* idle = std::getenv("NOTEBRIDGE_CHECKPOINT_IDLE_MS"); idle && *idle) {
    policy.idle = std::chrono::milliseconds(std::max(0L, std::atol(idle)));
  }
  if (const char* restart = std::getenv("NOTEBRIDGE_CHECKPOINT_RESTART"); restart && *restart) {
    policy.forceRestart = std::strcmp(restart, "1") == 0;
  }
  return policy;
}

WalCheckpointer::WalCheckpointer(const std::string& file, int wakePages)
    : WalCheckpointer(file, policyFor(wakePages)) {}

WalCheckpointer::WalCheckpointer(const std::string& file, const Policy& policy) : policy_(policy) {
  if (sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    const std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw Poco::Data::DataException("cannot open the checkpoint connection: " + message);
  }
  // A checkpoint waits for nothing: PASSIVE copies what no reader still needs and returns.
  sqlite3_busy_timeout(db_, 0);
  // The checkpoint's own fsyncs (WAL before copying, database after) follow this setting.
  // Never OFF: the writer's commits may not be fsynced yet when they are copied (the store's
  // durability pipeline syncs them after the commit), and only these fsyncs keep an unsynced
  // frame out of the database file.
  sqlite3_exec(db_, "PRAGMA synchronous = FULL", nullptr, nullptr, nullptr);
  thread_ = std::thread([this] { run(); });
}

WalCheckpointer::~WalCheckpointer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  sqlite3_close(db_);
  if (const char* wanted = std::getenv("NOTEBRIDGE_STORE_STATS"); wanted && *wanted) {
    // Beside the store's own figures (bench/run_load_bench.sh prints the "store_stats" lines).
    // The VFS's figures are the process's (every store, every connection).
    const sqlite::CoalescingStats io = sqlite::coalescingStats();
    std::fprintf(stderr,
                 "{\"store_stats\": {\"checkpointer\": {\"restart_pages\": %d, "
                 "\"step_pages\": %d, \"idle_ms\": %lld, \"runs\": %llu, \"idle_runs\": %llu, "
                 "\"inline_runs\": %llu, \"max_wal_pages\": %d, \"restart_tries\": %llu, "
                 "\"restarts_done\": %llu, \"complete\": %llu, "
                 "\"frames_copied\": %llu, \"cpu_ms\": %.1f, "
                 "\"wal_mb\": %.1f, \"db_mb\": %.1f, \"db_writebacks\": %llu}}}\n",
                 policy_.restartPages, policy_.stepPages,
                 static_cast<long long>(policy_.idle.count()),
                 static_cast<unsigned long long>(stats_.runs),
                 static_cast<unsigned long long>(stats_.idleRuns),
                 static_cast<unsigned long long>(stats_.inlineRuns), stats_.maxWalPages,
                 static_cast<unsigned long long>(stats_.restartTries),
                 static_cast<unsigned long long>(stats_.restartsDone),
                 static_cast<unsigned long long>(stats_.complete),
                 static_cast<unsigned long long>(stats_.framesCopied),
                 static_cast<double>(stats_.cpuNanos) / 1e6,
                 static_cast<double>(io.bytesWritten) / 1048576.0,
                 static_cast<double>(io.databaseBytes) / 1048576.0,
                 static_cast<unsigned long long>(io.writebacks));
  }
}

void WalCheckpointer::install(sqlite3* writer) { sqlite3_wal_hook(writer, &onCommit, this); }

void WalCheckpointer::uninstall(sqlite3* writer) {
  // Removing a WAL hook also removes SQLite's own auto-checkpoint (it is a WAL hook too): put it
  // back, at SQLite's default of 1,000 pages, for whatever uses the connection afterwards.
  sqlite3_wal_autocheckpoint(writer, 1000);
}

std::uint64_t WalCheckpointer::checkpoints() const {
  std::lock_guard lock(mutex_);
  return stats_.runs;
}

WalCheckpointer::Stats WalCheckpointer::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

int WalCheckpointer::onCommit(void* self, sqlite3* db, const char* name, int pages) {
  auto* checkpointer = static_cast<WalCheckpointer*>(self);
  if (pages >= kInlinePages) {
    // The thread cannot keep up: bound the WAL here, as SQLite's own hook would.
    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  }
  bool notify = false;
  {
    std::lock_guard lock(checkpointer->mutex_);
    if (pages >= kInlinePages) ++checkpointer->stats_.inlineRuns;
    checkpointer->stats_.maxWalPages = std::max(checkpointer->stats_.maxWalPages, pages);
    const int uncopiedBefore = checkpointer->uncopied();
    // Fewer frames than after the last commit: a writer restarted the WAL, none is copied.
    if (pages < checkpointer->walPages_) checkpointer->backfilled_ = 0;
    checkpointer->walPages_ = pages;
    checkpointer->lastCommit_ = std::chrono::steady_clock::now();
    const Policy& policy = checkpointer->policy_;
    if (pages < kInlinePages &&
        (pages >= policy.restartPages || checkpointer->uncopied() >= policy.stepPages)) {
      checkpointer->wanted_ = true;
      notify = true;
    } else if (uncopiedBefore == 0 && policy.idle.count() > 0) {
      notify = true;  // the thread starts its idle timer
    }
  }
  if (notify) checkpointer->wake_.notify_one();
  return SQLITE_OK;
}

int WalCheckpointer::uncopied() const {
  return walPages_ >= backfilled_ ? walPages_ - backfilled_ : walPages_;
}

void WalCheckpointer::run() {
  // Named for profiles and /proc/PID/task/*/comm (its CPU per note is a bench figure).
  pthread_setname_np(pthread_self(), "nb-checkpoint");
  using Clock = std::chrono::steady_clock;
  std::unique_lock lock(mutex_);
  int backfilled = 0;            // nBackfill after the last checkpoint (for the figures)
  Clock::time_point nextIdle{};  // no idle checkpoint before (one that left frames)
  while (true) {
    bool idleRun = false;
    while (!wanted_ && !stopping_) {
      if (policy_.idle.count() <= 0 || uncopied() == 0) {
        wake_.wait(lock);  // woken by the commit that leaves frames to copy, or wanted_
        continue;
      }
      const Clock::time_point due = std::max(lastCommit_ + policy_.idle, nextIdle);
      if (Clock::now() >= due) {
        idleRun = true;
        break;
      }
      wake_.wait_until(lock, due);
    }
    if (stopping_) return;
    wanted_ = false;
    lock.unlock();
    const std::uint64_t cpuBefore = threadCpuNanos();
    int walFrames = 0;
    int backfill = 0;
    // Busy (another checkpoint running) or a failure leaves the frames for the next one.
    const int rc =
        sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &walFrames, &backfill);
    int restart = -1;  // not tried
    if (policy_.forceRestart && rc == SQLITE_OK && backfill == walFrames &&
        walFrames >= policy_.restartPages) {
      // Caught up, with a long WAL: hold the writer out (never waiting for it: busy timeout 0,
      // so SQLITE_BUSY when it is in a transaction) while the frames committed since are
      // copied and the database synced, so that its next transaction starts at read lock 0
      // and restarts the WAL. The same checkpoint and syncs as PASSIVE, under the writer lock.
      int frames = 0;
      int copied = 0;
      restart =
          sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_RESTART, &frames, &copied);
      if (restart == SQLITE_OK && copied >= 0) {
        walFrames = frames;
        backfill = copied;
      }
    }
    const std::uint64_t cpu = threadCpuNanos() - cpuBefore;
    lock.lock();
    if (restart != -1) {
      ++stats_.restartTries;
      if (restart == SQLITE_OK) ++stats_.restartsDone;
    }
    ++stats_.runs;
    if (idleRun) {
      ++stats_.idleRuns;
      nextIdle = Clock::now() + policy_.idle;
    }
    stats_.cpuNanos += cpu;
    if (rc == SQLITE_OK && backfill >= 0) {
      // nBackfill only grows, until a writer restarts the WAL (after a complete checkpoint).
      stats_.framesCopied +=
          static_cast<std::uint64_t>(backfill >= backfilled ? backfill - backfilled : backfill);
      backfilled = backfill;
      if (backfill == walFrames) ++stats_.complete;
      // What the writer's hook counts from. A WAL shorter after the last commit than this
      // checkpoint saw it was restarted meanwhile: nothing of it is copied.
      backfilled_ = walPages_ >= walFrames ? backfill : 0;
    }
  }
}

}  // namespace notebridge::gateway

#include "storage/wal_checkpointer.h"

#include <Poco/Data/DataException.h>
#include <pthread.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

#include "storage/sqlite_vfs.h"

namespace notebridge::gateway {

namespace {

// A setting from the environment: a decimal integer from `min` to `max` (digits only, no sign
// or spaces), or `fallback` with a warning on stderr when it is set to anything else.
long settingFromEnvironment(const char* name, long min, long max, long fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  long value = 0;
  bool valid = true;
  for (const char* c = text; *c != '\0'; ++c) {
    if (*c < '0' || *c > '9' || value > (max - (*c - '0')) / 10) {
      valid = false;  // not a digit, or past `max` (checked before it could overflow)
      break;
    }
    value = value * 10 + (*c - '0');
  }
  if (valid && value >= min) return value;
  std::fprintf(stderr, "notebridge: ignoring %s=%s (not an integer from %ld to %ld); using %ld\n",
               name, text, min, max, fallback);
  return fallback;
}

std::uint64_t threadCpuNanos() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<std::uint64_t>(now.tv_sec) * 1000000000u +
         static_cast<std::uint64_t>(now.tv_nsec);
}

WalCheckpointer::Policy policyFor(int wakePages) {
  if (wakePages != WalCheckpointer::kWakePages) return {wakePages, std::chrono::milliseconds(0)};
  return WalCheckpointer::defaultPolicy();
}

}  // namespace

WalCheckpointer::Policy WalCheckpointer::defaultPolicy() {
  Policy policy{kRestartPages, kIdle};
  policy.restartPages = static_cast<int>(
      settingFromEnvironment("NOTEBRIDGE_CHECKPOINT_PAGES", 1, kInlinePages, kRestartPages));
  // 0 is allowed here: no idle checkpoint.
  policy.idle = std::chrono::milliseconds(
      settingFromEnvironment("NOTEBRIDGE_CHECKPOINT_IDLE_MS", 0, 3600000, kIdle.count()));
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
  // A first read opens the WAL: from then on this connection holds its shared lock on the
  // database file until it closes, so that SQLite's checkpoint on closing the last connection
  // (which needs the database file exclusively) can only be this connection's (see halt()).
  sqlite3_exec(db_, "SELECT COUNT(*) FROM sqlite_master", nullptr, nullptr, nullptr);
  thread_ = std::thread([this] { run(); });
}

WalCheckpointer::~WalCheckpointer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  // Halted: no checkpoint when the last connection closes either (the WAL stays as it is).
  if (halted_) sqlite3_db_config(db_, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  sqlite3_close(db_);
  if (const char* wanted = std::getenv("NOTEBRIDGE_STORE_STATS"); wanted && *wanted) {
    // Beside the store's own figures (bench/run_load_bench.sh prints the "store_stats" lines).
    // The VFS's figures are the process's (every store, every connection).
    const sqlite::CoalescingStats io = sqlite::coalescingStats();
    std::fprintf(stderr,
                 "{\"store_stats\": {\"checkpointer\": {\"restart_pages\": %d, "
                 "\"idle_ms\": %lld, \"runs\": %llu, \"idle_runs\": %llu, "
                 "\"inline_runs\": %llu, \"max_wal_pages\": %d, \"complete\": %llu, "
                 "\"frames_copied\": %llu, \"cpu_ms\": %.1f, "
                 "\"wal_mb\": %.1f, \"db_mb\": %.1f}}}\n",
                 policy_.restartPages, static_cast<long long>(policy_.idle.count()),
                 static_cast<unsigned long long>(stats_.runs),
                 static_cast<unsigned long long>(stats_.idleRuns),
                 static_cast<unsigned long long>(stats_.inlineRuns), stats_.maxWalPages,
                 static_cast<unsigned long long>(stats_.complete),
                 static_cast<unsigned long long>(stats_.framesCopied),
                 static_cast<double>(stats_.cpuNanos) / 1e6,
                 static_cast<double>(io.bytesWritten) / 1048576.0,
                 static_cast<double>(io.databaseBytes) / 1048576.0);
  }
}

void WalCheckpointer::install(sqlite3* writer) { sqlite3_wal_hook(writer, &onCommit, this); }

void WalCheckpointer::uninstall(sqlite3* writer) {
  // Removing a WAL hook also removes SQLite's own auto-checkpoint (it is a WAL hook too): put it
  // back, at SQLite's default of 1,000 pages, for whatever uses the connection afterwards.
  sqlite3_wal_autocheckpoint(writer, 1000);
}

void WalCheckpointer::halt() {
  std::lock_guard lock(mutex_);
  halted_ = true;
  wanted_ = false;
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
  bool notify = false;
  bool inlineCheckpoint = false;
  {
    std::lock_guard lock(checkpointer->mutex_);
    const bool pendingBefore = checkpointer->pending();
    ++checkpointer->commits_;
    checkpointer->stats_.walPages = pages;
    checkpointer->stats_.maxWalPages = std::max(checkpointer->stats_.maxWalPages, pages);
    checkpointer->lastCommit_ = std::chrono::steady_clock::now();
    const Policy& policy = checkpointer->policy_;
    if (checkpointer->halted_) {
      // No checkpoint at all (halt()).
    } else if (pages >= kInlinePages) {
      inlineCheckpoint = true;
      ++checkpointer->stats_.inlineRuns;
    } else if (pages >= policy.restartPages) {
      checkpointer->wanted_ = true;
      notify = true;
    } else if (!pendingBefore && policy.idle.count() > 0) {
      notify = true;  // the thread starts its idle timer
    }
  }
  if (inlineCheckpoint) {
    // The thread cannot keep up: bound the WAL here, as SQLite's own hook would.
    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  }
  if (notify) checkpointer->wake_.notify_one();
  return SQLITE_OK;
}

void WalCheckpointer::run() {
  // Named for profiles and /proc/PID/task/*/comm (its CPU per note is a bench figure).
  pthread_setname_np(pthread_self(), "nb-checkpoint");
  using Clock = std::chrono::steady_clock;
  std::unique_lock lock(mutex_);
  // The last checkpoint, for the figures: the nBackfill and WAL frames it left, whether it
  // copied the whole WAL, and the commit count when it started.
  int backfilled = 0;
  int lastLog = 0;
  bool lastComplete = false;
  std::uint64_t lastStart = 0;
  Clock::time_point nextIdle{};  // no idle checkpoint before (one that left frames)
  while (true) {
    bool idleRun = false;
    while (!wanted_ && !stopping_) {
      if (halted_ || policy_.idle.count() <= 0 || !pending()) {
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
    // Commits up to here are in the WAL this checkpoint finds (later ones may be too).
    const std::uint64_t start = commits_;
    lock.unlock();
    const std::uint64_t cpuBefore = threadCpuNanos();
    int walFrames = 0;
    int backfill = 0;
    // Busy (another checkpoint running) or a failure leaves the frames for the next one.
    const int rc =
        sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &walFrames, &backfill);
    const std::uint64_t cpu = threadCpuNanos() - cpuBefore;
    lock.lock();
    ++stats_.runs;
    if (idleRun) {
      ++stats_.idleRuns;
      nextIdle = Clock::now() + policy_.idle;
    }
    stats_.cpuNanos += cpu;
    if (rc == SQLITE_OK && backfill >= 0) {
      // nBackfill only grows, until a writer restarts the WAL, which it can only do after a
      // checkpoint that copied the whole WAL, with a commit since. Then a WAL not longer than
      // the last one was restarted; a longer one is counted as restarted when nBackfill went
      // down (under load a WAL rarely restarts: the writer's next transaction has usually
      // begun before the checkpoint ends; a restarted WAL that outgrew the last nBackfill is
      // then undercounted, a figure only).
      const bool mayHaveRestarted = lastComplete && start != lastStart;
      const bool continued = backfill >= backfilled && (!mayHaveRestarted || walFrames > lastLog);
      stats_.framesCopied +=
          static_cast<std::uint64_t>(continued ? backfill - backfilled : backfill);
      backfilled = backfill;
      lastLog = walFrames;
      lastComplete = backfill == walFrames;
      lastStart = start;
      if (lastComplete) {
        ++stats_.complete;
        caughtUpAt_ = std::max(caughtUpAt_, start);
      }
    }
  }
}

}  // namespace notebridge::gateway

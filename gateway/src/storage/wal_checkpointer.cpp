#include "storage/wal_checkpointer.h"

#include <Poco/Data/DataException.h>
#include <pthread.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

namespace notebridge::gateway {

namespace {

int wakePagesFor(int wanted) {
  if (wanted != WalCheckpointer::kWakePages) return wanted;
  if (const char* pages = std::getenv("NOTEBRIDGE_CHECKPOINT_PAGES"); pages && *pages) {
    if (const int n = std::atoi(pages); n > 0) return n;
  }
  return wanted;
}

std::uint64_t threadCpuNanos() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<std::uint64_t>(now.tv_sec) * 1000000000u +
         static_cast<std::uint64_t>(now.tv_nsec);
}

}  // namespace

WalCheckpointer::WalCheckpointer(const std::string& file, int wakePages)
    : wakePages_(wakePagesFor(wakePages)) {
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
    std::fprintf(stderr,
                 "{\"store_stats\": {\"checkpointer\": {\"wake_pages\": %d, \"runs\": %llu, "
                 "\"complete\": %llu, \"frames_copied\": %llu, \"cpu_ms\": %.1f}}}\n",
                 wakePages_, static_cast<unsigned long long>(stats_.runs),
                 static_cast<unsigned long long>(stats_.complete),
                 static_cast<unsigned long long>(stats_.framesCopied),
                 static_cast<double>(stats_.cpuNanos) / 1e6);
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
  } else if (pages >= checkpointer->wakePages_) {
    {
      std::lock_guard lock(checkpointer->mutex_);
      checkpointer->wanted_ = true;
    }
    checkpointer->wake_.notify_one();
  }
  return SQLITE_OK;
}

void WalCheckpointer::run() {
  // Named for profiles and /proc/PID/task/*/comm (its CPU per note is a bench figure).
  pthread_setname_np(pthread_self(), "nb-checkpoint");
  std::unique_lock lock(mutex_);
  int backfilled = 0;  // nBackfill after the last checkpoint
  while (true) {
    wake_.wait(lock, [&] { return wanted_ || stopping_; });
    if (stopping_) return;
    wanted_ = false;
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
    stats_.cpuNanos += cpu;
    if (rc == SQLITE_OK && backfill >= 0) {
      // nBackfill only grows, until a writer restarts the WAL (after a complete checkpoint).
      stats_.framesCopied +=
          static_cast<std::uint64_t>(backfill >= backfilled ? backfill - backfilled : backfill);
      backfilled = backfill;
      if (backfill == walFrames) ++stats_.complete;
    }
  }
}

}  // namespace notebridge::gateway

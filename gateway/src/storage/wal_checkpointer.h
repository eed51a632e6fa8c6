#pragma once

// SqliteStore's checkpoints, moved off the writer (private to the storage files).
#include <sqlite3.h>

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace notebridge::gateway {

// Copies the WAL back into the database file on a thread of its own, so that a commit's
// latency is its WAL write and fsync only. SQLite's automatic checkpoint runs inside the
// COMMIT that crosses the threshold (wal_autocheckpoint, 1,000 pages): with the writer held,
// every waiting note paid for copying the pages and for two more fsyncs. A PASSIVE
// checkpoint from another connection runs beside the writer (it never blocks it or the
// readers). It copies only committed frames, but with the store's durability pipeline they
// may not have been fsynced by the store yet (the writer commits with synchronous=NORMAL and
// syncs afterwards). That is safe because SQLite's checkpoint fsyncs the WAL before it copies
// any frame and the database file after, unless the checkpointing connection has
// synchronous=OFF: this connection sets FULL, and must never be set to OFF. When the thread
// falls far behind (kInlinePages), the writer checkpoints itself as before, which bounds the
// WAL (a read that saw the commit whose turn ran that checkpoint waits for it too).
//
// Thread-safe. Throws Poco::Data::DataException when its connection cannot be opened.
class WalCheckpointer {
 public:
  // Opens its own connection to `file` and starts the thread, woken when a commit leaves
  // `wakePages` or more in the WAL.
  explicit WalCheckpointer(const std::string& file, int wakePages = kWakePages);
  // Stops the thread and closes the connection.
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // Replaces `writer`'s automatic checkpoint with this one (sqlite3_wal_hook). The writer
  // must be closed or uninstalled (uninstall) before this object is destroyed.
  void install(sqlite3* writer);
  static void uninstall(sqlite3* writer);

  // Checkpoints run so far by the thread (for tests).
  std::uint64_t checkpoints() const;

  // What the thread's checkpoints did (for tests and benchmarks).
  struct Stats {
    std::uint64_t runs = 0;          // checkpoints run
    std::uint64_t complete = 0;      // of them, the ones that copied the whole WAL
    std::uint64_t framesCopied = 0;  // WAL frames backfilled (growth of nBackfill)
    std::uint64_t cpuNanos = 0;      // the thread's CPU time inside the checkpoints
  };
  Stats stats() const;

  // WAL pages after a commit from which the thread is woken by default
  // (NOTEBRIDGE_CHECKPOINT_PAGES in the environment overrides it, for A/B measurements).
  static constexpr int kWakePages = 8000;
  // WAL pages from which the writer checkpoints inside its commit, as without this class.
  static constexpr int kInlinePages = 64000;

 private:
  static int onCommit(void* self, sqlite3* db, const char* name, int pages);
  void run();

  const int wakePages_;
  sqlite3* db_ = nullptr;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool wanted_ = false;
  bool stopping_ = false;
  Stats stats_;
  std::thread thread_;
};

}  // namespace notebridge::gateway

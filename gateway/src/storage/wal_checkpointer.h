#pragma once

// SqliteStore's checkpoints, moved off the writer (private to the storage files).
#include <sqlite3.h>

#include <chrono>
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
// When it runs (Policy): a checkpoint costs the copy of each page once per checkpoint and two
// fsyncs, so the pages several commits rewrite (the right edges of indexes, interior pages)
// are copied once per window of commits: the longer the window, the fewer copies per note.
// But the WAL only restarts (is reused from its start) after a checkpoint that caught up, with
// the writer between transactions; until then it grows. So the thread is woken
// - after every commit once the WAL holds `restartPages` frames, copied or not (the first
//   checkpoint of each WAL covers a long window; the later ones are short and catch up, so
//   that the WAL restarts), and
// - when no commit came for `idle` while frames are left to copy (a quiet store catches up
//   and its WAL restarts at the next write; readers then look up fewer WAL frames).
// "Frames left to copy" is decided from commits, not from frame counts (a restarted WAL can
// reach any length): the hook counts the writer's commits, and frames are left unless the
// last checkpoint that caught up started after the last commit.
//
// Once halt() is called (the store's WAL sync failed) it runs no checkpoint any more, idle or
// woken, and the writer's inline checkpoint is skipped too: a checkpoint would copy frames
// whose sync failed into the database file. Nor does SQLite's checkpoint when the process's
// last connection closes: this object's connection holds the database file's shared lock
// from its start, is the store's last to close, and closes without a checkpoint once halted.
//
// Thread-safe. Throws Poco::Data::DataException when its connection cannot be opened.
class WalCheckpointer {
 public:
  struct Policy {
    int restartPages;                // WAL frames from which every commit wakes the thread
    std::chrono::milliseconds idle;  // no commit for this long: copy the rest (0: never)
  };
  // The store's policy: kRestartPages and kIdle, overridden for A/B measurements by
  // NOTEBRIDGE_CHECKPOINT_PAGES (1 to kInlinePages) and NOTEBRIDGE_CHECKPOINT_IDLE_MS
  // (milliseconds, 0 to 3,600,000; 0: no idle checkpoint) in the environment. A value that is
  // not a decimal integer in range is ignored, with a warning on stderr.
  static Policy defaultPolicy();

  // Opens its own connection to `file` and starts the thread. With `wakePages` other than
  // kWakePages: woken after every commit that leaves `wakePages` or more frames in the WAL,
  // and only then (restartPages = wakePages, no idle checkpoint); with kWakePages,
  // defaultPolicy().
  explicit WalCheckpointer(const std::string& file, int wakePages = kWakePages);
  WalCheckpointer(const std::string& file, const Policy& policy);
  // Stops the thread and closes the connection.
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // Replaces `writer`'s automatic checkpoint with this one (sqlite3_wal_hook). The writer
  // must be closed or uninstalled (uninstall) before this object is destroyed.
  void install(sqlite3* writer);
  static void uninstall(sqlite3* writer);

  // No checkpoint starts after this call (a running one finishes). For good: the store calls
  // it when the WAL's sync has failed.
  void halt();

  // Checkpoints run so far by the thread (for tests).
  std::uint64_t checkpoints() const;

  // What the thread's checkpoints did (for tests and benchmarks).
  struct Stats {
    std::uint64_t runs = 0;          // checkpoints run
    std::uint64_t idleRuns = 0;      // of them, the ones run because no commit came (Policy)
    std::uint64_t inlineRuns = 0;    // checkpoints the writer ran in its commit (kInlinePages)
    int walPages = 0;                // frames in the WAL after the last commit
    int maxWalPages = 0;             // the most frames a commit left in the WAL
    std::uint64_t complete = 0;      // of the runs, the ones that copied the whole WAL
    std::uint64_t framesCopied = 0;  // WAL frames backfilled (growth of nBackfill; see run())
    std::uint64_t cpuNanos = 0;      // the thread's CPU time inside the checkpoints
  };
  Stats stats() const;

  // The default policy (bench/README.md, session 7, has the measurements: 8,000, 16,000 and
  // 32,000 pages).
  static constexpr int kRestartPages = 16000;
  static constexpr std::chrono::milliseconds kIdle{200};
  // The constructor's default argument: "the default policy".
  static constexpr int kWakePages = kRestartPages;
  // WAL pages from which the writer checkpoints inside its commit, as without this class.
  static constexpr int kInlinePages = 64000;

 private:
  static int onCommit(void* self, sqlite3* db, const char* name, int pages);
  void run();
  // Whether frames may be left to copy (mutex_ held).
  bool pending() const { return commits_ != caughtUpAt_; }

  const Policy policy_;
  sqlite3* db_ = nullptr;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool wanted_ = false;
  bool stopping_ = false;
  bool halted_ = false;
  // Under mutex_: the writer's commits seen by the hook, the count when the last checkpoint
  // that copied the whole WAL started, and when the last commit came.
  std::uint64_t commits_ = 0;
  std::uint64_t caughtUpAt_ = 0;
  std::chrono::steady_clock::time_point lastCommit_{};
  Stats stats_;
  std::thread thread_;
};

}  // namespace notebridge::gateway

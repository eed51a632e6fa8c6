#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "notebridge/gateway/store.h"

namespace Poco::Data {
class Session;
class SessionPool;
}  // namespace Poco::Data

namespace notebridge::gateway {

class SqliteReadPool;
class WalCheckpointer;
namespace sqlite {
class StatementCache;
}

// How SqliteStore::open runs the store (the gateway's `store.*` configuration keys).
struct SqliteStoreOptions {
  // store.writerBoost: nice levels the thread holding the write lock runs above its own
  // priority for its turn, 0 to kMaxWriterBoost (0: off). Raised only as far as the process
  // may (CAP_SYS_NICE, or the nice ceiling RLIMIT_NICE allows).
  int writerBoost = 10;
  static constexpr int kMaxWriterBoost = 39;
};

// One numbered step of the schema. Steps run in order, each in its own transaction, and each is
// recorded in the schema_version table, so a later issue adds tables by appending a migration.
struct Migration {
  int version;
  std::string description;
  std::vector<std::string> statements;
};

// The product's migrations, in order.
const std::vector<Migration>& sqliteMigrations();

// The embedded store: one SQLite file in WAL mode through Poco::Data.
//
// Durability: journal_mode=WAL. The one connection kept for writing commits with
// synchronous=NORMAL (no fsync inside COMMIT, so the next write can start at once) and one
// fdatasync of the WAL then makes every commit written before it durable; no call returns
// (a write's answer, a read's result, a claim the outbox worker sends) before every commit
// it wrote or could have seen is durable. Every other connection keeps synchronous=FULL (its
// commits are durable before anyone sees them). A transaction that a call reported as stored
// survives a crash of the process or of the machine. A failed fdatasync fails every call
// waiting for it, and from then on the store refuses writes, every read that waits for the
// writer's commits fails (resources, notes, search, the outbox), and ping() fails (the disk
// is failing: restart once it is fixed); only adding, revoking and checking API keys (written
// only through synchronous=FULL connections) keep working. When the WAL file cannot be opened for
// its fdatasync (no descriptor left, the file replaced), the calls waiting for that sync fail but
// nothing is sticky: no fsync failed, and the next sync tries again. busy_timeout lets writers wait
// for each other instead of failing; foreign_keys is on. Thread-safe: each call takes a pooled
// session. Concurrent writeNote calls are committed together (group commit), each answered only
// once its transaction is durable.
class SqliteStore final : public Store {
 public:
  // The WAL file's size limit (journal_size_limit): a restarted WAL larger than this is
  // truncated to it. Twice WalCheckpointer::kInlinePages of 4 KB pages, so a WAL that the
  // checkpoints keep bounded is never truncated (see configureWriter).
  static constexpr std::int64_t kWalSizeLimitBytes = 512LL * 1024 * 1024;

  // Opens (creating when missing) the database file and its directory, then brings the schema
  // up to date. Fails with a fatal issue when the file cannot be opened, a migration fails (that
  // migration is rolled back), or the database is newer than the migrations this program knows.
  static fhir::Result<std::shared_ptr<SqliteStore>> open(
      const std::filesystem::path& file,
      const std::vector<Migration>& migrations = sqliteMigrations());
  // The same with `options` (a writerBoost out of range fails the open).
  static fhir::Result<std::shared_ptr<SqliteStore>> open(
      const std::filesystem::path& file, const SqliteStoreOptions& options,
      const std::vector<Migration>& migrations = sqliteMigrations());

  ~SqliteStore() override;

  fhir::Outcome ping() override;
  int schemaVersion() override;
  void close() override;
  fhir::Outcome addApiKey(const ApiKeyRecord& key, const std::string& secretHash) override;
  fhir::Result<std::vector<ApiKeyRecord>> listApiKeys() override;
  fhir::Outcome revokeApiKey(const std::string& id) override;
  std::optional<std::string> activeApiKeyHash(const std::string& id) override;
  fhir::Result<WriteResult> writeResource(const ResourceWrite& write) override;
  fhir::Result<ResourceVersion> readResource(const std::string& type, const std::string& id,
                                             std::optional<int> version) override;
  fhir::Result<std::vector<ResourceVersion>> history(const std::string& type, const std::string& id,
                                                     int count) override;
  fhir::Result<SearchPage> search(const SearchQuery& query) override;
  fhir::Result<NoteWriteResult> writeNote(const NoteWrite& write) override;
  fhir::Result<NoteRecord> readNote(const std::string& id, std::optional<int> version) override;
  fhir::Result<NotePage> listNotes(const NoteQuery& query) override;
  fhir::Result<std::vector<NoteDelivery>> noteDeliveries(const std::string& id,
                                                         int version) override;
  fhir::Outcome writeResources(
      const std::function<fhir::Outcome(ResourceTransaction&)>& work) override;

  fhir::Result<std::vector<OutboxClaim>> claimDeliveries(const std::string& destination,
                                                         const std::string& worker, int limit,
                                                         const std::string& now,
                                                         const std::string& leaseUntil) override;
  fhir::Result<int> finishDeliveries(const std::string& worker,
                                     const std::vector<OutboxFinish>& results,
                                     const std::string& now) override;
  fhir::Result<std::vector<OutboxRow>> listDeliveries(const OutboxQuery& query) override;
  fhir::Result<OutboxRow> readDelivery(std::int64_t id) override;
  fhir::Result<OutboxRow> retryDelivery(std::int64_t id, const std::string& now) override;

  const std::filesystem::path& file() const { return file_; }

  // Figures of the write path since open (relaxed counters; for tests and benchmarks).
  struct Figures {
    std::uint64_t batches = 0;  // group commits
    std::uint64_t notes = 0;    // notes in them
    std::uint64_t syncs = 0;    // fdatasyncs of the WAL made for waiting calls
    std::uint64_t waits = 0;    // calls that found their commits not durable yet and waited
  };
  Figures figures() const;

  // For tests: the writer connection's `PRAGMA synchronous` (1 NORMAL, 2 FULL), read on that
  // connection under the write lock; -1 when it cannot be read.
  int writerSynchronousForTesting();

  // For tests: how many nice levels the thread holding the write lock runs above its own
  // (0 when the boost is off or the process may not raise a thread's priority), and whether
  // the thread's own nice value is back once the turn has ended.
  struct WriterPriorityForTesting {
    int raisedBy = 0;
    bool restored = false;
  };
  WriterPriorityForTesting writerPriorityForTesting();

  // For tests: replaces the fdatasync of the WAL. `sync` gets the WAL's descriptor and returns
  // 0, or -1 with errno set, as fdatasync does; it runs on a calling thread, never under the
  // write lock. An empty function restores fdatasync. Set it while no call is running.
  void setWalSyncForTesting(std::function<int(int)> sync);

 private:
  SqliteStore(std::filesystem::path file, std::string walFile, int walFd,
              std::unique_ptr<Poco::Data::SessionPool> pool, std::unique_ptr<SqliteReadPool> reads,
              std::unique_ptr<WalCheckpointer> checkpointer, const SqliteStoreOptions& options);
  // Runs `work` with a pooled session, turning a closed store or a driver exception into a
  // fatal issue (code "transient" when closed, "exception" otherwise), then waits until what
  // it may have read is durable (awaitVisible) unless `awaitDurable` is false (for reads of
  // what only synchronous=FULL connections write: the API keys).
  template <typename Work>
  fhir::Outcome withSession(Work&& work, bool awaitDurable = true);
  // As withSession, for the writes: holds writeMutex_ and runs `work` on the one session kept
  // for writing, whose page cache stays valid from one write transaction to the next (SQLite
  // drops a connection's cache whenever another connection has written); then, with the
  // writer released, waits until its commits (and all it read) are durable.
  template <typename Work>
  fhir::Outcome withWriteSession(Work&& work);
  // The write turn of withWriteSession without the wait: `seq` gets what awaitDurable must
  // reach before anything `work` did or read may be reported (set even when `work` throws).
  template <typename Work>
  fhir::Outcome withWriteTurn(Work&& work, std::uint64_t& seq);
  // Runs `work` with a read connection (reads, history, search), with the same error channel,
  // then waits as withSession does.
  template <typename Work>
  fhir::Outcome withReads(Work&& work);

  // --- Durability of the writer's commits (sqlite_store.cpp) ---
  // Commits are numbered: the writer's commit hook takes the next number before SQLite
  // writes the commit (from its wal-index update on, other connections can read it), so a
  // read that may have seen a commit reads visibleSeq_ after it at or above its number.
  // writtenSeq_ is the number of the last write turn that has ended (its frames are in the
  // WAL file), durableSeq_ the highest number an fdatasync of the WAL covered (it started
  // after writtenSeq_ had reached it). A calling thread whose number is not durable yet
  // runs the next fdatasync itself when none is running (for every turn written by then), or
  // waits for the one running. mutex_ must be held (shared) around awaitDurable.
  fhir::Outcome awaitDurable(std::uint64_t seq);
  // awaitDurable for everything a read that has ended could have seen.
  fhir::Outcome awaitVisible();
  // One fdatasync of the WAL (or `sync`, the test's function). `error` is "" or what failed;
  // `sticky` when the fdatasync itself failed (the disk), not when the WAL file could not be
  // opened or was replaced during the sync (the next sync may succeed, and nothing it covers
  // was dropped by the kernel).
  struct SyncResult {
    std::string error;
    bool sticky = false;
  };
  SyncResult syncWal(const std::function<int(int)>& sync);
  static int onWriterCommit(void* self);

  std::filesystem::path file_;
  const std::string walFile_;  // SQLite's name of the WAL file ("<database>-wal")
  // NOTEBRIDGE_STORE_PIPELINE=0 in the environment: the writer commits with synchronous=FULL
  // as every other connection (durable before visible) and nothing waits (for the benchmarks'
  // A/B runs; open() says so on stderr).
  const bool pipelined_;
  std::atomic<std::uint64_t> visibleSeq_{0};
  std::atomic<std::uint64_t> writtenSeq_{0};  // stored under writeMutex_
  std::atomic<std::uint64_t> durableSeq_{0};  // stored under syncMutex_
  std::atomic<bool> syncFailed_{false};       // sticky; stored under syncMutex_
  std::mutex syncMutex_;
  std::condition_variable synced_;  // a sync ended
  bool syncing_ = false;            // syncMutex_
  std::string syncError_;           // syncMutex_
  // The last sync that failed without being sticky (syncMutex_): the calls waiting for it
  // (their number at most failedUpTo_, waiting since before round failedRound_) fail with
  // transientError_. syncRound_ counts the syncs that ended.
  std::uint64_t syncRound_ = 0;
  std::uint64_t failedRound_ = 0;
  std::uint64_t failedUpTo_ = 0;
  std::string transientError_;
  // Opened by open(); used by the thread that set syncing_, or by close().
  int walFd_ = -1;
  std::function<int(int)> walSync_;  // syncMutex_
  // SQLite allows one writer at a time; taking turns here instead of in SQLite's busy loop
  // keeps conditional creates race-free and writers fair.
  std::mutex writeMutex_;
  std::unique_ptr<Poco::Data::Session> writeSession_;  // guarded by writeMutex_
  // The group commit's prepared statements on writeSession_, kept from one batch to the next
  // (guarded by writeMutex_; released with the session).
  std::unique_ptr<sqlite::StatementCache> noteStatements_;
  // Checkpoints the WAL beside the writer (its hook is installed on writeSession_).
  std::unique_ptr<WalCheckpointer> checkpointer_;
  // The thread holding the write lock runs writerBoost_ nice levels above its own
  // (SqliteStoreOptions::writerBoost, 0: off): every note queued behind the writer waits for
  // its turn, and with a core shared by the request threads that map and validate, the writer
  // spent more time waiting for a core than running on it. Raising a thread's priority needs
  // CAP_SYS_NICE or an RLIMIT_NICE that allows it: when a raise is refused, the store raises
  // as far as RLIMIT_NICE allows instead (boostFloor_: the lowest nice value it may set, 20
  // when none below a thread's own is allowed) and the turn runs as before when it allows
  // none. Lowering it back after the turn is always permitted.
  struct WriterPriority {
    int previous = 0;
    bool raised = false;
  };
  WriterPriority raiseWriterPriority();
  static void restoreWriterPriority(const WriterPriority& priority);
  const int writerBoost_;
  std::atomic<int> boostFloor_{-20};
  // Called with writeMutex_ held when writeSession_ is (re)opened.
  void configureWriter(Poco::Data::Session& session);
  // Closes writeSession_ (writeMutex_ held or closing). It is a connection of its own, not
  // the pool's: its settings (synchronous=NORMAL, the hooks) never reach another caller.
  void releaseWriter();
  // Group commit for writeNote: writers queue their notes, and one of them (the leader) writes
  // every queued note in one transaction (a savepoint each for the notes that could be refused
  // after writing: mayFailAfterWriting), so that many notes share one commit. The leader hands the
  // leadership to the first writer still queued as soon as the commit has returned, then waits
  // until the commit is durable (often running the fdatasync itself, while the next batch is
  // written), and only then answers its batch. Waiters sleep on their own condition variable: a
  // batch wakes only the writers it answered.
  struct PendingNote;
  // `seq` as withWriteTurn's.
  void writeNoteBatch(const std::vector<PendingNote*>& batch, std::uint64_t& seq);
  // Group-commit figures for the benchmarks: batches, notes, and the wall and CPU time the
  // leader held the writer for them (statements, commit), and the fdatasyncs that made them
  // durable. Printed as one JSON line on stderr at close() when the environment has
  // NOTEBRIDGE_STORE_STATS set.
  struct CommitStats {
    std::atomic<std::uint64_t> batches{0};
    std::atomic<std::uint64_t> notes{0};
    std::atomic<std::uint64_t> heldNanos{0};
    std::atomic<std::uint64_t> heldCpuNanos{0};
    std::atomic<std::uint64_t> commitNanos{0};  // of heldNanos: the COMMIT (WAL write)
    std::atomic<std::uint64_t> commitCpuNanos{0};
    std::atomic<std::uint64_t> syncs{0};         // fdatasyncs of the WAL by awaitDurable
    std::atomic<std::uint64_t> syncNanos{0};     // their wall time
    std::atomic<std::uint64_t> waits{0};         // awaitDurable calls that had to wait or sync
    std::atomic<std::uint64_t> turns{0};         // write turns
    std::atomic<std::uint64_t> boostedTurns{0};  // of them: run at a raised priority
  };
  CommitStats stats_;
  std::mutex queueMutex_;
  std::deque<PendingNote*> queue_;
  bool leaderActive_ = false;
  std::shared_mutex mutex_;  // calls share it; close() takes it alone
  std::unique_ptr<Poco::Data::SessionPool> pool_;
  std::unique_ptr<SqliteReadPool> reads_;  // closed with pool_
};

}  // namespace notebridge::gateway

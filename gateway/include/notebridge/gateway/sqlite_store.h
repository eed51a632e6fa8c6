#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
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
// Durability: journal_mode=WAL with synchronous=FULL, so a transaction that has committed
// survives a crash of the process or of the machine; busy_timeout lets writers wait for each
// other instead of failing; foreign_keys is on. Thread-safe: each call takes a pooled session.
// Concurrent writeNote calls are committed together (group commit): one fsync for many notes,
// each answered only once its transaction has committed.
class SqliteStore final : public Store {
 public:
  // Opens (creating when missing) the database file and its directory, then brings the schema
  // up to date. Fails with a fatal issue when the file cannot be opened, a migration fails (that
  // migration is rolled back), or the database is newer than the migrations this program knows.
  static fhir::Result<std::shared_ptr<SqliteStore>> open(
      const std::filesystem::path& file,
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

 private:
  SqliteStore(std::filesystem::path file, std::unique_ptr<Poco::Data::SessionPool> pool,
              std::unique_ptr<SqliteReadPool> reads, std::unique_ptr<WalCheckpointer> checkpointer);
  // Runs `work` with a pooled session, turning a closed store or a driver exception into a
  // fatal issue (code "transient" when closed, "exception" otherwise).
  template <typename Work>
  fhir::Outcome withSession(Work&& work);
  // As withSession, for the writes: holds writeMutex_ and runs `work` on the one session kept
  // for writing, whose page cache stays valid from one write transaction to the next (SQLite
  // drops a connection's cache whenever another connection has written).
  template <typename Work>
  fhir::Outcome withWriteSession(Work&& work);
  // Runs `work` with a read connection (reads, history, search), with the same error channel.
  template <typename Work>
  fhir::Outcome withReads(Work&& work);

  std::filesystem::path file_;
  // SQLite allows one writer at a time; taking turns here instead of in SQLite's busy loop
  // keeps conditional creates race-free and writers fair.
  std::mutex writeMutex_;
  std::unique_ptr<Poco::Data::Session> writeSession_;  // guarded by writeMutex_
  // The group commit's prepared statements on writeSession_, kept from one batch to the next
  // (guarded by writeMutex_; released with the session).
  std::unique_ptr<sqlite::StatementCache> noteStatements_;
  // Checkpoints the WAL beside the writer (its hook is installed on writeSession_).
  std::unique_ptr<WalCheckpointer> checkpointer_;
  // Called with writeMutex_ held when writeSession_ is (re)opened.
  void configureWriter(Poco::Data::Session& session);
  // Gives writeSession_ back to the pool, without the hook (writeMutex_ held or closing).
  void releaseWriter();
  // Group commit for writeNote: writers queue their notes, and one of them (the leader) writes
  // every queued note in one transaction, a savepoint each, so that many notes share one
  // commit and its fsync. Each writer gets its answer only after that commit. Waiters sleep
  // on their own condition variable: a commit wakes only the writers it answered, and hands
  // the leadership to the first writer still queued.
  struct PendingNote;
  void writeNoteBatch(const std::vector<PendingNote*>& batch);
  // Group-commit figures for the benchmarks: batches, notes, and the wall and CPU time the
  // leader held the writer for them (statements, commit, fsync). Printed as one JSON line on
  // stderr at close() when the environment has NOTEBRIDGE_STORE_STATS set.
  struct CommitStats {
    std::atomic<std::uint64_t> batches{0};
    std::atomic<std::uint64_t> notes{0};
    std::atomic<std::uint64_t> heldNanos{0};
    std::atomic<std::uint64_t> heldCpuNanos{0};
    std::atomic<std::uint64_t> commitNanos{0};  // of heldNanos: the COMMIT (WAL write, fsync)
    std::atomic<std::uint64_t> commitCpuNanos{0};
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

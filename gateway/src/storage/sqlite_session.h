#pragma once

// SqliteStore::withSession and its kin, shared by the files that implement SqliteStore.
#include <Poco/Data/Session.h>
#include <Poco/Data/SessionPool.h>
#include <Poco/Exception.h>
#include <sqlite3.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "notebridge/gateway/sqlite_store.h"
#include "storage/sqlite_read_pool.h"

namespace notebridge::gateway {

// Pieces of SqliteStore shared by its files; each runs on a session that is inside a
// transaction the caller began (BEGIN IMMEDIATE) and will end.
namespace sqlite {
// Prepared statements of one session, kept for one transaction (a batch of notes reuses each
// statement instead of preparing it again per row). Driver errors throw Poco::DataException.
class StatementCache {
 public:
  explicit StatementCache(Poco::Data::Session& session);
  ~StatementCache();
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;
  // The statement for `sql` (a string literal: cached by address), reset and unbound.
  sqlite3_stmt* get(const char* sql);
  // Binds the texts in order (the strings must outlive the step) and steps once: true when a
  // row is there.
  bool step(sqlite3_stmt* statement);
  void bind(sqlite3_stmt* statement, int index, const std::string& text);
  void bind(sqlite3_stmt* statement, int index, int value);
  void bind(sqlite3_stmt* statement, int index, std::int64_t value);
  // The rowid of the last row this connection inserted.
  std::int64_t lastInsertRowid() const;
  // Runs a statement without results (SAVEPOINT, RELEASE, ...), prepared once.
  void exec(const char* sql);
  // Resets every statement, so none is still reading when the transaction ends.
  void resetAll();
  // The transaction's time (nowInstant, read once): every write of a group commit carries
  // the same lastUpdated.
  const std::string& now();
  // Starts a new transaction's use of a cache kept between transactions: now() reads the
  // clock again.
  void newTransaction() { now_.clear(); }

  // The rids of the resources one note has written or found so far, by "Type/id": the
  // references of its later resources (its Provenance names every one) find their rid here
  // instead of probing (type, id) again. Kept only for the span of one note (NoteRids): a
  // note's own writes are never undone midway, whereas a rid kept past a rollback could name
  // a resource that no longer exists.
  class NoteRids {
   public:
    explicit NoteRids(StatementCache& cache) : cache_(cache) { cache_.noteRids_.emplace(); }
    ~NoteRids() { cache_.noteRids_.reset(); }
    NoteRids(const NoteRids&) = delete;
    NoteRids& operator=(const NoteRids&) = delete;

   private:
    StatementCache& cache_;
  };
  void rememberRid(const std::string& type, const std::string& id, std::int64_t rid) {
    if (noteRids_) noteRids_->insert_or_assign(type + "/" + id, rid);
  }
  std::optional<std::int64_t> knownRid(const std::string& reference) const {
    if (!noteRids_) return std::nullopt;
    const auto found = noteRids_->find(reference);
    if (found == noteRids_->end()) return std::nullopt;
    return found->second;
  }

 private:
  sqlite3* db_;
  std::string now_;
  std::optional<std::unordered_map<std::string, std::int64_t>> noteRids_;
  std::vector<std::pair<const char*, sqlite3_stmt*>> statements_;
};

// A text column of the current row ("" for NULL).
std::string columnText(sqlite3_stmt* statement, int column);

// One resource write with its checks and index (see ResourceWrite); nothing when a check
// failed (the reason is in `issues`). Throws Poco exceptions on driver errors.
std::optional<WriteResult> writeInTransaction(Poco::Data::Session& session,
                                              StatementCache& statements,
                                              const ResourceWrite& write, fhir::Outcome& issues);
std::vector<std::string> matchingIds(Poco::Data::Session& session, const std::string& type,
                                     const std::vector<SearchCriterion>& criteria, int limit);
// An instant with millisecond precision in UTC: lexically ordered like the times it names.
std::string nowInstant();
void rollbackQuietly(Poco::Data::Session& session);
// A note written inside a transaction the caller holds (sqlite_notes.cpp): as the group commit
// writes one, in a savepoint of its own; nothing when refused (the reason in `issues`).
std::optional<NoteWriteResult> writeNoteInTransaction(Poco::Data::Session& session,
                                                      StatementCache& statements,
                                                      const NoteWrite& write,
                                                      fhir::Outcome& issues);
std::optional<NoteRecord> readNoteInTransaction(Poco::Data::Session& session, const std::string& id,
                                                std::optional<int> version);
}  // namespace sqlite

template <typename Work>
fhir::Outcome SqliteStore::withSession(Work&& work, bool awaitDurable) {
  fhir::Outcome outcome;
  std::shared_lock lock(mutex_);
  if (!pool_) {
    outcome.add(fhir::Severity::kFatal, "transient", "the database is closed");
    return outcome;
  }
  try {
    Poco::Data::Session session = pool_->get();
    work(session, outcome);
  } catch (const Poco::Exception& e) {
    outcome.add(fhir::Severity::kFatal, "exception", "database error: " + e.displayText());
    return outcome;
  }
  if (awaitDurable) outcome.append(awaitVisible());
  return outcome;
}

template <typename Work>
fhir::Outcome SqliteStore::withWriteTurn(Work&& work, std::uint64_t& seq) {
  fhir::Outcome outcome;
  std::shared_lock lock(mutex_);
  std::lock_guard writer(writeMutex_);
  // Declared after the lock: the thread's priority is back before the lock is released.
  struct Boost {
    WriterPriority priority;
    ~Boost() { restoreWriterPriority(priority); }
  } boost{raiseWriterPriority()};
  seq = 0;
  if (!pool_) {
    outcome.add(fhir::Severity::kFatal, "transient", "the database is closed");
    return outcome;
  }
  if (syncFailed_.load(std::memory_order_acquire)) {
    outcome.add(fhir::Severity::kFatal, "exception",
                "the database accepts no writes: an earlier write could not be made durable");
    return outcome;
  }
  // Whatever happens below: the turn's commits (and all it read) are in the WAL file once it
  // ends, and the turn's number is what its caller waits for.
  struct Written {
    SqliteStore& store;
    std::uint64_t& seq;
    ~Written() {
      seq = store.visibleSeq_.load();
      store.writtenSeq_.store(seq, std::memory_order_release);
    }
  } written{*this, seq};
  try {
    if (!writeSession_) {
      writeSession_ = std::make_unique<Poco::Data::Session>("SQLite", file_.string());
      configureWriter(*writeSession_);
    }
    work(*writeSession_, outcome);
  } catch (const Poco::Exception& e) {
    // The next write starts from a fresh session rather than one in an unknown state.
    releaseWriter();
    outcome.add(fhir::Severity::kFatal, "exception", "database error: " + e.displayText());
  }
  return outcome;
}

template <typename Work>
fhir::Outcome SqliteStore::withWriteSession(Work&& work) {
  std::uint64_t seq = 0;
  fhir::Outcome outcome = withWriteTurn(std::forward<Work>(work), seq);
  // The writer is free again: the next write runs while this one is made durable.
  std::shared_lock lock(mutex_);
  outcome.append(awaitDurable(seq));
  return outcome;
}

template <typename Work>
fhir::Outcome SqliteStore::withReads(Work&& work) {
  fhir::Outcome outcome;
  std::shared_lock lock(mutex_);
  if (!reads_) {
    outcome.add(fhir::Severity::kFatal, "transient", "the database is closed");
    return outcome;
  }
  try {
    reads_->run(work);
  } catch (const Poco::Exception& e) {
    outcome.add(fhir::Severity::kFatal, "exception", "database error: " + e.displayText());
    return outcome;
  }
  outcome.append(awaitVisible());
  return outcome;
}

inline fhir::Outcome SqliteStore::awaitVisible() {
  // After the read's last step: a commit it saw had taken its number before SQLite published
  // it, so the number read here covers it.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  return awaitDurable(visibleSeq_.load());
}

}  // namespace notebridge::gateway

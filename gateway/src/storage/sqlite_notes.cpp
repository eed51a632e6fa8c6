// SqliteStore's notes: the note rows of migration 4, written with their FHIR resources and
// outbox rows in one transaction.
#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <exception>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <stdexcept>

#include "notebridge/gateway/note_bundle.h"
#include "notebridge/gateway/sqlite_store.h"
#include "storage/sqlite_session.h"

using namespace Poco::Data::Keywords;

namespace notebridge::gateway {

using fhir::Result;
using fhir::Severity;

namespace {

constexpr const char* kNoteColumns =
    "id, version, client_id, status, source, content_hash, note_json, bundle_json, received_at, "
    "bundle_form";

std::vector<NoteRecord> readNotes(Poco::Data::Statement& select) {
  Poco::Data::RecordSet rows(select);
  std::vector<NoteRecord> out;
  for (bool more = rows.moveFirst(); more; more = rows.moveNext()) {
    NoteRecord n;
    n.id = rows[0].convert<std::string>();
    n.version = rows[1].convert<int>();
    n.clientId = rows[2].convert<std::string>();
    n.status = rows[3].convert<std::string>();
    n.source = rows[4].convert<std::string>();
    n.contentHash = rows[5].convert<std::string>();
    n.noteJson = rows[6].convert<std::string>();
    n.bundleJson = rows[7].convert<std::string>();
    n.receivedAt = rows[8].convert<std::string>();
    n.bundleFromNote = rows[9].convert<std::string>() == "mapped";
    out.push_back(std::move(n));
  }
  return out;
}

std::vector<NoteRecord> selectNote(Poco::Data::Session& session, const std::string& id,
                                   std::optional<int> version) {
  std::string key = id;
  Poco::Data::Statement select(session);
  if (version) {
    int v = *version;
    select << std::string("SELECT ") + kNoteColumns + " FROM notes WHERE id = ? AND version = ?",
        use(key), use(v), now;
  } else {
    select << std::string("SELECT ") + kNoteColumns +
                  " FROM notes WHERE id = ? ORDER BY version DESC LIMIT 1",
        use(key), now;
  }
  return readNotes(select);
}

std::vector<NoteDelivery> selectDeliveries(Poco::Data::Session& session, const std::string& id,
                                           int version) {
  std::string key = id;
  int v = version;
  Poco::Data::Statement select(session);
  select << "SELECT id, destination, state FROM outbox WHERE note_id = ? AND note_version = ? "
            "ORDER BY id",
      use(key), use(v), now;
  Poco::Data::RecordSet rows(select);
  std::vector<NoteDelivery> out;
  for (bool more = rows.moveFirst(); more; more = rows.moveNext()) {
    out.push_back({rows[0].convert<std::int64_t>(), rows[1].convert<std::string>(),
                   rows[2].convert<std::string>()});
  }
  return out;
}

// The cursor is the sort key of the last row shown: receivedAt, version and id, joined by
// '|' (the id last, since it may contain anything).
std::string cursorFor(const NoteRecord& note) {
  return note.receivedAt + "|" + std::to_string(note.version) + "|" + note.id;
}

struct Cursor {
  std::string receivedAt;
  int version = 0;
  std::string id;
};

std::optional<Cursor> parseCursor(const std::string& text) {
  const std::size_t first = text.find('|');
  if (first == std::string::npos) return std::nullopt;
  const std::size_t second = text.find('|', first + 1);
  if (second == std::string::npos) return std::nullopt;
  Cursor cursor;
  cursor.receivedAt = text.substr(0, first);
  const char* begin = text.data() + first + 1;
  const char* end = text.data() + second;
  auto [ptr, ec] = std::from_chars(begin, end, cursor.version);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  cursor.id = text.substr(second + 1);
  return cursor;
}

}  // namespace

namespace {

// One note inside the batch's transaction: nothing when it must not be stored (the reason in
// `issues`; the caller rolls back to its savepoint).
std::optional<NoteWriteResult> writeOneNote(Poco::Data::Session& session,
                                            sqlite::StatementCache& statements,
                                            const NoteWrite& write, fhir::Outcome& issues,
                                            bool& wrote) {
  wrote = false;
  const sqlite::StatementCache::NoteRids rids(statements);
  NoteWriteResult result;
  bool retraction = false;
  {
    sqlite3_stmt* select = statements.get(
        "SELECT content_hash, status, note_json FROM notes WHERE id = ? AND version = ?");
    statements.bind(select, 1, write.note.id);
    statements.bind(select, 2, write.note.version);
    if (statements.step(select)) {
      const std::string storedStatus = sqlite::columnText(select, 1);
      if (sqlite::columnText(select, 0) != write.note.contentHash) {
        // Marking a sent version (signed or amended) entered-in-error is the one change allowed
        // under the same version, since the retraction's conditional updates target that
        // version's identifiers (https://hl7.org/fhir/R4/documentreference-definitions.html
        // #DocumentReference.status). The rest of the note must be what was stored.
        std::string expected = sqlite::columnText(select, 2);
        const std::string from = "\"status\":\"" + storedStatus + "\"";
        const std::size_t at = expected.find(from);
        if (at != std::string::npos) {
          expected.replace(at, from.size(), "\"status\":\"entered-in-error\"");
        }
        retraction = write.note.status == "entered-in-error" &&
                     (storedStatus == "signed" || storedStatus == "amended") &&
                     expected == write.note.noteJson;
        if (!retraction) {
          issues.add(Severity::kError, "conflict",
                     "note " + write.note.id + " version " + std::to_string(write.note.version) +
                         " exists with different content; send a new version (or the same "
                         "content with status entered-in-error to retract it)");
          return std::nullopt;
        }
      }
      if (!retraction) {
        // A replay: the stored row and its deliveries, as they are now.
        result.note = selectNote(session, write.note.id, write.note.version).front();
        result.deliveries = selectDeliveries(session, result.note.id, result.note.version);
        return result;
      }
    }
  }
  wrote = true;
  for (const ResourceWrite& resource : write.resources) {
    if (!sqlite::writeInTransaction(session, statements, resource, issues)) return std::nullopt;
  }
  NoteRecord note = write.note;
  if (note.bundleFromNote) note.bundleJson.clear();
  note.receivedAt = statements.now();
  {
    // A retraction replaces the stored row; received_at moves so `GET /notes?since=` shows it.
    sqlite3_stmt* insert = statements.get(
        "INSERT INTO notes (id, version, client_id, status, source, content_hash, note_json, "
        "bundle_json, received_at, bundle_form) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (id, version) DO UPDATE SET status = excluded.status, "
        "content_hash = excluded.content_hash, note_json = excluded.note_json, "
        "bundle_json = excluded.bundle_json, received_at = excluded.received_at, "
        "bundle_form = excluded.bundle_form");
    static const std::string kNoBundle;
    static const std::string kMapped = "mapped";
    static const std::string kStored = "stored";
    statements.bind(insert, 1, note.id);
    statements.bind(insert, 2, note.version);
    statements.bind(insert, 3, note.clientId);
    statements.bind(insert, 4, note.status);
    statements.bind(insert, 5, note.source);
    statements.bind(insert, 6, note.contentHash);
    statements.bind(insert, 7, note.noteJson);
    // Half of what a note would write otherwise: the Bundle is rebuilt where it is read.
    statements.bind(insert, 8, note.bundleFromNote ? kNoBundle : note.bundleJson);
    statements.bind(insert, 9, note.receivedAt);
    statements.bind(insert, 10, note.bundleFromNote ? kMapped : kStored);
    statements.step(insert);
  }
  for (const std::string& destination : write.destinations) {
    sqlite3_stmt* insert = statements.get(
        "INSERT INTO outbox (note_id, note_version, destination, state, next_attempt_at, "
        "created_at, updated_at) VALUES (?, ?, ?, 'pending', ?, ?, ?) "
        // A retraction sends the version again. A worker still holding the earlier claim
        // cannot finish it (its finish requires its claim), so the retraction is never lost.
        "ON CONFLICT (note_id, note_version, destination) DO UPDATE SET state = 'pending', "
        "attempts = 0, next_attempt_at = excluded.next_attempt_at, claimed_by = NULL, "
        "claimed_until = NULL, last_error = NULL, receipt = NULL, "
        "updated_at = excluded.updated_at RETURNING id");
    statements.bind(insert, 1, note.id);
    statements.bind(insert, 2, note.version);
    statements.bind(insert, 3, destination);
    statements.bind(insert, 4, note.receivedAt);
    statements.bind(insert, 5, note.receivedAt);
    statements.bind(insert, 6, note.receivedAt);
    std::int64_t id = 0;
    if (statements.step(insert)) id = sqlite3_column_int64(insert, 0);
    statements.step(insert);  // RETURNING: finish the statement
    result.deliveries.push_back({id, destination, "pending"});
  }
  result.note = std::move(note);
  result.created = !retraction;
  return result;
}

// Wall and thread CPU time since construction.
class HeldTime {
 public:
  HeldTime() : wall_(std::chrono::steady_clock::now()), cpu_(threadCpuNanos()) {}
  std::uint64_t wallNanos() const {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::steady_clock::now() - wall_)
                                          .count());
  }
  std::uint64_t cpuNanos() const { return threadCpuNanos() - cpu_; }

 private:
  static std::uint64_t threadCpuNanos() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000u +
           static_cast<std::uint64_t>(ts.tv_nsec);
  }
  std::chrono::steady_clock::time_point wall_;
  std::uint64_t cpu_;
};

// Whether a note can be refused after it has started writing: only when one of its resource
// writes has a condition. Otherwise every refusal (a conflicting version) comes before the
// first write, and the note needs no savepoint of its own: a savepoint makes SQLite copy every
// page the note touches (~50) into its sub-journal, a sixth of the note's time in the writer.
bool mayFailAfterWriting(const NoteWrite& write) {
  return std::any_of(write.resources.begin(), write.resources.end(), [](const ResourceWrite& r) {
    return r.ifMatch || r.ifNoneExist || r.mustNotExist;
  });
}

// Notes per transaction at most: bounds the time a batch holds the write lock.
constexpr std::size_t kMaxNotesPerCommit = 64;

}  // namespace

struct SqliteStore::PendingNote {
  const NoteWrite* write = nullptr;
  std::optional<Result<NoteWriteResult>> result;
  // Both set under queueMutex_; `result` is written by the leader before it sets `done`.
  bool done = false;
  bool lead = false;  // this writer was handed the leadership
  std::condition_variable wake;
};

Result<NoteWriteResult> SqliteStore::writeNote(const NoteWrite& write) {
  PendingNote mine;
  mine.write = &write;
  std::unique_lock lock(queueMutex_);
  queue_.push_back(&mine);
  if (leaderActive_) {
    mine.wake.wait(lock, [&] { return mine.done || mine.lead; });
    if (mine.done) return std::move(*mine.result);
  }
  // Lead: the queue has no writer ahead of this one (a leader hands over to the front of the
  // queue), so this note is in the batch taken here.
  leaderActive_ = true;
  const std::size_t take = std::min(queue_.size(), kMaxNotesPerCommit);
  std::vector<PendingNote*> batch(queue_.begin(),
                                  queue_.begin() + static_cast<std::ptrdiff_t>(take));
  queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(take));
  lock.unlock();
  std::uint64_t seq = 0;
  try {
    writeNoteBatch(batch, seq);
  } catch (const std::exception& e) {
    // Not a driver error (those come back as issues) and the transaction was rolled back:
    // every writer of the batch must still get an answer, and the leadership pass on.
    for (PendingNote* pending : batch) {
      pending->result.emplace(Result<NoteWriteResult>::failure(
          Severity::kFatal, "exception", std::string("the note was not stored: ") + e.what()));
    }
  }
  lock.lock();
  // The writer is free: the next batch is written while this one is made durable.
  if (queue_.empty()) {
    leaderActive_ = false;
  } else {
    queue_.front()->lead = true;
    queue_.front()->wake.notify_one();
  }
  lock.unlock();
  fhir::Outcome durable;
  {
    std::shared_lock shared(mutex_);
    durable = awaitDurable(seq);
  }
  if (durable.hasErrors()) {
    // Not one answer of the batch may stand: neither "stored" nor what it read (a replay,
    // a conflict) is known to be on disk.
    for (PendingNote* pending : batch) pending->result.emplace(durable);
  }
  lock.lock();
  // Notified under the lock: a waiter returns (and destroys its PendingNote) only after it has
  // the lock again, so none is woken through a dangling reference.
  for (PendingNote* pending : batch) {
    pending->done = true;
    if (pending != &mine) pending->wake.notify_one();
  }
  return std::move(*mine.result);
}

void SqliteStore::writeNoteBatch(const std::vector<PendingNote*>& batch, std::uint64_t& seq) {
  const auto writeBatch = [&](Poco::Data::Session& session, fhir::Outcome&) {
    const HeldTime held;
    struct Count {
      const HeldTime& held;
      CommitStats& stats;
      std::size_t notes;
      ~Count() {
        stats.batches.fetch_add(1, std::memory_order_relaxed);
        stats.notes.fetch_add(notes, std::memory_order_relaxed);
        stats.heldNanos.fetch_add(held.wallNanos(), std::memory_order_relaxed);
        stats.heldCpuNanos.fetch_add(held.cpuNanos(), std::memory_order_relaxed);
      }
    } count{held, stats_, batch.size()};
    // IMMEDIATE: the existence checks and the inserts see the same database, so parallel
    // identical posts give one row.
    session << "BEGIN IMMEDIATE", now;
    try {
      if (!noteStatements_) noteStatements_ = std::make_unique<sqlite::StatementCache>(session);
      sqlite::StatementCache& statements = *noteStatements_;
      statements.newTransaction();
      for (PendingNote* pending : batch) {
        const bool savepoint = mayFailAfterWriting(*pending->write);
        if (savepoint) statements.exec("SAVEPOINT note");
        fhir::Outcome issues;
        bool wrote = false;
        std::optional<NoteWriteResult> written =
            writeOneNote(session, statements, *pending->write, issues, wrote);
        statements.resetAll();
        if (written) {
          pending->result.emplace(std::move(*written));
        } else {
          if (savepoint) {
            statements.exec("ROLLBACK TO note");
          } else if (wrote) {
            // Cannot happen (see mayFailAfterWriting); if it did, the note's part could not be
            // undone alone: the whole batch is rolled back and every writer told so.
            throw std::logic_error("a note without a savepoint failed after writing");
          }
          pending->result.emplace(std::move(issues));
        }
        if (savepoint) statements.exec("RELEASE note");
      }
      statements.resetAll();
      const HeldTime commit;
      session << "COMMIT", now;
      stats_.commitNanos.fetch_add(commit.wallNanos(), std::memory_order_relaxed);
      stats_.commitCpuNanos.fetch_add(commit.cpuNanos(), std::memory_order_relaxed);
    } catch (...) {
      if (noteStatements_) noteStatements_->resetAll();
      sqlite::rollbackQuietly(session);
      throw;
    }
  };
  fhir::Outcome outcome = withWriteTurn(writeBatch, seq);
  if (outcome.hasErrors()) {
    // Nothing of the batch was committed: every writer gets the failure.
    for (PendingNote* pending : batch) pending->result.emplace(outcome);
  }
}

namespace sqlite {

// The note of an inbound FHIR write, in that write's transaction (ResourceTransaction::writeNote):
// a savepoint of its own, so a refused note (a conflict) undoes only its part.
std::optional<NoteWriteResult> writeNoteInTransaction(Poco::Data::Session& session,
                                                      StatementCache& statements,
                                                      const NoteWrite& write,
                                                      fhir::Outcome& issues) {
  session << "SAVEPOINT transaction_note", now;
  bool wrote = false;
  std::optional<NoteWriteResult> written = writeOneNote(session, statements, write, issues, wrote);
  statements.resetAll();
  if (!written) session << "ROLLBACK TO transaction_note", now;
  session << "RELEASE transaction_note", now;
  return written;
}

std::optional<NoteRecord> readNoteInTransaction(Poco::Data::Session& session, const std::string& id,
                                                std::optional<int> version) {
  std::vector<NoteRecord> found = selectNote(session, id, version);
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

}  // namespace sqlite

Result<NoteRecord> SqliteStore::readNote(const std::string& id, std::optional<int> version) {
  std::vector<NoteRecord> found;
  fhir::Outcome outcome = withSession([&](Poco::Data::Session& session, fhir::Outcome&) {
    found = selectNote(session, id, version);
  });
  if (outcome.hasErrors()) return Result<NoteRecord>(std::move(outcome));
  if (found.empty()) {
    return Result<NoteRecord>::failure(
        Severity::kError, "not-found",
        "note " + id + (version ? " version " + std::to_string(*version) : "") + " is not known");
  }
  NoteRecord& note = found.front();
  if (note.bundleFromNote) {
    auto bundle = noteBundleJson(note.noteJson);
    if (!bundle) {
      fhir::Outcome failed = std::move(bundle.outcome());
      failed.add(Severity::kFatal, "processing",
                 "the FHIR Bundle of note " + note.id + " version " + std::to_string(note.version) +
                     " cannot be rebuilt from the stored note");
      return Result<NoteRecord>(std::move(failed));
    }
    note.bundleJson = std::move(*bundle);
  }
  return std::move(note);
}

Result<NotePage> SqliteStore::listNotes(const NoteQuery& query) {
  std::optional<Cursor> cursor;
  if (!query.after.empty()) {
    cursor = parseCursor(query.after);
    if (!cursor) {
      return Result<NotePage>::failure(Severity::kError, "invalid",
                                       "the paging cursor is not one this server gave out");
    }
  }
  NotePage page;
  fhir::Outcome outcome = withSession([&](Poco::Data::Session& session, fhir::Outcome&) {
    std::string sql = std::string("SELECT ") + kNoteColumns + " FROM notes WHERE 1 = 1";
    std::vector<std::string> texts;
    if (!query.clientId.empty()) {
      sql += " AND client_id = ?";
      texts.push_back(query.clientId);
    }
    if (!query.since.empty()) {
      sql += " AND received_at >= ?";
      texts.push_back(query.since);
    }
    if (!query.status.empty()) {
      sql += " AND status = ?";
      texts.push_back(query.status);
    }
    if (!query.source.empty()) {
      sql += " AND source = ?";
      texts.push_back(query.source);
    }
    if (cursor) {
      // Keyset paging on the sort order below: rows strictly after the cursor.
      sql +=
          " AND (received_at < ? OR (received_at = ? AND (version < ? OR (version = ? AND "
          "id < ?))))";
    }
    const int limit = std::max(1, query.count);
    sql += " ORDER BY received_at DESC, version DESC, id DESC LIMIT " + std::to_string(limit + 1);
    Poco::Data::Statement select(session);
    select << sql;
    for (std::string& text : texts) select, use(text);
    int version = cursor ? cursor->version : 0;
    if (cursor) {
      select, use(cursor->receivedAt), use(cursor->receivedAt), use(version), use(version),
          use(cursor->id);
    }
    select.execute();
    page.notes = readNotes(select);
    if (static_cast<int>(page.notes.size()) > limit) {
      page.notes.resize(static_cast<std::size_t>(limit));
      page.nextCursor = cursorFor(page.notes.back());
    }
  });
  if (outcome.hasErrors()) return Result<NotePage>(std::move(outcome));
  return page;
}

Result<std::vector<NoteDelivery>> SqliteStore::noteDeliveries(const std::string& id, int version) {
  std::vector<NoteDelivery> found;
  fhir::Outcome outcome = withSession([&](Poco::Data::Session& session, fhir::Outcome&) {
    found = selectDeliveries(session, id, version);
  });
  if (outcome.hasErrors()) return Result<std::vector<NoteDelivery>>(std::move(outcome));
  return found;
}

}  // namespace notebridge::gateway

#include "notebridge/gateway/sqlite_store.h"

#include "notebridge/gateway/api_keys.h"
#include "storage/sqlite_session.h"
#include "storage/sqlite_vfs.h"
#include "storage/wal_checkpointer.h"

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/SQLite/Utility.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/SessionPool.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>
#include <sqlite3.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <system_error>

using namespace Poco::Data::Keywords;

namespace notebridge::gateway {

using fhir::Result;
using fhir::Severity;

const std::vector<Migration>& sqliteMigrations() {
  // Version 1 only starts the bookkeeping; later issues append their tables here.
  static const std::vector<Migration> kMigrations = {
      {1,
       "gateway instance bookkeeping",
       {"CREATE TABLE gateway_info (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "INSERT INTO gateway_info (key, value) VALUES ('created_at', "
        "strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))"}},
      {2,
       "API keys for internal clients (secrets stored as SHA-256 only)",
       {"CREATE TABLE api_keys (id TEXT PRIMARY KEY, name TEXT NOT NULL, "
        "secret_sha256 TEXT NOT NULL, created_at TEXT NOT NULL, revoked_at TEXT)"}},
      {3,
       "FHIR resources: every version, the current one, and the search index",
       {"CREATE TABLE resource_versions (type TEXT NOT NULL, id TEXT NOT NULL, "
        "version INTEGER NOT NULL, last_updated TEXT NOT NULL, deleted INTEGER NOT NULL, "
        "body TEXT NOT NULL, PRIMARY KEY (type, id, version))",
        "CREATE TABLE resources (type TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, "
        "last_updated TEXT NOT NULL, deleted INTEGER NOT NULL, PRIMARY KEY (type, id))",
        "CREATE INDEX resources_by_updated ON resources (type, last_updated)",
        "CREATE TABLE search_index (type TEXT NOT NULL, id TEXT NOT NULL, param TEXT NOT NULL, "
        "system TEXT NOT NULL, value TEXT NOT NULL, high TEXT NOT NULL)",
        "CREATE INDEX search_index_by_value ON search_index (type, param, value)",
        "CREATE INDEX search_index_by_resource ON search_index (type, id)"}},
      {4,
       "notes (internal and inbound) and the delivery outbox",
       {"CREATE TABLE notes (id TEXT NOT NULL, version INTEGER NOT NULL, client_id TEXT NOT NULL, "
        "status TEXT NOT NULL, source TEXT NOT NULL, content_hash TEXT NOT NULL, "
        "note_json TEXT NOT NULL, bundle_json TEXT NOT NULL, received_at TEXT NOT NULL, "
        "PRIMARY KEY (id, version))",
        "CREATE INDEX notes_by_client ON notes (client_id, received_at)",
        "CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, note_id TEXT NOT NULL, "
        "note_version INTEGER NOT NULL, destination TEXT NOT NULL, state TEXT NOT NULL, "
        "attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at TEXT NOT NULL, claimed_by TEXT, "
        "claimed_until TEXT, last_error TEXT, receipt TEXT, created_at TEXT NOT NULL, "
        "updated_at TEXT NOT NULL, UNIQUE (note_id, note_version, destination))",
        "CREATE INDEX outbox_due ON outbox (state, next_attempt_at)"}},
      {5,
       "notes: the Bundle of an internal note is rebuilt from the note instead of stored",
       // 'stored': bundle_json holds the Bundle (every row written before this migration,
       // inbound notes, drafts with ''); 'mapped': bundle_json is '' and the Bundle is
       // mappers::noteToFhir of note_json.
       {"ALTER TABLE notes ADD COLUMN bundle_form TEXT NOT NULL DEFAULT 'stored'"}},
      {6,
       "FHIR resources keyed by an integer rid in insertion order, content hash of the current "
       "version, search index clustered by resource",
       // Resource ids are random UUIDs: keyed by them, every insert of a version or index row
       // lands on a random leaf page, and a note's ~16 versions and ~54 index rows dirtied ~100
       // pages (each written whole to the WAL). Keyed by rid, a new resource's rows append at
       // the right edge of each b-tree, the same few pages for a whole group commit; only
       // UNIQUE (type, id) and the value index stay random. The copy keeps the old order.
       {"CREATE TABLE resources_v6 (rid INTEGER PRIMARY KEY, type TEXT NOT NULL, "
        "id TEXT NOT NULL, version INTEGER NOT NULL, last_updated TEXT NOT NULL, "
        "deleted INTEGER NOT NULL, content_hash TEXT, UNIQUE (type, id))",
        "INSERT INTO resources_v6 (type, id, version, last_updated, deleted) "
        "SELECT type, id, version, last_updated, deleted FROM resources ORDER BY rowid",
        "CREATE TABLE resource_versions_v6 (vid INTEGER PRIMARY KEY, rid INTEGER NOT NULL, "
        "version INTEGER NOT NULL, last_updated TEXT NOT NULL, deleted INTEGER NOT NULL, "
        "body TEXT NOT NULL, UNIQUE (rid, version))",
        "INSERT INTO resource_versions_v6 (rid, version, last_updated, deleted, body) "
        "SELECT r.rid, v.version, v.last_updated, v.deleted, v.body FROM resource_versions v "
        "JOIN resources_v6 r ON r.type = v.type AND r.id = v.id ORDER BY v.rowid",
        // Clustered by resource: a resource's rows are one range (deleted on update, read by
        // the correlated criteria and sort keys); duplicates of a row carry nothing.
        "CREATE TABLE search_index_v6 (rid INTEGER NOT NULL, type TEXT NOT NULL, "
        "param TEXT NOT NULL, value TEXT NOT NULL, system TEXT NOT NULL, high TEXT NOT NULL, "
        "PRIMARY KEY (rid, param, value, system, high)) WITHOUT ROWID",
        "INSERT OR IGNORE INTO search_index_v6 (rid, type, param, value, system, high) "
        "SELECT r.rid, i.type, i.param, i.value, i.system, i.high FROM search_index i "
        "JOIN resources_v6 r ON r.type = i.type AND r.id = i.id",
        "DROP TABLE search_index", "DROP TABLE resource_versions", "DROP TABLE resources",
        "ALTER TABLE resources_v6 RENAME TO resources",
        "ALTER TABLE resource_versions_v6 RENAME TO resource_versions",
        "ALTER TABLE search_index_v6 RENAME TO search_index",
        "CREATE INDEX resources_by_updated ON resources (type, last_updated)",
        "CREATE INDEX search_index_by_value ON search_index (type, param, value)"}},
      {7,
       "search index: patient rows that repeat the subject (or Provenance target) row dropped",
       // From here on `patient` of these types is searched as subject (target) limited to
       // Patient references, and a reference whose target is stored is indexed as "#rid".
       // The rows written as text stay text: a search matches both forms anyway (a reference
       // written before its target existed keeps its text), and converting them would rewrite
       // every reference row of the index to change no result.
       {"DELETE FROM search_index WHERE param = 'patient' AND type IN ('Condition', "
        "'DocumentReference', 'Encounter', 'Goal', 'Observation') AND EXISTS (SELECT 1 FROM "
        "search_index s WHERE s.rid = search_index.rid AND s.param = 'subject' AND "
        "s.value = search_index.value)",
        "DELETE FROM search_index WHERE param = 'patient' AND type = 'Provenance' AND EXISTS "
        "(SELECT 1 FROM search_index s WHERE s.rid = search_index.rid AND s.param = 'target' "
        "AND s.value = search_index.value)"}},
  };
  return kMigrations;
}

namespace {

// Per-connection settings: every pooled session gets them, and the writer's own connection.
// `synchronous`: FULL for the pool (its commits are synced before anyone can see them),
// NORMAL for the writer when SqliteStore makes its commits durable (awaitDurable).
void configureConnection(Poco::Data::Session& session, const std::string& synchronous) {
  session << "PRAGMA busy_timeout = 5000", now;
  session << "PRAGMA foreign_keys = ON", now;
  session << "PRAGMA synchronous = " + synchronous, now;
  // 16 MB of page cache (SQLite's default is 2 MB): a group commit of up to 64 notes
  // (~2 MB of pages) fits without spilling dirty pages to the WAL mid-transaction, and the
  // b-tree interior pages stay cached between transactions.
  session << "PRAGMA cache_size = -16384", now;
  // A note of a group commit that may be refused after it has started writing (a conditional
  // resource write) is written in its own SAVEPOINT, whose journal (the original of every page
  // the note changes) SQLite otherwise spills to a temporary file beyond 64 KB: in memory it
  // is a copy instead of a file write per page. (POST /notes' notes need none.)
  session << "PRAGMA temp_store = MEMORY", now;
}

// Per-connection settings: every pooled session gets them, not only the first.
class ConfiguredSessionPool final : public Poco::Data::SessionPool {
 public:
  ConfiguredSessionPool(const std::string& file, int maxSessions)
      : Poco::Data::SessionPool("SQLite", file, 1, maxSessions, 60) {}

 protected:
  void customizeSession(Poco::Data::Session& session) override {
    configureConnection(session, "FULL");
  }
};

int currentVersion(Poco::Data::Session& session) {
  int version = 0;
  session << "SELECT COALESCE(MAX(version), 0) FROM schema_version", into(version), now;
  return version;
}

void migrate(Poco::Data::Session& session, const std::vector<Migration>& migrations) {
  session << "CREATE TABLE IF NOT EXISTS schema_version ("
             "version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)",
      now;
  const int version = currentVersion(session);
  const int known = migrations.empty() ? 0 : migrations.back().version;
  if (version > known) {
    throw Poco::DataException("the database is at schema version " + std::to_string(version) +
                              " but this program knows only up to " + std::to_string(known) +
                              "; use a newer notebridge");
  }
  for (const Migration& migration : migrations) {
    if (migration.version <= version) continue;
    session.begin();
    try {
      for (const std::string& statement : migration.statements) session << statement, now;
      std::string description = migration.description;
      int number = migration.version;
      session << "INSERT INTO schema_version (version, description, applied_at) "
                 "VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
          use(number), use(description), now;
      session.commit();
    } catch (...) {
      session.rollback();
      throw;
    }
  }
}

}  // namespace

Result<std::shared_ptr<SqliteStore>> SqliteStore::open(const std::filesystem::path& file,
                                                       const std::vector<Migration>& migrations) {
  return open(file, SqliteStoreOptions{}, migrations);
}

Result<std::shared_ptr<SqliteStore>> SqliteStore::open(const std::filesystem::path& file,
                                                       const SqliteStoreOptions& options,
                                                       const std::vector<Migration>& migrations) {
  using R = Result<std::shared_ptr<SqliteStore>>;
  if (options.writerBoost < 0 || options.writerBoost > SqliteStoreOptions::kMaxWriterBoost) {
    return R::failure(Severity::kFatal, "exception",
                      "store.writerBoost: " + std::to_string(options.writerBoost) +
                          " is out of range (0 to " +
                          std::to_string(SqliteStoreOptions::kMaxWriterBoost) + ")");
  }
  std::error_code ec;
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
  if (ec) {
    return R::failure(Severity::kFatal, "exception",
                      "cannot create " + file.parent_path().string() + ": " + ec.message());
  }
  try {
    static std::once_flag configured;
    std::call_once(configured, [] {
      // SQLite's memory statistics take a global mutex on every allocation, shared by every
      // connection; nothing here reads them. Only possible before SQLite initializes: when
      // it already has (another user in the process), the call fails and changes nothing.
      sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
      // Every connection opened from here on writes its WAL through the coalescing VFS (one
      // write per commit instead of two per frame). Without it (it failed to register, or
      // NOTEBRIDGE_WAL_COALESCE=0) SQLite's own VFS does the same work, only slower.
      sqlite::installCoalescingVfs();
    });
    Poco::Data::SQLite::Connector::registerConnector();
    auto pool = std::make_unique<ConfiguredSessionPool>(file.string(), 32);
    Poco::Data::Session session = pool->get();
    std::string mode;
    // WAL lets readers proceed while a writer commits; the mode is stored in the file.
    session << "PRAGMA journal_mode = WAL", into(mode), now;
    if (mode != "wal") {
      return R::failure(Severity::kFatal, "exception",
                        "cannot put " + file.string() + " in WAL mode (got '" + mode + "')");
    }
    migrate(session, migrations);
    // The WAL file by the name SQLite gives it (beside the database's full path): the store's
    // own fdatasync of it makes the writer's commits durable.
    sqlite3* handle = Poco::Data::SQLite::Utility::dbHandle(session);
    const char* wal = sqlite3_filename_wal(sqlite3_db_filename(handle, "main"));
    if (wal == nullptr || *wal == '\0') {
      return R::failure(Severity::kFatal, "exception",
                        "cannot name the WAL file of " + file.string());
    }
    // Opened now, while this session keeps the WAL file in place: a store that could not
    // sync its WAL would fail its first write, so it does not start.
    const int walFd = ::open(wal, O_RDWR | O_CLOEXEC);
    if (walFd < 0) {
      return R::failure(Severity::kFatal, "exception",
                        std::string("cannot open ") + wal + ": " + std::strerror(errno));
    }
    try {
      auto reads = std::make_unique<SqliteReadPool>(file.string(), 32);
      auto checkpointer = std::make_unique<WalCheckpointer>(file.string());
      return R(std::shared_ptr<SqliteStore>(new SqliteStore(
          file, wal, walFd, std::move(pool), std::move(reads), std::move(checkpointer), options)));
    } catch (...) {
      ::close(walFd);
      throw;
    }
  } catch (const Poco::Exception& e) {
    return R::failure(Severity::kFatal, "exception",
                      "cannot open database " + file.string() + ": " + e.displayText());
  }
}

namespace {

bool pipelineWanted() {
  const char* wanted = std::getenv("NOTEBRIDGE_STORE_PIPELINE");
  return wanted == nullptr || std::strcmp(wanted, "0") != 0;
}

}  // namespace

SqliteStore::SqliteStore(std::filesystem::path file, std::string walFile, int walFd,
                         std::unique_ptr<Poco::Data::SessionPool> pool,
                         std::unique_ptr<SqliteReadPool> reads,
                         std::unique_ptr<WalCheckpointer> checkpointer,
                         const SqliteStoreOptions& options)
    : file_(std::move(file)),
      walFile_(std::move(walFile)),
      pipelined_(pipelineWanted()),
      walFd_(walFd),
      checkpointer_(std::move(checkpointer)),
      writerBoost_(options.writerBoost),
      pool_(std::move(pool)),
      reads_(std::move(reads)) {
  if (!pipelined_) {
    // Not the default: a benchmark's A/B run, which must not go unnoticed in production.
    std::fprintf(stderr,
                 "notebridge: NOTEBRIDGE_STORE_PIPELINE=0: the writer of %s commits with "
                 "synchronous=FULL (no durability pipeline)\n",
                 file_.string().c_str());
  }
}

void SqliteStore::configureWriter(Poco::Data::Session& session) {
  // NORMAL: the COMMIT writes its frames and publishes them without waiting for the disk;
  // awaitDurable's fdatasync of the WAL makes them durable before any call reports them.
  // SQLite still syncs the WAL header at each restart of the WAL, and a checkpoint syncs the
  // WAL before it copies frames and the database after.
  configureConnection(session, pipelined_ ? "NORMAL" : "FULL");
  // 32 MB of page cache for the writer (the pool's connections have 16 MB). More costs more
  // than it saves: at the end of every commit SQLite trims its page cache to the database's
  // size, and while the database is under 1 GB its cache holds a page numbered beyond that
  // (the page at the 1 GB lock byte), so each commit walks the cache's whole hash table, whose
  // size follows the cache's. With 128 MB that walk was ~0.6 ms per commit under the writer
  // lock; measured back to back, 16 or 32 MB gave ~10 % less server CPU per note and more
  // notes/s than 128 MB, over 10 s and 30 s runs (bench/README.md, session 6). Pages of a
  // large database's UUID-keyed indexes that do not fit are read again from the OS's cache.
  session << "PRAGMA cache_size = -32768", Poco::Data::Keywords::now;
  // When the writer restarts a checkpointed WAL, SQLite truncates the file to this size, in
  // the writer's turn. With 64 MB the WAL passed it every ~1.6 s under load (the checkpoint
  // thread then woke at 8,000 pages, ~32 MB, and lagged) and each truncation held the writer
  // 75-90 ms: every note queued behind it, the whole of POST /notes' p99 (~100 ms; 31 ms
  // without). Above the writer's own inline checkpoint (WalCheckpointer::kInlinePages, 256 MB)
  // only a WAL that readers kept from being reset reaches it. Below it the file keeps its size,
  // so commits overwrite blocks already allocated (no file growth for the fdatasync to commit).
  session << "PRAGMA journal_size_limit = " + std::to_string(kWalSizeLimitBytes),
      Poco::Data::Keywords::now;
  sqlite3* db = Poco::Data::SQLite::Utility::dbHandle(session);
  if (pipelined_) sqlite3_commit_hook(db, &SqliteStore::onWriterCommit, this);
  if (checkpointer_) checkpointer_->install(db);
}

SqliteStore::WriterPriority SqliteStore::raiseWriterPriority() {
  stats_.turns.fetch_add(1, std::memory_order_relaxed);
  if (writerBoost_ == 0) return {};
  // On Linux the nice value is the thread's own (setpriority(2), NOTES): the calling thread
  // only, for this turn.
  const id_t thread = static_cast<id_t>(::gettid());
  errno = 0;
  const int previous = ::getpriority(PRIO_PROCESS, thread);
  if (previous == -1 && errno != 0) return {};
  const int raised =
      std::max({-20, previous - writerBoost_, boostFloor_.load(std::memory_order_relaxed)});
  if (raised >= previous) return {};
  if (::setpriority(PRIO_PROCESS, thread, raised) != 0) {
    // Refused (no CAP_SYS_NICE): RLIMIT_NICE lets an unprivileged thread go down to the nice
    // value 20 - rlim_cur (setrlimit(2)); from now on no turn asks for more than that.
    int floor = 20;
    rlimit limit{};
    if (::getrlimit(RLIMIT_NICE, &limit) == 0) {
      floor = limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= 40
                  ? -20
                  : 20 - static_cast<int>(limit.rlim_cur);
    }
    if (floor <= raised) floor = 20;  // that much was refused: none then
    boostFloor_.store(floor, std::memory_order_relaxed);
    if (floor >= previous) return {};
    if (::setpriority(PRIO_PROCESS, thread, floor) != 0) {
      boostFloor_.store(20, std::memory_order_relaxed);
      return {};
    }
  }
  stats_.boostedTurns.fetch_add(1, std::memory_order_relaxed);
  return {previous, true};
}

void SqliteStore::restoreWriterPriority(const WriterPriority& priority) {
  if (priority.raised) {
    ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), priority.previous);
  }
}

int SqliteStore::onWriterCommit(void* self) {
  // SQLite calls this before it writes the commit: no other connection can see it yet.
  static_cast<SqliteStore*>(self)->visibleSeq_.fetch_add(1);
  return 0;  // go on with the commit
}

void SqliteStore::releaseWriter() {
  noteStatements_.reset();  // finalized before their connection closes
  writeSession_.reset();
}

fhir::Outcome SqliteStore::awaitDurable(std::uint64_t seq) {
  if (durableSeq_.load(std::memory_order_acquire) >= seq &&
      !syncFailed_.load(std::memory_order_acquire)) {
    return {};
  }
  fhir::Outcome outcome;
  std::unique_lock lock(syncMutex_);
  stats_.waits.fetch_add(1, std::memory_order_relaxed);
  const std::uint64_t startRound = syncRound_;
  while (true) {
    if (syncFailed_.load(std::memory_order_relaxed)) {
      outcome.add(Severity::kFatal, "exception",
                  "the database could not make its writes durable (" + syncError_ +
                      "); nothing since the last durable point is stored safely, and the "
                      "store accepts no more writes until the gateway is restarted");
      return outcome;
    }
    if (durableSeq_.load(std::memory_order_relaxed) >= seq) return outcome;
    if (failedRound_ > startRound && failedUpTo_ >= seq) {
      // The sync this call waited for could not run; a later call tries again.
      outcome.add(
          Severity::kFatal, "exception",
          "the database could not make this call's writes durable (" + transientError_ + ")");
      return outcome;
    }
    // Every turn up to `seq` has written its frames: this thread syncs for all written so far.
    const std::uint64_t written = writtenSeq_.load(std::memory_order_acquire);
    if (!syncing_ && written >= seq) {
      syncing_ = true;
      const std::function<int(int)> sync = walSync_;
      lock.unlock();
      const auto started = std::chrono::steady_clock::now();
      SyncResult result = syncWal(sync);
      stats_.syncs.fetch_add(1, std::memory_order_relaxed);
      stats_.syncNanos.fetch_add(
          static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                         std::chrono::steady_clock::now() - started)
                                         .count()),
          std::memory_order_relaxed);
      lock.lock();
      syncing_ = false;
      ++syncRound_;
      if (result.error.empty()) {
        if (written > durableSeq_.load(std::memory_order_relaxed)) {
          durableSeq_.store(written, std::memory_order_release);
        }
      } else if (result.sticky) {
        // Sticky: after a failed fsync the kernel may have dropped the dirty pages and marked
        // them clean, so a later fsync that succeeds proves nothing about them.
        syncError_ = std::move(result.error);
        syncFailed_.store(true, std::memory_order_release);
        // A checkpoint would copy frames whose sync failed into the database file.
        if (checkpointer_) checkpointer_->halt();
      } else {
        // Not sticky: the waiting calls this sync would have covered fail; their pages are
        // still dirty in the kernel, and the next sync covers them.
        failedRound_ = syncRound_;
        failedUpTo_ = std::max(failedUpTo_, written);
        transientError_ = result.error;
        synced_.notify_all();
        outcome.add(
            Severity::kFatal, "exception",
            "the database could not make this call's writes durable (" + result.error + ")");
        return outcome;
      }
      synced_.notify_all();
      continue;
    }
    // A sync is running, or a turn before `seq` is still writing (its thread syncs next).
    synced_.wait(lock);
  }
}

SqliteStore::SyncResult SqliteStore::syncWal(const std::function<int(int)>& sync) {
  // Our own descriptor of the WAL (opened by open()): fdatasync acts on the file, whichever
  // descriptor wrote it. SQLite keeps no lock on the WAL file itself (its locks are on the
  // database and -shm files), so opening and closing one here cannot drop any. SQLite
  // truncates the WAL (journal_size_limit) but deletes it only when its last connection
  // closes, after a checkpoint that synced the database; should that happen while the store
  // is open (its connections all closed), the file synced here was unlinked, and the new one
  // is synced too. Only a failed fdatasync is sticky.
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (walFd_ < 0) {
      walFd_ = ::open(walFile_.c_str(), O_RDWR | O_CLOEXEC);
      if (walFd_ < 0) return {"cannot open " + walFile_ + ": " + std::strerror(errno), false};
    }
    if ((sync ? sync(walFd_) : ::fdatasync(walFd_)) != 0) {
      return {"fdatasync of " + walFile_ + " failed: " + std::strerror(errno), true};
    }
    struct stat status {};
    if (::fstat(walFd_, &status) != 0 || status.st_nlink > 0) return {};
    ::close(walFd_);
    walFd_ = -1;
  }
  return {walFile_ + " was replaced during its sync, twice", false};
}

SqliteStore::Figures SqliteStore::figures() const {
  return {
      stats_.batches.load(std::memory_order_relaxed), stats_.notes.load(std::memory_order_relaxed),
      stats_.syncs.load(std::memory_order_relaxed), stats_.waits.load(std::memory_order_relaxed)};
}

int SqliteStore::writerSynchronousForTesting() {
  int mode = -1;
  std::uint64_t seq = 0;
  withWriteTurn([&](Poco::Data::Session& session,
                    fhir::Outcome&) { session << "PRAGMA synchronous", into(mode), now; },
                seq);
  return mode;
}

SqliteStore::WriterPriorityForTesting SqliteStore::writerPriorityForTesting() {
  const id_t thread = static_cast<id_t>(::gettid());
  const int before = ::getpriority(PRIO_PROCESS, thread);
  int during = before;
  std::uint64_t seq = 0;
  withWriteTurn(
      [&](Poco::Data::Session&, fhir::Outcome&) { during = ::getpriority(PRIO_PROCESS, thread); },
      seq);
  return {before - during, ::getpriority(PRIO_PROCESS, thread) == before};
}

void SqliteStore::setWalSyncForTesting(std::function<int(int)> sync) {
  std::lock_guard lock(syncMutex_);
  walSync_ = std::move(sync);
}

SqliteStore::~SqliteStore() { close(); }

fhir::Outcome SqliteStore::ping() {
  if (syncFailed_.load(std::memory_order_acquire)) {
    fhir::Outcome failed;
    failed.add(Severity::kFatal, "exception",
               "the database could not make its writes durable; restart the gateway");
    return failed;
  }
  return withSession(
      [](Poco::Data::Session& session, fhir::Outcome&) {
        int one = 0;
        session << "SELECT 1", into(one), now;
      },
      false);
}

int SqliteStore::schemaVersion() {
  std::shared_lock lock(mutex_);
  if (!pool_) return 0;
  try {
    Poco::Data::Session session = pool_->get();
    return currentVersion(session);
  } catch (const Poco::Exception&) {
    return 0;
  }
}

fhir::Outcome SqliteStore::addApiKey(const ApiKeyRecord& key, const std::string& secretHash) {
  // A pooled (synchronous=FULL) commit is durable before anyone sees it: it waits for no
  // fdatasync of the writer's commits, so it is reported even after such a sync failed.
  // revokeApiKey likewise (with its key-change marker).
  fhir::Outcome added = withSession(
      [&](Poco::Data::Session& session, fhir::Outcome& outcome) {
        ApiKeyRecord record = key;
        std::string hash = secretHash;
        int existing = 0;
        session << "SELECT COUNT(*) FROM api_keys WHERE id = ?", use(record.id), into(existing),
            now;
        if (existing > 0) {
          outcome.add(Severity::kError, "duplicate", "an API key with id " + key.id + " exists");
          return;
        }
        session << "INSERT INTO api_keys (id, name, secret_sha256, created_at) VALUES (?, ?, ?, ?)",
            use(record.id), use(record.name), use(hash), use(record.createdAt), now;
      },
      false);
  // No key-change marker: refusals are not remembered and an id is never reused, so running
  // gateways see the new key at once without being told.
  return added;
}

fhir::Result<std::vector<ApiKeyRecord>> SqliteStore::listApiKeys() {
  std::vector<ApiKeyRecord> keys;
  fhir::Outcome outcome = withSession([&](Poco::Data::Session& session, fhir::Outcome&) {
    Poco::Data::Statement select(session);
    select << "SELECT id, name, created_at, COALESCE(revoked_at, '') FROM api_keys "
              "ORDER BY created_at, id",
        now;
    Poco::Data::RecordSet rows(select);
    for (bool more = rows.moveFirst(); more; more = rows.moveNext()) {
      keys.push_back({rows[0].convert<std::string>(), rows[1].convert<std::string>(),
                      rows[2].convert<std::string>(), rows[3].convert<std::string>()});
    }
  });
  if (outcome.hasErrors()) return fhir::Result<std::vector<ApiKeyRecord>>(std::move(outcome));
  return keys;
}

fhir::Outcome SqliteStore::revokeApiKey(const std::string& id) {
  fhir::Outcome revoked = withSession(
      [&](Poco::Data::Session& session, fhir::Outcome& outcome) {
        std::string key = id;
        Poco::Data::Statement update(session);
        update << "UPDATE api_keys SET revoked_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
                  "WHERE id = ? AND revoked_at IS NULL",
            use(key);
        if (update.execute() == 0) {
          outcome.add(Severity::kError, "not-found", "no active API key with id " + id);
        }
      },
      false);
  // After the commit: running gateways on this database (any process) forget the keys they
  // verified, so the very next request with this key is refused.
  if (!revoked.hasErrors()) revoked.append(noteApiKeyChange(file_, "revoke", id));
  return revoked;
}

std::optional<std::string> SqliteStore::activeApiKeyHash(const std::string& id) {
  std::optional<std::string> hash;
  // Keys are written only through pooled sessions (synchronous=FULL: durable before anyone
  // sees them), so this read waits for no fdatasync of the notes being written meanwhile.
  withSession(
      [&](Poco::Data::Session& session, fhir::Outcome&) {
        // Every internal request asks this: SQLite directly, without Poco::Data's
        // per-statement machinery (as the resource reads do).
        sqlite::StatementCache statements(session);
        sqlite3_stmt* select = statements.get(
            "SELECT secret_sha256 FROM api_keys WHERE id = ? AND revoked_at IS NULL");
        statements.bind(select, 1, id);
        if (statements.step(select)) hash = sqlite::columnText(select, 0);
      },
      false);
  return hash;
}

void SqliteStore::close() {
  std::unique_lock lock(mutex_);
  if (!pool_) return;
  if (const char* wanted = std::getenv("NOTEBRIDGE_STORE_STATS"); wanted && *wanted) {
    const double notes = static_cast<double>(std::max<std::uint64_t>(stats_.notes, 1));
    const double syncs = static_cast<double>(std::max<std::uint64_t>(stats_.syncs, 1));
    std::fprintf(stderr,
                 "{\"store_stats\": {\"batches\": %llu, \"notes\": %llu, "
                 "\"notes_per_batch\": %.2f, \"held_ms_per_note\": %.4f, "
                 "\"held_cpu_ms_per_note\": %.4f, \"commit_ms_per_note\": %.4f, "
                 "\"commit_cpu_ms_per_note\": %.4f, \"pipelined\": %s, \"syncs\": %llu, "
                 "\"notes_per_sync\": %.2f, \"sync_ms\": %.3f, \"waits\": %llu, "
                 "\"writer_boost\": %d, \"turns\": %llu, \"boosted_turns\": %llu}}\n",
                 static_cast<unsigned long long>(stats_.batches.load()),
                 static_cast<unsigned long long>(stats_.notes.load()),
                 static_cast<double>(stats_.notes) /
                     static_cast<double>(std::max<std::uint64_t>(stats_.batches, 1)),
                 static_cast<double>(stats_.heldNanos) / 1e6 / notes,
                 static_cast<double>(stats_.heldCpuNanos) / 1e6 / notes,
                 static_cast<double>(stats_.commitNanos) / 1e6 / notes,
                 static_cast<double>(stats_.commitCpuNanos) / 1e6 / notes,
                 pipelined_ ? "true" : "false",
                 static_cast<unsigned long long>(stats_.syncs.load()),
                 static_cast<double>(stats_.notes) / syncs,
                 static_cast<double>(stats_.syncNanos) / 1e6 / syncs,
                 static_cast<unsigned long long>(stats_.waits.load()), writerBoost_,
                 static_cast<unsigned long long>(stats_.turns.load()),
                 static_cast<unsigned long long>(stats_.boostedTurns.load()));
  }
  {
    // No call is running (they hold mutex_ shared): leave every commit durable, as a
    // writer's own wait would have.
    std::lock_guard sync(syncMutex_);
    const std::uint64_t written = writtenSeq_.load();
    if (!syncFailed_ && written > durableSeq_.load()) {
      SyncResult result = syncWal(walSync_);
      if (result.error.empty()) {
        durableSeq_.store(written);
      } else {
        syncError_ = std::move(result.error);
        syncFailed_.store(true);
        if (checkpointer_) checkpointer_->halt();
      }
    }
    if (walFd_ >= 0) ::close(walFd_);
    walFd_ = -1;
  }
  try {
    releaseWriter();
    pool_->shutdown();
  } catch (const Poco::Exception&) {
    // Closing is best effort: SQLite has committed every transaction already.
  }
  pool_.reset();
  reads_.reset();
  checkpointer_.reset();
}

}  // namespace notebridge::gateway

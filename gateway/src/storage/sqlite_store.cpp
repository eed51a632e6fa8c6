#include "notebridge/gateway/sqlite_store.h"

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/SessionPool.h>
#include <Poco/Exception.h>

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
  };
  return kMigrations;
}

namespace {

// Per-connection settings: every pooled session gets them, not only the first.
class ConfiguredSessionPool final : public Poco::Data::SessionPool {
 public:
  ConfiguredSessionPool(const std::string& file, int maxSessions)
      : Poco::Data::SessionPool("SQLite", file, 1, maxSessions, 60) {}

 protected:
  void customizeSession(Poco::Data::Session& session) override {
    session << "PRAGMA busy_timeout = 5000", now;
    session << "PRAGMA foreign_keys = ON", now;
    session << "PRAGMA synchronous = FULL", now;
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
  using R = Result<std::shared_ptr<SqliteStore>>;
  std::error_code ec;
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
  if (ec) {
    return R::failure(Severity::kFatal, "exception",
                      "cannot create " + file.parent_path().string() + ": " + ec.message());
  }
  try {
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
    return R(std::shared_ptr<SqliteStore>(new SqliteStore(file, std::move(pool))));
  } catch (const Poco::Exception& e) {
    return R::failure(Severity::kFatal, "exception",
                      "cannot open database " + file.string() + ": " + e.displayText());
  }
}

SqliteStore::SqliteStore(std::filesystem::path file, std::unique_ptr<Poco::Data::SessionPool> pool)
    : file_(std::move(file)), pool_(std::move(pool)) {}

SqliteStore::~SqliteStore() { close(); }

fhir::Outcome SqliteStore::ping() {
  fhir::Outcome outcome;
  std::shared_lock lock(mutex_);
  if (!pool_) {
    outcome.add(Severity::kFatal, "transient", "the database is closed");
    return outcome;
  }
  try {
    Poco::Data::Session session = pool_->get();
    int one = 0;
    session << "SELECT 1", into(one), now;
  } catch (const Poco::Exception& e) {
    outcome.add(Severity::kFatal, "transient", "database unreachable: " + e.displayText());
  }
  return outcome;
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

void SqliteStore::close() {
  std::unique_lock lock(mutex_);
  if (!pool_) return;
  try {
    pool_->shutdown();
  } catch (const Poco::Exception&) {
    // Closing is best effort: SQLite has committed every transaction already.
  }
  pool_.reset();
}

}  // namespace notebridge::gateway

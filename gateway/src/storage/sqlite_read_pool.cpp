#include "storage/sqlite_read_pool.h"

#include <Poco/Data/DataException.h>

#include <algorithm>

namespace notebridge::gateway {

namespace {

// Statements kept per connection at most: a search's SQL depends on the shape of its
// criteria, so clients could otherwise grow the cache without bound.
constexpr std::size_t kMaxStatements = 128;

[[noreturn]] void fail(sqlite3* db, const std::string& what) {
  throw Poco::Data::DataException(what + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}

}  // namespace

SqliteReadPool::Connection::Connection(const std::string& file) {
  // NOMUTEX: one thread at a time uses a connection (the pool lends it).
  if (sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw Poco::Data::DataException("cannot open " + file + " for reading: " + message);
  }
  // query_only: these connections never write, whatever a bug might ask of them.
  // mmap: pages are read from the operating system's cache instead of being copied into each
  // connection's own page cache.
  const char* settings =
      "PRAGMA busy_timeout = 5000; PRAGMA query_only = 1; PRAGMA mmap_size = 268435456;";
  if (sqlite3_exec(db_, settings, nullptr, nullptr, nullptr) != SQLITE_OK) {
    std::string message = sqlite3_errmsg(db_);
    sqlite3_close(db_);
    db_ = nullptr;
    throw Poco::Data::DataException("cannot configure a read connection: " + message);
  }
}

SqliteReadPool::Connection::~Connection() {
  for (auto& [sql, statement] : statements_) sqlite3_finalize(statement);
  sqlite3_close(db_);
}

sqlite3_stmt* SqliteReadPool::Connection::statement(const std::string& sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    if (statements_.size() >= kMaxStatements) {
      // Forget those the current run has not asked for: the caller may still hold the others.
      for (auto entry = statements_.begin(); entry != statements_.end();) {
        if (std::find(used_.begin(), used_.end(), entry->second) != used_.end()) {
          ++entry;
        } else {
          sqlite3_finalize(entry->second);
          entry = statements_.erase(entry);
        }
      }
    }
    sqlite3_stmt* prepared = nullptr;
    if (sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                           SQLITE_PREPARE_PERSISTENT, &prepared, nullptr) != SQLITE_OK) {
      fail(db_, "cannot prepare a statement");
    }
    it = statements_.emplace(sql, prepared).first;
  } else {
    sqlite3_reset(it->second);
    sqlite3_clear_bindings(it->second);
  }
  used_.push_back(it->second);
  return it->second;
}

void SqliteReadPool::Connection::bind(sqlite3_stmt* statement, int index, std::string_view text) {
  if (sqlite3_bind_text(statement, index, text.data(), static_cast<int>(text.size()),
                        SQLITE_STATIC) != SQLITE_OK) {
    fail(db_, "cannot bind a value");
  }
}

void SqliteReadPool::Connection::bind(sqlite3_stmt* statement, int index, int value) {
  if (sqlite3_bind_int(statement, index, value) != SQLITE_OK) fail(db_, "cannot bind a value");
}

void SqliteReadPool::Connection::bind(sqlite3_stmt* statement, int index, std::int64_t value) {
  if (sqlite3_bind_int64(statement, index, value) != SQLITE_OK) fail(db_, "cannot bind a value");
}

bool SqliteReadPool::Connection::step(sqlite3_stmt* statement) {
  const int rc = sqlite3_step(statement);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(db_, "a read failed");
}

void SqliteReadPool::Connection::resetUsed() {
  for (sqlite3_stmt* statement : used_) sqlite3_reset(statement);
  used_.clear();
}

SqliteReadPool::SqliteReadPool(std::string file, std::size_t maxIdle)
    : file_(std::move(file)), maxIdle_(maxIdle) {}

SqliteReadPool::~SqliteReadPool() = default;

std::unique_ptr<SqliteReadPool::Connection> SqliteReadPool::acquire() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      std::unique_ptr<Connection> connection = std::move(idle_.back());
      idle_.pop_back();
      return connection;
    }
  }
  return std::make_unique<Connection>(file_);
}

void SqliteReadPool::release(std::unique_ptr<Connection> connection) {
  std::lock_guard lock(mutex_);
  if (idle_.size() < maxIdle_) idle_.push_back(std::move(connection));
}

}  // namespace notebridge::gateway

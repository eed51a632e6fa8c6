#pragma once

// SqliteStore's read connections (private to the storage files).
#include <sqlite3.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace notebridge::gateway {

// Read-only SQLite connections to the store's file for the hot read paths (read, vread,
// history, search). Each connection keeps its prepared statements for its lifetime, so a
// request prepares nothing and nothing goes through Poco::Data's per-statement machinery. WAL
// lets them read while a writer commits; a statement reads the last commit at its first step.
// Thread-safe: a connection is lent to one caller at a time (run()). Driver errors throw
// Poco::Data::DataException, which SqliteStore turns into issues.
class SqliteReadPool {
 public:
  // One connection, used by one thread at a time.
  class Connection {
   public:
    explicit Connection(const std::string& file);  // throws when the file cannot be opened
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    // The prepared statement for `sql`, unbound, kept for the connection's life; it is reset
    // (its read ended) when the run() that asked for it ends.
    sqlite3_stmt* statement(const std::string& sql);
    // Texts are bound without a copy: they must outlive the statement's steps.
    void bind(sqlite3_stmt* statement, int index, std::string_view text);
    void bind(sqlite3_stmt* statement, int index, int value);
    void bind(sqlite3_stmt* statement, int index, std::int64_t value);
    // Steps once: true when a row is there.
    bool step(sqlite3_stmt* statement);
    // Resets every statement used since the last call.
    void resetUsed();

   private:
    sqlite3* db_ = nullptr;
    std::unordered_map<std::string, sqlite3_stmt*> statements_;
    std::vector<sqlite3_stmt*> used_;
  };

  // Connections are opened on demand; at most `maxIdle` are kept between uses.
  SqliteReadPool(std::string file, std::size_t maxIdle);
  ~SqliteReadPool();
  SqliteReadPool(const SqliteReadPool&) = delete;
  SqliteReadPool& operator=(const SqliteReadPool&) = delete;

  // Runs work(Connection&) on a lent connection; exceptions pass through after the connection
  // is reset and returned.
  template <typename Work>
  void run(Work&& work) {
    std::unique_ptr<Connection> connection = acquire();
    try {
      work(*connection);
    } catch (...) {
      connection->resetUsed();
      release(std::move(connection));
      throw;
    }
    connection->resetUsed();
    release(std::move(connection));
  }

 private:
  std::unique_ptr<Connection> acquire();
  void release(std::unique_ptr<Connection> connection);

  std::string file_;
  std::size_t maxIdle_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace notebridge::gateway

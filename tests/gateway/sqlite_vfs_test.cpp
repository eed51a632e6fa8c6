// The write-coalescing VFS (storage/sqlite_vfs.*): what SQLite writes through it is in the file
// for every other connection at each commit, in fewer writes, and a write that fails reaches
// SQLite as the commit's error.
#include "storage/sqlite_vfs.h"

#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <filesystem>
#include <string>

#include "notebridge/gateway/sqlite_store.h"
#include "temp_dir.h"

using notebridge::testing::TempDir;
namespace sqlite = notebridge::gateway::sqlite;

namespace {

constexpr const char* kVfs = "nbtest-coalescing";

// Registers the coalescing VFS over the unix VFS under a test name (not as the default).
void registerTestVfs() {
  if (sqlite3_vfs_find(kVfs) == nullptr) {
    BOOST_REQUIRE(sqlite::registerCoalescingVfs(kVfs, sqlite3_vfs_find("unix"), false) ==
                  SQLITE_OK);
  }
}

class Db {
 public:
  Db(const std::string& file, const char* vfs) {
    BOOST_REQUIRE(sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                  vfs) == SQLITE_OK);
    sqlite3_busy_timeout(db_, 5000);
  }
  ~Db() { sqlite3_close(db_); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  int exec(const std::string& sql) {
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) BOOST_TEST_MESSAGE(sql.substr(0, 40) << ": " << sqlite3_errmsg(db_));
    return rc;
  }
  std::string text(const std::string& sql) {
    sqlite3_stmt* statement = nullptr;
    BOOST_REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK);
    std::string value;
    if (sqlite3_step(statement) == SQLITE_ROW) {
      const unsigned char* column = sqlite3_column_text(statement, 0);
      value = column ? reinterpret_cast<const char*>(column) : "";
    }
    sqlite3_finalize(statement);
    return value;
  }
  long long count(const std::string& table) {
    return std::stoll(text("SELECT COUNT(*) FROM " + table));
  }

 private:
  sqlite3* db_ = nullptr;
};

// Inserts `rows` rows of ~1 KB (a page for every few rows) in one transaction.
int insertRows(Db& db, int from, int rows) {
  return db.exec("INSERT INTO t (n, body) WITH RECURSIVE r(i) AS (SELECT " + std::to_string(from) +
                 " UNION ALL SELECT i + 1 FROM r WHERE i < " + std::to_string(from + rows - 1) +
                 ") SELECT i, hex(randomblob(500)) FROM r");
}

// A WAL database with table t of 40 rows, written through the connection `writer`.
void fortyRowsInWal(Db& writer, const char* synchronous) {
  BOOST_REQUIRE(writer.text("PRAGMA journal_mode = WAL") == "wal");
  BOOST_REQUIRE(writer.exec(std::string("PRAGMA synchronous = ") + synchronous) == SQLITE_OK);
  BOOST_REQUIRE(writer.exec("CREATE TABLE t (n INTEGER PRIMARY KEY, body TEXT NOT NULL)") ==
                SQLITE_OK);
  BOOST_REQUIRE(insertRows(writer, 1, 40) == SQLITE_OK);
}

// What a process that starts from the files alone finds (the database and its WAL copied
// without the shared-memory index, which SQLite then rebuilds from the WAL's frames and
// checksums): the row count of t and integrity_check's answer.
std::pair<long long, std::string> recovered(const TempDir& dir, const std::string& file) {
  const std::string copy = (dir / "recovered.db").string();
  std::filesystem::remove(copy);
  std::filesystem::remove(copy + "-wal");
  std::filesystem::remove(copy + "-shm");
  std::filesystem::copy_file(file, copy);
  std::filesystem::copy_file(file + "-wal", copy + "-wal");
  Db db(copy, "unix");
  return {db.count("t"), db.text("PRAGMA integrity_check")};
}

// pwrite64 as the unix VFS calls it, failing (EIO) for the WAL while `failWal` is set, and
// counting the WAL's writes.
std::atomic<bool> failWal{false};
// Fails only the next WAL write (a transient error: the one after it succeeds).
std::atomic<bool> failNextWal{false};
std::atomic<int> walPwrites{0};
sqlite3_syscall_ptr realPwrite64 = nullptr;

bool isWal(int fd) {
  char link[64];
  char path[PATH_MAX];
  std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  const ssize_t n = readlink(link, path, sizeof path - 1);
  if (n < 4) return false;
  return std::string(path, static_cast<std::size_t>(n)).ends_with("-wal");
}

ssize_t testPwrite64(int fd, const void* data, size_t n, off_t offset) {
  if (isWal(fd)) {
    ++walPwrites;
    if (failWal || failNextWal.exchange(false)) {
      errno = EIO;
      return -1;
    }
  }
  using Pwrite = ssize_t (*)(int, const void*, size_t, off_t);
  return reinterpret_cast<Pwrite>(realPwrite64)(fd, data, n, offset);
}

// Puts testPwrite64 under the unix VFS for the test's lifetime.
struct PwriteHook {
  PwriteHook() {
    sqlite3_vfs* unix = sqlite3_vfs_find("unix");
    realPwrite64 = unix->xGetSystemCall(unix, "pwrite64");
    BOOST_REQUIRE(realPwrite64 != nullptr);
    BOOST_REQUIRE(unix->xSetSystemCall(unix, "pwrite64",
                                       reinterpret_cast<sqlite3_syscall_ptr>(&testPwrite64)) ==
                  SQLITE_OK);
    failWal = false;
    failNextWal = false;
    walPwrites = 0;
  }
  ~PwriteHook() {
    sqlite3_vfs* unix = sqlite3_vfs_find("unix");
    unix->xSetSystemCall(unix, "pwrite64", nullptr);  // back to the real one
    failWal = false;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(sqlite_vfs)

BOOST_AUTO_TEST_CASE(every_commit_is_in_the_file_for_other_connections_at_once) {
  registerTestVfs();
  for (const char* synchronous : {"NORMAL", "FULL"}) {
    BOOST_TEST_CONTEXT("synchronous=" << synchronous) {
      TempDir dir;
      const std::string file = (dir / "coalesced.db").string();
      Db writer(file, kVfs);
      BOOST_REQUIRE(writer.text("PRAGMA journal_mode = WAL") == "wal");
      BOOST_REQUIRE(writer.exec(std::string("PRAGMA synchronous = ") + synchronous) == SQLITE_OK);
      BOOST_REQUIRE(writer.exec("PRAGMA wal_autocheckpoint = 0") == SQLITE_OK);
      BOOST_REQUIRE(writer.exec("CREATE TABLE t (n INTEGER PRIMARY KEY, body TEXT NOT NULL)") ==
                    SQLITE_OK);
      // The readers go through the unix VFS: they see what is in the file, nothing else.
      Db reader(file, "unix");
      const sqlite::CoalescingStats before = sqlite::coalescingStats();
      int rows = 0;
      for (int commit = 0; commit < 20; ++commit) {
        const int n = commit % 3 == 0 ? 1 : 40;  // one-page commits and many-page commits
        BOOST_REQUIRE(insertRows(writer, rows + 1, n) == SQLITE_OK);
        rows += n;
        BOOST_TEST(reader.count("t") == rows);
        Db fresh(file, "unix");
        BOOST_TEST(fresh.count("t") == rows);
      }
      // An update of rows in place, a rollback, and a checkpoint with the WAL restarting.
      BOOST_REQUIRE(writer.exec("UPDATE t SET body = 'x' WHERE n % 2 = 0") == SQLITE_OK);
      BOOST_TEST(reader.text("SELECT COUNT(*) FROM t WHERE body = 'x'") ==
                 std::to_string(rows / 2));
      BOOST_REQUIRE(writer.exec("BEGIN") == SQLITE_OK);
      BOOST_REQUIRE(insertRows(writer, rows + 1, 30) == SQLITE_OK);
      BOOST_REQUIRE(writer.exec("ROLLBACK") == SQLITE_OK);
      BOOST_REQUIRE(writer.exec("PRAGMA wal_checkpoint(TRUNCATE)") == SQLITE_OK);
      BOOST_REQUIRE(insertRows(writer, rows + 1, 30) == SQLITE_OK);
      rows += 30;
      BOOST_TEST(reader.count("t") == rows);
      const sqlite::CoalescingStats after = sqlite::coalescingStats();
      const auto walWrites = after.walWrites - before.walWrites;
      const auto fileWrites = after.fileWrites - before.fileWrites;
      BOOST_TEST_MESSAGE("synchronous=" << synchronous << ": " << walWrites
                                        << " WAL writes from SQLite, " << fileWrites
                                        << " to the file");
      // Two writes per frame from SQLite; about one per commit to the file.
      BOOST_TEST(walWrites > 500u);
      BOOST_TEST(fileWrites * 5 < walWrites);
      BOOST_TEST(reader.text("PRAGMA integrity_check") == "ok");
      const auto [recoveredRows, integrity] = recovered(dir, file);
      BOOST_TEST(recoveredRows == rows);
      BOOST_TEST(integrity == "ok");
    }
  }
}

BOOST_AUTO_TEST_CASE(a_cache_spill_and_frames_rewritten_in_place_keep_the_data_whole) {
  // A cache of 10 pages: a large transaction spills frames mid-way and writes some pages
  // twice (SQLite then overwrites their frames and recomputes the checksums at commit).
  registerTestVfs();
  TempDir dir;
  const std::string file = (dir / "spill.db").string();
  Db writer(file, kVfs);
  BOOST_REQUIRE(writer.text("PRAGMA journal_mode = WAL") == "wal");
  BOOST_REQUIRE(writer.exec("PRAGMA synchronous = NORMAL; PRAGMA cache_size = 10") == SQLITE_OK);
  BOOST_REQUIRE(writer.exec("CREATE TABLE t (n INTEGER PRIMARY KEY, body TEXT NOT NULL)") ==
                SQLITE_OK);
  BOOST_REQUIRE(writer.exec("CREATE INDEX t_body ON t (body)") == SQLITE_OK);
  Db reader(file, "unix");
  BOOST_REQUIRE(writer.exec("BEGIN") == SQLITE_OK);
  for (int i = 0; i < 10; ++i) BOOST_REQUIRE(insertRows(writer, i * 100 + 1, 100) == SQLITE_OK);
  BOOST_REQUIRE(writer.exec("UPDATE t SET body = body || 'y' WHERE n % 7 = 0") == SQLITE_OK);
  BOOST_TEST(reader.count("t") == 0);
  BOOST_REQUIRE(writer.exec("COMMIT") == SQLITE_OK);
  BOOST_TEST(reader.count("t") == 1000);
  BOOST_TEST(reader.text("SELECT COUNT(*) FROM t WHERE body LIKE '%y'") == "142");
  BOOST_TEST(reader.text("PRAGMA integrity_check") == "ok");
  const auto [rows, integrity] = recovered(dir, file);
  BOOST_TEST(rows == 1000);
  BOOST_TEST(integrity == "ok");
}

BOOST_AUTO_TEST_CASE(a_failed_write_fails_the_commit_and_nothing_of_it_becomes_visible) {
  registerTestVfs();
  PwriteHook hook;
  for (const char* synchronous : {"NORMAL", "FULL"}) {
    BOOST_TEST_CONTEXT("synchronous=" << synchronous) {
      TempDir dir;
      const std::string file = (dir / "failing.db").string();
      Db writer(file, kVfs);
      fortyRowsInWal(writer, synchronous);
      Db reader(file, "unix");
      BOOST_REQUIRE(reader.count("t") == 40);

      // The frames of a many-page commit reach the file in one write.
      walPwrites = 0;
      BOOST_REQUIRE(insertRows(writer, 41, 40) == SQLITE_OK);
      BOOST_TEST(walPwrites.load() <= 2);
      BOOST_TEST(reader.count("t") == 80);

      // Every WAL write fails: the commit reports it, and nothing of it is visible.
      failWal = true;
      BOOST_REQUIRE(writer.exec("BEGIN") == SQLITE_OK);
      BOOST_REQUIRE(insertRows(writer, 81, 40) == SQLITE_OK);  // buffered: nothing written yet
      const int rc = writer.exec("COMMIT");
      BOOST_TEST((rc & 0xff) == SQLITE_IOERR, "COMMIT returned " << rc);
      writer.exec("ROLLBACK");
      failWal = false;
      BOOST_TEST(reader.count("t") == 80);

      // The failed transaction released the write lock with nothing left buffered: another
      // writer appends at the same offsets, and nothing of the failed one overwrites its frames
      // later. The connection goes on: its next commit writes and is seen.
      Db other(file, kVfs);
      BOOST_REQUIRE(insertRows(other, 1001, 40) == SQLITE_OK);
      BOOST_TEST(reader.count("t") == 120);
      BOOST_REQUIRE(insertRows(writer, 81, 40) == SQLITE_OK);
      BOOST_TEST(reader.count("t") == 160);
      BOOST_TEST(writer.count("t") == 160);
      BOOST_TEST(other.count("t") == 160);
      Db fresh(file, "unix");
      BOOST_TEST(fresh.count("t") == 160);
      const auto [rows, integrity] = recovered(dir, file);
      BOOST_TEST(rows == 160);
      BOOST_TEST(integrity == "ok");
      BOOST_TEST(fresh.text("PRAGMA integrity_check") == "ok");
    }
  }
}

BOOST_AUTO_TEST_CASE(a_commit_that_failed_once_never_comes_back_after_a_crash) {
  // The commit's flush fails once, then writes succeed again: the frames of the failed commit
  // must not reach the file later (at the rollback's unlock, or at the next write), where a
  // recovery from the files would find a complete commit and replay it.
  registerTestVfs();
  PwriteHook hook;
  for (const char* synchronous : {"NORMAL", "FULL"}) {
    BOOST_TEST_CONTEXT("synchronous=" << synchronous) {
      TempDir dir;
      const std::string file = (dir / "transient.db").string();
      Db writer(file, kVfs);
      fortyRowsInWal(writer, synchronous);
      failNextWal = true;
      const int rc = insertRows(writer, 41, 40);
      BOOST_TEST((rc & 0xff) == SQLITE_IOERR, "the INSERT returned " << rc);
      BOOST_TEST(!failNextWal.load());  // the failure was used by this commit
      BOOST_TEST(writer.count("t") == 40);
      {
        const auto [rows, integrity] = recovered(dir, file);
        BOOST_TEST(rows == 40);
        BOOST_TEST(integrity == "ok");
      }
      // The connection goes on, and the failed rows stay gone after its next commit too.
      BOOST_REQUIRE(insertRows(writer, 1001, 10) == SQLITE_OK);
      BOOST_TEST(writer.count("t") == 50);
      const auto [rows, integrity] = recovered(dir, file);
      BOOST_TEST(rows == 50);
      BOOST_TEST(integrity == "ok");
    }
  }
}

BOOST_AUTO_TEST_CASE(checkpoints_write_the_database_file_as_the_wrapped_vfs_and_are_counted) {
  registerTestVfs();
  TempDir dir;
  const std::string file = (dir / "checkpoint.db").string();
  {
    Db writer(file, kVfs);
    fortyRowsInWal(writer, "NORMAL");
    BOOST_REQUIRE(insertRows(writer, 41, 400) == SQLITE_OK);
    const sqlite::CoalescingStats before = sqlite::coalescingStats();
    BOOST_REQUIRE(writer.exec("PRAGMA wal_checkpoint(TRUNCATE)") == SQLITE_OK);
    const sqlite::CoalescingStats after = sqlite::coalescingStats();
    BOOST_TEST(after.databaseBytes - before.databaseBytes >= 400u * 1000u);  // the rows' pages
    BOOST_TEST(after.databaseWrites > before.databaseWrites);
  }
  // The database file alone (the WAL was truncated) holds every row, intact.
  Db reader(file, "unix");
  BOOST_TEST(reader.count("t") == 440);
  BOOST_TEST(reader.text("PRAGMA integrity_check") == "ok");
}

BOOST_AUTO_TEST_CASE(the_store_writes_its_wal_through_the_coalescing_vfs) {
  // SqliteStore::open makes it the default VFS, which Poco::Data's sessions open through.
  TempDir dir;
  auto store = notebridge::gateway::SqliteStore::open(dir / "store.db");
  BOOST_REQUIRE(store);
  const sqlite::CoalescingStats before = sqlite::coalescingStats();
  BOOST_REQUIRE(!(*store)
                     ->addApiKey({"vfs-key", "vfs test", "2026-01-01T00:00:00Z", ""}, "hash")
                     .hasErrors());
  BOOST_TEST(sqlite::coalescingStats().walWrites > before.walWrites);
  BOOST_TEST(sqlite3_vfs_find(nullptr) == sqlite3_vfs_find("notebridge-coalescing"));
  (*store)->close();
}

BOOST_AUTO_TEST_SUITE_END()

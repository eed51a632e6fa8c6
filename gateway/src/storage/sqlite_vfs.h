#pragma once

// A SQLite VFS that writes the WAL with fewer system calls (private to the storage files).
#include <sqlite3.h>

#include <cstdint>

namespace notebridge::gateway::sqlite {

// SQLite writes every WAL frame as two pwrite calls (its 24-byte header, then the page): ~60
// frames and ~120 system calls per stored note, at ~1 us each on our hosts. This VFS wraps
// another one (the default unix VFS) and gathers the contiguous writes to a WAL file in a
// buffer, written with one call per 120 KB when the bytes are needed in the file: at the commit
// frame (before SQLite can publish the commit), xSync, a read of buffered bytes, xTruncate,
// xFileSize, xFileControl, xClose, any shared-memory call on the database file, a write
// elsewhere in the file, and a full buffer. A failed write reaches SQLite as the error of the
// call that wrote, and the frames of a commit that failed are dropped, never written later
// (sqlite_vfs.cpp says why each point is safe). Every other file (database,
// journals, temporary files) is the wrapped VFS's own, apart from the database file's
// shared-memory calls, which flush its WAL first, and its writes: after every few MB written
// to a database file (checkpoints), the VFS starts the kernel's writeback of that file
// (sync_file_range, SYNC_FILE_RANGE_WRITE), so that the fsync of the next complete checkpoint
// finds little left to write and the WAL's fdatasyncs do not queue behind tens of MB
// (sqlite_vfs.cpp says why that is safe).

// Bytes written to a database file after which its writeback is started, by default: none
// (measured no better, bench/README.md session 7; NOTEBRIDGE_DB_WRITEBACK_KB turns it on).
constexpr std::uint64_t kDefaultWritebackBytes = 0;

// Registers the coalescing VFS over the current default VFS and makes it the default, so every
// connection opened afterwards (Poco::Data's sessions, the read pool, the checkpointer) uses
// it. Once per process; later calls return the first result. Thread-safe. Returns SQLITE_OK or
// SQLite's error code. NOTEBRIDGE_WAL_COALESCE=0 in the environment skips it, and
// NOTEBRIDGE_DB_WRITEBACK_KB sets the database writeback's step in KB, 0 for none (for A/B
// measurements).
int installCoalescingVfs();

// The step of the database files' writeback in bytes (0: never started by the VFS), for every
// coalescing VFS of the process. Thread-safe; files already open follow the new value.
void setDatabaseWriteback(std::uint64_t bytes);
std::uint64_t databaseWriteback();

// Registers a coalescing VFS called `name` (which must outlive the process, e.g. a literal)
// over `base`; the default VFS only when `makeDefault`. For tests, with a fault-injecting VFS
// as `base`. Not thread-safe with opens of the same name. Returns SQLite's code.
int registerCoalescingVfs(const char* name, sqlite3_vfs* base, bool makeDefault);

// Process-wide counters of the coalescing VFSs (relaxed atomics; for tests and benchmarks).
struct CoalescingStats {
  std::uint64_t walWrites = 0;       // xWrite calls SQLite made on WAL files
  std::uint64_t fileWrites = 0;      // writes passed to the wrapped VFS for them
  std::uint64_t bytesWritten = 0;    // bytes in those writes
  std::uint64_t databaseWrites = 0;  // writes to database files (checkpoints, migrations)
  std::uint64_t databaseBytes = 0;   // bytes in those writes
  std::uint64_t writebacks = 0;      // writebacks of database files started (sync_file_range)
};
CoalescingStats coalescingStats();

}  // namespace notebridge::gateway::sqlite

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
// (sqlite_vfs.cpp says why each point is safe). Every other file (database, journals,
// temporary files) is the wrapped VFS's own, apart from the database file's shared-memory
// calls, which flush its WAL first, and its writes, which are counted (CoalescingStats).

// Registers the coalescing VFS over the current default VFS and makes it the default, so every
// connection opened afterwards (Poco::Data's sessions, the read pool, the checkpointer) uses
// it. Once per process; later calls return the first result. Thread-safe. Returns SQLITE_OK or
// SQLite's error code. NOTEBRIDGE_WAL_COALESCE=0 in the environment skips it (for A/B
// measurements).
int installCoalescingVfs();

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
};
CoalescingStats coalescingStats();

}  // namespace notebridge::gateway::sqlite

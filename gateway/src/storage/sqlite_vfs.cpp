#include "storage/sqlite_vfs.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>

// Where the buffer must be in the file, checked against SQLite's wal.c (sqlite3WalFrames /
// walFrames, walWriteOneFrame, walWriteToLog, walRewriteChecksums, walIndexWriteHdr):
//
// - A transaction's frames are written in order, each as its 24-byte header then its page,
//   at increasing offsets: they are appended to the buffer. The last frame of a commit carries
//   the database size (header bytes 4-7, never 0 for a commit; 0 in every other frame).
// - After the frames (and, with synchronous=FULL, the xSync of the WAL), walFrames updates the
//   wal-index and walIndexWriteHdr publishes the commit to every other connection; with
//   synchronous=NORMAL there is no xSync between. So the commit frame's page write flushes the
//   buffer itself, and returns the flush's result as its own: a failure makes walFrames fail
//   before the wal-index header is written, so the commit is never published (SQLite rolls
//   the transaction back), and no committed frame is ever only in memory.
// - xShmBarrier (walIndexWriteHdr calls it between its two copies of the header), xShmLock
//   and xShmMap on the database file flush too, so that nothing buffered outlives a change
//   of the wal-index. They never find a commit's bytes buffered (its commit frame's write
//   flushed them), and must not be relied on for that: xShmBarrier cannot return an error, so
//   a failure there is only kept and returned by the WAL file's next call. The unlock that
//   ends a write transaction drops what is buffered instead (dbShmLock says why).
// - SQLite rewrites frames of the current transaction in place (a page written twice across a
//   cache spill; walRewriteChecksums then reads each frame and rewrites its header, the last
//   one being the commit frame's, with nothing written after it). Those writes land before the
//   end of the last write: they go to the file at once (after the buffer), so their errors
//   are theirs; so does a commit frame header that does not continue the buffer.
// - Reads of buffered bytes (a spilled page read back, walRewriteChecksums), xSync, xTruncate,
//   xFileSize, xFileControl and xClose flush first: they see the file as SQLite wrote it.
// - A WAL restart writes the header at offset 0 and then frames from offset 32: a new run of
//   appends. Any other connection reads only frames its snapshot's wal-index header lists,
//   which were flushed before that header was written.
//
// The database file keeps the wrapped VFS's behaviour: its pages go to the file as SQLite
// writes them (checkpoints write them in page order, but few are adjacent); the VFS only counts
// them (CoalescingStats).

namespace notebridge::gateway::sqlite {

namespace {

// The buffer, and the most the unix VFS writes in one call: it masks a write's length with
// 0x1ffff (SQLite itself never writes more than a 64 KB page), so a longer write would come
// back short, as SQLITE_FULL. 120 KB is 29 frames of a 4 KB page: one system call where SQLite
// makes 58.
constexpr std::size_t kBufferSize = 120 * 1024;
constexpr int kFrameHeaderSize = 24;
// wal.c's WAL_WRITE_LOCK: the shared-memory lock slot a writer holds exclusively.
constexpr int kWalWriteLock = 0;

std::atomic<std::uint64_t> walWrites{0};
std::atomic<std::uint64_t> fileWrites{0};
std::atomic<std::uint64_t> bytesWritten{0};
std::atomic<std::uint64_t> databaseWrites{0};
std::atomic<std::uint64_t> databaseBytes{0};

// Our file object; the wrapped VFS's file object follows it in the same allocation (SQLite
// allocates szOsFile bytes and never constructs anything: this is plain data).
struct File {
  sqlite3_file base;      // base.pMethods: kWalMethods or kDatabaseMethods
  sqlite3_file* real;     // the wrapped VFS's file
  File* peer;             // database file: its open WAL; WAL: its database file (or null)
  unsigned char* buffer;  // kBufferSize bytes, allocated at the first write
  std::size_t used;
  sqlite3_int64 start;    // file offset of buffer[0]
  sqlite3_int64 lastEnd;  // end of the last write SQLite made
  bool commitPending;     // the last write was a commit frame's header: flush after its page
  int deferredError;      // a flush that could not report its failure (xShmBarrier)
};

constexpr std::size_t kRealOffset = (sizeof(File) + 15) / 16 * 16;

File* asFile(sqlite3_file* file) { return reinterpret_cast<File*>(file); }
sqlite3_file* real(sqlite3_file* file) { return asFile(file)->real; }
sqlite3_vfs* baseOf(sqlite3_vfs* vfs) { return static_cast<sqlite3_vfs*>(vfs->pAppData); }

void count(std::atomic<std::uint64_t>& counter, std::uint64_t n = 1) {
  counter.fetch_add(n, std::memory_order_relaxed);
}

// Writes in pieces of at most kBufferSize bytes.
int writeThrough(File* f, const void* data, std::size_t n, sqlite3_int64 offset) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  while (n > 0) {
    const std::size_t piece = std::min(n, kBufferSize);
    count(fileWrites);
    count(bytesWritten, piece);
    const int rc = f->real->pMethods->xWrite(f->real, bytes, static_cast<int>(piece), offset);
    if (rc != SQLITE_OK) return rc;
    bytes += piece;
    offset += static_cast<sqlite3_int64>(piece);
    n -= piece;
  }
  return SQLITE_OK;
}

// Writes the buffer with one call. On failure the bytes stay buffered (a later flush tries
// again) and the caller returns the error.
int flush(File* f) {
  if (f->used == 0) return SQLITE_OK;
  const int rc = writeThrough(f, f->buffer, f->used, f->start);
  if (rc != SQLITE_OK) return rc;
  f->used = 0;
  f->commitPending = false;
  return SQLITE_OK;
}

// Flushes and returns the failure of an earlier flush that could not report its own.
int flushForCall(File* f) {
  if (const int deferred = f->deferredError; deferred != SQLITE_OK) {
    f->deferredError = SQLITE_OK;
    flush(f);
    return deferred;
  }
  return flush(f);
}

// Appends to the buffer (starting a new one at `offset` when it is empty), flushing it first
// when the bytes do not fit.
int append(File* f, const void* data, std::size_t n, sqlite3_int64 offset) {
  if (f->buffer == nullptr) {
    f->buffer = static_cast<unsigned char*>(std::malloc(kBufferSize));
    if (f->buffer == nullptr) return writeThrough(f, data, n, offset);  // as without the buffer
  }
  if (f->used + n > kBufferSize) {
    if (const int rc = flush(f); rc != SQLITE_OK) return rc;
    if (n > kBufferSize) return writeThrough(f, data, n, offset);
  }
  if (f->used == 0) f->start = offset;
  std::memcpy(f->buffer + f->used, data, n);
  f->used += n;
  return SQLITE_OK;
}

bool isCommitFrameHeader(const void* data, int n) {
  if (n != kFrameHeaderSize) return false;
  const auto* bytes = static_cast<const unsigned char*>(data);
  return (bytes[4] | bytes[5] | bytes[6] | bytes[7]) != 0;
}

// --- WAL files -------------------------------------------------------------------------------

int walClose(sqlite3_file* file) {
  File* f = asFile(file);
  const int flushed = flushForCall(f);
  if (f->peer != nullptr) f->peer->peer = nullptr;
  const int closed = f->real->pMethods->xClose(f->real);
  std::free(f->buffer);
  f->buffer = nullptr;
  return flushed != SQLITE_OK ? flushed : closed;
}

int walRead(sqlite3_file* file, void* data, int n, sqlite3_int64 offset) {
  File* f = asFile(file);
  if (f->deferredError != SQLITE_OK ||
      (f->used > 0 && offset < f->start + static_cast<sqlite3_int64>(f->used) &&
       offset + n > f->start)) {
    if (const int rc = flushForCall(f); rc != SQLITE_OK) return rc;
  }
  return f->real->pMethods->xRead(f->real, data, n, offset);
}

int walWrite(sqlite3_file* file, const void* data, int n, sqlite3_int64 offset) {
  File* f = asFile(file);
  count(walWrites);
  if (f->deferredError != SQLITE_OK) return flushForCall(f);
  const sqlite3_int64 end = offset + n;
  const sqlite3_int64 bufferEnd = f->start + static_cast<sqlite3_int64>(f->used);
  const bool commitHeader = isCommitFrameHeader(data, n);
  // The page of a commit frame whose header is buffered (or was just written).
  const bool commitPage = f->commitPending;
  f->commitPending = false;
  int rc = SQLITE_OK;
  if (f->used > 0 && offset == bufferEnd) {
    rc = append(f, data, static_cast<std::size_t>(n), offset);
  } else if (!commitHeader && f->used > 0 && offset >= f->start && end <= bufferEnd) {
    std::memcpy(f->buffer + (offset - f->start), data, static_cast<std::size_t>(n));
  } else if (!commitHeader && (offset == 0 || offset >= f->lastEnd)) {
    // A new run of appends: the WAL header of a restart, or frames after another
    // connection's.
    rc = flush(f);
    if (rc == SQLITE_OK) rc = append(f, data, static_cast<std::size_t>(n), offset);
  } else {
    // An overwrite of bytes already in the file (a frame rewritten in place, a header whose
    // checksum walRewriteChecksums recomputed), or a commit header that starts a run: into the
    // file now, so that its error is its own.
    rc = flush(f);
    if (rc == SQLITE_OK) rc = writeThrough(f, data, static_cast<std::size_t>(n), offset);
    if (rc != SQLITE_OK) return rc;
    f->lastEnd = end;
    f->commitPending = commitHeader;
    return SQLITE_OK;
  }
  if (rc != SQLITE_OK) return rc;
  f->lastEnd = end;
  if (commitPage) {
    // A commit whose frames could not be written fails, and SQLite rolls it back: its frames
    // must never reach the file afterwards. A later flush that succeeded (the error was
    // transient) would leave a complete, checksummed commit after the last published frame,
    // and recovery from the files after a crash would bring back a transaction every writer
    // was told had failed.
    const int flushed = flush(f);
    if (flushed != SQLITE_OK) {
      f->used = 0;
      f->commitPending = false;
    }
    return flushed;
  }
  f->commitPending = commitHeader;
  return SQLITE_OK;
}

int walTruncate(sqlite3_file* file, sqlite3_int64 size) {
  File* f = asFile(file);
  if (const int rc = flushForCall(f); rc != SQLITE_OK) return rc;
  f->lastEnd = std::min(f->lastEnd, size);
  return f->real->pMethods->xTruncate(f->real, size);
}

int walSync(sqlite3_file* file, int flags) {
  File* f = asFile(file);
  if (const int rc = flushForCall(f); rc != SQLITE_OK) return rc;
  return f->real->pMethods->xSync(f->real, flags);
}

int walFileSize(sqlite3_file* file, sqlite3_int64* size) {
  File* f = asFile(file);
  if (const int rc = flushForCall(f); rc != SQLITE_OK) return rc;
  return f->real->pMethods->xFileSize(f->real, size);
}

int walFileControl(sqlite3_file* file, int op, void* arg) {
  File* f = asFile(file);
  if (const int rc = flushForCall(f); rc != SQLITE_OK) return rc;
  return f->real->pMethods->xFileControl(f->real, op, arg);
}

// --- Shared by both kinds: plain forwarding ---------------------------------------------------

int fwdRead(sqlite3_file* file, void* data, int n, sqlite3_int64 offset) {
  return real(file)->pMethods->xRead(real(file), data, n, offset);
}
int fwdWrite(sqlite3_file* file, const void* data, int n, sqlite3_int64 offset) {
  return real(file)->pMethods->xWrite(real(file), data, n, offset);
}
int fwdTruncate(sqlite3_file* file, sqlite3_int64 size) {
  return real(file)->pMethods->xTruncate(real(file), size);
}
int fwdSync(sqlite3_file* file, int flags) {
  return real(file)->pMethods->xSync(real(file), flags);
}
int fwdFileSize(sqlite3_file* file, sqlite3_int64* size) {
  return real(file)->pMethods->xFileSize(real(file), size);
}
int fwdLock(sqlite3_file* file, int lock) { return real(file)->pMethods->xLock(real(file), lock); }
int fwdUnlock(sqlite3_file* file, int lock) {
  return real(file)->pMethods->xUnlock(real(file), lock);
}
int fwdCheckReservedLock(sqlite3_file* file, int* out) {
  return real(file)->pMethods->xCheckReservedLock(real(file), out);
}
int fwdFileControl(sqlite3_file* file, int op, void* arg) {
  return real(file)->pMethods->xFileControl(real(file), op, arg);
}
int fwdSectorSize(sqlite3_file* file) { return real(file)->pMethods->xSectorSize(real(file)); }
int fwdDeviceCharacteristics(sqlite3_file* file) {
  return real(file)->pMethods->xDeviceCharacteristics(real(file));
}
int fwdShmMap(sqlite3_file* file, int page, int size, int extend, void volatile** out) {
  return real(file)->pMethods->xShmMap(real(file), page, size, extend, out);
}
int fwdShmLock(sqlite3_file* file, int offset, int n, int flags) {
  return real(file)->pMethods->xShmLock(real(file), offset, n, flags);
}
void fwdShmBarrier(sqlite3_file* file) { real(file)->pMethods->xShmBarrier(real(file)); }
int fwdShmUnmap(sqlite3_file* file, int deleteFlag) {
  return real(file)->pMethods->xShmUnmap(real(file), deleteFlag);
}
int fwdFetch(sqlite3_file* file, sqlite3_int64 offset, int n, void** out) {
  return real(file)->pMethods->xFetch(real(file), offset, n, out);
}
int fwdUnfetch(sqlite3_file* file, sqlite3_int64 offset, void* page) {
  return real(file)->pMethods->xUnfetch(real(file), offset, page);
}

// --- Database files: the shared-memory calls flush the WAL first ------------------------------

int flushPeer(sqlite3_file* file) {
  File* wal = asFile(file)->peer;
  return wal == nullptr ? SQLITE_OK : flushForCall(wal);
}

// Where the call cannot report a failure (xShmBarrier, xShmUnmap): the bytes stay buffered for
// the next flush, and the WAL file's next call returns the error.
void flushPeerOrDefer(sqlite3_file* file) {
  File* wal = asFile(file)->peer;
  if (wal == nullptr || wal->used == 0) return;
  if (const int rc = flush(wal); rc != SQLITE_OK && wal->deferredError == SQLITE_OK) {
    wal->deferredError = rc;
  }
}

int dbClose(sqlite3_file* file) {
  File* f = asFile(file);
  if (f->peer != nullptr) f->peer->peer = nullptr;
  return f->real->pMethods->xClose(f->real);
}

int dbWrite(sqlite3_file* file, const void* data, int n, sqlite3_int64 offset) {
  const int rc = fwdWrite(file, data, n, offset);
  if (rc == SQLITE_OK) {
    count(databaseWrites);
    count(databaseBytes, static_cast<std::uint64_t>(n));
  }
  return rc;
}
int dbShmMap(sqlite3_file* file, int page, int size, int extend, void volatile** out) {
  if (const int rc = flushPeer(file); rc != SQLITE_OK) return rc;
  return fwdShmMap(file, page, size, extend, out);
}
int dbShmLock(sqlite3_file* file, int offset, int n, int flags) {
  if ((flags & SQLITE_SHM_UNLOCK) == 0) {
    if (const int rc = flushPeer(file); rc != SQLITE_OK) return rc;  // the lock is not taken
    return fwdShmLock(file, offset, n, flags);
  }
  // An unlock always happens (SQLite ignores its result). Nothing may stay buffered past the
  // release of the WAL's write lock: once another connection appends frames at the same
  // offsets, a later flush of these bytes would overwrite them. What is still buffered there
  // was never part of a commit that succeeded (a commit's frames are written at its commit
  // frame): frames of a transaction that failed or was rolled back. They are dropped, not
  // written: in the file they would be harmless only until a crash, since a rolled-back
  // transaction's frames can end with a commit frame whose write failed once (see walWrite),
  // and recovery would replay them. Other unlocks (read marks, the checkpoint lock) come with
  // nothing buffered in practice; they flush as the other shared-memory calls do.
  File* wal = asFile(file)->peer;
  if (wal != nullptr && wal->used > 0) {
    const bool writeLock = offset == kWalWriteLock && n == 1 && (flags & SQLITE_SHM_EXCLUSIVE);
    if (writeLock || flush(wal) != SQLITE_OK) {
      wal->used = 0;
      wal->commitPending = false;
    }
  }
  return fwdShmLock(file, offset, n, flags);
}
void dbShmBarrier(sqlite3_file* file) {
  flushPeerOrDefer(file);
  fwdShmBarrier(file);
}
int dbShmUnmap(sqlite3_file* file, int deleteFlag) {
  flushPeerOrDefer(file);
  return fwdShmUnmap(file, deleteFlag);
}

const sqlite3_io_methods kWalMethods = {
    3,
    walClose,
    walRead,
    walWrite,
    walTruncate,
    walSync,
    walFileSize,
    fwdLock,
    fwdUnlock,
    fwdCheckReservedLock,
    walFileControl,
    fwdSectorSize,
    fwdDeviceCharacteristics,
    fwdShmMap,
    fwdShmLock,
    fwdShmBarrier,
    fwdShmUnmap,
    fwdFetch,
    fwdUnfetch,
};

const sqlite3_io_methods kDatabaseMethods = {
    3,
    dbClose,
    fwdRead,
    dbWrite,
    fwdTruncate,
    fwdSync,
    fwdFileSize,
    fwdLock,
    fwdUnlock,
    fwdCheckReservedLock,
    fwdFileControl,
    fwdSectorSize,
    fwdDeviceCharacteristics,
    dbShmMap,
    dbShmLock,
    dbShmBarrier,
    dbShmUnmap,
    fwdFetch,
    fwdUnfetch,
};

// --- The VFS ---------------------------------------------------------------------------------

int vfsOpen(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags, int* outFlags) {
  sqlite3_vfs* base = baseOf(vfs);
  const bool wal = (flags & SQLITE_OPEN_WAL) != 0;
  const bool database = (flags & SQLITE_OPEN_MAIN_DB) != 0;
  if (!wal && !database) {
    // Journals and temporary files: the wrapped VFS's file in our place, nothing in between.
    return base->xOpen(base, name, file, flags, outFlags);
  }
  File* f = asFile(file);
  std::memset(f, 0, sizeof(File));
  f->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kRealOffset);
  const int rc = base->xOpen(base, name, f->real, flags, outFlags);
  if (rc != SQLITE_OK) {
    if (f->real->pMethods != nullptr) f->real->pMethods->xClose(f->real);
    file->pMethods = nullptr;
    return rc;
  }
  if (f->real->pMethods->iVersion < 3) {
    // Our methods forward the version 3 calls: without them, the wrapped file as it is.
    f->real->pMethods->xClose(f->real);
    return base->xOpen(base, name, file, flags, outFlags);
  }
  file->pMethods = wal ? &kWalMethods : &kDatabaseMethods;
  if (wal) {
    // The database file the pager opened this WAL for (SQLite's interface for VFS shims).
    sqlite3_file* db = sqlite3_database_file_object(name);
    if (db != nullptr && db->pMethods == &kDatabaseMethods) {
      f->peer = asFile(db);
      f->peer->peer = f;
    }
  }
  return SQLITE_OK;
}

int vfsDelete(sqlite3_vfs* vfs, const char* name, int syncDir) {
  return baseOf(vfs)->xDelete(baseOf(vfs), name, syncDir);
}
int vfsAccess(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
  return baseOf(vfs)->xAccess(baseOf(vfs), name, flags, out);
}
int vfsFullPathname(sqlite3_vfs* vfs, const char* name, int n, char* out) {
  return baseOf(vfs)->xFullPathname(baseOf(vfs), name, n, out);
}
void* vfsDlOpen(sqlite3_vfs* vfs, const char* name) {
  return baseOf(vfs)->xDlOpen(baseOf(vfs), name);
}
void vfsDlError(sqlite3_vfs* vfs, int n, char* out) { baseOf(vfs)->xDlError(baseOf(vfs), n, out); }
void (*vfsDlSym(sqlite3_vfs* vfs, void* handle, const char* symbol))(void) {
  return baseOf(vfs)->xDlSym(baseOf(vfs), handle, symbol);
}
void vfsDlClose(sqlite3_vfs* vfs, void* handle) { baseOf(vfs)->xDlClose(baseOf(vfs), handle); }
int vfsRandomness(sqlite3_vfs* vfs, int n, char* out) {
  return baseOf(vfs)->xRandomness(baseOf(vfs), n, out);
}
int vfsSleep(sqlite3_vfs* vfs, int micros) { return baseOf(vfs)->xSleep(baseOf(vfs), micros); }
int vfsCurrentTime(sqlite3_vfs* vfs, double* out) {
  return baseOf(vfs)->xCurrentTime(baseOf(vfs), out);
}
int vfsGetLastError(sqlite3_vfs* vfs, int n, char* out) {
  return baseOf(vfs)->xGetLastError(baseOf(vfs), n, out);
}
int vfsCurrentTimeInt64(sqlite3_vfs* vfs, sqlite3_int64* out) {
  return baseOf(vfs)->xCurrentTimeInt64(baseOf(vfs), out);
}
int vfsSetSystemCall(sqlite3_vfs* vfs, const char* name, sqlite3_syscall_ptr call) {
  return baseOf(vfs)->xSetSystemCall(baseOf(vfs), name, call);
}
sqlite3_syscall_ptr vfsGetSystemCall(sqlite3_vfs* vfs, const char* name) {
  return baseOf(vfs)->xGetSystemCall(baseOf(vfs), name);
}
const char* vfsNextSystemCall(sqlite3_vfs* vfs, const char* name) {
  return baseOf(vfs)->xNextSystemCall(baseOf(vfs), name);
}

}  // namespace

int registerCoalescingVfs(const char* name, sqlite3_vfs* base, bool makeDefault) {
  if (base == nullptr) return SQLITE_ERROR;
  // Registered VFSs live as long as the process (SQLite keeps the pointer).
  auto* vfs = new sqlite3_vfs{};
  vfs->iVersion = std::min(base->iVersion, 3);
  vfs->szOsFile = static_cast<int>(kRealOffset) + base->szOsFile;
  vfs->mxPathname = base->mxPathname;
  vfs->zName = name;
  vfs->pAppData = base;
  vfs->xOpen = vfsOpen;
  vfs->xDelete = vfsDelete;
  vfs->xAccess = vfsAccess;
  vfs->xFullPathname = vfsFullPathname;
  vfs->xDlOpen = base->xDlOpen ? vfsDlOpen : nullptr;
  vfs->xDlError = base->xDlError ? vfsDlError : nullptr;
  vfs->xDlSym = base->xDlSym ? vfsDlSym : nullptr;
  vfs->xDlClose = base->xDlClose ? vfsDlClose : nullptr;
  vfs->xRandomness = vfsRandomness;
  vfs->xSleep = vfsSleep;
  vfs->xCurrentTime = vfsCurrentTime;
  vfs->xGetLastError = vfsGetLastError;
  if (vfs->iVersion >= 2) vfs->xCurrentTimeInt64 = vfsCurrentTimeInt64;
  if (vfs->iVersion >= 3) {
    vfs->xSetSystemCall = base->xSetSystemCall ? vfsSetSystemCall : nullptr;
    vfs->xGetSystemCall = base->xGetSystemCall ? vfsGetSystemCall : nullptr;
    vfs->xNextSystemCall = base->xNextSystemCall ? vfsNextSystemCall : nullptr;
  }
  const int rc = sqlite3_vfs_register(vfs, makeDefault ? 1 : 0);
  if (rc != SQLITE_OK) delete vfs;
  return rc;
}

int installCoalescingVfs() {
  static std::once_flag once;
  static int result = SQLITE_OK;
  std::call_once(once, [] {
    if (const char* wanted = std::getenv("NOTEBRIDGE_WAL_COALESCE");
        wanted != nullptr && std::strcmp(wanted, "0") == 0) {
      return;
    }
    result = registerCoalescingVfs("notebridge-coalescing", sqlite3_vfs_find(nullptr), true);
  });
  return result;
}

CoalescingStats coalescingStats() {
  return {walWrites.load(std::memory_order_relaxed), fileWrites.load(std::memory_order_relaxed),
          bytesWritten.load(std::memory_order_relaxed),
          databaseWrites.load(std::memory_order_relaxed),
          databaseBytes.load(std::memory_order_relaxed)};
}

}  // namespace notebridge::gateway::sqlite

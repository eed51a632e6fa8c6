#include "storage/wal_checkpointer.h"

#include <Poco/Data/DataException.h>
#include <pthread.h>

namespace notebridge::gateway {

WalCheckpointer::WalCheckpointer(const std::string& file, int wakePages) : wakePages_(wakePages) {
  if (sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    const std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw Poco::Data::DataException("cannot open the checkpoint connection: " + message);
  }
  // A checkpoint waits for nothing: PASSIVE copies what no reader still needs and returns.
  sqlite3_busy_timeout(db_, 0);
  // The checkpoint's own fsyncs (WAL before copying, database after) follow this setting.
  sqlite3_exec(db_, "PRAGMA synchronous = FULL", nullptr, nullptr, nullptr);
  thread_ = std::thread([this] { run(); });
}

WalCheckpointer::~WalCheckpointer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  sqlite3_close(db_);
}

void WalCheckpointer::install(sqlite3* writer) { sqlite3_wal_hook(writer, &onCommit, this); }

void WalCheckpointer::uninstall(sqlite3* writer) {
  // Removing a WAL hook also removes SQLite's own auto-checkpoint (it is a WAL hook too): put it
  // back, at SQLite's default of 1,000 pages, for whatever uses the connection afterwards.
  sqlite3_wal_autocheckpoint(writer, 1000);
}

std::uint64_t WalCheckpointer::checkpoints() const {
  std::lock_guard lock(mutex_);
  return checkpoints_;
}

int WalCheckpointer::onCommit(void* self, sqlite3* db, const char* name, int pages) {
  auto* checkpointer = static_cast<WalCheckpointer*>(self);
  if (pages >= kInlinePages) {
    // The thread cannot keep up: bound the WAL here, as SQLite's own hook would.
    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  } else if (pages >= checkpointer->wakePages_) {
    {
      std::lock_guard lock(checkpointer->mutex_);
      checkpointer->wanted_ = true;
    }
    checkpointer->wake_.notify_one();
  }
  return SQLITE_OK;
}

void WalCheckpointer::run() {
  // Named for profiles and /proc/PID/task/*/comm (its CPU per note is a bench figure).
  pthread_setname_np(pthread_self(), "nb-checkpoint");
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [&] { return wanted_ || stopping_; });
    if (stopping_) return;
    wanted_ = false;
    lock.unlock();
    // Busy (another checkpoint running) or a failure leaves the frames for the next one.
    sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    lock.lock();
    ++checkpoints_;
  }
}

}  // namespace notebridge::gateway

// SqliteStore's durability pipeline: the writer commits without an fsync and is free at once,
// one fdatasync of the WAL then covers every commit before it, and no call (a write's answer,
// a read's result, an outbox claim) returns before what it wrote or saw is durable.
#include <linux/capability.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include "notebridge/gateway/sqlite_store.h"
#include "storage/wal_checkpointer.h"
#include "temp_dir.h"

using namespace notebridge::gateway;
using namespace std::chrono_literals;
using notebridge::testing::TempDir;

namespace {

// A WAL sync that waits until the test lets it go, then runs fdatasync. Declared before the
// store (which may sync once more when it closes), and released first however the test ends
// by a ReleaseFirst declared after the calls that wait for it (their futures' destructors
// block until those calls return).
class HeldSync {
 public:
  HeldSync() = default;
  HeldSync(const HeldSync&) = delete;
  HeldSync& operator=(const HeldSync&) = delete;
  ~HeldSync() { release(); }
  // The function for setWalSyncForTesting (this object must outlive the store's use of it).
  std::function<int(int)> function() {
    return [this](int fd) {
      std::unique_lock lock(mutex_);
      ++entered_;
      changed_.notify_all();
      changed_.wait(lock, [&] { return released_; });
      return ::fdatasync(fd);
    };
  }
  // Waits until `count` syncs have started; false after 10 s.
  bool awaitEntered(int count) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 10s, [&] { return entered_ >= count; });
  }
  void release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int entered_ = 0;
  bool released_ = false;
};

// Releases `held` when destroyed: declared after the futures, it runs before their destructors.
struct ReleaseFirst {
  HeldSync& held;
  ~ReleaseFirst() { held.release(); }
};

ResourceWrite patientWrite(const std::string& id) {
  ResourceWrite write;
  write.type = "Patient";
  write.id = id;
  write.render = [](const ResourceVersion& v) {
    return R"({"resourceType":"Patient","id":")" + v.id + R"(","meta":{"versionId":")" +
           std::to_string(v.version) + "\"}}";
  };
  return write;
}

NoteWrite noteWrite(const std::string& id) {
  NoteWrite write;
  write.note.id = id;
  write.note.version = 1;
  write.note.clientId = "C-1";
  write.note.status = "signed";
  write.note.source = "internal";
  write.note.noteJson = R"({"noteId":")" + id + R"("})";
  write.note.contentHash = "hash-of-" + id;
  write.note.bundleJson = R"({"resourceType":"Bundle"})";
  write.resources.push_back(patientWrite("p-" + id));
  write.destinations = {"ehr-a"};
  return write;
}

// Rows matching `where` in `table`, as a connection of its own sees them (SQLite's view:
// what is committed, durable or not).
int committedRows(const std::filesystem::path& file, const std::string& table,
                  const std::string& where) {
  sqlite3* db = nullptr;
  BOOST_REQUIRE(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
  sqlite3_stmt* select = nullptr;
  const std::string sql = "SELECT COUNT(*) FROM " + table + " WHERE " + where;
  BOOST_REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &select, nullptr) == SQLITE_OK);
  BOOST_REQUIRE(sqlite3_step(select) == SQLITE_ROW);
  const int count = sqlite3_column_int(select, 0);
  sqlite3_finalize(select);
  sqlite3_close(db);
  return count;
}

template <typename T>
bool returnsWithin(std::future<T>& call, std::chrono::milliseconds wait) {
  return call.wait_for(wait) == std::future_status::ready;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sqlite_durability)

BOOST_AUTO_TEST_CASE(a_write_and_every_read_of_it_wait_for_the_wal_sync) {
  TempDir dir;
  const auto file = dir.path() / "d.db";
  HeldSync held;
  auto store = *SqliteStore::open(file);
  store->setWalSyncForTesting(held.function());
  std::future<notebridge::fhir::Result<NoteWriteResult>> written;
  std::future<notebridge::fhir::Result<ResourceVersion>> resource;
  std::future<notebridge::fhir::Result<NoteRecord>> note;
  std::future<notebridge::fhir::Result<NotePage>> listed;
  std::future<notebridge::fhir::Result<std::vector<OutboxClaim>>> claimed;
  const ReleaseFirst releaseFirst{held};

  written = std::async(std::launch::async, [&] { return store->writeNote(noteWrite("N-1")); });
  // Committed, and its sync is held.
  BOOST_REQUIRE_MESSAGE(held.awaitEntered(1), "the write's sync never started");
  // Committed and visible to SQLite's readers, but not durable: nothing may report it.
  BOOST_TEST(committedRows(file, "notes", "id = 'N-1'") == 1);
  BOOST_TEST(committedRows(file, "resources", "id = 'p-N-1'") == 1);
  resource = std::async(std::launch::async,
                        [&] { return store->readResource("Patient", "p-N-1", std::nullopt); });
  note = std::async(std::launch::async, [&] { return store->readNote("N-1", std::nullopt); });
  listed = std::async(std::launch::async, [&] { return store->listNotes(NoteQuery{}); });
  claimed = std::async(std::launch::async, [&] {
    return store->claimDeliveries("ehr-a", "w-1", 10, "9999-01-01T00:00:00Z",
                                  "9999-01-01T00:02:00Z");
  });
  BOOST_TEST(!returnsWithin(written, 300ms));
  BOOST_TEST(!returnsWithin(resource, 0ms));
  BOOST_TEST(!returnsWithin(note, 0ms));
  BOOST_TEST(!returnsWithin(listed, 0ms));
  BOOST_TEST(!returnsWithin(claimed, 0ms));

  held.release();
  auto stored = written.get();
  BOOST_REQUIRE(stored.ok());
  BOOST_TEST(stored->created);
  BOOST_TEST(resource.get()->version == 1);
  BOOST_TEST(note.get()->id == "N-1");
  BOOST_TEST(listed.get()->notes.size() == 1u);
  auto claims = claimed.get();
  BOOST_REQUIRE(claims.ok());
  BOOST_REQUIRE(claims->size() == 1u);
  BOOST_TEST(claims->front().row.noteId == "N-1");
  // Reads after the sync do not wait.
  BOOST_TEST(store->readNote("N-1", std::nullopt).ok());
  store->close();
}

BOOST_AUTO_TEST_CASE(the_writer_is_free_while_the_sync_of_the_last_commit_runs) {
  TempDir dir;
  const auto file = dir.path() / "d.db";
  HeldSync held;
  auto store = *SqliteStore::open(file);
  store->setWalSyncForTesting(held.function());
  std::future<notebridge::fhir::Result<WriteResult>> first, second;
  const ReleaseFirst releaseFirst{held};

  first = std::async(std::launch::async, [&] { return store->writeResource(patientWrite("a")); });
  BOOST_REQUIRE_MESSAGE(held.awaitEntered(1), "the write's sync never started");
  // The first sync is held; a second write still commits (the writer is not waiting for it).
  second = std::async(std::launch::async, [&] { return store->writeResource(patientWrite("b")); });
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (committedRows(file, "resources", "id = 'b'") == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  BOOST_TEST(committedRows(file, "resources", "id = 'b'") == 1);
  BOOST_TEST(!returnsWithin(first, 0ms));
  BOOST_TEST(!returnsWithin(second, 100ms));
  held.release();
  BOOST_TEST(first.get().ok());
  BOOST_TEST(second.get().ok());
  // The first sync covered only the first commit: the second needed one of its own.
  BOOST_TEST(store->figures().syncs == 2u);
  store->close();
}

BOOST_AUTO_TEST_CASE(a_failed_sync_fails_the_writes_it_covered_and_the_store_stops_writing) {
  TempDir dir;
  const auto file = dir.path() / "d.db";
  auto store = *SqliteStore::open(file);
  BOOST_REQUIRE(store->writeNote(noteWrite("N-0")).ok());
  std::atomic<int> calls{0};
  store->setWalSyncForTesting([&](int) {
    ++calls;
    errno = EIO;
    return -1;
  });

  auto failed = store->writeNote(noteWrite("N-1"));
  BOOST_REQUIRE(!failed.ok());
  BOOST_TEST(failed.outcome().issues().front().code == "exception");
  BOOST_TEST(failed.outcome().issues().front().diagnostics.find("durable") != std::string::npos);
  // The row is in SQLite's view, but the store never reports it ...
  BOOST_TEST(committedRows(file, "notes", "id = 'N-1'") == 1);
  BOOST_TEST(!store->readNote("N-1", std::nullopt).ok());
  BOOST_TEST(!store->readResource("Patient", "p-N-1", std::nullopt).ok());
  // ... nor takes writes, nor claims to be ready; no later sync is trusted.
  BOOST_TEST(!store->writeResource(patientWrite("x")).ok());
  BOOST_TEST(!store->writeNote(noteWrite("N-2")).ok());
  BOOST_TEST(store->ping().hasErrors());
  store->setWalSyncForTesting({});
  BOOST_TEST(!store->readNote("N-1", std::nullopt).ok());
  BOOST_TEST(!store->writeNote(noteWrite("N-3")).ok());
  BOOST_TEST(calls.load() == 1);
  // API keys are written through synchronous=FULL connections, which wait for no sync of the
  // writer's: a committed add or revoke is reported as such.
  ApiKeyRecord key{"k-1", "test", "2026-01-01T00:00:00Z", ""};
  BOOST_TEST(!store->addApiKey(key, "hash").hasErrors());
  BOOST_TEST(!store->revokeApiKey("k-1").hasErrors());
  store->close();
}

BOOST_AUTO_TEST_CASE(after_a_failed_sync_no_checkpoint_copies_the_wal_into_the_database) {
  // The idle checkpoint (WalCheckpointer::kIdle after the last commit) would copy the frames
  // whose sync failed into the database file, and so would SQLite's checkpoint when the last
  // connection closes; the store halts its checkpointer instead.
  TempDir dir;
  const auto file = dir.path() / "d.db";
  auto store = *SqliteStore::open(file);
  // The database file alone, as a crash that lost the WAL's unsynced pages would leave it.
  const auto databaseFileAlone = [&](const std::string& name) {
    const auto copy = dir.path() / name;
    std::filesystem::copy_file(file, copy);
    return copy;
  };
  // Before: the idle checkpoint copies a durable note (and the schema) into the file.
  BOOST_REQUIRE(store->writeNote(noteWrite("N-0")).ok());
  std::this_thread::sleep_for(WalCheckpointer::kIdle * 4);
  BOOST_REQUIRE(committedRows(databaseFileAlone("before.db"), "notes", "id = 'N-0'") == 1);
  store->setWalSyncForTesting([](int) {
    errno = EIO;
    return -1;
  });
  BOOST_REQUIRE(!store->writeNote(noteWrite("N-1")).ok());
  BOOST_REQUIRE(committedRows(file, "notes", "id = 'N-1'") == 1);  // in the WAL
  std::this_thread::sleep_for(WalCheckpointer::kIdle * 4);
  BOOST_TEST(committedRows(databaseFileAlone("after.db"), "notes", "id = 'N-1'") == 0);
  store->setWalSyncForTesting({});
  // Nor does closing the store (SQLite checkpoints when the last connection closes).
  store->close();
  BOOST_TEST(std::filesystem::exists(file.string() + "-wal"));
  BOOST_TEST(committedRows(databaseFileAlone("closed.db"), "notes", "id = 'N-1'") == 0);
}

BOOST_AUTO_TEST_CASE(a_wal_that_cannot_be_opened_fails_the_waiting_calls_but_is_not_sticky) {
  TempDir dir;
  const auto file = dir.path() / "d.db";
  auto store = *SqliteStore::open(file);
  BOOST_REQUIRE(store->writeNote(noteWrite("N-0")).ok());
  const std::string wal = file.string() + "-wal";
  // The WAL is removed under the sync (as if SQLite had deleted it): the store opens the file
  // by its name again, finds none, and cannot sync.
  std::atomic<int> calls{0};
  store->setWalSyncForTesting([&](int fd) {
    if (calls++ == 0) ::unlink(wal.c_str());
    return ::fdatasync(fd);
  });
  auto failed = store->writeResource(patientWrite("a"));
  BOOST_REQUIRE(!failed.ok());
  BOOST_TEST(failed.outcome().issues().front().diagnostics.find("durable") != std::string::npos);
  // Not the disk: ping() stays ready and the next write tries again (and fails the same way
  // here, without reaching the sync: there is still no WAL file to open).
  BOOST_TEST(!store->ping().hasErrors());
  auto again = store->writeResource(patientWrite("b"));
  BOOST_REQUIRE(!again.ok());
  BOOST_TEST(again.outcome().issues().front().diagnostics.find("cannot open") != std::string::npos);
  BOOST_TEST(calls.load() == 1);
  store->close();
}

BOOST_AUTO_TEST_CASE(one_sync_covers_every_commit_written_while_the_last_one_ran) {
  TempDir dir;
  const auto file = dir.path() / "d.db";
  HeldSync held;
  auto store = *SqliteStore::open(file);
  store->setWalSyncForTesting(held.function());
  std::future<notebridge::fhir::Result<WriteResult>> first, second, third;
  const ReleaseFirst releaseFirst{held};

  first = std::async(std::launch::async, [&] { return store->writeResource(patientWrite("a")); });
  BOOST_REQUIRE_MESSAGE(held.awaitEntered(1), "the first write's sync never started");
  // Two more writes commit while that sync is held, and both wait (their turns have ended).
  second = std::async(std::launch::async, [&] { return store->writeResource(patientWrite("b")); });
  third = std::async(std::launch::async, [&] { return store->writeResource(patientWrite("c")); });
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (store->figures().waits < 3u && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(2ms);
  }
  BOOST_REQUIRE(store->figures().waits == 3u);
  BOOST_TEST(!returnsWithin(second, 0ms));
  BOOST_TEST(!returnsWithin(third, 0ms));
  held.release();
  BOOST_TEST(first.get().ok());
  BOOST_TEST(second.get().ok());
  BOOST_TEST(third.get().ok());
  // The first sync covered the first write; the next one both of the others.
  BOOST_TEST(store->figures().syncs == 2u);
  store->close();
}

BOOST_AUTO_TEST_CASE(parallel_writers_are_all_stored) {
  TempDir dir;
  auto store = *SqliteStore::open(dir.path() / "d.db");
  // A slow disk: each sync takes 30 ms, during which the writers queue up. How many share a
  // commit or a sync depends on the scheduling (one_sync_covers_... checks the sharing).
  store->setWalSyncForTesting([](int fd) {
    std::this_thread::sleep_for(30ms);
    return ::fdatasync(fd);
  });
  std::promise<void> start;
  std::shared_future<void> go = start.get_future().share();
  std::vector<std::future<bool>> writes;
  for (int i = 0; i < 32; ++i) {
    writes.push_back(std::async(std::launch::async, [&store, go, i] {
      go.wait();
      return store->writeNote(noteWrite("P-" + std::to_string(i))).ok();
    }));
  }
  start.set_value();
  for (auto& write : writes) BOOST_TEST(write.get());
  const SqliteStore::Figures figures = store->figures();
  BOOST_TEST(figures.notes == 32u);
  BOOST_TEST(figures.batches <= figures.notes);
  BOOST_TEST(figures.syncs >= 1u);
  for (int i = 0; i < 32; ++i) {
    BOOST_TEST(store->readNote("P-" + std::to_string(i), std::nullopt).ok());
  }
  BOOST_TEST_MESSAGE("batches " << figures.batches << ", syncs " << figures.syncs);
  store->close();
}

BOOST_AUTO_TEST_CASE(the_pipelined_writer_commits_with_synchronous_normal) {
  TempDir dir;
  auto store = *SqliteStore::open(dir.path() / "d.db");
  BOOST_TEST(store->writerSynchronousForTesting() == 1);  // NORMAL
  store->close();
}

BOOST_AUTO_TEST_CASE(without_the_pipeline_the_writer_syncs_inside_its_commit) {
  // NOTEBRIDGE_STORE_PIPELINE=0 (A/B runs): synchronous=FULL on the writer too, so a commit is
  // durable before anyone sees it, and the store runs no fdatasync of its own.
  TempDir dir;
  ::setenv("NOTEBRIDGE_STORE_PIPELINE", "0", 1);
  auto opened = SqliteStore::open(dir.path() / "d.db");
  ::unsetenv("NOTEBRIDGE_STORE_PIPELINE");
  auto store = *opened;
  std::atomic<int> calls{0};
  store->setWalSyncForTesting([&](int fd) {
    ++calls;
    return ::fdatasync(fd);
  });
  BOOST_TEST(store->writerSynchronousForTesting() == 2);  // FULL
  BOOST_TEST(store->writeNote(noteWrite("N-1")).ok());
  BOOST_TEST(store->readNote("N-1", std::nullopt).ok());
  BOOST_TEST(calls.load() == 0);
  BOOST_TEST(store->figures().syncs == 0u);
  store->close();
}

namespace {

// The nice value the priority tests start from: 10, or the test runner's own when it is
// already higher (lowering a thread's priority is always permitted; raising it back is not).
int startingNice() {
  errno = 0;
  const int current = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()));
  return std::max(errno == 0 ? current : 0, 10);
}

// Runs `work` on a thread of its own at startingNice(), so that a raise has room whatever
// the test runner's own nice value (up to 19: then the raise has 9 levels at most).
template <typename Work>
auto atStartingNice(Work work) {
  return std::async(std::launch::async,
                    [work] {
                      const id_t self = static_cast<id_t>(::gettid());
                      if (::setpriority(PRIO_PROCESS, self, startingNice()) != 0) {
                        throw std::runtime_error("cannot lower a thread's priority");
                      }
                      return work();
                    })
      .get();
}

// Levels by which this process may raise a thread's priority, up to `levels` (CAP_SYS_NICE,
// or RLIMIT_NICE allowing it).
int mayRaiseBy(int levels) {
  return atStartingNice([levels] {
    const id_t self = static_cast<id_t>(::gettid());
    const int start = startingNice();
    for (int by = std::min(levels, start + 20); by > 0; --by) {
      if (::setpriority(PRIO_PROCESS, self, start - by) == 0) return by;
    }
    return 0;
  });
}

std::shared_ptr<SqliteStore> openWithBoost(const std::filesystem::path& file,
                                           std::optional<int> boost) {
  SqliteStoreOptions options;
  if (boost) options.writerBoost = *boost;
  auto opened = SqliteStore::open(file, options);
  BOOST_REQUIRE(opened.ok());
  return *opened;
}

// Drops CAP_SYS_NICE from the calling thread's effective capabilities (capabilities are a
// thread's own on Linux), so that only RLIMIT_NICE decides what it may raise.
bool dropSysNice() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capget, &header, data) != 0) return false;
  data[CAP_TO_INDEX(CAP_SYS_NICE)].effective &= ~CAP_TO_MASK(CAP_SYS_NICE);
  return ::syscall(SYS_capset, &header, data) == 0;
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_writer_runs_above_its_threads_priority_and_gives_it_back) {
  // The thread holding the write lock is raised 10 nice levels by default (N with
  // writerBoost N, none with 0) as far as the process may; its own priority is back before
  // anyone else can take the lock, and without the permission the turn runs as before.
  TempDir dir;
  const int mayRaise = mayRaiseBy(10);
  BOOST_TEST_MESSAGE("may raise a thread's priority by " << mayRaise << " levels");
  {
    auto store = openWithBoost(dir.path() / "default.db", std::nullopt);
    const auto turn = atStartingNice([&] { return store->writerPriorityForTesting(); });
    BOOST_TEST(turn.raisedBy == mayRaise);
    BOOST_TEST(turn.restored);
    // A second turn: raised again as far (or, refused once, not tried again), restored again.
    const auto again = atStartingNice([&] { return store->writerPriorityForTesting(); });
    BOOST_TEST(again.raisedBy == turn.raisedBy);
    BOOST_TEST(again.restored);
    BOOST_TEST(store->writeNote(noteWrite("N-1")).ok());
    store->close();
  }
  {
    auto store = openWithBoost(dir.path() / "three.db", 3);
    const auto turn = atStartingNice([&] { return store->writerPriorityForTesting(); });
    BOOST_TEST(turn.raisedBy == mayRaiseBy(3));
    BOOST_TEST(turn.restored);
    store->close();
  }
  {
    auto store = openWithBoost(dir.path() / "off.db", 0);
    const auto turn = atStartingNice([&] { return store->writerPriorityForTesting(); });
    BOOST_TEST(turn.raisedBy == 0);
    BOOST_TEST(turn.restored);
    store->close();
  }
}

BOOST_AUTO_TEST_CASE(a_writer_boost_out_of_range_fails_the_open) {
  TempDir dir;
  for (const int boost : {-1, 40}) {
    SqliteStoreOptions options;
    options.writerBoost = boost;
    auto opened = SqliteStore::open(dir.path() / "d.db", options);
    BOOST_REQUIRE(!opened.ok());
    BOOST_TEST(opened.outcome().issues().front().diagnostics.find("store.writerBoost") !=
               std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(where_rlimit_nice_allows_part_of_the_boost_the_writer_gets_that_part) {
  // A thread without CAP_SYS_NICE may go down to the nice value 20 - RLIMIT_NICE: with 15,
  // to 5, i.e. 5 of the 10 levels from nice 10. (Needs a process that may set that limit and
  // drop the capability; skipped otherwise.)
  TempDir dir;
  rlimit saved{};
  BOOST_REQUIRE(::getrlimit(RLIMIT_NICE, &saved) == 0);
  rlimit partial{15, std::max<rlim_t>(saved.rlim_max, 15)};
  if (saved.rlim_max != RLIM_INFINITY && saved.rlim_max < 15 && ::geteuid() != 0) {
    BOOST_TEST_MESSAGE("skipped: RLIMIT_NICE's hard limit is below 15");
    return;
  }
  if (saved.rlim_max == RLIM_INFINITY) partial.rlim_max = RLIM_INFINITY;
  if (::setrlimit(RLIMIT_NICE, &partial) != 0) {
    BOOST_TEST_MESSAGE("skipped: cannot set RLIMIT_NICE to 15");
    return;
  }
  auto store = openWithBoost(dir.path() / "partial.db", std::nullopt);
  struct Outcome {
    bool dropped = false;
    int start = 0;
    SqliteStore::WriterPriorityForTesting first;
    SqliteStore::WriterPriorityForTesting second;
  };
  const Outcome outcome = std::async(std::launch::async, [&] {
                            Outcome out;
                            const id_t self = static_cast<id_t>(::gettid());
                            out.dropped = dropSysNice();
                            if (::setpriority(PRIO_PROCESS, self, 10) != 0) out.dropped = false;
                            out.start = ::getpriority(PRIO_PROCESS, self);
                            if (out.dropped) {
                              out.first = store->writerPriorityForTesting();
                              out.second = store->writerPriorityForTesting();
                            }
                            return out;
                          }).get();
  ::setrlimit(RLIMIT_NICE, &saved);
  if (!outcome.dropped) {
    BOOST_TEST_MESSAGE("skipped: cannot drop CAP_SYS_NICE or start at nice 10");
    store->close();
    return;
  }
  BOOST_TEST(outcome.start == 10);
  BOOST_TEST(outcome.first.raisedBy == 5);
  BOOST_TEST(outcome.first.restored);
  BOOST_TEST(outcome.second.raisedBy == 5);
  BOOST_TEST(outcome.second.restored);
  store->close();
}

BOOST_AUTO_TEST_SUITE_END()

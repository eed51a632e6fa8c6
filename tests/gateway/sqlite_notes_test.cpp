// SqliteStore's notes: idempotency on (id, version), one transaction per note even when notes
// are committed together, and keyset paging.
#include <boost/test/unit_test.hpp>
#include <future>
#include <set>

#include "notebridge/gateway/sqlite_store.h"
#include "temp_dir.h"

using namespace notebridge::gateway;
using notebridge::testing::TempDir;

namespace {

// A note with one Patient resource; `ifMatch` set makes its resource write fail.
NoteWrite noteWrite(const std::string& id, int version, const std::string& text,
                    std::optional<int> ifMatch = std::nullopt) {
  NoteWrite write;
  write.note.id = id;
  write.note.version = version;
  write.note.clientId = "C-1";
  write.note.status = "signed";
  write.note.source = "internal";
  write.note.noteJson = R"({"noteId":")" + id + R"(","text":")" + text + "\"}";
  write.note.contentHash = "hash-of-" + text;
  write.note.bundleJson = R"({"resourceType":"Bundle"})";
  ResourceWrite patient;
  patient.type = "Patient";
  patient.id = "p-" + id;
  patient.ifMatch = ifMatch;
  patient.render = [](const ResourceVersion& v) {
    return R"({"resourceType":"Patient","id":")" + v.id + R"(","meta":{"versionId":")" +
           std::to_string(v.version) + "\"}}";
  };
  write.resources.push_back(std::move(patient));
  write.destinations = {"ehr-a"};
  return write;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sqlite_notes)

BOOST_AUTO_TEST_CASE(a_note_is_stored_once_per_id_and_version) {
  TempDir dir;
  auto store = *SqliteStore::open(dir.path() / "n.db");
  auto first = store->writeNote(noteWrite("N-1", 1, "a"));
  BOOST_REQUIRE(first.ok());
  BOOST_TEST(first->created);
  BOOST_TEST(!first->note.receivedAt.empty());
  BOOST_REQUIRE(first->deliveries.size() == 1u);
  BOOST_TEST(first->deliveries.front().state == "pending");

  auto again = store->writeNote(noteWrite("N-1", 1, "a"));
  BOOST_REQUIRE(again.ok());
  BOOST_TEST(!again->created);
  BOOST_TEST(again->note.receivedAt == first->note.receivedAt);
  BOOST_TEST(again->deliveries.front().id == first->deliveries.front().id);

  auto changed = store->writeNote(noteWrite("N-1", 1, "b"));
  BOOST_REQUIRE(!changed.ok());
  BOOST_TEST(changed.outcome().issues().front().code == "conflict");
  BOOST_TEST(store->readNote("N-1", std::nullopt)->contentHash == "hash-of-a");
  BOOST_TEST(store->readResource("Patient", "p-N-1", std::nullopt)->version == 1);
  BOOST_TEST(store->readNote("N-1", 2).outcome().issues().front().code == "not-found");
  store->close();
}

BOOST_AUTO_TEST_CASE(notes_committed_together_stand_or_fall_alone) {
  TempDir dir;
  auto store = *SqliteStore::open(dir.path() / "n.db");
  // Many writers at once: the store batches them; the odd ones fail their resource write
  // (If-Match on a resource that does not exist) and must leave nothing behind.
  std::vector<std::future<bool>> writes;
  for (int i = 0; i < 24; ++i) {
    writes.push_back(std::async(std::launch::async, [&store, i] {
      const std::optional<int> ifMatch = i % 2 ? std::optional<int>(7) : std::nullopt;
      return store->writeNote(noteWrite("B-" + std::to_string(i), 1, "x", ifMatch)).ok();
    }));
  }
  for (int i = 0; i < 24; ++i) BOOST_TEST(writes[i].get() == (i % 2 == 0));
  for (int i = 0; i < 24; ++i) {
    const std::string id = "B-" + std::to_string(i);
    BOOST_TEST(store->readNote(id, std::nullopt).ok() == (i % 2 == 0));
    BOOST_TEST(store->readResource("Patient", "p-" + id, std::nullopt).ok() == (i % 2 == 0));
    BOOST_TEST(store->noteDeliveries(id, 1)->size() == (i % 2 == 0 ? 1u : 0u));
  }
  store->close();
}

BOOST_AUTO_TEST_CASE(every_writer_gets_its_own_answer_when_leaders_hand_over) {
  TempDir dir;
  auto store = *SqliteStore::open(dir.path() / "n.db");
  // More writers than one commit takes, each writing several notes in a row: commits hand the
  // leadership on to a queued writer, and each writer must get the answer for its own note
  // (a lost wake-up would hang here, a mixed-up one fails the id check).
  constexpr int kWriters = 80;
  constexpr int kNotesEach = 5;
  std::vector<std::future<int>> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.push_back(std::async(std::launch::async, [&store, w] {
      int right = 0;
      for (int n = 0; n < kNotesEach; ++n) {
        const std::string id = "H-" + std::to_string(w) + "-" + std::to_string(n);
        auto written = store->writeNote(noteWrite(id, 1, "x"));
        if (written.ok() && written->created && written->note.id == id &&
            written->deliveries.size() == 1u) {
          ++right;
        }
      }
      return right;
    }));
  }
  int right = 0;
  for (auto& writer : writers) right += writer.get();
  BOOST_TEST(right == kWriters * kNotesEach);
  NoteQuery query;
  query.count = 1000;
  BOOST_TEST(store->listNotes(query)->notes.size() == std::size_t{kWriters * kNotesEach});
  store->close();
}

BOOST_AUTO_TEST_CASE(pages_follow_the_cursor_without_gaps_or_repeats) {
  TempDir dir;
  auto store = *SqliteStore::open(dir.path() / "n.db");
  for (int i = 0; i < 5; ++i) {
    BOOST_REQUIRE(store->writeNote(noteWrite("P-" + std::to_string(i), 1, "x")).ok());
  }
  std::set<std::string> seen;
  NoteQuery query;
  query.count = 2;
  int pages = 0;
  do {
    auto page = store->listNotes(query);
    BOOST_REQUIRE(page.ok());
    for (const NoteRecord& note : page->notes) BOOST_TEST(seen.insert(note.id).second);
    query.after = page->nextCursor;
    ++pages;
  } while (!query.after.empty() && pages < 10);
  BOOST_TEST(pages == 3);
  BOOST_TEST(seen.size() == 5u);
  query = {};
  query.after = "not a cursor";
  BOOST_TEST(!store->listNotes(query).ok());
  store->close();
}

BOOST_AUTO_TEST_SUITE_END()

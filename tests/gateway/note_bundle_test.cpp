// Notes whose Bundle is rebuilt from the note (migration 5): nothing but the note is stored,
// the Bundle read back is the mapper's, byte for byte, and rows written before migration 5
// keep the Bundle they stored.
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <boost/test/unit_test.hpp>

#include <filesystem>

#include "note_bundles.h"
#include "notebridge/gateway/note_bundle.h"
#include "notebridge/gateway/sqlite_store.h"
#include "older_database.h"
#include "temp_dir.h"
#include "test_paths.h"

using namespace notebridge::gateway;
using namespace Poco::Data::Keywords;
using notebridge::testing::TempDir;
namespace mappers = notebridge::mappers;
namespace fhir = notebridge::fhir;

namespace {

// A note as POST /notes stores it: its canonical JSON and no Bundle text.
NoteWrite mappedWrite(const mappers::Note& note, std::vector<std::string> destinations = {}) {
  NoteWrite write;
  write.note.id = note.noteId;
  write.note.version = note.version;
  write.note.clientId = note.client.id;
  write.note.status = "signed";
  write.note.source = "internal";
  write.note.noteJson = mappers::writeNote(note, false);
  write.note.contentHash = "hash-" + note.noteId;
  write.note.bundleFromNote = true;
  write.destinations = std::move(destinations);
  return write;
}

// notes.bundle_json as it is in the file.
std::string storedBundleColumn(const std::filesystem::path& file, const std::string& id) {
  Poco::Data::SQLite::Connector::registerConnector();
  Poco::Data::Session session("SQLite", file.string());
  std::string text, key = id;
  session << "SELECT bundle_json FROM notes WHERE id = ?", use(key), into(text), now;
  return text;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(note_bundle)

BOOST_AUTO_TEST_CASE(every_fixture_note_gives_back_the_mappers_bundle_byte_for_byte) {
  // The signed fixtures of every note format (SOAP, DAP, BIRP, GIRP, free narrative).
  for (const char* name : {"soap", "dap", "birp", "girp", "narrative"}) {
    BOOST_TEST_CONTEXT(name) {
      const std::string text = notebridge::testing::readFile(
          notebridge::testing::testDataDir() / "mappers" / (std::string(name) + ".note.json"));
      auto note = mappers::parseNote(text);
      BOOST_REQUIRE(note.ok());
      auto mapped = mappers::noteToFhir(*note);
      BOOST_REQUIRE(mapped.ok());
      // What POST /notes mapped (from the request's parse) against what is rebuilt (from the
      // stored canonical JSON).
      auto rebuilt = noteBundleJson(mappers::writeNote(*note, false));
      BOOST_REQUIRE(rebuilt.ok());
      BOOST_TEST(*rebuilt == fhir::writeJson(**mapped));
    }
  }
}

BOOST_AUTO_TEST_CASE(a_mapped_note_stores_no_bundle_and_reads_and_claims_it_rebuilt) {
  TempDir dir;
  auto store = *SqliteStore::open(dir.path() / "n.db");
  const mappers::Note note = notebridge::testing::sampleNote("N-M1");
  const std::string expected = notebridge::testing::sampleBundleJson("N-M1");
  auto written = store->writeNote(mappedWrite(note, {"ehr"}));
  BOOST_REQUIRE(written.ok());
  BOOST_TEST(written->created);

  BOOST_TEST(storedBundleColumn(dir.path() / "n.db", "N-M1") == "");
  auto read = store->readNote("N-M1", std::nullopt);
  BOOST_REQUIRE(read.ok());
  BOOST_TEST(read->bundleFromNote);
  BOOST_TEST(read->bundleJson == expected);

  auto claims = store->claimDeliveries("ehr", "w1", 10, "2099-01-01T00:00:00.000Z",
                                       "2099-01-01T00:01:00.000Z");
  BOOST_REQUIRE(claims.ok());
  BOOST_REQUIRE(claims->size() == 1u);
  BOOST_TEST(claims->front().bundleJson == expected);

  // The same content again is a replay, as for a stored Bundle.
  auto again = store->writeNote(mappedWrite(note, {"ehr"}));
  BOOST_REQUIRE(again.ok());
  BOOST_TEST(!again->created);
  store->close();
}

BOOST_AUTO_TEST_CASE(notes_stored_before_migration_5_keep_their_bundle) {
  TempDir dir;
  const auto file = dir.path() / "old.db";
  {
    // A row as the program before migration 5 wrote it, Bundle text included.
    Poco::Data::Session session = notebridge::testing::olderDatabase(file, 4);
    std::string noteJson = mappers::writeNote(notebridge::testing::sampleNote("N-OLD"), false);
    session << "INSERT INTO notes (id, version, client_id, status, source, content_hash, "
               "note_json, bundle_json, received_at) VALUES ('N-OLD', 1, 'C-1', 'signed', "
               "'internal', 'hash-old', ?, '{\"resourceType\":\"Bundle\",\"id\":\"as-stored\"}', "
               "'2026-01-01T00:00:00.000Z')",
        use(noteJson), now;
    notebridge::testing::addPendingDelivery(session, "N-OLD", "ehr");
  }
  auto store = *SqliteStore::open(file);
  BOOST_TEST(store->schemaVersion() == sqliteMigrations().back().version);
  auto read = store->readNote("N-OLD", 1);
  BOOST_REQUIRE(read.ok());
  BOOST_TEST(!read->bundleFromNote);
  // The text stored then, not a rebuild from the note.
  BOOST_TEST(read->bundleJson == R"({"resourceType":"Bundle","id":"as-stored"})");
  auto claims = store->claimDeliveries("ehr", "w1", 10, "2099-01-01T00:00:00.000Z",
                                       "2099-01-01T00:01:00.000Z");
  BOOST_REQUIRE(claims.ok());
  BOOST_REQUIRE(claims->size() == 1u);
  BOOST_TEST(claims->front().bundleJson == R"({"resourceType":"Bundle","id":"as-stored"})");
  // A new version of it is written the new way beside the old row.
  auto next = store->writeNote(mappedWrite(notebridge::testing::sampleNote("N-OLD", 2)));
  BOOST_REQUIRE(next.ok());
  BOOST_TEST(store->readNote("N-OLD", 2)->bundleJson ==
             notebridge::testing::sampleBundleJson("N-OLD", 2));
  BOOST_TEST(store->readNote("N-OLD", 1)->bundleJson ==
             R"({"resourceType":"Bundle","id":"as-stored"})");
  store->close();
}

BOOST_AUTO_TEST_CASE(a_note_the_mapper_refuses_is_an_error_not_an_empty_bundle) {
  TempDir dir;
  auto store = *SqliteStore::open(dir.path() / "n.db");
  NoteWrite write;
  write.note.id = "N-BAD";
  write.note.version = 1;
  write.note.clientId = "C-1";
  write.note.status = "signed";
  write.note.source = "internal";
  write.note.noteJson = R"({"noteId":"N-BAD"})";  // not a note the mapper takes
  write.note.contentHash = "hash-bad";
  write.note.bundleFromNote = true;
  BOOST_REQUIRE(store->writeNote(write).ok());
  auto read = store->readNote("N-BAD", std::nullopt);
  BOOST_TEST(!read.ok());
  BOOST_TEST(read.outcome().hasErrors());
  store->close();
}

BOOST_AUTO_TEST_SUITE_END()

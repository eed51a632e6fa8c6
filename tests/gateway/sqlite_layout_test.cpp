// The storage layout of migration 6 (resources keyed by an integer rid, search index clustered
// by resource) and the writes prepared outside the store's lock (VersionTemplate): a database
// from before the migration stays readable, searchable and deliverable; a version stamped
// inside the lock is the one the store assigns even when another writer got there first; and
// unchanged content is still not written again, with or without a stored digest.
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "notebridge/fhir/json_format.h"
#include "notebridge/gateway/sqlite_store.h"
#include "notebridge/gateway/version_template.h"
#include "notes_api/note_routes.h"
#include "older_database.h"
#include "shared_registry.h"
#include "storage/wal_checkpointer.h"
#include "temp_dir.h"

using namespace notebridge::gateway;
using namespace Poco::Data::Keywords;
using notebridge::testing::TempDir;
namespace fhir = notebridge::fhir;

namespace {

std::shared_ptr<fhir::Element> parse(const std::string& json) {
  return notebridge::testing::parseResource(json);
}

SearchCriterion criterion(const std::string& param, const std::string& kind,
                          const std::string& value) {
  SearchCriterion c;
  c.param = param;
  c.kind = kind;
  c.alternatives.push_back({"", "", false, value, ""});
  return c;
}

std::vector<std::string> searchIds(SqliteStore& store, const std::string& type,
                                   std::vector<SearchCriterion> criteria) {
  SearchQuery query;
  query.type = type;
  query.criteria = std::move(criteria);
  query.sort = {{"_id", false}};
  auto page = store.search(query);
  BOOST_REQUIRE(page.ok());
  std::vector<std::string> ids;
  for (const ResourceVersion& v : page->resources) ids.push_back(v.id);
  BOOST_TEST(page->total == static_cast<int>(ids.size()));
  return ids;
}

ResourceWrite plainWrite(const std::string& type, const std::string& id, const std::string& text,
                         std::vector<IndexEntry> index = {}) {
  ResourceWrite write;
  write.type = type;
  write.id = id;
  write.index = std::move(index);
  write.render = [type, id, text](const ResourceVersion& v) {
    return R"({"resourceType":")" + type + R"(","id":")" + id + R"(","meta":{"versionId":")" +
           std::to_string(v.version) + R"("},"text":")" + text + R"("})";
  };
  return write;
}

const std::string kPatient =
    R"({"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"M-1"}],)"
    R"("name":[{"family":"Rivera","given":["Ana"]}],"gender":"female"})";
const std::string kChangedPatient =
    R"({"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"M-1"}],)"
    R"("name":[{"family":"Rivera","given":["Ana","Maria"]}],"gender":"female"})";

// The body a full render of `json` stamped as `v` gives: what the template must reproduce.
std::string rendered(const std::string& json, const ResourceVersion& v) {
  auto tree = parse(json);
  stampVersion(*tree, v);
  return fhir::writeJson(*tree);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sqlite_layout)

BOOST_AUTO_TEST_CASE(a_database_from_migration_5_is_readable_searchable_and_deliverable_after_6) {
  TempDir dir;
  const auto file = dir.path() / "old.db";
  {
    // Rows as the program before migration 6 wrote them (the layout of migration 3).
    Poco::Data::Session session = notebridge::testing::olderDatabase(file, 5);
    session << "INSERT INTO resource_versions (type, id, version, last_updated, deleted, body) "
               "VALUES ('Patient', 'p1', 1, '2026-01-01T00:00:00.000Z', 0, 'patient v1'), "
               "('Patient', 'p1', 2, '2026-01-02T00:00:00.000Z', 0, 'patient v2'), "
               "('Observation', 'o1', 1, '2026-01-03T00:00:00.000Z', 0, 'obs 1'), "
               "('Observation', 'o2', 1, '2026-01-04T00:00:00.000Z', 0, 'obs 2')",
        now;
    session << "INSERT INTO resources (type, id, version, last_updated, deleted) VALUES "
               "('Patient', 'p1', 2, '2026-01-02T00:00:00.000Z', 0), "
               "('Observation', 'o1', 1, '2026-01-03T00:00:00.000Z', 0), "
               "('Observation', 'o2', 1, '2026-01-04T00:00:00.000Z', 0)",
        now;
    session << "INSERT INTO search_index (type, id, param, system, value, high) VALUES "
               "('Patient', 'p1', 'identifier', 'urn:mrn', 'M-1', ''), "
               "('Observation', 'o1', 'patient', '', 'Patient/p1', ''), "
               "('Observation', 'o1', 'code', 'http://loinc.org', '1234-5', ''), "
               "('Observation', 'o2', 'code', 'http://loinc.org', '9999-9', '')",
        now;
    session << "INSERT INTO notes (id, version, client_id, status, source, content_hash, "
               "note_json, bundle_json, received_at) VALUES ('N-OLD', 1, 'C-1', 'signed', "
               "'internal', 'hash-old', '{}', '{\"resourceType\":\"Bundle\",\"id\":\"old\"}', "
               "'2026-01-01T00:00:00.000Z')",
        now;
    notebridge::testing::addPendingDelivery(session, "N-OLD", "ehr");
  }
  auto store = *SqliteStore::open(file);
  BOOST_TEST(store->schemaVersion() == sqliteMigrations().back().version);

  auto current = store->readResource("Patient", "p1", std::nullopt);
  BOOST_REQUIRE(current.ok());
  BOOST_TEST(current->version == 2);
  BOOST_TEST(current->body == "patient v2");
  BOOST_TEST(current->lastUpdated == "2026-01-02T00:00:00.000Z");
  auto first = store->readResource("Patient", "p1", 1);
  BOOST_REQUIRE(first.ok());
  BOOST_TEST(first->body == "patient v1");
  auto versions = store->history("Patient", "p1", 10);
  BOOST_REQUIRE(versions.ok());
  BOOST_REQUIRE(versions->size() == 2u);
  BOOST_TEST((*versions)[0].version == 2);
  BOOST_TEST((*versions)[1].version == 1);

  BOOST_TEST(searchIds(*store, "Observation", {criterion("code", "token", "1234-5")}) ==
             std::vector<std::string>{"o1"});
  BOOST_TEST(searchIds(*store, "Observation", {criterion("patient", "reference", "Patient/p1")}) ==
             std::vector<std::string>{"o1"});
  BOOST_TEST(searchIds(*store, "Observation", {}) == (std::vector<std::string>{"o1", "o2"}));
  BOOST_TEST(searchIds(*store, "Patient", {criterion("identifier", "token", "M-1")}) ==
             std::vector<std::string>{"p1"});

  // An update after the upgrade: the next version, its index replacing the old one.
  auto updated = store->writeResource(
      plainWrite("Patient", "p1", "v3", {{"identifier", "token", "urn:mrn", "M-2", ""}}));
  BOOST_REQUIRE(updated.ok());
  BOOST_TEST(updated->written.version == 3);
  BOOST_TEST(!updated->created);
  BOOST_TEST(searchIds(*store, "Patient", {criterion("identifier", "token", "M-1")}).empty());
  BOOST_TEST(searchIds(*store, "Patient", {criterion("identifier", "token", "M-2")}) ==
             std::vector<std::string>{"p1"});
  BOOST_TEST(store->readResource("Patient", "p1", 2)->body == "patient v2");
  // A new resource beside the copied ones.
  auto created = store->writeResource(
      plainWrite("Observation", "o3", "new", {{"code", "token", "", "1234-5", ""}}));
  BOOST_REQUIRE(created.ok());
  BOOST_TEST(created->created);
  BOOST_TEST(searchIds(*store, "Observation", {criterion("code", "token", "1234-5")}) ==
             (std::vector<std::string>{"o1", "o3"}));

  // The note and its delivery are untouched by the migration.
  auto note = store->readNote("N-OLD", 1);
  BOOST_REQUIRE(note.ok());
  BOOST_TEST(note->bundleJson == R"({"resourceType":"Bundle","id":"old"})");
  auto claims = store->claimDeliveries("ehr", "w1", 10, "2099-01-01T00:00:00.000Z",
                                       "2099-01-01T00:01:00.000Z");
  BOOST_REQUIRE(claims.ok());
  BOOST_REQUIRE(claims->size() == 1u);
  BOOST_TEST(claims->front().bundleJson == R"({"resourceType":"Bundle","id":"old"})");
  store->close();
}

BOOST_AUTO_TEST_CASE(a_template_gives_the_version_the_store_assigns_inside_the_lock) {
  TempDir dir;
  auto store = *SqliteStore::open(dir.path() / "t.db");
  // Prepared (rendered) before anything is stored, as POST /notes does outside the lock.
  ResourceWrite prepared = templatedWrite(parse(kPatient), "p9");
  prepared.skipUnchanged = true;
  BOOST_TEST(!prepared.contentHash.empty());
  // Meanwhile another writer stores the resource twice.
  BOOST_REQUIRE(store->writeResource(plainWrite("Patient", "p9", "a")).ok());
  BOOST_REQUIRE(store->writeResource(plainWrite("Patient", "p9", "b")).ok());

  auto written = store->writeResource(prepared);
  BOOST_REQUIRE(written.ok());
  BOOST_TEST(written->written.version == 3);
  BOOST_TEST(!written->created);
  // Exactly what rendering the tree as version 3 gives.
  BOOST_TEST(written->written.body == rendered(kPatient, written->written));
  BOOST_TEST(written->written.body.find(R"("versionId":"3")") != std::string::npos);
  BOOST_TEST(written->written.body.find(written->written.lastUpdated) != std::string::npos);
  auto read = store->readResource("Patient", "p9", std::nullopt);
  BOOST_REQUIRE(read.ok());
  BOOST_TEST(read->body == written->written.body);
  store->close();
}

BOOST_AUTO_TEST_CASE(unchanged_content_is_not_written_again_with_or_without_a_stored_digest) {
  TempDir dir;
  const auto file = dir.path() / "u.db";
  auto store = *SqliteStore::open(file);
  auto write = [&](const std::string& json) {
    ResourceWrite w = templatedWrite(parse(json), "p5");
    w.skipUnchanged = true;
    auto result = store->writeResource(w);
    BOOST_REQUIRE(result.ok());
    return *result;
  };
  const WriteResult first = write(kPatient);
  BOOST_TEST(first.created);
  BOOST_TEST(first.written.version == 1);
  BOOST_TEST(first.written.body == rendered(kPatient, first.written));
  const WriteResult same = write(kPatient);
  BOOST_TEST(!same.created);
  BOOST_TEST(same.written.version == 1);
  const WriteResult changed = write(kChangedPatient);
  BOOST_TEST(changed.written.version == 2);
  BOOST_TEST(changed.written.body == rendered(kChangedPatient, changed.written));
  {
    // As a row written before migration 6 has it: no digest. The body decides.
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::Session session("SQLite", file.string());
    session << "UPDATE resources SET content_hash = NULL WHERE id = 'p5'", now;
  }
  BOOST_TEST(write(kChangedPatient).written.version == 2);
  BOOST_TEST(write(kPatient).written.version == 3);
  BOOST_TEST(write(kPatient).written.version == 3);
  auto versions = store->history("Patient", "p5", 10);
  BOOST_REQUIRE(versions.ok());
  BOOST_TEST(versions->size() == 3u);
  store->close();
}

BOOST_AUTO_TEST_CASE(content_holding_the_placeholders_is_rendered_from_the_tree) {
  TempDir dir;
  auto store = *SqliteStore::open(dir.path() / "p.db");
  const std::string odd =
      R"({"resourceType":"Patient","name":[{"family":"~nb:versionId~","given":["x"]}]})";
  ResourceWrite w = templatedWrite(parse(odd), "p7");
  BOOST_TEST(w.contentHash.empty());
  auto written = store->writeResource(w);
  BOOST_REQUIRE(written.ok());
  BOOST_TEST(written->written.body == rendered(odd, written->written));
  BOOST_TEST(written->written.body.find(R"("family":"~nb:versionId~")") != std::string::npos);
  store->close();
}

BOOST_AUTO_TEST_SUITE_END()

// The checkpoint thread (storage/wal_checkpointer.h), woken here after 8 pages: the database
// file itself is written only by checkpoints, so it grows without any checkpoint asked for.

BOOST_AUTO_TEST_SUITE(wal_checkpointer)

BOOST_AUTO_TEST_CASE(commits_past_the_threshold_are_copied_into_the_database_file_by_the_thread) {
  TempDir dir;
  const std::string file = (dir.path() / "w.db").string();
  sqlite3* db = nullptr;
  BOOST_REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
  BOOST_REQUIRE(sqlite3_exec(db, "PRAGMA journal_mode = WAL; CREATE TABLE t (x TEXT)", nullptr,
                             nullptr, nullptr) == SQLITE_OK);
  {
    WalCheckpointer checkpointer(file, 8);
    checkpointer.install(db);
    const auto before = std::filesystem::file_size(file);
    for (int i = 0; i < 20; ++i) {
      // ~16 KB per commit: 4 or more pages each.
      BOOST_REQUIRE(sqlite3_exec(db, "INSERT INTO t VALUES (hex(randomblob(8192)))", nullptr,
                                 nullptr, nullptr) == SQLITE_OK);
    }
    // The thread runs on its own: wait for it (bounded, not a timing assertion).
    for (int i = 0; i < 500 && checkpointer.checkpoints() == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    BOOST_TEST(checkpointer.checkpoints() > 0u);
    for (int i = 0; i < 500 && std::filesystem::file_size(file) <= before; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    BOOST_TEST(std::filesystem::file_size(file) > before);
    WalCheckpointer::uninstall(db);
  }
  sqlite3_stmt* count = nullptr;
  BOOST_REQUIRE(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM t", -1, &count, nullptr) == SQLITE_OK);
  BOOST_REQUIRE(sqlite3_step(count) == SQLITE_ROW);
  BOOST_TEST(sqlite3_column_int(count, 0) == 20);
  sqlite3_finalize(count);
  sqlite3_close(db);
}

BOOST_AUTO_TEST_SUITE_END()

// References in the search index (issue 7): a reference whose target is stored is indexed by
// the target's rid, one written before its target keeps its text, and every search form finds
// both; `patient` is indexed once, as the subject (or Provenance target) it repeats; migration 7
// drops the patient rows an older program wrote beside their subject rows.
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <string>
#include <utility>
#include <vector>

#include "fhir_api/search_parameters.h"
#include "notebridge/fhir/json_format.h"
#include "notebridge/gateway/sqlite_store.h"
#include "older_database.h"
#include "shared_registry.h"
#include "temp_dir.h"

using namespace notebridge::gateway;
using namespace Poco::Data::Keywords;
using notebridge::testing::TempDir;
namespace fhir = notebridge::fhir;

namespace {

using notebridge::testing::parseResource;

// A create of `json` (resourceType and id set) with the index indexResource gives it.
ResourceWrite writeOf(const std::string& json) {
  auto tree = parseResource(json);
  ResourceWrite write;
  write.type = tree->type();
  write.id = std::string(tree->childValue("id"));
  write.index = indexResource(*tree);
  write.render = [json](const ResourceVersion&) { return json; };
  return write;
}

void store(SqliteStore& s, const std::string& json) {
  auto written = s.writeResource(writeOf(json));
  BOOST_REQUIRE(written.ok());
}

std::string observation(const std::string& id, const std::string& subject,
                        const std::string& code = "1234-5") {
  return R"({"resourceType":"Observation","id":")" + id +
         R"(","status":"final","code":{"coding":[{"system":"http://loinc.org","code":")" + code +
         R"("}]},"subject":{"reference":")" + subject + R"("}})";
}

const std::string kPatient = R"({"resourceType":"Patient","id":"p1"})";

// The ids a FHIR search query (as the API gets it) finds, sorted.
std::vector<std::string> found(SqliteStore& s, const std::string& type,
                               std::vector<std::pair<std::string, std::string>> params) {
  auto parsed = parseSearch(type, params, true);
  BOOST_REQUIRE(parsed.ok());
  parsed->query.sort = {{"_id", false}};
  auto page = s.search(parsed->query);
  BOOST_REQUIRE(page.ok());
  std::vector<std::string> ids;
  for (const ResourceVersion& v : page->resources) ids.push_back(v.id);
  BOOST_TEST(page->total == static_cast<int>(ids.size()));
  return ids;
}

// The stored index values of one parameter of one resource.
std::vector<std::string> storedValues(const std::filesystem::path& file, const std::string& id,
                                      const std::string& param) {
  Poco::Data::SQLite::Connector::registerConnector();
  Poco::Data::Session session("SQLite", file.string());
  std::vector<std::string> values;
  std::string key = id, name = param;
  session << "SELECT i.value FROM search_index i JOIN resources r ON r.rid = i.rid "
             "WHERE r.id = ? AND i.param = ? ORDER BY i.value",
      use(key), use(name), into(values), now;
  return values;
}

std::string ridOf(const std::filesystem::path& file, const std::string& type,
                  const std::string& id) {
  Poco::Data::Session session("SQLite", file.string());
  Poco::Int64 rid = 0;
  std::string t = type, i = id;
  session << "SELECT rid FROM resources WHERE type = ? AND id = ?", use(t), use(i), into(rid), now;
  return "#" + std::to_string(rid);
}

using Ids = std::vector<std::string>;

}  // namespace

BOOST_AUTO_TEST_SUITE(reference_index)

BOOST_AUTO_TEST_CASE(patient_is_indexed_once_as_the_subject_it_repeats) {
  auto tree = parseResource(observation("o1", "Patient/p1"));
  const std::vector<IndexEntry> index = indexResource(*tree);
  const auto named = [&](const std::string& param) {
    return std::count_if(index.begin(), index.end(),
                         [&](const IndexEntry& e) { return e.param == param; });
  };
  BOOST_TEST(named("subject") == 1);
  BOOST_TEST(named("patient") == 0);
  const std::vector<SearchParameterDef>& provenance = searchParametersFor("Provenance");
  const auto provenancePatient =
      std::find_if(provenance.begin(), provenance.end(),
                   [](const SearchParameterDef& def) { return def.name == "patient"; });
  BOOST_REQUIRE(provenancePatient != provenance.end());
  BOOST_TEST(provenancePatient->indexedAs == "target");
  for (const SearchParameterDef& def : searchParametersFor("AuditEvent")) {
    // Its patient reads agent.who too: not the same rows as entity.
    BOOST_TEST(def.indexedAs.empty());
  }

  // patient=x is subject=Patient/x; a reference to another type matches nothing, as before.
  auto parsed = parseSearch("Observation", {{"patient", "p1,Patient/p2,Group/g"}}, true);
  BOOST_REQUIRE(parsed.ok());
  BOOST_REQUIRE(parsed->query.criteria.size() == 1u);
  const SearchCriterion& c = parsed->query.criteria.front();
  BOOST_TEST(c.param == "subject");
  BOOST_REQUIRE(c.alternatives.size() == 2u);
  BOOST_TEST(c.alternatives[0].value == "Patient/p1");
  BOOST_TEST(c.alternatives[1].value == "Patient/p2");
  ResourceVersion v{"Observation", "o1", 1, "2026-01-01T00:00:00.000Z", false, ""};
  BOOST_TEST(matchesCriteria(index, v, parsed->query.criteria));
  auto other = parseSearch("Observation", {{"patient", "Group/g"}}, true);
  BOOST_REQUIRE(other.ok());
  BOOST_TEST(!matchesCriteria(index, v, other->query.criteria));
  auto group = parseResource(observation("o2", "Group/g"));
  BOOST_TEST(!matchesCriteria(indexResource(*group), v, other->query.criteria));
}

BOOST_AUTO_TEST_CASE(references_by_rid_and_by_text_are_both_found_by_every_search_form) {
  TempDir dir;
  const auto file = dir / "db.sqlite";
  auto s = *SqliteStore::open(file);
  // Written before its target exists: the reference keeps its text.
  store(*s, observation("o-early", "Patient/p1"));
  store(*s, kPatient);
  // Written after: by the target's rid. An absolute URL names the same target.
  store(*s, observation("o-late", "Patient/p1", "9999-9"));
  store(*s, observation("o-url", "http://example.org/fhir/Patient/p1"));
  // Targets not stored here, a contained reference: text (or nothing), as before.
  store(*s, observation("o-other", "Patient/p2"));
  store(*s, observation("o-group", "Group/p1"));
  const std::string p1 = ridOf(file, "Patient", "p1");
  BOOST_TEST(storedValues(file, "o-early", "subject") == Ids{"Patient/p1"});
  BOOST_TEST(storedValues(file, "o-late", "subject") == Ids{p1});
  BOOST_TEST(storedValues(file, "o-url", "subject") == Ids{p1});
  BOOST_TEST(storedValues(file, "o-other", "subject") == Ids{"Patient/p2"});
  BOOST_TEST(storedValues(file, "o-late", "patient").empty());

  const Ids all = {"o-early", "o-late", "o-url"};
  BOOST_TEST(found(*s, "Observation", {{"patient", "p1"}}) == all);
  BOOST_TEST(found(*s, "Observation", {{"patient", "Patient/p1"}}) == all);
  BOOST_TEST(found(*s, "Observation", {{"patient", "http://elsewhere/fhir/Patient/p1"}}) == all);
  BOOST_TEST(found(*s, "Observation", {{"subject", "Patient/p1"}}) == all);
  // A bare id names every type: the Group too.
  BOOST_TEST(found(*s, "Observation", {{"subject", "p1"}}) ==
             (Ids{"o-early", "o-group", "o-late", "o-url"}));
  BOOST_TEST(found(*s, "Observation", {{"subject", "Group/p1"}}) == Ids{"o-group"});
  BOOST_TEST(found(*s, "Observation", {{"patient", "Group/p1"}}).empty());
  // Ids are compared exactly in both forms: no case folding, no wildcards.
  BOOST_TEST(found(*s, "Observation", {{"subject", "P1"}}).empty());
  BOOST_TEST(found(*s, "Observation", {{"subject", "%"}}).empty());
  BOOST_TEST(found(*s, "Observation", {{"subject", "p_"}}).empty());
  BOOST_TEST(found(*s, "Observation", {{"patient", "p2"}}) == Ids{"o-other"});
  BOOST_TEST(found(*s, "Observation", {{"patient", "p1,p2"}}) ==
             (Ids{"o-early", "o-late", "o-other", "o-url"}));
  // The reference checked per candidate (another criterion drives the search).
  BOOST_TEST(found(*s, "Observation", {{"code", "9999-9"}, {"patient", "p1"}}) == Ids{"o-late"});
  BOOST_TEST(found(*s, "Observation", {{"code", "1234-5"}, {"subject", "p1"}}) ==
             (Ids{"o-early", "o-group", "o-url"}));
  BOOST_TEST(found(*s, "Observation", {{"code", "9999-9"}, {"patient", "p2"}}).empty());

  // A conditional create judges the same way, inside the writer's transaction.
  auto parsed = parseSearch("Observation", {{"patient", "p1"}}, true);
  BOOST_REQUIRE(parsed.ok());
  std::vector<std::string> matched;
  auto outcome = s->writeResources([&](ResourceTransaction& tx) {
    auto ids = tx.matchingIds("Observation", parsed->query.criteria, 10);
    if (ids) matched = *ids;
    return ids.outcome();
  });
  BOOST_REQUIRE(!outcome.hasErrors());
  std::sort(matched.begin(), matched.end());
  BOOST_TEST(matched == all);

  // An update re-indexes by rid now that the target exists.
  store(*s, observation("o-early", "Patient/p1"));
  BOOST_TEST(storedValues(file, "o-early", "subject") == Ids{p1});
  BOOST_TEST(found(*s, "Observation", {{"patient", "p1"}}) == all);
  s->close();
}

BOOST_AUTO_TEST_CASE(a_provenance_targets_the_resources_of_its_note_by_rid) {
  TempDir dir;
  const auto file = dir / "db.sqlite";
  auto s = *SqliteStore::open(file);
  store(*s, kPatient);
  store(*s, observation("o1", "Patient/p1"));
  store(*s, R"({"resourceType":"Provenance","id":"prov","recorded":"2026-01-01T00:00:00Z",)"
            R"("target":[{"reference":"Observation/o1"},{"reference":"Patient/p1"},)"
            R"({"reference":"Observation/gone"}],"agent":[{"who":{"reference":"Device/d"}}]})");
  BOOST_TEST(
      storedValues(file, "prov", "target") ==
      (Ids{ridOf(file, "Patient", "p1"), ridOf(file, "Observation", "o1"), "Observation/gone"}));
  BOOST_TEST(storedValues(file, "prov", "patient").empty());
  BOOST_TEST(found(*s, "Provenance", {{"target", "Observation/o1"}}) == Ids{"prov"});
  BOOST_TEST(found(*s, "Provenance", {{"target", "o1"}}) == Ids{"prov"});
  BOOST_TEST(found(*s, "Provenance", {{"target", "gone"}}) == Ids{"prov"});
  BOOST_TEST(found(*s, "Provenance", {{"patient", "p1"}}) == Ids{"prov"});
  BOOST_TEST(found(*s, "Provenance", {{"patient", "o1"}}).empty());
  s->close();
}

BOOST_AUTO_TEST_CASE(a_notes_resources_reference_each_other_by_rid) {
  // The group commit writes a note's resources in order and the later ones (here the
  // Provenance) refer to the earlier ones: each reference is stored as its target's own rid,
  // for targets written by the note and for an unchanged one it only found.
  TempDir dir;
  const auto file = dir / "db.sqlite";
  auto s = *SqliteStore::open(file);
  const auto noteWrite = [](const std::string& noteId, const std::string& observationId) {
    NoteWrite write;
    write.note.id = noteId;
    write.note.version = 1;
    write.note.clientId = "p1";
    write.note.status = "signed";
    write.note.source = "internal";
    write.note.contentHash = "hash-" + noteId;
    write.note.noteJson = "{}";
    for (const std::string& json :
         {kPatient, observation(observationId, "Patient/p1"),
          R"({"resourceType":"Provenance","id":"prov-)" + noteId +
              R"(","recorded":"2026-01-01T00:00:00Z","target":[{"reference":"Observation/)" +
              observationId + R"("},{"reference":"Patient/p1"}],"agent":[{"who":{"reference":)" +
              R"("Practitioner/nobody"}}]})"}) {
      write.resources.push_back(writeOf(json));
      write.resources.back().skipUnchanged = true;
    }
    return write;
  };
  for (const auto& [noteId, observationId] :
       std::vector<std::pair<std::string, std::string>>{{"n1", "o1"}, {"n2", "o2"}}) {
    BOOST_TEST_CONTEXT("note " << noteId) {
      auto written = s->writeNote(noteWrite(noteId, observationId));
      BOOST_REQUIRE(written.ok());
      const std::string provenance = "prov-" + noteId;
      Ids expected = {ridOf(file, "Observation", observationId), ridOf(file, "Patient", "p1")};
      std::sort(expected.begin(), expected.end());
      BOOST_TEST(storedValues(file, provenance, "target") == expected);
      BOOST_TEST(storedValues(file, observationId, "subject") == Ids{ridOf(file, "Patient", "p1")});
      BOOST_TEST(found(*s, "Provenance", {{"target", "Observation/" + observationId}}) ==
                 Ids{provenance});
    }
  }
  BOOST_TEST(found(*s, "Provenance", {{"patient", "p1"}}) == (Ids{"prov-n1", "prov-n2"}));
}

BOOST_AUTO_TEST_CASE(migration_7_drops_the_patient_rows_that_repeat_a_subject_row) {
  TempDir dir;
  const auto file = dir / "old.db";
  {
    // Rows as the program of migration 6 wrote them: patient beside subject, text references.
    Poco::Data::Session session = notebridge::testing::olderDatabase(file, 6);
    session << "INSERT INTO resources (rid, type, id, version, last_updated, deleted) VALUES "
               "(1, 'Patient', 'p1', 1, '2026-01-01T00:00:00.000Z', 0), "
               "(2, 'Observation', 'o1', 1, '2026-01-02T00:00:00.000Z', 0), "
               "(3, 'Provenance', 'prov', 1, '2026-01-02T00:00:00.000Z', 0), "
               "(4, 'Observation', 'o2', 1, '2026-01-03T00:00:00.000Z', 0)",
        now;
    session << "INSERT INTO resource_versions (rid, version, last_updated, deleted, body) VALUES "
               "(1, 1, '2026-01-01T00:00:00.000Z', 0, 'p1'), "
               "(2, 1, '2026-01-02T00:00:00.000Z', 0, 'o1'), "
               "(3, 1, '2026-01-02T00:00:00.000Z', 0, 'prov'), "
               "(4, 1, '2026-01-03T00:00:00.000Z', 0, 'o2')",
        now;
    // o2's patient row has no subject twin (a writer's own index): it stays.
    session << "INSERT INTO search_index (rid, type, param, value, system, high) VALUES "
               "(2, 'Observation', 'subject', 'Patient/p1', '', ''), "
               "(2, 'Observation', 'patient', 'Patient/p1', '', ''), "
               "(3, 'Provenance', 'target', 'Observation/o1', '', ''), "
               "(3, 'Provenance', 'target', 'Patient/p1', '', ''), "
               "(3, 'Provenance', 'patient', 'Patient/p1', '', ''), "
               "(4, 'Observation', 'patient', 'Patient/p1', '', '')",
        now;
  }
  auto s = *SqliteStore::open(file);
  BOOST_TEST(s->schemaVersion() == 7);
  BOOST_TEST(storedValues(file, "o1", "patient").empty());
  BOOST_TEST(storedValues(file, "prov", "patient").empty());
  BOOST_TEST(storedValues(file, "o2", "patient") == Ids{"Patient/p1"});
  // The text rows stay text and are found as before.
  BOOST_TEST(storedValues(file, "o1", "subject") == Ids{"Patient/p1"});
  BOOST_TEST(found(*s, "Observation", {{"patient", "p1"}}) == Ids{"o1"});
  BOOST_TEST(found(*s, "Observation", {{"subject", "p1"}}) == Ids{"o1"});
  BOOST_TEST(found(*s, "Provenance", {{"patient", "Patient/p1"}}) == Ids{"prov"});
  BOOST_TEST(found(*s, "Provenance", {{"target", "Observation/o1"}}) == Ids{"prov"});
  // A new row beside them is by rid; both are found.
  store(*s, observation("o3", "Patient/p1"));
  BOOST_TEST(storedValues(file, "o3", "subject") == Ids{"#1"});
  BOOST_TEST(found(*s, "Observation", {{"patient", "Patient/p1"}}) == (Ids{"o1", "o3"}));
  s->close();
}

BOOST_AUTO_TEST_SUITE_END()

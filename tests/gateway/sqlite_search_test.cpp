// SqliteStore's search and reads on their read connections: the index-driven page and the
// SQL-walked one agree, a criterion matching more than the store sorts itself still pages
// right, and a closed store answers reads with an issue.
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "notebridge/gateway/sqlite_store.h"
#include "temp_dir.h"

using namespace notebridge::gateway;
using notebridge::testing::TempDir;

namespace {

// `count` Observations in one transaction, each with a "code" index entry ("even"/"odd") and a
// "date" on day (i % 28) + 1 of 2026-02.
void writeObservations(SqliteStore& store, int count) {
  auto outcome = store.writeResources([&](ResourceTransaction& tx) {
    for (int i = 0; i < count; ++i) {
      char id[16];
      std::snprintf(id, sizeof id, "obs-%05d", i);
      char day[32];
      std::snprintf(day, sizeof day, "2026-02-%02dT00:00:00.000Z", i % 28 + 1);
      ResourceWrite write;
      write.type = "Observation";
      write.id = id;
      write.index = {{"code", "token", "urn:x", i % 2 ? "odd" : "even", ""},
                     {"date", "date", "", day, day}};
      write.render = [id = std::string(id)](const ResourceVersion& v) {
        return R"({"resourceType":"Observation","id":")" + id + R"(","meta":{"versionId":")" +
               std::to_string(v.version) + R"("}})";
      };
      auto written = tx.write(write);
      if (!written) return written.outcome();
    }
    return notebridge::fhir::Outcome();
  });
  BOOST_REQUIRE(!outcome.hasErrors());
}

SearchCriterion code(const std::string& value) {
  SearchCriterion c;
  c.param = "code";
  c.kind = "token";
  c.alternatives.push_back({"", "", false, value, ""});
  return c;
}

std::vector<std::string> ids(const SearchPage& page) {
  std::vector<std::string> out;
  for (const ResourceVersion& v : page.resources) out.push_back(v.id);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sqlite_search)

BOOST_AUTO_TEST_CASE(a_criterion_matching_thousands_still_pages_in_order) {
  TempDir dir;
  auto store = *SqliteStore::open(dir / "db.sqlite");
  // 6,000 "even" matches: more than the store sorts itself, so SQLite walks them.
  writeObservations(*store, 12000);
  SearchQuery query;
  query.type = "Observation";
  query.criteria = {code("even")};
  query.sort = {{"date", false}, {"_id", true}};
  query.count = 3;
  query.offset = 10;
  auto page = store->search(query);
  BOOST_REQUIRE(page.ok());
  BOOST_TEST(page->total == 6000);
  // Day 1 holds ids i = 0, 28, 56, ... (the even ones); descending by id, the 11th to 13th.
  const int last = 11999 - 11999 % 28;  // the highest i on day 1
  std::vector<std::string> expected;
  for (int k = 10; k < 13; ++k) {
    char id[16];
    std::snprintf(id, sizeof id, "obs-%05d", last - 28 * k);
    expected.push_back(id);
  }
  BOOST_TEST(ids(*page) == expected, boost::test_tools::per_element());
  BOOST_TEST(page->resources.front().body.find("\"obs-") != std::string::npos);
  store->close();
}

BOOST_AUTO_TEST_CASE(index_driven_and_sql_walked_pages_agree) {
  TempDir dir;
  auto store = *SqliteStore::open(dir / "db.sqlite");
  writeObservations(*store, 60);
  for (int offset : {0, 7, 29, 30, 31}) {
    BOOST_TEST_CONTEXT("offset " << offset) {
      SearchQuery byIndex;
      byIndex.type = "Observation";
      byIndex.criteria = {code("odd")};
      byIndex.sort = {{"date", true}};
      byIndex.count = 5;
      byIndex.offset = offset;
      auto indexed = store->search(byIndex);
      // The same matches found without an index criterion: every odd id by _id.
      SearchQuery walked = byIndex;
      walked.criteria.clear();
      SearchCriterion oddIds;
      oddIds.param = "_id";
      oddIds.kind = "id";
      for (int i = 1; i < 60; i += 2) {
        char id[16];
        std::snprintf(id, sizeof id, "obs-%05d", i);
        oddIds.alternatives.push_back({"", "", false, id, ""});
      }
      walked.criteria = {oddIds};
      auto sql = store->search(walked);
      BOOST_REQUIRE(indexed.ok());
      BOOST_REQUIRE(sql.ok());
      BOOST_TEST(indexed->total == 30);
      BOOST_TEST(sql->total == 30);
      BOOST_TEST(ids(*indexed) == ids(*sql), boost::test_tools::per_element());
    }
  }
  store->close();
}

BOOST_AUTO_TEST_CASE(many_query_shapes_outgrow_the_statement_cache_safely) {
  TempDir dir;
  auto store = *SqliteStore::open(dir / "db.sqlite");
  writeObservations(*store, 10);
  // Each number of alternatives is another SQL text: more than a connection keeps prepared.
  for (int n = 1; n <= 300; ++n) {
    SearchQuery query;
    query.type = "Observation";
    SearchCriterion byId;
    byId.param = "_id";
    byId.kind = "id";
    for (int i = 0; i < n; ++i) {
      char id[16];
      std::snprintf(id, sizeof id, "obs-%05d", i);
      byId.alternatives.push_back({"", "", false, id, ""});
    }
    query.criteria = {byId, code(n % 2 ? "odd" : "even")};
    auto page = store->search(query);
    BOOST_REQUIRE(page.ok());
    // Of obs-0 .. obs-(m-1): m / 2 odd ones, (m + 1) / 2 even ones.
    const int m = std::min(n, 10);
    BOOST_TEST(page->total == (n % 2 ? m / 2 : (m + 1) / 2));
  }
  store->close();
}

BOOST_AUTO_TEST_CASE(reads_after_close_are_issues_not_crashes) {
  TempDir dir;
  auto store = *SqliteStore::open(dir / "db.sqlite");
  writeObservations(*store, 2);
  BOOST_TEST(store->readResource("Observation", "obs-00001", std::nullopt).ok());
  store->close();
  auto read = store->readResource("Observation", "obs-00001", std::nullopt);
  BOOST_REQUIRE(!read.ok());
  BOOST_TEST(read.outcome().issues().front().code == "transient");
  SearchQuery query;
  query.type = "Observation";
  BOOST_TEST(!store->search(query).ok());
  BOOST_TEST(!store->history("Observation", "", 10).ok());
}

BOOST_AUTO_TEST_SUITE_END()

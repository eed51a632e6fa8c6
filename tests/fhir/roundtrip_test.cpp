#include <boost/test/unit_test.hpp>
#include <filesystem>

#include "json_compare.h"
#include "notebridge/fhir/json_format.h"
#include "notebridge/fhir/xml_format.h"
#include "test_paths.h"
#include "xml_compare.h"

using namespace notebridge::fhir;
namespace fs = std::filesystem;

namespace {

std::vector<fs::path> examples(const char* format) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(notebridge::testing::sharedDir() /
                                              "fhir-tests/r4-examples" / format)) {
    out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(roundtrip)

// The comparisons the round trips rely on notice what matters and ignore what does not.
BOOST_AUTO_TEST_CASE(comparisons_see_differences_that_matter) {
  using notebridge::testing::jsonDifference;
  using notebridge::testing::xmlDifference;
  BOOST_TEST(jsonDifference(R"({"a":1.50,"b":[1,2]})", R"({"b":[1,2],"a":1.50})").empty());
  BOOST_TEST(!jsonDifference(R"({"a":1.50})", R"({"a":1.5})").empty());
  BOOST_TEST(!jsonDifference(R"({"a":[1,2]})", R"({"a":[2,1]})").empty());
  BOOST_TEST(!jsonDifference(R"({"a":"1"})", R"({"a":1})").empty());
  BOOST_TEST(xmlDifference(R"(<a x="1" y="2"> <b/> <!-- c --> </a>)", R"(<a y="2" x="1"><b/></a>)")
                 .empty());
  BOOST_TEST(!xmlDifference(R"(<a x="1"/>)", R"(<a x="2"/>)").empty());
  BOOST_TEST(!xmlDifference(R"(<a><b/><c/></a>)", R"(<a><c/><b/></a>)").empty());
  BOOST_TEST(!xmlDifference(R"(<a xmlns="urn:x"/>)", R"(<a/>)").empty());
}

BOOST_AUTO_TEST_CASE(json_to_model_to_json_equals_the_input, *notebridge::testing::needsShared()) {
  auto registry = DefinitionRegistry::r4();
  BOOST_TEST_REQUIRE(registry);
  const auto files = examples("json");
  BOOST_TEST(files.size() == 125u);
  for (const auto& path : files) {
    BOOST_TEST_CONTEXT(path.filename().string()) {
      const std::string text = notebridge::testing::readFile(path);
      auto parsed = parseJson(text, *registry);
      BOOST_TEST(parsed.ok(), parsed.outcome().toOperationOutcomeJson());
      if (!parsed.ok()) continue;
      BOOST_TEST(parsed.outcome().empty(), parsed.outcome().toOperationOutcomeJson());
      const std::string written = writeJson(*parsed.value());
      const std::string difference = notebridge::testing::jsonDifference(text, written);
      BOOST_TEST(difference.empty(), difference);
    }
  }
}

BOOST_AUTO_TEST_CASE(xml_to_model_to_xml_equals_the_input, *notebridge::testing::needsShared()) {
  auto registry = DefinitionRegistry::r4();
  BOOST_TEST_REQUIRE(registry);
  const auto files = examples("xml");
  BOOST_TEST(files.size() == 125u);
  for (const auto& path : files) {
    BOOST_TEST_CONTEXT(path.filename().string()) {
      const std::string text = notebridge::testing::readFile(path);
      auto parsed = parseXml(text, *registry);
      BOOST_TEST(parsed.ok(), parsed.outcome().toOperationOutcomeJson());
      if (!parsed.ok()) continue;
      BOOST_TEST(parsed.outcome().empty(), parsed.outcome().toOperationOutcomeJson());
      const std::string written = writeXml(*parsed.value());
      const std::string difference = notebridge::testing::xmlDifference(text, written);
      BOOST_TEST(difference.empty(), difference);
    }
  }
}

BOOST_AUTO_TEST_CASE(json_to_xml_equals_the_paired_xml, *notebridge::testing::needsShared()) {
  auto registry = DefinitionRegistry::r4();
  BOOST_TEST_REQUIRE(registry);
  for (const auto& path : examples("json")) {
    BOOST_TEST_CONTEXT(path.filename().string()) {
      auto xmlPath = path.parent_path().parent_path() / "xml" / path.filename();
      xmlPath.replace_extension(".xml");
      auto parsed = parseJson(notebridge::testing::readFile(path), *registry);
      BOOST_TEST_REQUIRE(parsed.ok());
      const std::string written = writeXml(*parsed.value());
      const std::string difference =
          notebridge::testing::xmlDifference(notebridge::testing::readFile(xmlPath), written);
      BOOST_TEST(difference.empty(), difference);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <sstream>

#include "../fhir/json_compare.h"
#include "notebridge/gateway/cli.h"
#include "test_paths.h"

using notebridge::testing::readFile;
using notebridge::testing::testDataDir;

namespace {

struct Run {
  int code;
  std::string out;
  std::string err;
};

Run convert(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  for (const auto& command : notebridge::gateway::subcommands()) {
    if (command.name == "convert") {
      std::ostringstream out, err;
      const int code = command.run(std::span<char* const>(argv.data(), argv.size()), out, err);
      return Run{code, out.str(), err.str()};
    }
  }
  BOOST_FAIL("no convert subcommand");
  return {};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(convert_command)

BOOST_AUTO_TEST_CASE(json_to_pretty_xml_matches_the_golden_file) {
  const auto input = (testDataDir() / "fhir/convert-observation.input.json").string();
  Run run = convert({"--to", "xml", "--pretty", input});
  BOOST_TEST(run.code == 0);
  BOOST_TEST(run.err.empty());
  BOOST_TEST(run.out == readFile(testDataDir() / "fhir/convert-observation.expected.xml"));
}

BOOST_AUTO_TEST_CASE(xml_back_to_json_gives_the_same_resource) {
  const auto xml = (testDataDir() / "fhir/convert-observation.expected.xml").string();
  Run run = convert({"--to", "json", xml});
  BOOST_TEST(run.code == 0);
  const std::string difference = notebridge::testing::jsonDifference(
      readFile(testDataDir() / "fhir/convert-observation.input.json"), run.out);
  BOOST_TEST(difference.empty(), difference);
}

BOOST_AUTO_TEST_CASE(invalid_input_exits_1_with_an_operation_outcome) {
  const auto input = (testDataDir() / "fhir/bad-unknown-element.json").string();
  Run run = convert({"--to", "xml", input});
  BOOST_TEST(run.code == 1);
  BOOST_TEST(run.out.empty());
  BOOST_TEST(run.err.find("\"resourceType\": \"OperationOutcome\"") != std::string::npos);
  BOOST_TEST(run.err.find("Patient.nickname") != std::string::npos);
  Run missing = convert({"--to", "xml", "/nonexistent/file.json"});
  BOOST_TEST(missing.code == 1);
  BOOST_TEST(missing.err.find("not-found") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(usage_errors_exit_2) {
  BOOST_TEST(convert({}).code == 2);
  BOOST_TEST(convert({"--to", "yaml", "x.json"}).code == 2);
  BOOST_TEST(convert({"--to", "json"}).code == 2);
  BOOST_TEST(convert({"--to", "json", "--bogus", "x.json"}).code == 2);
  BOOST_TEST(convert({"--to"}).code == 2);
  BOOST_TEST(convert({"--help"}).code == 0);
}

BOOST_AUTO_TEST_CASE(the_program_reads_stdin_and_detects_xml) {
  const std::string command =
      notebridge::testing::notebridgeBinary().string() + " convert --to json - < " +
      (testDataDir() / "fhir/convert-observation.expected.xml").string() + " > /dev/null";
  BOOST_TEST(std::system(command.c_str()) == 0);
  const std::string bad = "echo 'not fhir' | " + notebridge::testing::notebridgeBinary().string() +
                          " convert --to json - 2> /dev/null";
  const int status = std::system(bad.c_str());
  BOOST_TEST(WEXITSTATUS(status) == 1);
}

BOOST_AUTO_TEST_SUITE_END()

// `notebridge validate` as a user runs it: output and exit status.
#include <sys/wait.h>

#include <boost/test/unit_test.hpp>
#include <cstdio>

#include "fixture.h"
#include "notebridge/validation/json_input.h"

using namespace notebridge;
using notebridge::testing::needsShared;
using notebridge::testing::notebridgeBinary;
using notebridge::testing::testDataDir;

namespace {

struct Run {
  int status = -1;
  std::string out;
};

Run run(const std::string& arguments) {
  Run result;
  const std::string command =
      notebridgeBinary().string() + " validate " + arguments + " 2>/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  BOOST_REQUIRE(pipe);
  char buffer[4096];
  std::size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) result.out.append(buffer, n);
  const int raw = pclose(pipe);
  result.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return result;
}

std::string data(const char* name) { return (testDataDir() / "validation" / name).string(); }

bool binaryPresent() { return std::filesystem::exists(notebridgeBinary()); }

}  // namespace

BOOST_AUTO_TEST_SUITE(cli)

BOOST_AUTO_TEST_CASE(one_valid_file_prints_its_outcome_and_exits_0) {
  BOOST_REQUIRE_MESSAGE(binaryPresent(), "build the notebridge program first");
  const Run r = run(data("score-observation-valid.input.json"));
  BOOST_TEST(r.status == 0);
  auto outcome = validation::parseJsonResource(r.out);
  BOOST_REQUIRE(outcome.ok());
  BOOST_TEST((*outcome)->type() == "OperationOutcome");
}

BOOST_AUTO_TEST_CASE(an_invalid_file_exits_1_with_the_error_path) {
  BOOST_REQUIRE(binaryPresent());
  const Run r = run(data("progress-note-missing-docstatus.input.json"));
  BOOST_TEST(r.status == 1);
  BOOST_TEST(r.out.find("DocumentReference.docStatus") != std::string::npos);
  BOOST_TEST(r.out.find("\"error\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(several_files_give_a_bundle_in_input_order) {
  BOOST_REQUIRE(binaryPresent());
  const Run r =
      run(data("patient-valid.input.json") + " " + data("primitive-invalid-date.input.json"));
  BOOST_TEST(r.status == 1);
  auto bundle = validation::parseJsonResource(r.out);
  BOOST_REQUIRE(bundle.ok());
  BOOST_TEST((*bundle)->type() == "Bundle");
  BOOST_TEST((*bundle)->childValue("type") == "collection");
  const auto entries = (*bundle)->childrenNamed("entry");
  BOOST_REQUIRE(entries.size() == 2u);
  BOOST_TEST(std::string(entries[0]->childValue("fullUrl")).find("patient-valid.input.json") !=
             std::string::npos);
  BOOST_TEST(std::string(entries[1]->childValue("fullUrl")).find("primitive-invalid-date") !=
             std::string::npos);
  BOOST_TEST(entries[1]->child("resource")->type() == "OperationOutcome");
}

BOOST_AUTO_TEST_CASE(a_requested_profile_applies) {
  BOOST_REQUIRE(binaryPresent());
  // The valid patient does not conform to our progress-note profile (wrong type).
  const Run r = run("--profile https://notebridge.io/fhir/StructureDefinition/progress-note " +
                    data("patient-valid.input.json"));
  BOOST_TEST(r.status == 1);
  BOOST_TEST(r.out.find("is for DocumentReference") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_package_can_be_loaded, *needsShared()) {
  BOOST_REQUIRE(binaryPresent());
  const std::string package =
      (notebridge::testing::sharedDir() / "fhir-packages" / "hl7.fhir.us.core#6.1.0").string();
  const Run r = run("--package '" + package + "' --profile " +
                    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-documentreference " +
                    data("progress-note-valid.input.json"));
  BOOST_TEST(r.status == 0, r.out);
}

BOOST_AUTO_TEST_CASE(xml_input_is_validated, *needsShared()) {
  BOOST_REQUIRE(binaryPresent());
  const std::string xml = (notebridge::testing::sharedDir() / "fhir-tests" / "r4-examples" / "xml" /
                           "patient-example-infant-twin-2.xml")
                              .string();
  BOOST_TEST(run("'" + xml + "'").status == 0);
}

BOOST_AUTO_TEST_CASE(usage_errors_exit_2) {
  BOOST_REQUIRE(binaryPresent());
  BOOST_TEST(run("").status == 2);
  BOOST_TEST(run("--bogus x.json").status == 2);
  BOOST_TEST(run("--profile").status == 2);
}

BOOST_AUTO_TEST_CASE(unreadable_and_unparseable_input_are_errors) {
  BOOST_REQUIRE(binaryPresent());
  const Run missing = run("/nonexistent/file.json");
  BOOST_TEST(missing.status == 1);
  BOOST_TEST(missing.out.find("fatal") != std::string::npos);
  const Run garbage =
      run(data("../validation/score-observation-valid.expected.json") + " /dev/null");
  BOOST_TEST(garbage.status == 1);
}

BOOST_AUTO_TEST_SUITE_END()

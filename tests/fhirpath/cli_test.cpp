// `notebridge fhirpath` as a user runs it: output shapes, exit codes, stdin. Expected outputs in
// tests/data/fhirpath/cli/ are compared as JSON.
#include <rapidjson/document.h>

#include <array>
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <vector>

#include "test_paths.h"

namespace nt = notebridge::testing;

namespace {

struct Run {
  int exitCode = -1;
  std::string out;
};

// Runs the CLI in tests/data/fhirpath/cli with `args` (shell-quoted by the caller).
Run run(const std::string& args) {
  std::string command = "cd '" + (nt::testDataDir() / "fhirpath" / "cli").string() + "' && '" +
                        nt::notebridgeBinary().string() + "' fhirpath " + args + " 2>/dev/null";
  Run r;
  FILE* pipe = popen(command.c_str(), "r");
  BOOST_REQUIRE(pipe);
  std::array<char, 4096> buffer;
  std::size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) r.out.append(buffer.data(), n);
  int status = pclose(pipe);
  r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

bool sameJson(const std::string& actual, const std::string& expected) {
  rapidjson::Document a, e;
  a.Parse(actual.c_str());
  e.Parse(expected.c_str());
  if (a.HasParseError() || e.HasParseError()) return false;
  return a == e;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cli)

BOOST_AUTO_TEST_CASE(one_expression_one_file_prints_a_json_array) {
  Run r = run("-e 'name.first() | name.given.last() | multipleBirth' patient.json");
  BOOST_TEST(r.exitCode == 0);
  std::string expected = nt::readFile(nt::testDataDir() / "fhirpath" / "cli" / "single.expected.json");
  BOOST_TEST(sameJson(r.out, expected), r.out);
}

BOOST_AUTO_TEST_CASE(several_expressions_print_one_line_each) {
  Run r = run("--types -e 'birthDate + 1 year' -e 'name.given.count() > 2 and active' "
              "patient.json patient.xml");
  BOOST_TEST(r.exitCode == 0);
  auto actual = lines(r.out);
  auto expected = lines(nt::readFile(nt::testDataDir() / "fhirpath" / "cli" / "multi.expected.jsonl"));
  BOOST_REQUIRE_EQUAL(actual.size(), expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) BOOST_TEST(sameJson(actual[i], expected[i]), actual[i]);
}

BOOST_AUTO_TEST_CASE(errors_are_operation_outcomes_and_exit_1) {
  Run r = run("-e 'name.frist()' -e 'id' patient.json missing.json");
  BOOST_TEST(r.exitCode == 1);
  auto out = lines(r.out);
  BOOST_REQUIRE_EQUAL(out.size(), 4u);
  rapidjson::Document first;
  first.Parse(out[0].c_str());
  BOOST_REQUIRE(first.IsObject() && first.HasMember("error"));
  BOOST_TEST(std::string(first["error"]["resourceType"].GetString()) == "OperationOutcome");
  std::string diagnostics = first["error"]["issue"][0]["diagnostics"].GetString();
  BOOST_TEST(diagnostics.find("unknown function 'frist'") != std::string::npos);
  BOOST_TEST(sameJson(out[1], R"({"file": "patient.json", "expression": "id", "result": ["p1"]})"));
  rapidjson::Document missing;
  missing.Parse(out[3].c_str());
  BOOST_TEST(missing.HasMember("error"));
}

BOOST_AUTO_TEST_CASE(stdin_and_usage_errors) {
  Run r = run("-e 'active' - < patient.xml");
  BOOST_TEST(r.exitCode == 0);
  BOOST_TEST(sameJson(r.out, "[false]"), r.out);
  BOOST_TEST(run("").exitCode == 2);
  BOOST_TEST(run("-e").exitCode == 2);
  BOOST_TEST(run("patient.json").exitCode == 2);
  BOOST_TEST(run("--bogus -e id patient.json").exitCode == 2);
}

BOOST_AUTO_TEST_SUITE_END()

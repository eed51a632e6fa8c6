#include <unistd.h>
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "notebridge/fhir/definitions.h"
#include "notebridge/fhir/json_format.h"
#include "notebridge/fhir/xml_format.h"
#include "notebridge/gateway/cli.h"
#include "notebridge/mappers/note_json.h"
#include "test_paths.h"

using notebridge::testing::readFile;
using notebridge::testing::testDataDir;
namespace fhir = notebridge::fhir;

namespace {

struct Run {
  int code;
  std::string out;
  std::string err;
};

Run map(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  for (const auto& command : notebridge::gateway::subcommands()) {
    if (command.name == "map") {
      std::ostringstream out, err;
      const int code = command.run(std::span<char* const>(argv.data(), argv.size()), out, err);
      return Run{code, out.str(), err.str()};
    }
  }
  BOOST_FAIL("no map subcommand");
  return {};
}

std::string example(const char* name) {
  return (testDataDir() / "mappers" / (std::string(name) + ".note.json")).string();
}

// A file in the temp directory holding `text`, removed at scope exit.
struct TempFile {
  std::filesystem::path path;
  TempFile(const std::string& name, const std::string& text)
      : path(std::filesystem::temp_directory_path() /
             ("notebridge-map-" + std::to_string(::getpid()) + "-" + name)) {
    std::ofstream(path, std::ios::binary) << text;
  }
  ~TempFile() { std::filesystem::remove(path); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(map_command)

BOOST_AUTO_TEST_CASE(note_to_fhir_prints_a_transaction_bundle) {
  Run run = map({"--to", "fhir", example("soap")});
  BOOST_TEST(run.code == 0);
  BOOST_TEST(run.err.empty(), run.err);
  auto bundle = fhir::parseJson(run.out, *fhir::DefinitionRegistry::r4());
  BOOST_REQUIRE(bundle.ok());
  BOOST_TEST((*bundle)->childValue("type") == "transaction");
  // Same input, same bytes.
  BOOST_TEST(map({"--to", "fhir", example("soap")}).out == run.out);
}

BOOST_AUTO_TEST_CASE(fhir_json_and_xml_back_to_the_note) {
  Run json = map({"--to", "fhir", "--compact", example("girp")});
  BOOST_REQUIRE(json.code == 0);
  const std::string original =
      notebridge::mappers::writeNote(*notebridge::mappers::parseNote(readFile(example("girp"))));
  TempFile jsonFile("girp.json", json.out);
  Run back = map({"--to", "note", jsonFile.path.string()});
  BOOST_TEST(back.code == 0);
  BOOST_TEST(back.out == original);

  auto tree = fhir::parseJson(json.out, *fhir::DefinitionRegistry::r4());
  BOOST_REQUIRE(tree.ok());
  TempFile xmlFile("girp.xml", fhir::writeXml(**tree));
  Run fromXml = map({"--to", "note", xmlFile.path.string()});
  BOOST_TEST(fromXml.code == 0, fromXml.err);
  BOOST_TEST(fromXml.out == original);
}

BOOST_AUTO_TEST_CASE(refused_note_gives_an_operation_outcome_and_exit_1) {
  std::string draft = readFile(example("soap"));
  draft.replace(draft.find("\"signed\""), 8, "\"draft\"");
  TempFile file("draft.json", draft);
  Run run = map({"--to", "fhir", file.path.string()});
  BOOST_TEST(run.code == 1);
  BOOST_TEST(run.out.empty());
  BOOST_TEST(run.err.find("\"resourceType\": \"OperationOutcome\"") != std::string::npos);
  BOOST_TEST(run.err.find("draft") != std::string::npos);
  Run missing = map({"--to", "note", "/nonexistent/nothing.json"});
  BOOST_TEST(missing.code == 1);
  BOOST_TEST(missing.err.find("OperationOutcome") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(usage_errors_exit_2) {
  BOOST_TEST(map({}).code == 2);
  BOOST_TEST(map({"--to", "pdf", "x.json"}).code == 2);
  BOOST_TEST(map({"--to", "fhir"}).code == 2);
  BOOST_TEST(map({"--to", "fhir", "a.json", "b.json"}).code == 2);
  BOOST_TEST(map({"--help"}).code == 0);
}

BOOST_AUTO_TEST_SUITE_END()

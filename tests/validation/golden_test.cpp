// Golden cases: tests/data/validation/<case>.input.json is validated and the OperationOutcome
// must match <case>.expected.json issue by issue (severity, code, expression, and the expected
// diagnostics as a substring). An optional <case>.options file holds lines `package=<name>`
// (a folder of ../shared/fhir-packages), `definitions=<dir>` (test-only definitions under
// tests/data/validation) and `profile=<url>`.
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fixture.h"
#include "notebridge/validation/json_input.h"

using namespace notebridge;
using namespace notebridge::validation;
using notebridge::testing::readFile;

namespace {

struct Expected {
  std::string severity, code, expression, diagnostics;
};

std::vector<Expected> readExpected(const std::filesystem::path& file) {
  auto parsed = parseJsonResource(readFile(file));
  BOOST_REQUIRE_MESSAGE(parsed.ok(), "cannot parse " << file);
  std::vector<Expected> out;
  for (const fhir::Element* issue : (*parsed)->childrenNamed("issue")) {
    Expected e;
    e.severity = std::string(issue->childValue("severity"));
    e.code = std::string(issue->childValue("code"));
    e.expression = std::string(issue->childValue("expression"));
    e.diagnostics = std::string(issue->childValue("diagnostics"));
    // An OperationOutcome needs one issue: "All OK" stands for an empty outcome.
    if (e.diagnostics == "All OK") continue;
    out.push_back(std::move(e));
  }
  return out;
}

std::string show(const fhir::Outcome& outcome) {
  std::string out;
  for (const auto& i : outcome.issues()) {
    out += "  " + std::string(fhir::toString(i.severity)) + " " + i.code + " " + i.expression +
           " | " + i.diagnostics + "\n";
  }
  return out;
}

// Validators per package set, built once.
const Validator& validatorFor(const std::vector<std::string>& packages) {
  static std::map<std::vector<std::string>, std::unique_ptr<Validator>> cache;
  auto& slot = cache[packages];
  if (!slot) {
    auto store = std::make_shared<ConformanceStore>(validation::testing::ourStore());
    for (const auto& name : packages) {
      // "test:<dir>" is a folder of test-only definitions under tests/data/validation.
      if (name.rfind("test:", 0) == 0) {
        store->loadDirectory(notebridge::testing::testDataDir() / "validation" / name.substr(5));
      } else {
        store->loadPackage(notebridge::testing::sharedDir() / "fhir-packages" / name);
      }
    }
    slot = std::make_unique<Validator>(store);
  }
  return *slot;
}

void runCase(const std::filesystem::path& input) {
  const std::string name = input.filename().string();
  const std::string stem = name.substr(0, name.size() - std::string(".input.json").size());
  const auto dir = input.parent_path();
  std::vector<std::string> packages;
  ValidationOptions options;
  if (std::ifstream in(dir / (stem + ".options")); in) {
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("package=", 0) == 0) packages.push_back(line.substr(8));
      if (line.rfind("profile=", 0) == 0) options.profiles.push_back(line.substr(8));
      if (line.rfind("definitions=", 0) == 0) packages.push_back("test:" + line.substr(12));
    }
  }
  const auto outcome = validatorFor(packages).validateJson(readFile(input), options);
  const auto expected = readExpected(dir / (stem + ".expected.json"));
  const auto& actual = outcome.issues();
  bool same = actual.size() == expected.size();
  for (std::size_t i = 0; same && i < expected.size(); ++i) {
    const auto& a = actual[i];
    const auto& e = expected[i];
    same = std::string(fhir::toString(a.severity)) == e.severity && a.code == e.code &&
           a.expression == e.expression && a.diagnostics.find(e.diagnostics) != std::string::npos;
  }
  BOOST_TEST(same, stem << ": the outcome differs from " << stem << ".expected.json; actual:\n"
                        << show(outcome));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(golden)

BOOST_AUTO_TEST_CASE(every_golden_case_matches, *notebridge::testing::needsShared()) {
  const auto dir = notebridge::testing::testDataDir() / "validation";
  std::vector<std::filesystem::path> inputs;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > 11 && name.substr(name.size() - 11) == ".input.json") {
      inputs.push_back(entry.path());
    }
  }
  std::sort(inputs.begin(), inputs.end());
  BOOST_REQUIRE_GE(inputs.size(), 20u);
  for (const auto& input : inputs) runCase(input);
  BOOST_TEST_MESSAGE("checked " << inputs.size() << " golden cases");
}

BOOST_AUTO_TEST_SUITE_END()

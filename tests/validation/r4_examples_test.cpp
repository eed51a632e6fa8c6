#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <map>

#include "fixture.h"

using namespace notebridge::validation;
using notebridge::testing::needsShared;
using notebridge::testing::readFile;
using notebridge::testing::sharedDir;

namespace {

// Official examples that really break a rule, with the reason. Empty while every example passes.
const std::map<std::string, std::string>& knownInvalid() {
  const std::string linkId =
      "Questionnaire.item.linkId is 1..1 in R4; this generated Questionnaire has display items "
      "without one";
  static const std::map<std::string, std::string> kKnown = {
      {"auditevent-questionnaire.json", linkId},
      {"claim-questionnaire.json", linkId},
      {"documentreference-questionnaire.json", linkId},
      {"observation-questionnaire.json", linkId},
      {"operationoutcome-questionnaire.json", linkId},
      {"organization-questionnaire.json", linkId},
      {"patient-questionnaire.json", linkId},
      {"practitioner-questionnaire.json", linkId},
      {"provenance-relevant-history-questionnaire.json", linkId},
      {"questionnaireresponse-questionnaire.json", linkId},
      {"observation-example-clinical-gender.json",
       "Observation.performer references an Encounter, which R4 does not allow"},
  };
  return kKnown;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(r4_examples)

BOOST_AUTO_TEST_CASE(every_json_example_validates_without_errors, *needsShared()) {
  const auto dir = sharedDir() / "fhir-tests" / "r4-examples" / "json";
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  BOOST_REQUIRE_GE(files.size(), 100u);
  int checked = 0;
  for (const auto& file : files) {
    const std::string name = file.filename().string();
    auto outcome = testing::r4Validator().validateJson(readFile(file));
    if (knownInvalid().count(name)) {
      BOOST_TEST(outcome.hasErrors(), name << " is listed as invalid but validates");
      continue;
    }
    BOOST_TEST(!outcome.hasErrors(), name << ":\n" << testing::errorsOf(outcome));
    ++checked;
  }
  BOOST_TEST_MESSAGE("validated " << checked << " R4 JSON examples");
}

BOOST_AUTO_TEST_CASE(every_xml_example_validates_without_errors, *needsShared()) {
  const auto dir = sharedDir() / "fhir-tests" / "r4-examples" / "xml";
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  BOOST_REQUIRE_GE(files.size(), 100u);
  int checked = 0;
  for (const auto& file : files) {
    // The XML twin of an example has the JSON one's name with .xml.
    std::string name = file.filename().string();
    const std::string jsonName = name.substr(0, name.size() - 4) + ".json";
    auto outcome = testing::r4Validator().validateJson(readFile(file));
    if (knownInvalid().count(jsonName)) {
      BOOST_TEST(outcome.hasErrors(), name << " is listed as invalid but validates");
      continue;
    }
    BOOST_TEST(!outcome.hasErrors(), name << ":\n" << testing::errorsOf(outcome));
    ++checked;
  }
  BOOST_TEST_MESSAGE("validated " << checked << " R4 XML examples");
}

BOOST_AUTO_TEST_SUITE_END()

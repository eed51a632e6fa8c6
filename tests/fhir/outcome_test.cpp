#include "notebridge/fhir/outcome.h"

#include <boost/test/unit_test.hpp>

using notebridge::fhir::Outcome;
using notebridge::fhir::Severity;

BOOST_AUTO_TEST_SUITE(outcome)

BOOST_AUTO_TEST_CASE(renders_an_operation_outcome_with_paths_and_positions) {
  Outcome outcome;
  notebridge::fhir::Issue issue{Severity::kError, "structure", "Unknown element 'foo'",
                                "Patient.foo",    3,           7};
  outcome.add(issue);
  BOOST_TEST(outcome.hasErrors());
  BOOST_TEST(
      outcome.toOperationOutcomeJson() ==
      R"j({"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"structure",)j"
      R"j("diagnostics":"Unknown element 'foo' (line 3, column 7)","expression":["Patient.foo"]}]})j");
}

BOOST_AUTO_TEST_CASE(an_empty_outcome_still_has_one_issue) {
  Outcome outcome;
  BOOST_TEST(!outcome.hasErrors());
  BOOST_TEST(outcome.toOperationOutcomeJson().find(R"("severity":"information")") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(sorting_by_location_keeps_equal_keys_in_order) {
  Outcome outcome;
  outcome.add(Severity::kError, "value", "second", "Patient.name");
  outcome.add(Severity::kWarning, "value", "first", "Patient.birthDate");
  outcome.add(Severity::kError, "value", "third", "Patient.name");
  outcome.sortByLocation();
  BOOST_TEST(outcome.issues()[0].diagnostics == "first");
  BOOST_TEST(outcome.issues()[1].diagnostics == "second");
  BOOST_TEST(outcome.issues()[2].diagnostics == "third");
  BOOST_TEST((outcome.worst() == Severity::kError));
}

BOOST_AUTO_TEST_SUITE_END()

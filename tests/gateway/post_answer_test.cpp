// postAnswer: the POST /notes answer body. Its `fhir` object names the note's resources: the
// first DocumentReference, then one key per type in the order the types first come (an array
// of all references for the types a note has several of, the first reference for the others),
// then the other DocumentReferences as `attachments`. The expectations below were written from
// the rules of writeFhirRefs before session 7 (commit 5c55499), not from output.
#include <boost/test/unit_test.hpp>
#include <string>
#include <utility>
#include <vector>

#include "notebridge/fhir/outcome.h"
#include "notes_api/note_routes.h"

using notebridge::gateway::NoteDelivery;
using notebridge::gateway::NoteRecord;
using notebridge::gateway::postAnswer;
namespace fhir = notebridge::fhir;

namespace {

NoteRecord note() {
  NoteRecord record;
  record.id = "n-1";
  record.version = 2;
  record.status = "signed";
  return record;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(post_answer)

BOOST_AUTO_TEST_CASE(the_fhir_object_names_each_resource_as_before) {
  const std::vector<std::pair<std::string, std::string>> refs = {
      {"DocumentReference", "d1"}, {"Patient", "p1"},          {"Observation", "o1"},
      {"Encounter", "e1"},         {"Observation", "o2"},      {"DocumentReference", "d2"},
      {"Practitioner", "pr1"},     {"Encounter", "e2"},        {"Observation", "o3"},
      {"Condition", "c1"},         {"DocumentReference", "d3"}};
  const std::vector<NoteDelivery> deliveries = {{7, "ehr", "pending"}};
  const std::string expected =
      R"({"id":"n-1","version":2,"status":"signed","fhir":{)"
      R"("DocumentReference":"DocumentReference/d1",)"
      R"("Patient":"Patient/p1",)"
      R"("Observation":["Observation/o1","Observation/o2","Observation/o3"],)"
      // Encounter is a single type: its first reference only, e2 is not named.
      R"("Encounter":"Encounter/e1",)"
      R"("Practitioner":"Practitioner/pr1",)"
      R"("Condition":["Condition/c1"],)"
      R"("attachments":["DocumentReference/d2","DocumentReference/d3"]},)"
      R"("deliveries":[{"destination":"ehr","state":"pending","id":7}]})";
  BOOST_TEST(postAnswer(note(), refs, deliveries, fhir::Outcome()) == expected);
}

BOOST_AUTO_TEST_CASE(no_attachments_key_without_a_second_document_and_warnings_as_outcome) {
  const std::vector<std::pair<std::string, std::string>> refs = {
      {"Patient", "p1"}, {"DocumentReference", "d1"}, {"Goal", "g1"}, {"Goal", "g2"}};
  fhir::Outcome warnings;
  warnings.add(fhir::Severity::kWarning, "business-rule", "a warning", "note.sections[0]");
  const std::string expected =
      R"({"id":"n-1","version":2,"status":"signed","fhir":{)"
      R"("Patient":"Patient/p1","DocumentReference":"DocumentReference/d1",)"
      R"("Goal":["Goal/g1","Goal/g2"]},"deliveries":[],"outcome":)" +
      warnings.toOperationOutcomeJson() + "}";
  BOOST_TEST(postAnswer(note(), refs, {}, warnings) == expected);
}

BOOST_AUTO_TEST_SUITE_END()

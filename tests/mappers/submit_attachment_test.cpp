#include <rapidjson/document.h>

#include <boost/test/unit_test.hpp>

#include "mapper_test_support.h"
#include "notebridge/fhir/definitions.h"
#include "notebridge/fhir/json_format.h"
#include "notebridge/mappers/audit_event.h"
#include "notebridge/mappers/submit_attachment.h"
#include "notebridge/mappers/transfer_summary.h"
#include "validator_fixture.h"

using namespace notebridge::mappers;
using namespace notebridge::mappers::testing;
namespace fhir = notebridge::fhir;
namespace validation = notebridge::validation;
using fhir::Severity;

namespace {

SubmissionRequest claimRequest() {
  SubmissionRequest r;
  r.trackingId = "TRK-2025-0412";
  r.claimId = "CLM-77";
  r.lineItems = {"1"};
  return r;
}

const Element* param(const Element& parameters, std::string_view name) {
  for (const Element* p : parameters.childrenNamed("parameter")) {
    if (p->childValue("name") == name) return p;
  }
  return nullptr;
}

std::vector<std::string> paramNames(const Element& parameters) {
  std::vector<std::string> out;
  for (const Element* p : parameters.childrenNamed("parameter")) {
    out.emplace_back(p->childValue("name"));
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(payer_checklist)

BOOST_AUTO_TEST_CASE(a_complete_note_passes_the_checklist) {
  const auto outcome = payerChecklist(exampleNote("soap"));
  BOOST_TEST(outcome.empty(), issuesText(outcome));
}

BOOST_AUTO_TEST_CASE(every_missing_item_is_an_issue_at_its_path) {
  Note n = exampleNote("soap");
  n.session.minutes = 40;  // 90837 needs 53
  n.diagnoses.clear();
  n.status = NoteStatus::kDraft;
  n.client.identifiers.pop_back();  // the MB member id
  n.measures.clear();
  n.goals.clear();
  n.session.start.clear();
  const auto o = payerChecklist(n);
  BOOST_TEST(hasIssue(o, Severity::kError, "session.start", "date of service"), issuesText(o));
  BOOST_TEST(hasIssue(o, Severity::kError, "session.cpt", "40 minutes do not support CPT 90837"));
  BOOST_TEST(hasIssue(o, Severity::kError, "diagnoses", "ranked"));
  BOOST_TEST(hasIssue(o, Severity::kError, "status", "not signed"));
  BOOST_TEST(hasIssue(o, Severity::kError, "client.identifiers", "MemberId"));
  BOOST_TEST(hasIssue(o, Severity::kWarning, "measures", "measurable progress"));
  Note ranks = exampleNote("soap");
  ranks.diagnoses[1].rank = 1;
  BOOST_TEST(hasIssue(payerChecklist(ranks), Severity::kError, "diagnoses[1].rank", "twice"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(submit_attachment)

BOOST_AUTO_TEST_CASE(the_parameters_carry_what_cdex_asks_for) {
  auto built = buildSubmitAttachment({exampleNote("soap")}, claimRequest());
  BOOST_REQUIRE_MESSAGE(built.ok(), issuesText(built.outcome()));
  const Element& p = **built;
  BOOST_TEST(p.type() == "Parameters");
  BOOST_TEST(paramNames(p) ==
                 (std::vector<std::string>{"TrackingId", "AttachTo", "OrganizationId", "ProviderId",
                                           "MemberId", "ServiceDate", "Attachment"}),
             boost::test_tools::per_element());
  BOOST_TEST(param(p, "TrackingId")->child("valueIdentifier")->childValue("value") ==
             "TRK-2025-0412");
  BOOST_TEST(param(p, "AttachTo")->childValue("valueCode") == "claim");
  BOOST_TEST(param(p, "OrganizationId")->child("valueIdentifier")->childValue("value") ==
             "1987654328");
  BOOST_TEST(param(p, "ProviderId")->child("valueIdentifier")->childValue("value") == "1234567893");
  const Element* member = param(p, "MemberId")->child("valueIdentifier");
  BOOST_TEST(member->childValue("system") == "https://payer.example.com/member");
  BOOST_TEST(member->childValue("value") == "XK-99120-03");
  BOOST_TEST(param(p, "ServiceDate")->childValue("valueDateTime") == "2025-03-04");
  const auto parts = param(p, "Attachment")->childrenNamed("part");
  BOOST_REQUIRE(parts.size() == 3u);
  BOOST_TEST(parts[0]->childValue("name") == "LineItem");
  BOOST_TEST(parts[0]->childValue("valueString") == "1");
  BOOST_TEST(parts[1]->child("valueCodeableConcept")->child("coding")->childValue("code") ==
             "11506-3");
  const Element* doc = parts[2]->child("resource");
  BOOST_REQUIRE(doc);
  BOOST_TEST(doc->type() == "DocumentReference");
  // The subject is a logical reference by member id (the CDex example's shape); nothing in the
  // document points at a resource the payer does not get.
  BOOST_TEST(doc->child("subject")->child("identifier")->childValue("value") == "XK-99120-03");
  BOOST_TEST(doc->child("author")->child("identifier")->childValue("value") == "1234567893");
  BOOST_TEST(!doc->child("context")->child("encounter"));
  std::vector<std::string> labels;
  for (const Element* s : doc->child("meta")->childrenNamed("security")) {
    labels.emplace_back(s->childValue("code"));
  }
  BOOST_TEST(labels == (std::vector<std::string>{"R", "PSY", "MH"}),
             boost::test_tools::per_element());
  // The claim id stands in for a missing tracking id.
  SubmissionRequest byClaim = claimRequest();
  byClaim.trackingId.clear();
  auto again = buildSubmitAttachment({exampleNote("soap")}, byClaim);
  BOOST_TEST(param(**again, "TrackingId")->child("valueIdentifier")->childValue("value") ==
             "CLM-77");
}

BOOST_AUTO_TEST_CASE(a_note_failing_the_checklist_gives_no_parameters) {
  Note n = exampleNote("soap");
  n.client.identifiers.pop_back();
  auto built = buildSubmitAttachment({n}, claimRequest());
  BOOST_TEST(!built.ok());
  BOOST_TEST(hasIssue(built.outcome(), Severity::kError, "notes[N-2025-0412].client.identifiers"),
             issuesText(built.outcome()));
  SubmissionRequest noTracking = claimRequest();
  noTracking.trackingId.clear();
  noTracking.claimId.clear();
  BOOST_TEST(!buildSubmitAttachment({exampleNote("soap")}, noTracking).ok());
}

BOOST_AUTO_TEST_CASE(the_parameters_validate_against_r4) {
  BOOST_REQUIRE(ValidatorFixture::get().validator);
  auto built = buildSubmitAttachment({exampleNote("soap")}, claimRequest());
  BOOST_REQUIRE(built.ok());
  validation::ValidationOptions base;
  base.useMetaProfiles = false;
  const auto outcome = ValidatorFixture::get().validator->validate(**built, base);
  BOOST_TEST(errorsOf(outcome).empty(), errorsOf(outcome));
}

BOOST_AUTO_TEST_CASE(the_parameters_validate_against_the_cdex_profile,
                     *notebridge::testing::needsShared()) {
  auto loaded = validation::loadStandardDefinitions();
  BOOST_REQUIRE(loaded.ok());
  std::shared_ptr<validation::ConformanceStore> store = *loaded;
  const auto packageOutcome = store->loadPackage(
      notebridge::testing::sharedDir() / "fhir-packages" / "hl7.fhir.us.davinci-cdex#2.1.0");
  BOOST_REQUIRE_MESSAGE(!packageOutcome.hasErrors(), errorsOf(packageOutcome));
  validation::Validator plain(store);
  auto invariants = std::make_shared<validation::FhirPathInvariants>(&plain.terminology());
  validation::Validator validator(store, invariants);
  validation::ValidationOptions cdex;
  cdex.profiles = {kCdexSubmitAttachmentProfile};
  auto built = buildSubmitAttachment({exampleNote("soap")}, claimRequest());
  BOOST_REQUIRE(built.ok());
  const auto outcome = validator.validate(**built, cdex);
  BOOST_TEST(errorsOf(outcome).empty(), errorsOf(outcome));
  // The check has teeth: without MemberId (1..1) the profile is broken.
  auto broken = (*built)->clone();
  for (std::size_t i = 0; i < broken->children().size(); ++i) {
    if (broken->children()[i]->childValue("name") == "MemberId") {
      broken->removeChild(i);
      break;
    }
  }
  const std::string errors = errorsOf(validator.validate(*broken, cdex));
  BOOST_TEST(errors.find("MemberId") != std::string::npos, errors);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(audit_event)

AuditRecord disclosure() {
  AuditRecord r;
  r.id = "audit-1";
  r.recorded = "2025-04-01T09:30:00Z";
  r.observerName = "riverside";
  r.observerAddress = "http://127.0.0.1:8080";
  r.partnerName = "harbor";
  r.partnerAddress = "http://127.0.0.1:9090/fhir";
  r.purposeOfUse = "TREAT";
  r.patientReference = "Patient/p-1";
  r.patientDisplay = "C-1001";
  r.dataReferences = {"Bundle/transfer-1"};
  r.consentReference = "Consent/consent-c1001-transfer";
  return r;
}

BOOST_AUTO_TEST_CASE(a_disclosure_is_recorded_in_the_balp_source_shape) {
  auto registry = fhir::DefinitionRegistry::r4();
  BOOST_REQUIRE(registry);
  const std::string json = fhir::writeJson(*disclosureAuditEvent(disclosure()));
  rapidjson::Document got, want;
  got.Parse(json.c_str());
  const std::string expected = notebridge::testing::readFile(
      notebridge::testing::testDataDir() / "mappers" / "audit-disclosure.expected.json");
  want.Parse(expected.c_str());
  BOOST_REQUIRE(!got.HasParseError());
  BOOST_REQUIRE(!want.HasParseError());
  BOOST_TEST((got == want), json);
}

BOOST_AUTO_TEST_CASE(an_import_swaps_the_roles_and_is_an_import_event) {
  auto event = importAuditEvent(disclosure());
  BOOST_TEST(event->child("type")->childValue("code") == "110107");
  BOOST_TEST(event->childValue("action") == "C");
  const auto agents = event->childrenNamed("agent");
  BOOST_REQUIRE(agents.size() == 2u);
  // The sender is the source (110153), we are the destination (110152).
  BOOST_TEST(agents[0]->child("who")->childValue("display") == "harbor");
  BOOST_TEST(agents[0]->child("type")->child("coding")->childValue("code") == "110153");
  BOOST_TEST(agents[1]->child("who")->childValue("display") == "riverside");
}

BOOST_AUTO_TEST_CASE(audit_events_validate_against_r4) {
  BOOST_REQUIRE(ValidatorFixture::get().validator);
  for (bool out : {true, false}) {
    auto event = out ? disclosureAuditEvent(disclosure()) : importAuditEvent(disclosure());
    const auto outcome = ValidatorFixture::get().validator->validate(*event);
    BOOST_TEST(errorsOf(outcome).empty(), errorsOf(outcome));
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(outbound_json)

// What leaves the gateway goes through the core writer and must read back without any issue.
BOOST_AUTO_TEST_CASE(documents_and_parameters_reparse_without_issues) {
  auto registry = fhir::DefinitionRegistry::r4();
  BOOST_REQUIRE(registry);
  TransferOptions options;
  options.now = "2025-04-01T09:30:00Z";
  auto document = buildTransferSummary({exampleNote("soap")}, options);
  auto parameters = buildSubmitAttachment({exampleNote("soap")}, claimRequest());
  BOOST_REQUIRE(document.ok());
  BOOST_REQUIRE(parameters.ok());
  for (const Element* tree : {document->get(), parameters->get()}) {
    auto parsed = fhir::parseJson(fhir::writeJson(*tree), *registry);
    BOOST_TEST(parsed.ok());
    BOOST_TEST(parsed.outcome().empty(), issuesText(parsed.outcome()));
  }
}

BOOST_AUTO_TEST_SUITE_END()

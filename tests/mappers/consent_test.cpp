#include <boost/test/unit_test.hpp>

#include "json_tree.h"
#include "mapper_test_support.h"
#include "notebridge/mappers/consent.h"

using namespace notebridge::mappers;
using namespace notebridge::mappers::testing;
using notebridge::fhir::Severity;

namespace {

std::string fixture(std::string_view name) {
  return notebridge::testing::readFile(notebridge::testing::testDataDir() / "mappers" /
                                       (std::string(name) + ".consent.json"));
}

std::string replaced(std::string text, std::string_view from, std::string_view to) {
  const auto at = text.find(from);
  BOOST_REQUIRE_MESSAGE(at != std::string::npos, "fixture lacks " << from);
  return text.replace(at, from.size(), to);
}

ConsentTerms terms(const std::string& json) {
  auto tree = treeFromJson(json);
  BOOST_REQUIRE(tree);
  auto read = readConsent(*tree);
  BOOST_REQUIRE_MESSAGE(read.ok(), issuesText(read.outcome()));
  return std::move(read).value();
}

// Harbor Psychology, the recipient the transfer consent names (by NPI).
DisclosureRequest toHarbor(std::string now = "2025-04-01T10:00:00Z") {
  DisclosureRequest r;
  r.recipient.identifiers.emplace_back("http://hl7.org/fhir/sid/us-npi", "1417933521");
  r.recipient.references.push_back("Organization/harbor");
  r.purpose = "TREAT";
  r.now = std::move(now);
  return r;
}

bool refusedWith(const ConsentDecision& d, std::string_view code, std::string_view expression,
                 std::string_view fragment) {
  for (const auto& i : d.reasons.issues()) {
    if (i.severity == Severity::kError && i.code == code && i.expression == expression &&
        i.diagnostics.find(fragment) != std::string::npos) {
      return true;
    }
  }
  return false;
}

Note substanceUseNote() {
  Note n = exampleNote("soap");
  n.diagnoses.push_back({"F10.20", "Alcohol dependence, uncomplicated", 3});
  return n;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(consent)

BOOST_AUTO_TEST_CASE(reads_the_terms_of_a_transfer_consent) {
  const ConsentTerms t = terms(fixture("transfer"));
  BOOST_TEST(t.id == "consent-c1001-transfer");
  BOOST_TEST(t.status == "active");
  BOOST_TEST(t.provision.type == "permit");
  BOOST_TEST(t.provision.periodStart == "2025-03-10");
  BOOST_TEST(t.provision.periodEnd == "2025-09-30");
  BOOST_REQUIRE(t.provision.recipients.size() == 1u);
  BOOST_TEST(t.provision.recipients[0].identifiers.at(0).second == "1417933521");
  BOOST_TEST(t.provision.purposes == std::vector<std::string>{"TREAT"});
  BOOST_TEST(t.policyRules.at(0) == "hipaa-auth");
  const ConsentTerms p2 = terms(fixture("transfer-part2"));
  BOOST_REQUIRE(p2.provision.provisions.size() == 1u);
  BOOST_TEST(p2.provision.provisions[0].securityLabels == std::vector<std::string>{"42CFRPart2"});
}

BOOST_AUTO_TEST_CASE(a_valid_consent_permits_an_ordinary_progress_note) {
  const auto d =
      evaluateConsent(terms(fixture("transfer")), toHarbor(), privacyOf(exampleNote("soap")));
  BOOST_TEST(d.permit, issuesText(d.reasons));
  BOOST_TEST(!d.reasons.hasErrors());
  // The last day of the period is covered whole.
  BOOST_TEST(evaluateConsent(terms(fixture("transfer")), toHarbor("2025-09-30T23:00:00Z"),
                             privacyOf(exampleNote("soap")))
                 .permit);
}

BOOST_AUTO_TEST_CASE(an_expired_or_not_yet_valid_consent_is_refused) {
  const auto after = evaluateConsent(terms(fixture("transfer")), toHarbor("2025-10-01T00:00:01Z"),
                                     privacyOf(exampleNote("soap")));
  BOOST_TEST(!after.permit);
  BOOST_TEST(after.consentRefused);
  BOOST_TEST(refusedWith(after, "expired", "Consent.provision.period.end", "expired on 2025-09-30"),
             issuesText(after.reasons));
  const auto before = evaluateConsent(terms(fixture("transfer")), toHarbor("2025-03-09T12:00:00Z"),
                                      privacyOf(exampleNote("soap")));
  BOOST_TEST(!before.permit);
  BOOST_TEST(refusedWith(before, "expired", "Consent.provision.period.start", "2025-03-10"));
  const auto inactive = evaluateConsent(
      terms(replaced(fixture("transfer"), "\"status\": \"active\"", "\"status\": \"inactive\"")),
      toHarbor(), privacyOf(exampleNote("soap")));
  BOOST_TEST(!inactive.permit);
  BOOST_TEST(refusedWith(inactive, "expired", "Consent.status", "inactive, not active"));
}

BOOST_AUTO_TEST_CASE(a_recipient_the_consent_does_not_name_is_refused) {
  DisclosureRequest other = toHarbor();
  other.recipient.identifiers = {{"http://hl7.org/fhir/sid/us-npi", "1972668391"}};
  other.recipient.references = {"Organization/elsewhere"};
  const auto d = evaluateConsent(terms(fixture("transfer")), other, privacyOf(exampleNote("soap")));
  BOOST_TEST(!d.permit);
  BOOST_TEST(d.consentRefused);
  BOOST_TEST(refusedWith(d, "forbidden", "Consent.provision.actor", "recipient"),
             issuesText(d.reasons));
  // A consent naming no recipient at all permits nobody.
  std::string json = fixture("transfer");
  const auto from = json.find("\"actor\"");
  const auto to = json.find("\"purpose\"");
  json.erase(from, to - from);
  const auto none = evaluateConsent(terms(json), toHarbor(), privacyOf(exampleNote("soap")));
  BOOST_TEST(refusedWith(none, "forbidden", "Consent.provision.actor", "names no recipient"));
}

BOOST_AUTO_TEST_CASE(another_purpose_or_another_patient_is_refused) {
  DisclosureRequest payment = toHarbor();
  payment.purpose = "HPAYMT";
  const auto d =
      evaluateConsent(terms(fixture("transfer")), payment, privacyOf(exampleNote("soap")));
  BOOST_TEST(refusedWith(d, "forbidden", "Consent.provision.purpose", "HPAYMT"));
  Note stranger = exampleNote("soap");
  stranger.client.id = "C-2002";
  stranger.client.identifiers = {{"MR", "https://practice.example.org/mrn", "MRN-70000"}};
  const auto s = evaluateConsent(terms(fixture("transfer")), toHarbor(), privacyOf(stranger));
  BOOST_TEST(refusedWith(s, "forbidden", "Consent.patient", "another patient"));
}

BOOST_AUTO_TEST_CASE(a_psychotherapy_note_is_refused_whatever_the_consent_says) {
  Note n = exampleNote("soap");
  n.sensitivity.psychotherapyNote = true;
  n.sensitivity.authorization = Authorization{"AUTH-1", "2025-03-01"};
  const auto d = evaluateConsent(terms(fixture("transfer-part2")), toHarbor(), privacyOf(n));
  BOOST_TEST(!d.permit);
  BOOST_TEST(!d.consentRefused);  // the consent is fine; this note stays home
  BOOST_TEST(refusedWith(d, "security", "sensitivity.psychotherapyNote", "psychotherapy note"));
}

BOOST_AUTO_TEST_CASE(substance_use_content_needs_a_part_2_consent) {
  const NotePrivacy sud = privacyOf(substanceUseNote());
  BOOST_TEST(sud.substanceUse);
  const auto plain = evaluateConsent(terms(fixture("transfer")), toHarbor(), sud);
  BOOST_TEST(!plain.permit);
  BOOST_TEST(!plain.consentRefused);
  BOOST_TEST(refusedWith(plain, "security", "sensitivity.substanceUse", "42 CFR Part 2"));
  const auto part2 = evaluateConsent(terms(fixture("transfer-part2")), toHarbor(), sud);
  BOOST_TEST(part2.permit, issuesText(part2.reasons));
  // The nested Part 2 permit applies only to content carrying the label.
  BOOST_TEST(
      evaluateConsent(terms(fixture("transfer-part2")), toHarbor(), privacyOf(exampleNote("soap")))
          .permit);
}

BOOST_AUTO_TEST_CASE(a_nested_deny_excludes_the_content_it_labels) {
  // Permit everything except substance-use content, even with a Part 2 policy.
  std::string json =
      replaced(fixture("transfer-part2"), "\"type\": \"permit\",\n      \"securityLabel\"",
               "\"type\": \"deny\",\n      \"securityLabel\"");
  const auto d = evaluateConsent(terms(json), toHarbor(), privacyOf(substanceUseNote()));
  BOOST_TEST(!d.permit);
  BOOST_TEST(refusedWith(d, "forbidden", "Consent.provision.provision[0].type", "denies"),
             issuesText(d.reasons));
  BOOST_TEST(evaluateConsent(terms(json), toHarbor(), privacyOf(exampleNote("soap"))).permit);
}

BOOST_AUTO_TEST_CASE(unreadable_consents_are_errors_not_crashes) {
  auto notConsent = treeFromJson(R"({"resourceType": "Patient"})");
  BOOST_TEST(!readConsent(*notConsent).ok());
  auto badPeriod =
      treeFromJson(replaced(fixture("transfer"), "\"end\": \"2025-09-30\"", "\"end\": \"soon\""));
  const auto read = readConsent(*badPeriod);
  BOOST_TEST(!read.ok());
  BOOST_TEST(hasIssue(read.outcome(), Severity::kError, "Consent.provision.period.end"),
             issuesText(read.outcome()));
  // An empty Consent is refused with reasons, not permitted.
  auto empty = treeFromJson(R"({"resourceType": "Consent"})");
  const auto d = evaluateConsent(*readConsent(*empty), toHarbor(), privacyOf(exampleNote("soap")));
  BOOST_TEST(!d.permit);
  BOOST_TEST(d.consentRefused);
}

BOOST_AUTO_TEST_SUITE_END()

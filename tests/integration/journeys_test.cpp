// Issue 9 journeys across real processes: two `notebridge serve` practices on loopback (Riverside
// sends, Harbor receives a transfer) and a scripted payer.
#include <Poco/NullStream.h>
#include <Poco/URI.h>
#include <rapidjson/document.h>

#include <boost/test/unit_test.hpp>
#include <csignal>
#include <ctime>
#include <fstream>
#include <optional>
#include <thread>

#include "http_client.h"
#include "notebridge/fhir/json_format.h"
#include "notebridge/gateway/jwt.h"
#include "notebridge/mappers/note_json.h"
#include "notebridge/mappers/transfer_summary.h"
#include "process_runner.h"
#include "scripted_receiver.h"
#include "serve_process.h"
#include "temp_dir.h"
#include "test_pki.h"

using namespace notebridge::testing;

namespace {

// `notebridge serve` with `properties` (port 0, its data in `dir`), started and waited for, with
// an API key made by `notebridge keys add` first.
struct Practice {
  Practice(const TempDir& dir, const std::string& properties) {
    config = dir / "gateway.properties";
    std::ofstream(config) << "server.port = 0\ndata.dir = " << (dir / "data").string() << "\n"
                          << "auth.jwt.keyFiles = " << (testPki() / "rsa.pub.pem").string() << "\n"
                          << properties;
    auto added = runNotebridge({"keys", "add", "journeys test", "--config", config.string()});
    BOOST_REQUIRE_MESSAGE(added.exitCode == 0, added.err);
    apiKey = added.out.substr(0, added.out.find('\n'));
    serve.emplace(config, dir.path());
    port = serve->port;
    BOOST_REQUIRE_MESSAGE(port != 0, "the server did not start:\n" << serve->log);
  }
  HttpResult internal(const std::string& method, const std::string& path,
                      const std::string& body = {}) {
    return httpRequest(port, method, path, body, {{"X-API-Key", apiKey}}, "application/json");
  }
  HttpResult fhir(const std::string& path) {
    return httpRequest(port, "GET", path, {}, {{"Authorization", "Bearer " + token()}});
  }
  std::string baseUrl() const { return "http://127.0.0.1:" + std::to_string(port) + "/fhir"; }

  static std::string token() {
    auto signed_ = notebridge::gateway::signJwt("RS384", readFile(testPki() / "rsa.key"), "",
                                                R"({"sub":"riverside","exp":)" +
                                                    std::to_string(std::time(nullptr) + 3600) +
                                                    R"(,"scope":"system/*.cruds"})");
    return *signed_;
  }

  std::filesystem::path config;
  std::string apiKey;
  std::optional<ServeProcess> serve;  // stopped with SIGTERM when the practice goes
  std::uint16_t port = 0;
};

std::string dataFile(const std::string& name) { return readFile(testDataDir() / "mappers" / name); }

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  BOOST_REQUIRE_MESSAGE(at != std::string::npos, "fixture lacks " << from);
  return text.replace(at, from.size(), to);
}

// A transfer consent of client C-1001 naming Harbor (Organization/harbor), in force until the
// given end, covering 42 CFR Part 2 content.
std::string consent(const std::string& end = "2099-12-31", const std::string& patient = "C-1001",
                    const std::string& recipient = "harbor", bool part2 = true) {
  std::string json = dataFile("transfer-part2.consent.json");
  json = replaced(json, "\"end\": \"2025-09-30\"", "\"end\": \"" + end + "\"");
  json = replaced(json, "Patient/C-1001", "Patient/" + patient);
  json = replaced(json, "Organization/harbor", "Organization/" + recipient);
  if (!part2) json = replaced(json, "42CFRPart2", "ETHUD");
  return json;
}

std::string transferBody(const std::string& consentJson) {
  return R"({"recipient": "harbor", "purpose": "TREAT", "consent": )" + consentJson + "}";
}

// A note of another client, from the SOAP example.
std::string otherClientNote(const std::string& client, const std::string& noteId,
                            const std::string& sensitivity, const std::string& extraDiagnosis) {
  std::string note = readFile(testDataDir() / "mappers" / "soap.note.json");
  note = replaced(note, "\"id\": \"C-1001\"", "\"id\": \"" + client + "\"");
  note = replaced(note, "\"noteId\": \"N-2025-0412\"", "\"noteId\": \"" + noteId + "\"");
  if (!extraDiagnosis.empty()) {
    note = replaced(note, "\"rank\": 2}", "\"rank\": 2}, " + extraDiagnosis);
  }
  if (!sensitivity.empty()) {
    note = replaced(note, "\"signature\":", "\"sensitivity\": " + sensitivity + ", \"signature\":");
  }
  return note;
}

int notesOf(Practice& practice, const std::string& client) {
  auto listed = practice.internal("GET", "/notes?client=" + client);
  rapidjson::Document doc;
  doc.Parse(listed.body.c_str());
  if (doc.HasParseError() || !doc.HasMember("notes")) return -1;
  return static_cast<int>(doc["notes"].Size());
}

std::string patientOf(const HttpResult& posted) {
  rapidjson::Document doc;
  doc.Parse(posted.body.c_str());
  if (doc.HasParseError() || !doc.HasMember("fhir")) return {};
  return doc["fhir"]["Patient"].GetString();
}

// Waits (up to 10 s) until `receiver` has seen `count` requests.
bool waitForRequests(const ScriptedReceiver& receiver, int count) {
  for (int i = 0; i < 100 && receiver.requestCount() < count; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return receiver.requestCount() >= count;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(journeys)

BOOST_AUTO_TEST_CASE(transfer_to_a_new_therapist_and_payer_submission_across_processes) {
  TempDir harborDir, riversideDir;
  Practice harbor(harborDir, "");
  const auto tokenFile = riversideDir / "harbor.token";
  std::ofstream(tokenFile) << Practice::token();
  ScriptedReceiver payer;
  ScriptedReceiver outboxPayer;  // takes every note of C-1001 through the outbox
  Practice riverside(riversideDir,
                     "destinations.harbor.kind = practice\n"
                     "destinations.harbor.base_url = " +
                         harbor.baseUrl() +
                         "\n"
                         "destinations.harbor.auth = bearer-file\n"
                         "destinations.harbor.token_file = " +
                         tokenFile.string() +
                         "\n"
                         "destinations.harbor.route.default = false\n"
                         "destinations.payer.kind = payer\n"
                         "destinations.payer.base_url = " +
                         payer.baseUrl() +
                         "\n"
                         "destinations.payer.interaction = submit-attachment\n"
                         "destinations.payer.route.default = false\n"
                         "destinations.payer-outbox.kind = payer\n"
                         "destinations.payer-outbox.base_url = " +
                         outboxPayer.baseUrl() +
                         "\n"
                         "destinations.payer-outbox.interaction = submit-attachment\n"
                         "destinations.payer-outbox.route.clients = C-1001\n");

  auto early = riverside.internal("POST", "/notes", dataFile("transfer-early.note.json"));
  BOOST_REQUIRE_MESSAGE(early.status == 201, early.body);
  auto soap = riverside.internal("POST", "/notes", dataFile("soap.note.json"));
  BOOST_REQUIRE_MESSAGE(soap.status == 201, soap.body);
  const std::string patient = patientOf(soap);
  BOOST_REQUIRE(!patient.empty());
  // Both notes also go to the outbox payer (route.clients); each delivery is a disclosure with
  // its own AuditEvent, so let them land before counting AuditEvents below.
  BOOST_REQUIRE(waitForRequests(outboxPayer, 2));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // their finish is recorded

  // Refusals: nothing leaves without a consent that is in force and names the recipient.
  auto none = riverside.internal("POST", "/clients/C-1001/transfer", R"({"recipient": "harbor"})");
  BOOST_TEST(none.status == 403);
  BOOST_TEST(contains(none.body, "no consent"), none.body);
  auto expired =
      riverside.internal("POST", "/clients/C-1001/transfer", transferBody(consent("2025-09-30")));
  BOOST_TEST(expired.status == 403);
  BOOST_TEST(contains(expired.body, "expired on 2025-09-30"), expired.body);
  auto wrong = riverside.internal("POST", "/clients/C-1001/transfer",
                                  transferBody(consent("2099-12-31", "C-1001", "elsewhere")));
  BOOST_TEST(wrong.status == 403);
  BOOST_TEST(contains(wrong.body, "recipient"), wrong.body);
  BOOST_TEST(notesOf(harbor, "C-1001") == 0);

  // The transfer: Harbor imports both notes; sending it again adds nothing.
  auto sent = riverside.internal("POST", "/clients/C-1001/transfer", transferBody(consent()));
  BOOST_REQUIRE_MESSAGE(sent.status == 200, sent.body);
  BOOST_TEST(contains(sent.body, "\"status\":\"delivered\""), sent.body);
  BOOST_TEST(contains(sent.body, "\"receiver\":{\"status\":201"), sent.body);
  BOOST_TEST(notesOf(harbor, "C-1001") == 2);
  auto again = riverside.internal("POST", "/clients/C-1001/transfer", transferBody(consent()));
  BOOST_REQUIRE_MESSAGE(again.status == 200, again.body);
  BOOST_TEST(contains(again.body, "\"receiver\":{\"status\":200"), again.body);
  BOOST_TEST(notesOf(harbor, "C-1001") == 2);
  // The same record POSTed at the FHIR base as a document Bundle: known already, nothing added.
  {
    auto early = notebridge::mappers::parseNote(dataFile("transfer-early.note.json"));
    auto latest = notebridge::mappers::parseNote(dataFile("soap.note.json"));
    BOOST_REQUIRE(early.ok() && latest.ok());
    notebridge::mappers::TransferOptions options;
    options.now = "2026-01-02T03:04:05Z";
    auto document = notebridge::mappers::buildTransferSummary({*early, *latest}, options);
    BOOST_REQUIRE(document.ok());
    auto atBase = httpRequest(harbor.port, "POST", "/fhir", notebridge::fhir::writeJson(**document),
                              {{"Authorization", "Bearer " + Practice::token()}});
    BOOST_TEST(atBase.status == 200, atBase.body);
    BOOST_TEST(contains(atBase.body, "note already here: N-2025-0412"), atBase.body);
    BOOST_TEST(notesOf(harbor, "C-1001") == 2);
  }
  auto imported = harbor.internal("GET", "/notes/N-2025-0412");
  BOOST_TEST(imported.status == 200);
  BOOST_TEST(contains(imported.body, "\"source\":\"inbound\""), imported.body);
  BOOST_TEST(contains(imported.body, "Practise worry postponement daily"));

  // Every disclosure (refused ones too) and every import is audited, searchable by patient.
  auto disclosures = riverside.fhir("/fhir/AuditEvent?patient=" + patient + "&type=110106");
  BOOST_TEST(disclosures.status == 200);
  BOOST_TEST(contains(disclosures.body, "\"total\":4"),
             disclosures.body);  // 2 outbox + 2 transfers
  BOOST_TEST(contains(disclosures.body, "IHE.BasicAudit.PrivacyDisclosure.Source"));
  auto imports = harbor.fhir("/fhir/AuditEvent?patient=" + patient);
  BOOST_TEST(imports.status == 200);
  BOOST_TEST(contains(imports.body, "\"total\":3"), imports.body);
  BOOST_TEST(contains(imports.body, "\"code\":\"110107\""), imports.body);
  // AuditEvent and Consent are served, and the CapabilityStatement says so.
  auto metadata = httpRequest(riverside.port, "GET", "/fhir/metadata");
  BOOST_TEST(contains(metadata.body, "\"type\":\"AuditEvent\""), metadata.body);
  BOOST_TEST(contains(metadata.body, "\"type\":\"Consent\""));
  auto all = riverside.fhir("/fhir/AuditEvent?type=110106");
  // 3 refusals (no patient) + 2 transfers + 2 outbox deliveries
  BOOST_TEST(contains(all.body, "\"total\":7"), all.body);

  // A psychotherapy note never leaves; substance-use content needs a Part 2 consent.
  auto psy = riverside.internal(
      "POST", "/notes",
      otherClientNote("C-2002", "N-PSY-1",
                      R"({"psychotherapyNote": true, "authorization": {"id": "AUTH-1",
                          "date": "2025-03-01"}})",
                      ""));
  BOOST_REQUIRE_MESSAGE(psy.status == 201, psy.body);
  auto psyTransfer = riverside.internal("POST", "/clients/C-2002/transfer",
                                        transferBody(consent("2099-12-31", "C-2002")));
  BOOST_TEST(psyTransfer.status == 403);
  BOOST_TEST(contains(psyTransfer.body, "psychotherapy note"), psyTransfer.body);
  auto sud = riverside.internal(
      "POST", "/notes",
      otherClientNote("C-3003", "N-SUD-1", R"({"substanceUse": true})",
                      R"({"code": "F10.20", "display": "Alcohol dependence", "rank": 3})"));
  BOOST_REQUIRE_MESSAGE(sud.status == 201, sud.body);
  auto sudPlain =
      riverside.internal("POST", "/clients/C-3003/transfer",
                         transferBody(consent("2099-12-31", "C-3003", "harbor", false)));
  BOOST_TEST(sudPlain.status == 403);
  BOOST_TEST(contains(sudPlain.body, "42 CFR Part 2"), sudPlain.body);
  BOOST_TEST(notesOf(harbor, "C-3003") == 0);
  auto sudPart2 = riverside.internal("POST", "/clients/C-3003/transfer",
                                     transferBody(consent("2099-12-31", "C-3003")));
  BOOST_TEST(sudPart2.status == 200, sudPart2.body);
  BOOST_TEST(notesOf(harbor, "C-3003") == 1);
  // What left carries its labels.
  auto labelled = harbor.internal("GET", "/notes/N-SUD-1");
  BOOST_TEST(contains(labelled.body, "substanceUse"), labelled.body);

  // Payer submission: CDex $submit-attachment with the checklist passed.
  auto submitted = riverside.internal(
      "POST", "/notes/N-2025-0412/submit",
      R"({"destination": "payer", "claimId": "CLM-77", "trackingId": "TRK-1", "lineItems": ["1"]})");
  BOOST_REQUIRE_MESSAGE(submitted.status == 200, submitted.body);
  const auto received = payer.received();
  BOOST_REQUIRE(!received.empty());
  const ReceivedRequest& last = received.back();
  BOOST_TEST(last.method == "POST");
  // "$" may travel percent-encoded (%24); the receiver decodes it.
  BOOST_TEST((contains(last.path, "/fhir/$submit-attachment") ||
              contains(last.path, "/fhir/%24submit-attachment")),
             last.path);
  BOOST_TEST(contains(last.body, "\"resourceType\":\"Parameters\""));
  BOOST_TEST(contains(last.body, "TRK-1"));
  BOOST_TEST(contains(last.body, "XK-99120-03"));
  BOOST_TEST(contains(last.body, "\"code\":\"42CFRPart2\"") == false);
  BOOST_TEST(contains(last.body, "\"code\":\"R\""));  // the security labels travel along
  // A 413 from the payer is a dead-letter with its reason.
  payer.script({Scripted::respond(413, Scripted::outcome("too-long", "attachment too large"))});
  auto tooLarge = riverside.internal("POST", "/notes/N-2025-0412/submit",
                                     R"({"destination": "payer", "claimId": "CLM-78"})");
  BOOST_TEST(tooLarge.status == 502);
  BOOST_TEST(contains(tooLarge.body, "dead-letter"), tooLarge.body);
  BOOST_TEST(contains(tooLarge.body, "413"), tooLarge.body);
  // The checklist stops a note the payer cannot use.
  std::string noMember = otherClientNote("C-4004", "N-NOMB-1", "", "");
  noMember = replaced(noMember,
                      R"(,
      {"type": "MB", "system": "https://payer.example.com/member", "value": "XK-99120-03"})",
                      "");
  BOOST_REQUIRE(riverside.internal("POST", "/notes", noMember).status == 201);
  const int before = payer.requestCount();
  auto refused = riverside.internal("POST", "/notes/N-NOMB-1/submit",
                                    R"({"destination": "payer", "claimId": "CLM-79"})");
  BOOST_TEST(refused.status == 422);
  BOOST_TEST(contains(refused.body, "MemberId"), refused.body);
  BOOST_TEST(payer.requestCount() == before);
  // Through the outbox, a payer destination gets CDex Parameters for each routed note.
  const auto viaOutbox = outboxPayer.received();
  BOOST_REQUIRE(viaOutbox.size() >= 2u);
  for (const ReceivedRequest& r : viaOutbox) {
    BOOST_TEST(contains(r.path, "submit-attachment"), r.path);
    BOOST_TEST(contains(r.body, "\"name\":\"TrackingId\""), r.body.substr(0, 300));
    BOOST_TEST(contains(r.body, "XK-99120-03"));
  }
  auto payments = riverside.fhir("/fhir/AuditEvent?patient=" + patient + "&type=110106");
  // 2 transfers, 2 submits, 2 outbox deliveries
  BOOST_TEST(contains(payments.body, "\"total\":6"), payments.body);
  BOOST_TEST(contains(payments.body, "HPAYMT"));
}

BOOST_AUTO_TEST_CASE(hospital_ehr_gets_the_note_its_amendment_and_its_retraction) {
  TempDir dir;
  ScriptedReceiver ehr;
  Practice riverside(dir,
                     "destinations.hospital.kind = ehr\n"
                     "destinations.hospital.base_url = " +
                         ehr.baseUrl() + "\ndelivery.poll_ms = 50\n");
  const std::string signedNote = dataFile("soap.note.json");

  // 1. A signed note reaches the EHR as a transaction: the DocumentReference with its scores,
  // every resource labelled restricted + mental health.
  auto posted = riverside.internal("POST", "/notes", signedNote);
  BOOST_REQUIRE_MESSAGE(posted.status == 201, posted.body);
  BOOST_TEST(contains(posted.body, "\"destination\":\"hospital\""), posted.body);
  BOOST_REQUIRE(waitForRequests(ehr, 1));
  const ReceivedRequest first = ehr.received()[0];
  BOOST_TEST(first.method == "POST");
  BOOST_TEST(first.path == "/fhir");
  BOOST_TEST(contains(first.body, "\"type\":\"transaction\""));
  BOOST_TEST(contains(first.body, "\"resourceType\":\"DocumentReference\""));
  BOOST_TEST(contains(first.body, "\"docStatus\":\"final\""));
  BOOST_TEST(contains(first.body, "\"code\":\"44261-6\""));  // PHQ-9 total
  BOOST_TEST(contains(first.body, "\"code\":\"70274-6\""));  // GAD-7 total
  BOOST_TEST(contains(first.body, "\"code\":\"R\""));
  BOOST_TEST(contains(first.body, "\"code\":\"PSY\""));
  BOOST_TEST(!contains(first.body, "\"relatesTo\""));

  // 2. An amendment (version 2) replaces it there.
  std::string amendment = replaced(signedNote, "\"version\": 1", "\"version\": 2");
  amendment = replaced(amendment, "\"status\": \"signed\"",
                       "\"status\": \"amended\", \"replaces\": {\"noteId\": \"N-2025-0412\", "
                       "\"version\": 1}");
  amendment = replaced(amendment, "Reassess GAD-7 in 4 weeks.", "Reassess GAD-7 in 2 weeks.");
  auto amended = riverside.internal("POST", "/notes", amendment);
  BOOST_REQUIRE_MESSAGE(amended.status == 201, amended.body);
  BOOST_REQUIRE(waitForRequests(ehr, 2));
  const ReceivedRequest second = ehr.received()[1];
  BOOST_TEST(contains(second.body, "\"docStatus\":\"amended\""));
  BOOST_TEST(contains(second.body, "\"code\":\"replaces\""));
  BOOST_TEST(contains(second.body, "1987654328/N-2025-0412/v1"));  // the replaced version
  BOOST_TEST(contains(second.body, "2 weeks"));

  // 3. Marking version 2 entered-in-error retracts what it sent, by conditional updates on
  // its identifiers; the same retraction again changes nothing.
  const std::string retraction =
      replaced(amendment, "\"status\": \"amended\"", "\"status\": \"entered-in-error\"");
  // A "retraction" that also changes the text is refused: that is a new version.
  BOOST_TEST(
      riverside.internal("POST", "/notes", replaced(retraction, "2 weeks", "3 weeks")).status ==
      409);
  auto retracted = riverside.internal("POST", "/notes", retraction);
  BOOST_REQUIRE_MESSAGE(retracted.status == 200, retracted.body);
  BOOST_TEST(contains(retracted.body, "\"status\":\"entered-in-error\""), retracted.body);
  BOOST_TEST(riverside.internal("POST", "/notes", retraction).status == 200);
  BOOST_TEST(riverside.internal("POST", "/notes", amendment).status == 409);
  BOOST_REQUIRE(waitForRequests(ehr, 3));
  const ReceivedRequest third = ehr.received()[2];
  BOOST_TEST(contains(third.body, "\"status\":\"entered-in-error\""));
  BOOST_TEST(contains(third.body, "\"method\":\"PUT\""));
  BOOST_TEST(contains(third.body, "\"url\":\"DocumentReference?identifier="), third.body);
  BOOST_TEST(contains(third.body, "N-2025-0412/v2"));
  BOOST_TEST(contains(third.body, "NULLIFY"));
  auto stored = riverside.fhir(
      "/fhir/DocumentReference?identifier=https://notebridge.io/fhir/sid/"
      "note%7C1987654328/N-2025-0412/v2");
  BOOST_TEST(contains(stored.body, "\"status\":\"entered-in-error\""), stored.body);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  BOOST_TEST(ehr.requestCount() == 3);  // nothing sent twice
  auto deliveries = riverside.internal("GET", "/notes/N-2025-0412/deliveries");
  BOOST_TEST(deliveries.status == 200);
  BOOST_TEST(!contains(deliveries.body, "pending"), deliveries.body);

  // Each delivery is a disclosure: an Export AuditEvent naming the client and the EHR. It is
  // stored with the delivery's result, which the worker records after the EHR has answered:
  // wait for it (up to 10 s; a slow build, e.g. under the sanitizers, needs more than 300 ms).
  const std::string exportsQuery = "/fhir/AuditEvent?type=110106&patient=" + patientOf(posted);
  auto exports = riverside.fhir(exportsQuery);
  for (int i = 0; i < 100 && !contains(exports.body, "\"total\":3"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    exports = riverside.fhir(exportsQuery);
  }
  BOOST_TEST(contains(exports.body, "\"total\":3"), exports.body);
  BOOST_TEST(contains(exports.body, "hospital"));

  // 4. A note the EHR posts (a psychiatrist's DocumentReference) becomes a note of the practice.
  auto inbound = httpRequest(riverside.port, "POST", "/fhir/DocumentReference",
                             dataFile("foreign-birp.fhir.json"),
                             {{"Authorization", "Bearer " + Practice::token()}});
  BOOST_TEST(inbound.status == 201, inbound.body);
  auto notes = riverside.internal("GET", "/notes?source=inbound");
  BOOST_TEST(contains(notes.body, "\"source\":\"inbound\""), notes.body);
  BOOST_TEST(contains(notes.body, "\"format\":\"BIRP\""), notes.body);
  auto imports = riverside.fhir("/fhir/AuditEvent?type=110107");
  BOOST_TEST(contains(imports.body, "\"total\":1"), imports.body);
}

BOOST_AUTO_TEST_SUITE_END()

// The internal notes API over real HTTP (and HTTPS): POST /notes, reads, paging, idempotency,
// concurrency, and inbound FHIR DocumentReferences becoming notes.
#include <Poco/JSON/Parser.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLManager.h>

#include <boost/test/unit_test.hpp>
#include <ctime>
#include <future>
#include <set>

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>

#include "http_client.h"
#include "notebridge/fhir/json_format.h"
#include "notebridge/gateway/api_keys.h"
#include "notebridge/gateway/gateway_server.h"
#include "notebridge/gateway/jwt.h"
#include "notebridge/gateway/sqlite_store.h"
#include "notebridge/mappers/note_json.h"
#include "notebridge/mappers/note_to_fhir.h"
#include "shared_registry.h"
#include "temp_dir.h"
#include "test_paths.h"
#include "test_pki.h"

using namespace notebridge::gateway;
using notebridge::testing::HttpResult;
using notebridge::testing::readFile;
using notebridge::testing::TempDir;
using notebridge::testing::testDataDir;
using notebridge::testing::testPki;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

// Routes every note to "ehr-a" when asked for it; anything else is unknown.
class OneDestination final : public NoteRouting {
 public:
  notebridge::fhir::Result<std::vector<std::string>> destinationsFor(
      const notebridge::mappers::Note&, const std::vector<std::string>& requested) const override {
    for (const std::string& name : requested) {
      if (name != "ehr-a") {
        return notebridge::fhir::Result<std::vector<std::string>>::failure(
            notebridge::fhir::Severity::kError, "value", "unknown destination " + name,
            "destination");
      }
    }
    return requested;
  }
};

struct NotesServer {
  explicit NotesServer(bool tls = false) {
    GatewayConfig config;
    config.port = 0;
    config.threads = 8;
    config.dataDir = dir.path();
    config.jwtKeyFiles = {testPki() / "rsa.pub.pem"};
    if (tls) {
      config.tlsCertificateFile = testPki() / "server.pem";
      config.tlsPrivateKeyFile = testPki() / "server.key";
    }
    store = *SqliteStore::open(config.effectiveDatabasePath());
    apiKey = createApiKey(*store, "notes test", "2026-01-01T00:00:00Z")->token;
    server = std::make_unique<GatewayServer>(config, store, notebridge::testing::sharedRegistry(),
                                             notebridge::testing::sharedValidator(),
                                             std::make_shared<OneDestination>());
    BOOST_REQUIRE(server->start().empty());
    port = server->port();
    auto token = signJwt("RS384", readFile(testPki() / "rsa.key"), "",
                         R"({"sub":"test","exp":)" + std::to_string(std::time(nullptr) + 600) +
                             R"(,"scope":"system/*.cruds"})");
    bearer = "Bearer " + *token;
  }
  // A bearer token with exactly these scopes.
  std::string token(const std::string& scope) const {
    return "Bearer " +
           *signJwt("RS384", readFile(testPki() / "rsa.key"), "",
                    R"({"sub":"test","exp":)" + std::to_string(std::time(nullptr) + 600) +
                        R"(,"scope":")" + scope + "\"}");
  }
  ~NotesServer() {
    server->stop();
    store->close();
  }
  HttpResult call(const std::string& method, const std::string& path, const std::string& body = {},
                  std::map<std::string, std::string> headers = {}) {
    headers["X-API-Key"] = apiKey;
    return notebridge::testing::httpRequest(port, method, path, body, headers, "application/json");
  }
  HttpResult fhir(const std::string& method, const std::string& path, const std::string& body = {},
                  std::map<std::string, std::string> headers = {}) {
    headers["Authorization"] = bearer;
    return notebridge::testing::httpRequest(port, method, path, body, headers,
                                            "application/fhir+json");
  }

  TempDir dir;
  std::shared_ptr<SqliteStore> store;
  std::unique_ptr<GatewayServer> server;
  std::uint16_t port = 0;
  std::string apiKey;
  std::string bearer;
};

Object::Ptr json(const HttpResult& result) {
  return Poco::JSON::Parser().parse(result.body).extract<Object::Ptr>();
}

std::string firstIssue(const HttpResult& result, const char* field) {
  auto issue = json(result)->getArray("issue")->getObject(0);
  if (std::string(field) == "expression")
    return issue->getArray("expression")->getElement<std::string>(0);
  return issue->getValue<std::string>(field);
}

void replaceOnce(std::string& text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  BOOST_REQUIRE_MESSAGE(at != std::string::npos, "fixture lacks " << from);
  text.replace(at, from.size(), to);
}

// The SOAP fixture (4 KB, two scores) under another note id, version and client.
std::string soapNote(const std::string& id, int version = 1, const std::string& client = "C-1001") {
  std::string note = readFile(testDataDir() / "mappers" / "soap.note.json");
  replaceOnce(note, R"("noteId": "N-2025-0412")", R"("noteId": ")" + id + "\"");
  replaceOnce(note, R"("version": 1,)", R"("version": )" + std::to_string(version) + ",");
  replaceOnce(note, R"("id": "C-1001")", R"("id": ")" + client + "\"");
  return note;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(notes_api)

BOOST_AUTO_TEST_CASE(post_stores_the_note_its_fhir_and_its_deliveries) {
  NotesServer s;
  auto posted = s.call("POST", "/notes?destination=ehr-a", soapNote("N-1"));
  BOOST_REQUIRE_MESSAGE(posted.status == 201, posted.body);
  BOOST_TEST(posted.header("Location") == "/notes/N-1/versions/1");
  auto answer = json(posted);
  BOOST_TEST(answer->getValue<std::string>("id") == "N-1");
  BOOST_TEST(answer->getValue<int>("version") == 1);
  BOOST_TEST(answer->getValue<std::string>("status") == "signed");
  auto refs = answer->getObject("fhir");
  const std::string document = refs->getValue<std::string>("DocumentReference");
  BOOST_TEST(document.rfind("DocumentReference/", 0) == 0u);
  BOOST_TEST(refs->getArray("Observation")->size() == 2u);  // PHQ-9 and GAD-7
  const std::string patient = refs->getValue<std::string>("Patient");
  auto deliveries = answer->getArray("deliveries");
  BOOST_REQUIRE(deliveries->size() == 1u);
  BOOST_TEST(deliveries->getObject(0)->getValue<std::string>("destination") == "ehr-a");
  BOOST_TEST(deliveries->getObject(0)->getValue<std::string>("state") == "pending");

  // The resources are in the FHIR API, with the Bundle's urn:uuid references resolved.
  auto read = s.fhir("GET", "/fhir/" + document);
  BOOST_REQUIRE(read.status == 200);
  BOOST_TEST(json(read)->getObject("subject")->getValue<std::string>("reference") == patient);
  auto observations = s.fhir("GET", "/fhir/Observation?patient=" + patient);
  BOOST_TEST(json(observations)->getValue<int>("total") == 2);

  auto latest = s.call("GET", "/notes/N-1");
  BOOST_REQUIRE(latest.status == 200);
  auto note = json(latest);
  BOOST_TEST(note->getValue<std::string>("source") == "internal");
  BOOST_TEST(note->getObject("note")->getObject("client")->getValue<std::string>("id") == "C-1001");
  BOOST_TEST(note->getObject("fhir")->getValue<std::string>("DocumentReference") == document);
  BOOST_TEST(note->getArray("deliveries")->size() == 1u);
  BOOST_TEST(s.call("GET", "/notes/N-1/versions/1").status == 200);
  BOOST_TEST(s.call("GET", "/notes/N-1/versions/2").status == 404);
  BOOST_TEST(s.call("GET", "/notes/N-1/versions/x").status == 404);
  BOOST_TEST(s.call("GET", "/notes/unknown").status == 404);

  auto bundle = s.call("GET", "/notes/N-1/fhir");
  BOOST_REQUIRE(bundle.status == 200);
  BOOST_TEST(json(bundle)->getValue<std::string>("type") == "transaction");
  auto xml = s.call("GET", "/notes/N-1/fhir", {}, {{"Accept", "application/fhir+xml"}});
  BOOST_TEST(xml.status == 200);
  BOOST_TEST(xml.contentType.find("fhir+xml") != std::string::npos);
  BOOST_TEST(xml.body.rfind("<Bundle xmlns=\"http://hl7.org/fhir\">", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(the_fhir_bundle_is_the_one_mapped_at_post_byte_for_byte) {
  // Only the note is stored; GET /notes/{id}/fhir rebuilds its Bundle, which must be exactly
  // what the mapper made of the posted note (what forwarding sends).
  NotesServer s;
  for (const char* name : {"soap", "dap", "birp", "girp", "narrative"}) {
    BOOST_TEST_CONTEXT(name) {
      const std::string text =
          readFile(testDataDir() / "mappers" / (std::string(name) + ".note.json"));
      auto note = notebridge::mappers::parseNote(text);
      BOOST_REQUIRE(note.ok());
      auto mapped = notebridge::mappers::noteToFhir(*note);
      BOOST_REQUIRE(mapped.ok());
      auto posted = s.call("POST", "/notes?destination=ehr-a", text);
      BOOST_REQUIRE_MESSAGE(posted.status == 201, posted.body);
      auto bundle = s.call("GET", "/notes/" + note->noteId + "/fhir");
      BOOST_REQUIRE(bundle.status == 200);
      BOOST_TEST(bundle.body == notebridge::fhir::writeJson(**mapped));
    }
  }
}

BOOST_AUTO_TEST_CASE(a_new_version_updates_the_same_resources) {
  NotesServer s;
  auto v1 = json(s.call("POST", "/notes", soapNote("N-2", 1)));
  auto v2post = s.call("POST", "/notes", soapNote("N-2", 2));
  BOOST_REQUIRE(v2post.status == 201);
  auto v2 = json(v2post);
  const std::string patient = v1->getObject("fhir")->getValue<std::string>("Patient");
  BOOST_TEST(v2->getObject("fhir")->getValue<std::string>("Patient") == patient);
  // The client did not change: the Patient keeps its version instead of gaining a copy.
  BOOST_TEST(json(s.fhir("GET", "/fhir/" + patient + "/_history"))->getValue<int>("total") == 1);
  // A changed client (a new family name) is a new version of the same Patient.
  std::string renamed = soapNote("N-2", 3);
  replaceOnce(renamed, R"("family": "Rivera")", R"("family": "Rivera-Lopez")");
  BOOST_REQUIRE(s.call("POST", "/notes", renamed).status == 201);
  auto history = json(s.fhir("GET", "/fhir/" + patient + "/_history"));
  BOOST_TEST(history->getValue<int>("total") == 2);
  BOOST_TEST(json(s.fhir("GET", "/fhir/Patient"))->getValue<int>("total") == 1);
  BOOST_TEST(json(s.fhir("GET", "/fhir/" + patient))
                 ->getArray("name")
                 ->getObject(0)
                 ->getValue<std::string>("family") == "Rivera-Lopez");
  BOOST_TEST(json(s.call("GET", "/notes/N-2"))->getValue<int>("version") == 3);
  BOOST_TEST(json(s.fhir("GET", "/fhir/DocumentReference"))->getValue<int>("total") == 3);
}

BOOST_AUTO_TEST_CASE(same_content_replays_and_different_content_conflicts) {
  NotesServer s;
  auto first = s.call("POST", "/notes", soapNote("N-3"));
  BOOST_REQUIRE(first.status == 201);
  auto again = s.call("POST", "/notes", soapNote("N-3"));
  BOOST_TEST(again.status == 200);
  BOOST_TEST(again.body == first.body);
  BOOST_TEST(again.header("Location") == first.header("Location"));

  std::string changed = soapNote("N-3");
  replaceOnce(changed, "5-6 hours", "4 hours");
  auto conflict = s.call("POST", "/notes", changed);
  BOOST_TEST(conflict.status == 409);
  BOOST_TEST(firstIssue(conflict, "code") == "conflict");
  BOOST_TEST(json(s.call("GET", "/notes/N-3"))
                 ->getObject("note")
                 ->getObject("sections")
                 ->getValue<std::string>("subjective")
                 .find("5-6 hours") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(invalid_notes_are_refused_with_the_path) {
  NotesServer s;
  std::string unknown = soapNote("N-4");
  replaceOnce(unknown, R"("format": "SOAP",)", R"("format": "SOAP", "mood": "ok",)");
  auto refused = s.call("POST", "/notes", unknown);
  BOOST_TEST(refused.status == 422);
  BOOST_TEST(firstIssue(refused, "expression") == "mood");
  BOOST_TEST(json(refused)->getValue<std::string>("resourceType") == "OperationOutcome");

  BOOST_TEST(s.call("POST", "/notes", R"({"noteId": )").status == 400);

  // A psychotherapy note without an authorization may not be mapped (45 CFR 164.508).
  std::string psychotherapy = soapNote("N-5");
  replaceOnce(psychotherapy, R"("format": "SOAP",)",
              R"("format": "SOAP", "sensitivity": {"psychotherapyNote": true},)");
  auto unmapped = s.call("POST", "/notes", psychotherapy);
  BOOST_TEST(unmapped.status == 422);

  auto nowhere = s.call("POST", "/notes?destination=ehr-b", soapNote("N-6"));
  BOOST_TEST(nowhere.status == 422);
  BOOST_TEST(firstIssue(nowhere, "expression") == "destination");
  // Nothing of the refused notes was stored.
  BOOST_TEST(json(s.call("GET", "/notes"))->getArray("notes")->size() == 0u);
  BOOST_TEST(json(s.fhir("GET", "/fhir/DocumentReference"))->getValue<int>("total") == 0);
}

BOOST_AUTO_TEST_CASE(drafts_are_stored_but_not_mapped_or_routed) {
  NotesServer s;
  std::string draft = soapNote("N-7");
  replaceOnce(draft, R"("status": "signed")", R"("status": "draft")");
  auto posted = s.call("POST", "/notes?destination=ehr-a", draft);
  BOOST_REQUIRE_MESSAGE(posted.status == 201, posted.body);
  BOOST_TEST(json(posted)->getArray("deliveries")->size() == 0u);
  BOOST_TEST(json(posted)->getObject("fhir")->size() == 0u);
  BOOST_TEST(json(s.call("GET", "/notes/N-7"))->getValue<std::string>("status") == "draft");
  BOOST_TEST(s.call("GET", "/notes/N-7/fhir").status == 404);
  BOOST_TEST(json(s.fhir("GET", "/fhir/DocumentReference"))->getValue<int>("total") == 0);
}

BOOST_AUTO_TEST_CASE(notes_need_an_api_key) {
  NotesServer s;
  auto none = notebridge::testing::httpRequest(s.port, "POST", "/notes", soapNote("N-8"));
  BOOST_TEST(none.status == 401);
  auto wrong = notebridge::testing::httpRequest(s.port, "GET", "/notes", {},
                                                {{"X-API-Key", "nb_000000000000_nope"}});
  BOOST_TEST(wrong.status == 401);
  auto jwt =
      notebridge::testing::httpRequest(s.port, "GET", "/notes", {}, {{"Authorization", s.bearer}});
  BOOST_TEST(jwt.status == 401);
  // And FHIR routes refuse the API key.
  BOOST_TEST(s.call("GET", "/fhir/DocumentReference").status == 401);
}

BOOST_AUTO_TEST_CASE(list_filters_and_pages_with_a_cursor) {
  NotesServer s;
  for (int i = 0; i < 5; ++i) {
    BOOST_REQUIRE(
        s.call("POST", "/notes", soapNote("L-" + std::to_string(i), 1, i < 3 ? "C-A" : "C-B"))
            .status == 201);
  }
  std::string draft = soapNote("L-draft", 1, "C-A");
  replaceOnce(draft, R"("status": "signed")", R"("status": "draft")");
  BOOST_REQUIRE(s.call("POST", "/notes", draft).status == 201);

  std::set<std::string> seen;
  std::string next = "/notes?client=C-A&_count=2";
  int pages = 0;
  while (!next.empty()) {
    auto page = s.call("GET", next);
    BOOST_REQUIRE_MESSAGE(page.status == 200, page.body);
    auto body = json(page);
    auto notes = body->getArray("notes");
    BOOST_TEST(notes->size() <= 2u);
    for (std::size_t i = 0; i < notes->size(); ++i) {
      BOOST_TEST(notes->getObject(i)->getValue<std::string>("clientId") == "C-A");
      seen.insert(notes->getObject(i)->getValue<std::string>("id"));
    }
    next = body->has("next") ? body->getValue<std::string>("next") : "";
    BOOST_REQUIRE(++pages < 10);
  }
  BOOST_TEST(pages == 2);
  BOOST_TEST(seen == (std::set<std::string>{"L-0", "L-1", "L-2", "L-draft"}));

  auto drafts = json(s.call("GET", "/notes?status=draft"))->getArray("notes");
  BOOST_REQUIRE(drafts->size() == 1u);
  BOOST_TEST(drafts->getObject(0)->getValue<std::string>("id") == "L-draft");
  BOOST_TEST(json(s.call("GET", "/notes?since=2999-01-01"))->getArray("notes")->size() == 0u);
  BOOST_TEST(json(s.call("GET", "/notes?since=2000-01-01"))->getArray("notes")->size() == 6u);
  BOOST_TEST(s.call("GET", "/notes?colour=red").status == 400);
  BOOST_TEST(s.call("GET", "/notes?cursor=garbage").status == 400);
  BOOST_TEST(s.call("GET", "/notes?_count=0").status == 400);
}

BOOST_AUTO_TEST_CASE(parallel_identical_posts_store_one_note) {
  NotesServer s;
  const std::string note = soapNote("P-1");
  std::vector<std::future<int>> posts;
  for (int i = 0; i < 8; ++i) {
    posts.push_back(std::async(std::launch::async, [&] {
      return notebridge::testing::httpRequest(s.port, "POST", "/notes?destination=ehr-a", note,
                                              {{"X-API-Key", s.apiKey}}, "application/json")
          .status;
    }));
  }
  std::multiset<int> statuses;
  for (auto& post : posts) statuses.insert(post.get());
  BOOST_TEST(statuses.count(201) == 1u);
  BOOST_TEST(statuses.count(200) == 7u);
  BOOST_TEST(json(s.call("GET", "/notes"))->getArray("notes")->size() == 1u);
  auto deliveries = s.store->noteDeliveries("P-1", 1);
  BOOST_TEST(deliveries->size() == 1u);
  BOOST_TEST(json(s.fhir("GET", "/fhir/DocumentReference"))->getValue<int>("total") == 1);
}

BOOST_AUTO_TEST_CASE(an_inbound_document_reference_becomes_one_note) {
  NotesServer s;
  const std::string document = readFile(testDataDir() / "mappers" / "foreign-birp.fhir.json");
  auto created =
      s.fhir("POST", "/fhir/DocumentReference", document, {{"Prefer", "return=OperationOutcome"}});
  BOOST_REQUIRE_MESSAGE(created.status == 201, created.body);
  BOOST_TEST(created.body.find("source inbound") != std::string::npos);

  auto inbound = json(s.call("GET", "/notes?source=inbound"))->getArray("notes");
  BOOST_REQUIRE(inbound->size() == 1u);
  auto note = inbound->getObject(0);
  BOOST_TEST(note->getValue<std::string>("source") == "inbound");
  BOOST_TEST(note->getObject("note")->getValue<std::string>("format") == "BIRP");
  const std::string id = note->getValue<std::string>("id");

  // Posting the same document again creates a second FHIR resource but not a second note.
  BOOST_TEST(s.fhir("POST", "/fhir/DocumentReference", document).status == 201);
  BOOST_TEST(json(s.call("GET", "/notes?source=inbound"))->getArray("notes")->size() == 1u);
  auto read = s.call("GET", "/notes/" + id);
  BOOST_TEST(read.status == 200);
  BOOST_TEST(json(read)->getValue<std::string>("source") == "inbound");
}

BOOST_AUTO_TEST_CASE(notes_over_https) {
  NotesServer s(true);
  Poco::Net::initializeSSL();
  Poco::Net::Context::Params params;
  params.caLocation = (testPki() / "ca.pem").string();
  params.verificationMode = Poco::Net::Context::VERIFY_RELAXED;
  Poco::Net::Context::Ptr context =
      new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
  Poco::Net::SSLManager::instance().initializeClient(
      nullptr, new Poco::Net::RejectCertificateHandler(false), context);
  Poco::Net::HTTPSClientSession session("localhost", s.port, context);
  auto posted = notebridge::testing::httpRequest(session, "POST", "/notes", soapNote("T-1"),
                                                 {{"X-API-Key", s.apiKey}}, "application/json");
  BOOST_TEST(posted.status == 201);
  auto read = notebridge::testing::httpRequest(session, "GET", "/notes/T-1", {},
                                               {{"X-API-Key", s.apiKey}}, {});
  BOOST_TEST(read.status == 200);
  BOOST_TEST(json(read)->getValue<std::string>("id") == "T-1");
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

const std::string kPatientEntry =
    R"({"fullUrl":"urn:uuid:0b5c2a4e-0000-4000-8000-000000000001",)"
    R"("resource":{"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"B-1"}],)"
    R"("name":[{"family":"Rivera"}]},"request":{"method":"POST","url":"Patient",)"
    R"("ifNoneExist":"identifier=urn:mrn|B-1"}})";

std::string observationEntry(const std::string& status = "final") {
  return R"({"fullUrl":"urn:uuid:0b5c2a4e-0000-4000-8000-000000000002",)"
         R"("resource":{"resourceType":"Observation","status":")" +
         status +
         R"(","category":[{"coding":[{"system":)"
         R"("http://terminology.hl7.org/CodeSystem/observation-category","code":"survey"}]}],)"
         R"("code":{"coding":[{"system":"http://loinc.org","code":"44261-6"}]},)"
         R"("subject":{"reference":"urn:uuid:0b5c2a4e-0000-4000-8000-000000000001"},)"
         R"("effectiveDateTime":"2025-03-04T15:00:00-05:00","valueInteger":12},)"
         R"("request":{"method":"POST","url":"Observation"}})";
}

std::string bundleOf(const std::string& type, const std::vector<std::string>& entries) {
  std::string out = R"({"resourceType":"Bundle","type":")" + type + R"(","entry":[)";
  for (std::size_t i = 0; i < entries.size(); ++i) out += (i ? "," : "") + entries[i];
  return out + "]}";
}

std::string entryStatus(const Object::Ptr& bundle, std::size_t i) {
  return bundle->getArray("entry")
      ->getObject(i)
      ->getObject("response")
      ->getValue<std::string>("status");
}

int totalOf(NotesServer& s, const std::string& search) {
  return json(s.fhir("GET", "/fhir/" + search))->getValue<int>("total");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(fhir_bundles)

BOOST_AUTO_TEST_CASE(a_transaction_resolves_fullurls_and_conditional_creates) {
  NotesServer s;
  auto answered =
      s.fhir("POST", "/fhir", bundleOf("transaction", {kPatientEntry, observationEntry()}));
  BOOST_REQUIRE_MESSAGE(answered.status == 200, answered.body);
  auto bundle = json(answered);
  BOOST_TEST(bundle->getValue<std::string>("type") == "transaction-response");
  BOOST_TEST(entryStatus(bundle, 0) == "201 Created");
  BOOST_TEST(entryStatus(bundle, 1) == "201 Created");
  auto patient = bundle->getArray("entry")->getObject(0)->getObject("resource");
  const std::string patientId = patient->getValue<std::string>("id");
  auto observation = bundle->getArray("entry")->getObject(1)->getObject("resource");
  BOOST_TEST(observation->getObject("subject")->getValue<std::string>("reference") ==
             "Patient/" + patientId);
  BOOST_TEST(totalOf(s, "Observation?patient=" + patientId) == 1);

  // Again: the Patient matches its ifNoneExist (200, same id), the Observation is new.
  auto again =
      json(s.fhir("POST", "/fhir", bundleOf("transaction", {kPatientEntry, observationEntry()})));
  BOOST_TEST(entryStatus(again, 0) == "200 OK");
  auto second = again->getArray("entry")->getObject(1)->getObject("resource");
  BOOST_TEST(second->getObject("subject")->getValue<std::string>("reference") ==
             "Patient/" + patientId);
  BOOST_TEST(totalOf(s, "Patient") == 1);
  BOOST_TEST(totalOf(s, "Observation") == 2);
}

BOOST_AUTO_TEST_CASE(a_failing_entry_rolls_the_whole_transaction_back) {
  NotesServer s;
  auto invalid =
      s.fhir("POST", "/fhir", bundleOf("transaction", {kPatientEntry, observationEntry("bogus")}));
  BOOST_TEST(invalid.status == 422);
  BOOST_TEST(firstIssue(invalid, "expression").rfind("Bundle.entry[1].resource", 0) == 0u);
  BOOST_TEST(totalOf(s, "Patient") == 0);

  // A precondition failing in the store (If-Match on a resource that does not exist) after
  // the Patient was written: nothing stays.
  const std::string stale =
      R"({"resource":{"resourceType":"Patient","id":"p-9","name":[{"family":"Okafor"}]},)"
      R"("request":{"method":"PUT","url":"Patient/p-9","ifMatch":"W/\"3\""}})";
  auto conflict = s.fhir("POST", "/fhir", bundleOf("transaction", {kPatientEntry, stale}));
  BOOST_TEST(conflict.status == 412);
  BOOST_TEST(totalOf(s, "Patient") == 0);

  BOOST_TEST(s.fhir("POST", "/fhir", bundleOf("collection", {kPatientEntry})).status == 400);
}

BOOST_AUTO_TEST_CASE(a_batch_answers_each_entry) {
  NotesServer s;
  const std::string missing = R"({"request":{"method":"GET","url":"Patient/does-not-exist"}})";
  auto answered = s.fhir("POST", "/fhir",
                         bundleOf("batch", {kPatientEntry, observationEntry("bogus"), missing}));
  BOOST_REQUIRE_MESSAGE(answered.status == 200, answered.body);
  auto bundle = json(answered);
  BOOST_TEST(bundle->getValue<std::string>("type") == "batch-response");
  BOOST_TEST(entryStatus(bundle, 0) == "201 Created");
  BOOST_TEST(entryStatus(bundle, 1) == "422 Unprocessable Entity");
  BOOST_TEST(entryStatus(bundle, 2) == "404 Not Found");
  BOOST_TEST(bundle->getArray("entry")->getObject(1)->getObject("response")->has("outcome"));
  BOOST_TEST(totalOf(s, "Patient") == 1);
  BOOST_TEST(totalOf(s, "Observation") == 0);
}

BOOST_AUTO_TEST_CASE(scopes_are_checked_per_entry) {
  NotesServer s;
  const std::string onlyPatients = s.token("system/Patient.cruds");
  auto transaction = notebridge::testing::httpRequest(
      s.port, "POST", "/fhir", bundleOf("transaction", {kPatientEntry, observationEntry()}),
      {{"Authorization", onlyPatients}});
  BOOST_TEST(transaction.status == 403);
  BOOST_TEST(totalOf(s, "Patient") == 0);
  auto batch = notebridge::testing::httpRequest(
      s.port, "POST", "/fhir", bundleOf("batch", {kPatientEntry, observationEntry()}),
      {{"Authorization", onlyPatients}});
  BOOST_REQUIRE(batch.status == 200);
  BOOST_TEST(entryStatus(json(batch), 0) == "201 Created");
  BOOST_TEST(entryStatus(json(batch), 1) == "403 Forbidden");
}

BOOST_AUTO_TEST_CASE(a_narrowed_scope_shows_only_matching_resources) {
  NotesServer s;
  auto created =
      json(s.fhir("POST", "/fhir", bundleOf("transaction", {kPatientEntry, observationEntry()})));
  const std::string survey =
      created->getArray("entry")->getObject(1)->getObject("resource")->getValue<std::string>("id");
  std::string lab = observationEntry();
  replaceOnce(lab, R"("code":"survey")", R"("code":"laboratory")");
  replaceOnce(lab, R"("subject":{"reference":"urn:uuid:0b5c2a4e-0000-4000-8000-000000000001"},)",
              "");
  auto labAnswer = json(s.fhir("POST", "/fhir", bundleOf("batch", {lab})));
  const std::string labId = labAnswer->getArray("entry")
                                ->getObject(0)
                                ->getObject("resource")
                                ->getValue<std::string>("id");
  BOOST_TEST(totalOf(s, "Observation") == 2);

  const std::string narrowed = s.token(
      "system/Observation.rs?category=http://terminology.hl7.org/CodeSystem/"
      "observation-category|survey");
  auto call = [&](const std::string& method, const std::string& path) {
    return notebridge::testing::httpRequest(s.port, method, path, {},
                                            {{"Authorization", narrowed}});
  };
  auto search = call("GET", "/fhir/Observation");
  BOOST_REQUIRE_MESSAGE(search.status == 200, search.body);
  BOOST_TEST(json(search)->getValue<int>("total") == 1);
  BOOST_TEST(json(call("GET", "/fhir/Observation?code=44261-6"))->getValue<int>("total") == 1);
  BOOST_TEST(call("GET", "/fhir/Observation/" + survey).status == 200);
  BOOST_TEST(call("GET", "/fhir/Observation/" + labId).status == 403);
  BOOST_TEST(call("GET", "/fhir/Observation/" + labId + "/_history/1").status == 403);
  auto history = call("GET", "/fhir/Observation/" + survey + "/_history");
  BOOST_REQUIRE_MESSAGE(history.status == 200, history.body);
  BOOST_TEST(json(history)->getValue<int>("total") == 1);
  BOOST_TEST(call("GET", "/fhir/Observation/" + labId + "/_history").status == 403);
  BOOST_TEST(call("GET", "/fhir/Patient").status == 403);
  // A narrowed scope that names an unknown parameter shows nothing.
  auto unknown = notebridge::testing::httpRequest(
      s.port, "GET", "/fhir/Observation", {},
      {{"Authorization", s.token("system/Observation.rs?colour=red")}});
  BOOST_TEST(unknown.status == 403);
}

BOOST_AUTO_TEST_CASE(the_capability_statement_lists_batch_and_transaction) {
  NotesServer s;
  auto metadata = s.fhir("GET", "/fhir/metadata").body;
  BOOST_TEST(metadata.find(R"("code":"transaction")") != std::string::npos);
  BOOST_TEST(metadata.find(R"("code":"batch")") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_bundle_with_a_document_reference_becomes_a_note) {
  NotesServer s;
  const std::string document = readFile(testDataDir() / "mappers" / "foreign-birp.fhir.json");
  const std::string entry = R"({"fullUrl":"urn:uuid:0b5c2a4e-0000-4000-8000-000000000009",)"
                            R"("resource":)" +
                            document + R"(,"request":{"method":"POST","url":"DocumentReference"}})";
  auto answered = s.fhir("POST", "/fhir", bundleOf("transaction", {entry}));
  BOOST_REQUIRE_MESSAGE(answered.status == 200, answered.body);
  BOOST_TEST(answered.body.find("source inbound") != std::string::npos);
  BOOST_TEST(json(s.call("GET", "/notes?source=inbound"))->getArray("notes")->size() == 1u);
  // The same Bundle again gives no second note.
  BOOST_TEST(s.fhir("POST", "/fhir", bundleOf("transaction", {entry})).status == 200);
  BOOST_TEST(json(s.call("GET", "/notes?source=inbound"))->getArray("notes")->size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

// A resource id from a create's answer.
std::string createdId(const HttpResult& result) {
  BOOST_REQUIRE_MESSAGE(result.status == 201, result.body);
  return json(result)->getValue<std::string>("id");
}

// A survey or laboratory Observation (optionally with its id, for an update).
std::string categorized(const std::string& category, const std::string& id = {}) {
  return R"({"resourceType":"Observation",)" + (id.empty() ? "" : R"("id":")" + id + R"(",)") +
         R"("status":"final","category":[{"coding":[{"system":)"
         R"("http://terminology.hl7.org/CodeSystem/observation-category","code":")" +
         category +
         R"("}]}],"code":{"coding":[{"system":"http://loinc.org","code":"44261-6"}]},)"
         R"("valueInteger":12})";
}

std::vector<std::string> entryEtags(const Object::Ptr& bundle) {
  std::vector<std::string> etags;
  auto entries = bundle->getArray("entry");
  for (std::size_t i = 0; entries && i < entries->size(); ++i) {
    etags.push_back(entries->getObject(static_cast<unsigned>(i))
                        ->getObject("response")
                        ->getValue<std::string>("etag"));
  }
  return etags;
}

constexpr const char* kSurveyScope =
    "system/Observation.rs?category=http://terminology.hl7.org/CodeSystem/"
    "observation-category|survey";

}  // namespace

BOOST_AUTO_TEST_SUITE(narrowed_scopes)

BOOST_AUTO_TEST_CASE(vread_and_history_judge_each_version_by_its_own_content) {
  NotesServer s;
  // Survey at version 1, laboratory at version 2; and the other way round.
  const std::string wasSurvey =
      createdId(s.fhir("POST", "/fhir/Observation", categorized("survey")));
  BOOST_REQUIRE(
      s.fhir("PUT", "/fhir/Observation/" + wasSurvey, categorized("laboratory", wasSurvey))
          .status == 200);
  const std::string nowSurvey =
      createdId(s.fhir("POST", "/fhir/Observation", categorized("laboratory")));
  BOOST_REQUIRE(
      s.fhir("PUT", "/fhir/Observation/" + nowSurvey, categorized("survey", nowSurvey)).status ==
      200);

  const std::string narrowed = s.token(kSurveyScope);
  auto call = [&](const std::string& path) {
    return notebridge::testing::httpRequest(s.port, "GET", path, {}, {{"Authorization", narrowed}});
  };
  BOOST_TEST(call("/fhir/Observation/" + wasSurvey).status == 403);
  auto v1 = call("/fhir/Observation/" + wasSurvey + "/_history/1");
  BOOST_TEST(v1.status == 200);
  BOOST_TEST(v1.body.find("\"survey\"") != std::string::npos);
  BOOST_TEST(call("/fhir/Observation/" + wasSurvey + "/_history/2").status == 403);
  BOOST_TEST(call("/fhir/Observation/" + nowSurvey).status == 200);
  BOOST_TEST(call("/fhir/Observation/" + nowSurvey + "/_history/1").status == 403);
  BOOST_TEST(call("/fhir/Observation/" + nowSurvey + "/_history/2").status == 200);

  auto instance = call("/fhir/Observation/" + wasSurvey + "/_history");
  BOOST_REQUIRE_MESSAGE(instance.status == 200, instance.body);
  BOOST_TEST(json(instance)->getValue<int>("total") == 1);
  BOOST_TEST((entryEtags(json(instance)) == std::vector<std::string>{"W/\"1\""}));
  BOOST_TEST(instance.body.find("laboratory") == std::string::npos);

  auto type = call("/fhir/Observation/_history");
  BOOST_REQUIRE_MESSAGE(type.status == 200, type.body);
  BOOST_TEST(json(type)->getValue<int>("total") == 2);
  BOOST_TEST(type.body.find("laboratory") == std::string::npos);
  // Unnarrowed, every version shows.
  BOOST_TEST(json(s.fhir("GET", "/fhir/Observation/_history"))->getValue<int>("total") == 4);
  // A narrowed scope for another type grants no history here.
  auto other = notebridge::testing::httpRequest(
      s.port, "GET", "/fhir/Observation/_history", {},
      {{"Authorization", s.token("system/Patient.rs?gender=female")}});
  BOOST_TEST(other.status == 403);
}

BOOST_AUTO_TEST_CASE(bundle_reads_are_narrowed_like_the_same_requests_alone) {
  NotesServer s;
  const std::string survey = createdId(s.fhir("POST", "/fhir/Observation", categorized("survey")));
  const std::string lab = createdId(s.fhir("POST", "/fhir/Observation", categorized("laboratory")));
  auto get = [](const std::string& url) {
    return R"({"request":{"method":"GET","url":")" + url + R"("}})";
  };
  const std::string narrowed = s.token(kSurveyScope);
  for (const char* kind : {"batch", "transaction"}) {
    BOOST_TEST_CONTEXT(kind) {
      auto answered = notebridge::testing::httpRequest(
          s.port, "POST", "/fhir",
          bundleOf(kind, {get("Observation/" + survey), get("Observation/" + lab),
                          get("Observation?code=44261-6")}),
          {{"Authorization", narrowed}});
      BOOST_REQUIRE_MESSAGE(answered.status == 200, answered.body);
      auto bundle = json(answered);
      BOOST_TEST(entryStatus(bundle, 0) == "200 OK");
      BOOST_TEST(entryStatus(bundle, 1) == "403 Forbidden");
      auto searchset = bundle->getArray("entry")->getObject(2)->getObject("resource");
      BOOST_TEST(entryStatus(bundle, 2) == "200 OK");
      BOOST_TEST(searchset->getValue<int>("total") == 1);
      BOOST_TEST(answered.body.find("laboratory") == std::string::npos);
    }
  }
  // Writes are not widened by a narrowed grant: the entry is refused.
  auto write = notebridge::testing::httpRequest(s.port, "POST", "/fhir",
                                                bundleOf("batch", {observationEntry()}),
                                                {{"Authorization", narrowed}});
  BOOST_REQUIRE(write.status == 200);
  BOOST_TEST(entryStatus(json(write), 0) == "403 Forbidden");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(note_ids_in_paths)

BOOST_AUTO_TEST_CASE(an_id_with_a_slash_is_read_back_percent_encoded) {
  NotesServer s;
  const std::string id = "2026/04 N?7#a%b";
  auto posted = s.call("POST", "/notes", soapNote(id));
  BOOST_REQUIRE_MESSAGE(posted.status == 201, posted.body);
  const std::string encoded = "2026%2F04%20N%3F7%23a%25b";
  BOOST_TEST(posted.header("Location") == "/notes/" + encoded + "/versions/1");
  auto latest = s.call("GET", "/notes/" + encoded);
  BOOST_REQUIRE_MESSAGE(latest.status == 200, latest.body);
  BOOST_TEST(json(latest)->getValue<std::string>("id") == id);
  BOOST_TEST(s.call("GET", posted.header("Location")).status == 200);
  BOOST_TEST(s.call("GET", "/notes/" + encoded + "/fhir").status == 200);
  // Unencoded, the slash makes another path: no such endpoint.
  BOOST_TEST(s.call("GET", "/notes/2026/04").status == 404);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(inbound_atomicity)

BOOST_AUTO_TEST_CASE(a_failing_note_write_leaves_no_resource_behind) {
  NotesServer s;
  {
    // The database refuses every note row from now on, as a full disk or a bug would.
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::Session db("SQLite", s.store->file().string());
    db << "CREATE TRIGGER refuse_notes BEFORE INSERT ON notes "
          "BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
        Poco::Data::Keywords::now;
  }
  const std::string document = readFile(testDataDir() / "mappers" / "foreign-birp.fhir.json");
  auto created = s.fhir("POST", "/fhir/DocumentReference", document);
  BOOST_TEST(created.status == 500);
  BOOST_TEST(s.fhir("PUT", "/fhir/DocumentReference/epic-123", document).status == 500);
  const std::string entry = R"({"fullUrl":"urn:uuid:0b5c2a4e-0000-4000-8000-000000000009",)"
                            R"("resource":)" +
                            document + R"(,"request":{"method":"POST","url":"DocumentReference"}})";
  BOOST_TEST(s.fhir("POST", "/fhir", bundleOf("transaction", {kPatientEntry, entry})).status ==
             500);
  auto batch = s.fhir("POST", "/fhir", bundleOf("batch", {entry}));
  BOOST_REQUIRE(batch.status == 200);
  BOOST_TEST(entryStatus(json(batch), 0) == "500");

  BOOST_TEST(totalOf(s, "DocumentReference") == 0);
  BOOST_TEST(totalOf(s, "AuditEvent") == 0);
  BOOST_TEST(totalOf(s, "Patient") == 0);
  BOOST_TEST(s.fhir("GET", "/fhir/DocumentReference/epic-123").status == 404);
  BOOST_TEST(json(s.call("GET", "/notes"))->getArray("notes")->size() == 0u);

  // Once notes can be written again, the same document is stored with its note.
  Poco::Data::Session db("SQLite", s.store->file().string());
  db << "DROP TRIGGER refuse_notes", Poco::Data::Keywords::now;
  BOOST_TEST(s.fhir("POST", "/fhir/DocumentReference", document).status == 201);
  BOOST_TEST(totalOf(s, "DocumentReference") == 1);
  BOOST_TEST(totalOf(s, "AuditEvent") == 1);
  BOOST_TEST(json(s.call("GET", "/notes"))->getArray("notes")->size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

// The FHIR REST API over real HTTP: create, read, vread, update, history, search, conditional
// create, versions, content negotiation, and errors.
#include <Poco/JSON/Parser.h>

#include <boost/test/unit_test.hpp>
#include <ctime>
#include <future>
#include <set>

#include "http_client.h"
#include "notebridge/gateway/gateway_server.h"
#include "notebridge/gateway/jwt.h"
#include "notebridge/gateway/sqlite_store.h"
#include "shared_registry.h"
#include "temp_dir.h"
#include "test_pki.h"

using namespace notebridge::gateway;
using notebridge::testing::HttpResult;
using notebridge::testing::readFile;
using notebridge::testing::TempDir;
using notebridge::testing::testPki;
using Poco::JSON::Object;

namespace {

constexpr const char* kJson = "application/fhir+json";
constexpr const char* kXml = "application/fhir+xml";

struct FhirServer {
  FhirServer() { start(); }
  ~FhirServer() { stop(); }
  void start() {
    GatewayConfig config;
    config.port = 0;
    config.threads = 8;
    config.dataDir = dir.path();
    config.jwtKeyFiles = {testPki() / "rsa.pub.pem"};
    store = *SqliteStore::open(config.effectiveDatabasePath());
    server = std::make_unique<GatewayServer>(config, store, notebridge::testing::sharedRegistry(),
                                             notebridge::testing::sharedValidator());
    BOOST_REQUIRE(server->start().empty());
    port = server->port();
    auto token = signJwt("RS384", readFile(testPki() / "rsa.key"), "",
                         R"({"sub":"test","exp":)" + std::to_string(std::time(nullptr) + 600) +
                             R"(,"scope":"system/*.cruds"})");
    authorization = "Bearer " + *token;
  }
  void stop() {
    server->stop();
    store->close();
  }
  HttpResult call(const std::string& method, const std::string& path, const std::string& body = {},
                  std::map<std::string, std::string> headers = {},
                  const std::string& contentType = kJson) {
    headers["Authorization"] = authorization;
    return notebridge::testing::httpRequest(port, method, path, body, headers, contentType);
  }

  TempDir dir;
  std::shared_ptr<SqliteStore> store;
  std::unique_ptr<GatewayServer> server;
  std::uint16_t port = 0;
  std::string authorization;
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

const std::string kPatient =
    R"({"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"M1"}],)"
    R"("name":[{"family":"Rivera","given":["Ana"]}],"gender":"female","birthDate":"1990-04-02"})";

std::string observation(const std::string& patient, const std::string& code,
                        const std::string& date, int score) {
  return R"({"resourceType":"Observation","status":"final","category":[{"coding":[{"system":)"
         R"("http://terminology.hl7.org/CodeSystem/observation-category","code":"survey"}]}],)"
         R"("code":{"coding":[{"system":"http://loinc.org","code":")" +
         code +
         R"("}]},)"
         R"("subject":{"reference":"Patient/)" +
         patient + R"("},"effectiveDateTime":")" + date + R"(","valueInteger":)" +
         std::to_string(score) + "}";
}

int total(const HttpResult& result) { return json(result)->getValue<int>("total"); }

}  // namespace

BOOST_AUTO_TEST_SUITE(fhir_api)

BOOST_AUTO_TEST_CASE(create_read_update_vread_and_history) {
  FhirServer s;
  auto created = s.call("POST", "/fhir/Patient", kPatient);
  BOOST_REQUIRE(created.status == 201);
  BOOST_TEST(created.header("ETag") == "W/\"1\"");
  auto patient = json(created);
  const std::string id = patient->getValue<std::string>("id");
  BOOST_TEST(created.header("Location").find("/fhir/Patient/" + id + "/_history/1") !=
             std::string::npos);
  BOOST_TEST(patient->getObject("meta")->getValue<std::string>("versionId") == "1");
  BOOST_TEST(!created.header("Last-Modified").empty());

  auto read = s.call("GET", "/fhir/Patient/" + id);
  BOOST_TEST(read.status == 200);
  BOOST_TEST(read.body == created.body);

  std::string updated = kPatient;
  updated.insert(1, R"("id":")" + id + R"(",)");
  updated.replace(updated.find("female"), 6, "other");
  auto update = s.call("PUT", "/fhir/Patient/" + id, updated, {{"If-Match", "W/\"1\""}});
  BOOST_TEST(update.status == 200);
  BOOST_TEST(update.header("ETag") == "W/\"2\"");
  BOOST_TEST(json(update)->getValue<std::string>("gender") == "other");

  auto stale = s.call("PUT", "/fhir/Patient/" + id, updated, {{"If-Match", "W/\"1\""}});
  BOOST_TEST(stale.status == 412);
  BOOST_TEST(firstIssue(stale, "code") == "conflict");

  auto v1 = s.call("GET", "/fhir/Patient/" + id + "/_history/1");
  BOOST_TEST(v1.status == 200);
  BOOST_TEST(json(v1)->getValue<std::string>("gender") == "female");
  BOOST_TEST(s.call("GET", "/fhir/Patient/" + id + "/_history/9").status == 404);

  auto history = json(s.call("GET", "/fhir/Patient/" + id + "/_history"));
  BOOST_TEST(history->getValue<std::string>("type") == "history");
  BOOST_TEST(history->getValue<int>("total") == 2);
  auto newest = history->getArray("entry")->getObject(0);
  BOOST_TEST(newest->getObject("request")->getValue<std::string>("method") == "PUT");
  BOOST_TEST(newest->getObject("response")->getValue<std::string>("etag") == "W/\"2\"");
  BOOST_TEST(json(s.call("GET", "/fhir/Patient/_history"))->getValue<int>("total") == 2);

  // An update to an id that does not exist yet creates it (client-assigned id).
  std::string other = kPatient;
  other.insert(1, R"("id":"client-chosen-1",)");
  BOOST_TEST(s.call("PUT", "/fhir/Patient/client-chosen-1", other).status == 201);
}

BOOST_AUTO_TEST_CASE(xml_in_and_out) {
  FhirServer s;
  const std::string xml =
      R"(<Patient xmlns="http://hl7.org/fhir"><name><family value="Okafor"/></name>)"
      R"(<birthDate value="1985-11-30"/></Patient>)";
  auto created = s.call("POST", "/fhir/Patient", xml, {{"Accept", kXml}}, kXml);
  BOOST_REQUIRE(created.status == 201);
  BOOST_TEST(created.contentType == "application/fhir+xml; charset=utf-8");
  BOOST_TEST(created.body.find("<family value=\"Okafor\"/>") != std::string::npos);
  const std::string location = created.header("Location");
  const std::string path = location.substr(location.find("/fhir/"),
                                           location.find("/_history") - location.find("/fhir/"));
  auto asJson = s.call("GET", path + "?_format=json");
  BOOST_TEST(asJson.contentType == "application/fhir+json; charset=utf-8");
  BOOST_TEST(json(asJson)->getValue<std::string>("birthDate") == "1985-11-30");
  auto asXml = s.call("GET", path + "?_format=xml");
  BOOST_TEST(asXml.body.find("<birthDate value=\"1985-11-30\"/>") != std::string::npos);
  // Errors come back in the negotiated format too.
  auto missing = s.call("GET", "/fhir/Patient/nope", {}, {{"Accept", kXml}});
  BOOST_TEST(missing.status == 404);
  BOOST_TEST(missing.body.find("<OperationOutcome") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_requests_name_the_problem) {
  FhirServer s;
  auto garbage = s.call("POST", "/fhir/Patient", "{\"resourceType\":\"Patient\",");
  BOOST_TEST(garbage.status == 400);
  BOOST_TEST(json(garbage)->getValue<std::string>("resourceType") == "OperationOutcome");

  // An object where the type name goes: refused with the reason, and the server goes on.
  for (const char* body : {R"({"resourceType":{}})", R"({"resourceType":"Patient","contained":[)"
                                                     R"({"resourceType":{}}]})"}) {
    auto typeObject = s.call("POST", "/fhir/Patient", body);
    BOOST_TEST(typeObject.status == 400, body);
    BOOST_TEST(firstIssue(typeObject, "diagnostics").find("resourceType must be a string") !=
               std::string::npos);
  }
  BOOST_TEST(s.call("GET", "/fhir/metadata").status == 200);

  auto unknown = s.call("POST", "/fhir/Patient", R"({"resourceType":"Patient","colour":"blue"})");
  BOOST_TEST(unknown.status == 400);
  BOOST_TEST(firstIssue(unknown, "expression").find("Patient.colour") != std::string::npos);

  auto wrongType = s.call("POST", "/fhir/Patient",
                          R"({"resourceType":"Observation","status":"final","code":{"text":"x"}})");
  BOOST_TEST(wrongType.status == 400);
  BOOST_TEST(firstIssue(wrongType, "diagnostics").find("the URL names Patient") !=
             std::string::npos);

  BOOST_TEST(s.call("POST", "/fhir/Patient", "name=x", {}, "text/plain").status == 415);
  BOOST_TEST(s.call("GET", "/fhir/Medication/1").status == 404);
  BOOST_TEST(s.call("GET", "/fhir/Patient/1?_format=yaml").status == 406);

  std::string mismatched = kPatient;
  mismatched.insert(1, R"("id":"a",)");
  auto idMismatch = s.call("PUT", "/fhir/Patient/b", mismatched);
  BOOST_TEST(idMismatch.status == 400);
  BOOST_TEST(firstIssue(idMismatch, "diagnostics").find("'a' is not the URL's 'b'") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(search_by_parameters_with_paging) {
  FhirServer s;
  const std::string patient =
      json(s.call("POST", "/fhir/Patient", kPatient))->getValue<std::string>("id");
  const std::string other =
      json(s.call("POST", "/fhir/Patient", kPatient))->getValue<std::string>("id");
  for (int i = 0; i < 5; ++i) {
    const std::string date = "2026-0" + std::to_string(i + 1) + "-15T10:00:00Z";
    BOOST_REQUIRE(
        s.call("POST", "/fhir/Observation", observation(patient, "44261-6", date, 10 + i)).status ==
        201);
  }
  BOOST_REQUIRE(
      s.call("POST", "/fhir/Observation", observation(patient, "70274-6", "2026-02-01", 7))
          .status == 201);
  BOOST_REQUIRE(
      s.call("POST", "/fhir/Observation", observation(other, "44261-6", "2026-02-01", 3)).status ==
      201);

  BOOST_TEST(total(s.call("GET", "/fhir/Observation?patient=" + patient)) == 6);
  BOOST_TEST(total(s.call("GET", "/fhir/Observation?subject=Patient/" + patient)) == 6);
  BOOST_TEST(total(s.call("GET", "/fhir/Observation?code=http://loinc.org|44261-6")) == 6);
  BOOST_TEST(total(s.call("GET", "/fhir/Observation?patient=" + patient + "&code=44261-6")) == 5);
  BOOST_TEST(total(s.call("GET", "/fhir/Observation?code=44261-6,70274-6&patient=" + other)) == 1);
  BOOST_TEST(total(s.call("GET", "/fhir/Observation?category=survey")) == 7);
  BOOST_TEST(total(s.call("GET", "/fhir/Observation?patient=" + patient +
                                     "&date=ge2026-03-01&date=lt2026-05")) == 2);
  BOOST_TEST(total(s.call("GET", "/fhir/Observation?date=2026-02")) == 3);
  BOOST_TEST(total(s.call("GET", "/fhir/Patient?name=riv")) == 2);
  BOOST_TEST(total(s.call("GET", "/fhir/Patient?name:exact=Rivera")) == 2);
  BOOST_TEST(total(s.call("GET", "/fhir/Patient?name:exact=rivera")) == 0);
  BOOST_TEST(total(s.call("GET", "/fhir/Patient?identifier=urn:mrn|M1&birthdate=1990-04-02")) == 2);
  BOOST_TEST(total(s.call("GET", "/fhir/Patient?_id=" + other)) == 1);
  BOOST_TEST(total(s.call("GET", "/fhir/Patient?_lastUpdated=gt2000-01-01")) == 2);

  auto page1 = json(s.call("GET", "/fhir/Observation?patient=" + patient + "&_count=4&_sort=date"));
  BOOST_TEST(page1->getValue<int>("total") == 6);
  BOOST_TEST(page1->getArray("entry")->size() == 4u);
  auto first = page1->getArray("entry")->getObject(0)->getObject("resource");
  BOOST_TEST(first->getValue<std::string>("effectiveDateTime") == "2026-01-15T10:00:00Z");
  std::string next;
  auto links = page1->getArray("link");
  for (std::size_t i = 0; i < links->size(); ++i) {
    if (links->getObject(static_cast<unsigned>(i))->getValue<std::string>("relation") == "next") {
      next = links->getObject(static_cast<unsigned>(i))->getValue<std::string>("url");
    }
  }
  BOOST_REQUIRE(!next.empty());
  auto page2 = json(s.call("GET", next.substr(next.find("/fhir/"))));
  BOOST_TEST(page2->getArray("entry")->size() == 2u);
}

BOOST_AUTO_TEST_CASE(unknown_parameters_are_reported_or_refused) {
  FhirServer s;
  auto lenient = json(s.call("GET", "/fhir/Patient?shoe-size=9"));
  BOOST_TEST(lenient->getValue<int>("total") == 0);
  auto entries = lenient->getArray("entry");
  BOOST_REQUIRE(entries->size() == 1u);
  BOOST_TEST(entries->getObject(0)->getObject("search")->getValue<std::string>("mode") ==
             "outcome");
  auto strict = s.call("GET", "/fhir/Patient?shoe-size=9", {}, {{"Prefer", "handling=strict"}});
  BOOST_TEST(strict.status == 400);
  BOOST_TEST(firstIssue(strict, "diagnostics").find("shoe-size") != std::string::npos);
  BOOST_TEST(s.call("GET", "/fhir/Observation?date=yesterday").status == 400);
}

BOOST_AUTO_TEST_CASE(parallel_identical_conditional_creates_make_one_resource) {
  FhirServer s;
  std::vector<std::future<HttpResult>> calls;
  for (int i = 0; i < 8; ++i) {
    calls.push_back(std::async(std::launch::async, [&s] {
      return s.call("POST", "/fhir/Patient", kPatient,
                    {{"If-None-Exist", "identifier=urn:mrn|M1"}});
    }));
  }
  int created = 0, matched = 0;
  std::set<std::string> ids;
  for (auto& call : calls) {
    auto result = call.get();
    if (result.status == 201) ++created;
    if (result.status == 200) ++matched;
    ids.insert(json(result)->getValue<std::string>("id"));
  }
  BOOST_TEST(created == 1);
  BOOST_TEST(matched == 7);
  BOOST_TEST(ids.size() == 1u);
  BOOST_TEST(total(s.call("GET", "/fhir/Patient?identifier=urn:mrn|M1")) == 1);
}

BOOST_AUTO_TEST_CASE(invalid_resources_are_refused_with_422_naming_the_element) {
  FhirServer s;
  // Parses as FHIR, but breaks rules: Observation.status is 1..1 and gender is a required code.
  auto missingStatus = s.call("POST", "/fhir/Observation",
                              R"({"resourceType":"Observation","code":{"text":"PHQ-9"}})");
  BOOST_TEST(missingStatus.status == 422);
  BOOST_TEST(missingStatus.body.find("Observation.status") != std::string::npos);
  auto badCode =
      s.call("POST", "/fhir/Patient", R"({"resourceType":"Patient","gender":"sometimes"})");
  BOOST_TEST(badCode.status == 422);
  BOOST_TEST(badCode.body.find("Patient.gender") != std::string::npos);
  BOOST_TEST(total(s.call("GET", "/fhir/Patient")) == 0);  // nothing half-written
}

BOOST_AUTO_TEST_CASE(validate_operation_answers_with_the_outcome) {
  FhirServer s;
  auto good = s.call("POST", "/fhir/Patient/$validate", kPatient);
  BOOST_TEST(good.status == 200);
  BOOST_TEST(good.body.find("\"severity\":\"error\"") == std::string::npos);
  auto bad =
      s.call("POST", "/fhir/$validate", R"({"resourceType":"Observation","code":{"text":"x"}})");
  BOOST_TEST(bad.status == 200);
  BOOST_TEST(bad.body.find("Observation.status") != std::string::npos);
  auto wrongType = s.call("POST", "/fhir/Patient/$validate",
                          R"({"resourceType":"Observation","status":"final","code":{"text":"x"}})");
  BOOST_TEST(wrongType.status == 200);
  BOOST_TEST(wrongType.body.find("\"severity\":\"error\"") != std::string::npos);
  BOOST_TEST(s.call("POST", "/fhir/$validate", "not json").status == 400);
  auto cs = s.call("GET", "/fhir/metadata");
  BOOST_TEST(cs.body.find("Resource-validate") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(every_search_parameter_the_capability_statement_lists_is_served) {
  FhirServer s;
  const HttpResult metadata = s.call("GET", "/fhir/metadata");
  // The statement itself is valid R4.
  auto checked = s.call("POST", "/fhir/$validate", metadata.body);
  BOOST_TEST(checked.body.find("\"severity\":\"error\"") == std::string::npos, checked.body);
  auto cs = json(metadata);
  auto resources = cs->getArray("rest")->getObject(0)->getArray("resource");
  std::set<std::string> listed;
  for (std::size_t i = 0; i < resources->size(); ++i) {
    auto resource = resources->getObject(static_cast<unsigned>(i));
    const std::string type = resource->getValue<std::string>("type");
    auto params = resource->getArray("searchParam");
    if (!params) continue;
    for (std::size_t k = 0; k < params->size(); ++k) {
      auto param = params->getObject(static_cast<unsigned>(k));
      const std::string name = param->getValue<std::string>("name");
      const std::string kind = param->getValue<std::string>("type");
      listed.insert(type + "?" + name + ":" + kind);
      // A value of the parameter's kind; strict handling refuses any parameter not served.
      const std::string value = kind == "date"        ? "2020-01-01"
                                : kind == "reference" ? "Patient/x"
                                                      : "x";
      auto answer = s.call("GET", "/fhir/" + type + "?" + name + "=" + value, {},
                           {{"Prefer", "handling=strict"}});
      BOOST_TEST(answer.status == 200, type << "?" << name << ": " << answer.body);
    }
  }
  // The parameters issue 7 asks for, with their kinds.
  for (const std::string expected :
       {"DocumentReference?patient:reference", "DocumentReference?subject:reference",
        "DocumentReference?type:token", "DocumentReference?category:token",
        "DocumentReference?date:date", "DocumentReference?status:token",
        "DocumentReference?identifier:token", "Observation?patient:reference",
        "Observation?code:token", "Observation?date:date", "Observation?category:token",
        "Patient?identifier:token", "Patient?name:string", "Patient?birthdate:date",
        "Patient?_id:token", "Goal?_lastUpdated:date"}) {
    BOOST_TEST(listed.count(expected) == 1u, expected);
  }
}

BOOST_AUTO_TEST_CASE(prefer_return_minimal_and_operation_outcome) {
  FhirServer s;
  auto minimal = s.call("POST", "/fhir/Patient", kPatient, {{"Prefer", "return=minimal"}});
  BOOST_TEST(minimal.status == 201);
  BOOST_TEST(minimal.body.empty());
  BOOST_TEST(!minimal.header("Location").empty());
  auto outcome = s.call("POST", "/fhir/Patient", kPatient, {{"Prefer", "return=OperationOutcome"}});
  BOOST_TEST(outcome.status == 201);
  BOOST_TEST(json(outcome)->getValue<std::string>("resourceType") == "OperationOutcome");
}

BOOST_AUTO_TEST_CASE(a_restart_finds_every_stored_resource) {
  FhirServer s;
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(json(s.call("POST", "/fhir/Patient", kPatient))->getValue<std::string>("id"));
  }
  s.stop();
  s.start();
  for (const std::string& id : ids) BOOST_TEST(s.call("GET", "/fhir/Patient/" + id).status == 200);
  BOOST_TEST(total(s.call("GET", "/fhir/Patient?family=rivera")) == 5);
}

BOOST_AUTO_TEST_CASE(negotiation_by_format_accept_and_content_type) {
  FhirServer s;
  const std::string id =
      json(s.call("POST", "/fhir/Patient", kPatient))->getValue<std::string>("id");
  const std::string path = "/fhir/Patient/" + id;
  const std::string jsonType = "application/fhir+json; charset=utf-8";
  const std::string xmlType = "application/fhir+xml; charset=utf-8";
  // _format in every spelling the issue names.
  for (const char* format : {"json", "application/json", "application/fhir+json"}) {
    BOOST_TEST_CONTEXT(format) {
      BOOST_TEST(s.call("GET", path + "?_format=" + format).contentType == jsonType);
    }
  }
  for (const char* format : {"xml", "application/xml", "application/fhir+xml"}) {
    BOOST_TEST_CONTEXT(format) {
      auto answer = s.call("GET", path + "?_format=" + format);
      BOOST_TEST(answer.contentType == xmlType);
      BOOST_TEST(answer.body.find("<Patient xmlns=\"http://hl7.org/fhir\">") != std::string::npos);
    }
  }
  // Accept, with q-values and wildcards (RFC 9110 §12.5.1).
  const std::vector<std::pair<std::string, std::string>> accepted = {
      {"application/json", jsonType},
      {"application/fhir+json; fhirVersion=4.0", jsonType},
      {"application/xml", xmlType},
      {"text/xml", xmlType},
      {"*/*", jsonType},
      {"application/fhir+xml;q=0.5, application/fhir+json", jsonType},
      {"application/fhir+json;q=0.4, application/fhir+xml;q=0.6", xmlType},
      {"application/fhir+xml, */*;q=0.8", xmlType},
      {"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", xmlType},
      {"application/fhir+json;q=0, */*", xmlType},
  };
  for (const auto& [accept, expected] : accepted) {
    BOOST_TEST_CONTEXT(accept) {
      auto answer = s.call("GET", path, {}, {{"Accept", accept}});
      BOOST_TEST(answer.status == 200);
      BOOST_TEST(answer.contentType == expected);
    }
  }
  // Nothing acceptable: 406 (the OperationOutcome in JSON, the only thing left to say it in).
  for (const char* accept : {"text/html", "application/fhir+json;q=0, application/fhir+xml;q=0"}) {
    BOOST_TEST_CONTEXT(accept) {
      auto refused = s.call("GET", path, {}, {{"Accept", accept}});
      BOOST_TEST(refused.status == 406);
      BOOST_TEST(json(refused)->getValue<std::string>("resourceType") == "OperationOutcome");
    }
  }
  // _format beats Accept.
  BOOST_TEST(s.call("GET", path + "?_format=json", {}, {{"Accept", kXml}}).contentType == jsonType);
  // Bodies in every Content-Type the issue names.
  const std::string xmlPatient =
      R"(<Patient xmlns="http://hl7.org/fhir"><name><family value="Okafor"/></name></Patient>)";
  for (const auto& [type, body] : std::vector<std::pair<std::string, std::string>>{
           {"application/json", kPatient},
           {"application/fhir+json; charset=utf-8", kPatient},
           {"application/xml", xmlPatient},
           {"text/xml", xmlPatient}}) {
    BOOST_TEST_CONTEXT(type) {
      auto created = s.call("POST", "/fhir/Patient", body, {}, type);
      BOOST_TEST(created.status == 201);
      BOOST_TEST(created.contentType == jsonType);  // no Accept: JSON back
    }
  }
}

BOOST_AUTO_TEST_CASE(paging_links_keep_the_format) {
  FhirServer s;
  for (int i = 0; i < 3; ++i)
    BOOST_REQUIRE(s.call("POST", "/fhir/Patient", kPatient).status == 201);
  auto page = s.call("GET", "/fhir/Patient?_count=2&_format=xml");
  BOOST_REQUIRE(page.status == 200);
  BOOST_TEST(page.contentType == "application/fhir+xml; charset=utf-8");
  const std::size_t next = page.body.find("<relation value=\"next\"/>");
  BOOST_REQUIRE(next != std::string::npos);
  const std::size_t url = page.body.find("<url value=\"", next);
  BOOST_REQUIRE(url != std::string::npos);
  const std::string link = page.body.substr(url + 12, page.body.find('"', url + 12) - url - 12);
  BOOST_TEST(link.find("_format=xml") != std::string::npos);
  std::string local = link.substr(link.find("/fhir/"));
  // XML escapes '&' in the attribute.
  for (std::size_t at; (at = local.find("&amp;")) != std::string::npos;) local.replace(at, 5, "&");
  auto second = s.call("GET", local);
  BOOST_TEST(second.contentType == "application/fhir+xml; charset=utf-8");
  BOOST_TEST(second.body.find("<total value=\"3\"/>") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(parallel_conditional_updates_in_batches_make_one_resource) {
  FhirServer s;
  const std::string patient =
      R"({"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"C-9"}]})";
  const std::string batch =
      R"({"resourceType":"Bundle","type":"batch","entry":[{"resource":)" + patient +
      R"(,"request":{"method":"PUT","url":"Patient?identifier=urn:mrn|C-9"}}]})";
  std::vector<std::future<HttpResult>> calls;
  for (int i = 0; i < 8; ++i) {
    calls.push_back(std::async(std::launch::async, [&] { return s.call("POST", "/fhir", batch); }));
  }
  int created = 0;
  for (auto& call : calls) {
    auto result = call.get();
    BOOST_REQUIRE_MESSAGE(result.status == 200, result.body);
    const std::string status = json(result)
                                   ->getArray("entry")
                                   ->getObject(0)
                                   ->getObject("response")
                                   ->getValue<std::string>("status");
    BOOST_TEST((status == "201 Created" || status == "200 OK"));
    if (status == "201 Created") ++created;
  }
  BOOST_TEST(created == 1);
  BOOST_TEST(total(s.call("GET", "/fhir/Patient?identifier=urn:mrn|C-9")) == 1);
}

BOOST_AUTO_TEST_CASE(sort_by_several_keys) {
  FhirServer s;
  auto create = [&](const std::string& date) {
    return json(s.call("POST", "/fhir/Observation", observation("p1", "44261-6", date, 1)))
        ->getValue<std::string>("id");
  };
  const std::string a = create("2026-01"), b = create("2026-02"), c = create("2026-01");
  // No date at all: sorted before every date ascending, after them descending (as SQL orders
  // NULL).
  const std::string none =
      json(s.call("POST", "/fhir/Observation",
                  R"({"resourceType":"Observation","status":"final","code":{"coding":[{"system":)"
                  R"("http://loinc.org","code":"44261-6"}]},"valueInteger":2})"))
          ->getValue<std::string>("id");
  const std::string low = std::min(a, c), high = std::max(a, c);
  const std::vector<std::pair<std::string, std::vector<std::string>>> expected = {
      {"date,-_id", {none, high, low, b}},
      {"date,_id", {none, low, high, b}},
      {"-date,_id", {b, low, high, none}},
  };
  // Without criteria the store walks the type in SQL order; with one it sorts the index's
  // matches itself: both orders must agree.
  for (const std::string& criteria : {std::string(), std::string("code=44261-6&")}) {
    for (const auto& [sort, ids] : expected) {
      BOOST_TEST_CONTEXT(criteria << "_sort=" << sort) {
        std::vector<std::string> got;
        auto page = json(s.call("GET", "/fhir/Observation?" + criteria + "_sort=" + sort));
        auto entries = page->getArray("entry");
        for (std::size_t i = 0; i < entries->size(); ++i) {
          got.push_back(entries->getObject(static_cast<unsigned>(i))
                            ->getObject("resource")
                            ->getValue<std::string>("id"));
        }
        BOOST_TEST(got == ids, boost::test_tools::per_element());
        // A page in the middle: the same order, and the total of every match.
        auto middle = json(s.call(
            "GET", "/fhir/Observation?" + criteria + "_sort=" + sort + "&_count=2&_offset=1"));
        BOOST_TEST(middle->getValue<int>("total") == 4);
        BOOST_TEST(middle->getArray("entry")
                       ->getObject(0)
                       ->getObject("resource")
                       ->getValue<std::string>("id") == ids[1]);
      }
    }
  }
  auto strict =
      s.call("GET", "/fhir/Observation?_sort=date,code", {}, {{"Prefer", "handling=strict"}});
  BOOST_TEST(strict.status == 400);
}

BOOST_AUTO_TEST_SUITE_END()

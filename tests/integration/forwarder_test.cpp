// One delivery attempt against a scripted receiver on loopback: every interaction, every
// failure class, TLS verification, mutual TLS and the SMART Backend Services token flow.
#include "notebridge/gateway/forwarder.h"

#include <boost/test/unit_test.hpp>
#include <fstream>

#include "note_bundles.h"
#include "notebridge/gateway/retry_decision.h"
#include "scripted_receiver.h"
#include "shared_registry.h"
#include "test_pki.h"

using namespace notebridge::gateway;
using notebridge::testing::ReceiverOptions;
using notebridge::testing::sampleBundleJson;
using notebridge::testing::Scripted;
using notebridge::testing::ScriptedReceiver;
using notebridge::testing::testPki;

namespace {

std::shared_ptr<const OutboundTransform> transform() {
  static auto t = std::make_shared<const OutboundTransform>(notebridge::testing::sharedRegistry(),
                                                            notebridge::testing::sharedValidator());
  return t;
}

DestinationConfig destinationFor(const ScriptedReceiver& receiver,
                                 DeliveryInteraction interaction = DeliveryInteraction::kPut) {
  DestinationConfig d;
  d.name = "receiver";
  d.baseUrl = receiver.baseUrl();
  d.interaction = interaction;
  d.timeoutSeconds = 5;
  d.connectTimeoutSeconds = 2;
  if (d.baseUrl.rfind("https", 0) == 0) d.caFile = testPki() / "ca.pem";
  return d;
}

std::shared_ptr<Forwarder> makeForwarder(const DestinationConfig& d) {
  auto created = Forwarder::create(d, transform());
  BOOST_REQUIRE_MESSAGE(created.ok(),
                        (created.ok() ? "" : created.outcome().issues()[0].diagnostics));
  return *created;
}

DeliveryAction decide(const DeliveryAttempt& attempt, int n = 1) {
  RetryPolicy policy;
  return decideRetry(n, attempt.result, policy, std::chrono::system_clock::now(),
                     [] { return 0.5; })
      .action;
}

const std::string kDocIdentifierPrefix = "DocumentReference";

}  // namespace

namespace notebridge::gateway {
inline std::ostream& operator<<(std::ostream& os, DeliveryAction a) { return os << toString(a); }
}  // namespace notebridge::gateway

BOOST_AUTO_TEST_SUITE(forwarding)

BOOST_AUTO_TEST_CASE(every_interaction_delivers_once_however_often_it_is_repeated) {
  for (DeliveryInteraction interaction :
       {DeliveryInteraction::kTransaction, DeliveryInteraction::kPut,
        DeliveryInteraction::kConditionalCreate}) {
    ScriptedReceiver receiver;
    auto f = makeForwarder(destinationFor(receiver, interaction));
    const std::string bundle = sampleBundleJson("N-ONCE");
    for (int round = 0; round < 3; ++round) {
      DeliveryAttempt attempt = f->deliver(bundle);
      BOOST_TEST(decide(attempt) == DeliveryAction::kDelivered,
                 toString(interaction) << ": " << attempt.reason << attempt.result.reason);
    }
    auto documents = receiver.countByIdentifier("DocumentReference");
    BOOST_TEST(documents.size() == 1u, toString(interaction));
    for (const auto& [identifier, count] : documents) BOOST_TEST(count == 1, identifier);
    BOOST_TEST(receiver.storedCount("Patient") == 1, toString(interaction));
  }
}

BOOST_AUTO_TEST_CASE(put_sends_each_resource_to_its_deterministic_id) {
  ScriptedReceiver receiver;
  auto f = makeForwarder(destinationFor(receiver, DeliveryInteraction::kPut));
  DeliveryAttempt attempt = f->deliver(sampleBundleJson("N-PUT"));
  BOOST_REQUIRE(decide(attempt) == DeliveryAction::kDelivered);
  bool sawDocument = false;
  for (const auto& request : receiver.received()) {
    BOOST_TEST(request.method == "PUT");
    BOOST_TEST(request.header("Content-Type").rfind("application/fhir+json", 0) == 0u);
    if (request.path.rfind("/fhir/DocumentReference/", 0) == 0) {
      sawDocument = true;
      const std::string id = request.path.substr(24);
      BOOST_TEST(request.body.find("\"id\":\"" + id + "\"") != std::string::npos);
      BOOST_TEST(request.body.find("urn:uuid:") == std::string::npos);
      BOOST_TEST(request.body.find("\"reference\":\"Patient/") != std::string::npos);
    }
  }
  BOOST_TEST(sawDocument);
  BOOST_TEST(attempt.receipt.find("\"status\":201") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(conditional_creates_point_later_resources_at_the_ids_the_receiver_chose) {
  ScriptedReceiver receiver;
  auto f = makeForwarder(destinationFor(receiver, DeliveryInteraction::kConditionalCreate));
  DeliveryAttempt attempt = f->deliver(sampleBundleJson("N-CC"));
  BOOST_REQUIRE_MESSAGE(decide(attempt) == DeliveryAction::kDelivered, attempt.result.reason);
  for (const auto& request : receiver.received()) {
    BOOST_TEST(request.method == "POST");
    BOOST_TEST(request.body.find("urn:uuid:") == std::string::npos, request.path);
    if (request.path == "/fhir/DocumentReference") {
      BOOST_TEST(request.header("If-None-Exist").rfind("identifier=", 0) == 0u);
      // The receiver numbers what it creates: r1, r2, ...
      BOOST_TEST(request.body.find("\"reference\":\"Patient/r") != std::string::npos);
    }
  }
  // The receipt names the DocumentReference the receiver created.
  BOOST_TEST(attempt.receipt.find("\"id\":\"DocumentReference/r") != std::string::npos,
             attempt.receipt);
}

BOOST_AUTO_TEST_CASE(xml_destinations_get_fhir_xml) {
  ScriptedReceiver receiver;
  receiver.script({Scripted::respond(200, "<Bundle xmlns=\"http://hl7.org/fhir\"/>")});
  DestinationConfig d = destinationFor(receiver, DeliveryInteraction::kTransaction);
  d.format = DestinationFormat::kXml;
  DeliveryAttempt attempt = makeForwarder(d)->deliver(sampleBundleJson("N-XML"));
  BOOST_TEST(decide(attempt) == DeliveryAction::kDelivered);
  auto received = receiver.received();
  BOOST_REQUIRE(received.size() == 1u);
  BOOST_TEST(received[0].path == "/fhir");
  BOOST_TEST(received[0].header("Content-Type").rfind("application/fhir+xml", 0) == 0u);
  BOOST_TEST(received[0].header("Accept").rfind("application/fhir+xml", 0) == 0u);
  BOOST_TEST(received[0].body.rfind("<Bundle xmlns=\"http://hl7.org/fhir\">", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(each_scripted_failure_is_classified) {
  ScriptedReceiver receiver;
  DestinationConfig d = destinationFor(receiver, DeliveryInteraction::kTransaction);
  d.timeoutSeconds = 1;
  auto f = makeForwarder(d);
  const std::string bundle = sampleBundleJson("N-FAIL");
  receiver.script({Scripted::respond(500), Scripted::respond(503),
                   Scripted::respond(429, {}, {{"Retry-After", "42"}}),
                   Scripted::respond(400, Scripted::outcome("required", "period end missing")),
                   Scripted::noAnswer(3000), Scripted::reset(), Scripted::slow(300)});
  RetryPolicy policy;
  const auto now = std::chrono::system_clock::now();
  const auto run = [&] {
    DeliveryAttempt attempt = f->deliver(bundle);
    return std::make_pair(attempt, decideRetry(1, attempt.result, policy, now, [] { return 0.0; }));
  };
  auto [a500, d500] = run();
  BOOST_TEST(d500.action == DeliveryAction::kRetry);
  BOOST_TEST(d500.reason == "HTTP 500");
  auto [a503, d503] = run();
  BOOST_TEST(d503.action == DeliveryAction::kRetry);
  auto [a429, d429] = run();
  BOOST_TEST(d429.action == DeliveryAction::kRetry);
  BOOST_TEST(d429.delay.count() == 42000);
  auto [a400, d400] = run();
  BOOST_TEST(d400.action == DeliveryAction::kDeadLetter);
  BOOST_TEST(d400.reason == "HTTP 400: error required: period end missing");
  BOOST_TEST(a400.receipt.find("period end missing") != std::string::npos);
  auto [timeout, dTimeout] = run();
  BOOST_TEST((timeout.result.error == UpstreamError::kTimeout), timeout.result.reason);
  BOOST_TEST(dTimeout.action == DeliveryAction::kRetry);
  auto [reset, dReset] = run();
  BOOST_TEST((reset.result.error == UpstreamError::kConnection), reset.result.reason);
  BOOST_TEST(dReset.action == DeliveryAction::kRetry);
  auto [slow, dSlow] = run();  // slower than usual, within the timeout
  BOOST_TEST(dSlow.action == DeliveryAction::kDelivered);
}

BOOST_AUTO_TEST_CASE(a_closed_port_is_a_connection_error) {
  std::string url;
  {
    ScriptedReceiver gone;
    url = gone.baseUrl();
  }
  DestinationConfig d;
  d.name = "gone";
  d.baseUrl = url;
  d.connectTimeoutSeconds = 1;
  DeliveryAttempt attempt = makeForwarder(d)->deliver(sampleBundleJson("N-GONE"));
  BOOST_TEST((attempt.result.error == UpstreamError::kConnect ||
              attempt.result.error == UpstreamError::kConnection),
             attempt.result.reason);
  BOOST_TEST(decide(attempt) == DeliveryAction::kRetry);
}

BOOST_AUTO_TEST_CASE(a_profile_failure_is_refused_before_anything_is_sent) {
  ScriptedReceiver receiver;
  DestinationConfig d = destinationFor(receiver);
  d.profiles = {"http://hl7.org/fhir/StructureDefinition/vitalsigns"};
  DeliveryAttempt attempt = makeForwarder(d)->deliver(sampleBundleJson("N-PROF"));
  BOOST_TEST(attempt.refused);
  BOOST_TEST(attempt.reason.find("Observation.category") != std::string::npos, attempt.reason);
  BOOST_TEST(receiver.requestCount() == 0);
}

BOOST_AUTO_TEST_CASE(tls_verification_refuses_a_certificate_from_an_untrusted_ca) {
  ReceiverOptions options;
  options.certificateFile = testPki() / "rogue-server.pem";
  options.privateKeyFile = testPki() / "rogue-server.key";
  ScriptedReceiver rogue(options);
  DestinationConfig d = destinationFor(rogue);
  DeliveryAttempt attempt = makeForwarder(d)->deliver(sampleBundleJson("N-TLS"));
  BOOST_TEST((attempt.result.error == UpstreamError::kTls), attempt.result.reason);
  BOOST_TEST(rogue.requestCount() == 0);
  // Only an explicit insecure_skip_verify talks to it.
  d.insecureSkipVerify = true;
  d.caFile.clear();
  BOOST_TEST(decide(makeForwarder(d)->deliver(sampleBundleJson("N-TLS"))) ==
             DeliveryAction::kDelivered);
  BOOST_TEST(rogue.requestCount() > 0);
}

BOOST_AUTO_TEST_CASE(tls_with_the_right_ca_and_mutual_tls_with_a_client_certificate) {
  ReceiverOptions options;
  options.certificateFile = testPki() / "server.pem";
  options.privateKeyFile = testPki() / "server.key";
  options.clientCaFile = testPki() / "ca.pem";
  ScriptedReceiver receiver(options);
  DestinationConfig d = destinationFor(receiver);
  // No client certificate: the receiver ends the handshake.
  DeliveryAttempt without = makeForwarder(d)->deliver(sampleBundleJson("N-MTLS"));
  BOOST_TEST((without.result.error != UpstreamError::kNone), without.result.reason);
  BOOST_TEST(receiver.requestCount() == 0);
  d.auth = DestinationAuth::kMtls;
  d.clientCertFile = testPki() / "client.pem";
  d.clientKeyFile = testPki() / "client.key";
  DeliveryAttempt with = makeForwarder(d)->deliver(sampleBundleJson("N-MTLS"));
  BOOST_TEST(decide(with) == DeliveryAction::kDelivered, with.result.reason);
  BOOST_TEST(receiver.countByIdentifier("DocumentReference").size() == 1u);
}

BOOST_AUTO_TEST_CASE(bearer_tokens_come_from_their_file) {
  notebridge::testing::TempDir dir;
  std::ofstream(dir / "token") << "static-token-1\n";
  ScriptedReceiver receiver;
  DestinationConfig d = destinationFor(receiver, DeliveryInteraction::kTransaction);
  d.auth = DestinationAuth::kBearerFile;
  d.tokenFile = dir / "token";
  makeForwarder(d)->deliver(sampleBundleJson("N-BEARER"));
  BOOST_REQUIRE(receiver.requestCount() == 1);
  BOOST_TEST(receiver.received()[0].header("Authorization") == "Bearer static-token-1");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(smart_backend)

namespace {
struct SmartReceiver {
  explicit SmartReceiver(const std::string& publicKey) {
    ReceiverOptions options;
    options.requireToken = true;
    options.clientPublicKey = testPki() / publicKey;
    options.clientId = "notebridge-test";
    receiver = std::make_unique<ScriptedReceiver>(options);
  }
  DestinationConfig destination(const std::string& privateKey, const std::string& alg) const {
    DestinationConfig d = destinationFor(*receiver);
    d.auth = DestinationAuth::kSmartBackend;
    d.clientId = "notebridge-test";
    d.privateKeyFile = testPki() / privateKey;
    // The receiver names a PEM key after its file: rsa.pub.pem is "rsa.pub".
    d.keyId = privateKey.substr(0, privateKey.find('.')) + ".pub";
    d.alg = alg;
    d.scope = "system/DocumentReference.c system/Patient.rs";
    return d;
  }
  std::unique_ptr<ScriptedReceiver> receiver;
};
}  // namespace

BOOST_AUTO_TEST_CASE(discovers_the_token_endpoint_signs_rs384_and_caches_the_token) {
  SmartReceiver smart("rsa.pub.pem");
  auto f = makeForwarder(smart.destination("rsa.key", "RS384"));
  for (const char* id : {"N-SMART-1", "N-SMART-2"}) {
    DeliveryAttempt attempt = f->deliver(sampleBundleJson(id));
    BOOST_TEST(decide(attempt) == DeliveryAction::kDelivered, attempt.result.reason);
  }
  for (const auto& failure : smart.receiver->tokenFailures()) BOOST_TEST_MESSAGE(failure);
  BOOST_TEST(smart.receiver->tokenFailures().empty());
  BOOST_TEST(smart.receiver->tokenRequests() == 1);  // cached for the second note
  BOOST_TEST(f->smart()->tokenRequests() == 1);
  BOOST_TEST(smart.receiver->countByIdentifier("DocumentReference").size() == 2u);
}

BOOST_AUTO_TEST_CASE(es384_assertions_are_accepted_too) {
  SmartReceiver smart("ec.pub.pem");
  DeliveryAttempt attempt =
      makeForwarder(smart.destination("ec.key", "ES384"))->deliver(sampleBundleJson("N-ES"));
  BOOST_TEST(decide(attempt) == DeliveryAction::kDelivered, attempt.result.reason);
  BOOST_TEST(smart.receiver->tokenFailures().empty());
}

BOOST_AUTO_TEST_CASE(a_401_gets_one_fresh_token_and_one_more_try) {
  SmartReceiver smart("rsa.pub.pem");
  auto f = makeForwarder(smart.destination("rsa.key", "RS384"));
  BOOST_TEST(decide(f->deliver(sampleBundleJson("N-401-A"))) == DeliveryAction::kDelivered);
  smart.receiver->revokeTokens();
  DeliveryAttempt attempt = f->deliver(sampleBundleJson("N-401-B"));
  BOOST_TEST(decide(attempt) == DeliveryAction::kDelivered, attempt.result.reason);
  BOOST_TEST(smart.receiver->tokenRequests() == 2);
  // A receiver that keeps refusing is not asked forever: one renewal, then the 401 stands.
  smart.receiver->script({Scripted::respond(401), Scripted::respond(401)});
  DeliveryAttempt refused = f->deliver(sampleBundleJson("N-401-C"));
  BOOST_TEST(decide(refused) == DeliveryAction::kDeadLetter);
  BOOST_TEST(smart.receiver->tokenRequests() == 3);
}

BOOST_AUTO_TEST_CASE(an_unregistered_key_is_refused_by_the_token_endpoint) {
  SmartReceiver smart("rsa.pub.pem");
  DeliveryAttempt attempt = makeForwarder(smart.destination("other-rsa.key", "RS384"))
                                ->deliver(sampleBundleJson("N-BAD"));
  BOOST_TEST(decide(attempt) == DeliveryAction::kDeadLetter);
  BOOST_TEST(attempt.result.reason.find("SMART token request failed") == 0u, attempt.result.reason);
  BOOST_TEST(smart.receiver->tokenFailures().size() == 1u);
  BOOST_TEST(smart.receiver->countByIdentifier("DocumentReference").empty());
}

BOOST_AUTO_TEST_CASE(tokens_are_renewed_before_they_expire_and_assertions_are_unique) {
  ReceiverOptions options;
  options.requireToken = true;
  options.clientPublicKey = testPki() / "rsa.pub.pem";
  options.clientId = "notebridge-test";
  options.tokenLifetimeSeconds = 60;
  ScriptedReceiver receiver(options);
  auto http = *PocoUpstreamClient::create({});
  SmartBackendOptions smartOptions;
  smartOptions.baseUrl = receiver.baseUrl();
  smartOptions.clientId = "notebridge-test";
  smartOptions.privateKeyPem = notebridge::testing::readFile(testPki() / "rsa.key");
  smartOptions.alg = "RS384";
  auto now = std::chrono::system_clock::now();
  SmartBackendClient client(smartOptions, http, [&] { return now; });
  AccessToken first = client.accessToken("system/Patient.rs");
  BOOST_REQUIRE(first.ok());
  now += std::chrono::seconds(20);
  BOOST_TEST(client.accessToken("system/Patient.rs").token == first.token);     // 40 s left
  BOOST_TEST(client.accessToken("system/Observation.c").token != first.token);  // per scope
  now += std::chrono::seconds(15);  // 25 s left: inside the 30 s renewal window
  BOOST_TEST(client.accessToken("system/Patient.rs").token != first.token);
  BOOST_TEST(receiver.tokenRequests() == 3);
  BOOST_TEST(receiver.tokenFailures().empty());  // three distinct jti values
  // The assertion's claims (decoded without trusting it).
  auto assertion = client.clientAssertion("https://token.example/t");
  BOOST_REQUIRE(assertion.ok());
  std::string payload;
  const std::string& jwt = *assertion;
  const auto dot1 = jwt.find('.'), dot2 = jwt.rfind('.');
  BOOST_REQUIRE(base64UrlDecode(jwt.substr(dot1 + 1, dot2 - dot1 - 1), payload));
  BOOST_TEST(payload.find("\"iss\":\"notebridge-test\"") != std::string::npos);
  BOOST_TEST(payload.find("\"sub\":\"notebridge-test\"") != std::string::npos);
  BOOST_TEST(payload.find("\"aud\":\"https://token.example/t\"") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

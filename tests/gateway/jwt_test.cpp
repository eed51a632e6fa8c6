#include "notebridge/gateway/jwt.h"

#include <boost/test/unit_test.hpp>

#include "test_paths.h"
#include "test_pki.h"

using namespace notebridge::gateway;
using notebridge::testing::readFile;
using notebridge::testing::testPki;

namespace {

constexpr std::int64_t kNow = 1'800'000'000;

std::string payload(std::int64_t exp, const std::string& extra = {}) {
  return R"({"iss":"https://idp.example","sub":"ehr-client","aud":"https://gw.example/fhir","exp":)" +
         std::to_string(exp) + R"(,"scope":"system/DocumentReference.rs")" + extra + "}";
}

std::shared_ptr<const JwtVerifier> verifier(JwtOptions options = {}) {
  auto loaded = JwtVerifier::load({testPki() / "rsa.pub.pem", testPki() / "ec.pub.pem"}, {},
                                  std::move(options));
  BOOST_REQUIRE(loaded.ok());
  return *loaded;
}

std::string sign(const std::string& alg, const std::string& keyFile, const std::string& body) {
  auto token = signJwt(alg, readFile(testPki() / keyFile), "", body);
  BOOST_REQUIRE(token.ok());
  return *token;
}

std::string reasonOf(const notebridge::fhir::Result<JwtClaims>& result) {
  BOOST_REQUIRE(!result.ok());
  BOOST_TEST(result.outcome().issues().front().code == "login");
  return result.outcome().issues().front().diagnostics;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(jwt)

BOOST_AUTO_TEST_CASE(base64url_round_trips_every_length) {
  std::string bytes;
  for (int i = 0; i < 40; ++i) {
    std::string decoded;
    BOOST_REQUIRE(base64UrlDecode(base64UrlEncode(bytes), decoded));
    BOOST_TEST(decoded == bytes);
    bytes += static_cast<char>(i * 37 + 250);
  }
  BOOST_TEST(base64UrlEncode("\xfb\xff") == "-_8");
  std::string out;
  BOOST_TEST(!base64UrlDecode("ab+c", out));
}

BOOST_AUTO_TEST_CASE(rs256_rs384_and_es384_tokens_verify) {
  auto v = verifier();
  for (const auto& [alg, key] :
       {std::pair{"RS256", "rsa.key"}, {"RS384", "rsa.key"}, {"ES384", "ec.key"}}) {
    auto claims = v->verify(sign(alg, key, payload(kNow + 300)), kNow);
    BOOST_TEST_REQUIRE(claims.ok(), alg);
    BOOST_TEST(claims->subject == "ehr-client");
    BOOST_TEST(claims->scope == "system/DocumentReference.rs");
  }
}

BOOST_AUTO_TEST_CASE(es384_signatures_are_the_raw_96_byte_form) {
  const std::string token = sign("ES384", "ec.key", payload(kNow + 300));
  std::string signature;
  BOOST_REQUIRE(base64UrlDecode(token.substr(token.rfind('.') + 1), signature));
  BOOST_TEST(signature.size() == 96u);
}

BOOST_AUTO_TEST_CASE(tokens_that_must_be_refused_are) {
  auto v = verifier({.algorithms = {"RS256", "RS384", "ES384"},
                     .issuer = "https://idp.example",
                     .audience = "https://gw.example/fhir",
                     .leewaySeconds = 60});
  BOOST_TEST(
      reasonOf(v->verify(sign("RS384", "rsa.key", payload(kNow - 61)), kNow)).find("expired") !=
      std::string::npos);
  BOOST_TEST(v->verify(sign("RS384", "rsa.key", payload(kNow - 59)), kNow).ok());  // leeway
  BOOST_TEST(reasonOf(v->verify(sign("RS384", "other-rsa.key", payload(kNow + 60)), kNow))
                 .find("signature does not verify") != std::string::npos);
  BOOST_TEST(reasonOf(v->verify(sign("RS384", "rsa.key", R"({"sub":"x"})"), kNow)).find("no exp") !=
             std::string::npos);
  BOOST_TEST(reasonOf(v->verify(sign("RS384", "rsa.key",
                                     payload(kNow + 60, R"(,"nbf":)" + std::to_string(kNow + 600))),
                                kNow))
                 .find("nbf") != std::string::npos);
  const std::string wrongAudience =
      R"({"iss":"https://idp.example","aud":"https://elsewhere","exp":)" +
      std::to_string(kNow + 60) + "}";
  BOOST_TEST(reasonOf(v->verify(sign("RS384", "rsa.key", wrongAudience), kNow)).find("audience") !=
             std::string::npos);
  const std::string wrongIssuer =
      R"({"iss":"https://evil","aud":"https://gw.example/fhir","exp":)" +
      std::to_string(kNow + 60) + "}";
  BOOST_TEST(reasonOf(v->verify(sign("RS384", "rsa.key", wrongIssuer), kNow)).find("issuer") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(alg_none_hmac_and_garbage_are_refused_without_quoting_the_token) {
  auto v = verifier();
  const std::string none =
      base64UrlEncode(R"({"alg":"none"})") + "." + base64UrlEncode(payload(kNow + 60)) + ".";
  BOOST_TEST(reasonOf(v->verify(none, kNow)).find("algorithm 'none'") != std::string::npos);
  const std::string hmac =
      base64UrlEncode(R"({"alg":"HS256"})") + "." + base64UrlEncode(payload(kNow + 60)) + ".c2ln";
  BOOST_TEST(reasonOf(v->verify(hmac, kNow)).find("HS256") != std::string::npos);
  const std::string garbage = "not-a-token-secret-value";
  BOOST_TEST(reasonOf(v->verify(garbage, kNow)).find(garbage) == std::string::npos);
  // An ES384 header over an RSA signature must not be accepted by key confusion.
  const std::string rsa = sign("RS384", "rsa.key", payload(kNow + 60));
  const std::string swapped = base64UrlEncode(R"({"alg":"ES384"})") + rsa.substr(rsa.find('.'));
  BOOST_TEST(!v->verify(swapped, kNow).ok());
}

BOOST_AUTO_TEST_CASE(jwks_keys_verify_by_kid) {
  // A JWKS made from the test keys: RSA by modulus/exponent, EC by its coordinates.
  const std::filesystem::path jwks = testPki() / "keys.jwks";
  {
    Poco::ProcessHandle h = Poco::Process::launch(
        "bash",
        {"-c",
         "cd " + testPki().string() +
             " && n=$(openssl rsa -pubin -in rsa.pub.pem -noout -modulus | cut -d= -f2 |"
             " perl -ne 'chomp; print pack(\"H*\", $_)' | base64 -w0 | tr '+/' '-_' | tr -d '=')"
             " && x=$(openssl pkey -pubin -in ec.pub.pem -outform DER | tail -c 96 | head -c 48 |"
             " base64 -w0 | tr '+/' '-_' | tr -d '=')"
             " && y=$(openssl pkey -pubin -in ec.pub.pem -outform DER | tail -c 48 |"
             " base64 -w0 | tr '+/' '-_' | tr -d '=')"
             " && printf '{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"r1\",\"n\":\"%s\",\"e\":\"AQAB\"},"
             "{\"kty\":\"EC\",\"crv\":\"P-384\",\"kid\":\"e1\",\"x\":\"%s\",\"y\":\"%s\"}]}' "
             "\"$n\" \"$x\" \"$y\" > keys.jwks"});
    BOOST_REQUIRE(h.wait() == 0);
  }
  auto loaded = JwtVerifier::load({}, jwks, {});
  BOOST_REQUIRE(loaded.ok());
  BOOST_TEST((*loaded)->keyCount() == 2u);
  auto rsaToken = signJwt("RS384", readFile(testPki() / "rsa.key"), "r1", payload(kNow + 60));
  auto ecToken = signJwt("ES384", readFile(testPki() / "ec.key"), "e1", payload(kNow + 60));
  BOOST_TEST((*loaded)->verify(*rsaToken, kNow).ok());
  BOOST_TEST((*loaded)->verify(*ecToken, kNow).ok());
  auto wrongKid = signJwt("RS384", readFile(testPki() / "rsa.key"), "e1", payload(kNow + 60));
  BOOST_TEST(!(*loaded)->verify(*wrongKid, kNow).ok());
}

BOOST_AUTO_TEST_CASE(unsupported_or_unreadable_keys_are_all_listed) {
  auto loaded = JwtVerifier::load({testPki() / "p256.pub.pem", testPki() / "missing.pem"}, {}, {});
  BOOST_REQUIRE(!loaded.ok());
  BOOST_TEST(loaded.outcome().issues().size() == 2u);
  BOOST_TEST(!signJwt("ES384", readFile(testPki() / "rsa.key"), "", "{}").ok());
}

BOOST_AUTO_TEST_SUITE_END()

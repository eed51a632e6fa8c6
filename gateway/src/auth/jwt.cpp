#include "notebridge/gateway/jwt.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <sstream>

namespace notebridge::gateway {

using fhir::Result;
using fhir::Severity;

// ---- base64url ----

std::string base64UrlEncode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == bytes.size()) {
    const unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (i + 2 == bytes.size()) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

bool base64UrlDecode(std::string_view text, std::string& out) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return false;
  out.clear();
  out.reserve(text.size() * 3 / 4);
  unsigned buffer = 0;
  int bits = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '-')
      v = 62;
    else if (c == '_')
      v = 63;
    else
      return false;
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  return true;
}

// ---- keys ----

namespace {

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

enum class KeyType { kRsa, kEcP384, kOther };

KeyType keyTypeOf(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "RSA")) return KeyType::kRsa;
  if (EVP_PKEY_is_a(key, "EC")) {
    char group[64] = {0};
    std::size_t length = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                       &length) == 1 &&
        std::string_view(group) == "secp384r1") {
      return KeyType::kEcP384;
    }
  }
  return KeyType::kOther;
}

KeyType keyTypeFor(std::string_view algorithm) {
  if (algorithm == "RS256" || algorithm == "RS384") return KeyType::kRsa;
  if (algorithm == "ES384") return KeyType::kEcP384;
  return KeyType::kOther;
}

const EVP_MD* digestFor(std::string_view algorithm) {
  return algorithm == "RS256" ? EVP_sha256() : EVP_sha384();
}

std::string readWholeFile(const std::filesystem::path& path, bool& ok) {
  std::ifstream in(path, std::ios::binary);
  ok = static_cast<bool>(in);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

PkeyPtr publicKeyFromPem(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return PkeyPtr(key);
}

PkeyPtr privateKeyFromPem(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return PkeyPtr(key);
}

PkeyPtr keyFromParams(const char* type, OSSL_PARAM_BLD* builder) {
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(builder);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* key = nullptr;
  if (params && ctx && EVP_PKEY_fromdata_init(ctx) == 1) {
    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params);
  }
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  return PkeyPtr(key);
}

PkeyPtr rsaKeyFromJwk(const std::string& n, const std::string& e) {
  std::string nBytes, eBytes;
  if (!base64UrlDecode(n, nBytes) || !base64UrlDecode(e, eBytes) || nBytes.empty()) return nullptr;
  BIGNUM* bn = BN_bin2bn(reinterpret_cast<const unsigned char*>(nBytes.data()),
                         static_cast<int>(nBytes.size()), nullptr);
  BIGNUM* be = BN_bin2bn(reinterpret_cast<const unsigned char*>(eBytes.data()),
                         static_cast<int>(eBytes.size()), nullptr);
  OSSL_PARAM_BLD* builder = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_N, bn);
  OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_E, be);
  PkeyPtr key = keyFromParams("RSA", builder);
  OSSL_PARAM_BLD_free(builder);
  BN_free(bn);
  BN_free(be);
  return key;
}

PkeyPtr ecKeyFromJwk(const std::string& x, const std::string& y) {
  std::string xBytes, yBytes;
  if (!base64UrlDecode(x, xBytes) || !base64UrlDecode(y, yBytes) || xBytes.size() != 48 ||
      yBytes.size() != 48) {
    return nullptr;
  }
  std::string point = "\x04" + xBytes + yBytes;  // uncompressed SEC1 point
  OSSL_PARAM_BLD* builder = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_utf8_string(builder, OSSL_PKEY_PARAM_GROUP_NAME, "secp384r1", 0);
  OSSL_PARAM_BLD_push_octet_string(builder, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
  PkeyPtr key = keyFromParams("EC", builder);
  OSSL_PARAM_BLD_free(builder);
  return key;
}

// JOSE carries ECDSA signatures as fixed-width R||S; OpenSSL wants DER, and back.
std::string rawToDer(std::string_view raw) {
  ECDSA_SIG* sig = ECDSA_SIG_new();
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  const int half = static_cast<int>(raw.size() / 2);
  ECDSA_SIG_set0(sig, BN_bin2bn(bytes, half, nullptr), BN_bin2bn(bytes + half, half, nullptr));
  unsigned char* der = nullptr;
  const int length = i2d_ECDSA_SIG(sig, &der);
  std::string out;
  if (length > 0) out.assign(reinterpret_cast<char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  ECDSA_SIG_free(sig);
  return out;
}

std::string derToRaw(std::string_view der, int width) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &bytes, static_cast<long>(der.size()));
  if (!sig) return {};
  std::string out(static_cast<std::size_t>(width) * 2, '\0');
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig, &r, &s);
  BN_bn2binpad(r, reinterpret_cast<unsigned char*>(out.data()), width);
  BN_bn2binpad(s, reinterpret_cast<unsigned char*>(out.data()) + width, width);
  ECDSA_SIG_free(sig);
  return out;
}

bool verifySignature(EVP_PKEY* key, std::string_view algorithm, std::string_view signingInput,
                     std::string_view signature) {
  std::string der;
  if (keyTypeFor(algorithm) == KeyType::kEcP384) {
    if (signature.size() != 96) return false;
    der = rawToDer(signature);
    signature = der;
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = EVP_DigestVerifyInit(ctx, nullptr, digestFor(algorithm), nullptr, key) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                             signature.size(),
                             reinterpret_cast<const unsigned char*>(signingInput.data()),
                             signingInput.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

Poco::JSON::Object::Ptr parseJsonObject(const std::string& text) {
  try {
    Poco::Dynamic::Var value = Poco::JSON::Parser().parse(text);
    return value.extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception&) {
    return nullptr;
  } catch (const std::exception&) {
    return nullptr;
  }
}

}  // namespace

struct JwtVerifier::Impl {
  struct Key {
    std::string id;
    KeyType type;
    PkeyPtr key;
  };
  std::vector<Key> keys;
  JwtOptions options;
};

JwtVerifier::JwtVerifier(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JwtVerifier::~JwtVerifier() = default;
std::size_t JwtVerifier::keyCount() const { return impl_->keys.size(); }

Result<std::shared_ptr<const JwtVerifier>> JwtVerifier::load(
    const std::vector<std::filesystem::path>& pemFiles, const std::filesystem::path& jwksFile,
    JwtOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  fhir::Outcome outcome;
  auto addKey = [&](std::string id, PkeyPtr key, const std::string& source) {
    if (!key) {
      outcome.add(Severity::kError, "invalid", source + ": not a readable public key");
      return;
    }
    const KeyType type = keyTypeOf(key.get());
    if (type == KeyType::kOther) {
      outcome.add(Severity::kError, "invalid",
                  source + ": only RSA and P-384 EC keys are supported");
      return;
    }
    impl->keys.push_back({std::move(id), type, std::move(key)});
  };
  for (const auto& file : pemFiles) {
    bool ok = false;
    const std::string pem = readWholeFile(file, ok);
    if (!ok) {
      outcome.add(Severity::kError, "not-found", file.string() + ": cannot read");
      continue;
    }
    addKey(file.stem().string(), publicKeyFromPem(pem), file.string());
  }
  if (!jwksFile.empty()) {
    bool ok = false;
    const std::string text = readWholeFile(jwksFile, ok);
    Poco::JSON::Object::Ptr jwks = ok ? parseJsonObject(text) : nullptr;
    Poco::JSON::Array::Ptr keys = jwks ? jwks->getArray("keys") : nullptr;
    if (!keys) {
      outcome.add(Severity::kError, "invalid",
                  jwksFile.string() + ": not a JWKS (an object with a \"keys\" array)");
    } else {
      for (std::size_t i = 0; i < keys->size(); ++i) {
        Poco::JSON::Object::Ptr jwk = keys->getObject(static_cast<unsigned>(i));
        const std::string source = jwksFile.string() + " keys[" + std::to_string(i) + "]";
        if (!jwk) {
          outcome.add(Severity::kError, "invalid", source + ": not an object");
          continue;
        }
        const std::string kty = jwk->optValue<std::string>("kty", "");
        const std::string kid = jwk->optValue<std::string>("kid", "");
        if (kty == "RSA") {
          addKey(kid,
                 rsaKeyFromJwk(jwk->optValue<std::string>("n", ""),
                               jwk->optValue<std::string>("e", "")),
                 source);
        } else if (kty == "EC" && jwk->optValue<std::string>("crv", "") == "P-384") {
          addKey(kid,
                 ecKeyFromJwk(jwk->optValue<std::string>("x", ""),
                              jwk->optValue<std::string>("y", "")),
                 source);
        } else {
          outcome.add(Severity::kError, "invalid",
                      source + ": unsupported key type (RSA and EC P-384 are)");
        }
      }
    }
  }
  if (outcome.hasErrors()) return Result<std::shared_ptr<const JwtVerifier>>(std::move(outcome));
  return Result<std::shared_ptr<const JwtVerifier>>(
      std::shared_ptr<const JwtVerifier>(new JwtVerifier(std::move(impl))));
}

Result<JwtClaims> JwtVerifier::verify(std::string_view token, std::int64_t now) const {
  auto refuse = [](std::string reason) {
    return Result<JwtClaims>::failure(Severity::kError, "login", "bearer token refused: " + reason);
  };
  const std::size_t dot1 = token.find('.');
  const std::size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return refuse("not a signed JWT (three dot-separated parts)");
  }
  std::string headerText, payloadText, signature;
  if (!base64UrlDecode(token.substr(0, dot1), headerText) ||
      !base64UrlDecode(token.substr(dot1 + 1, dot2 - dot1 - 1), payloadText) ||
      !base64UrlDecode(token.substr(dot2 + 1), signature)) {
    return refuse("malformed base64url");
  }
  Poco::JSON::Object::Ptr header = parseJsonObject(headerText);
  Poco::JSON::Object::Ptr payload = parseJsonObject(payloadText);
  if (!header || !payload) return refuse("header or payload is not a JSON object");
  const std::string alg = header->optValue<std::string>("alg", "");
  const auto& allowed = impl_->options.algorithms;
  if (std::find(allowed.begin(), allowed.end(), alg) == allowed.end() ||
      keyTypeFor(alg) == KeyType::kOther) {
    return refuse("algorithm '" + alg + "' is not accepted");
  }
  const std::string kid = header->optValue<std::string>("kid", "");
  const std::string_view signingInput = token.substr(0, dot2);
  bool verified = false;
  bool candidate = false;
  for (const Impl::Key& key : impl_->keys) {
    if (key.type != keyTypeFor(alg)) continue;
    if (!kid.empty() && !key.id.empty() && key.id != kid) continue;
    candidate = true;
    if (verifySignature(key.key.get(), alg, signingInput, signature)) {
      verified = true;
      break;
    }
  }
  if (!candidate) return refuse("no configured key matches kid '" + kid + "' and " + alg);
  if (!verified) return refuse("signature does not verify");

  JwtClaims claims;
  const int leeway = impl_->options.leewaySeconds;
  if (!payload->has("exp") || !payload->get("exp").isNumeric()) return refuse("no exp claim");
  claims.expiresAt = payload->get("exp").convert<std::int64_t>();
  if (now > claims.expiresAt + leeway) return refuse("expired");
  if (payload->has("nbf") && payload->get("nbf").isNumeric() &&
      now + leeway < payload->get("nbf").convert<std::int64_t>()) {
    return refuse("not valid yet (nbf)");
  }
  claims.issuer = payload->optValue<std::string>("iss", "");
  claims.subject = payload->optValue<std::string>("sub", "");
  claims.jwtId = payload->optValue<std::string>("jti", "");
  if (!impl_->options.issuer.empty() && claims.issuer != impl_->options.issuer) {
    return refuse("issuer is not the configured one");
  }
  std::vector<std::string> audiences;
  if (payload->isArray("aud")) {
    auto array = payload->getArray("aud");
    for (std::size_t i = 0; i < array->size(); ++i) {
      audiences.push_back(array->getElement<std::string>(static_cast<unsigned>(i)));
    }
  } else if (payload->has("aud")) {
    audiences.push_back(payload->optValue<std::string>("aud", ""));
  }
  if (!impl_->options.audience.empty()) {
    if (std::find(audiences.begin(), audiences.end(), impl_->options.audience) == audiences.end()) {
      return refuse("audience is not this server");
    }
    claims.audience = impl_->options.audience;
  } else if (!audiences.empty()) {
    claims.audience = audiences.front();
  }
  if (payload->isArray("scp")) {
    auto array = payload->getArray("scp");
    for (std::size_t i = 0; i < array->size(); ++i) {
      if (!claims.scope.empty()) claims.scope += ' ';
      claims.scope += array->getElement<std::string>(static_cast<unsigned>(i));
    }
  } else {
    claims.scope = payload->optValue<std::string>("scope", "");
  }
  return claims;
}

Result<std::string> signJwt(std::string_view algorithm, const std::string& privateKeyPem,
                            std::string_view keyId, std::string_view payloadJson) {
  PkeyPtr key = privateKeyFromPem(privateKeyPem);
  if (!key)
    return Result<std::string>::failure(Severity::kError, "invalid", "unreadable private key");
  if (keyTypeFor(algorithm) == KeyType::kOther || keyTypeOf(key.get()) != keyTypeFor(algorithm)) {
    return Result<std::string>::failure(Severity::kError, "invalid",
                                        "the key does not fit algorithm " + std::string(algorithm));
  }
  Poco::JSON::Object header;
  header.set("alg", std::string(algorithm));
  header.set("typ", "JWT");
  if (!keyId.empty()) header.set("kid", std::string(keyId));
  std::ostringstream headerText;
  header.stringify(headerText);
  const std::string signingInput =
      base64UrlEncode(headerText.str()) + "." + base64UrlEncode(payloadJson);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::size_t length = 0;
  std::string signature;
  bool ok = EVP_DigestSignInit(ctx, nullptr, digestFor(algorithm), nullptr, key.get()) == 1 &&
            EVP_DigestSign(ctx, nullptr, &length,
                           reinterpret_cast<const unsigned char*>(signingInput.data()),
                           signingInput.size()) == 1;
  if (ok) {
    signature.resize(length);
    ok = EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &length,
                        reinterpret_cast<const unsigned char*>(signingInput.data()),
                        signingInput.size()) == 1;
    signature.resize(length);
  }
  EVP_MD_CTX_free(ctx);
  if (!ok) return Result<std::string>::failure(Severity::kError, "exception", "signing failed");
  if (keyTypeFor(algorithm) == KeyType::kEcP384) signature = derToRaw(signature, 48);
  return signingInput + "." + base64UrlEncode(signature);
}

}  // namespace notebridge::gateway

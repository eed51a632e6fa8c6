#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace notebridge::gateway {

// What kind of receiver a destination is (informative: logs, lists, the journeys helper's
// payer rules).
enum class DestinationKind { kEhr, kPayer, kPractice, kWebhook };

// How a stored transaction Bundle travels to the receiver.
enum class DeliveryInteraction {
  kTransaction,  // POST [base] with the Bundle (https://hl7.org/fhir/R4/http.html#transaction)
  kPut,          // PUT [base]/Type/id per resource, ids derived from the note (idempotent)
  kConditionalCreate,  // POST [base]/Type with If-None-Exist per resource, in reference order
  kSubmitAttachment,   // Da Vinci CDex $submit-attachment (built by a pluggable hook)
};

// How the gateway authenticates to the receiver.
enum class DestinationAuth { kNone, kBearerFile, kSmartBackend, kMtls };

// Wire format of bodies sent to the receiver.
enum class DestinationFormat { kJson, kXml };

// Vendor rules applied to outbound DocumentReferences (DOMAIN §1.6), as configuration.
struct VendorRules {
  // rules.single_content: keep only the first content entry.
  bool singleContent = false;
  // rules.require_charset: text and XML attachment content types get ";charset=utf-8".
  bool requireCharset = false;
  // rules.require_period_end: context.period.end must be present (filled from period.start or
  // DocumentReference.date when missing; refused when neither exists).
  bool requirePeriodEnd = false;
  // rules.require_time_on_dates: every dateTime in the DocumentReference must carry a time;
  // a date-only value is refused (the gateway does not invent a time).
  bool requireTimeOnDates = false;
};

// Retry policy, immutable per destination (DESIGN §6).
struct RetryPolicy {
  // retry.max_attempts: attempts before dead-letter (1 = no retry).
  int maxAttempts = 10;
  // retry.base_backoff_ms: first backoff; doubles each attempt (with jitter).
  std::chrono::milliseconds baseBackoff{1000};
  // retry.max_backoff_seconds: backoff cap.
  std::chrono::milliseconds maxBackoff{std::chrono::seconds(300)};
  // retry.max_retry_after_seconds: a longer Retry-After is capped here.
  std::chrono::milliseconds maxRetryAfter{std::chrono::seconds(3600)};
};

// Which notes go to a destination (besides the rules that hold for all: drafts never leave).
struct DestinationRouting {
  // route.default: every routable note goes here; false: only when named in POST /notes.
  bool byDefault = true;
  // route.statuses: note statuses sent (draft is never allowed).
  std::vector<std::string> statuses = {"signed", "amended", "entered-in-error"};
  // route.clients: client ids sent; empty = every client.
  std::vector<std::string> clients;
  // route.allow_sensitive: psychotherapy notes and substance-use content may go here when the
  // note carries its authorization/consent; false refuses them whatever they carry.
  bool allowSensitive = false;
};

// One configured receiver: every `destinations.<name>.*` key.
struct DestinationConfig {
  std::string name;
  DestinationKind kind = DestinationKind::kEhr;
  // base_url: the receiver's FHIR base (http or https), without a trailing slash.
  std::string baseUrl;
  DestinationFormat format = DestinationFormat::kJson;
  DeliveryInteraction interaction = DeliveryInteraction::kTransaction;
  DestinationAuth auth = DestinationAuth::kNone;
  // token_file: bearer-file: a file holding the token (re-read on each delivery batch).
  std::filesystem::path tokenFile;
  // SMART Backend Services: client_id, token_url (empty: discovered from
  // {base_url}/.well-known/smart-configuration), private_key_file (PEM), key_id (kid), alg
  // (RS384 or ES384), scope (space-separated system scopes).
  std::string clientId;
  std::string tokenUrl;
  std::filesystem::path privateKeyFile;
  std::string keyId;
  std::string alg = "RS384";
  std::string scope;
  // client_cert_file + client_key_file: certificate presented to the receiver (mtls; also
  // allowed with the other modes).
  std::filesystem::path clientCertFile;
  std::filesystem::path clientKeyFile;
  // ca_file: CA certificates the receiver's certificate must chain to; empty: the system's.
  std::filesystem::path caFile;
  // insecure_skip_verify: no certificate or host name check (a warning at start).
  bool insecureSkipVerify = false;
  // profiles: canonical URLs each outbound resource of the matching type is validated against.
  std::vector<std::string> profiles;
  VendorRules rules;
  // connect_timeout_seconds / timeout_seconds: connection and per-request (send/receive).
  int connectTimeoutSeconds = 5;
  int timeoutSeconds = 30;
  RetryPolicy retry;
  // concurrency: deliveries in flight at once to this destination.
  int concurrency = 2;
  // breaker.failures: consecutive failed attempts that open the circuit; breaker.open_seconds:
  // how long it stays open before one trial delivery.
  int breakerFailures = 5;
  int breakerOpenSeconds = 30;
  DestinationRouting routing;
};

std::string_view toString(DestinationKind value);
std::string_view toString(DeliveryInteraction value);
std::string_view toString(DestinationAuth value);
std::string_view toString(DestinationFormat value);

}  // namespace notebridge::gateway

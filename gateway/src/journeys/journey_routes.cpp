#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/UUIDGenerator.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>

#include "fhir_api/search_parameters.h"
#include "notebridge/fhir/json_format.h"
#include "notebridge/fhir/xml_format.h"
#include "notebridge/gateway/api_keys.h"
#include "notebridge/gateway/forwarder.h"
#include "notebridge/gateway/journeys.h"
#include "notebridge/gateway/outbox_worker.h"
#include "notebridge/gateway/smart_scopes.h"
#include "notebridge/mappers/audit_event.h"
#include "notebridge/mappers/consent.h"
#include "notebridge/mappers/fhir_to_note.h"
#include "notebridge/mappers/note_json.h"
#include "notebridge/mappers/record_import.h"
#include "notebridge/mappers/submit_attachment.h"
#include "notebridge/mappers/transfer_summary.h"
#include "notes_api/note_routes.h"

namespace notebridge::gateway {
namespace {

using fhir::Element;
using fhir::Outcome;
using fhir::Result;
using fhir::Severity;

// How a Consent names a destination as its recipient (besides the destination's base URL).
constexpr std::string_view kDestinationSystem = "https://notebridge.io/fhir/sid/destination";

Outcome single(Severity severity, std::string code, std::string diagnostics,
               std::string expression = {}) {
  Outcome o;
  o.add(severity, std::move(code), std::move(diagnostics), std::move(expression));
  return o;
}

std::string nowInstant() { return formatInstant(std::chrono::system_clock::now()); }

std::string newId() { return Poco::UUIDGenerator::defaultGenerator().createRandom().toString(); }

std::string stringMember(const rapidjson::Value& object, const char* name) {
  auto it = object.FindMember(name);
  if (it == object.MemberEnd() || !it->value.IsString()) return {};
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

std::string toJson(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  value.Accept(w);
  return std::string(buffer.GetString(), buffer.GetSize());
}

// The request body as a JSON object; answers 400 itself and gives nothing otherwise.
std::optional<rapidjson::Document> jsonBody(HttpExchange& exchange) {
  auto body = exchange.body();
  if (!body) {
    exchange.sendOutcome(body.outcome());
    return std::nullopt;
  }
  rapidjson::Document doc;
  doc.Parse(body->data(), body->size());
  if (doc.HasParseError() || !doc.IsObject()) {
    exchange.sendOutcome(400,
                         single(Severity::kError, "structure", "the body is not a JSON object"));
    return std::nullopt;
  }
  return doc;
}

// "urn:uuid:X" -> "Type/X": the id the notes API stores the resource under.
std::string storedReference(std::string_view type, std::string_view fullUrl) {
  if (fullUrl.rfind("urn:uuid:", 0) == 0) fullUrl.remove_prefix(9);
  return std::string(type) + "/" + std::string(fullUrl);
}

void storeAudit(Store& store, Element::Ptr event, Outcome& warnings) {
  auto written = store.writeResource(auditEventWrite(std::move(event)));
  if (!written) {
    // Best effort (DOMAIN §6.6): the disclosure happened; say the audit could not be stored.
    warnings.add(Severity::kWarning, "exception", "the AuditEvent could not be stored");
    warnings.append(written.outcome());
  } else {
    warnings.add(Severity::kInformation, "informational",
                 "recorded AuditEvent/" + written->written.id);
  }
}

mappers::AuditRecord auditBase(const JourneyContext& ctx) {
  mappers::AuditRecord r;
  r.recorded = nowInstant();
  const int port = ctx.boundPort ? ctx.boundPort() : ctx.config.port;
  r.observerName = "notebridge@" + ctx.config.host + ":" + std::to_string(port);
  r.observerAddress = (ctx.config.tlsEnabled() ? "https://" : "http://") + ctx.config.host + ":" +
                      std::to_string(port);
  return r;
}

// The client's notes as the practice has them: the latest version of each, oldest session
// first (a transfer wants newest last).
Result<std::vector<mappers::Note>> clientNotes(Store& store, const std::string& clientId) {
  NoteQuery query;
  query.clientId = clientId;
  query.count = 1000;
  std::map<std::string, NoteRecord> latest;
  for (int page = 0; page < 100; ++page) {
    auto listed = store.listNotes(query);
    if (!listed) return Result<std::vector<mappers::Note>>(listed.outcome());
    for (NoteRecord& n : listed->notes) {
      auto it = latest.find(n.id);
      if (it == latest.end() || it->second.version < n.version) latest[n.id] = std::move(n);
    }
    if (listed->nextCursor.empty()) break;
    query.after = listed->nextCursor;
  }
  std::vector<mappers::Note> notes;
  for (const auto& [id, record] : latest) {
    auto parsed = mappers::parseNote(record.noteJson, mappers::ParseMode::kLenient);
    if (parsed) notes.push_back(std::move(parsed).value());
  }
  std::stable_sort(notes.begin(), notes.end(), [](const mappers::Note& a, const mappers::Note& b) {
    return a.session.start < b.session.start;
  });
  return notes;
}

// A Forwarder for one destination: its auth (bearer file, SMART backend, mutual TLS) and TLS.
Result<std::shared_ptr<Forwarder>> forwarderFor(const JourneyContext& ctx,
                                                const DestinationConfig& destination) {
  auto transform = std::make_shared<OutboundTransform>(ctx.registry, ctx.validator);
  return Forwarder::create(destination, std::move(transform));
}

// The configured destination named by the request's `field`, or nothing after answering 422
// (missing or unknown name).
const DestinationConfig* namedDestination(HttpExchange& exchange, const JourneyContext& ctx,
                                          const std::string& name, const std::string& field,
                                          const std::string& what) {
  const DestinationConfig* destination = ctx.config.destination(name);
  if (!destination) {
    exchange.sendOutcome(422, single(Severity::kError, "value",
                                     name.empty() ? field + " (" + what + ") is required"
                                                  : "unknown destination '" + name + "'",
                                     field));
  }
  return destination;
}

// A receiver's answer turned into our outcome and status: nothing for a 2xx.
std::optional<std::pair<int, Outcome>> upstreamFailure(const UpstreamResult& result,
                                                       std::string_view what, bool payer) {
  if (!result.response) {
    const int status = result.error == UpstreamError::kTimeout ? 504 : 502;
    return std::pair{status,
                     single(Severity::kError, "transient",
                            std::string(what) + " could not be reached (" +
                                std::string(toString(result.error)) + "): " + result.reason)};
  }
  const int status = result.response->status;
  if (status >= 200 && status < 300) return std::nullopt;
  std::string message;
  std::string code = "exception";
  if (status == 413) {
    code = "too-long";
    message = "dead-letter: " + std::string(what) +
              " refused the submission as too large (HTTP 413); it is not retried. Submit fewer "
              "notes per call or send the document by URL (CDex large payloads)";
  } else if (status >= 400 && status < 500) {
    message = "dead-letter: " + std::string(what) + " refused the request (HTTP " +
              std::to_string(status) + "); it is not resent unchanged";
  } else {
    code = "transient";
    message = std::string(what) + " failed (HTTP " + std::to_string(status) + ")" +
              (payer ? "; it may be retried" : "");
  }
  return std::pair{502, single(Severity::kError, code, message)};
}

// Sends one disclosure (`body` POSTed to `url` of `destination`) and stores its AuditEvent,
// success or not. Answers the failure and returns nothing when the receiver did not take it.
std::optional<UpstreamResult> discloseAndAudit(HttpExchange& exchange, const JourneyContext& ctx,
                                               const DestinationConfig& destination,
                                               const std::string& url, std::string body,
                                               std::string_view what, bool payer,
                                               mappers::AuditRecord& audit, Outcome& warnings) {
  auto forwarder = forwarderFor(ctx, destination);
  if (!forwarder) {
    exchange.sendOutcome(500, forwarder.outcome());
    return std::nullopt;
  }
  UpstreamRequest upstream;
  upstream.method = "POST";
  upstream.url = url;
  upstream.contentType = "application/fhir+json";
  upstream.body = std::move(body);
  UpstreamResult result = (*forwarder)->sendRequest(upstream);
  const auto failure = upstreamFailure(result, what, payer);
  audit.success = !failure;
  if (failure) audit.outcomeText = failure->second.issues().front().diagnostics;
  storeAudit(*ctx.store, mappers::disclosureAuditEvent(audit), warnings);
  if (failure) {
    Outcome outcome = failure->second;
    outcome.append(warnings);
    exchange.sendOutcome(failure->first, outcome);
    return std::nullopt;
  }
  return result;
}

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;
void key(JsonWriter& w, const char* name, const std::string& value) {
  w.Key(name);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}
void outcomeMember(JsonWriter& w, const Outcome& outcome) {
  if (outcome.empty()) return;
  w.Key("outcome");
  const std::string oo = outcome.toOperationOutcomeJson();
  w.RawValue(oo.data(), oo.size(), rapidjson::kObjectType);
}

// ---- transfer ----

Result<Element::Ptr> consentFrom(const JourneyContext& ctx, const rapidjson::Value& body,
                                 int& status) {
  status = 422;
  auto inline_ = body.FindMember("consent");
  const std::string reference = stringMember(body, "consentReference");
  std::string json;
  if (inline_ != body.MemberEnd() && inline_->value.IsObject()) {
    json = toJson(inline_->value);
  } else if (!reference.empty()) {
    const auto slash = reference.rfind('/');
    const std::string id = slash == std::string::npos ? reference : reference.substr(slash + 1);
    if (reference.rfind("Consent/", 0) != 0 && slash != std::string::npos) {
      return Result<Element::Ptr>::failure(
          Severity::kError, "invalid", "consentReference must be Consent/<id>", "consentReference");
    }
    auto stored = ctx.store->readResource("Consent", id, std::nullopt);
    if (!stored) {
      status = 403;
      return Result<Element::Ptr>::failure(
          Severity::kError, "forbidden",
          "no consent: " + reference + " is not stored here, so nothing may leave (DOMAIN §6.4)",
          "consentReference");
    }
    json = stored->body;
  } else {
    status = 403;
    return Result<Element::Ptr>::failure(
        Severity::kError, "forbidden",
        "no consent: a transfer needs a Consent (\"consent\" or \"consentReference\"), "
        "DOMAIN §6.4",
        "consent");
  }
  auto parsed = fhir::parseJson(json, *ctx.registry);
  if (!parsed) return parsed;
  if ((*parsed)->type() != "Consent") {
    return Result<Element::Ptr>::failure(Severity::kError, "invalid",
                                         "consent must be a Consent resource", "consent");
  }
  if (ctx.validator) {
    Outcome checked = ctx.validator->validate(**parsed);
    if (checked.hasErrors()) return Result<Element::Ptr>(std::move(checked));
  }
  return parsed;
}

void postTransfer(HttpExchange& exchange, const JourneyContext& ctx) {
  auto body = jsonBody(exchange);
  if (!body) return;
  const std::string clientId(exchange.pathParam("id"));
  const std::string recipient = stringMember(*body, "recipient");
  std::string purpose = stringMember(*body, "purpose");
  if (purpose.empty()) purpose = "TREAT";
  const DestinationConfig* destination =
      namedDestination(exchange, ctx, recipient, "recipient", "a destination name");
  if (!destination) return;
  mappers::AuditRecord audit = auditBase(ctx);
  audit.partnerName = destination->name;
  audit.partnerAddress = destination->baseUrl;
  audit.purposeOfUse = purpose;
  audit.patientDisplay = clientId;
  // A refusal is audited too (best effort, DOMAIN §6.6), then answered.
  auto refuse = [&](int status, const Outcome& reasons) {
    audit.success = false;
    audit.outcomeText =
        "refused: " + (reasons.issues().empty() ? std::string("no reason")
                                                : reasons.issues().front().diagnostics);
    Outcome ignored;
    storeAudit(*ctx.store, mappers::disclosureAuditEvent(audit), ignored);
    exchange.sendOutcome(status, reasons);
  };
  int consentStatus = 422;
  auto consent = consentFrom(ctx, *body, consentStatus);
  if (!consent) return refuse(consentStatus, consent.outcome());
  auto terms = mappers::readConsent(**consent);
  if (!terms) return exchange.sendOutcome(422, terms.outcome());
  auto notes = clientNotes(*ctx.store, clientId);
  if (!notes) return exchange.sendOutcome(notes.outcome());
  if (notes->empty()) {
    return exchange.sendOutcome(
        404, single(Severity::kError, "not-found", "client " + clientId + " has no notes"));
  }

  mappers::DisclosureRequest request;
  request.recipient.references = {destination->baseUrl, "Organization/" + destination->name};
  request.recipient.identifiers = {{std::string(kDestinationSystem), destination->name}};
  request.purpose = purpose;
  request.now = nowInstant();

  if (!terms->id.empty()) audit.consentReference = "Consent/" + terms->id;

  std::vector<mappers::Note> permitted;
  std::vector<std::string> excluded;
  Outcome reasons;
  for (const mappers::Note& note : *notes) {
    if (note.status == mappers::NoteStatus::kDraft) continue;
    const auto decision = mappers::evaluateConsent(*terms, request, mappers::privacyOf(note));
    if (decision.consentRefused) return refuse(403, decision.reasons);
    if (decision.permit) {
      permitted.push_back(note);
      continue;
    }
    excluded.push_back(note.noteId);
    for (fhir::Issue issue : decision.reasons.issues()) {
      issue.expression = "notes[" + note.noteId + "]." + issue.expression;
      reasons.add(std::move(issue));
    }
  }
  if (permitted.empty()) {
    reasons.add(Severity::kError, "forbidden",
                "no note of client " + clientId + " may leave under this consent");
    return refuse(403, reasons);
  }
  // Excluded notes stay home; the transfer goes on with the others (reported as warnings).
  Outcome warnings;
  for (fhir::Issue issue : reasons.issues()) {
    issue.severity = Severity::kWarning;
    issue.diagnostics = "not transferred: " + issue.diagnostics;
    warnings.add(std::move(issue));
  }

  mappers::TransferOptions options;
  options.now = request.now;
  options.consent = consent->get();
  auto document = mappers::buildTransferSummary(permitted, options);
  if (!document) return exchange.sendOutcome(422, document.outcome());
  if (ctx.validator) {
    Outcome checked = ctx.validator->validate(**document);
    if (checked.hasErrors()) {
      checked.add(Severity::kError, "processing",
                  "the transfer document does not validate; nothing was sent");
      return exchange.sendOutcome(422, checked);
    }
  }
  const Element* composition = (*document)->child("entry")->child("resource");
  audit.patientReference =
      storedReference("Patient", composition->child("subject")->childValue("reference"));
  std::vector<std::string> sentIds;
  for (const Element* entry : (*document)->childrenNamed("entry")) {
    const Element* r = entry->child("resource");
    if (!r || r->type() != "DocumentReference") continue;
    audit.dataReferences.push_back(
        storedReference("DocumentReference", entry->childValue("fullUrl")));
  }
  for (const auto& n : permitted) sentIds.push_back(n.noteId);

  const auto result = discloseAndAudit(
      exchange, ctx, *destination, destination->baseUrl + "/Bundle", fhir::writeJson(**document),
      "the recipient " + destination->name, false, audit, warnings);
  if (!result) return;

  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  key(w, "status", "delivered");
  key(w, "recipient", destination->name);
  key(w, "document", std::string((*document)->child("identifier")->childValue("value")));
  w.Key("notes");
  w.StartArray();
  for (const auto& id : sentIds) w.String(id.c_str());
  w.EndArray();
  w.Key("excluded");
  w.StartArray();
  for (const auto& id : excluded) w.String(id.c_str());
  w.EndArray();
  w.Key("receiver");
  w.StartObject();
  w.Key("status");
  w.Int(result->response->status);
  key(w, "location", result->response->header("location"));
  w.EndObject();
  outcomeMember(w, warnings);
  w.EndObject();
  exchange.send(200, kPlainJson, std::string(buffer.GetString(), buffer.GetSize()));
}

// ---- payer submission ----

void postSubmit(HttpExchange& exchange, const JourneyContext& ctx) {
  auto body = jsonBody(exchange);
  if (!body) return;
  const std::string noteId(exchange.pathParam("id"));
  const std::string name = stringMember(*body, "destination");
  const DestinationConfig* destination =
      namedDestination(exchange, ctx, name, "destination", "a payer destination name");
  if (!destination) return;
  auto record = ctx.store->readNote(noteId, std::nullopt);
  if (!record) return exchange.sendOutcome(record.outcome());
  auto note = mappers::parseNote(record->noteJson, mappers::ParseMode::kLenient);
  if (!note) return exchange.sendOutcome(422, note.outcome());

  mappers::SubmissionRequest request;
  request.claimId = stringMember(*body, "claimId");
  request.trackingId = stringMember(*body, "trackingId");
  if (const std::string attachTo = stringMember(*body, "attachTo"); !attachTo.empty()) {
    request.attachTo = attachTo;
  }
  request.payerId = stringMember(*body, "payerId");
  request.payerSystem = stringMember(*body, "payerSystem");
  if (auto items = body->FindMember("lineItems");
      items != body->MemberEnd() && items->value.IsArray()) {
    for (const auto& item : items->value.GetArray()) {
      if (item.IsString()) request.lineItems.emplace_back(item.GetString());
      if (item.IsInt()) request.lineItems.push_back(std::to_string(item.GetInt()));
    }
  }
  if (auto f = body->FindMember("final"); f != body->MemberEnd() && f->value.IsBool()) {
    request.final = f->value.GetBool();
  }
  auto parameters = mappers::buildSubmitAttachment({*note}, request);
  if (!parameters) return exchange.sendOutcome(422, parameters.outcome());
  Outcome warnings = parameters.outcome();
  if (ctx.validator) {
    validation::ValidationOptions options;
    options.useMetaProfiles = false;
    if (ctx.validator->plan(mappers::kCdexSubmitAttachmentProfile)) {
      options.profiles = {mappers::kCdexSubmitAttachmentProfile};
    } else {
      warnings.add(Severity::kWarning, "not-supported",
                   "the CDex package is not loaded (definitions.packages): the Parameters were "
                   "checked against R4 only");
    }
    Outcome checked = ctx.validator->validate(**parameters, options);
    if (checked.hasErrors()) {
      checked.add(Severity::kError, "processing",
                  "the $submit-attachment Parameters do not validate; nothing was sent");
      return exchange.sendOutcome(422, checked);
    }
  }

  mappers::AuditRecord audit = auditBase(ctx);
  audit.partnerName = destination->name;
  audit.partnerAddress = destination->baseUrl;
  audit.purposeOfUse = "HPAYMT";
  audit.patientDisplay = note->client.id;
  if (!record->bundleJson.empty()) {
    auto bundle = fhir::parseJson(record->bundleJson, *ctx.registry);
    if (bundle) {
      for (const Element* entry : (*bundle)->childrenNamed("entry")) {
        const Element* r = entry->child("resource");
        if (r && r->type() == "DocumentReference" && audit.dataReferences.empty()) {
          audit.dataReferences.push_back(
              storedReference("DocumentReference", entry->childValue("fullUrl")));
          if (const Element* subject = r->child("subject")) {
            audit.patientReference = storedReference("Patient", subject->childValue("reference"));
          }
        }
      }
    }
  }

  const auto result = discloseAndAudit(
      exchange, ctx, *destination, destination->baseUrl + "/$submit-attachment",
      fhir::writeJson(**parameters), "the payer " + destination->name, true, audit, warnings);
  if (!result) return;
  const Element* tracking = nullptr;
  for (const Element* p : (*parameters)->childrenNamed("parameter")) {
    if (p->childValue("name") == "TrackingId") tracking = p->child("valueIdentifier");
  }
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  key(w, "status", "delivered");
  key(w, "destination", destination->name);
  key(w, "note", noteId);
  w.Key("version");
  w.Int(note->version);
  key(w, "trackingId", tracking ? std::string(tracking->childValue("value")) : std::string());
  w.Key("receiver");
  w.StartObject();
  w.Key("status");
  w.Int(result->response->status);
  w.EndObject();
  outcomeMember(w, warnings);
  w.EndObject();
  exchange.send(200, kPlainJson, std::string(buffer.GetString(), buffer.GetSize()));
}

// ---- receiving a transfer ----

void importDocument(HttpExchange& exchange, const JourneyContext& ctx) {
  auto body = exchange.body();
  if (!body) return exchange.sendOutcome(body.outcome());
  const std::string contentType = exchange.request().getContentType();
  const bool xml = contentType.find("xml") != std::string::npos;
  const std::size_t limit = static_cast<std::size_t>(ctx.config.maxBodyBytes);
  auto parsed = xml ? fhir::parseXml(*body, *ctx.registry, {.maxBytes = limit})
                    : fhir::parseJson(*body, *ctx.registry, {.maxBytes = limit});
  if (!parsed) return exchange.sendOutcome(400, parsed.outcome());
  const Element& bundle = **parsed;
  if (bundle.type() != "Bundle" || bundle.childValue("type") != "document") {
    return exchange.sendOutcome(
        422,
        single(Severity::kError, "not-supported",
               "only a document Bundle (a transferred record) is accepted here; this is a " +
                   (bundle.type() == "Bundle" ? std::string(bundle.childValue("type")) + " Bundle"
                                              : bundle.type())));
  }
  importTransferDocument(exchange, ctx, bundle);
}

}  // namespace

void importTransferDocument(HttpExchange& exchange, const JourneyContext& ctx,
                            const Element& bundle) {
  if (exchange.principal().kind == "jwt" &&
      !SmartScopes::parse(exchange.principal().scope).allows("Bundle", "create")) {
    return exchange.sendOutcome(
        403, single(Severity::kError, "forbidden",
                    "the token's scopes do not allow create on Bundle (a transfer import)"));
  }
  if (ctx.validator) {
    Outcome checked = ctx.validator->validate(bundle);
    if (checked.hasErrors()) return exchange.sendOutcome(422, checked);
  }
  auto record = mappers::importRecord(bundle);
  if (!record) return exchange.sendOutcome(422, record.outcome());
  Outcome outcome = record.outcome();
  std::map<std::string, const Element*> byUrl;
  for (const Element* entry : bundle.childrenNamed("entry")) {
    byUrl[std::string(entry->childValue("fullUrl"))] = entry->child("resource");
  }
  int added = 0;
  mappers::AuditRecord audit = auditBase(ctx);
  audit.partnerName = exchange.principal().id.empty() ? "unknown" : exchange.principal().id;
  audit.purposeOfUse = "TREAT";
  audit.patientDisplay = record->client.id;
  if (const Element* first = bundle.child("entry")) {
    if (const Element* c = first->child("resource"); c && c->type() == "Composition") {
      if (const Element* subject = c->child("subject")) {
        audit.patientReference = storedReference("Patient", subject->childValue("reference"));
      }
    }
  }
  for (const mappers::ImportedNote& imported : record->notes) {
    const mappers::Note& note = imported.note;
    NoteWrite write;
    write.note = noteRecordFor(note, "inbound");
    auto doc = byUrl.find(imported.documentFullUrl);
    if (doc != byUrl.end() && doc->second) write.note.bundleJson = fhir::writeJson(*doc->second);
    auto stored = ctx.store->writeNote(write);
    if (!stored) {
      // The same note id and version with other content: kept as the next version, so nothing
      // received is lost and nothing known is duplicated.
      auto latest = ctx.store->readNote(write.note.id, std::nullopt);
      if (latest && latest->contentHash != write.note.contentHash) {
        write.note.version = latest->version + 1;
        stored = ctx.store->writeNote(write);
      } else if (latest) {
        outcome.add(Severity::kInformation, "informational",
                    "note " + note.noteId + " is already here");
        continue;
      }
    }
    if (!stored) {
      outcome.append(stored.outcome());
      continue;
    }
    if (stored->created) ++added;
    outcome.add(Severity::kInformation, "informational",
                (stored->created ? "imported note " : "note already here: ") + stored->note.id +
                    " version " + std::to_string(stored->note.version) + " (key " + imported.key +
                    ")");
    if (!imported.documentFullUrl.empty()) {
      audit.dataReferences.push_back(
          storedReference("DocumentReference", imported.documentFullUrl));
    }
  }
  audit.success = !outcome.hasErrors();
  storeAudit(*ctx.store, mappers::importAuditEvent(audit), outcome);
  if (outcome.hasErrors()) return exchange.sendOutcome(500, outcome);
  exchange.sendOutcome(added > 0 ? 201 : 200, outcome);
}

void addJourneyRoutes(Router& router, std::shared_ptr<const JourneyContext> context) {
  router.add({"POST",
              "/clients/{id}/transfer",
              [context](HttpExchange& e) { postTransfer(e, *context); },
              {},
              {},
              Access::kInternal});
  router.add({"POST",
              "/notes/{id}/submit",
              [context](HttpExchange& e) { postSubmit(e, *context); },
              {},
              {},
              Access::kInternal});
  router.add({"POST",
              "/fhir/Bundle",
              [context](HttpExchange& e) { importDocument(e, *context); },
              {{"Bundle", "create"}},
              {},
              Access::kFhir});
}

SubmitAttachmentBuilder cdexSubmitAttachmentBuilder() {
  return [](const Element& bundle, const DestinationConfig&) -> Result<Element::Ptr> {
    auto note = mappers::fhirToNote(bundle);
    if (!note) return Result<Element::Ptr>(note.outcome());
    mappers::SubmissionRequest request;
    request.trackingId =
        note->practice.npi + "-" + note->noteId + "-v" + std::to_string(note->version);
    return mappers::buildSubmitAttachment({*note}, request);
  };
}

ResourceWrite auditEventWrite(Element::Ptr event) {
  std::shared_ptr<Element> shared(event.release());
  ResourceWrite write;
  write.type = "AuditEvent";
  write.id = newId();
  write.mustNotExist = true;
  write.index = indexResource(*shared);
  write.render = [shared](const ResourceVersion& v) {
    // Resource.id and meta.versionId / lastUpdated, as the FHIR API stamps them.
    Element* meta = shared->child("meta");
    std::size_t at = 0;
    shared->insertChild(at, Element::makePrimitive("id", "id", v.id));
    if (meta) {
      meta->insertChild(0, Element::makePrimitive("lastUpdated", "instant", v.lastUpdated));
      meta->insertChild(0, Element::makePrimitive("versionId", "id", std::to_string(v.version)));
    }
    return fhir::writeJson(*shared);
  };
  return write;
}

}  // namespace notebridge::gateway

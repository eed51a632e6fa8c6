#include "notes_api/note_routes.h"

#include "notebridge/gateway/journeys.h"
#include "notebridge/gateway/outbox_worker.h"
#include "notebridge/mappers/audit_event.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/URI.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include "fhir_api/fhir_routes.h"
#include "fhir_api/search_parameters.h"
#include "notebridge/fhir/json_format.h"
#include "notebridge/gateway/api_keys.h"
#include "notebridge/gateway/validation_cache.h"
#include "notebridge/gateway/version_template.h"
#include "notebridge/mappers/fhir_to_note.h"
#include "notebridge/mappers/note_json.h"
#include "notebridge/mappers/note_to_fhir.h"

namespace notebridge::gateway {

using fhir::Element;
using fhir::Outcome;
using fhir::Result;
using fhir::Severity;

void rewriteReferences(Element& tree, const std::map<std::string, std::string>& targets) {
  // Iterative: resources may nest deeply and the parser already bounded the depth, but a
  // stack here keeps the rule "no recursion over input" simple to check. A note's resources are
  // walked one after the other, so the stack keeps its room per thread.
  if (targets.empty()) return;
  thread_local std::vector<Element*> pending;
  pending.clear();
  pending.push_back(&tree);
  // Lengths first (a value no key is as long as needs no lookup), and names compared by size
  // before their bytes: `std::string == "literal"` called memcmp on every node of every tree.
  const auto [shortest, longest] = std::minmax_element(
      targets.begin(), targets.end(),
      [](const auto& a, const auto& b) { return a.first.size() < b.first.size(); });
  const std::size_t minLength = shortest->first.size();
  const std::size_t maxLength = longest->first.size();
  constexpr std::string_view kReference = "reference";
  constexpr std::string_view kUri = "uri";
  while (!pending.empty()) {
    Element* e = pending.back();
    pending.pop_back();
    if (e->hasValue() && e->isPrimitive()) {
      const std::string& value = e->value();
      if (value.size() >= minLength && value.size() <= maxLength) {
        const std::string& name = e->name();
        const std::string& type = e->type();
        if ((name.size() == kReference.size() && name == kReference) ||
            (type.size() == kUri.size() && type == kUri)) {
          auto it = targets.find(value);
          if (it != targets.end()) e->setValue(it->second);
        }
      }
    }
    for (const auto& child : e->children()) pending.push_back(child.get());
  }
  // A huge tree (an inbound Bundle) leaves no lasting room behind on the thread.
  constexpr std::size_t kKeptEntries = 4096;
  if (pending.capacity() > kKeptEntries) std::vector<Element*>().swap(pending);
}

namespace {

struct NotesApi {
  std::shared_ptr<Store> store;
  std::shared_ptr<const fhir::DefinitionRegistry> registry;
  std::shared_ptr<const validation::Validator> validator;
  std::shared_ptr<const NoteRouting> routing;
  GatewayConfig config;
  // Set with the validator: most notes repeat their client's and practice's resources.
  std::shared_ptr<ValidationCache> validationCache;
};

using Params = std::vector<std::pair<std::string, std::string>>;

Params queryParameters(HttpExchange& exchange) {
  try {
    return Poco::URI(exchange.request().getURI()).getQueryParameters();
  } catch (const Poco::Exception&) {
    return {};
  }
}

std::string queryValue(const Params& params, std::string_view name) {
  for (const auto& [key, value] : params) {
    if (key == name) return value;
  }
  return {};
}

std::string encodeSegment(const std::string& text) {
  std::string out;
  Poco::URI::encode(text, "/?#&=+%", out);
  return out;
}

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void key(JsonWriter& w, const char* name, const std::string& value) {
  w.Key(name);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

// The FHIR resources stored for a note, as "Type/id" grouped by type. A note has one of each
// type except those listed here, which are arrays; the note's own DocumentReference is
// `DocumentReference`, those of its attachments `attachments`.
void writeFhirRefs(JsonWriter& w, const std::vector<std::pair<std::string, std::string>>& refs) {
  static const std::set<std::string, std::less<>> kSeveral = {"Observation", "Condition", "Goal",
                                                              "Procedure", "MedicationStatement"};
  w.Key("fhir");
  w.StartObject();
  // One pass per type, from its first reference on; `done` marks those already written.
  std::vector<char> done(refs.size(), 0);
  std::string ref;
  const auto writeRef = [&](const std::pair<std::string, std::string>& r) {
    ref.assign(r.first).append(1, '/').append(r.second);
    w.String(ref.data(), static_cast<rapidjson::SizeType>(ref.size()));
  };
  bool document = false;
  std::vector<std::size_t> attachments;
  for (std::size_t i = 0; i < refs.size(); ++i) {
    if (done[i]) continue;
    const std::string& type = refs[i].first;
    if (type == "DocumentReference") {
      if (!document) {
        w.Key("DocumentReference");
        writeRef(refs[i]);
        document = true;
      } else {
        attachments.push_back(i);
      }
      continue;
    }
    const bool several = kSeveral.count(type) != 0;
    w.Key(type.data(), static_cast<rapidjson::SizeType>(type.size()));
    if (several) w.StartArray();
    // A type of one resource names its first; the others of that type are skipped.
    for (std::size_t j = i; j < refs.size(); ++j) {
      if (refs[j].first != type) continue;
      if (several || j == i) writeRef(refs[j]);
      done[j] = 1;
    }
    if (several) w.EndArray();
  }
  if (!attachments.empty()) {
    w.Key("attachments");
    w.StartArray();
    for (std::size_t i : attachments) writeRef(refs[i]);
    w.EndArray();
  }
  w.EndObject();
}

void writeDeliveries(JsonWriter& w, const std::vector<NoteDelivery>& deliveries) {
  w.Key("deliveries");
  w.StartArray();
  for (const NoteDelivery& d : deliveries) {
    w.StartObject();
    key(w, "destination", d.destination);
    key(w, "state", d.state);
    w.Key("id");
    w.Int64(d.id);
    w.EndObject();
  }
  w.EndArray();
}

// "Type/id" of every entry of a stored Bundle whose fullUrl is one of ours (urn:uuid).
std::vector<std::pair<std::string, std::string>> bundleRefs(const Element& bundle) {
  std::vector<std::pair<std::string, std::string>> refs;
  for (const Element* entry : bundle.childrenNamed("entry")) {
    const Element* resource = entry->child("resource");
    const std::string_view url = entry->childValue("fullUrl");
    if (!resource || url.substr(0, 9) != "urn:uuid:") continue;
    refs.emplace_back(resource->type(), std::string(url.substr(9)));
  }
  return refs;
}

}  // namespace

Result<MappedNote> mapNote(const mappers::Note& note, ValidationCache* validation) {
  auto bundle = mappers::noteToFhir(note);
  if (!bundle) return Result<MappedNote>(std::move(bundle.outcome()));
  Outcome outcome = std::move(bundle.outcome());
  MappedNote mapped;
  std::map<std::string, std::string> targets;
  for (const Element* entry : (*bundle)->childrenNamed("entry")) {
    const Element* resource = entry->child("resource");
    const std::string url(entry->childValue("fullUrl"));
    if (!resource || url.rfind("urn:uuid:", 0) != 0) continue;
    targets[url] = resource->type() + "/" + url.substr(9);
    mapped.refs.emplace_back(resource->type(), url.substr(9));
  }
  std::size_t index = 0;
  for (const Element::Ptr& child : (*bundle)->children()) {
    if (child->name() != "entry") continue;
    Element& entry = *child;
    const std::size_t entryIndex = index++;
    const std::string url(entry.childValue("fullUrl"));
    if (url.rfind("urn:uuid:", 0) != 0) continue;
    const auto& parts = entry.children();
    const auto found = std::find_if(parts.begin(), parts.end(),
                                    [](const Element::Ptr& e) { return e->name() == "resource"; });
    if (found == parts.end()) continue;
    // Taken out of the Bundle, which is dropped after this: no copy of the tree.
    std::shared_ptr<Element> copy(
        entry.removeChild(static_cast<std::size_t>(found - parts.begin())).release());
    const std::string id = url.substr(9);
    rewriteReferences(*copy, targets);
    // Rendered here, before the store's writer is taken: the store only splices the version
    // in, and compares content by digest (the tree is dropped unless no template fits).
    ResourceWrite write;
    if (validation) {
      ValidationCache::Checked checked = validation->validateAndRender(std::move(copy), id);
      const std::string at = "Bundle.entry[" + std::to_string(entryIndex) + "].resource";
      for (fhir::Issue& issue : checked.issues.issues()) {
        // Keep what a sender must act on. dom-6 (no narrative) is by design: the mapper
        // writes narrative for the document only (DOMAIN §1.6). Errors are all kept: a
        // resource with errors has no write (validateAndRender), so the note must fail.
        if (issue.severity < Severity::kWarning ||
            (issue.severity == Severity::kWarning && issue.diagnostics.rfind("dom-6:", 0) == 0)) {
          continue;
        }
        if (issue.expression.rfind("resource", 0) == 0) {
          issue.expression = at + issue.expression.substr(8);
        }
        outcome.add(std::move(issue));
      }
      write = std::move(checked.write);
    } else {
      write = templatedWrite(std::move(copy), id);
    }
    write.skipUnchanged = true;
    mapped.writes.push_back(std::move(write));
  }
  if (outcome.hasErrors()) return Result<MappedNote>(std::move(outcome));
  return Result<MappedNote>(std::move(mapped), std::move(outcome));
}

namespace {

std::vector<std::string> requestedDestinations(const Params& params) {
  std::vector<std::string> names;
  for (const auto& [name, value] : params) {
    if (name != "destination") continue;
    std::size_t start = 0;
    while (start <= value.size()) {
      std::size_t end = value.find(',', start);
      if (end == std::string::npos) end = value.size();
      std::string item = value.substr(start, end - start);
      item.erase(0, item.find_first_not_of(' '));
      item.erase(item.find_last_not_of(' ') + 1);
      if (!item.empty() && std::find(names.begin(), names.end(), item) == names.end()) {
        names.push_back(item);
      }
      start = end + 1;
    }
  }
  return names;
}

}  // namespace

std::string postAnswer(const NoteRecord& note,
                       const std::vector<std::pair<std::string, std::string>>& refs,
                       const std::vector<NoteDelivery>& deliveries, const Outcome& warnings) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  key(w, "id", note.id);
  w.Key("version");
  w.Int(note.version);
  key(w, "status", note.status);
  writeFhirRefs(w, refs);
  writeDeliveries(w, deliveries);
  if (!warnings.empty()) {
    w.Key("outcome");
    const std::string oo = warnings.toOperationOutcomeJson();
    w.RawValue(oo.data(), oo.size(), rapidjson::kObjectType);
  }
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

namespace {

void postNote(HttpExchange& exchange, const NotesApi& api) {
  auto body = exchange.body();
  if (!body) return exchange.sendOutcome(body.outcome());
  auto parsed = mappers::parseNote(*body, mappers::ParseMode::kStrict);
  if (!parsed) {
    Outcome outcome = parsed.outcome();
    // Not JSON at all is a bad request; JSON that breaks the note format is unprocessable.
    return exchange.sendOutcome(outcome.worst() == Severity::kFatal ? 400 : 422, outcome);
  }
  const mappers::Note& note = *parsed;
  Outcome warnings = parsed.outcome();
  const Params params = queryParameters(exchange);
  const std::vector<std::string> requested = requestedDestinations(params);

  NoteWrite write;
  write.note = noteRecordFor(note, "internal");
  MappedNote mapped;
  if (note.status == mappers::NoteStatus::kDraft) {
    // DOMAIN §9.3: drafts are held until signed. Stored so the practice can read them back,
    // never mapped or routed.
    if (!requested.empty()) {
      warnings.add(Severity::kWarning, "business-rule",
                   "a draft is stored but never sent; the destinations were ignored",
                   "destination");
    }
  } else {
    auto result = mapNote(note, api.validator ? api.validationCache.get() : nullptr);
    if (!result) return exchange.sendOutcome(422, result.outcome());
    warnings.append(result.outcome());
    mapped = std::move(*result);
    auto destinations = api.routing->destinationsFor(note, requested);
    if (!destinations) return exchange.sendOutcome(422, destinations.outcome());
    warnings.append(destinations.outcome());
    // One outbox row per destination, however often the routing names it.
    for (const std::string& name : *destinations) {
      if (std::find(write.destinations.begin(), write.destinations.end(), name) ==
          write.destinations.end()) {
        write.destinations.push_back(name);
      }
    }
    // The store keeps the note only; the Bundle is rebuilt from it where it is read.
    write.note.bundleFromNote = true;
    write.resources = std::move(mapped.writes);
  }
  auto stored = api.store->writeNote(write);
  if (!stored) return exchange.sendOutcome(stored.outcome());
  exchange.setHeader("Location", "/notes/" + encodeSegment(note.noteId) + "/versions/" +
                                     std::to_string(note.version));
  exchange.send(stored->created ? 201 : 200, kPlainJson,
                postAnswer(stored->note, mapped.refs, stored->deliveries, warnings));
}

void writeNoteRecord(JsonWriter& w, const NoteRecord& note, bool withBody) {
  w.StartObject();
  key(w, "id", note.id);
  w.Key("version");
  w.Int(note.version);
  key(w, "status", note.status);
  key(w, "source", note.source);
  key(w, "clientId", note.clientId);
  key(w, "receivedAt", note.receivedAt);
  key(w, "contentHash", note.contentHash);
  key(w, "self", "/notes/" + encodeSegment(note.id) + "/versions/" + std::to_string(note.version));
  if (withBody) {
    w.Key("note");
    w.RawValue(note.noteJson.data(), note.noteJson.size(), rapidjson::kObjectType);
  }
}

// The warnings kept for an inbound note (see storeInboundNote), or nothing.
std::string storedWarnings(Store& store, const NoteRecord& note);

void getNote(HttpExchange& exchange, const NotesApi& api, bool byVersion) {
  std::optional<int> version;
  if (byVersion) {
    const std::string_view text = exchange.pathParam("version");
    int v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || v < 1) {
      Outcome outcome;
      outcome.add(Severity::kError, "not-found",
                  "version '" + std::string(text) + "' is not a version number");
      return exchange.sendOutcome(outcome);
    }
    version = v;
  }
  auto note = api.store->readNote(std::string(exchange.pathParam("id")), version);
  if (!note) return exchange.sendOutcome(note.outcome());
  auto deliveries = api.store->noteDeliveries(note->id, note->version);
  if (!deliveries) return exchange.sendOutcome(deliveries.outcome());
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  writeNoteRecord(w, *note, true);
  if (!note->bundleJson.empty() && note->source == "internal") {
    auto bundle =
        fhir::parseJson(note->bundleJson, *api.registry, {.maxBytes = std::size_t{1} << 32});
    if (bundle) writeFhirRefs(w, bundleRefs(**bundle));
  }
  writeDeliveries(w, *deliveries);
  const std::string warnings = storedWarnings(*api.store, *note);
  if (!warnings.empty()) {
    w.Key("outcome");
    w.RawValue(warnings.data(), warnings.size(), rapidjson::kObjectType);
  }
  w.EndObject();
  exchange.send(200, kPlainJson, std::string(buffer.GetString(), buffer.GetSize()));
}

void listNotes(HttpExchange& exchange, const NotesApi& api) {
  const Params params = queryParameters(exchange);
  NoteQuery query;
  static const std::set<std::string, std::less<>> kKnown = {"client", "since",  "status",
                                                            "source", "_count", "cursor"};
  Outcome problems;
  for (const auto& [name, value] : params) {
    if (!kKnown.count(name)) {
      problems.add(Severity::kError, "invalid", "unknown query parameter '" + name + "'", name);
    }
  }
  query.clientId = queryValue(params, "client");
  query.status = queryValue(params, "status");
  query.source = queryValue(params, "source");
  query.after = queryValue(params, "cursor");
  if (const std::string since = queryValue(params, "since"); !since.empty()) {
    // Any FHIR date or dateTime: compared by the instant it starts at.
    auto range = dateRange(since);
    if (!range) {
      problems.add(Severity::kError, "invalid", "since must be a FHIR date or dateTime", "since");
    } else {
      query.since = range->first;
    }
  }
  if (const std::string count = queryValue(params, "_count"); !count.empty()) {
    int n = 0;
    auto [end, ec] = std::from_chars(count.data(), count.data() + count.size(), n);
    if (ec != std::errc() || end != count.data() + count.size() || n < 1) {
      problems.add(Severity::kError, "invalid", "_count must be a positive integer", "_count");
    }
    query.count = std::min(n, 1000);
  }
  if (problems.hasErrors()) return exchange.sendOutcome(400, problems);
  auto page = api.store->listNotes(query);
  if (!page) return exchange.sendOutcome(page.outcome());
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("notes");
  w.StartArray();
  for (const NoteRecord& note : page->notes) {
    writeNoteRecord(w, note, true);
    w.EndObject();
  }
  w.EndArray();
  if (!page->nextCursor.empty()) {
    std::string next = "/notes?";
    for (const auto& [name, value] : params) {
      if (name == "cursor") continue;
      std::string encoded;
      Poco::URI::encode(value, "&=+#%", encoded);
      next += name + "=" + encoded + "&";
    }
    std::string cursor;
    Poco::URI::encode(page->nextCursor, "&=+#%|/?", cursor);
    next += "cursor=" + cursor;
    key(w, "next", next);
  }
  w.EndObject();
  exchange.send(200, kPlainJson, std::string(buffer.GetString(), buffer.GetSize()));
}

void getNoteFhir(HttpExchange& exchange, const NotesApi& api) {
  auto note = api.store->readNote(std::string(exchange.pathParam("id")), std::nullopt);
  if (!note) return exchange.sendOutcome(note.outcome());
  if (note->bundleJson.empty()) {
    Outcome outcome;
    outcome.add(Severity::kError, "not-found",
                "note " + note->id + " version " + std::to_string(note->version) +
                    " is a draft: drafts are not mapped to FHIR");
    return exchange.sendOutcome(outcome);
  }
  sendNegotiated(exchange, note->bundleJson, *api.registry);
}

constexpr const char* kWarningsType = "OperationOutcome";

std::string warningsId(const NoteRecord& note) {
  return "note-" + sha256Hex(note.id + "|" + std::to_string(note.version)).substr(0, 32);
}

std::string storedWarnings(Store& store, const NoteRecord& note) {
  if (note.source != "inbound") return {};
  auto found = store.readResource(kWarningsType, warningsId(note), std::nullopt);
  return found ? found->body : std::string();
}

}  // namespace

NoteRecord noteRecordFor(const mappers::Note& note, std::string source) {
  NoteRecord record;
  record.id = note.noteId;
  record.version = note.version;
  record.clientId = note.client.id;
  record.status = std::string(mappers::toString(note.status));
  record.source = std::move(source);
  record.noteJson = mappers::writeNote(note, false);
  record.contentHash = sha256Hex(record.noteJson);
  return record;
}

// What the import AuditEvent of an inbound document names: the sender's references as they came
// (the DocumentReference and its subject), never the note text.
mappers::AuditRecord inboundAudit(const Element& root) {
  mappers::AuditRecord record;
  record.recorded = formatInstant(std::chrono::system_clock::now());
  record.observerName = "notebridge FHIR API";
  record.partnerName = "FHIR client";
  record.purposeOfUse = "TREAT";
  const Element* document = root.type() == "DocumentReference" ? &root : nullptr;
  for (const Element* entry : root.childrenNamed("entry")) {
    const Element* resource = entry->child("resource");
    if (!document && resource && resource->type() == "DocumentReference") document = resource;
  }
  if (document) {
    if (const Element* subject = document->child("subject")) {
      record.patientReference = std::string(subject->childValue("reference"));
    }
    const std::string_view id = document->childValue("id");
    if (!id.empty()) record.dataReferences.push_back("DocumentReference/" + std::string(id));
  }
  return record;
}

Result<InboundNoteReport> storeInboundNote(ResourceTransaction& tx, const Element& root) {
  auto read = mappers::fhirToNote(root);
  if (!read) {
    // The resource is accepted whatever the note mapping says: its problems become warnings.
    Outcome issues = read.outcome();
    for (fhir::Issue& issue : issues.issues()) {
      if (issue.severity >= Severity::kError) {
        issue.severity = Severity::kWarning;
        issue.diagnostics = "no note was stored: " + issue.diagnostics;
      }
    }
    return InboundNoteReport{std::move(issues)};
  }
  mappers::Note note = std::move(*read);
  Outcome warnings = std::move(read.outcome());
  const std::string canonical = mappers::writeNote(note, false);
  if (note.noteId.empty()) {
    // A foreign document with neither identifier nor id: its content names it, so sending it
    // again finds the same note.
    note.noteId = "inbound-" + sha256Hex(canonical).substr(0, 32);
  }
  NoteWrite write;
  write.note = noteRecordFor(note, "inbound");
  write.note.bundleJson = fhir::writeJson(root);
  auto addWarnings = [&](NoteWrite& w) {
    w.resources.clear();
    // The import's AuditEvent (IHE BALP Recipient, DOMAIN §6.6) is stored with the note, in its
    // transaction: no note arrives unaudited.
    w.resources.push_back(auditEventWrite(mappers::importAuditEvent(inboundAudit(root))));
    if (warnings.empty()) return;
    ResourceWrite resource;
    resource.type = kWarningsType;
    resource.id = warningsId(w.note);
    const std::string json = warnings.toOperationOutcomeJson();
    resource.render = [json](const ResourceVersion&) { return json; };
    w.resources.push_back(std::move(resource));
  };
  addWarnings(write);
  auto stored = tx.writeNote(write);
  if (!stored && !stored.outcome().issues().empty() &&
      stored.outcome().issues().front().code == "conflict") {
    // The sender changed a document under the same identifier (an update): a new version,
    // unless that content is already the latest.
    auto latest = tx.readNote(write.note.id, std::nullopt);
    if (latest && latest->contentHash != write.note.contentHash) {
      write.note.version = latest->version + 1;
      addWarnings(write);
      stored = tx.writeNote(write);
    } else if (latest) {
      return InboundNoteReport{std::move(warnings)};
    }
  }
  if (!stored) {
    Outcome failed = stored.outcome();
    failed.append(warnings);
    return Result<InboundNoteReport>(std::move(failed));
  }
  warnings.add(Severity::kInformation, "informational",
               "stored as note " + stored->note.id + " version " +
                   std::to_string(stored->note.version) + " (source inbound)");
  return InboundNoteReport{std::move(warnings)};
}

void addNoteRoutes(Router& router, std::shared_ptr<Store> store,
                   std::shared_ptr<const fhir::DefinitionRegistry> registry,
                   std::shared_ptr<const validation::Validator> validator,
                   std::shared_ptr<const NoteRouting> routing, const GatewayConfig& config) {
  if (!routing) routing = std::make_shared<NoDestinationsRouting>();
  std::shared_ptr<ValidationCache> cache;
  if (validator) {
    cache = std::make_shared<ValidationCache>(validator, ValidationCache::noteSharedTypes());
  }
  auto api = std::make_shared<NotesApi>(NotesApi{std::move(store), std::move(registry),
                                                 std::move(validator), std::move(routing), config,
                                                 std::move(cache)});
  auto route = [&](const char* method, const char* pattern,
                   std::function<void(HttpExchange&)> handler) {
    router.add({method, pattern, std::move(handler), {}, {}, Access::kInternal});
  };
  route("POST", "/notes", [api](HttpExchange& e) { postNote(e, *api); });
  route("GET", "/notes", [api](HttpExchange& e) { listNotes(e, *api); });
  route("GET", "/notes/{id}", [api](HttpExchange& e) { getNote(e, *api, false); });
  route("GET", "/notes/{id}/versions/{version}",
        [api](HttpExchange& e) { getNote(e, *api, true); });
  route("GET", "/notes/{id}/fhir", [api](HttpExchange& e) { getNoteFhir(e, *api); });
}

}  // namespace notebridge::gateway

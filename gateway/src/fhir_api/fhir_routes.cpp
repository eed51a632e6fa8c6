#include "fhir_api/fhir_routes.h"

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Net/HTMLForm.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/URI.h>
#include <Poco/UUIDGenerator.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>

#include "fhir_api/search_parameters.h"
#include "notebridge/fhir/json_format.h"
#include "notebridge/fhir/json_text.h"
#include "notebridge/fhir/xml_format.h"
#include "notebridge/gateway/journeys.h"
#include "notebridge/gateway/smart_scopes.h"
#include "notes_api/note_routes.h"

namespace notebridge::gateway {
namespace {

using fhir::Element;
using fhir::Outcome;
using fhir::Result;
using fhir::Severity;

enum class WireFormat { kJson, kXml };

constexpr std::string_view kFhirXml = "application/fhir+xml; charset=utf-8";

struct FhirApi {
  std::shared_ptr<Store> store;
  std::shared_ptr<const fhir::DefinitionRegistry> registry;
  std::shared_ptr<const validation::Validator> validator;
  GatewayConfig config;
};

Outcome single(Severity severity, const char* code, std::string diagnostics) {
  Outcome outcome;
  outcome.add(severity, code, std::move(diagnostics));
  return outcome;
}

std::vector<std::pair<std::string, std::string>> queryParameters(HttpExchange& exchange) {
  try {
    Poco::URI uri(exchange.request().getURI());
    return uri.getQueryParameters();
  } catch (const Poco::Exception&) {
    return {};
  }
}

std::string queryValue(const std::vector<std::pair<std::string, std::string>>& params,
                       std::string_view name) {
  for (const auto& [key, value] : params) {
    if (key == name) return value;
  }
  return {};
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// The format an Accept header asks for (RFC 9110 §12.5.1). For each of FHIR JSON
// (application/fhir+json, application/json) and FHIR XML (application/fhir+xml,
// application/xml, text/xml) the most specific range that covers it gives its q-value (an
// exact type, then application/* or text/*, then */*); the higher q wins, then the more
// specific range, then JSON. An absent header means JSON. Nothing when neither format is
// acceptable (q=0 or not named): the caller answers 406.
std::optional<WireFormat> acceptedFormat(std::string_view accept) {
  if (trimmed(accept).empty()) return WireFormat::kJson;
  struct Grant {
    int specificity = -1;  // -1: not covered
    double q = 0;
    void offer(int s, double value) {
      if (s > specificity) {
        specificity = s;
        q = value;
      } else if (s == specificity) {
        q = std::max(q, value);
      }
    }
  } json, xml;
  while (!accept.empty()) {
    const std::size_t comma = accept.find(',');
    std::string_view range = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
    double q = 1;
    const std::size_t semicolon = range.find(';');
    for (std::string_view params =
             semicolon == std::string_view::npos ? std::string_view() : range.substr(semicolon + 1);
         !params.empty();) {
      const std::size_t next = params.find(';');
      const std::string_view param = trimmed(params.substr(0, next));
      params = next == std::string_view::npos ? std::string_view() : params.substr(next + 1);
      if (param.size() > 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
        const std::string value(param.substr(2));
        char* end = nullptr;
        q = std::strtod(value.c_str(), &end);
        if (end == value.c_str() || !(q >= 0 && q <= 1)) q = 0;
      }
    }
    std::string type(trimmed(range.substr(0, semicolon)));
    std::transform(type.begin(), type.end(), type.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (type == "*/*") {
      json.offer(0, q);
      xml.offer(0, q);
    } else if (type == "application/*") {
      json.offer(1, q);
      xml.offer(1, q);
    } else if (type == "text/*") {
      xml.offer(1, q);
    } else if (type == "application/fhir+json" || type == "application/json") {
      json.offer(2, q);
    } else if (type == "application/fhir+xml" || type == "application/xml" || type == "text/xml") {
      xml.offer(2, q);
    }
  }
  if (json.q <= 0 && xml.q <= 0) return std::nullopt;
  if (xml.q > json.q || (xml.q == json.q && xml.specificity > json.specificity)) {
    return WireFormat::kXml;
  }
  return WireFormat::kJson;
}

// _format first, then Accept (https://hl7.org/fhir/R4/http.html#mime-type). JSON by default.
Result<WireFormat> responseFormat(HttpExchange& exchange,
                                  const std::vector<std::pair<std::string, std::string>>& params) {
  std::string format = queryValue(params, "_format");
  // An unescaped '+' in a query means a space (HTML form encoding), so
  // `_format=application/fhir+xml` arrives as "application/fhir xml".
  std::replace(format.begin(), format.end(), ' ', '+');
  if (!format.empty()) {
    if (format == "json" || format == "application/json" || format == "application/fhir+json") {
      return WireFormat::kJson;
    }
    if (format == "xml" || format == "application/xml" || format == "application/fhir+xml" ||
        format == "text/xml") {
      return WireFormat::kXml;
    }
    return Result<WireFormat>::failure(Severity::kError, "not-supported",
                                       "_format '" + format + "' is not json or xml");
  }
  const std::string accept = exchange.request().get("Accept", "");
  if (auto chosen = acceptedFormat(accept)) return *chosen;
  return Result<WireFormat>::failure(
      Severity::kError, "not-supported",
      "Accept '" + accept + "' names neither FHIR JSON nor FHIR XML (nor */*)");
}

// The body's format from Content-Type; 415 for anything that is not FHIR JSON or XML.
Result<WireFormat> requestFormat(HttpExchange& exchange) {
  std::string type = exchange.request().getContentType();
  type = type.substr(0, type.find(';'));
  type.erase(std::remove(type.begin(), type.end(), ' '), type.end());
  if (type == "application/fhir+json" || type == "application/json") return WireFormat::kJson;
  if (type == "application/fhir+xml" || type == "application/xml" || type == "text/xml") {
    return WireFormat::kXml;
  }
  return Result<WireFormat>::failure(Severity::kError, "not-supported",
                                     "Content-Type '" + exchange.request().getContentType() +
                                         "' is not application/fhir+json or application/fhir+xml");
}

void useFormatForOutcomes(HttpExchange& exchange, WireFormat format, const FhirApi& api) {
  if (format != WireFormat::kXml) return;
  exchange.setOutcomeWriter([registry = api.registry](const Outcome& outcome) {
    auto tree = fhir::parseJson(outcome.toOperationOutcomeJson(), *registry);
    if (!tree) return std::make_pair(std::string(kFhirJson), outcome.toOperationOutcomeJson());
    return std::make_pair(std::string(kFhirXml), fhir::writeXml(**tree));
  });
}

// The answer's format for this request, also used for its OperationOutcomes from now on.
// Nothing (406 already sent) when _format names something else than JSON or XML.
std::optional<WireFormat> negotiate(HttpExchange& exchange,
                                    const std::vector<std::pair<std::string, std::string>>& params,
                                    const FhirApi& api) {
  auto format = responseFormat(exchange, params);
  if (!format) {
    exchange.sendOutcome(406, format.outcome());
    return std::nullopt;
  }
  useFormatForOutcomes(exchange, *format, api);
  return *format;
}

// Writes stored JSON in the negotiated format.
void sendBody(HttpExchange& exchange, int status, const std::string& json, WireFormat format,
              const FhirApi& api, bool pretty) {
  if (format == WireFormat::kXml) {
    auto tree = fhir::parseJson(json, *api.registry, {.maxBytes = std::size_t{1} << 32});
    if (!tree) {
      exchange.sendOutcome(
          500, single(Severity::kFatal, "exception", "a stored resource could not be re-read"));
      return;
    }
    fhir::XmlWriteOptions options;
    options.pretty = pretty;
    exchange.send(status, kFhirXml, fhir::writeXml(**tree, options));
  } else if (pretty) {
    auto tree = fhir::parseJson(json, *api.registry, {.maxBytes = std::size_t{1} << 32});
    exchange.send(status, kFhirJson, tree ? fhir::writeJson(**tree, {.pretty = true}) : json);
  } else {
    exchange.send(status, kFhirJson, json);
  }
}

std::string baseUrl(HttpExchange& exchange, const FhirApi& api) {
  const std::string scheme = api.config.tlsEnabled() ? "https" : "http";
  std::string host = exchange.request().getHost();
  if (host.empty()) host = api.config.host + ":" + std::to_string(api.config.port);
  return scheme + "://" + host + "/fhir";
}

std::string etag(int version) { return "W/\"" + std::to_string(version) + "\""; }

std::string httpDate(const std::string& instant) {
  int tz = 0;
  try {
    Poco::DateTime time =
        Poco::DateTimeParser::parse(Poco::DateTimeFormat::ISO8601_FRAC_FORMAT, instant, tz);
    return Poco::DateTimeFormatter::format(time, Poco::DateTimeFormat::HTTP_FORMAT);
  } catch (const Poco::Exception&) {
    return {};
  }
}

void versionHeaders(HttpExchange& exchange, const ResourceVersion& v, const FhirApi& api) {
  exchange.setHeader("ETag", etag(v.version));
  exchange.setHeader("Last-Modified", httpDate(v.lastUpdated));
  exchange.setHeader("Location", baseUrl(exchange, api) + "/" + v.type + "/" + v.id + "/_history/" +
                                     std::to_string(v.version));
}

bool servedType(HttpExchange& exchange) {
  const auto& types = servedResourceTypes();
  const std::string_view type = exchange.pathParam("type");
  if (std::find(types.begin(), types.end(), type) != types.end()) return true;
  exchange.sendOutcome(single(Severity::kError, "not-found",
                              "resource type '" + std::string(type) + "' is not served here"));
  return false;
}

// Parses a request body into a resource of the route's type.
Result<Element::Ptr> readResourceBody(HttpExchange& exchange, const FhirApi& api,
                                      std::string_view expectedType = {}) {
  auto format = requestFormat(exchange);
  if (!format) {
    exchange.sendOutcome(415, format.outcome());
    return Result<Element::Ptr>(format.outcome());
  }
  auto body = exchange.body();
  if (!body) {
    exchange.sendOutcome(body.outcome());
    return Result<Element::Ptr>(body.outcome());
  }
  Result<Element::Ptr> parsed =
      *format == WireFormat::kXml
          ? fhir::parseXml(*body, *api.registry,
                           {.maxBytes = static_cast<std::size_t>(api.config.maxBodyBytes),
                            .maxDepth = static_cast<std::size_t>(api.config.maxXmlDepth)})
          : fhir::parseJson(*body, *api.registry,
                            {.maxBytes = static_cast<std::size_t>(api.config.maxBodyBytes),
                             .maxDepth = static_cast<std::size_t>(api.config.maxJsonDepth)});
  if (!parsed) {
    Outcome outcome = parsed.outcome();
    // A body that is not FHIR at all is a bad request whatever the parser called it.
    exchange.sendOutcome(httpStatusFor(outcome) == 422 ? 400 : httpStatusFor(outcome), outcome);
    return parsed;
  }
  const std::string_view type = expectedType.empty() ? exchange.pathParam("type") : expectedType;
  if ((*parsed)->type() != type) {
    Outcome outcome =
        single(Severity::kError, "invalid",
               "the body is a " + (*parsed)->type() + ", the URL names " + std::string(type));
    exchange.sendOutcome(400, outcome);
    return Result<Element::Ptr>(outcome);
  }
  return parsed;
}

// Sets Resource.id and meta.versionId / meta.lastUpdated, in definition order.
void stamp(Element& resource, const ResourceVersion& v) {
  const auto& children = resource.children();
  std::size_t position = 0;
  for (; position < children.size(); ++position) {
    if (children[position]->name() == "id") break;
  }
  if (position < children.size()) resource.removeChild(position);
  resource.insertChild(0, Element::makePrimitive("id", "id", v.id));
  Element* meta = resource.child("meta");
  if (!meta) meta = &resource.insertChild(1, Element::makeComplex("meta", "Meta"));
  for (const char* name : {"lastUpdated", "versionId"}) {
    const auto& metaChildren = meta->children();
    for (std::size_t i = 0; i < metaChildren.size(); ++i) {
      if (metaChildren[i]->name() == name) {
        meta->removeChild(i);
        break;
      }
    }
  }
  meta->insertChild(0, Element::makePrimitive("lastUpdated", "instant", v.lastUpdated));
  meta->insertChild(0, Element::makePrimitive("versionId", "id", std::to_string(v.version)));
}

// The inbound note of an accepted DocumentReference (or of a Bundle holding one), stored in the
// write's transaction `tx`. Errors mean the note could not be written: the caller rolls back.
Outcome storeNoteIn(ResourceTransaction& tx, const Element& root, Outcome& noteIssues) {
  auto note = storeInboundNote(tx, root);
  if (note) {
    noteIssues.append(note->issues);
    return {};
  }
  // Whatever the cause, the resource is not stored without its note: a server-side failure.
  Outcome failed = single(Severity::kFatal, "exception",
                          "the note made from the DocumentReference could not be stored, so "
                          "nothing was stored");
  failed.append(note.outcome());
  return failed;
}

// Writes one resource. A DocumentReference is also a note for the practice (source inbound): the
// resource, the note and its import AuditEvent are written in ONE transaction (issue 7), made
// from `root` (the resource, or the Bundle it came in); the note's issues go to `noteIssues`.
Result<WriteResult> writeWithNote(const FhirApi& api, const ResourceWrite& write,
                                  const Element& root, Outcome& noteIssues) {
  if (write.type != "DocumentReference") return api.store->writeResource(write);
  std::optional<WriteResult> written;
  Outcome outcome = api.store->writeResources([&](ResourceTransaction& tx) -> Outcome {
    auto result = tx.write(write);
    if (!result) return result.outcome();
    written = std::move(*result);
    return storeNoteIn(tx, root, noteIssues);
  });
  if (outcome.hasErrors() || !written) return Result<WriteResult>(std::move(outcome));
  return std::move(*written);
}

// Prefer: return=minimal | representation | OperationOutcome
// (https://hl7.org/fhir/R4/http.html#ops).
std::string preferReturn(HttpExchange& exchange) {
  const std::string prefer = exchange.request().get("Prefer", "");
  const std::size_t at = prefer.find("return=");
  if (at == std::string::npos) return "representation";
  std::string value = prefer.substr(at + 7);
  return value.substr(0, value.find_first_of(";, "));
}

void answerWrite(HttpExchange& exchange, int status, const ResourceVersion& v, WireFormat format,
                 const FhirApi& api, bool pretty, const std::string& message,
                 const Outcome& extra = {}) {
  versionHeaders(exchange, v, api);
  const std::string prefer = preferReturn(exchange);
  if (prefer == "minimal") {
    exchange.send(status, format == WireFormat::kXml ? kFhirXml : kFhirJson, "");
  } else if (prefer == "OperationOutcome") {
    Outcome outcome = single(Severity::kInformation, "informational", message);
    outcome.append(extra);
    exchange.sendOutcome(status, outcome);
  } else {
    sendBody(exchange, status, v.body, format, api, pretty);
  }
}

void createOrUpdate(HttpExchange& exchange, const FhirApi& api, bool update) {
  if (!servedType(exchange)) return;
  const auto params = queryParameters(exchange);
  const auto format = negotiate(exchange, params, api);
  if (!format) return;
  const bool pretty = queryValue(params, "_pretty") == "true";
  auto resource = readResourceBody(exchange, api);
  if (!resource) return;

  ResourceWrite write;
  write.type = std::string(exchange.pathParam("type"));
  if (update) {
    write.id = std::string(exchange.pathParam("id"));
    const std::string_view bodyId = (*resource)->childValue("id");
    if (bodyId != write.id) {
      return exchange.sendOutcome(
          400, single(Severity::kError, "invalid",
                      bodyId.empty() ? "the body has no id; an update needs the id of the URL"
                                     : "the body's id '" + std::string(bodyId) +
                                           "' is not the URL's '" + write.id + "'"));
    }
    const std::string ifMatch = exchange.request().get("If-Match", "");
    if (!ifMatch.empty()) {
      std::string digits = ifMatch;
      digits.erase(
          std::remove_if(digits.begin(), digits.end(), [](char c) { return c < '0' || c > '9'; }),
          digits.end());
      int version = 0;
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), version);
      if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
        return exchange.sendOutcome(
            400, single(Severity::kError, "invalid", "If-Match must be W/\"<version>\""));
      }
      write.ifMatch = version;
    }
  } else {
    write.id = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
    write.mustNotExist = true;
    const std::string ifNoneExist = exchange.request().get("If-None-Exist", "");
    if (!ifNoneExist.empty()) {
      std::vector<std::pair<std::string, std::string>> criteria;
      try {
        criteria = Poco::URI("?" + ifNoneExist).getQueryParameters();
      } catch (const Poco::Exception&) {
      }
      auto search = parseSearch(write.type, criteria, true);
      if (!search) return exchange.sendOutcome(400, search.outcome());
      if (search->query.criteria.empty()) {
        return exchange.sendOutcome(
            400, single(Severity::kError, "invalid", "If-None-Exist has no search criteria"));
      }
      write.ifNoneExist = search->query.criteria;
    }
  }
  if (api.validator) {
    // Nothing that breaks a rule is stored: 422 with every issue (warnings ride along).
    Outcome checked = api.validator->validate(**resource);
    if (checked.hasErrors()) return exchange.sendOutcome(422, checked);
  }
  write.index = indexResource(**resource);
  Element& tree = **resource;
  write.render = [&tree](const ResourceVersion& v) {
    stamp(tree, v);
    return fhir::writeJson(tree);
  };
  Outcome noteIssues;
  auto result = writeWithNote(api, write, tree, noteIssues);
  if (!result) {
    Outcome outcome = result.outcome();
    const std::string& code = outcome.issues().front().code;
    // Version conflicts and ambiguous conditions are preconditions that failed.
    const int status = code == "conflict" || code == "duplicate" ? 412 : httpStatusFor(outcome);
    return exchange.sendOutcome(status, outcome);
  }
  const ResourceVersion& v = result->written;
  if (result->matchedExisting) {
    return answerWrite(exchange, 200, v, *format, api, pretty,
                       "an existing " + v.type + " matched If-None-Exist; nothing was created",
                       noteIssues);
  }
  answerWrite(exchange, result->created ? 201 : 200, v, *format, api, pretty,
              (result->created ? "created " : "updated ") + v.type + "/" + v.id + " version " +
                  std::to_string(v.version),
              noteIssues);
}

// One criteria list per query-narrowed scope; a resource is visible when it matches one.
using Narrowing = std::vector<std::vector<SearchCriterion>>;

// What narrowed SMART scopes (v2 finer-grained scopes: http://hl7.org/fhir/smart-app-launch/
// scopes-and-launch-context.html#finer-grained-resource-constraints-using-search-parameters)
// leave of a read, history or search: nothing (nullopt) when an unnarrowed grant allows it or
// the caller is not a token holder; otherwise one criteria list per narrowed scope (an empty
// list of lists: nothing is visible).
std::optional<Narrowing> scopeNarrowing(const Principal& principal, const std::string& type,
                                        std::string_view interaction) {
  if (principal.kind != "jwt") return std::nullopt;
  const SmartScopes scopes = SmartScopes::parse(principal.scope);
  if (scopes.allows(type, interaction)) return std::nullopt;
  Narrowing narrowing;
  for (const std::string& query : scopes.narrowingQueries(type, interaction)) {
    std::vector<std::pair<std::string, std::string>> params;
    try {
      params = Poco::URI("?" + query).getQueryParameters();
    } catch (const Poco::Exception&) {
      continue;  // a query that cannot be read grants nothing
    }
    auto parsed = parseSearch(type, params, true);
    if (!parsed || parsed->query.criteria.empty()) continue;
    narrowing.push_back(parsed->query.criteria);
  }
  return narrowing;
}

// Whether one stored version matches a narrowing scope. The version's own body is indexed and
// matched, not the search index (which holds current versions only): a vread or a history entry
// is judged by what that version says. A deletion shows nothing, so it is never visible.
bool visibleUnder(const Narrowing& narrowing, const FhirApi& api, const ResourceVersion& v) {
  if (narrowing.empty() || v.deleted || v.body.empty()) return false;
  auto tree = fhir::parseJson(v.body, *api.registry, {.maxBytes = std::size_t{1} << 32});
  if (!tree) return false;
  const std::vector<IndexEntry> index = indexResource(**tree);
  return std::any_of(narrowing.begin(), narrowing.end(),
                     [&](const auto& criteria) { return matchesCriteria(index, v, criteria); });
}

Outcome forbiddenVersion(const ResourceVersion& v) {
  return single(Severity::kError, "forbidden",
                "the token's narrowed scopes do not cover " + v.type + "/" + v.id);
}

// Adds a narrowing to a search: one scope's criteria as they are; several scopes only when each
// is one parameter, the same one (its values become alternatives). Errors (403) otherwise.
Outcome narrowSearch(SearchQuery& query, const Narrowing& n) {
  const bool mergeable = !n.empty() && std::all_of(n.begin(), n.end(), [&](const auto& criteria) {
    return criteria.size() == 1 && criteria.front().param == n.front().front().param;
  });
  if (n.size() == 1) {
    for (const SearchCriterion& c : n.front()) query.criteria.push_back(c);
  } else if (mergeable) {
    SearchCriterion merged = n.front().front();
    for (std::size_t i = 1; i < n.size(); ++i) {
      for (const auto& alt : n[i].front().alternatives) merged.alternatives.push_back(alt);
    }
    query.criteria.push_back(std::move(merged));
  } else {
    return single(Severity::kError, "forbidden",
                  n.empty() ? "the token's narrowed scopes for " + query.type +
                                  " have no query this server can apply"
                            : "the token's narrowed scopes for " + query.type +
                                  " cannot be combined in one search");
  }
  return {};
}

void read(HttpExchange& exchange, const FhirApi& api, bool byVersion) {
  if (!servedType(exchange)) return;
  const auto params = queryParameters(exchange);
  const auto format = negotiate(exchange, params, api);
  if (!format) return;
  std::optional<int> version;
  if (byVersion) {
    const std::string_view text = exchange.pathParam("vid");
    int v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size()) {
      return exchange.sendOutcome(single(Severity::kError, "not-found",
                                         "version '" + std::string(text) + "' does not exist"));
    }
    version = v;
  }
  auto found = api.store->readResource(std::string(exchange.pathParam("type")),
                                       std::string(exchange.pathParam("id")), version);
  if (!found) return exchange.sendOutcome(found.outcome());
  if (auto narrowing =
          scopeNarrowing(exchange.principal(), found->type, byVersion ? "vread" : "read")) {
    if (!visibleUnder(*narrowing, api, *found)) {
      return exchange.sendOutcome(403, forbiddenVersion(*found));
    }
  }
  exchange.setHeader("ETag", etag(found->version));
  exchange.setHeader("Last-Modified", httpDate(found->lastUpdated));
  sendBody(exchange, 200, found->body, *format, api, queryValue(params, "_pretty") == "true");
}

// A Bundle around stored bodies, written without re-parsing them: the stored canonical JSON
// is spliced in as it is (one copy, no per-byte transcoding).
class BundleWriter {
 public:
  BundleWriter(const char* type, std::optional<int> total, std::size_t expectedBytes = 0) {
    out_.reserve(expectedBytes + 256);
    w_.StartObject();
    w_.Key("resourceType");
    w_.String("Bundle");
    w_.Key("type");
    w_.String(type);
    if (total) {
      w_.Key("total");
      w_.Int(*total);
    }
  }
  void links(const std::vector<std::pair<std::string, std::string>>& links) {
    if (links.empty()) return;
    w_.Key("link");
    w_.StartArray();
    for (const auto& [relation, url] : links) {
      w_.StartObject();
      w_.Key("relation");
      w_.String(relation.data(), relation.size());
      w_.Key("url");
      w_.String(url.data(), url.size());
      w_.EndObject();
    }
    w_.EndArray();
  }
  void startEntries() {
    w_.Key("entry");
    w_.StartArray();
  }
  // One entry; `extra` writes request/response/search members after the resource.
  template <typename Extra>
  void entry(std::string_view fullUrl, const std::string& body, Extra&& extra) {
    w_.StartObject();
    if (!fullUrl.empty()) {
      w_.Key("fullUrl");
      w_.String(fullUrl.data(), fullUrl.size());
    }
    if (!body.empty()) {
      w_.Key("resource");
      w_.RawValue(body.data(), body.size(), 0);
    }
    extra(w_);
    w_.EndObject();
  }
  std::string finish() {
    w_.EndArray();
    w_.EndObject();
    return std::move(out_);
  }

 private:
  std::string out_;
  fhir::JsonTextWriter w_{out_};
};

// The bytes a Bundle of these versions takes, about (to size its buffer once).
std::size_t bundleBytes(const std::vector<ResourceVersion>& versions, std::size_t perEntry) {
  std::size_t bytes = 0;
  for (const ResourceVersion& v : versions) bytes += v.body.size() + perEntry;
  return bytes;
}

void history(HttpExchange& exchange, const FhirApi& api, bool instance) {
  if (!servedType(exchange)) return;
  const auto params = queryParameters(exchange);
  const auto format = negotiate(exchange, params, api);
  if (!format) return;
  int count = 100;
  if (const std::string c = queryValue(params, "_count"); !c.empty()) {
    std::from_chars(c.data(), c.data() + c.size(), count);
    count = std::clamp(count, 1, 1000);
  }
  const std::string type(exchange.pathParam("type"));
  auto versions =
      api.store->history(type, instance ? std::string(exchange.pathParam("id")) : "", count);
  if (!versions) return exchange.sendOutcome(versions.outcome());
  if (auto narrowing = scopeNarrowing(exchange.principal(), type,
                                      instance ? "history-instance" : "history-type")) {
    // Each version is shown only when it matches a narrowed scope itself.
    const std::size_t before = versions->size();
    std::erase_if(*versions,
                  [&](const ResourceVersion& v) { return !visibleUnder(*narrowing, api, v); });
    if (instance && before > 0 && versions->empty()) {
      ResourceVersion v;
      v.type = type;
      v.id = std::string(exchange.pathParam("id"));
      return exchange.sendOutcome(403, forbiddenVersion(v));
    }
  }
  const std::string base = baseUrl(exchange, api);
  BundleWriter bundle("history", static_cast<int>(versions->size()), bundleBytes(*versions, 300));
  bundle.startEntries();
  for (const ResourceVersion& v : *versions) {
    bundle.entry(base + "/" + v.type + "/" + v.id, v.deleted ? "" : v.body, [&](auto& w) {
      w.Key("request");
      w.StartObject();
      w.Key("method");
      w.String(v.deleted ? "DELETE" : (v.version == 1 ? "POST" : "PUT"));
      w.Key("url");
      const std::string url = v.version == 1 ? v.type : v.type + "/" + v.id;
      w.String(url.c_str());
      w.EndObject();
      w.Key("response");
      w.StartObject();
      w.Key("status");
      w.String(v.version == 1 ? "201" : "200");
      w.Key("etag");
      w.String(etag(v.version).c_str());
      w.Key("lastModified");
      w.String(v.lastUpdated.c_str());
      w.EndObject();
    });
  }
  sendBody(exchange, 200, bundle.finish(), *format, api, queryValue(params, "_pretty") == "true");
}

void search(HttpExchange& exchange, const FhirApi& api) {
  if (!servedType(exchange)) return;
  auto params = queryParameters(exchange);
  if (exchange.method() == "POST") {
    // POST [type]/_search carries the parameters as a form body too.
    auto body = exchange.body();
    if (!body) return exchange.sendOutcome(body.outcome());
    try {
      Poco::URI form("?" + *body);
      for (auto& p : form.getQueryParameters()) params.push_back(std::move(p));
    } catch (const Poco::Exception&) {
      return exchange.sendOutcome(
          400, single(Severity::kError, "invalid", "the _search body is not a form"));
    }
  }
  const auto format = negotiate(exchange, params, api);
  if (!format) return;
  const bool strict =
      exchange.request().get("Prefer", "").find("handling=strict") != std::string::npos;
  const std::string type(exchange.pathParam("type"));
  auto parsed = parseSearch(type, params, strict);
  if (!parsed) return exchange.sendOutcome(400, parsed.outcome());
  if (auto narrowing = scopeNarrowing(exchange.principal(), type, "search-type")) {
    Outcome refused = narrowSearch(parsed->query, *narrowing);
    if (refused.hasErrors()) return exchange.sendOutcome(403, refused);
  }
  auto page = api.store->search(parsed->query);
  if (!page) return exchange.sendOutcome(page.outcome());

  // Links repeat the parameters that were applied, so a client sees what was ignored.
  const std::string base = baseUrl(exchange, api);
  std::string applied;
  for (const auto& [name, value] : params) {
    if (name == "_offset") continue;
    const bool ignored =
        std::find_if(parsed->ignored.begin(), parsed->ignored.end(), [&](const std::string& i) {
          return i == name || i == name + "=" + value;
        }) != parsed->ignored.end();
    if (ignored) continue;
    std::string encoded;
    Poco::URI::encode(value, "&=+#", encoded);
    applied += (applied.empty() ? "" : "&") + name + "=" + encoded;
  }
  const SearchQuery& query = parsed->query;
  auto pageUrl = [&](int offset) {
    return base + "/" + type + "?" + applied + (applied.empty() ? "" : "&") +
           "_offset=" + std::to_string(offset);
  };
  std::vector<std::pair<std::string, std::string>> links = {{"self", pageUrl(query.offset)}};
  if (query.offset + static_cast<int>(page->resources.size()) < page->total && query.count > 0) {
    links.emplace_back("next", pageUrl(query.offset + query.count));
  }
  if (query.offset > 0)
    links.emplace_back("previous", pageUrl(std::max(0, query.offset - query.count)));

  BundleWriter bundle("searchset", page->total, bundleBytes(page->resources, 120 + base.size()));
  bundle.links(links);
  bundle.startEntries();
  for (const ResourceVersion& v : page->resources) {
    bundle.entry(base + "/" + v.type + "/" + v.id, v.body, [](auto& w) {
      w.Key("search");
      w.StartObject();
      w.Key("mode");
      w.String("match");
      w.EndObject();
    });
  }
  if (!parsed->ignored.empty()) {
    Outcome ignored;
    for (const std::string& name : parsed->ignored) {
      ignored.add(Severity::kWarning, "not-supported", "search parameter ignored: " + name);
    }
    bundle.entry("", ignored.toOperationOutcomeJson(), [](auto& w) {
      w.Key("search");
      w.StartObject();
      w.Key("mode");
      w.String("outcome");
      w.EndObject();
    });
  }
  sendBody(exchange, 200, bundle.finish(), *format, api, queryValue(params, "_pretty") == "true");
}

// POST [base]/$validate and [base]/{type}/$validate: 200 with the OperationOutcome whatever
// it says about the resource; 400 when the body is not a resource or Parameters at all.
void validateOperation(HttpExchange& exchange, const FhirApi& api, bool typeLevel) {
  if (typeLevel && !servedType(exchange)) return;
  const auto params = queryParameters(exchange);
  const auto format = negotiate(exchange, params, api);
  if (!format) return;
  auto body = exchange.body();
  if (!body) return exchange.sendOutcome(body.outcome());
  Outcome outcome = api.validator->validateOperation(
      *body, typeLevel ? exchange.pathParam("type") : std::string_view());
  const bool unreadable = outcome.worst() == Severity::kFatal;
  exchange.sendOutcome(unreadable ? 400 : 200, outcome);
}

// ---- batch and transaction (https://hl7.org/fhir/R4/http.html#transaction) ----

// One Bundle.entry of a batch or transaction, as planned and then as answered.
struct BundleEntry {
  std::size_t index = 0;
  Element* resource = nullptr;  // owned by the request tree
  std::string fullUrl;
  std::string method;
  std::string type;
  std::string id;
  std::string query;        // conditional update: the search after '?'
  std::string interaction;  // restful-interaction code, for the scope check
  std::optional<int> ifMatch;
  std::optional<std::vector<SearchCriterion>> ifNoneExist;
  // The answer.
  int status = 0;
  ResourceVersion version;
  bool hasVersion = false;
  Outcome outcome;
};

std::string statusText(int status) {
  switch (status) {
    case 200:
      return "200 OK";
    case 201:
      return "201 Created";
    case 400:
      return "400 Bad Request";
    case 403:
      return "403 Forbidden";
    case 404:
      return "404 Not Found";
    case 405:
      return "405 Method Not Allowed";
    case 409:
      return "409 Conflict";
    case 412:
      return "412 Precondition Failed";
    case 422:
      return "422 Unprocessable Entity";
    default:
      return std::to_string(status);
  }
}

// Reads entry.request into `e`; the problems are entry-level errors (400).
void planEntry(Element& entry, BundleEntry& e, const SmartScopes& scopes, bool checkScopes) {
  const std::string at = "Bundle.entry[" + std::to_string(e.index) + "]";
  auto fail = [&](int status, const char* code, const std::string& message,
                  const std::string& where) {
    e.status = status;
    e.outcome.add(Severity::kError, code, message, at + where);
  };
  e.fullUrl = std::string(entry.childValue("fullUrl"));
  const Element* request = entry.child("request");
  if (!request) return fail(400, "required", "entry.request is required", "");
  e.method = std::string(request->childValue("method"));
  std::string url(request->childValue("url"));
  const std::size_t question = url.find('?');
  if (question != std::string::npos) {
    e.query = url.substr(question + 1);
    url = url.substr(0, question);
  }
  const std::size_t slash = url.find('/');
  e.type = url.substr(0, slash);
  if (slash != std::string::npos) e.id = url.substr(slash + 1);
  const auto& types = servedResourceTypes();
  if (std::find(types.begin(), types.end(), e.type) == types.end()) {
    return fail(404, "not-found", "resource type '" + e.type + "' is not served here",
                ".request.url");
  }
  if (e.id.find('/') != std::string::npos) {
    return fail(400, "not-supported", "only [type], [type]/[id] and [type]?[query] URLs are served",
                ".request.url");
  }
  if (e.method == "POST") {
    e.interaction = "create";
    if (!e.id.empty() || !e.query.empty()) {
      return fail(400, "invalid", "a POST entry's url is the resource type", ".request.url");
    }
    if (const std::string_view condition = request->childValue("ifNoneExist"); !condition.empty()) {
      std::vector<std::pair<std::string, std::string>> criteria;
      try {
        criteria = Poco::URI("?" + std::string(condition)).getQueryParameters();
      } catch (const Poco::Exception&) {
      }
      auto search = parseSearch(e.type, criteria, true);
      if (!search || search->query.criteria.empty()) {
        return fail(400, "invalid", "ifNoneExist is not a search this server understands",
                    ".request.ifNoneExist");
      }
      e.ifNoneExist = search->query.criteria;
    }
  } else if (e.method == "PUT") {
    e.interaction = "update";
    if (e.id.empty() == e.query.empty()) {
      return fail(400, "invalid", "a PUT entry's url is [type]/[id] or [type]?[query]",
                  ".request.url");
    }
    if (const std::string_view match = request->childValue("ifMatch"); !match.empty()) {
      std::string digits(match);
      digits.erase(
          std::remove_if(digits.begin(), digits.end(), [](char c) { return c < '0' || c > '9'; }),
          digits.end());
      int v = 0;
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
      if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
        return fail(400, "invalid", "ifMatch must be W/\"<version>\"", ".request.ifMatch");
      }
      e.ifMatch = v;
    }
  } else if (e.method == "GET") {
    e.interaction = e.id.empty() ? "search-type" : "read";
  } else {
    return fail(405, "not-supported", "method " + e.method + " is not served in a Bundle",
                ".request.method");
  }
  // A query-narrowed grant lets a read or search through; performRead applies its query, as
  // for the same request made alone.
  if (checkScopes && !scopes.mayAllow(e.type, e.interaction)) {
    return fail(403, "forbidden",
                "the token's scopes do not allow " + e.interaction + " on " + e.type, "");
  }
  if (e.method != "GET") {
    e.resource = entry.child("resource");
    if (!e.resource) return fail(400, "required", "a " + e.method + " entry needs a resource", "");
    if (e.resource->type() != e.type) {
      return fail(400, "invalid",
                  "the entry's resource is a " + e.resource->type() + ", its url names " + e.type,
                  ".resource");
    }
    if (e.method == "PUT" && !e.id.empty() && e.resource->childValue("id") != e.id) {
      return fail(400, "invalid", "the resource's id is not the id of the entry's url",
                  ".resource.id");
    }
  }
}

// Runs the validator over an entry's resource; errors make the entry 422.
void validateEntry(BundleEntry& e, const FhirApi& api) {
  if (!api.validator || !e.resource || e.status != 0) return;
  Outcome checked = api.validator->validate(*e.resource);
  if (!checked.hasErrors()) return;
  const std::string at = "Bundle.entry[" + std::to_string(e.index) + "].resource";
  for (fhir::Issue& issue : checked.issues()) {
    const std::size_t dot = issue.expression.find('.');
    issue.expression = at + (dot == std::string::npos ? "" : issue.expression.substr(dot));
  }
  e.status = 422;
  e.outcome = std::move(checked);
}

ResourceWrite entryWrite(BundleEntry& e) {
  ResourceWrite write;
  write.type = e.type;
  write.id = e.id;
  write.ifMatch = e.ifMatch;
  write.mustNotExist = e.method == "POST";
  write.index = indexResource(*e.resource);
  Element* tree = e.resource;
  write.render = [tree](const ResourceVersion& v) {
    stamp(*tree, v);
    return fhir::writeJson(*tree);
  };
  return write;
}

int writeFailureStatus(const Outcome& outcome) {
  const std::string& code = outcome.issues().front().code;
  return code == "conflict" || code == "duplicate" ? 412 : httpStatusFor(outcome);
}

std::string newId() { return Poco::UUIDGenerator::defaultGenerator().createRandom().toString(); }

// Resolves where a write goes inside the transaction: a conditional create's match, a
// conditional update's target, or a new id. Returns false (with the entry answered) when the
// conditions fail.
bool resolveTarget(BundleEntry& e, ResourceTransaction& tx) {
  std::optional<std::vector<SearchCriterion>> criteria = e.ifNoneExist;
  if (e.method == "PUT" && !e.query.empty()) {
    std::vector<std::pair<std::string, std::string>> params;
    try {
      params = Poco::URI("?" + e.query).getQueryParameters();
    } catch (const Poco::Exception&) {
    }
    auto search = parseSearch(e.type, params, true);
    if (!search || search->query.criteria.empty()) {
      e.status = 400;
      e.outcome.add(Severity::kError, "invalid", "the conditional update's search is not valid",
                    "Bundle.entry[" + std::to_string(e.index) + "].request.url");
      return false;
    }
    criteria = search->query.criteria;
  }
  if (criteria) {
    auto ids = tx.matchingIds(e.type, *criteria, 2);
    if (!ids) {
      e.status = 500;
      e.outcome = ids.outcome();
      return false;
    }
    if (ids->size() > 1) {
      e.status = 412;
      e.outcome.add(Severity::kError, "duplicate",
                    "the entry's conditions match more than one " + e.type);
      return false;
    }
    if (ids->size() == 1) {
      e.id = ids->front();
      if (e.method == "POST") e.status = 200;  // matched: nothing created
      return true;
    }
  }
  if (e.id.empty()) e.id = newId();
  return true;
}

// fullUrl -> "Type/id" for every entry with a resource, so references inside the Bundle
// point at what was stored.
std::map<std::string, std::string> referenceTargets(const std::vector<BundleEntry>& entries) {
  std::map<std::string, std::string> targets;
  for (const BundleEntry& e : entries) {
    if (!e.resource || e.fullUrl.empty() || e.id.empty()) continue;
    targets[e.fullUrl] = e.type + "/" + e.id;
  }
  return targets;
}

// A GET entry, authorized as the same request made alone: under query-narrowed scopes a read
// shows only a matching resource and a search gets the scopes' criteria added.
void performRead(BundleEntry& e, const FhirApi& api, const Principal& principal) {
  const std::optional<Narrowing> narrowing = scopeNarrowing(principal, e.type, e.interaction);
  if (!e.id.empty()) {
    auto found = api.store->readResource(e.type, e.id, std::nullopt);
    if (!found) {
      e.status = httpStatusFor(found.outcome());
      e.outcome = found.outcome();
      return;
    }
    if (narrowing && !visibleUnder(*narrowing, api, *found)) {
      e.status = 403;
      e.outcome = forbiddenVersion(*found);
      return;
    }
    e.status = 200;
    e.version = *found;
    e.hasVersion = true;
    return;
  }
  std::vector<std::pair<std::string, std::string>> params;
  try {
    params = Poco::URI("?" + e.query).getQueryParameters();
  } catch (const Poco::Exception&) {
  }
  auto parsed = parseSearch(e.type, params, false);
  if (!parsed) {
    e.status = 400;
    e.outcome = parsed.outcome();
    return;
  }
  if (narrowing) {
    Outcome refused = narrowSearch(parsed->query, *narrowing);
    if (refused.hasErrors()) {
      e.status = 403;
      e.outcome = std::move(refused);
      return;
    }
  }
  auto page = api.store->search(parsed->query);
  if (!page) {
    e.status = 500;
    e.outcome = page.outcome();
    return;
  }
  BundleWriter bundle("searchset", page->total);
  bundle.startEntries();
  for (const ResourceVersion& v : page->resources) {
    bundle.entry(v.type + "/" + v.id, v.body, [](auto&) {});
  }
  e.status = 200;
  e.version.body = bundle.finish();
  e.hasVersion = true;
}

std::string answerBundle(const char* type, const std::vector<BundleEntry>& entries,
                         const std::string& base) {
  BundleWriter bundle(type, std::nullopt);
  bundle.startEntries();
  for (const BundleEntry& e : entries) {
    const std::string body = e.hasVersion ? e.version.body : std::string();
    bundle.entry("", body, [&](auto& w) {
      w.Key("response");
      w.StartObject();
      w.Key("status");
      w.String(statusText(e.status).c_str());
      if (e.hasVersion && !e.version.id.empty()) {
        const std::string location = base + "/" + e.version.type + "/" + e.version.id +
                                     "/_history/" + std::to_string(e.version.version);
        w.Key("location");
        w.String(location.c_str());
        w.Key("etag");
        w.String(etag(e.version.version).c_str());
        w.Key("lastModified");
        w.String(e.version.lastUpdated.c_str());
      }
      if (!e.outcome.empty()) {
        w.Key("outcome");
        const std::string oo = e.outcome.toOperationOutcomeJson();
        w.RawValue(oo.data(), oo.size(), 0);
      }
      w.EndObject();
    });
  }
  return bundle.finish();
}

// The first written DocumentReference entry of a Bundle: the one whose note the Bundle makes.
BundleEntry* noteEntry(std::vector<BundleEntry>& entries) {
  for (BundleEntry& e : entries) {
    if (e.type == "DocumentReference" && e.resource && e.status < 300 && e.method != "GET") {
      return &e;
    }
  }
  return nullptr;
}

void transactionOrBatch(HttpExchange& exchange, const FhirApi& api) {
  const auto params = queryParameters(exchange);
  const auto format = negotiate(exchange, params, api);
  if (!format) return;
  const bool pretty = queryValue(params, "_pretty") == "true";
  auto bundle = readResourceBody(exchange, api, "Bundle");
  if (!bundle) return;
  const std::string_view kind = (*bundle)->childValue("type");
  if (kind == "document") {
    // A transferred record (issue 9): imported as the client's notes.
    return importTransferDocument(
        exchange, JourneyContext{api.store, api.registry, api.validator, api.config, {}}, **bundle);
  }
  if (kind != "batch" && kind != "transaction") {
    return exchange.sendOutcome(
        400, single(Severity::kError, "invalid",
                    "POST [base] takes a Bundle of type batch, transaction or document, not '" +
                        std::string(kind) + "'"));
  }
  const bool transaction = kind == "transaction";
  const Principal& principal = exchange.principal();
  const bool checkScopes = principal.kind == "jwt";
  const SmartScopes scopes = SmartScopes::parse(principal.scope);

  std::vector<BundleEntry> entries;
  std::vector<Element*> items;
  for (const auto& child : (*bundle)->children()) {
    if (child->name() == "entry") items.push_back(child.get());
  }
  entries.resize(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    entries[i].index = i;
    planEntry(*items[i], entries[i], scopes, checkScopes);
    validateEntry(entries[i], api);
  }
  const std::string base = baseUrl(exchange, api);

  if (transaction) {
    // All or nothing: one failing entry fails the whole Bundle with its outcome.
    auto firstFailure = [&]() -> const BundleEntry* {
      for (const BundleEntry& e : entries) {
        if (e.status >= 300) return &e;
      }
      return nullptr;
    };
    if (const BundleEntry* failed = firstFailure()) {
      return exchange.sendOutcome(failed->status, failed->outcome);
    }
    // https://hl7.org/fhir/R4/http.html#trules: writes first, then reads.
    Outcome outcome = api.store->writeResources([&](ResourceTransaction& tx) -> Outcome {
      for (BundleEntry& e : entries) {
        if (e.method == "GET") continue;
        if (!resolveTarget(e, tx)) return e.outcome;
      }
      rewriteReferences(**bundle, referenceTargets(entries));
      for (BundleEntry& e : entries) {
        if (e.method == "GET") continue;
        if (e.status == 200 && e.method == "POST") continue;  // matched an existing one
        ResourceWrite write = entryWrite(e);
        write.mustNotExist = false;  // ids were resolved above, inside this transaction
        auto written = tx.write(write);
        if (!written) {
          e.status = writeFailureStatus(written.outcome());
          e.outcome = written.outcome();
          return e.outcome;
        }
        e.status = written->created ? 201 : 200;
        e.version = written->written;
        e.hasVersion = true;
      }
      // The note made from the Bundle commits with its resources.
      if (BundleEntry* document = noteEntry(entries)) {
        return storeNoteIn(tx, **bundle, document->outcome);
      }
      return {};
    });
    if (outcome.hasErrors()) {
      int status = httpStatusFor(outcome);
      for (const BundleEntry& e : entries) {
        if (e.status >= 300) status = e.status;
      }
      return exchange.sendOutcome(status, outcome);
    }
    for (BundleEntry& e : entries) {
      if (e.method == "POST" && e.status == 200 && !e.hasVersion) {
        auto found = api.store->readResource(e.type, e.id, std::nullopt);
        if (found) {
          e.version = *found;
          e.hasVersion = true;
        }
      }
      if (e.method == "GET") performRead(e, api, principal);
    }
    return sendBody(exchange, 200, answerBundle("transaction-response", entries, base), *format,
                    api, pretty);
  }

  // Batch: every entry on its own; failures are answered in their entry. The first
  // DocumentReference written makes the Bundle's note, in that entry's transaction.
  bool noteMade = false;
  for (BundleEntry& e : entries) {
    if (e.status != 0) continue;
    if (e.method == "GET") {
      performRead(e, api, principal);
      continue;
    }
    if (e.method == "POST" && !e.ifNoneExist) e.id = newId();
    // Everything of one entry in one transaction: a conditional update's search with its write
    // (two concurrent ones cannot both create), and the Bundle's note with its
    // DocumentReference.
    const bool makesNote = !noteMade && e.type == "DocumentReference";
    Outcome noteIssues;
    std::optional<WriteResult> written;
    Outcome outcome = api.store->writeResources([&](ResourceTransaction& tx) -> Outcome {
      if (e.method == "PUT" && !e.query.empty() && !resolveTarget(e, tx)) return e.outcome;
      ResourceWrite write = entryWrite(e);
      if (e.method == "POST") {
        if (e.id.empty()) e.id = newId();
        write.ifNoneExist = e.ifNoneExist;
      }
      write.id = e.id;
      auto result = tx.write(write);
      if (!result) return result.outcome();
      written = std::move(*result);
      return makesNote ? storeNoteIn(tx, **bundle, noteIssues) : Outcome();
    });
    if (outcome.hasErrors() || !written) {
      if (e.status < 300) {
        e.status = writeFailureStatus(outcome);
        e.outcome = std::move(outcome);
      }
      continue;
    }
    noteMade = noteMade || makesNote;
    e.outcome.append(noteIssues);
    e.status = written->matchedExisting ? 200 : (written->created ? 201 : 200);
    e.version = written->written;
    e.hasVersion = true;
  }
  sendBody(exchange, 200, answerBundle("batch-response", entries, base), *format, api, pretty);
}

}  // namespace

void stampVersion(Element& resource, const ResourceVersion& version) { stamp(resource, version); }

void sendNegotiated(HttpExchange& exchange, const std::string& json,
                    const fhir::DefinitionRegistry& registry) {
  const auto params = queryParameters(exchange);
  auto format = responseFormat(exchange, params);
  if (!format) return exchange.sendOutcome(406, format.outcome());
  if (*format == WireFormat::kJson) return exchange.send(200, kFhirJson, json);
  auto tree = fhir::parseJson(json, registry);
  if (!tree) {
    return exchange.sendOutcome(
        500, single(Severity::kFatal, "exception", "the document could not be converted to XML"));
  }
  exchange.send(200, kFhirXml, fhir::writeXml(**tree));
}

void addFhirRoutes(Router& router, std::shared_ptr<Store> store,
                   std::shared_ptr<const fhir::DefinitionRegistry> registry,
                   std::shared_ptr<const validation::Validator> validator,
                   const GatewayConfig& config) {
  auto api = std::make_shared<FhirApi>(
      FhirApi{std::move(store), std::move(registry), std::move(validator), config});
  auto interactions = [](const char* code) {
    std::vector<conformance::RestInteraction> out;
    for (const std::string& type : servedResourceTypes()) out.push_back({type, code});
    return out;
  };
  auto route = [&](const char* method, const char* pattern, const char* code,
                   std::function<void(HttpExchange&)> handler) {
    router.add({method, pattern, std::move(handler), interactions(code), {}, Access::kFhir});
  };
  route("POST", "/fhir/{type}", "create",
        [api](HttpExchange& e) { createOrUpdate(e, *api, false); });
  route("PUT", "/fhir/{type}/{id}", "update",
        [api](HttpExchange& e) { createOrUpdate(e, *api, true); });
  route("GET", "/fhir/{type}/{id}", "read", [api](HttpExchange& e) { read(e, *api, false); });
  route("GET", "/fhir/{type}/{id}/_history/{vid}", "vread",
        [api](HttpExchange& e) { read(e, *api, true); });
  route("GET", "/fhir/{type}/{id}/_history", "history-instance",
        [api](HttpExchange& e) { history(e, *api, true); });
  route("GET", "/fhir/{type}/_history", "history-type",
        [api](HttpExchange& e) { history(e, *api, false); });
  route("GET", "/fhir/{type}", "search-type", [api](HttpExchange& e) { search(e, *api); });
  route("POST", "/fhir/{type}/_search", "search-type", [api](HttpExchange& e) { search(e, *api); });
  router.add({"POST",
              "/fhir",
              [api](HttpExchange& e) { transactionOrBatch(e, *api); },
              {{"", "transaction"}, {"", "batch"}},
              {},
              Access::kFhir});
  if (api->validator) {
    const std::string definition = "http://hl7.org/fhir/OperationDefinition/Resource-validate";
    std::vector<conformance::RestOperation> typeOperations;
    for (const std::string& type : servedResourceTypes()) {
      typeOperations.push_back({type, "validate", definition});
    }
    router.add({"POST",
                "/fhir/$validate",
                [api](HttpExchange& e) { validateOperation(e, *api, false); },
                {},
                {{"", "validate", definition}},
                Access::kFhir});
    router.add({"POST",
                "/fhir/{type}/$validate",
                [api](HttpExchange& e) { validateOperation(e, *api, true); },
                {},
                typeOperations,
                Access::kFhir});
  }
}

}  // namespace notebridge::gateway

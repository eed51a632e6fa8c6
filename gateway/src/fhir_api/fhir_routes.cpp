#include "fhir_api/fhir_routes.h"

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Net/HTMLForm.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/URI.h>
#include <Poco/UUIDGenerator.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <charconv>

#include "fhir_api/search_parameters.h"
#include "notebridge/fhir/json_format.h"
#include "notebridge/fhir/xml_format.h"
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

// _format first, then Accept (https://hl7.org/fhir/R4/http.html#mime-type). JSON by default.
Result<WireFormat> responseFormat(HttpExchange& exchange,
                                  const std::vector<std::pair<std::string, std::string>>& params) {
  const std::string format = queryValue(params, "_format");
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
  const std::size_t xml = accept.find("xml");
  const std::size_t json = accept.find("json");
  if (xml != std::string::npos && (json == std::string::npos || xml < json))
    return WireFormat::kXml;
  return WireFormat::kJson;
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
Result<Element::Ptr> readResourceBody(HttpExchange& exchange, const FhirApi& api) {
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
  const std::string_view type = exchange.pathParam("type");
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

// The inbound note made from an accepted resource: its issues as warnings at most, since the
// resource itself was accepted whatever the note mapping says.
Outcome inboundNoteIssues(Store& store, const Element& resource) {
  Outcome issues = storeInboundNote(store, resource);
  for (fhir::Issue& issue : issues.issues()) {
    if (issue.severity >= Severity::kError) {
      issue.severity = Severity::kWarning;
      issue.diagnostics = "no note was stored: " + issue.diagnostics;
    }
  }
  return issues;
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
  auto result = api.store->writeResource(write);
  if (!result) {
    Outcome outcome = result.outcome();
    const std::string& code = outcome.issues().front().code;
    // Version conflicts and ambiguous conditions are preconditions that failed.
    const int status = code == "conflict" || code == "duplicate" ? 412 : httpStatusFor(outcome);
    return exchange.sendOutcome(status, outcome);
  }
  const ResourceVersion& v = result->written;
  // An incoming DocumentReference is also a note for the practice (source inbound).
  const Outcome noteIssues =
      write.type == "DocumentReference" ? inboundNoteIssues(*api.store, tree) : Outcome();
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
  exchange.setHeader("ETag", etag(found->version));
  exchange.setHeader("Last-Modified", httpDate(found->lastUpdated));
  sendBody(exchange, 200, found->body, *format, api, queryValue(params, "_pretty") == "true");
}

// A Bundle around stored bodies, written without re-parsing them.
class BundleWriter {
 public:
  BundleWriter(const char* type, std::optional<int> total) {
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
      w_.String(relation.c_str());
      w_.Key("url");
      w_.String(url.c_str());
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
  void entry(const std::string& fullUrl, const std::string& body, Extra&& extra) {
    w_.StartObject();
    if (!fullUrl.empty()) {
      w_.Key("fullUrl");
      w_.String(fullUrl.c_str());
    }
    if (!body.empty()) {
      w_.Key("resource");
      w_.RawValue(body.data(), body.size(), rapidjson::kObjectType);
    }
    extra(w_);
    w_.EndObject();
  }
  std::string finish() {
    w_.EndArray();
    w_.EndObject();
    return std::string(buffer_.GetString(), buffer_.GetSize());
  }

 private:
  rapidjson::StringBuffer buffer_;
  rapidjson::Writer<rapidjson::StringBuffer> w_{buffer_};
};

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
  const std::string base = baseUrl(exchange, api);
  BundleWriter bundle("history", static_cast<int>(versions->size()));
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
  auto page = api.store->search(parsed->query);
  if (!page) return exchange.sendOutcome(page.outcome());

  // Links repeat the parameters that were applied, so a client sees what was ignored.
  const std::string base = baseUrl(exchange, api);
  std::string applied;
  for (const auto& [name, value] : params) {
    if (name == "_offset" || name == "_format") continue;
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

  BundleWriter bundle("searchset", page->total);
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

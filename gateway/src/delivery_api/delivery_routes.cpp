#include "delivery_api/delivery_routes.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/URI.h>

#include <charconv>
#include <set>
#include <sstream>

#include "notebridge/gateway/outbox_worker.h"

namespace notebridge::gateway {

using fhir::Outcome;
using fhir::Severity;

namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

Poco::JSON::Object::Ptr rowJson(const OutboxRow& row) {
  Poco::JSON::Object::Ptr out = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  out->set("id", static_cast<Poco::Int64>(row.id));
  Poco::JSON::Object::Ptr note = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  note->set("id", row.noteId);
  note->set("version", row.noteVersion);
  out->set("note", note);
  out->set("destination", row.destination);
  out->set("state", row.state);
  out->set("attempts", row.attempts);
  out->set("nextAttemptAt", row.nextAttemptAt);
  if (!row.claimedUntil.empty()) out->set("claimedUntil", row.claimedUntil);
  if (!row.lastError.empty()) out->set("lastError", row.lastError);
  if (!row.receipt.empty()) {
    try {
      Poco::JSON::Parser parser;
      out->set("receipt", parser.parse(row.receipt));
    } catch (const Poco::Exception&) {
      out->set("receipt", row.receipt);
    }
  }
  out->set("createdAt", row.createdAt);
  out->set("updatedAt", row.updatedAt);
  return out;
}

std::string listJson(const std::vector<OutboxRow>& rows, const std::string& next) {
  Poco::JSON::Object out(Poco::JSON_PRESERVE_KEY_ORDER);
  Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
  for (const OutboxRow& row : rows) list->add(rowJson(row));
  out.set("deliveries", list);
  if (!next.empty()) out.set("next", next);
  std::ostringstream text;
  out.stringify(text);
  return text.str();
}

bool parseInt64(const std::string& text, std::int64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

void listDeliveries(HttpExchange& exchange, Store& store) {
  Params params;
  try {
    params = Poco::URI(exchange.request().getURI()).getQueryParameters();
  } catch (const Poco::Exception&) {
    return exchange.sendOutcome(400, Outcome{});
  }
  static const std::set<std::string, std::less<>> kKnown = {"state", "destination", "note",
                                                            "_count", "after"};
  static const std::set<std::string, std::less<>> kStates = {"pending", "in-flight", "delivered",
                                                             "dead-letter", "held"};
  Outcome problems;
  OutboxQuery query;
  for (const auto& [name, value] : params) {
    if (!kKnown.count(name)) {
      problems.add(Severity::kError, "invalid", "unknown query parameter '" + name + "'", name);
    } else if (name == "state") {
      query.state = value;
      if (!kStates.count(value)) {
        problems.add(Severity::kError, "invalid",
                     "state must be pending, in-flight, delivered, dead-letter or held", name);
      }
    } else if (name == "destination") {
      query.destination = value;
    } else if (name == "note") {
      query.noteId = value;
    } else if (name == "_count") {
      std::int64_t n = 0;
      if (!parseInt64(value, n) || n < 1) {
        problems.add(Severity::kError, "invalid", "_count must be a positive integer", name);
      }
      query.count = static_cast<int>(std::min<std::int64_t>(n, 1000));
    } else if (name == "after") {
      if (!parseInt64(value, query.afterId)) {
        problems.add(Severity::kError, "invalid", "after must be a delivery id", name);
      }
    }
  }
  if (problems.hasErrors()) return exchange.sendOutcome(400, problems);
  auto rows = store.listDeliveries(query);
  if (!rows) return exchange.sendOutcome(rows.outcome());
  std::string next;
  if (static_cast<int>(rows->size()) == query.count) {
    Poco::URI uri("/deliveries");
    if (!query.state.empty()) uri.addQueryParameter("state", query.state);
    if (!query.destination.empty()) uri.addQueryParameter("destination", query.destination);
    if (!query.noteId.empty()) uri.addQueryParameter("note", query.noteId);
    uri.addQueryParameter("_count", std::to_string(query.count));
    uri.addQueryParameter("after", std::to_string(rows->back().id));
    next = uri.toString();
  }
  exchange.send(200, kPlainJson, listJson(*rows, next));
}

void noteDeliveries(HttpExchange& exchange, Store& store) {
  const std::string id(exchange.pathParam("id"));
  auto note = store.readNote(id, std::nullopt);
  if (!note) return exchange.sendOutcome(note.outcome());
  OutboxQuery query;
  query.noteId = id;
  query.count = 1000;
  auto rows = store.listDeliveries(query);
  if (!rows) return exchange.sendOutcome(rows.outcome());
  exchange.send(200, kPlainJson, listJson(*rows, {}));
}

void retryDelivery(HttpExchange& exchange, Store& store, const std::function<void()>& wake) {
  std::int64_t id = 0;
  if (!parseInt64(std::string(exchange.pathParam("id")), id)) {
    Outcome outcome;
    outcome.add(Severity::kError, "not-found",
                "no delivery " + std::string(exchange.pathParam("id")));
    return exchange.sendOutcome(outcome);
  }
  auto row = store.retryDelivery(id, formatInstant(std::chrono::system_clock::now()));
  if (!row) return exchange.sendOutcome(row.outcome());
  if (wake) wake();
  std::ostringstream text;
  rowJson(*row)->stringify(text);
  exchange.send(200, kPlainJson, text.str());
}

}  // namespace

std::vector<Route> deliveryRoutes(std::shared_ptr<Store> store, std::function<void()> wake) {
  std::vector<Route> routes;
  routes.push_back({"GET",
                    "/deliveries",
                    [store](HttpExchange& e) { listDeliveries(e, *store); },
                    {},
                    {},
                    Access::kInternal});
  routes.push_back({"GET",
                    "/notes/{id}/deliveries",
                    [store](HttpExchange& e) { noteDeliveries(e, *store); },
                    {},
                    {},
                    Access::kInternal});
  routes.push_back({"POST",
                    "/deliveries/{id}/retry",
                    [store, wake](HttpExchange& e) { retryDelivery(e, *store, wake); },
                    {},
                    {},
                    Access::kInternal});
  return routes;
}

}  // namespace notebridge::gateway

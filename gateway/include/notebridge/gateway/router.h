#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "notebridge/conformance/capability_statement.h"
#include "notebridge/gateway/http_exchange.h"

namespace notebridge::gateway {

using RouteHandler = std::function<void(HttpExchange&)>;

// Who may call a route.
enum class Access {
  kInternal,  // the practice's note system: an API key (X-API-Key or Authorization: Bearer nb_...)
  kFhir,      // FHIR clients: a bearer JWT whose SMART system scopes allow the interaction
  kPublic,    // anyone: health checks and the CapabilityStatement only
};

// One served (method, path pattern). A pattern is made of '/'-separated segments; `{name}`
// captures one segment. `interactions` and `operations` say what the route serves in FHIR
// terms: the CapabilityStatement is generated from them, so it never advertises what is not
// routed and never hides what is. For kFhir routes they are also what the bearer token's scopes
// must allow; a `{type}` segment names the resource type the request is about.
struct Route {
  std::string method;
  std::string pattern;
  RouteHandler handler;
  std::vector<conformance::RestInteraction> interactions;
  std::vector<conformance::RestOperation> operations;
  Access access = Access::kInternal;  // closed unless a route says otherwise
};

// What a request path and method matched.
struct RouteMatch {
  const Route* route = nullptr;  // null when nothing matched
  std::map<std::string, std::string, std::less<>> params;
  std::vector<std::string> allowedMethods;  // when the path matched under other methods only
};

// The route table. Built before the server starts, then read-only (and so thread-safe).
class Router {
 public:
  void add(Route route);
  // Literal segments win over captures, so `/fhir/metadata` beats `/fhir/{type}`. `path` is
  // the path as sent (percent-encoded, without the query): it is split at '/' first and each
  // segment decoded after, so a captured value may hold an encoded '/' (%2F).
  RouteMatch match(std::string_view method, std::string_view path) const;

  const std::vector<Route>& routes() const { return routes_; }
  std::vector<conformance::RestInteraction> interactions() const;
  std::vector<conformance::RestOperation> operations() const;

 private:
  std::vector<Route> routes_;
  std::vector<std::vector<std::string>> patternSegments_;  // routes_[i]'s pattern, split
};

}  // namespace notebridge::gateway

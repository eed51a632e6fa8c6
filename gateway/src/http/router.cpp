#include "notebridge/gateway/router.h"

#include <Poco/Exception.h>
#include <Poco/URI.h>

#include <algorithm>

namespace notebridge::gateway {
namespace {

// Splits the path as sent at '/' and only then percent-decodes each segment, so that an
// encoded slash (%2F) stays inside its segment: `/notes/2026%2F17` is the note "2026/17".
std::vector<std::string> split(std::string_view path, bool decode) {
  std::vector<std::string> segments;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) {
      const std::string_view raw = path.substr(start, end - start);
      std::string segment;
      if (decode && raw.find('%') != std::string_view::npos) {
        try {
          Poco::URI::decode(std::string(raw), segment);
        } catch (const Poco::Exception&) {
          segment = std::string(raw);  // a malformed escape: the text as sent, matching nothing odd
        }
      } else {
        segment = std::string(raw);
      }
      segments.push_back(std::move(segment));
    }
    start = end + 1;
  }
  return segments;
}

bool isCapture(std::string_view segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

// Returns the number of literal segments matched (higher is more specific), or -1.
int matchPattern(std::string_view pattern, const std::vector<std::string>& path,
                 std::map<std::string, std::string, std::less<>>* params) {
  const std::vector<std::string> segments = split(pattern, false);
  if (segments.size() != path.size()) return -1;
  int literals = 0;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (isCapture(segments[i])) {
      if (params) {
        (*params)[segments[i].substr(1, segments[i].size() - 2)] = path[i];
      }
    } else if (segments[i] == path[i]) {
      ++literals;
    } else {
      return -1;
    }
  }
  return literals;
}

}  // namespace

void Router::add(Route route) { routes_.push_back(std::move(route)); }

RouteMatch Router::match(std::string_view method, std::string_view path) const {
  const std::vector<std::string> segments = split(path, true);
  RouteMatch result;
  int best = -1;
  int bestAnyMethod = -1;
  for (const Route& route : routes_) {
    const int score = matchPattern(route.pattern, segments, nullptr);
    if (score < 0) continue;
    bestAnyMethod = std::max(bestAnyMethod, score);
    if (route.method == method && score > best) {
      best = score;
      result.route = &route;
    }
  }
  if (result.route) {
    // A more specific path under another method means this path belongs to that route.
    if (bestAnyMethod > best) result.route = nullptr;
  }
  if (result.route) {
    matchPattern(result.route->pattern, segments, &result.params);
    return result;
  }
  for (const Route& route : routes_) {
    if (matchPattern(route.pattern, segments, nullptr) == bestAnyMethod && bestAnyMethod >= 0 &&
        std::find(result.allowedMethods.begin(), result.allowedMethods.end(), route.method) ==
            result.allowedMethods.end()) {
      result.allowedMethods.push_back(route.method);
    }
  }
  std::sort(result.allowedMethods.begin(), result.allowedMethods.end());
  return result;
}

std::vector<conformance::RestInteraction> Router::interactions() const {
  std::vector<conformance::RestInteraction> out;
  for (const Route& route : routes_) {
    out.insert(out.end(), route.interactions.begin(), route.interactions.end());
  }
  return out;
}

std::vector<conformance::RestOperation> Router::operations() const {
  std::vector<conformance::RestOperation> out;
  for (const Route& route : routes_) {
    out.insert(out.end(), route.operations.begin(), route.operations.end());
  }
  return out;
}

}  // namespace notebridge::gateway

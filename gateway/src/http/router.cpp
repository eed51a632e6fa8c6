#include "notebridge/gateway/router.h"

#include <Poco/Exception.h>
#include <Poco/URI.h>

#include <algorithm>

namespace notebridge::gateway {
namespace {

// Splits the path as sent at '/' and only then percent-decodes each segment, so that an
// encoded slash (%2F) stays inside its segment: `/notes/2026%2F17` is the note "2026/17".
// The segments are views into `path`, or into `decoded` for those that needed decoding.
std::vector<std::string_view> split(std::string_view path, bool decode,
                                    std::vector<std::string>* decoded = nullptr) {
  std::vector<std::string_view> segments;
  // Reserved up front: the views into `decoded` must not move.
  if (decoded)
    decoded->reserve(static_cast<std::size_t>(std::count(path.begin(), path.end(), '/')) + 1);
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) {
      const std::string_view raw = path.substr(start, end - start);
      if (decode && decoded && raw.find('%') != std::string_view::npos) {
        std::string segment;
        try {
          Poco::URI::decode(std::string(raw), segment);
        } catch (const Poco::Exception&) {
          segment = std::string(raw);  // a malformed escape: the text as sent, matching nothing odd
        }
        decoded->push_back(std::move(segment));
        segments.push_back(decoded->back());
      } else {
        segments.push_back(raw);
      }
    }
    start = end + 1;
  }
  return segments;
}

bool isCapture(std::string_view segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

// Returns the number of literal segments matched (higher is more specific), or -1.
int matchPattern(const std::vector<std::string>& segments,
                 const std::vector<std::string_view>& path,
                 std::map<std::string, std::string, std::less<>>* params) {
  if (segments.size() != path.size()) return -1;
  int literals = 0;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (isCapture(segments[i])) {
      if (params) {
        (*params)[segments[i].substr(1, segments[i].size() - 2)] = std::string(path[i]);
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

void Router::add(Route route) {
  // Split once here rather than on every request.
  std::vector<std::string> segments;
  for (std::string_view segment : split(route.pattern, false)) segments.emplace_back(segment);
  patternSegments_.push_back(std::move(segments));
  routes_.push_back(std::move(route));
}

RouteMatch Router::match(std::string_view method, std::string_view path) const {
  std::vector<std::string> decoded;
  const std::vector<std::string_view> segments = split(path, true, &decoded);
  RouteMatch result;
  int best = -1;
  int bestAnyMethod = -1;
  std::size_t chosen = 0;
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    const int score = matchPattern(patternSegments_[i], segments, nullptr);
    if (score < 0) continue;
    bestAnyMethod = std::max(bestAnyMethod, score);
    if (routes_[i].method == method && score > best) {
      best = score;
      result.route = &routes_[i];
      chosen = i;
    }
  }
  if (result.route) {
    // A more specific path under another method means this path belongs to that route.
    if (bestAnyMethod > best) result.route = nullptr;
  }
  if (result.route) {
    matchPattern(patternSegments_[chosen], segments, &result.params);
    return result;
  }
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    const Route& route = routes_[i];
    if (matchPattern(patternSegments_[i], segments, nullptr) == bestAnyMethod &&
        bestAnyMethod >= 0 &&
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

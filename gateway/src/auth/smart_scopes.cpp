#include "notebridge/gateway/smart_scopes.h"

namespace notebridge::gateway {
namespace {

// v2 permission letters for a restful interaction. History and vread are reads.
char letterFor(std::string_view interaction) {
  if (interaction == "create") return 'c';
  if (interaction == "read" || interaction == "vread" || interaction == "history-instance" ||
      interaction == "history-type") {
    return 'r';
  }
  if (interaction == "update" || interaction == "patch") return 'u';
  if (interaction == "delete") return 'd';
  if (interaction == "search-type" || interaction == "search-system") return 's';
  return 0;
}

bool validLetters(std::string_view letters) {
  // v2 requires the letters in order c, r, u, d, s, each at most once.
  static constexpr std::string_view kOrder = "cruds";
  std::size_t position = 0;
  for (char c : letters) {
    const std::size_t at = kOrder.find(c, position);
    if (at == std::string_view::npos) return false;
    position = at + 1;
  }
  return !letters.empty();
}

}  // namespace

SmartScopes SmartScopes::parse(std::string_view text) {
  SmartScopes scopes;
  scopes.text_ = std::string(text);
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view scope = text.substr(start, end - start);
    start = end + 1;
    if (scope.rfind("system/", 0) != 0) continue;
    const std::string_view rest = scope.substr(7);
    const std::size_t dot = rest.find('.');
    if (dot == std::string_view::npos || dot == 0) continue;
    const std::string_view type = rest.substr(0, dot);
    std::string_view permission = rest.substr(dot + 1);
    std::string query;
    if (const std::size_t question = permission.find('?'); question != std::string_view::npos) {
      // Narrowed (SMART v2 only): read and search of matching resources; see the header.
      query = std::string(permission.substr(question + 1));
      permission = permission.substr(0, question);
      if (query.empty() || !validLetters(permission)) continue;
      std::string letters;
      for (char c : permission) {
        if (c == 'r' || c == 's') letters += c;
      }
      if (!letters.empty()) scopes.grants_.push_back({std::string(type), letters, query});
      continue;
    }
    std::string letters;
    if (permission == "read") {
      letters = "rs";
    } else if (permission == "write") {
      letters = "cud";
    } else if (permission == "*") {
      letters = "cruds";
    } else if (validLetters(permission)) {
      letters = std::string(permission);
    } else {
      continue;
    }
    scopes.grants_.push_back({std::string(type), std::move(letters), {}});
  }
  return scopes;
}

bool SmartScopes::allows(std::string_view resourceType, std::string_view interaction) const {
  const char letter = letterFor(interaction);
  if (letter == 0) return false;
  for (const Grant& grant : grants_) {
    if (grant.query.empty() && (grant.resourceType == "*" || grant.resourceType == resourceType) &&
        grant.letters.find(letter) != std::string::npos) {
      return true;
    }
  }
  return false;
}

std::vector<std::string> SmartScopes::narrowingQueries(std::string_view resourceType,
                                                       std::string_view interaction) const {
  std::vector<std::string> queries;
  if (interaction != "read" && interaction != "vread" && interaction != "search-type" &&
      interaction != "history-instance" && interaction != "history-type") {
    return queries;
  }
  if (allows(resourceType, interaction)) return queries;
  const char letter = letterFor(interaction);
  for (const Grant& grant : grants_) {
    // A query names search parameters of one type, so `*` cannot be narrowed meaningfully.
    if (!grant.query.empty() && grant.resourceType == resourceType &&
        grant.letters.find(letter) != std::string::npos) {
      queries.push_back(grant.query);
    }
  }
  return queries;
}

}  // namespace notebridge::gateway

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
    const std::string_view permission = rest.substr(dot + 1);
    if (permission.find('?') != std::string_view::npos) continue;  // narrowed: see header
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
    scopes.grants_.push_back({std::string(type), std::move(letters)});
  }
  return scopes;
}

bool SmartScopes::allows(std::string_view resourceType, std::string_view interaction) const {
  const char letter = letterFor(interaction);
  if (letter == 0) return false;
  for (const Grant& grant : grants_) {
    if ((grant.resourceType == "*" || grant.resourceType == resourceType) &&
        grant.letters.find(letter) != std::string::npos) {
      return true;
    }
  }
  return false;
}

}  // namespace notebridge::gateway

#include "resource_keys.h"

#include <cctype>

namespace notebridge::mappers {
namespace {

void percentEncode(std::string& out, std::string_view text, bool keepSlash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (alnum || c == '-' || c == '.' || c == '_' || c == '~' || c == ':' ||
        (keepSlash && c == '/')) {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
}

}  // namespace

std::string joinKey(const std::vector<std::string_view>& parts) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i) out += '/';
    for (char c : parts[i]) {
      if (c == '%') {
        out += "%25";
      } else if (c == '/') {
        out += "%2F";
      } else {
        out += c;
      }
    }
  }
  return out;
}

std::vector<std::string> splitKey(std::string_view key) {
  std::vector<std::string> parts(1);
  for (std::size_t i = 0; i < key.size(); ++i) {
    if (key[i] == '/') {
      parts.emplace_back();
    } else if (key[i] == '%' && key.compare(i, 3, "%25") == 0) {
      parts.back() += '%';
      i += 2;
    } else if (key[i] == '%' && key.compare(i, 3, "%2F") == 0) {
      parts.back() += '/';
      i += 2;
    } else {
      parts.back() += key[i];
    }
  }
  return parts;
}

std::string identifierQuery(std::string_view system, std::string_view value) {
  std::string escaped;
  for (char c : value) {
    if (c == '\\' || c == '|' || c == ',' || c == '$') escaped += '\\';
    escaped += c;
  }
  std::string out = "identifier=";
  percentEncode(out, system, true);
  out += "%7C";
  percentEncode(out, escaped, true);
  return out;
}

std::optional<int> parseVersionPart(std::string_view part) {
  if (part.size() < 2 || part[0] != 'v' || part.size() > 8) return std::nullopt;
  int n = 0;
  for (char c : part.substr(1)) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

}  // namespace notebridge::mappers

#include "resource_keys.h"

#include <cctype>

namespace notebridge::mappers {
namespace {

bool isUnreserved(char c, bool keepSlash) {
  const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  return alnum || c == '-' || c == '.' || c == '_' || c == '~' || c == ':' ||
         (keepSlash && c == '/');
}

// Runs of characters kept as they are go in with one append.
void percentEncode(std::string& out, std::string_view text, bool keepSlash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out.reserve(out.size() + text.size() + 8);
  std::size_t run = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (isUnreserved(text[i], keepSlash)) continue;
    const auto u = static_cast<unsigned char>(text[i]);
    out.append(text.data() + run, i - run);
    const char escaped[3] = {'%', kHex[u >> 4], kHex[u & 15]};
    out.append(escaped, 3);
    run = i + 1;
  }
  out.append(text.data() + run, text.size() - run);
}

}  // namespace

std::string joinKey(const std::vector<std::string_view>& parts) {
  std::size_t size = parts.size();
  for (std::string_view part : parts) size += part.size();
  std::string out;
  out.reserve(size + 8);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i) out += '/';
    const std::string_view part = parts[i];
    std::size_t run = 0;
    for (std::size_t k = 0; k < part.size(); ++k) {
      if (part[k] != '%' && part[k] != '/') continue;
      out.append(part.data() + run, k - run);
      out.append(part[k] == '%' ? "%25" : "%2F", 3);
      run = k + 1;
    }
    out.append(part.data() + run, part.size() - run);
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

#include "string_functions.h"

#include <boost/regex.hpp>
#include <cctype>
#include <cstring>

#include "evaluator.h"
#include "operations.h"

namespace notebridge::fhirpath::detail {

namespace {

// Byte offsets of each code point start, plus the end.
std::vector<std::size_t> codePoints(const std::string& s) {
  std::vector<std::size_t> out;
  out.reserve(s.size() + 1);
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) out.push_back(i);
  }
  out.push_back(s.size());
  return out;
}

std::string argString(const std::vector<Collection>& args, std::size_t i, const std::string& name,
                      bool& present) {
  present = false;
  if (i >= args.size() || args[i].empty()) return {};
  if (args[i].size() > 1) throw EvalError{name + "() expects a single String argument"};
  auto s = stringOf(args[i][0]);
  if (!s) throw EvalError{name + "() expects a String argument"};
  present = true;
  return *s;
}

std::int64_t argInteger(const std::vector<Collection>& args, std::size_t i,
                        const std::string& name, bool& present) {
  present = false;
  if (i >= args.size() || args[i].empty()) return 0;
  if (args[i].size() > 1) throw EvalError{name + "() expects a single Integer argument"};
  auto v = args[i][0].toValue();
  auto* n = v ? std::get_if<std::int64_t>(&*v) : nullptr;
  if (!n) throw EvalError{name + "() expects an Integer argument"};
  present = true;
  return *n;
}

Collection one(Value v) { return Collection{Item(std::move(v))}; }

boost::regex compileRegex(const std::string& pattern, const std::string& name, bool dotAll) {
  try {
    boost::regex::flag_type flags = boost::regex::perl;
    if (!dotAll) flags = flags | boost::regex::no_mod_s;
    return boost::regex(pattern, flags);
  } catch (const std::exception& e) {
    throw EvalError{name + "(): invalid regular expression '" + pattern + "': " + e.what()};
  }
}

std::string base64Encode(const std::string& in, bool url) {
  const char* table = url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                          : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  while (i + 2 < in.size()) {
    unsigned n = (static_cast<unsigned char>(in[i]) << 16) |
                 (static_cast<unsigned char>(in[i + 1]) << 8) | static_cast<unsigned char>(in[i + 2]);
    out += table[n >> 18];
    out += table[(n >> 12) & 63];
    out += table[(n >> 6) & 63];
    out += table[n & 63];
    i += 3;
  }
  if (i + 1 == in.size()) {
    unsigned n = static_cast<unsigned char>(in[i]) << 16;
    out += table[n >> 18];
    out += table[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    unsigned n = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += table[n >> 18];
    out += table[(n >> 12) & 63];
    out += table[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

std::optional<std::string> base64Decode(const std::string& in) {
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '+' || c == '-') v = 62;
    else if (c == '/' || c == '_') v = 63;
    else if (c == '=') break;
    else return std::nullopt;
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  return out;
}

}  // namespace

Collection stringFunction(Fn fn, const std::string& name, const std::string& input,
                          const std::vector<Collection>& args, const EvaluationContext& env) {
  bool present = false;
  switch (fn) {
    case Fn::kLength:
      return one(Value(static_cast<std::int64_t>(codePoints(input).size() - 1)));
    case Fn::kUpper:
    case Fn::kLower: {
      std::string out = input;
      for (char& c : out) {
        c = static_cast<char>(fn == Fn::kUpper ? std::toupper(static_cast<unsigned char>(c))
                                               : std::tolower(static_cast<unsigned char>(c)));
      }
      return one(Value(std::move(out)));
    }
    case Fn::kToChars: {
      auto cps = codePoints(input);
      Collection out;
      for (std::size_t i = 0; i + 1 < cps.size(); ++i)
        out.emplace_back(Value(input.substr(cps[i], cps[i + 1] - cps[i])));
      return out;
    }
    case Fn::kTrim: {
      std::size_t b = input.find_first_not_of(" \t\r\n");
      if (b == std::string::npos) return one(Value(std::string()));
      std::size_t e = input.find_last_not_of(" \t\r\n");
      return one(Value(input.substr(b, e - b + 1)));
    }
    case Fn::kIndexOf: {
      std::string sub = argString(args, 0, name, present);
      if (!present) return {};
      auto pos = input.find(sub);
      if (pos == std::string::npos) return one(Value(std::int64_t{-1}));
      auto cps = codePoints(input);
      auto it = std::lower_bound(cps.begin(), cps.end(), pos);
      return one(Value(static_cast<std::int64_t>(it - cps.begin())));
    }
    case Fn::kSubstring: {
      std::int64_t start = argInteger(args, 0, name, present);
      if (!present) return {};
      auto cps = codePoints(input);
      std::int64_t count = static_cast<std::int64_t>(cps.size()) - 1;
      if (start < 0 || start >= count) return {};
      std::int64_t length = count - start;
      if (args.size() > 1) {
        bool hasLength;
        std::int64_t l = argInteger(args, 1, name, hasLength);
        if (hasLength) length = std::min(std::max<std::int64_t>(l, 0), length);
      }
      std::size_t from = cps[static_cast<std::size_t>(start)];
      std::size_t to = cps[static_cast<std::size_t>(start + length)];
      return one(Value(input.substr(from, to - from)));
    }
    case Fn::kStartsWith:
    case Fn::kEndsWith:
    case Fn::kContains: {
      std::string sub = argString(args, 0, name, present);
      if (!present) return {};
      bool r;
      if (fn == Fn::kStartsWith) {
        r = input.compare(0, sub.size(), sub) == 0;
      } else if (fn == Fn::kEndsWith) {
        r = input.size() >= sub.size() &&
            input.compare(input.size() - sub.size(), sub.size(), sub) == 0;
      } else {
        r = input.find(sub) != std::string::npos;
      }
      return one(Value(r));
    }
    case Fn::kReplace: {
      bool p1, p2;
      std::string pattern = argString(args, 0, name, p1);
      std::string substitution = argString(args, 1, name, p2);
      if (!p1 || !p2) return {};
      std::string out;
      if (pattern.empty()) {
        auto cps = codePoints(input);
        out += substitution;
        for (std::size_t i = 0; i + 1 < cps.size(); ++i) {
          out += input.substr(cps[i], cps[i + 1] - cps[i]);
          out += substitution;
        }
        return one(Value(std::move(out)));
      }
      std::size_t pos = 0;
      while (true) {
        auto found = input.find(pattern, pos);
        if (found == std::string::npos) break;
        out.append(input, pos, found - pos);
        out += substitution;
        pos = found + pattern.size();
      }
      out.append(input, pos, std::string::npos);
      return one(Value(std::move(out)));
    }
    case Fn::kMatches:
    case Fn::kMatchesFull:
    case Fn::kReplaceMatches: {
      std::string pattern = argString(args, 0, name, present);
      if (!present) return {};
      if (input.size() > env.maxRegexInput) throw EvalError{name + "(): input too long"};
      if (pattern.empty() && fn == Fn::kReplaceMatches) return one(Value(input));
      boost::regex re = compileRegex(pattern, name, fn != Fn::kReplaceMatches);
      try {
        if (fn == Fn::kMatches) return one(Value(boost::regex_search(input, re)));
        if (fn == Fn::kMatchesFull) return one(Value(boost::regex_match(input, re)));
        bool hasSubstitution;
        std::string substitution = argString(args, 1, name, hasSubstitution);
        if (!hasSubstitution) return {};
        return one(Value(boost::regex_replace(input, re, substitution,
                                              boost::format_perl)));
      } catch (const std::exception& e) {
        // Boost.Regex gives up on patterns whose matching explodes (catastrophic backtracking).
        throw EvalError{name + "(): regular expression too complex to evaluate: " + e.what()};
      }
    }
    case Fn::kSplit: {
      std::string sep = argString(args, 0, name, present);
      if (!present) return {};
      Collection out;
      if (sep.empty()) {
        out.emplace_back(Value(input));
        return out;
      }
      std::size_t pos = 0;
      while (true) {
        auto found = input.find(sep, pos);
        out.emplace_back(Value(input.substr(pos, found == std::string::npos ? std::string::npos
                                                                             : found - pos)));
        if (found == std::string::npos) break;
        pos = found + sep.size();
      }
      return out;
    }
    case Fn::kEncode:
    case Fn::kDecode: {
      std::string format = argString(args, 0, name, present);
      if (!present) return {};
      if (format == "base64" || format == "urlbase64") {
        if (fn == Fn::kEncode) return one(Value(base64Encode(input, format == "urlbase64")));
        auto d = base64Decode(input);
        if (!d) return {};
        return one(Value(*d));
      }
      if (format == "hex") {
        static const char* kHex = "0123456789abcdef";
        std::string out;
        if (fn == Fn::kEncode) {
          for (unsigned char c : input) {
            out += kHex[c >> 4];
            out += kHex[c & 15];
          }
          return one(Value(std::move(out)));
        }
        if (input.size() % 2) return {};
        auto nibble = [](char c) -> int {
          if (c >= '0' && c <= '9') return c - '0';
          if (c >= 'a' && c <= 'f') return c - 'a' + 10;
          if (c >= 'A' && c <= 'F') return c - 'A' + 10;
          return -1;
        };
        for (std::size_t i = 0; i < input.size(); i += 2) {
          int hi = nibble(input[i]), lo = nibble(input[i + 1]);
          if (hi < 0 || lo < 0) return {};
          out += static_cast<char>(hi * 16 + lo);
        }
        return one(Value(std::move(out)));
      }
      throw EvalError{name + "(): unknown format '" + format + "'"};
    }
    case Fn::kEscape:
    case Fn::kUnescape: {
      std::string target = argString(args, 0, name, present);
      if (!present) return {};
      std::string out;
      if (target == "html") {
        if (fn == Fn::kEscape) {
          for (char c : input) {
            switch (c) {
              case '<': out += "&lt;"; break;
              case '>': out += "&gt;"; break;
              case '&': out += "&amp;"; break;
              case '"': out += "&quot;"; break;
              default: out += c;
            }
          }
        } else {
          out = input;
          const std::pair<const char*, const char*> kEntities[] = {
              {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}, {"&amp;", "&"}};
          for (auto [from, to] : kEntities) {
            std::string f = from;
            std::size_t pos = 0;
            while ((pos = out.find(f, pos)) != std::string::npos) {
              out.replace(pos, f.size(), to);
              pos += std::string(to).size();
            }
          }
        }
        return one(Value(std::move(out)));
      }
      if (target == "json") {
        if (fn == Fn::kEscape) {
          for (char c : input) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
          }
        } else {
          for (std::size_t i = 0; i < input.size(); ++i) {
            if (input[i] == '\\' && i + 1 < input.size()) ++i;
            out += input[i];
          }
        }
        return one(Value(std::move(out)));
      }
      throw EvalError{name + "(): unknown target '" + target + "'"};
    }
    default:
      break;
  }
  throw EvalError{name + "() is not a string function"};
}

bool narrativeIsSafe(std::string_view xhtml) {
  std::string lower(xhtml);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static const char* kForbiddenElements[] = {"<script", "<iframe", "<object", "<embed", "<form",
                                             "<input", "<applet", "<base", "<link", "<meta",
                                             "<style", "<frame"};
  for (const char* e : kForbiddenElements) {
    auto pos = lower.find(e);
    while (pos != std::string::npos) {
      char next = pos + std::strlen(e) < lower.size() ? lower[pos + std::strlen(e)] : '>';
      if (next == ' ' || next == '>' || next == '/' || next == '\t' || next == '\n') return false;
      pos = lower.find(e, pos + 1);
    }
  }
  if (lower.find("javascript:") != std::string::npos) return false;
  // Event handler attributes: " on<letters>=" inside a tag.
  bool inTag = false;
  for (std::size_t i = 0; i < lower.size(); ++i) {
    char c = lower[i];
    if (c == '<') inTag = true;
    else if (c == '>') inTag = false;
    else if (inTag && (c == ' ' || c == '\t' || c == '\n') && lower.compare(i + 1, 2, "on") == 0) {
      std::size_t j = i + 3;
      while (j < lower.size() && std::isalpha(static_cast<unsigned char>(lower[j]))) ++j;
      while (j < lower.size() && lower[j] == ' ') ++j;
      if (j > i + 3 && j < lower.size() && lower[j] == '=') return false;
    }
  }
  return lower.find("<div") != std::string::npos;
}

}  // namespace notebridge::fhirpath::detail

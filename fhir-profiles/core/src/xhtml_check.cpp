#include "xhtml_check.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <array>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace notebridge::fhir {

namespace {

void ignoreStructured(void*, xmlErrorPtr) {}
void ignoreGeneric(void*, const char*, ...) {}

constexpr std::string_view kXhtmlNamespace = "http://www.w3.org/1999/xhtml";

// A conservative scanner for the markup FHIR narratives (and our own renderings) are made of:
// ASCII names without prefixes, quoted attributes, character and the five predefined entity
// references. It answers only "certainly well-formed, a div in the XHTML namespace" or "not
// sure"; everything else (comments, CDATA, processing instructions, prefixes, anything
// malformed) goes to libxml2, which gives the verdict and the message. Building a libxml2
// document for every narrative cost about a tenth of a FHIR JSON parse.
// Rules: https://www.w3.org/TR/xml/ (Char, Name, Attribute, Reference, CharData).
class QuickDivScanner {
 public:
  explicit QuickDivScanner(std::string_view text) : s_(text) {}

  bool wellFormed() {
    skipSpace();
    if (!startsWith("<div")) return false;
    ++i_;  // '<'
    bool selfClosing = false;
    std::string_view name;
    if (!startTag(name, selfClosing, true) || name != "div" || !rootNamespaceSeen_) return false;
    if (selfClosing) return trailingSpaceOnly();
    depth_ = 1;
    open_[0] = name;
    while (i_ < s_.size()) {
#if defined(__SSE2__)
      // Text runs are most of a narrative: sixteen plain bytes at a time, then eight.
      if (i_ + 16 <= s_.size() && plainBlock(s_.data() + i_)) {
        i_ += 16;
        continue;
      }
#endif
      if (i_ + 8 <= s_.size() && plainWord(s_.data() + i_)) {
        i_ += 8;
        continue;
      }
      const char c = s_[i_];
      const auto u = static_cast<unsigned char>(c);
      if (u >= 0x20 && u < 0x80 && c != '<' && c != '&' && c != ']') {
        ++i_;
        continue;
      }
      if (c == '<') {
        ++i_;
        if (i_ >= s_.size()) return false;
        if (s_[i_] == '/') {
          ++i_;
          std::string_view end;
          if (!readName(end)) return false;
          skipSpace();
          if (i_ >= s_.size() || s_[i_] != '>') return false;
          ++i_;
          if (end != open_[depth_ - 1]) return false;
          if (--depth_ == 0) return trailingSpaceOnly();
          continue;
        }
        if (s_[i_] == '!' || s_[i_] == '?') return false;
        std::string_view child;
        if (!startTag(child, selfClosing, false)) return false;
        if (!selfClosing) {
          if (depth_ == open_.size()) return false;
          open_[depth_++] = child;
        }
        continue;
      }
      if (c == '&') {
        if (!reference()) return false;
        continue;
      }
      if (c == ']' && s_.compare(i_, 3, "]]>") == 0) return false;
      if (c == '>' || c == ']') {
        ++i_;
        continue;
      }
      if (!plainChar()) return false;
    }
    return false;  // unclosed elements
  }

 private:
  bool startsWith(std::string_view prefix) const {
    return s_.compare(i_, prefix.size(), prefix) == 0;
  }

  // True when none of the eight bytes at p is below 0x20, at or above 0x80, '<', '&' or ']'
  // (SWAR: a byte b is "zero" in b ^ c exactly when b == c).
  static bool plainWord(const char* p) {
    constexpr std::uint64_t kOnes = 0x0101010101010101ull;
    constexpr std::uint64_t kHigh = 0x8080808080808080ull;
    std::uint64_t w;
    std::memcpy(&w, p, sizeof w);
    auto zeroByte = [&](std::uint64_t x) { return (x - kOnes) & ~x & kHigh; };
    const std::uint64_t below = (w - kOnes * 0x20) & ~w & kHigh;
    const std::uint64_t special =
        zeroByte(w ^ (kOnes * '<')) | zeroByte(w ^ (kOnes * '&')) | zeroByte(w ^ (kOnes * ']'));
    return ((w & kHigh) | below | special) == 0;
  }

#if defined(__SSE2__)
  // plainWord for sixteen bytes: as signed bytes, 0x20..0x7F are exactly those above 0x1F.
  static bool plainBlock(const char* p) {
    const __m128i s = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i ascii = _mm_cmpgt_epi8(s, _mm_set1_epi8(0x1F));
    const __m128i special = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(s, _mm_set1_epi8('<')), _mm_cmpeq_epi8(s, _mm_set1_epi8('&'))),
        _mm_cmpeq_epi8(s, _mm_set1_epi8(']')));
    return _mm_movemask_epi8(_mm_andnot_si128(special, ascii)) == 0xFFFF;
  }
#endif

  static bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
  bool skipSpace() {
    const std::size_t from = i_;
    while (i_ < s_.size() && isSpace(s_[i_])) ++i_;
    return i_ != from;
  }
  bool trailingSpaceOnly() {
    skipSpace();
    return i_ == s_.size();
  }

  // One character of text or attribute value that is not markup: rejects control characters
  // other than tab, CR and LF, and U+FFFE/U+FFFF (not XML Chars; UTF-8 was checked before).
  bool plainChar() {
    const auto u = static_cast<unsigned char>(s_[i_]);
    if (u < 0x20 && u != '\t' && u != '\n' && u != '\r') return false;
    if (u == 0xEF && i_ + 2 < s_.size() && static_cast<unsigned char>(s_[i_ + 1]) == 0xBF &&
        (static_cast<unsigned char>(s_[i_ + 2]) & 0xFE) == 0xBE) {
      return false;
    }
    ++i_;
    return true;
  }

  // An ASCII name without a namespace prefix.
  bool readName(std::string_view& name) {
    const std::size_t from = i_;
    auto first = [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    };
    auto rest = [&](char c) { return first(c) || (c >= '0' && c <= '9') || c == '-' || c == '.'; };
    if (i_ >= s_.size() || !first(s_[i_])) return false;
    ++i_;
    while (i_ < s_.size() && rest(s_[i_])) ++i_;
    name = s_.substr(from, i_ - from);
    return true;
  }

  // After '<': name, attributes, then '>' or "/>".
  bool startTag(std::string_view& name, bool& selfClosing, bool root) {
    if (!readName(name)) return false;
    std::array<std::string_view, 16> seen;
    std::size_t count = 0;
    while (true) {
      const bool spaced = skipSpace();
      if (i_ >= s_.size()) return false;
      if (s_[i_] == '>') {
        ++i_;
        selfClosing = false;
        return true;
      }
      if (s_[i_] == '/') {
        if (i_ + 1 >= s_.size() || s_[i_ + 1] != '>') return false;
        i_ += 2;
        selfClosing = true;
        return true;
      }
      if (!spaced) return false;
      std::string_view attribute;
      if (!readName(attribute)) return false;
      for (std::size_t k = 0; k < count; ++k) {
        if (seen[k] == attribute) return false;
      }
      if (count == seen.size()) return false;
      seen[count++] = attribute;
      skipSpace();
      if (i_ >= s_.size() || s_[i_] != '=') return false;
      ++i_;
      skipSpace();
      if (i_ >= s_.size() || (s_[i_] != '"' && s_[i_] != '\'')) return false;
      const char quote = s_[i_++];
      const std::size_t valueStart = i_;
      while (i_ < s_.size() && s_[i_] != quote) {
        if (s_[i_] == '<') return false;
        if (s_[i_] == '&') {
          if (!reference()) return false;
        } else if (!plainChar()) {
          return false;
        }
      }
      if (i_ >= s_.size()) return false;
      const std::string_view value = s_.substr(valueStart, i_ - valueStart);
      ++i_;  // closing quote
      if (attribute == "xmlns") {
        if (!root || value != kXhtmlNamespace) return false;
        rootNamespaceSeen_ = true;
      }
    }
  }

  // At '&': one of the predefined entities or a character reference to an XML Char.
  bool reference() {
    static constexpr std::string_view kNamed[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
    for (std::string_view named : kNamed) {
      if (startsWith(named)) {
        i_ += named.size();
        return true;
      }
    }
    if (!startsWith("&#")) return false;
    i_ += 2;
    const bool hex = i_ < s_.size() && s_[i_] == 'x';
    if (hex) ++i_;
    unsigned long cp = 0;
    std::size_t digits = 0;
    while (i_ < s_.size() && digits < 8) {
      const char c = s_[i_];
      int d;
      if (c >= '0' && c <= '9') {
        d = c - '0';
      } else if (hex && c >= 'a' && c <= 'f') {
        d = c - 'a' + 10;
      } else if (hex && c >= 'A' && c <= 'F') {
        d = c - 'A' + 10;
      } else {
        break;
      }
      cp = cp * (hex ? 16 : 10) + static_cast<unsigned long>(d);
      ++digits;
      ++i_;
    }
    if (digits == 0 || digits == 8 || i_ >= s_.size() || s_[i_] != ';') return false;
    ++i_;
    return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
           (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
  }

  std::string_view s_;
  std::size_t i_ = 0;
  std::array<std::string_view, 64> open_;
  std::size_t depth_ = 0;
  bool rootNamespaceSeen_ = false;
};

}  // namespace

bool isCertainlyWellFormedDiv(std::string_view markup) {
  return QuickDivScanner(markup).wellFormed();
}

std::string checkXhtmlDiv(std::string_view markup) {
  if (isCertainlyWellFormedDiv(markup)) return {};
  return checkXhtmlDivWithLibxml2(markup);
}

std::string checkXhtmlDivWithLibxml2(std::string_view markup) {
  std::size_t i = 0;
  while (i < markup.size() &&
         (markup[i] == ' ' || markup[i] == '\n' || markup[i] == '\r' || markup[i] == '\t')) {
    ++i;
  }
  if (markup.compare(i, 4, "<div") != 0) return "the narrative must be a single <div> element";
  xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
  if (!ctxt) return "cannot create an XML parser";
  ctxt->sax->serror = ignoreStructured;
  ctxt->sax->error = ignoreGeneric;
  ctxt->sax->warning = ignoreGeneric;
  xmlDocPtr doc =
      xmlCtxtReadMemory(ctxt, markup.data(), static_cast<int>(markup.size()), nullptr, "UTF-8",
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  std::string problem;
  if (!doc || !ctxt->wellFormed) {
    const xmlError* err = xmlCtxtGetLastError(ctxt);
    problem = "the narrative is not well-formed XHTML";
    if (err && err->message) {
      problem += ": ";
      problem += err->message;
      while (!problem.empty() && problem.back() == '\n') problem.pop_back();
    }
  } else {
    xmlNodePtr root = xmlDocGetRootElement(doc);
    if (!root || std::strcmp(reinterpret_cast<const char*>(root->name), "div") != 0 || !root->ns ||
        std::strcmp(reinterpret_cast<const char*>(root->ns->href),
                    "http://www.w3.org/1999/xhtml") != 0) {
      problem = "the narrative div must be in the XHTML namespace http://www.w3.org/1999/xhtml";
    }
  }
  if (doc) xmlFreeDoc(doc);
  xmlFreeParserCtxt(ctxt);
  return problem;
}

}  // namespace notebridge::fhir

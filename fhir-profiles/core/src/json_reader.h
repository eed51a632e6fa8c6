#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <rapidjson/stream.h>

namespace notebridge::fhir {

// How an InsituJsonReader run ended.
enum class InsituReadResult : std::uint8_t {
  kDone,     // the whole document was read and every event accepted
  kStopped,  // the handler returned false
  kGiveUp,   // input this reader does not handle: read it again with RapidJSON
};

// A JSON reader for the well-formed documents a FHIR parser mostly sees, driving a RapidJSON SAX
// handler with exactly the events, in the same order and with the same stream positions, that
// RapidJSON's recursive in-situ reader (kParseInsituFlag | kParseNumbersAsStringsFlag, no
// comments, no trailing commas) gives over a copy of the text: the stream stands after `{`/`[`
// in StartObject and StartArray, at the opening quote in Key and String, at the first byte in
// RawNumber, after the literal in Bool and Null, and after the bracket in EndObject and
// EndArray. The handler reads the position from `stream` (src_ - head_).
//
// It reads the text where it is, without the copy: strings without escapes are handed over as
// views into it, values with escapes are unescaped into a buffer of the reader (valid during the
// String call only). It saves the copy and RapidJSON's per-event cost (stream copies, generic
// dispatch). It does not word errors: at the first byte it is not sure about (any syntax error,
// a control character, a surrogate \u escape or an escaped key, a number with an exponent or
// more than 18 integer digits, a root that is not an object) it gives up, and the caller parses
// again with RapidJSON from a fresh handler, which reports what RapidJSON reports. A zero byte
// ends the text, as it ends RapidJSON's in-situ stream.
//
// Recursive: the handler must bound the nesting depth, as it must for RapidJSON's reader.
template <typename Handler>
class InsituJsonReader {
 public:
  // `stream` only carries the position: head_ and src_ point into [begin, end), never written.
  InsituJsonReader(const char* begin, const char* end, rapidjson::InsituStringStream& stream,
                   Handler& handler)
      : stream_(stream), handler_(handler), p_(begin), end_(end) {
    stream_.head_ = stream_.src_ = stream_.dst_ = const_cast<char*>(begin);
  }

  InsituReadResult read() {
    skipSpace();
    if (peek() != '{') return InsituReadResult::kGiveUp;
    if (!object()) return result_;
    skipSpace();
    // The end of the text, or a zero byte in it (RapidJSON's in-situ stream ends there too).
    if (peek() != '\0') return InsituReadResult::kGiveUp;
    return InsituReadResult::kDone;
  }

 private:
  char peek() const { return p_ < end_ ? *p_ : '\0'; }
  void skipSpace() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }
  bool giveUp() {
    result_ = InsituReadResult::kGiveUp;
    return false;
  }
  bool stopped() {
    result_ = InsituReadResult::kStopped;
    return false;
  }
  // The stream position the handler reads (ParseHandler::offset()).
  void at(const char* p) { stream_.src_ = const_cast<char*>(p); }
  bool literal(const char* word, std::size_t n) {
    if (static_cast<std::size_t>(end_ - p_) < n || std::memcmp(p_, word, n) != 0) return false;
    p_ += n;
    at(p_);
    return true;
  }

  bool value() {
    switch (peek()) {
      case '"':
        return string(false);
      case '{':
        return object();
      case '[':
        return array();
      case 't':
        if (!literal("true", 4)) return giveUp();
        return handler_.Bool(true) || stopped();
      case 'f':
        if (!literal("false", 5)) return giveUp();
        return handler_.Bool(false) || stopped();
      case 'n':
        if (!literal("null", 4)) return giveUp();
        return handler_.Null() || stopped();
      default:
        return number();
    }
  }

  bool object() {
    ++p_;  // '{'
    at(p_);
    if (!handler_.StartObject()) return stopped();
    skipSpace();
    if (peek() == '}') {
      ++p_;
      at(p_);
      return handler_.EndObject(0) || stopped();
    }
    for (unsigned members = 1;; ++members) {
      if (peek() != '"') return giveUp();
      if (!string(true)) return false;
      skipSpace();
      if (peek() != ':') return giveUp();
      ++p_;
      skipSpace();
      if (!value()) return false;
      skipSpace();
      const char c = peek();
      if (c == ',') {
        ++p_;
        skipSpace();
        continue;
      }
      if (c != '}') return giveUp();
      ++p_;
      at(p_);
      return handler_.EndObject(members) || stopped();
    }
  }

  bool array() {
    ++p_;  // '['
    at(p_);
    if (!handler_.StartArray()) return stopped();
    skipSpace();
    if (peek() == ']') {
      ++p_;
      at(p_);
      return handler_.EndArray(0) || stopped();
    }
    for (unsigned items = 1;; ++items) {
      if (!value()) return false;
      skipSpace();
      const char c = peek();
      if (c == ',') {
        ++p_;
        skipSpace();
        continue;
      }
      if (c != ']') return giveUp();
      ++p_;
      at(p_);
      return handler_.EndArray(items) || stopped();
    }
  }

  // A string at p_ (its opening quote).
  bool string(bool isKey) {
    const char* const quote = p_;
    const char* const begin = p_ + 1;
    // The bytes up to the first quote, backslash or control character: most strings end there.
    const char* src = scanPlain(begin);
    const char* text = begin;
    std::size_t length;
    if (src < end_ && *src == '"') {
      length = static_cast<std::size_t>(src - begin);
    } else {
      // Keys are plain names in FHIR: an escaped one is left to RapidJSON.
      if (isKey) return giveUp();
      scratch_.assign(begin, src);
      while (src == end_ || *src != '"') {
        // A control character (RapidJSON refuses it) or the end of the text.
        if (src == end_ || *src != '\\') return giveUp();
        if (!unescape(src)) return giveUp();
        // The plain run after the escape (narratives escape every attribute's quotes).
        const char* next = scanPlain(src);
        scratch_.append(src, next);
        src = next;
      }
      text = scratch_.data();
      length = scratch_.size();
    }
    p_ = src + 1;
    at(quote);
    const auto n = static_cast<rapidjson::SizeType>(length);
    const bool go = isKey ? handler_.Key(text, n, false) : handler_.String(text, n, false);
    return go || stopped();
  }

  // Decodes the escape at src (a backslash) into scratch_ and steps over it. False for what
  // this reader leaves to RapidJSON (an unknown escape, bad hex digits, a surrogate, the end).
  bool unescape(const char*& src) {
    if (end_ - src < 2) return false;
    char c;
    switch (src[1]) {
      case '"':
        c = '"';
        break;
      case '\\':
        c = '\\';
        break;
      case '/':
        c = '/';
        break;
      case 'b':
        c = '\b';
        break;
      case 'f':
        c = '\f';
        break;
      case 'n':
        c = '\n';
        break;
      case 'r':
        c = '\r';
        break;
      case 't':
        c = '\t';
        break;
      case 'u': {
        if (end_ - src < 6) return false;
        unsigned code = 0;
        for (int k = 2; k < 6; ++k) {
          const char h = src[k];
          unsigned digit;
          if (h >= '0' && h <= '9') {
            digit = static_cast<unsigned>(h - '0');
          } else if (h >= 'a' && h <= 'f') {
            digit = static_cast<unsigned>(h - 'a' + 10);
          } else if (h >= 'A' && h <= 'F') {
            digit = static_cast<unsigned>(h - 'A' + 10);
          } else {
            return false;
          }
          code = code << 4 | digit;
        }
        if (code >= 0xD800 && code <= 0xDFFF) return false;
        src += 6;
        if (code <= 0x7F) {
          scratch_ += static_cast<char>(code);
        } else if (code <= 0x7FF) {
          scratch_ += static_cast<char>(0xC0 | (code >> 6));
          scratch_ += static_cast<char>(0x80 | (code & 0x3F));
        } else {
          scratch_ += static_cast<char>(0xE0 | (code >> 12));
          scratch_ += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
          scratch_ += static_cast<char>(0x80 | (code & 0x3F));
        }
        return true;
      }
      default:
        return false;
    }
    scratch_ += c;
    src += 2;
    return true;
  }

  // The first quote, backslash or byte below 0x20 at or after p, or end_.
  const char* scanPlain(const char* p) const {
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i control = _mm_set1_epi8(0x1F);
    for (; end_ - p >= 16; p += 16) {
      const __m128i s = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      const __m128i hit =
          _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(s, quote), _mm_cmpeq_epi8(s, backslash)),
                       _mm_cmpeq_epi8(_mm_max_epu8(s, control), control));
      const int mask = _mm_movemask_epi8(hit);
      if (mask != 0) return p + __builtin_ctz(static_cast<unsigned>(mask));
    }
#endif
    while (p < end_ && *p != '"' && *p != '\\' && static_cast<unsigned char>(*p) >= 0x20) ++p;
    return p;
  }

  // -?(0|[1-9][0-9]*)(\.[0-9]+)? with at most 18 integer digits: RapidJSON accepts all of these
  // and reports them as they are. Anything else (exponents, longer integers) goes to RapidJSON.
  bool number() {
    const char* const begin = p_;
    const char* q = p_;
    auto byte = [&](const char* x) { return x < end_ ? *x : '\0'; };
    auto digit = [&](const char* x) { return x < end_ && *x >= '0' && *x <= '9'; };
    if (byte(q) == '-') ++q;
    const char* const digits = q;
    if (byte(q) == '0') {
      ++q;
    } else if (digit(q) && *q != '0') {
      while (digit(q)) ++q;
      if (q - digits > 18) return giveUp();
    } else {
      return giveUp();
    }
    if (byte(q) == '.') {
      ++q;
      if (!digit(q)) return giveUp();
      while (digit(q)) ++q;
    }
    if (byte(q) == 'e' || byte(q) == 'E') return giveUp();
    p_ = q;
    at(begin);
    return handler_.RawNumber(begin, static_cast<rapidjson::SizeType>(q - begin), false) ||
           stopped();
  }

  rapidjson::InsituStringStream& stream_;
  Handler& handler_;
  const char* p_;
  const char* const end_;
  InsituReadResult result_ = InsituReadResult::kDone;
  // Values with escapes, unescaped (kept between strings: its capacity is reused).
  std::string scratch_;
};

}  // namespace notebridge::fhir

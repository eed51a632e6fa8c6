#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

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
// comments, no trailing commas) gives: the stream stands after `{`/`[` in StartObject and
// StartArray, at the opening quote in Key and String, at the first byte in RawNumber, after the
// literal in Bool and Null, and after the bracket in EndObject and EndArray.
//
// It saves RapidJSON's per-event cost (stream copies, generic dispatch). It does not word
// errors: at the first byte it is not sure about (any syntax error, a control character or a
// surrogate \u escape in a string, a number with an exponent or more than 18 integer digits, a
// root that is not an object) it gives up, and the caller parses the original text again with
// RapidJSON from a fresh handler, which reports what RapidJSON reports. Strings are unescaped in
// place, so the buffer must be copied again before that second parse.
//
// `buffer` must end with at least 16 zero bytes after the document (16-byte unaligned loads).
// Recursive: the handler must bound the nesting depth, as it must for RapidJSON's reader.
template <typename Handler>
class InsituJsonReader {
 public:
  InsituJsonReader(rapidjson::InsituStringStream& stream, Handler& handler)
      : stream_(stream), handler_(handler), p_(stream.src_) {}

  InsituReadResult read() {
    skipSpace();
    if (*p_ != '{') return InsituReadResult::kGiveUp;
    if (!object()) return result_;
    skipSpace();
    // The zero bytes after the document (or a zero byte in it, which RapidJSON's in-situ stream
    // takes for the end as well).
    if (*p_ != '\0') return InsituReadResult::kGiveUp;
    return InsituReadResult::kDone;
  }

 private:
  void skipSpace() {
    while (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t') ++p_;
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
  void at(char* p) { stream_.src_ = p; }

  bool value() {
    switch (*p_) {
      case '"':
        return string(false);
      case '{':
        return object();
      case '[':
        return array();
      case 't':
        if (std::memcmp(p_, "true", 4) != 0) return giveUp();
        p_ += 4;
        at(p_);
        return handler_.Bool(true) || stopped();
      case 'f':
        if (std::memcmp(p_, "false", 5) != 0) return giveUp();
        p_ += 5;
        at(p_);
        return handler_.Bool(false) || stopped();
      case 'n':
        if (std::memcmp(p_, "null", 4) != 0) return giveUp();
        p_ += 4;
        at(p_);
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
    if (*p_ == '}') {
      ++p_;
      at(p_);
      return handler_.EndObject(0) || stopped();
    }
    for (unsigned members = 1;; ++members) {
      if (*p_ != '"') return giveUp();
      if (!string(true)) return false;
      skipSpace();
      if (*p_ != ':') return giveUp();
      ++p_;
      skipSpace();
      if (!value()) return false;
      skipSpace();
      if (*p_ == ',') {
        ++p_;
        skipSpace();
        continue;
      }
      if (*p_ != '}') return giveUp();
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
    if (*p_ == ']') {
      ++p_;
      at(p_);
      return handler_.EndArray(0) || stopped();
    }
    for (unsigned items = 1;; ++items) {
      if (!value()) return false;
      skipSpace();
      if (*p_ == ',') {
        ++p_;
        skipSpace();
        continue;
      }
      if (*p_ != ']') return giveUp();
      ++p_;
      at(p_);
      return handler_.EndArray(items) || stopped();
    }
  }

  // A string at p_ (its opening quote), unescaped in place.
  bool string(bool isKey) {
    char* const quote = p_;
    char* const begin = p_ + 1;
    // The bytes up to the first quote, backslash or control character: most strings end there.
    char* src = scanPlain(begin);
    char* dst = src;
    while (*src != '"') {
      // A control character (RapidJSON refuses it) or the end of the buffer.
      if (*src != '\\') return giveUp();
      if (!unescape(src, dst)) return giveUp();
      // The plain run after the escape (narratives escape every attribute's quotes).
      char* next = scanPlain(src);
      if (next != src) {
        std::memmove(dst, src, static_cast<std::size_t>(next - src));
        dst += next - src;
        src = next;
      }
    }
    p_ = src + 1;
    at(quote);
    const auto length = static_cast<rapidjson::SizeType>(dst - begin);
    const bool go =
        isKey ? handler_.Key(begin, length, false) : handler_.String(begin, length, false);
    return go || stopped();
  }

  // Decodes the escape at src (a backslash) to dst; advances both. False for what this reader
  // leaves to RapidJSON (an unknown escape, bad hex digits, a surrogate).
  static bool unescape(char*& src, char*& dst) {
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
          *dst++ = static_cast<char>(code);
        } else if (code <= 0x7FF) {
          *dst++ = static_cast<char>(0xC0 | (code >> 6));
          *dst++ = static_cast<char>(0x80 | (code & 0x3F));
        } else {
          *dst++ = static_cast<char>(0xE0 | (code >> 12));
          *dst++ = static_cast<char>(0x80 | ((code >> 6) & 0x3F));
          *dst++ = static_cast<char>(0x80 | (code & 0x3F));
        }
        return true;
      }
      default:
        return false;
    }
    *dst++ = c;
    src += 2;
    return true;
  }

  // The first quote, backslash or byte below 0x20 at or after p.
  static char* scanPlain(char* p) {
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i control = _mm_set1_epi8(0x1F);
    for (;; p += 16) {
      const __m128i s = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      const __m128i hit =
          _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(s, quote), _mm_cmpeq_epi8(s, backslash)),
                       _mm_cmpeq_epi8(_mm_max_epu8(s, control), control));
      const int mask = _mm_movemask_epi8(hit);
      if (mask != 0) return p + __builtin_ctz(static_cast<unsigned>(mask));
    }
#else
    while (*p != '"' && *p != '\\' && static_cast<unsigned char>(*p) >= 0x20) ++p;
    return p;
#endif
  }

  // -?(0|[1-9][0-9]*)(\.[0-9]+)? with at most 18 integer digits: RapidJSON accepts all of these
  // and reports them as they are. Anything else (exponents, longer integers) goes to RapidJSON.
  bool number() {
    char* const begin = p_;
    char* q = p_;
    if (*q == '-') ++q;
    const char* const digits = q;
    if (*q == '0') {
      ++q;
    } else if (*q >= '1' && *q <= '9') {
      while (*q >= '0' && *q <= '9') ++q;
      if (q - digits > 18) return giveUp();
    } else {
      return giveUp();
    }
    if (*q == '.') {
      ++q;
      if (!(*q >= '0' && *q <= '9')) return giveUp();
      while (*q >= '0' && *q <= '9') ++q;
    }
    if (*q == 'e' || *q == 'E') return giveUp();
    p_ = q;
    at(begin);
    return handler_.RawNumber(begin, static_cast<rapidjson::SizeType>(q - begin), false) ||
           stopped();
  }

  rapidjson::InsituStringStream& stream_;
  Handler& handler_;
  char* p_;
  InsituReadResult result_ = InsituReadResult::kDone;
};

}  // namespace notebridge::fhir

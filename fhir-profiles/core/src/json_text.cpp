#include "notebridge/fhir/json_text.h"

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace notebridge::fhir {

namespace {

constexpr std::uint64_t kHighBits = 0x8080808080808080ull;
constexpr std::uint64_t kOnes = 0x0101010101010101ull;

std::uint64_t load8(const char* p) {
  std::uint64_t word;
  std::memcpy(&word, p, sizeof word);
  return word;
}

// Non-zero when some byte of `word` is below 0x20, or is '"' or '\\' (the SWAR "has less"
// and "has zero byte" tricks; exact for bytes below 0x80, conservative above: those are checked
// one by one).
std::uint64_t needsEscape(std::uint64_t word) {
  const std::uint64_t quote = word ^ (kOnes * '"');
  const std::uint64_t slash = word ^ (kOnes * '\\');
  const std::uint64_t below = (word - kOnes * 0x20) & ~word;
  const std::uint64_t q = (quote - kOnes) & ~quote;
  const std::uint64_t s = (slash - kOnes) & ~slash;
  return (below | q | s) & kHighBits;
}

// Index of the first byte at or after `i` that JSON must escape, or a position within 16 bytes
// of the end (the caller finishes byte by byte). SSE2 (every x86-64 CPU) looks at 16 bytes per
// step: narratives and attachment data run to kilobytes.
std::size_t skipPlain(const char* p, std::size_t i, std::size_t n) {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i slash = _mm_set1_epi8('\\');
  const __m128i control = _mm_set1_epi8(0x1F);
  for (; i + 16 <= n; i += 16) {
    const __m128i s = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    // s <= 0x1F (unsigned) exactly when max(s, 0x1F) == 0x1F.
    const __m128i x = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(s, quote), _mm_cmpeq_epi8(s, slash)),
                                   _mm_cmpeq_epi8(_mm_max_epu8(s, control), control));
    const int mask = _mm_movemask_epi8(x);
    if (mask != 0) return i + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
  }
#endif
  while (i + 8 <= n && !needsEscape(load8(p + i))) i += 8;
  return i;
}

}  // namespace

std::size_t findInvalidUtf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
#if defined(__SSE2__)
    // ASCII runs 32 bytes at a time (SSE2 is part of every x86-64 CPU).
    if (i + 32 <= n) {
      const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
      const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i + 16));
      if (_mm_movemask_epi8(_mm_or_si128(a, b)) == 0) {
        i += 32;
        continue;
      }
    }
#endif
    if (i + 8 <= n && (load8(text.data() + i) & kHighBits) == 0) {
      i += 8;
      continue;
    }
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t length;
    unsigned char low = 0x80, high = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      length = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      length = 3;
      if (c == 0xE0) low = 0xA0;   // overlong
      if (c == 0xED) high = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      length = 4;
      if (c == 0xF0) low = 0x90;   // overlong
      if (c == 0xF4) high = 0x8F;  // above U+10FFFF
    } else {
      return i;
    }
    if (i + 1 >= n || s[i + 1] < low || s[i + 1] > high) return i;
    for (std::size_t k = 2; k < length; ++k) {
      if (i + k >= n || (s[i + k] & 0xC0) != 0x80) return i;
    }
    i += length;
  }
  return std::string_view::npos;
}

void appendBytes(std::string& out, const char* s, std::size_t n) { out.append(s, n); }

void appendJsonString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  const char* p = text.data();
  const std::size_t n = text.size();
  std::size_t i = skipPlain(p, 0, n);
  while (i < n) {
    const auto c = static_cast<unsigned char>(p[i]);
    if (c < 0x20 || c == '"' || c == '\\') break;
    ++i;
  }
  if (i == n) {
    // Nothing to escape (most strings): quotes and text in one step.
    const std::size_t at = out.size();
    out.resize(at + n + 2);
    char* o = out.data() + at;
    o[0] = '"';
    std::memcpy(o + 1, p, n);
    o[n + 1] = '"';
    return;
  }
  out.reserve(out.size() + text.size() + 8);
  out += '"';
  std::size_t run = 0;  // start of the bytes copied as they are
  while (i < n) {
    if (i + 8 <= n && !needsEscape(load8(p + i))) {
      i = skipPlain(p, i + 8, n);
      continue;
    }
    const auto c = static_cast<unsigned char>(p[i]);
    if (c >= 0x20 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    out.append(p + run, i - run);
    out += '\\';
    switch (c) {
      case '"':
        out += '"';
        break;
      case '\\':
        out += '\\';
        break;
      case '\b':
        out += 'b';
        break;
      case '\t':
        out += 't';
        break;
      case '\n':
        out += 'n';
        break;
      case '\f':
        out += 'f';
        break;
      case '\r':
        out += 'r';
        break;
      default:
        out += "u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
        break;
    }
    ++i;
    run = i;
  }
  out.append(p + run, n - run);
  out += '"';
}

PaddedCopy::PaddedCopy(std::string& buffer, std::string_view text) : buffer_(buffer) {
  buffer_.assign(text);
  buffer_.append(kPadding, '\0');
}

PaddedCopy::~PaddedCopy() {
  constexpr std::size_t kKeptBytes = 1u << 20;
  if (buffer_.capacity() > kKeptBytes) std::string().swap(buffer_);
}

}  // namespace notebridge::fhir

#include "notebridge/fhir/digest.h"

#include <cstring>

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#endif

namespace notebridge::fhir {
namespace {

std::uint32_t rotl(std::uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

// One 64-byte block. The four round groups are separate loops so each has a fixed function and
// constant (no branch per round); the schedule is a 16-word ring.
void sha1Block(std::uint32_t h[5], const std::uint8_t* block) {
  std::uint32_t w[16];
  for (int i = 0; i < 16; ++i) {
    w[i] = (std::uint32_t(block[4 * i]) << 24) | (std::uint32_t(block[4 * i + 1]) << 16) |
           (std::uint32_t(block[4 * i + 2]) << 8) | std::uint32_t(block[4 * i + 3]);
  }
  std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
  auto schedule = [&w](int i) {
    if (i < 16) return w[i];
    const std::uint32_t v =
        rotl(w[(i + 13) & 15] ^ w[(i + 8) & 15] ^ w[(i + 2) & 15] ^ w[i & 15], 1);
    w[i & 15] = v;
    return v;
  };
  auto step = [&](std::uint32_t f, std::uint32_t k, std::uint32_t word) {
    const std::uint32_t t = rotl(a, 5) + f + e + k + word;
    e = d;
    d = c;
    c = rotl(b, 30);
    b = a;
    a = t;
  };
  for (int i = 0; i < 20; ++i) step((b & c) | (~b & d), 0x5A827999, schedule(i));
  for (int i = 20; i < 40; ++i) step(b ^ c ^ d, 0x6ED9EBA1, schedule(i));
  for (int i = 40; i < 60; ++i) step((b & c) | (b & d) | (c & d), 0x8F1BBCDC, schedule(i));
  for (int i = 60; i < 80; ++i) step(b ^ c ^ d, 0xCA62C1D6, schedule(i));
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
  h[4] += e;
}

using BlockFunction = void (*)(std::uint32_t h[5], const std::uint8_t* blocks, std::size_t count);

void sha1BlocksPortable(std::uint32_t h[5], const std::uint8_t* blocks, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) sha1Block(h, blocks + 64 * i);
}

#if defined(__x86_64__) && defined(__GNUC__)
#define NOTEBRIDGE_SHA_NI 1

// Four rounds; the round function and constant are an immediate operand, so one branch per group.
__attribute__((target("sha,sse4.1,ssse3"))) inline __m128i sha1Rounds(__m128i abcd, __m128i ew,
                                                                      int group) {
  switch (group / 5) {
    case 0:
      return _mm_sha1rnds4_epu32(abcd, ew, 0);
    case 1:
      return _mm_sha1rnds4_epu32(abcd, ew, 1);
    case 2:
      return _mm_sha1rnds4_epu32(abcd, ew, 2);
    default:
      return _mm_sha1rnds4_epu32(abcd, ew, 3);
  }
}

// SHA-NI (Intel SHA extensions): each group of four rounds takes the words W[4g..4g+3] (W[4g] in
// the high lane) with E added to the first. M[g % 4] holds the group's words; from group 4 on they
// come from the schedule W[i] = rotl1(W[i-3] ^ W[i-8] ^ W[i-14] ^ W[i-16]) four at a time.
__attribute__((target("sha,sse4.1,ssse3"))) void sha1BlocksNi(std::uint32_t h[5],
                                                              const std::uint8_t* blocks,
                                                              std::size_t count) {
  const __m128i byteSwap = _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  __m128i abcd = _mm_set_epi32(static_cast<int>(h[0]), static_cast<int>(h[1]),
                               static_cast<int>(h[2]), static_cast<int>(h[3]));
  __m128i e0 = _mm_set_epi32(static_cast<int>(h[4]), 0, 0, 0);
  for (std::size_t b = 0; b < count; ++b) {
    const std::uint8_t* block = blocks + 64 * b;
    const __m128i abcdSaved = abcd;
    const __m128i eSaved = e0;
    __m128i m[4];
    __m128i previous = abcd;
    for (int g = 0; g < 20; ++g) {
      __m128i& words = m[g % 4];
      if (g < 4) {
        words = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 16 * g)),
                                 byteSwap);
      } else {
        words = _mm_sha1msg2_epu32(
            _mm_xor_si128(_mm_sha1msg1_epu32(words, m[(g + 1) % 4]), m[(g + 2) % 4]),
            m[(g + 3) % 4]);
      }
      // E of this group: the block's E first, then rotl30 of A from four rounds before.
      const __m128i ew = g == 0 ? _mm_add_epi32(e0, words) : _mm_sha1nexte_epu32(previous, words);
      previous = abcd;
      abcd = sha1Rounds(abcd, ew, g);
    }
    e0 = _mm_sha1nexte_epu32(previous, eSaved);
    abcd = _mm_add_epi32(abcd, abcdSaved);
  }
  h[0] = static_cast<std::uint32_t>(_mm_extract_epi32(abcd, 3));
  h[1] = static_cast<std::uint32_t>(_mm_extract_epi32(abcd, 2));
  h[2] = static_cast<std::uint32_t>(_mm_extract_epi32(abcd, 1));
  h[3] = static_cast<std::uint32_t>(_mm_extract_epi32(abcd, 0));
  h[4] = static_cast<std::uint32_t>(_mm_extract_epi32(e0, 3));
}

bool cpuHasShaNi() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
  const bool ssse3 = (c & (1u << 9)) != 0;
  const bool sse41 = (c & (1u << 19)) != 0;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
  return ssse3 && sse41 && (b & (1u << 29)) != 0;
}
#endif

BlockFunction chooseBlocks() {
#ifdef NOTEBRIDGE_SHA_NI
  if (cpuHasShaNi()) return sha1BlocksNi;
#endif
  return sha1BlocksPortable;
}

std::array<std::uint8_t, 20> sha1With(BlockFunction blocksFn, std::string_view bytes) {
  std::uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
  const std::size_t full = bytes.size() / 64;
  if (full) blocksFn(h, data, full);
  // Padding: 0x80, zeros, then the bit length as a 64-bit big-endian number.
  std::uint8_t tail[128] = {};
  const std::size_t rest = bytes.size() - full * 64;
  if (rest) std::memcpy(tail, data + full * 64, rest);
  tail[rest] = 0x80;
  const std::size_t tailLength = rest < 56 ? 64 : 128;
  const std::uint64_t bits = static_cast<std::uint64_t>(bytes.size()) * 8;
  for (int i = 0; i < 8; ++i) tail[tailLength - 1 - i] = static_cast<std::uint8_t>(bits >> (8 * i));
  blocksFn(h, tail, tailLength / 64);
  std::array<std::uint8_t, 20> out{};
  for (int i = 0; i < 5; ++i) {
    out[4 * i] = static_cast<std::uint8_t>(h[i] >> 24);
    out[4 * i + 1] = static_cast<std::uint8_t>(h[i] >> 16);
    out[4 * i + 2] = static_cast<std::uint8_t>(h[i] >> 8);
    out[4 * i + 3] = static_cast<std::uint8_t>(h[i]);
  }
  return out;
}

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int decodeChar(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

std::array<std::uint8_t, 20> sha1(std::string_view bytes) {
  static const BlockFunction blocks = chooseBlocks();
  return sha1With(blocks, bytes);
}

std::array<std::uint8_t, 20> sha1Portable(std::string_view bytes) {
  return sha1With(sha1BlocksPortable, bytes);
}

std::string base64Encode(std::string_view bytes) {
  std::string out((bytes.size() + 2) / 3 * 4, '=');
  const auto* in = reinterpret_cast<const std::uint8_t*>(bytes.data());
  char* o = out.data();
  std::size_t i = 0;
  // Twelve bits at a time through a table of character pairs: two stores per three bytes.
  static const auto kPairs = [] {
    std::array<std::array<char, 2>, 4096> pairs{};
    for (std::size_t v = 0; v < pairs.size(); ++v) {
      pairs[v] = {kAlphabet[v >> 6], kAlphabet[v & 63]};
    }
    return pairs;
  }();
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t n =
        (std::uint32_t(in[i]) << 16) | (std::uint32_t(in[i + 1]) << 8) | std::uint32_t(in[i + 2]);
    std::memcpy(o, kPairs[n >> 12].data(), 2);
    std::memcpy(o + 2, kPairs[n & 0xFFF].data(), 2);
    o += 4;
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t n = std::uint32_t(in[i]) << 16;
    if (rest == 2) n |= std::uint32_t(in[i + 1]) << 8;
    *o++ = kAlphabet[(n >> 18) & 63];
    *o++ = kAlphabet[(n >> 12) & 63];
    if (rest == 2) *o++ = kAlphabet[(n >> 6) & 63];
  }
  return out;
}

std::optional<std::string> base64Decode(std::string_view text) {
  std::string out;
  out.reserve(text.size() / 4 * 3);
  std::uint32_t buffer = 0;
  int bits = 0;
  int padding = 0;
  std::size_t symbols = 0;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    if (c == '=') {
      ++padding;
      ++symbols;
      continue;
    }
    if (padding) return std::nullopt;  // data after padding
    const int v = decodeChar(c);
    if (v < 0) return std::nullopt;
    ++symbols;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  if (symbols % 4 != 0 || padding > 2) return std::nullopt;
  return out;
}

}  // namespace notebridge::fhir

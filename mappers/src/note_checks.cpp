#include "note_checks.h"

#include <cctype>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace notebridge::mappers {
namespace {

bool isControlByte(unsigned char c) {
  return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F;
}

bool digitsAt(std::string_view s, std::size_t pos, std::size_t count) {
  if (pos + count > s.size()) return false;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

bool isAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

}  // namespace

bool hasControlCharacters(std::string_view text) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ull;
  constexpr std::uint64_t kHigh = 0x8080808080808080ull;
  for (std::size_t i = 0; i < text.size(); ++i) {
#if defined(__SSE2__)
    // Sixteen bytes at a time while they are all printable ASCII (0x20..0x7E, as signed bytes:
    // anything from 0x80 up is negative); section texts run to kilobytes.
    const __m128i below = _mm_set1_epi8(0x20);
    const __m128i del = _mm_set1_epi8(0x7F);
    while (i + 16 <= text.size()) {
      const __m128i s = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i));
      const __m128i printable = _mm_and_si128(
          _mm_cmpgt_epi8(s, _mm_sub_epi8(below, _mm_set1_epi8(1))), _mm_cmplt_epi8(s, del));
      if (_mm_movemask_epi8(printable) != 0xFFFF) break;
      i += 16;
    }
#endif
    // Eight bytes at a time while they are all printable ASCII below DEL (0x20..0x7E); a word
    // holding anything else, line breaks included, is looked at byte by byte.
    while (i + 8 <= text.size()) {
      std::uint64_t w;
      std::memcpy(&w, text.data() + i, sizeof w);
      const std::uint64_t below = (w - kOnes * 0x20) & ~w;
      const std::uint64_t del = w ^ (kOnes * 0x7F);
      if (((below | ((del - kOnes) & ~del) | w) & kHigh) != 0) break;
      i += 8;
    }
    if (i >= text.size()) break;
    const auto c = static_cast<unsigned char>(text[i]);
    if (isControlByte(c)) return true;
    if (c == 0xC2 && i + 1 < text.size()) {
      const auto next = static_cast<unsigned char>(text[i + 1]);
      if (next >= 0x80 && next <= 0x9F) return true;
    }
  }
  return false;
}

std::string stripControlCharacters(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (isControlByte(c)) continue;
    if (c == 0xC2 && i + 1 < text.size()) {
      const auto next = static_cast<unsigned char>(text[i + 1]);
      if (next >= 0x80 && next <= 0x9F) {
        ++i;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

bool isFhirDateTime(std::string_view s, bool needsTime) {
  // YYYY-MM-DD
  if (!digitsAt(s, 0, 4) || s.size() < 10 || s[4] != '-' || !digitsAt(s, 5, 2) || s[7] != '-' ||
      !digitsAt(s, 8, 2)) {
    return false;
  }
  const int month = (s[5] - '0') * 10 + (s[6] - '0');
  const int day = (s[8] - '0') * 10 + (s[9] - '0');
  if (month < 1 || month > 12 || day < 1 || day > 31) return false;
  if (!needsTime) return s.size() == 10;
  // Thh:mm:ss
  if (s.size() < 20 || s[10] != 'T' || !digitsAt(s, 11, 2) || s[13] != ':' || !digitsAt(s, 14, 2) ||
      s[16] != ':' || !digitsAt(s, 17, 2)) {
    return false;
  }
  const int hour = (s[11] - '0') * 10 + (s[12] - '0');
  const int minute = (s[14] - '0') * 10 + (s[15] - '0');
  const int second = (s[17] - '0') * 10 + (s[18] - '0');
  if (hour > 23 || minute > 59 || second > 60) return false;
  std::size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    const std::size_t start = pos;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) ++pos;
    if (pos == start) return false;
  }
  if (pos < s.size() && s[pos] == 'Z') return pos + 1 == s.size();
  if (pos + 6 != s.size() || (s[pos] != '+' && s[pos] != '-') || !digitsAt(s, pos + 1, 2) ||
      s[pos + 3] != ':' || !digitsAt(s, pos + 4, 2)) {
    return false;
  }
  return true;
}

std::optional<long long> epochSeconds(std::string_view s) {
  if (!isFhirDateTime(s, true)) return std::nullopt;
  auto number = [&](std::size_t pos, std::size_t count) {
    long long n = 0;
    for (std::size_t i = pos; i < pos + count; ++i) n = n * 10 + (s[i] - '0');
    return n;
  };
  // Days from the civil date (proleptic Gregorian), after H. Hinnant's well-known formula.
  long long y = number(0, 4);
  const long long m = number(5, 2);
  const long long d = number(8, 2);
  y -= m <= 2;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const long long yoe = y - era * 400;
  const long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const long long days = era * 146097 + doe - 719468;
  long long seconds = days * 86400 + number(11, 2) * 3600 + number(14, 2) * 60 + number(17, 2);
  const std::size_t zone = s.find_first_of("Z+-", 19);
  if (s[zone] != 'Z') {
    const long long offset = number(zone + 1, 2) * 3600 + number(zone + 4, 2) * 60;
    seconds -= s[zone] == '+' ? offset : -offset;
  }
  return seconds;
}

bool isNpi(std::string_view s) {
  if (!isDigits(s, 10)) return false;
  // Luhn over "80840" + the 10 digits (the check digit is the last one).
  const std::string full = "80840" + std::string(s);
  int sum = 0;
  bool twice = false;
  for (auto it = full.rbegin(); it != full.rend(); ++it) {
    int d = *it - '0';
    if (twice) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

bool isDigits(std::string_view s, std::size_t count) {
  if (s.empty() || (count > 0 && s.size() != count)) return false;
  return digitsAt(s, 0, s.size());
}

bool isCpt(std::string_view s) {
  if (s.size() != 5 || !digitsAt(s, 0, 4)) return false;
  return std::isdigit(static_cast<unsigned char>(s[4])) || s[4] == 'F' || s[4] == 'T';
}

bool isIcd10Cm(std::string_view s) {
  if (s.size() < 3 || !std::isupper(static_cast<unsigned char>(s[0])) ||
      !std::isdigit(static_cast<unsigned char>(s[1])) || !isAlnum(s[2])) {
    return false;
  }
  if (s.size() == 3) return true;
  if (s[3] != '.' || s.size() < 5 || s.size() > 8) return false;
  for (std::size_t i = 4; i < s.size(); ++i) {
    if (!isAlnum(s[i])) return false;
  }
  return true;
}

}  // namespace notebridge::mappers

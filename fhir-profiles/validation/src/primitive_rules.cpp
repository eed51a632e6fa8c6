#include "notebridge/validation/primitive_rules.h"

#include <array>
#include <cstdint>

#include "literal.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace notebridge::validation {
namespace {

using detail::is;

constexpr std::size_t kMaxStringBytes = 1024 * 1024;

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool isLowerHex(char c) { return isDigit(c) || (c >= 'a' && c <= 'f'); }

// A cursor over the text; each reader consumes on success and reports whether it matched.
struct Cursor {
  std::string_view text;
  std::size_t pos = 0;

  bool atEnd() const { return pos == text.size(); }
  char peek() const { return atEnd() ? '\0' : text[pos]; }
  bool take(char c) {
    if (peek() != c) return false;
    ++pos;
    return true;
  }
  // Exactly `count` digits, returned as a number.
  bool digits(int count, int& out) {
    out = 0;
    for (int i = 0; i < count; ++i) {
      if (!isDigit(peek())) return false;
      out = out * 10 + (text[pos++] - '0');
    }
    return true;
  }
  bool someDigits() {
    const std::size_t start = pos;
    while (isDigit(peek())) ++pos;
    return pos > start;
  }
};

bool isLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int daysInMonth(int year, int month) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && isLeapYear(year)) return 29;
  return kDays[static_cast<std::size_t>(month - 1)];
}

// hh:mm:ss(.fraction)? with the R4 ranges (a leap second 60 is allowed by the regex).
bool readTime(Cursor& c) {
  int hour = 0, minute = 0, second = 0;
  if (!c.digits(2, hour) || hour > 23 || !c.take(':') || !c.digits(2, minute) || minute > 59 ||
      !c.take(':') || !c.digits(2, second) || second > 60) {
    return false;
  }
  if (c.take('.') && !c.someDigits()) return false;
  return true;
}

// Z or +hh:mm / -hh:mm up to 14:00.
bool readZone(Cursor& c) {
  if (c.take('Z')) return true;
  if (!c.take('+') && !c.take('-')) return false;
  int hour = 0, minute = 0;
  if (!c.digits(2, hour) || !c.take(':') || !c.digits(2, minute) || minute > 59) return false;
  return hour < 14 || (hour == 14 && minute == 0);
}

enum class DatePrecision { kYear, kMonth, kDay };

// YYYY(-MM(-DD)?)? with year 0001..9999; returns the precision reached.
bool readDate(Cursor& c, DatePrecision& precision) {
  int year = 0, month = 0, day = 0;
  if (!c.digits(4, year) || year == 0) return false;
  precision = DatePrecision::kYear;
  if (!c.take('-')) return true;
  if (!c.digits(2, month) || month < 1 || month > 12) return false;
  precision = DatePrecision::kMonth;
  if (!c.take('-')) return true;
  if (!c.digits(2, day) || day < 1 || day > daysInMonth(year, month)) return false;
  precision = DatePrecision::kDay;
  return true;
}

bool matchDate(std::string_view text) {
  Cursor c{text};
  DatePrecision precision;
  return readDate(c, precision) && c.atEnd();
}

bool matchDateTime(std::string_view text, bool instant) {
  Cursor c{text};
  DatePrecision precision;
  if (!readDate(c, precision)) return false;
  if (c.atEnd()) return !instant;
  if (precision != DatePrecision::kDay || !c.take('T')) return false;
  // R4: "If hours and minutes are specified, a time zone SHALL be populated".
  return readTime(c) && readZone(c) && c.atEnd();
}

bool matchTime(std::string_view text) {
  Cursor c{text};
  return readTime(c) && c.atEnd();
}

bool matchDecimal(std::string_view text) {
  Cursor c{text};
  c.take('-');
  if (c.take('0')) {
    if (isDigit(c.peek())) return false;
  } else if (!c.someDigits()) {
    return false;
  }
  if (c.take('.') && !c.someDigits()) return false;
  if (c.take('e') || c.take('E')) {
    if (!c.take('+')) c.take('-');
    if (!c.someDigits()) return false;
  }
  return c.atEnd();
}

// The integer types: a sign rule, no leading zeros, and a range.
std::optional<std::string> checkInteger(std::string_view type, std::string_view text,
                                        std::int64_t low, bool allowMinus, bool allowPlus) {
  Cursor c{text};
  bool negative = false;
  if (allowMinus && c.take('-')) {
    negative = true;
  } else if (allowPlus) {
    c.take('+');
  }
  const std::size_t start = c.pos;
  if (!c.someDigits() || !c.atEnd() || (text[start] == '0' && c.pos - start > 1)) {
    return "'" + std::string(text) + "' is not a valid " + std::string(type);
  }
  if (c.pos - start > 10)
    return "'" + std::string(text) + "' is out of range for " + std::string(type);
  std::int64_t value = 0;
  for (std::size_t i = start; i < c.pos; ++i) value = value * 10 + (text[i] - '0');
  if (negative) value = -value;
  if (value < low || value > 2147483647LL || (negative && value == 0 && low == 0)) {
    return "'" + std::string(text) + "' is out of range for " + std::string(type);
  }
  return std::nullopt;
}

bool matchId(std::string_view text) {
  if (text.empty() || text.size() > 64) return false;
  for (char ch : text) {
    const bool ok = isDigit(ch) || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    ch == '-' || ch == '.';
    if (!ok) return false;
  }
  return true;
}

bool matchOid(std::string_view text) {
  constexpr std::string_view kPrefix = "urn:oid:";
  if (text.substr(0, kPrefix.size()) != kPrefix) return false;
  Cursor c{text, kPrefix.size()};
  const char first = c.peek();
  if (first < '0' || first > '2') return false;
  ++c.pos;
  int arcs = 0;
  while (c.take('.')) {
    const std::size_t start = c.pos;
    if (!c.someDigits()) return false;
    if (text[start] == '0' && c.pos - start > 1) return false;
    ++arcs;
  }
  return arcs > 0 && c.atEnd();
}

bool matchUuid(std::string_view text) {
  constexpr std::string_view kPrefix = "urn:uuid:";
  if (text.size() != kPrefix.size() + 36 || text.substr(0, kPrefix.size()) != kPrefix) {
    return false;
  }
  const std::string_view body = text.substr(kPrefix.size());
  for (std::size_t i = 0; i < body.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? body[i] != '-' : !isLowerHex(body[i])) return false;
  }
  return true;
}

#if defined(__SSE2__)
// Per byte of a 16-byte block: 0xFF where it is a space, tab, CR or LF.
__m128i whitespaceMask(__m128i v) {
  const __m128i spaceOrTab =
      _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\t')));
  const __m128i crOrLf =
      _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\r')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\n')));
  return _mm_or_si128(spaceOrTab, crOrLf);
}
#endif

bool hasNoWhitespace(std::string_view text) {
  std::size_t i = 0;
#if defined(__SSE2__)
  for (; i + 16 <= text.size(); i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i));
    if (_mm_movemask_epi8(whitespaceMask(v)) != 0) return false;
  }
#endif
  for (char ch : text.substr(i)) {
    if (isSpace(ch)) return false;
  }
  return true;
}

// code: [^\s]+(\s[^\s]+)* -- no leading, trailing or doubled whitespace.
bool matchCode(std::string_view text) {
  if (text.empty() || isSpace(text.front()) || isSpace(text.back())) return false;
  for (std::size_t i = 1; i < text.size(); ++i) {
    if (isSpace(text[i]) && isSpace(text[i - 1])) return false;
  }
  return true;
}

// base64Binary: groups of four characters of the base64 alphabet, whitespace allowed between.
// Attachments carry whole notes as base64, so the common case is one branch-free pass.
bool matchBase64(std::string_view text) {
  static const auto kClass = [] {
    // 0 alphabet, 1 whitespace, 2 '=', 3 anything else
    std::array<unsigned char, 256> table{};
    table.fill(3);
    for (int c = 'A'; c <= 'Z'; ++c) table[static_cast<std::size_t>(c)] = 0;
    for (int c = 'a'; c <= 'z'; ++c) table[static_cast<std::size_t>(c)] = 0;
    for (int c = '0'; c <= '9'; ++c) table[static_cast<std::size_t>(c)] = 0;
    table['+'] = table['/'] = 0;
    table[' '] = table['\t'] = table['\r'] = table['\n'] = 1;
    table['='] = 2;
    return table;
  }();
  unsigned char seen = 0;
  std::size_t significant = 0;
  std::size_t i = 0;
#if defined(__SSE2__)
  // Sixteen characters at a time while all are of the alphabet (class 0): a block with anything
  // else is left to the table loop below, which then sees every remaining character.
  const __m128i upperA = _mm_set1_epi8('A' - 1), upperZ = _mm_set1_epi8('Z' + 1);
  const __m128i lowerA = _mm_set1_epi8('a' - 1), lowerZ = _mm_set1_epi8('z' + 1);
  const __m128i digit0 = _mm_set1_epi8('0' - 1), digit9 = _mm_set1_epi8('9' + 1);
  const __m128i plus = _mm_set1_epi8('+'), slash = _mm_set1_epi8('/');
  for (; i + 16 <= text.size(); i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i));
    const __m128i upper = _mm_and_si128(_mm_cmpgt_epi8(v, upperA), _mm_cmplt_epi8(v, upperZ));
    const __m128i lower = _mm_and_si128(_mm_cmpgt_epi8(v, lowerA), _mm_cmplt_epi8(v, lowerZ));
    const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, digit0), _mm_cmplt_epi8(v, digit9));
    const __m128i sign = _mm_or_si128(_mm_cmpeq_epi8(v, plus), _mm_cmpeq_epi8(v, slash));
    const __m128i ok = _mm_or_si128(_mm_or_si128(upper, lower), _mm_or_si128(digit, sign));
    if (_mm_movemask_epi8(ok) != 0xFFFF) break;
    seen |= 1u;
    significant += 16;
  }
#endif
  for (char ch : text.substr(i)) {
    const unsigned char c = kClass[static_cast<unsigned char>(ch)];
    seen |= static_cast<unsigned char>(1u << c);
    significant += c != 1;
  }
  if (seen & 8u) return false;
  if (significant == 0 || significant % 4 != 0) return false;
  if (!(seen & 4u)) return true;
  // Padding: at most two '=' and only at the end (whitespace aside).
  const std::size_t first = text.find('=');
  std::size_t padding = 0;
  for (std::size_t i = first; i < text.size(); ++i) {
    const unsigned char c = kClass[static_cast<unsigned char>(text[i])];
    if (c == 0) return false;
    padding += c == 2;
  }
  return padding <= 2;
}

// string and markdown: R4 forbids characters below U+0020 except tab, CR and LF.
std::optional<std::string> checkString(std::string_view type, std::string_view text) {
  if (text.size() > kMaxStringBytes) return std::string(type) + " exceeds 1 MiB";
  bool allSpace = true;
  std::size_t i = 0;
#if defined(__SSE2__)
  // Sixteen bytes at a time up to the first block with a forbidden control character, which the
  // byte loop below then finds and names.
  const __m128i kControlMax = _mm_set1_epi8(0x1F);
  for (; i + 16 <= text.size(); i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i));
    const __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(v, kControlMax), v);  // v <= 0x1F
    const __m128i space = whitespaceMask(v);
    if (_mm_movemask_epi8(_mm_andnot_si128(space, control)) != 0) break;
    allSpace = allSpace && _mm_movemask_epi8(space) == 0xFFFF;
  }
#endif
  for (char ch : text.substr(i)) {
    const auto byte = static_cast<unsigned char>(ch);
    if (byte < 0x20 && ch != '\t' && ch != '\r' && ch != '\n') {
      return std::string(type) + " contains a control character (U+" +
             std::to_string(static_cast<int>(byte)) + ")";
    }
    allSpace = allSpace && isSpace(ch);
  }
  if (allSpace) return std::string(type) + " must contain a non-whitespace character";
  return std::nullopt;
}

std::string invalid(std::string_view type, std::string_view text) {
  constexpr std::size_t kShown = 60;
  std::string shown(text.substr(0, kShown));
  if (text.size() > kShown) shown += "...";
  return "'" + shown + "' is not a valid " + std::string(type);
}

}  // namespace

bool isPrimitiveType(std::string_view type) {
  // By length first: this runs for every primitive element validated.
  switch (type.size()) {
    case 2:
      return is(type, "id");
    case 3:
      return is(type, "uri") || is(type, "url") || is(type, "oid");
    case 4:
      return is(type, "date") || is(type, "time") || is(type, "code") || is(type, "uuid");
    case 5:
      return is(type, "xhtml");
    case 6:
      return is(type, "string");
    case 7:
      return is(type, "boolean") || is(type, "integer") || is(type, "decimal") ||
             is(type, "instant");
    case 8:
      return is(type, "dateTime") || is(type, "markdown");
    case 9:
      return is(type, "canonical");
    case 11:
      return is(type, "unsignedInt") || is(type, "positiveInt");
    case 12:
      return is(type, "base64Binary");
    default:
      return false;
  }
}

std::optional<std::string> checkPrimitive(std::string_view type, std::string_view value) {
  if (value.empty() && type != "xhtml") return std::string(type) + " value must not be empty";
  bool ok = true;
  if (is(type, "string") || is(type, "markdown")) return checkString(type, value);
  if (is(type, "boolean")) {
    ok = is(value, "true") || is(value, "false");
  } else if (is(type, "integer")) {
    return checkInteger(type, value, -2147483648LL, true, false);
  } else if (is(type, "positiveInt")) {
    return checkInteger(type, value, 1, false, true);
  } else if (is(type, "unsignedInt")) {
    return checkInteger(type, value, 0, false, false);
  } else if (is(type, "decimal")) {
    ok = matchDecimal(value);
  } else if (is(type, "date")) {
    ok = matchDate(value);
  } else if (is(type, "dateTime")) {
    ok = matchDateTime(value, false);
  } else if (is(type, "instant")) {
    ok = matchDateTime(value, true);
  } else if (is(type, "time")) {
    ok = matchTime(value);
  } else if (is(type, "id")) {
    ok = matchId(value);
  } else if (is(type, "oid")) {
    ok = matchOid(value);
  } else if (is(type, "uuid")) {
    ok = matchUuid(value);
  } else if (is(type, "uri") || is(type, "url") || is(type, "canonical")) {
    ok = hasNoWhitespace(value);
  } else if (is(type, "code")) {
    ok = matchCode(value);
  } else if (is(type, "base64Binary")) {
    ok = matchBase64(value);
  }
  if (!ok) return invalid(type, value);
  return std::nullopt;
}

}  // namespace notebridge::validation

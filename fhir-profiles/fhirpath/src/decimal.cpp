#include "notebridge/fhirpath/decimal.h"

#include <cmath>
#include <cstdio>

namespace notebridge::fhirpath {

namespace {

using Int128 = __int128;

constexpr int kMaxDigits = 38;

Int128 pow10(int n) {
  Int128 out = 1;
  for (int i = 0; i < n; ++i) out *= 10;
  return out;
}

bool mulOverflow(Int128 a, Int128 b, Int128& out) { return __builtin_mul_overflow(a, b, &out); }

// Brings `value` (at scale `from`) to scale `to` >= from; false on overflow.
bool rescaleUp(Int128 value, int from, int to, Int128& out) {
  if (to - from > kMaxDigits) return false;
  return !mulOverflow(value, pow10(to - from), out);
}

// Divides by 10^n rounding half away from zero.
Int128 divRound(Int128 value, int n) {
  if (n <= 0) return value;
  if (n > kMaxDigits) return 0;
  Int128 p = pow10(n);
  Int128 q = value / p;
  Int128 r = value % p;
  if (r < 0) r = -r;
  if (r * 2 >= p) q += value < 0 ? -1 : 1;
  return q;
}

}  // namespace

std::optional<Decimal> Decimal::parse(std::string_view text) {
  std::size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
  Int128 value = 0;
  int scale = 0;
  int digits = 0;
  bool seenDigit = false;
  bool seenPoint = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c >= '0' && c <= '9') {
      seenDigit = true;
      if (value != 0 || c != '0') ++digits;
      if (digits > kMaxDigits) return std::nullopt;
      value = value * 10 + (c - '0');
      if (seenPoint) ++scale;
    } else if (c == '.' && !seenPoint && seenDigit) {
      seenPoint = true;
      if (i + 1 >= text.size() || text[i + 1] < '0' || text[i + 1] > '9') return std::nullopt;
    } else {
      break;
    }
  }
  if (!seenDigit) return std::nullopt;
  if (i < text.size()) {
    if (text[i] != 'e' && text[i] != 'E') return std::nullopt;
    ++i;
    bool expNegative = false;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) expNegative = text[i++] == '-';
    if (i >= text.size()) return std::nullopt;
    int exponent = 0;
    for (; i < text.size(); ++i) {
      if (text[i] < '0' || text[i] > '9') return std::nullopt;
      exponent = exponent * 10 + (text[i] - '0');
      if (exponent > 100) return std::nullopt;
    }
    if (expNegative) {
      scale += exponent;
      if (scale > kMaxDigits) return std::nullopt;
    } else if (exponent <= scale) {
      scale -= exponent;
    } else {
      Int128 scaled;
      if (!rescaleUp(value, 0, exponent - scale, scaled)) return std::nullopt;
      value = scaled;
      scale = 0;
    }
  }
  return Decimal(negative ? -value : value, scale);
}

std::optional<Decimal> Decimal::fromDouble(double value) {
  if (!std::isfinite(value)) return std::nullopt;
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.15g", value);
  auto parsed = parse(buffer);
  if (!parsed) return std::nullopt;
  return parsed->normalized();
}

std::string Decimal::toString() const {
  Int128 v = unscaled_ < 0 ? -unscaled_ : unscaled_;
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  } while (v != 0);
  while (static_cast<int>(digits.size()) <= scale_) digits.insert(digits.begin(), '0');
  if (scale_ > 0) digits.insert(digits.end() - scale_, '.');
  if (unscaled_ < 0) digits.insert(digits.begin(), '-');
  return digits;
}

double Decimal::toDouble() const {
  return std::stod(toString());
}

bool Decimal::toInteger(std::int64_t& out) const {
  Int128 p = pow10(scale_);
  if (unscaled_ % p != 0) return false;
  Int128 whole = unscaled_ / p;
  if (whole > INT64_MAX || whole < INT64_MIN) return false;
  out = static_cast<std::int64_t>(whole);
  return true;
}

std::optional<Decimal> Decimal::add(const Decimal& other) const {
  int scale = std::max(scale_, other.scale_);
  Int128 a, b, sum;
  if (!rescaleUp(unscaled_, scale_, scale, a) || !rescaleUp(other.unscaled_, other.scale_, scale, b))
    return std::nullopt;
  if (__builtin_add_overflow(a, b, &sum)) return std::nullopt;
  return Decimal(sum, scale);
}

std::optional<Decimal> Decimal::subtract(const Decimal& other) const { return add(other.negate()); }

std::optional<Decimal> Decimal::multiply(const Decimal& other) const {
  Decimal a = scale_ > 0 ? normalized() : *this;
  Decimal b = other.scale_ > 0 ? other.normalized() : other;
  Int128 product;
  if (mulOverflow(a.unscaled_, b.unscaled_, product)) return std::nullopt;
  Decimal result(product, a.scale_ + b.scale_);
  // Keep the scale the operands were written with when the product has no more digits.
  int wanted = std::max(scale_, other.scale_);
  if (result.scale_ < wanted) {
    if (auto scaled = result.withScale(wanted)) result = *scaled;
  }
  if (result.scale_ > kMaxScale) result = result.round(kMaxScale);
  return result;
}

std::optional<Decimal> Decimal::divide(const Decimal& other) const {
  if (other.unscaled_ == 0) return std::nullopt;
  constexpr int kDigits = 16;
  // (a / 10^sa) / (b / 10^sb) = a * 10^(sb - sa) / b; computed at kDigits+1 then rounded.
  int shift = kDigits + 1 + other.scale_ - scale_;
  Int128 numerator = unscaled_;
  Int128 denominator = other.unscaled_;
  if (shift >= 0) {
    if (!rescaleUp(numerator, 0, shift, numerator)) return std::nullopt;
  } else if (!rescaleUp(denominator, 0, -shift, denominator)) {
    return std::nullopt;
  }
  Int128 q = numerator / denominator;
  Decimal result(divRound(q, 1), kDigits);
  return result.normalized();
}

std::optional<Decimal> Decimal::integerDivide(const Decimal& other) const {
  if (other.unscaled_ == 0) return std::nullopt;
  int scale = std::max(scale_, other.scale_);
  Int128 a, b;
  if (!rescaleUp(unscaled_, scale_, scale, a) || !rescaleUp(other.unscaled_, other.scale_, scale, b))
    return std::nullopt;
  return Decimal(a / b, 0);
}

std::optional<Decimal> Decimal::modulo(const Decimal& other) const {
  if (other.unscaled_ == 0) return std::nullopt;
  int scale = std::max(scale_, other.scale_);
  Int128 a, b;
  if (!rescaleUp(unscaled_, scale_, scale, a) || !rescaleUp(other.unscaled_, other.scale_, scale, b))
    return std::nullopt;
  return Decimal(a % b, scale);
}

Decimal Decimal::round(int digits) const {
  if (digits < 0) digits = 0;
  if (digits >= scale_) return *this;
  return Decimal(divRound(unscaled_, scale_ - digits), digits);
}

Decimal Decimal::truncate() const {
  if (scale_ == 0) return *this;
  return Decimal(unscaled_ / pow10(scale_), 0);
}

Decimal Decimal::floor() const {
  Decimal t = truncate();
  if (unscaled_ < 0 && t.compare(*this) != 0) return Decimal(t.unscaled_ - 1, 0);
  return t;
}

Decimal Decimal::ceiling() const {
  Decimal t = truncate();
  if (unscaled_ > 0 && t.compare(*this) != 0) return Decimal(t.unscaled_ + 1, 0);
  return t;
}

Decimal Decimal::normalized() const {
  Decimal out = *this;
  while (out.scale_ > 0 && out.unscaled_ % 10 == 0) {
    out.unscaled_ /= 10;
    --out.scale_;
  }
  return out;
}

std::optional<Decimal> Decimal::withScale(int digits) const {
  if (digits < 0) digits = 0;
  if (digits <= scale_) return round(digits);
  Int128 scaled;
  if (!rescaleUp(unscaled_, scale_, digits, scaled)) return std::nullopt;
  return Decimal(scaled, digits);
}

int Decimal::compare(const Decimal& other) const {
  int scale = std::max(scale_, other.scale_);
  Int128 a, b;
  bool okA = rescaleUp(unscaled_, scale_, scale, a);
  bool okB = rescaleUp(other.unscaled_, other.scale_, scale, b);
  if (!okA || !okB) {
    double x = toDouble(), y = other.toDouble();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  return a < b ? -1 : (a > b ? 1 : 0);
}

}  // namespace notebridge::fhirpath

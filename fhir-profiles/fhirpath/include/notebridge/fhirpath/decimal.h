#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace notebridge::fhirpath {

// An exact decimal number: an integer scaled by a power of ten ("1.50" is 150 with scale 2). Keeps
// the number of fractional digits it was written with, as FHIR requires
// (https://hl7.org/fhir/R4/datatypes.html#decimal). Up to 38 significant digits; an operation
// whose exact result does not fit returns nullopt. A value type, safe to share between threads.
class Decimal {
 public:
  static constexpr int kMaxScale = 28;

  Decimal() = default;
  static Decimal fromInteger(std::int64_t value) { return Decimal(value, 0); }
  // Parses "-12.340", "1e3", "+5"; nullopt for anything else or when it does not fit.
  static std::optional<Decimal> parse(std::string_view text);
  // The nearest decimal with at most 15 significant digits; nullopt for NaN or infinity.
  static std::optional<Decimal> fromDouble(double value);

  // The canonical text, keeping the scale ("1.50", "-0.5", "3").
  std::string toString() const;
  double toDouble() const;
  int scale() const { return scale_; }
  bool isZero() const { return unscaled_ == 0; }
  bool isNegative() const { return unscaled_ < 0; }
  // True when the value has no fractional part; sets `out` when it also fits an int64.
  bool toInteger(std::int64_t& out) const;

  std::optional<Decimal> add(const Decimal& other) const;
  std::optional<Decimal> subtract(const Decimal& other) const;
  std::optional<Decimal> multiply(const Decimal& other) const;
  // Division rounded to 16 fractional digits, trailing zeros dropped; nullopt when other is 0.
  std::optional<Decimal> divide(const Decimal& other) const;
  // Truncated division and the matching remainder (FHIRPath `div` and `mod`).
  std::optional<Decimal> integerDivide(const Decimal& other) const;
  std::optional<Decimal> modulo(const Decimal& other) const;
  Decimal negate() const { return Decimal(-unscaled_, scale_); }
  Decimal abs() const { return unscaled_ < 0 ? negate() : *this; }

  // Rounds half away from zero to `digits` fractional digits.
  Decimal round(int digits) const;
  Decimal truncate() const;
  Decimal floor() const;
  Decimal ceiling() const;
  // The same value with trailing fractional zeros removed.
  Decimal normalized() const;
  // The same value with exactly `digits` fractional digits (rounding when fewer).
  std::optional<Decimal> withScale(int digits) const;

  // Numeric comparison: -1, 0 or 1 ("1.0" compares equal to "1.00").
  int compare(const Decimal& other) const;
  bool operator==(const Decimal& other) const { return compare(other) == 0; }

 private:
  Decimal(__int128 unscaled, int scale) : unscaled_(unscaled), scale_(scale) {}

  __int128 unscaled_ = 0;
  int scale_ = 0;
};

}  // namespace notebridge::fhirpath

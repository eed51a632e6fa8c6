#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "notebridge/fhirpath/decimal.h"

namespace notebridge::fhirpath {

// A FHIRPath Quantity: a decimal value and a unit, either a UCUM code ("mg", "cm", "1") or a
// calendar duration keyword ("year", "day"; stored singular). Conversion covers the common UCUM
// units of mass, length, time, volume, amount and their simple ratios ("mg/dL"), per
// https://hl7.org/fhirpath/N1/#quantity-equality. A value type, safe to share between threads.
class Quantity {
 public:
  Quantity() = default;
  Quantity(Decimal value, std::string unit);

  const Decimal& value() const { return value_; }
  const std::string& unit() const { return unit_; }
  bool isCalendarDuration() const;

  // FHIRPath literal text: "4.5 'mg'" or "3 days" (a calendar keyword plural when not 1).
  std::string toString() const;

  // This quantity in `unit`, when both units are known and of one dimension.
  std::optional<Quantity> convertTo(std::string_view unit) const;
  // Order of two quantities of comparable units; nullopt when not comparable.
  std::optional<int> compare(const Quantity& other) const;
  // Equality (=): calendar years and months never equal UCUM 'a'/'mo'.
  std::optional<bool> equals(const Quantity& other) const;
  // True when both units are known and of one dimension (comparable()).
  bool comparable(const Quantity& other) const;
  // Equivalence (~): calendar durations count as their UCUM counterparts.
  bool equivalent(const Quantity& other) const;

  std::optional<Quantity> add(const Quantity& other) const;
  std::optional<Quantity> subtract(const Quantity& other) const;
  std::optional<Quantity> multiply(const Quantity& other) const;
  std::optional<Quantity> divide(const Quantity& other) const;

  // The calendar keyword for a UCUM or calendar unit usable in date arithmetic ("d" -> "day"),
  // nullopt for 'a', 'mo' and anything else (https://hl7.org/fhirpath/N1/#date-time-arithmetic).
  static std::optional<std::string> dateArithmeticUnit(std::string_view unit);
  // Singular calendar keyword for "years"/"year" and so on; nullopt when not a keyword.
  static std::optional<std::string> calendarKeyword(std::string_view word);

 private:
  Decimal value_;
  std::string unit_;
};

}  // namespace notebridge::fhirpath

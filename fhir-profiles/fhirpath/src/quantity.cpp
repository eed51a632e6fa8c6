#include "notebridge/fhirpath/quantity.h"

#include <array>

namespace notebridge::fhirpath {

namespace {

struct UnitDef {
  std::string_view code;
  std::string_view base;
  std::string_view factor;  // decimal text: one unit in base units
};

constexpr std::array kUnits = {
    UnitDef{"1", "1", "1"},
    UnitDef{"%", "1", "0.01"},
    UnitDef{"g", "g", "1"},
    UnitDef{"kg", "g", "1000"},
    UnitDef{"mg", "g", "0.001"},
    UnitDef{"ug", "g", "0.000001"},
    UnitDef{"ng", "g", "0.000000001"},
    UnitDef{"[lb_av]", "g", "453.59237"},
    UnitDef{"[oz_av]", "g", "28.349523125"},
    UnitDef{"m", "m", "1"},
    UnitDef{"km", "m", "1000"},
    UnitDef{"cm", "m", "0.01"},
    UnitDef{"mm", "m", "0.001"},
    UnitDef{"um", "m", "0.000001"},
    UnitDef{"nm", "m", "0.000000001"},
    UnitDef{"[in_i]", "m", "0.0254"},
    UnitDef{"[ft_i]", "m", "0.3048"},
    UnitDef{"[yd_i]", "m", "0.9144"},
    UnitDef{"[mi_i]", "m", "1609.344"},
    UnitDef{"s", "s", "1"},
    UnitDef{"ms", "s", "0.001"},
    UnitDef{"us", "s", "0.000001"},
    UnitDef{"ns", "s", "0.000000001"},
    UnitDef{"min", "s", "60"},
    UnitDef{"h", "s", "3600"},
    UnitDef{"d", "s", "86400"},
    UnitDef{"wk", "s", "604800"},
    UnitDef{"mo", "s", "2629800"},
    UnitDef{"a", "s", "31557600"},
    UnitDef{"L", "L", "1"},
    UnitDef{"l", "L", "1"},
    UnitDef{"dL", "L", "0.1"},
    UnitDef{"cL", "L", "0.01"},
    UnitDef{"mL", "L", "0.001"},
    UnitDef{"uL", "L", "0.000001"},
    UnitDef{"m3", "L", "1000"},
    UnitDef{"cm3", "L", "0.001"},
    UnitDef{"mol", "mol", "1"},
    UnitDef{"mmol", "mol", "0.001"},
    UnitDef{"umol", "mol", "0.000001"},
    UnitDef{"nmol", "mol", "0.000000001"},
    UnitDef{"m2", "m2", "1"},
    UnitDef{"cm2", "m2", "0.0001"},
    UnitDef{"Pa", "Pa", "1"},
    UnitDef{"kPa", "Pa", "1000"},
    UnitDef{"mm[Hg]", "Pa", "133.322"},
    UnitDef{"/min", "/s", "0.0166666666666666667"},
    UnitDef{"/s", "/s", "1"},
    UnitDef{"/h", "/s", "0.000277777777777777778"},
    UnitDef{"Cel", "Cel", "1"},
    UnitDef{"[degF]", "[degF]", "1"},
    UnitDef{"K", "K", "1"},
};

// Calendar keywords and the UCUM unit each equals (https://hl7.org/fhirpath/N1/#time-valued-quantities).
struct CalendarDef {
  std::string_view keyword;
  std::string_view ucum;
};
constexpr std::array kCalendar = {
    CalendarDef{"year", "a"},   CalendarDef{"month", "mo"},  CalendarDef{"week", "wk"},
    CalendarDef{"day", "d"},    CalendarDef{"hour", "h"},    CalendarDef{"minute", "min"},
    CalendarDef{"second", "s"}, CalendarDef{"millisecond", "ms"},
};

struct Resolved {
  std::string base;
  Decimal factor;
};

const UnitDef* findUnit(std::string_view code) {
  for (const auto& u : kUnits) {
    if (u.code == code) return &u;
  }
  return nullptr;
}

std::string_view toUcum(std::string_view unit) {
  for (const auto& c : kCalendar) {
    if (c.keyword == unit) return c.ucum;
  }
  return unit;
}

std::optional<Resolved> resolve(std::string_view unit) {
  unit = toUcum(unit);
  if (const UnitDef* u = findUnit(unit)) return Resolved{std::string(u->base), *Decimal::parse(u->factor)};
  auto slash = unit.find('/');
  if (slash == std::string_view::npos || slash == 0) return std::nullopt;
  const UnitDef* num = findUnit(unit.substr(0, slash));
  const UnitDef* den = findUnit(unit.substr(slash + 1));
  if (!num || !den) return std::nullopt;
  auto factor = Decimal::parse(num->factor)->divide(*Decimal::parse(den->factor));
  if (!factor) return std::nullopt;
  return Resolved{std::string(num->base) + "/" + std::string(den->base), *factor};
}

bool isCalendarKeyword(std::string_view unit) {
  for (const auto& c : kCalendar) {
    if (c.keyword == unit) return true;
  }
  return false;
}

}  // namespace

Quantity::Quantity(Decimal value, std::string unit) : value_(value), unit_(std::move(unit)) {
  if (unit_.empty()) unit_ = "1";
}

bool Quantity::isCalendarDuration() const { return isCalendarKeyword(unit_); }

std::string Quantity::toString() const {
  std::string out = value_.toString();
  if (isCalendarDuration()) {
    out += ' ';
    out += unit_;
    Decimal one = Decimal::fromInteger(1);
    if (!(value_ == one)) out += 's';
    return out;
  }
  out += " '";
  out += unit_;
  out += '\'';
  return out;
}

std::optional<Quantity> Quantity::convertTo(std::string_view unit) const {
  if (unit == unit_) return *this;
  auto from = resolve(unit_);
  auto to = resolve(unit);
  if (!from || !to || from->base != to->base) return std::nullopt;
  if (from->base == "Cel" || from->base == "K" || from->base == "[degF]") return std::nullopt;
  auto inBase = value_.multiply(from->factor);
  if (!inBase) return std::nullopt;
  auto converted = inBase->divide(to->factor);
  if (!converted) return std::nullopt;
  return Quantity(*converted, std::string(unit));
}

std::optional<int> Quantity::compare(const Quantity& other) const {
  if (unit_ == other.unit_) return value_.compare(other.value_);
  auto converted = other.convertTo(unit_);
  if (!converted) {
    // Try the other way round, which may be exact where this one is not.
    auto mine = convertTo(other.unit_);
    if (!mine) return std::nullopt;
    return mine->value_.compare(other.value_);
  }
  return value_.compare(converted->value_);
}

std::optional<bool> Quantity::equals(const Quantity& other) const {
  // Calendar years and months are not definite durations: 1 year != 1 'a'.
  bool calA = isCalendarDuration(), calB = other.isCalendarDuration();
  if (calA != calB) {
    std::string_view cal = calA ? unit_ : other.unit_;
    if (cal == "year" || cal == "month") return std::nullopt;
  }
  auto c = compare(other);
  if (!c) return std::nullopt;
  return *c == 0;
}

bool Quantity::comparable(const Quantity& other) const {
  auto a = resolve(unit_);
  auto b = resolve(other.unit_);
  return a && b && a->base == b->base;
}

bool Quantity::equivalent(const Quantity& other) const {
  auto c = compare(other);
  if (!c) return false;
  if (*c == 0) return true;
  // Equivalence compares at the precision of the less precise operand.
  auto converted = other.convertTo(unit_);
  if (!converted) return false;
  int digits = std::min(value_.scale(), other.value_.scale());
  return value_.round(digits) == converted->value_.round(digits);
}

std::optional<Quantity> Quantity::add(const Quantity& other) const {
  auto converted = other.convertTo(unit_);
  if (!converted) return std::nullopt;
  auto sum = value_.add(converted->value_);
  if (!sum) return std::nullopt;
  return Quantity(*sum, unit_);
}

std::optional<Quantity> Quantity::subtract(const Quantity& other) const {
  return add(Quantity(other.value_.negate(), other.unit_));
}

std::optional<Quantity> Quantity::multiply(const Quantity& other) const {
  auto product = value_.multiply(other.value_);
  if (!product) return std::nullopt;
  std::string a = std::string(toUcum(unit_)), b = std::string(toUcum(other.unit_));
  if (a == "1") return Quantity(*product, b);
  if (b == "1") return Quantity(*product, a);
  if (a == b) return Quantity(*product, a + "2");
  // Same dimension in different units (cm * m): express both in the first unit.
  if (auto converted = other.convertTo(a)) {
    if (auto p = value_.multiply(converted->value())) return Quantity(*p, a + "2");
  }
  return Quantity(*product, a + "." + b);
}

std::optional<Quantity> Quantity::divide(const Quantity& other) const {
  std::string a = std::string(toUcum(unit_)), b = std::string(toUcum(other.unit_));
  Quantity divisor = other;
  if (a != b) {
    if (auto converted = other.convertTo(a)) {
      divisor = *converted;
      b = a;
    }
  }
  auto quotient = value_.divide(divisor.value_);
  if (!quotient) return std::nullopt;
  if (a == b) return Quantity(*quotient, "1");
  if (b == "1") return Quantity(*quotient, a);
  return Quantity(*quotient, a + "/" + b);
}

std::optional<std::string> Quantity::dateArithmeticUnit(std::string_view unit) {
  if (isCalendarKeyword(unit)) return std::string(unit);
  for (const auto& c : kCalendar) {
    if (c.ucum == unit && c.keyword != "year" && c.keyword != "month") return std::string(c.keyword);
  }
  return std::nullopt;
}

std::optional<std::string> Quantity::calendarKeyword(std::string_view word) {
  std::string_view singular = word;
  if (singular.size() > 1 && singular.back() == 's') singular.remove_suffix(1);
  if (isCalendarKeyword(singular)) return std::string(singular);
  return std::nullopt;
}

}  // namespace notebridge::fhirpath

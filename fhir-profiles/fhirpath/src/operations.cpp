#include "operations.h"

#include <cctype>
#include <unordered_set>

#include "evaluator.h"

namespace notebridge::fhirpath::detail {

namespace {

bool isNumber(const Value& v) {
  return std::holds_alternative<std::int64_t>(v) || std::holds_alternative<Decimal>(v);
}

Decimal asDecimal(const Value& v) {
  if (auto* i = std::get_if<std::int64_t>(&v)) return Decimal::fromInteger(*i);
  return std::get<Decimal>(v);
}

std::string normalizeForEquivalence(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::optional<bool> nodesEqual(const fhir::Element& a, const fhir::Element& b, bool equivalence);

std::optional<bool> childrenEqual(const fhir::Element& a, const fhir::Element& b,
                                  bool equivalence) {
  const auto& ca = a.children();
  const auto& cb = b.children();
  // Element ids are ignored for equivalence.
  auto skip = [&](const auto& list, std::size_t i) {
    while (equivalence && i < list.size() && list[i]->name() == "id") ++i;
    return i;
  };
  bool unknown = false;
  std::size_t i = skip(ca, 0), j = skip(cb, 0);
  while (i < ca.size() && j < cb.size()) {
    if (ca[i]->name() != cb[j]->name()) return false;
    auto r = nodesEqual(*ca[i], *cb[j], equivalence);
    if (!r) {
      unknown = true;
    } else if (!*r) {
      return false;
    }
    i = skip(ca, i + 1);
    j = skip(cb, j + 1);
  }
  if (i < ca.size() || j < cb.size()) return false;
  if (unknown) return std::nullopt;
  return true;
}

std::optional<bool> nodesEqual(const fhir::Element& a, const fhir::Element& b, bool equivalence) {
  if (&a == &b) return true;
  if (a.isPrimitive() && b.isPrimitive()) {
    if (a.hasValue() != b.hasValue()) return false;
    if (a.hasValue()) {
      Item ia(&a), ib(&b);
      if (equivalence) {
        if (!itemsEquivalent(ia, ib)) return false;
      } else {
        auto r = itemsEqual(ia, ib);
        if (!r || !*r) return r;
      }
    }
  } else if (a.isPrimitive() != b.isPrimitive()) {
    return false;
  }
  return childrenEqual(a, b, equivalence);
}

std::optional<bool> valuesEqual(const Value& a, const Value& b) {
  if (isNumber(a) && isNumber(b)) {
    if (a.index() == b.index() && std::holds_alternative<std::int64_t>(a))
      return std::get<std::int64_t>(a) == std::get<std::int64_t>(b);
    return asDecimal(a).compare(asDecimal(b)) == 0;
  }
  if (a.index() != b.index()) {
    // An Integer or Decimal is implicitly a Quantity with unit '1'.
    if (std::holds_alternative<Quantity>(a) && isNumber(b))
      return std::get<Quantity>(a).equals(Quantity(asDecimal(b), "1"));
    if (std::holds_alternative<Quantity>(b) && isNumber(a))
      return std::get<Quantity>(b).equals(Quantity(asDecimal(a), "1"));
    return false;
  }
  switch (a.index()) {
    case 0:
      return std::get<bool>(a) == std::get<bool>(b);
    case 3:
      return std::get<std::string>(a) == std::get<std::string>(b);
    case 4: {
      const auto& x = std::get<DateTimeValue>(a);
      const auto& y = std::get<DateTimeValue>(b);
      auto c = x.compare(y);
      if (!c) {
        if ((x.kind() == DateTimeValue::Kind::kTime) != (y.kind() == DateTimeValue::Kind::kTime))
          return false;
        return std::nullopt;
      }
      return *c == 0;
    }
    default:
      return std::get<Quantity>(a).equals(std::get<Quantity>(b));
  }
}

bool valuesEquivalent(const Value& a, const Value& b) {
  if (isNumber(a) && isNumber(b)) {
    Decimal x = asDecimal(a), y = asDecimal(b);
    int digits = std::min(x.scale(), y.scale());
    return x.round(digits) == y.round(digits);
  }
  if (a.index() != b.index()) {
    if (std::holds_alternative<Quantity>(a) && isNumber(b))
      return std::get<Quantity>(a).equivalent(Quantity(asDecimal(b), "1"));
    if (std::holds_alternative<Quantity>(b) && isNumber(a))
      return std::get<Quantity>(b).equivalent(Quantity(asDecimal(a), "1"));
    return false;
  }
  switch (a.index()) {
    case 0:
      return std::get<bool>(a) == std::get<bool>(b);
    case 3:
      return normalizeForEquivalence(std::get<std::string>(a)) ==
             normalizeForEquivalence(std::get<std::string>(b));
    case 4:
      return std::get<DateTimeValue>(a).equivalent(std::get<DateTimeValue>(b));
    default:
      return std::get<Quantity>(a).equivalent(std::get<Quantity>(b));
  }
}

bool isComplexNode(const Item& item) {
  if (!item.isNode() || item.node()->isPrimitive()) return false;
  return true;
}

}  // namespace

std::optional<bool> itemsEqual(const Item& a, const Item& b) {
  if (a.isNode() && b.isNode() && a.node() == b.node()) return true;
  if (isComplexNode(a) && isComplexNode(b)) return nodesEqual(*a.node(), *b.node(), false);
  auto va = a.toValue();
  auto vb = b.toValue();
  if (!va || !vb) return false;
  return valuesEqual(*va, *vb);
}

bool itemsEquivalent(const Item& a, const Item& b) {
  if (a.isNode() && b.isNode() && a.node() == b.node()) return true;
  if (isComplexNode(a) && isComplexNode(b)) {
    auto r = nodesEqual(*a.node(), *b.node(), true);
    return r && *r;
  }
  auto va = a.toValue();
  auto vb = b.toValue();
  if (!va || !vb) return false;
  return valuesEquivalent(*va, *vb);
}

std::optional<bool> collectionsEqual(const Collection& a, const Collection& b) {
  if (a.empty() || b.empty()) return std::nullopt;
  if (a.size() != b.size()) return false;
  bool unknown = false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto r = itemsEqual(a[i], b[i]);
    if (!r) {
      unknown = true;
    } else if (!*r) {
      return false;
    }
  }
  if (unknown) return std::nullopt;
  return true;
}

bool collectionsEquivalent(const Collection& a, const Collection& b) {
  if (a.size() != b.size()) return false;
  std::vector<bool> used(b.size(), false);
  for (const Item& x : a) {
    bool found = false;
    for (std::size_t j = 0; j < b.size(); ++j) {
      if (!used[j] && itemsEquivalent(x, b[j])) {
        used[j] = true;
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

std::optional<int> compareItems(const Item& a, const Item& b) {
  auto va = a.toValue();
  auto vb = b.toValue();
  if (!va || !vb) throw EvalError{"cannot compare " + a.typeName() + " with " + b.typeName()};
  if (isNumber(*va) && isNumber(*vb)) return asDecimal(*va).compare(asDecimal(*vb));
  if (va->index() != vb->index()) {
    if (std::holds_alternative<Quantity>(*va) && isNumber(*vb))
      return std::get<Quantity>(*va).compare(Quantity(asDecimal(*vb), "1"));
    if (std::holds_alternative<Quantity>(*vb) && isNumber(*va))
      return Quantity(asDecimal(*va), "1").compare(std::get<Quantity>(*vb));
    throw EvalError{"cannot compare " + std::string(systemTypeName(*va)) + " with " +
                    std::string(systemTypeName(*vb))};
  }
  switch (va->index()) {
    case 3: {
      int c = std::get<std::string>(*va).compare(std::get<std::string>(*vb));
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    case 4: {
      const auto& x = std::get<DateTimeValue>(*va);
      const auto& y = std::get<DateTimeValue>(*vb);
      if ((x.kind() == DateTimeValue::Kind::kTime) != (y.kind() == DateTimeValue::Kind::kTime))
        throw EvalError{"cannot compare a Time with a Date or DateTime"};
      return x.compare(y);
    }
    case 5:
      return std::get<Quantity>(*va).compare(std::get<Quantity>(*vb));
    default:
      throw EvalError{"Boolean values cannot be ordered"};
  }
}

bool containsItem(const Collection& c, const Item& item) {
  for (const Item& x : c) {
    auto r = itemsEqual(x, item);
    if (r && *r) return true;
  }
  return false;
}

namespace {

// A text that equal simple values share ("n:1.5" for 1.50 and 1.5): lets distinct() hash instead
// of comparing every pair. Empty for items compared structurally (complex nodes, quantities).
std::string distinctKey(const Item& item) {
  if (item.isNode() && !item.node()->isPrimitive()) return {};
  auto v = item.toValue();
  if (!v) return {};
  switch (v->index()) {
    case 0:
      return std::get<bool>(*v) ? "b:1" : "b:0";
    case 1:
      return "n:" + std::to_string(std::get<std::int64_t>(*v));
    case 2:
      return "n:" + std::get<Decimal>(*v).normalized().toString();
    case 3:
      return "s:" + std::get<std::string>(*v);
    case 4:
      return "d:" + std::get<DateTimeValue>(*v).toString();
    default:
      return {};
  }
}

}  // namespace

Collection distinctItems(const Collection& c, std::uint64_t maxComparisons) {
  std::uint64_t comparisons = 0;
  Collection out;
  out.reserve(c.size());
  std::unordered_set<std::string> seen;
  Collection structural;  // items without a key, compared pairwise
  for (const Item& x : c) {
    std::string key = distinctKey(x);
    if (!key.empty()) {
      if (seen.insert(std::move(key)).second) out.push_back(x);
      continue;
    }
    comparisons += structural.size();
    if (comparisons > maxComparisons) {
      throw EvalError{"evaluation exceeded its step budget removing duplicates from " +
                      std::to_string(c.size()) + " items"};
    }
    if (!containsItem(structural, x)) {
      structural.push_back(x);
      out.push_back(x);
    }
  }
  return out;
}

std::optional<std::string> stringOf(const Item& item) {
  if (item.isNode()) {
    const fhir::Element* n = item.node();
    if (!n->isPrimitive() || !n->hasValue()) return std::nullopt;
    auto v = item.toValue();
    if (!v || !std::holds_alternative<std::string>(*v)) return std::nullopt;
    return std::get<std::string>(*v);
  }
  if (auto* s = std::get_if<std::string>(item.value())) return *s;
  return std::nullopt;
}

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool isIntegerText(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  if (i == s.size()) return false;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

bool isDecimalText(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  std::size_t digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
  if (digits == 0) return false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    std::size_t frac = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++frac;
    if (frac == 0) return false;
  }
  return i == s.size();
}

}  // namespace

std::optional<Value> convertToBoolean(const Item& item) {
  auto v = item.toValue();
  if (!v) return std::nullopt;
  if (auto* b = std::get_if<bool>(&*v)) return Value(*b);
  if (auto* i = std::get_if<std::int64_t>(&*v)) {
    if (*i == 1) return Value(true);
    if (*i == 0) return Value(false);
    return std::nullopt;
  }
  if (auto* d = std::get_if<Decimal>(&*v)) {
    if (*d == Decimal::fromInteger(1)) return Value(true);
    if (d->isZero()) return Value(false);
    return std::nullopt;
  }
  if (auto* s = std::get_if<std::string>(&*v)) {
    std::string l = lower(*s);
    if (l == "true" || l == "t" || l == "yes" || l == "y" || l == "1" || l == "1.0")
      return Value(true);
    if (l == "false" || l == "f" || l == "no" || l == "n" || l == "0" || l == "0.0")
      return Value(false);
  }
  return std::nullopt;
}

std::optional<Value> convertToInteger(const Item& item) {
  auto v = item.toValue();
  if (!v) return std::nullopt;
  if (std::holds_alternative<std::int64_t>(*v)) return v;
  if (auto* b = std::get_if<bool>(&*v)) return Value(std::int64_t{*b ? 1 : 0});
  if (auto* s = std::get_if<std::string>(&*v)) {
    if (!isIntegerText(*s)) return std::nullopt;
    auto d = Decimal::parse(*s);
    std::int64_t i;
    if (!d || !d->toInteger(i) || i > INT32_MAX || i < INT32_MIN) return std::nullopt;
    return Value(i);
  }
  return std::nullopt;
}

std::optional<Value> convertToDecimal(const Item& item) {
  auto v = item.toValue();
  if (!v) return std::nullopt;
  if (std::holds_alternative<Decimal>(*v)) return v;
  if (auto* i = std::get_if<std::int64_t>(&*v)) return Value(Decimal::fromInteger(*i));
  if (auto* b = std::get_if<bool>(&*v)) return Value(*Decimal::parse(*b ? "1.0" : "0.0"));
  if (auto* s = std::get_if<std::string>(&*v)) {
    if (!isDecimalText(*s)) return std::nullopt;
    auto d = Decimal::parse(*s);
    if (!d) return std::nullopt;
    return Value(*d);
  }
  return std::nullopt;
}

std::optional<Value> convertToString(const Item& item) {
  auto v = item.toValue();
  if (!v) return std::nullopt;
  if (item.isNode() && !item.node()->isPrimitive()) {
    // A Quantity node converts through its System Quantity.
    return Value(valueToString(*v));
  }
  return Value(valueToString(*v));
}

std::optional<Value> convertToQuantity(const Item& item) {
  auto v = item.toValue();
  if (!v) return std::nullopt;
  if (std::holds_alternative<Quantity>(*v)) return v;
  if (auto* i = std::get_if<std::int64_t>(&*v))
    return Value(Quantity(Decimal::fromInteger(*i), "1"));
  if (auto* d = std::get_if<Decimal>(&*v)) return Value(Quantity(*d, "1"));
  if (auto* b = std::get_if<bool>(&*v))
    return Value(Quantity(*Decimal::parse(*b ? "1.0" : "0.0"), "1"));
  if (auto* s = std::get_if<std::string>(&*v)) {
    std::string_view text = *s;
    auto space = text.find(' ');
    std::string_view number = text.substr(0, space);
    if (!isDecimalText(number)) return std::nullopt;
    auto d = Decimal::parse(number);
    if (!d) return std::nullopt;
    if (space == std::string_view::npos) return Value(Quantity(*d, "1"));
    std::string_view unit = text.substr(space + 1);
    while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
    if (unit.size() >= 2 && unit.front() == '\'' && unit.back() == '\'')
      return Value(Quantity(*d, std::string(unit.substr(1, unit.size() - 2))));
    if (auto cal = Quantity::calendarKeyword(unit)) return Value(Quantity(*d, *cal));
    return std::nullopt;
  }
  return std::nullopt;
}

std::optional<Value> convertToDate(const Item& item) {
  auto v = item.toValue();
  if (!v) return std::nullopt;
  if (auto* d = std::get_if<DateTimeValue>(&*v)) {
    if (d->kind() == DateTimeValue::Kind::kTime) return std::nullopt;
    return Value(d->asKind(DateTimeValue::Kind::kDate));
  }
  if (auto* s = std::get_if<std::string>(&*v)) {
    if (auto d = DateTimeValue::parse(*s, DateTimeValue::Kind::kDate)) return Value(*d);
    if (auto d = DateTimeValue::parse(*s, DateTimeValue::Kind::kDateTime))
      return Value(d->asKind(DateTimeValue::Kind::kDate));
  }
  return std::nullopt;
}

std::optional<Value> convertToDateTime(const Item& item) {
  auto v = item.toValue();
  if (!v) return std::nullopt;
  if (auto* d = std::get_if<DateTimeValue>(&*v)) {
    if (d->kind() == DateTimeValue::Kind::kTime) return std::nullopt;
    return Value(d->asKind(DateTimeValue::Kind::kDateTime));
  }
  if (auto* s = std::get_if<std::string>(&*v)) {
    if (auto d = DateTimeValue::parse(*s, DateTimeValue::Kind::kDateTime)) return Value(*d);
  }
  return std::nullopt;
}

std::optional<Value> convertToTime(const Item& item) {
  auto v = item.toValue();
  if (!v) return std::nullopt;
  if (auto* d = std::get_if<DateTimeValue>(&*v)) {
    if (d->kind() == DateTimeValue::Kind::kTime) return v;
    return std::nullopt;
  }
  if (auto* s = std::get_if<std::string>(&*v)) {
    std::string_view text = *s;
    if (!text.empty() && text.front() == 'T') text.remove_prefix(1);
    if (auto d = DateTimeValue::parse(text, DateTimeValue::Kind::kTime)) return Value(*d);
  }
  return std::nullopt;
}

}  // namespace notebridge::fhirpath::detail

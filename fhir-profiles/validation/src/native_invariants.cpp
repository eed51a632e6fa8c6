#include "native_invariants.h"

#include "notebridge/validation/primitive_rules.h"

namespace notebridge::validation::detail {
namespace {

struct ChildTest {
  std::string_view name;
  bool exists = false;  // exists() when true, empty() when false
};

// Reads "name.exists()" or "name.empty()" at the start of `text`, advancing it.
bool readTest(std::string_view& text, ChildTest& test) {
  std::size_t end = 0;
  if (text.empty() || text[0] < 'a' || text[0] > 'z') return false;
  while (end < text.size() &&
         ((text[end] >= 'a' && text[end] <= 'z') || (text[end] >= 'A' && text[end] <= 'Z') ||
          (text[end] >= '0' && text[end] <= '9'))) {
    ++end;
  }
  test.name = text.substr(0, end);
  text.remove_prefix(end);
  constexpr std::string_view kExists = ".exists()";
  constexpr std::string_view kEmpty = ".empty()";
  if (text.substr(0, kExists.size()) == kExists) {
    test.exists = true;
    text.remove_prefix(kExists.size());
    return true;
  }
  if (text.substr(0, kEmpty.size()) == kEmpty) {
    test.exists = false;
    text.remove_prefix(kEmpty.size());
    return true;
  }
  return false;
}

}  // namespace

std::optional<bool> childTestsHold(std::string_view expression, const fhir::Element& focus) {
  ChildTest a;
  ChildTest b;
  constexpr std::string_view kOr = " or ";
  if (!readTest(expression, a) || expression.substr(0, kOr.size()) != kOr) return std::nullopt;
  expression.remove_prefix(kOr.size());
  if (!readTest(expression, b) || !expression.empty()) return std::nullopt;
  if (focus.type() == a.name || focus.type() == b.name) return std::nullopt;
  bool hasA = false;
  bool hasB = false;
  for (const auto& child : focus.children()) {
    if (child->isChoice() && (child->name() == a.name || child->name() == b.name)) {
      return std::nullopt;
    }
    const std::string_view base = child->baseName();
    hasA = hasA || base == a.name;
    hasB = hasB || base == b.name;
  }
  return (a.exists == hasA) || (b.exists == hasB);
}

namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// The time zone of a dateTime with a time ("Z" or "+hh:mm"), or an empty view when `text` is
// not "YYYY-MM-DDThh:mm:ss" with an optional fraction and a zone, or is one the FHIRPath
// engine reads differently from its text: it keeps three digits of a fraction (so .0009 and
// .0001 are equal to it) and has no leap second (:60 is no value), so text order would not
// be its verdict.
std::string_view timeZoneOf(std::string_view text) {
  if (text.size() < 20 || text[10] != 'T' || text[13] != ':' || text[16] != ':') return {};
  if (text[17] == '6') return {};
  std::size_t at = 19;
  if (text[at] == '.') {
    ++at;
    const std::size_t digits = at;
    while (at < text.size() && isDigit(text[at])) ++at;
    if (at - digits > 3) return {};
  }
  const std::string_view zone = text.substr(at);
  if (zone == "Z") return zone;
  if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') return zone;
  return {};
}

}  // namespace

std::optional<bool> periodOrderHolds(const fhir::Element& focus) {
  const fhir::Element* start = nullptr;
  const fhir::Element* end = nullptr;
  for (const auto& child : focus.children()) {
    const std::string& name = child->name();
    const fhir::Element** slot = name == "start" ? &start : (name == "end" ? &end : nullptr);
    if (!slot) continue;
    if (*slot || !child->isPrimitive()) return std::nullopt;
    *slot = child.get();
  }
  if (!start || !start->hasValue() || !end || !end->hasValue()) return true;
  const std::string_view a = start->value();
  const std::string_view b = end->value();
  if (a.size() != b.size()) return std::nullopt;
  if (checkPrimitive("dateTime", a) || checkPrimitive("dateTime", b)) return std::nullopt;
  if (a.size() == 4 || a.size() == 7 || a.size() == 10) return a <= b;  // dates, same precision
  const std::string_view zone = timeZoneOf(a);
  if (zone.empty() || zone != timeZoneOf(b)) return std::nullopt;
  return a <= b;
}

}  // namespace notebridge::validation::detail

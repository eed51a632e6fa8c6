#include "native_invariants.h"

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

}  // namespace notebridge::validation::detail

#include "native_invariants.h"

#include <memory>
#include <string>
#include <vector>

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

enum class Certain { kTrue, kFalse, kUnknown };

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

// The index just past the quoted text starting at `i` (a ' or ` string, \-escapes), or npos.
std::size_t pastQuote(std::string_view text, std::size_t i) {
  const char quote = text[i];
  for (++i; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;
    } else if (text[i] == quote) {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

bool isQuote(char c) { return c == '\'' || c == '`'; }

// Splits `text` at ` word ` outside parentheses, brackets, braces and quoted text. False when
// the nesting or quoting does not close (the caller then gives up).
bool splitTopLevel(std::string_view text, std::string_view word,
                   std::vector<std::string_view>& parts) {
  parts.clear();
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (isQuote(c)) {
      i = pastQuote(text, i);
      if (i == std::string_view::npos) return false;
      continue;
    }
    if (c == '(' || c == '[' || c == '{') ++depth;
    if (c == ')' || c == ']' || c == '}') {
      if (--depth < 0) return false;
    }
    if (depth == 0 && c == ' ' && i + word.size() + 1 < text.size() &&
        text.substr(i + 1, word.size()) == word && text[i + 1 + word.size()] == ' ') {
      parts.push_back(text.substr(start, i - start));
      start = i + word.size() + 2;
      i = start;
      continue;
    }
    ++i;
  }
  if (depth != 0) return false;
  parts.push_back(text.substr(start));
  return true;
}

// The index of the parenthesis closing the one at `open`, or npos.
std::size_t closingParenthesis(std::string_view text, std::size_t open) {
  int depth = 0;
  for (std::size_t i = open; i < text.size();) {
    const char c = text[i];
    if (isQuote(c)) {
      i = pastQuote(text, i);
      if (i == std::string_view::npos) return i;
      continue;
    }
    if (c == '(') ++depth;
    if (c == ')' && --depth == 0) return i;
    ++i;
  }
  return std::string_view::npos;
}

// A lower-case element name at the start of `text`, taken off it; empty when there is none.
std::string_view takeName(std::string_view& text) {
  std::size_t end = 0;
  if (text.empty() || text[0] < 'a' || text[0] > 'z') return {};
  while (end < text.size() &&
         ((text[end] >= 'a' && text[end] <= 'z') || (text[end] >= 'A' && text[end] <= 'Z') ||
          (text[end] >= '0' && text[end] <= '9'))) {
    ++end;
  }
  const std::string_view name = text.substr(0, end);
  text.remove_prefix(end);
  return name;
}

// Skips ".name", ".where(...)" and ".select(...)" steps (each keeps an empty input empty);
// false on anything else.
bool skipEmptyPreservingSteps(std::string_view& text) {
  while (!text.empty() && text[0] == '.') {
    std::string_view rest = text.substr(1);
    const std::string_view step = takeName(rest);
    if (step.empty()) return false;
    if (!rest.empty() && rest[0] == '(') {
      if (step != "where" && step != "select") return false;
      const std::size_t close = closingParenthesis(rest, 0);
      if (close == std::string_view::npos) return false;
      rest.remove_prefix(close + 1);
    }
    text = rest;
  }
  return true;
}

// Whether navigation by `name` from the focus finds something, where that is certain.
Certain presence(const fhir::Element& focus, std::string_view name) {
  if (focus.type() == name) return Certain::kUnknown;
  bool maybe = false;
  bool sure = false;
  for (const auto& child : focus.children()) {
    const std::string& childName = child->name();
    if (childName.size() < name.size() || childName.compare(0, name.size(), name) != 0) continue;
    maybe = true;
    if (childName.size() == name.size()) {
      if (child->isChoice()) return Certain::kUnknown;  // the engine refuses that name
      sure = true;
    }
  }
  if (sure) return Certain::kTrue;
  return maybe ? Certain::kUnknown : Certain::kFalse;
}

}  // namespace

struct LogicTree {
  enum class Kind {
    kImplies,     // operands[0] implies operands[1]
    kOr,          // any of operands
    kAnd,         // all of operands
    kExists,      // name.exists()
    kEmpty,       // name.empty(), or name followed by empty-preserving steps and .empty()
    kEmptyPath,   // name.<steps>.empty(): only known true (when name is absent)
    kSameExists,  // name.exists() = other.exists()
    kUcum,        // name = %ucum
    kUnknown,     // anything else
  };
  Kind kind = Kind::kUnknown;
  std::string typePrefix;  // "Appointment" of "Appointment.x...": must be the focus's type
  std::string name;
  std::string other;
  std::vector<LogicTree> operands;
};

namespace {

LogicTree unknownTree() { return LogicTree{}; }

LogicTree parseExpression(std::string_view text, int depth);

// One operand without a top-level "implies", "or", "xor" or "and".
LogicTree parseTerm(std::string_view text, int depth) {
  text = trimmed(text);
  if (!text.empty() && text.front() == '(' && closingParenthesis(text, 0) == text.size() - 1) {
    return parseExpression(text.substr(1, text.size() - 2), depth + 1);
  }
  LogicTree tree;
  // A leading upper-case name selects the focus when it is the focus's type.
  if (!text.empty() && text[0] >= 'A' && text[0] <= 'Z') {
    const std::size_t dot = text.find('.');
    if (dot == std::string_view::npos) return unknownTree();
    for (char c : text.substr(0, dot)) {
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
        return unknownTree();
      }
    }
    tree.typePrefix = std::string(text.substr(0, dot));
    text.remove_prefix(dot + 1);
  }
  constexpr std::string_view kExists = ".exists()";
  constexpr std::string_view kEmpty = ".empty()";
  constexpr std::string_view kEqualsUcum = " = %ucum";
  constexpr std::string_view kEquals = " = ";
  std::string_view rest = text;
  const std::string_view name = takeName(rest);
  if (name.empty()) return unknownTree();
  tree.name = std::string(name);
  if (rest == kExists) {
    tree.kind = LogicTree::Kind::kExists;
    return tree;
  }
  if (rest == kEmpty) {
    tree.kind = LogicTree::Kind::kEmpty;
    return tree;
  }
  if (rest == kEqualsUcum) {
    tree.kind = LogicTree::Kind::kUcum;
    return tree;
  }
  if (rest.substr(0, kExists.size() + kEquals.size()) == std::string(kExists).append(kEquals)) {
    std::string_view other = rest.substr(kExists.size() + kEquals.size());
    const std::string_view otherName = takeName(other);
    if (otherName.empty() || other != kExists) return unknownTree();
    tree.kind = LogicTree::Kind::kSameExists;
    tree.other = std::string(otherName);
    return tree;
  }
  if (rest.size() > kEmpty.size() && rest.substr(rest.size() - kEmpty.size()) == kEmpty) {
    std::string_view steps = rest.substr(0, rest.size() - kEmpty.size());
    if (skipEmptyPreservingSteps(steps) && steps.empty()) {
      tree.kind = LogicTree::Kind::kEmptyPath;
      return tree;
    }
  }
  return unknownTree();
}

// FHIRPath precedence, loosest first: implies; or and xor; and
// (https://hl7.org/fhirpath/N1/#operator-precedence).
LogicTree parseExpression(std::string_view text, int depth) {
  if (depth > 8) return unknownTree();
  std::vector<std::string_view> parts;
  LogicTree tree;
  if (!splitTopLevel(text, "implies", parts) || parts.size() > 2) return unknownTree();
  if (parts.size() == 2) {
    tree.kind = LogicTree::Kind::kImplies;
  } else {
    if (!splitTopLevel(text, "xor", parts) || parts.size() > 1) return unknownTree();
    if (!splitTopLevel(text, "or", parts)) return unknownTree();
    if (parts.size() > 1) {
      tree.kind = LogicTree::Kind::kOr;
    } else {
      if (!splitTopLevel(text, "and", parts)) return unknownTree();
      if (parts.size() == 1) return parseTerm(text, depth);
      tree.kind = LogicTree::Kind::kAnd;
    }
  }
  for (const std::string_view part : parts) {
    tree.operands.push_back(tree.kind == LogicTree::Kind::kAnd ? parseTerm(part, depth + 1)
                                                               : parseExpression(part, depth + 1));
  }
  return tree;
}

bool anyAnswer(const LogicTree& tree) {
  if (tree.kind == LogicTree::Kind::kUnknown) return false;
  if (tree.operands.empty()) return true;
  for (const LogicTree& operand : tree.operands) {
    if (anyAnswer(operand)) return true;
  }
  return false;
}

Certain negated(Certain c) {
  if (c == Certain::kTrue) return Certain::kFalse;
  if (c == Certain::kFalse) return Certain::kTrue;
  return Certain::kUnknown;
}

Certain certainty(const LogicTree& tree, const fhir::Element& focus) {
  if (!tree.typePrefix.empty() && (!focus.isResource() || focus.type() != tree.typePrefix)) {
    return Certain::kUnknown;
  }
  switch (tree.kind) {
    case LogicTree::Kind::kImplies: {
      const Certain left = certainty(tree.operands[0], focus);
      if (left == Certain::kFalse) return Certain::kTrue;
      if (left == Certain::kUnknown) return Certain::kUnknown;
      return certainty(tree.operands[1], focus);  // true implies x is x, for a boolean x
    }
    case LogicTree::Kind::kOr: {
      bool allFalse = true;
      for (const LogicTree& operand : tree.operands) {
        const Certain c = certainty(operand, focus);
        if (c == Certain::kTrue) return Certain::kTrue;
        allFalse = allFalse && c == Certain::kFalse;
      }
      return allFalse ? Certain::kFalse : Certain::kUnknown;
    }
    case LogicTree::Kind::kAnd: {
      bool allTrue = true;
      for (const LogicTree& operand : tree.operands) {
        const Certain c = certainty(operand, focus);
        if (c == Certain::kFalse) return Certain::kFalse;
        allTrue = allTrue && c == Certain::kTrue;
      }
      return allTrue ? Certain::kTrue : Certain::kUnknown;
    }
    case LogicTree::Kind::kExists:
      return presence(focus, tree.name);
    case LogicTree::Kind::kEmpty:
      return negated(presence(focus, tree.name));
    case LogicTree::Kind::kEmptyPath:
      return presence(focus, tree.name) == Certain::kFalse ? Certain::kTrue : Certain::kUnknown;
    case LogicTree::Kind::kSameExists: {
      const Certain a = presence(focus, tree.name);
      const Certain b = presence(focus, tree.other);
      if (a == Certain::kUnknown || b == Certain::kUnknown) return Certain::kUnknown;
      return a == b ? Certain::kTrue : Certain::kFalse;
    }
    case LogicTree::Kind::kUcum: {
      // One primitive child holding exactly the UCUM system is equal to %ucum.
      if (focus.type() == tree.name) return Certain::kUnknown;
      const fhir::Element* only = nullptr;
      for (const auto& child : focus.children()) {
        if (child->baseName() != tree.name) continue;
        if (only || child->isChoice() || !child->isPrimitive()) return Certain::kUnknown;
        only = child.get();
      }
      if (only && only->hasValue() && only->value() == "http://unitsofmeasure.org") {
        return Certain::kTrue;
      }
      return Certain::kUnknown;
    }
    case LogicTree::Kind::kUnknown:
      break;
  }
  return Certain::kUnknown;
}

}  // namespace

std::shared_ptr<const LogicTree> parseLogic(std::string_view expression) {
  LogicTree tree = parseExpression(expression, 0);
  if (!anyAnswer(tree)) return nullptr;
  return std::make_shared<const LogicTree>(std::move(tree));
}

std::optional<bool> logicHolds(const LogicTree& tree, const fhir::Element& focus) {
  if (certainty(tree, focus) == Certain::kTrue) return true;
  return std::nullopt;
}

std::optional<bool> logicHolds(std::string_view expression, const fhir::Element& focus) {
  const auto tree = parseLogic(expression);
  if (!tree) return std::nullopt;
  return logicHolds(*tree, focus);
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

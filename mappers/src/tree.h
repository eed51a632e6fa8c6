#pragma once

#include <string>
#include <string_view>

#include "notebridge/fhir/element.h"

// Terse builders for Element trees with correct FHIR type codes. Callers add children in FHIR
// definition order (https://hl7.org/fhir/R4/<type>.html), which the serializer may rely on.
namespace notebridge::mappers::tree {

using fhir::Element;

using fhir::NodeKind;

// A string literal usable as a template argument ("system"_name below).
template <std::size_t N>
struct Literal {
  char text[N]{};
  constexpr Literal(const char (&s)[N]) {  // NOLINT: implicit on purpose, for "..."_name
    for (std::size_t i = 0; i < N; ++i) text[i] = s[i];
  }
  constexpr std::string_view view() const { return std::string_view(text, N - 1); }
};

// An element name or type code with its interned copy (Element::intern), looked up once per
// literal per process rather than once per node: mapping builds hundreds of nodes per note
// from a few dozen names. `interned` is null when the table refused the text.
struct Name {
  std::string_view text;
  const std::string* interned;
  Name(std::string_view t, const std::string* i) : text(t), interned(i) {}
  // Any other text is looked up when the node is made (Element::makeNode).
  Name(std::string_view t) : text(t), interned(nullptr) {}    // NOLINT: implicit on purpose
  Name(const char* t) : text(t), interned(nullptr) {}         // NOLINT
  Name(const std::string& t) : text(t), interned(nullptr) {}  // NOLINT
};

template <Literal S>
Name operator""_name() {
  static const std::string* const interned = Element::intern(S.view());
  return Name{S.view(), interned};
}

inline Element::Ptr makeNode(NodeKind kind, Name name, Name type) {
  if (name.interned && type.interned) {
    return Element::makeInterned(kind, name.interned, type.interned);
  }
  return Element::makeNode(kind, name.text, type.text);
}

// Nodes are built from interned names ("system"_name: no lookup per node) or from the views
// directly (Element::makeNode: no temporary strings).
inline Element& prim(Element& parent, Name name, Name type, std::string_view value,
                     bool repeating = false) {
  auto node = makeNode(NodeKind::kPrimitive, name, type);
  node->assignValue(value);
  return parent.addChild(std::move(node), repeating);
}

inline Element& primMoved(Element& parent, Name name, Name type, std::string&& value) {
  auto node = makeNode(NodeKind::kPrimitive, name, type);
  node->setValue(std::move(value));
  return parent.addChild(std::move(node));
}

inline Element& complex(Element& parent, Name name, Name type, bool repeating = false) {
  return parent.addChild(makeNode(NodeKind::kComplex, name, type), repeating);
}

// A choice element ("valueQuantity" of "value[x]").
inline Element& choice(Element& parent, std::string_view base, std::string_view typeSuffix,
                       std::string_view type) {
  std::string name;
  name.reserve(base.size() + typeSuffix.size());
  name.append(base).append(typeSuffix);
  Element& e = parent.addChild(Element::makeNode(NodeKind::kComplex, name, type));
  e.setChoiceBaseLength(base.size());
  return e;
}

inline Element& choicePrim(Element& parent, std::string_view base, std::string_view typeSuffix,
                           std::string_view type, std::string_view value) {
  std::string name;
  name.reserve(base.size() + typeSuffix.size());
  name.append(base).append(typeSuffix);
  auto node = Element::makeNode(NodeKind::kPrimitive, name, type);
  node->assignValue(value);
  Element& e = parent.addChild(std::move(node));
  e.setChoiceBaseLength(base.size());
  return e;
}

inline Element& coding(Element& parent, Name name, std::string_view system, std::string_view code,
                       std::string_view display = {}, bool repeating = true) {
  Element& c = complex(parent, name, "Coding"_name, repeating);
  prim(c, "system"_name, "uri"_name, system);
  prim(c, "code"_name, "code"_name, code);
  if (!display.empty()) prim(c, "display"_name, "string"_name, display);
  return c;
}

// A CodeableConcept with one coding (when `code` is not empty) and optional text.
inline Element& codeable(Element& parent, Name name, std::string_view system, std::string_view code,
                         std::string_view display = {}, std::string_view text = {},
                         bool repeating = true) {
  Element& cc = complex(parent, name, "CodeableConcept"_name, repeating);
  if (!code.empty()) coding(cc, "coding"_name, system, code, display);
  if (!text.empty()) prim(cc, "text"_name, "string"_name, text);
  return cc;
}

inline Element& textConcept(Element& parent, Name name, std::string_view text,
                            bool repeating = true) {
  Element& cc = complex(parent, name, "CodeableConcept"_name, repeating);
  prim(cc, "text"_name, "string"_name, text);
  return cc;
}

inline Element& reference(Element& parent, Name name, std::string_view target,
                          bool repeating = false) {
  Element& r = complex(parent, name, "Reference"_name, repeating);
  prim(r, "reference"_name, "string"_name, target);
  return r;
}

inline Element& identifier(Element& parent, std::string_view system, std::string_view value,
                           bool repeating = true) {
  Element& i = complex(parent, "identifier"_name, "Identifier"_name, repeating);
  prim(i, "system"_name, "uri"_name, system);
  prim(i, "value"_name, "string"_name, value);
  return i;
}

inline Element& period(Element& parent, Name name, std::string_view start, std::string_view end) {
  Element& p = complex(parent, name, "Period"_name);
  if (!start.empty()) prim(p, "start"_name, "dateTime"_name, start);
  if (!end.empty()) prim(p, "end"_name, "dateTime"_name, end);
  return p;
}

inline Element& annotation(Element& parent, std::string_view text) {
  Element& a = complex(parent, "note"_name, "Annotation"_name, true);
  prim(a, "text"_name, "markdown"_name, text);
  return a;
}

}  // namespace notebridge::mappers::tree

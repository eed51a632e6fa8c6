#pragma once

#include <string>
#include <string_view>

#include "notebridge/fhir/element.h"

// Terse builders for Element trees with correct FHIR type codes. Callers add children in FHIR
// definition order (https://hl7.org/fhir/R4/<type>.html), which the serializer may rely on.
namespace notebridge::mappers::tree {

using fhir::Element;

using fhir::NodeKind;

// Nodes are built from the views directly (Element::makeNode): no temporary strings.
inline Element& prim(Element& parent, std::string_view name, std::string_view type,
                     std::string_view value, bool repeating = false) {
  auto node = Element::makeNode(NodeKind::kPrimitive, name, type);
  node->assignValue(value);
  return parent.addChild(std::move(node), repeating);
}

// Moves a large value (attachment data) into the tree instead of copying it.
inline Element& primMoved(Element& parent, std::string_view name, std::string_view type,
                          std::string&& value) {
  auto node = Element::makeNode(NodeKind::kPrimitive, name, type);
  node->setValue(std::move(value));
  return parent.addChild(std::move(node));
}

inline Element& complex(Element& parent, std::string_view name, std::string_view type,
                        bool repeating = false) {
  return parent.addChild(Element::makeNode(NodeKind::kComplex, name, type), repeating);
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

inline Element& coding(Element& parent, std::string_view name, std::string_view system,
                       std::string_view code, std::string_view display = {},
                       bool repeating = true) {
  Element& c = complex(parent, name, "Coding", repeating);
  prim(c, "system", "uri", system);
  prim(c, "code", "code", code);
  if (!display.empty()) prim(c, "display", "string", display);
  return c;
}

// A CodeableConcept with one coding (when `code` is not empty) and optional text.
inline Element& codeable(Element& parent, std::string_view name, std::string_view system,
                         std::string_view code, std::string_view display = {},
                         std::string_view text = {}, bool repeating = true) {
  Element& cc = complex(parent, name, "CodeableConcept", repeating);
  if (!code.empty()) coding(cc, "coding", system, code, display);
  if (!text.empty()) prim(cc, "text", "string", text);
  return cc;
}

inline Element& textConcept(Element& parent, std::string_view name, std::string_view text,
                            bool repeating = true) {
  Element& cc = complex(parent, name, "CodeableConcept", repeating);
  prim(cc, "text", "string", text);
  return cc;
}

inline Element& reference(Element& parent, std::string_view name, std::string_view target,
                          bool repeating = false) {
  Element& r = complex(parent, name, "Reference", repeating);
  prim(r, "reference", "string", target);
  return r;
}

inline Element& identifier(Element& parent, std::string_view system, std::string_view value,
                           bool repeating = true) {
  Element& i = complex(parent, "identifier", "Identifier", repeating);
  prim(i, "system", "uri", system);
  prim(i, "value", "string", value);
  return i;
}

inline Element& period(Element& parent, std::string_view name, std::string_view start,
                       std::string_view end) {
  Element& p = complex(parent, name, "Period");
  if (!start.empty()) prim(p, "start", "dateTime", start);
  if (!end.empty()) prim(p, "end", "dateTime", end);
  return p;
}

inline Element& annotation(Element& parent, std::string_view text) {
  Element& a = complex(parent, "note", "Annotation", true);
  prim(a, "text", "markdown", text);
  return a;
}

}  // namespace notebridge::mappers::tree

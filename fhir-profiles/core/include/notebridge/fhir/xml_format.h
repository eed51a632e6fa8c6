#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "notebridge/fhir/definitions.h"
#include "notebridge/fhir/element.h"
#include "notebridge/fhir/outcome.h"

namespace notebridge::fhir {

// Limits and leniency of the XML parser.
struct XmlParseOptions {
  // Larger inputs are refused at once ("too-long").
  std::size_t maxBytes = 64u << 20;
  // Deepest element nesting accepted (libxml2 itself stops at 256).
  std::size_t maxDepth = 128;
  // Most elements (nodes of the tree) accepted; more fail fast ("too-costly"). Bounds memory:
  // a tree node costs far more than its text.
  std::size_t maxElements = 500000;
  // Unknown elements and attributes become warnings (and are dropped) instead of errors.
  bool allowUnknownElements = false;
  // Return the tree even when error issues were found (fatal issues still give no tree).
  bool keepTreeOnErrors = false;
};

// Parses FHIR XML (https://hl7.org/fhir/R4/xml.html) into the same typed Element tree as
// parseJson: namespace http://hl7.org/fhir, primitive values in `value` attributes, `id`
// attributes and extension children on primitives, the narrative div kept verbatim (XHTML
// namespace), contained and nested resources. Comments are ignored.
// Safe for untrusted input: no network, no DTD (a DOCTYPE is refused before parsing, so
// external entities and entity expansion such as billion laughs cannot happen), size and depth
// limits. Errors carry the element path and line. Thread-safe.
Result<Element::Ptr> parseXml(std::string_view xml, const DefinitionRegistry& registry,
                              const XmlParseOptions& options = {});

struct XmlWriteOptions {
  bool pretty = false;  // two-space indentation (the div is always written verbatim)
};

// Writes FHIR XML: elements in tree order (definition order for parsed trees), attributes for
// element ids, Extension.url and primitive values, the div verbatim. Control characters other
// than tab, CR and LF (which XML 1.0 cannot carry; the JSON parser warns about them) are
// written as U+FFFD. Never fails.
std::string writeXml(const Element& element, const XmlWriteOptions& options = {});

}  // namespace notebridge::fhir

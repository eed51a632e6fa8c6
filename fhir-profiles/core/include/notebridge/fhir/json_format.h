#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "notebridge/fhir/definitions.h"
#include "notebridge/fhir/element.h"
#include "notebridge/fhir/outcome.h"

namespace notebridge::fhir {

// Limits and leniency of the JSON parser. Defaults suit the gateway's request bodies.
struct JsonParseOptions {
  // Larger inputs are refused at once ("too-long"), before any parsing.
  std::size_t maxBytes = 64u << 20;
  // Deepest JSON nesting accepted (objects and arrays); deeper input fails fast ("too-costly").
  std::size_t maxDepth = 128;
  // Most elements (nodes of the tree) accepted; more fail fast ("too-costly"). Bounds memory:
  // a tree node costs far more than its text.
  std::size_t maxElements = 500000;
  // Unknown properties become warnings (and are dropped) instead of errors.
  bool allowUnknownElements = false;
  // Return the tree even when error issues were found (fatal issues still give no tree).
  bool keepTreeOnErrors = false;
};

// Parses FHIR JSON (https://hl7.org/fhir/R4/json.html) into a typed Element tree: every node has
// its FHIR type and PropertyInfo, children in definition order, primitives merged with their
// `_name` companions, nested resources typed by their resourceType.
// Errors are issues with the element path and, where known, line and column; the tree is
// returned only when no error was found (see JsonParseOptions::keepTreeOnErrors).
// Thread-safe: the registry may be shared; the returned tree is owned by the caller.
Result<Element::Ptr> parseJson(std::string_view json, const DefinitionRegistry& registry,
                               const JsonParseOptions& options = {});

struct JsonWriteOptions {
  bool pretty = false;  // two-space indentation
};

// Writes canonical FHIR JSON: resourceType first, children in tree order (definition order for
// parsed trees), no empty objects or arrays, primitive extensions in `_name` with nulls aligned
// in arrays, numbers and booleans unquoted by their FHIR type. Never fails.
std::string writeJson(const Element& element, const JsonWriteOptions& options = {});

}  // namespace notebridge::fhir

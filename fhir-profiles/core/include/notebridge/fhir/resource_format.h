#pragma once

#include <string>
#include <string_view>

#include "notebridge/fhir/definitions.h"
#include "notebridge/fhir/element.h"
#include "notebridge/fhir/json_format.h"
#include "notebridge/fhir/outcome.h"
#include "notebridge/fhir/xml_format.h"

namespace notebridge::fhir {

enum class ResourceFormat : std::uint8_t { kUnknown, kJson, kXml };

// "json", "xml", "unknown".
std::string_view toString(ResourceFormat format);

// Guesses the format from the content: the first non-blank character after an optional UTF-8
// byte-order mark ('{' JSON, '<' XML).
ResourceFormat detectFormat(std::string_view text);

// Parses JSON or XML, detected from the content, with the default limits. A fatal
// "structure" issue when the format cannot be told.
Result<Element::Ptr> parseResource(std::string_view text, const DefinitionRegistry& registry);

// Writes the tree in the given format (kUnknown writes JSON).
std::string writeResource(const Element& element, ResourceFormat format, bool pretty = false);

}  // namespace notebridge::fhir

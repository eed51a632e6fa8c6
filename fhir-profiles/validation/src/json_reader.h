#pragma once

#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "notebridge/fhir/element.h"
#include "notebridge/fhir/outcome.h"

// Private to the validation library: RapidJSON never appears in a public header.
namespace notebridge::validation::detail {

// Parse flags used for every FHIR JSON document: numbers stay text (1.50 stays 1.50), and the
// iterative parser bounds stack use on deeply nested input.
constexpr unsigned kParseFlags = rapidjson::kParseNumbersAsStringsFlag |
                                 rapidjson::kParseIterativeFlag | rapidjson::kParseStopWhenDoneFlag;

// Builds an element tree from a JSON value without type information: objects with
// `resourceType` become resources, other objects complex nodes, scalars primitives (type left
// empty: the validator takes types from the definitions), `_name` siblings are merged into their
// primitives. `name` is the property name of the node.
fhir::Element::Ptr toElement(const rapidjson::Value& value, std::string name);

// Parses a whole JSON resource. Errors (not JSON, not an object, no resourceType) are fatal
// issues in the outcome.
fhir::Result<fhir::Element::Ptr> parseJsonResource(std::string_view text);

// Convenience accessors over RapidJSON objects.
std::string_view stringMember(const rapidjson::Value& object, const char* name);
const rapidjson::Value* member(const rapidjson::Value& object, const char* name);

}  // namespace notebridge::validation::detail

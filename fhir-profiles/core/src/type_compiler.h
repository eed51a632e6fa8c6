#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "notebridge/fhir/definitions.h"

namespace notebridge::fhir {

// Compiles one StructureDefinition (its JSON text) into a TypeInfo with its backbone types.
// Null when the text is not a StructureDefinition with a snapshot.
class TypeCompiler {
 public:
  static std::unique_ptr<TypeInfo> compile(std::string_view json, const DefinitionRegistry& owner);
};

}  // namespace notebridge::fhir

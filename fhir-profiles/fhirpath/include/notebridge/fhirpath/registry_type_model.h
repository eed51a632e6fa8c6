#pragma once

#include <memory>

#include "notebridge/fhir/definitions.h"
#include "notebridge/fhirpath/evaluation_context.h"

namespace notebridge::fhirpath {

// The TypeModel the evaluator uses with real definitions: type ancestry, known types and
// properties come from a DefinitionRegistry (R4 core plus whatever it loaded). Holds the registry
// alive; thread-safe like the registry.
class RegistryTypeModel final : public TypeModel {
 public:
  explicit RegistryTypeModel(std::shared_ptr<const fhir::DefinitionRegistry> registry);

  bool isSubtypeOf(std::string_view type, std::string_view base) const override;
  bool isKnownType(std::string_view type) const override;
  std::optional<bool> hasProperty(const fhir::Element& node, std::string_view name) const override;
  std::optional<bool> typeHasProperty(std::string_view type, std::string_view name) const override;

  const fhir::DefinitionRegistry& registry() const { return *registry_; }

 private:
  std::shared_ptr<const fhir::DefinitionRegistry> registry_;
};

}  // namespace notebridge::fhirpath

#include "notebridge/fhirpath/registry_type_model.h"

namespace notebridge::fhirpath {

RegistryTypeModel::RegistryTypeModel(std::shared_ptr<const fhir::DefinitionRegistry> registry)
    : registry_(std::move(registry)) {}

bool RegistryTypeModel::isSubtypeOf(std::string_view type, std::string_view base) const {
  if (type == base) return true;
  return registry_->isSubtypeOf(type, base);
}

bool RegistryTypeModel::isKnownType(std::string_view type) const {
  return registry_->findType(type) != nullptr;
}

std::optional<bool> RegistryTypeModel::hasProperty(const fhir::Element& node,
                                                   std::string_view name) const {
  const fhir::TypeInfo* type = nullptr;
  if (const fhir::PropertyInfo* p = node.property(); p && !node.isResource()) {
    type = p->resolveType(node.type());
  }
  if (!type) type = registry_->findType(node.type());
  if (!type) return std::nullopt;
  return type->property(name) != nullptr;
}

std::optional<bool> RegistryTypeModel::typeHasProperty(std::string_view type,
                                                       std::string_view name) const {
  auto dot = type.find('.');
  if (dot != std::string_view::npos && (type.substr(0, dot) == "FHIR" || type.substr(0, dot) == "System"))
    type = type.substr(dot + 1);
  const fhir::TypeInfo* info = registry_->findType(type);
  if (!info) return std::nullopt;
  return info->property(name) != nullptr;
}

}  // namespace notebridge::fhirpath

#pragma once

#include <memory>
#include <stdexcept>

#include "notebridge/fhir/definitions.h"
#include "notebridge/validation/standard_definitions.h"
#include "notebridge/validation/validator.h"

namespace notebridge::testing {

// The R4 core and our own definitions, loaded once per test program and shared (read-only).
inline std::shared_ptr<const fhir::DefinitionRegistry> sharedRegistry() {
  static const std::shared_ptr<const fhir::DefinitionRegistry> kRegistry = [] {
    auto loaded = fhir::DefinitionRegistry::load(fhir::RegistryOptions{});
    if (!loaded) throw std::runtime_error("cannot load the FHIR definitions");
    return *loaded;
  }();
  return kRegistry;
}

// A validator over the R4 core and our own definitions, built once per test program.
inline std::shared_ptr<const validation::Validator> sharedValidator() {
  static const std::shared_ptr<const validation::Validator> kValidator = [] {
    auto store = validation::loadStandardDefinitions();
    if (!store) throw std::runtime_error("cannot load the validation definitions");
    return std::make_shared<const validation::Validator>(*store);
  }();
  return kValidator;
}

}  // namespace notebridge::testing

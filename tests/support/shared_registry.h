#pragma once

#include <memory>
#include <stdexcept>

#include "notebridge/fhir/definitions.h"

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

}  // namespace notebridge::testing

#pragma once

#include <boost/test/unit_test.hpp>
#include <memory>
#include <stdexcept>
#include <string>

#include "notebridge/fhir/definitions.h"
#include "notebridge/fhir/json_format.h"
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

// A resource parsed from JSON against the shared definitions; the test stops if it does not
// parse.
inline fhir::Element::Ptr parseResource(const std::string& json) {
  auto tree = fhir::parseJson(json, *sharedRegistry());
  BOOST_REQUIRE(tree.ok());
  return std::move(*tree);
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

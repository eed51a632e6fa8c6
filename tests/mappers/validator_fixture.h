#pragma once

#include <memory>
#include <string>

#include "notebridge/fhir/outcome.h"
#include "notebridge/validation/fhirpath_invariants.h"
#include "notebridge/validation/standard_definitions.h"
#include "notebridge/validation/validator.h"

namespace notebridge::mappers::testing {

// One validator (R4 core + our profiles, FHIRPath invariants) for the whole test program.
struct ValidatorFixture {
  std::shared_ptr<validation::ConformanceStore> store;
  std::unique_ptr<validation::Validator> validator;
  std::shared_ptr<validation::FhirPathInvariants> invariants;

  static ValidatorFixture& get() {
    static ValidatorFixture fixture;
    return fixture;
  }

 private:
  ValidatorFixture() {
    auto loaded = validation::loadStandardDefinitions();
    if (!loaded) return;
    store = *loaded;
    auto probe = std::make_unique<validation::Validator>(store);
    invariants = std::make_shared<validation::FhirPathInvariants>(&probe->terminology());
    validator = std::make_unique<validation::Validator>(store, invariants);
  }
};

// Errors only, one per line with their path (warnings such as unloaded US Core profiles named
// in meta.profile are left out).
inline std::string errorsOf(const fhir::Outcome& outcome) {
  std::string out;
  for (const auto& i : outcome.issues()) {
    if (i.severity >= fhir::Severity::kError) out += i.expression + ": " + i.diagnostics + "\n";
  }
  return out;
}

}  // namespace notebridge::mappers::testing

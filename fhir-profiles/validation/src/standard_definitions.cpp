#include "notebridge/validation/standard_definitions.h"

#include <cstdlib>

namespace notebridge::validation {

std::filesystem::path r4DefinitionsDir() {
  if (const char* dir = std::getenv("NOTEBRIDGE_R4_DEFINITIONS"); dir && *dir) return dir;
  return NOTEBRIDGE_R4_DEFINITIONS_DIR;
}

std::filesystem::path ownDefinitionsDir() {
  if (const char* dir = std::getenv("NOTEBRIDGE_OWN_DEFINITIONS"); dir && *dir) return dir;
  return NOTEBRIDGE_OWN_DEFINITIONS_DIR;
}

fhir::Result<std::shared_ptr<ConformanceStore>> loadStandardDefinitions() {
  auto store = std::make_shared<ConformanceStore>();
  fhir::Outcome outcome = store->loadR4Core(r4DefinitionsDir());
  outcome.append(store->loadDirectory(ownDefinitionsDir()));
  if (outcome.hasErrors()) return outcome;
  return {std::move(store), std::move(outcome)};
}

}  // namespace notebridge::validation

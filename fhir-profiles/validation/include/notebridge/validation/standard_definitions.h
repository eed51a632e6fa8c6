#pragma once

#include <filesystem>
#include <memory>

#include "notebridge/fhir/outcome.h"
#include "notebridge/validation/conformance_store.h"

namespace notebridge::validation {

// The folder of the R4 core definitions: $NOTEBRIDGE_R4_DEFINITIONS when set, else the one the
// build unpacked.
std::filesystem::path r4DefinitionsDir();
// The folder of NoteBridge's own profiles: $NOTEBRIDGE_OWN_DEFINITIONS when set, else
// fhir-profiles/definitions of the source tree.
std::filesystem::path ownDefinitionsDir();

// A store with the R4 core definitions and our own profiles, value sets and code systems.
// Problems (a missing folder) are fatal issues in the result. Call once at start-up and share
// the store: loading takes a few hundred milliseconds.
fhir::Result<std::shared_ptr<ConformanceStore>> loadStandardDefinitions();

}  // namespace notebridge::validation

#pragma once

#include <vector>

#include "notebridge/fhir/outcome.h"
#include "notebridge/validation/structure_definition.h"

namespace notebridge::validation {

class ConformanceStore;

// Builds the snapshot of `profile` by applying its differential to the snapshot of `base`
// (https://hl7.org/fhir/R4/profiling.html#snapshot): elements are matched by id, constraints
// are added to the inherited ones, other properties replace the base's; a slice copies the
// sliced element (and its children) before its own changes; constraining inside a datatype
// that the base does not expand (e.g. `content.attachment.contentType`) expands it from the
// type's definition found in `store`; `value[x]:valueQuantity` and `valueQuantity` narrow a
// choice. Differential elements that match nothing are reported as errors and skipped.
// Pure: thread-safe as long as the store is.
fhir::Result<std::vector<ElementDefinition>> generateSnapshot(const StructureDefinition& profile,
                                                              const StructureDefinition& base,
                                                              const ConformanceStore& store);

}  // namespace notebridge::validation

#pragma once

#include <string>
#include <string_view>

#include "notebridge/fhir/outcome.h"

namespace notebridge::gateway {

// The FHIR transaction Bundle POST /notes maps a note to, as JSON, rebuilt from the note's
// canonical JSON (NoteRecord::noteJson): mappers::parseNote, mappers::noteToFhir and
// fhir::writeJson, which are pure and deterministic, so the text is byte for byte the one
// made when the note was accepted. The store keeps only the note and calls this where the
// Bundle is read. Errors (a note the mapper no longer accepts) come back as issues.
// Thread-safe.
fhir::Result<std::string> noteBundleJson(std::string_view noteJson);

}  // namespace notebridge::gateway

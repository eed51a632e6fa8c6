#pragma once

#include <string_view>

#include "notebridge/fhir/element.h"
#include "notebridge/fhir/outcome.h"

namespace notebridge::validation {

// Reads a FHIR JSON resource into an element tree for validation. Node types are left to the
// validator (it takes them from the definitions); numbers keep their text; `_name` siblings
// are merged into their primitives; no line/column information. A stopgap until the core
// JSON codec (issue 3) is merged, after which it delegates to it. Errors (not JSON, no
// resourceType) are fatal issues. Thread-safe.
fhir::Result<fhir::Element::Ptr> parseJsonResource(std::string_view json);

}  // namespace notebridge::validation

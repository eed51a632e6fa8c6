#pragma once

#include <optional>
#include <string_view>

#include "notebridge/fhir/element.h"

namespace notebridge::validation::detail {

// Invariants of the shape "A.f() or B.g()" (f and g each empty() or exists(); A and B
// lower-case element names), common in R4: qty-3 "code.empty() or system.exists()" on every
// Quantity, att-1, obs-6, enc-? "type.exists() or actor.exists()"... answered from the focus's
// children as FHIRPath navigation sees them (a child is an A when its baseName() is A). Gives
// nothing when the expression has another shape, or when the engine would not simply navigate
// (a child named exactly A or B that is a choice element, or a focus whose type is A or B): the
// caller then asks the FHIRPath engine.
std::optional<bool> childTestsHold(std::string_view expression, const fhir::Element& focus);

}  // namespace notebridge::validation::detail

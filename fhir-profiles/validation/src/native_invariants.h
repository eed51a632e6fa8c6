#pragma once

#include <memory>
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

// Invariants that combine child tests with "or", "and" and "implies", answered where one
// operand decides as FHIRPath's three-valued logic does, so the rest is never read: con-3
// "clinicalStatus.exists() or ..." on a Condition with a clinicalStatus; obs-7
// "value.empty() or component.code.where(...).empty()" on an Observation without components
// (navigation from an absent element, through further names, where() and select(), stays
// empty); app-3 "(start.exists() and end.exists()) or ..."; app-2
// "start.exists() = end.exists()"; app-4 "Appointment.cancelationReason.exists() implies ..."
// (a leading name of the focus's own type selects the focus) without a cancelationReason;
// ras-2 "probability.empty() or (... implies ...)" without a probability; drt-1
// "code.exists() implies ((system = %ucum) and value.exists())" on a UCUM Duration. Gives true
// when the expression certainly holds, and nothing otherwise (never false): the caller then
// asks the FHIRPath engine. An element counts as present only when a child has exactly that
// name and is not a choice element, and as absent only when no child's name starts with it and
// the focus's type is not that name (the engine's navigation and type selection could differ
// otherwise). parseLogic reads the expression once (null when no focus could ever get an
// answer); logicHolds(tree, focus) answers from it.
struct LogicTree;
std::shared_ptr<const LogicTree> parseLogic(std::string_view expression);
std::optional<bool> logicHolds(const LogicTree& tree, const fhir::Element& focus);
// parseLogic and logicHolds in one (tests).
std::optional<bool> logicHolds(std::string_view expression, const fhir::Element& focus);

// per-1 on a Period, "start.hasValue().not() or end.hasValue().not() or (start <= end)", on
// every Period a note maps (a third of the invariants the FHIRPath engine evaluated per note).
// Answered only where the engine's verdict is certain: a missing start or end (or one without
// a value) holds; two valid dates or dateTimes of the same precision written with the same
// time zone compare as text. Anything else (different precisions, time zones, more than three
// fraction digits, a leap second, more than one start or end) gives nothing: the caller asks
// the engine.
std::optional<bool> periodOrderHolds(const fhir::Element& focus);

// The expression periodOrderHolds answers.
inline constexpr std::string_view kPeriodOrderExpression =
    "start.hasValue().not() or end.hasValue().not() or (start <= end)";

}  // namespace notebridge::validation::detail

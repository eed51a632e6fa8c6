#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "notebridge/fhirpath/value.h"

// Equality, equivalence, ordering and conversions of FHIRPath items
// (https://hl7.org/fhirpath/N1/#equality, #comparison, #conversion). Errors are thrown as
// detail::EvalError (see evaluator.h) and caught by Expression::evaluate.
namespace notebridge::fhirpath::detail {

// `=` of two items; nullopt when the answer is unknown (date precision, incomparable units).
std::optional<bool> itemsEqual(const Item& a, const Item& b);
// `~` of two items.
bool itemsEquivalent(const Item& a, const Item& b);
// `=` and `~` of two collections (empty operand: nullopt for `=`).
std::optional<bool> collectionsEqual(const Collection& a, const Collection& b);
bool collectionsEquivalent(const Collection& a, const Collection& b);
// Order of two single items for < <= > >=; nullopt when unknown; throws when not comparable.
std::optional<int> compareItems(const Item& a, const Item& b);
// True when some item of `c` equals `item`.
bool containsItem(const Collection& c, const Item& item);
// Items with duplicates (by equality) removed, first occurrence kept. Simple values are hashed;
// complex items are compared pairwise, and more than `maxComparisons` such comparisons throw.
Collection distinctItems(const Collection& c, std::uint64_t maxComparisons = UINT64_MAX);

// Conversion functions; nullopt when the item does not convert.
std::optional<Value> convertToBoolean(const Item& item);
std::optional<Value> convertToInteger(const Item& item);
std::optional<Value> convertToDecimal(const Item& item);
std::optional<Value> convertToString(const Item& item);
std::optional<Value> convertToQuantity(const Item& item);
std::optional<Value> convertToDate(const Item& item);
std::optional<Value> convertToDateTime(const Item& item);
std::optional<Value> convertToTime(const Item& item);

// The text of an item that is a String (a string-like FHIR primitive or a System String).
std::optional<std::string> stringOf(const Item& item);

}  // namespace notebridge::fhirpath::detail

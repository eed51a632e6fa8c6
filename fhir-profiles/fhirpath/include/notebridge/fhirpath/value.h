#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "notebridge/fhir/element.h"
#include "notebridge/fhirpath/date_time_value.h"
#include "notebridge/fhirpath/decimal.h"
#include "notebridge/fhirpath/quantity.h"

namespace notebridge::fhirpath {

// A System value (https://hl7.org/fhirpath/N1/#literals): Boolean, Integer, Decimal, String,
// Date/DateTime/Time (by DateTimeValue::kind) or Quantity.
using Value = std::variant<bool, std::int64_t, Decimal, std::string, DateTimeValue, Quantity>;

// The System type name of a value ("Boolean", "Integer", "DateTime", ...).
std::string_view systemTypeName(const Value& value);
// The FHIRPath literal text of a value ("'abc'" is written abc; dates without '@').
std::string valueToString(const Value& value);

// One item of a FHIRPath collection: a node of the element tree (not owned: the tree must outlive
// the collection) or a System value (shared, immutable). Copying is cheap.
class Item {
 public:
  Item(const fhir::Element* node) : node_(node) {}  // NOLINT: implicit by design
  Item(Value value) : value_(std::make_shared<const Value>(std::move(value))) {}  // NOLINT
  explicit Item(std::shared_ptr<const Value> value) : value_(std::move(value)) {}

  bool isNode() const { return node_ != nullptr; }
  const fhir::Element* node() const { return node_; }
  // The System value, or null for a node (see toValue() for a primitive node's value).
  const Value* value() const { return value_.get(); }
  const std::shared_ptr<const Value>& sharedValue() const { return value_; }

  // The System value of this item: the value itself, a primitive node's value converted by its
  // FHIR type (https://hl7.org/fhir/R4/fhirpath.html#types), or a Quantity node as a Quantity.
  // nullopt for other nodes and for primitives without a value.
  std::optional<Value> toValue() const;

  // "FHIR.<type>" for a node, "System.<type>" for a value.
  std::string qualifiedTypeName() const;
  // The type name without namespace ("Patient", "string", "Integer").
  std::string typeName() const;

 private:
  const fhir::Element* node_ = nullptr;
  std::shared_ptr<const Value> value_;
};

// A FHIRPath collection: ordered, possibly empty.
using Collection = std::vector<Item>;

// The System value of a FHIR primitive given its type code and text; nullopt when the text does
// not parse or the type is not primitive.
std::optional<Value> primitiveToValue(std::string_view fhirType, std::string_view text);

}  // namespace notebridge::fhirpath

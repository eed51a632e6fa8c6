#include "notebridge/fhirpath/value.h"

namespace notebridge::fhirpath {

std::string_view systemTypeName(const Value& value) {
  switch (value.index()) {
    case 0:
      return "Boolean";
    case 1:
      return "Integer";
    case 2:
      return "Decimal";
    case 3:
      return "String";
    case 4:
      switch (std::get<DateTimeValue>(value).kind()) {
        case DateTimeValue::Kind::kDate:
          return "Date";
        case DateTimeValue::Kind::kDateTime:
          return "DateTime";
        case DateTimeValue::Kind::kTime:
          return "Time";
      }
      return "DateTime";
    default:
      return "Quantity";
  }
}

std::string valueToString(const Value& value) {
  switch (value.index()) {
    case 0:
      return std::get<bool>(value) ? "true" : "false";
    case 1:
      return std::to_string(std::get<std::int64_t>(value));
    case 2:
      return std::get<Decimal>(value).toString();
    case 3:
      return std::get<std::string>(value);
    case 4:
      return std::get<DateTimeValue>(value).toString();
    default:
      return std::get<Quantity>(value).toString();
  }
}

std::optional<Value> primitiveToValue(std::string_view type, std::string_view text) {
  if (type == "boolean") {
    if (text == "true") return Value(true);
    if (text == "false") return Value(false);
    return std::nullopt;
  }
  if (type == "integer" || type == "positiveInt" || type == "unsignedInt" ||
      type == "integer64") {
    auto d = Decimal::parse(text);
    std::int64_t i;
    if (!d || d->scale() != 0 || !d->toInteger(i)) return std::nullopt;
    return Value(i);
  }
  if (type == "decimal") {
    auto d = Decimal::parse(text);
    if (!d) return std::nullopt;
    return Value(*d);
  }
  if (type == "date") {
    auto d = DateTimeValue::parse(text, DateTimeValue::Kind::kDate);
    if (!d) return std::nullopt;
    return Value(*d);
  }
  if (type == "dateTime" || type == "instant") {
    auto d = DateTimeValue::parse(text, DateTimeValue::Kind::kDateTime);
    if (!d) return std::nullopt;
    return Value(*d);
  }
  if (type == "time") {
    auto d = DateTimeValue::parse(text, DateTimeValue::Kind::kTime);
    if (!d) return std::nullopt;
    return Value(*d);
  }
  // string, code, id, uri, url, canonical, oid, uuid, markdown, base64Binary, xhtml
  return Value(std::string(text));
}

std::optional<Value> Item::toValue() const {
  if (value_) return *value_;
  if (!node_) return std::nullopt;
  if (node_->isPrimitive()) {
    if (!node_->hasValue()) return std::nullopt;
    return primitiveToValue(node_->type(), node_->value());
  }
  const std::string& type = node_->type();
  if (type == "Quantity" || type == "Age" || type == "Duration" || type == "Distance" ||
      type == "Count" || type == "SimpleQuantity" || type == "MoneyQuantity") {
    auto v = Decimal::parse(node_->childValue("value"));
    if (!v) return std::nullopt;
    std::string_view code = node_->childValue("code");
    std::string_view system = node_->childValue("system");
    std::string unit;
    if (!code.empty() && (system.empty() || system == "http://unitsofmeasure.org")) {
      unit = std::string(code);
    } else if (auto cal = Quantity::calendarKeyword(node_->childValue("unit"))) {
      unit = *cal;
    } else if (!code.empty()) {
      unit = std::string(code);
    } else {
      unit = std::string(node_->childValue("unit"));
    }
    return Value(Quantity(*v, unit));
  }
  return std::nullopt;
}

std::string Item::typeName() const {
  if (node_) return node_->type();
  return std::string(systemTypeName(*value_));
}

std::string Item::qualifiedTypeName() const {
  return (node_ ? "FHIR." : "System.") + typeName();
}

}  // namespace notebridge::fhirpath

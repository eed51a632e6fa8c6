#pragma once

#include <rapidjson/document.h>

#include <string>
#include <string_view>

#include "notebridge/fhir/element.h"

// Test-only: FHIR JSON to an Element tree without definitions (resources typed by resourceType,
// other nodes untyped, choice names detected by a known-suffix list). Enough to feed foreign
// FHIR to fhirToNote before the core JSON parser is merged; not a FHIR parser.
namespace notebridge::mappers::testing {

inline void addJson(fhir::Element& parent, const std::string& name, const rapidjson::Value& v,
                    bool repeating) {
  using fhir::Element;
  if (v.IsArray()) {
    for (const auto& item : v.GetArray()) addJson(parent, name, item, true);
    return;
  }
  Element::Ptr node;
  if (v.IsObject()) {
    if (v.HasMember("resourceType")) {
      node = Element::makeResource(name, v["resourceType"].GetString());
    } else {
      node = Element::makeComplex(name, "Element");
    }
    for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
      const std::string key = it->name.GetString();
      if (key == "resourceType") continue;
      addJson(*node, key, it->value, false);
    }
  } else if (v.IsString()) {
    node = Element::makePrimitive(name, "string", v.GetString());
  } else if (v.IsBool()) {
    node = Element::makePrimitive(name, "boolean", v.GetBool() ? "true" : "false");
  } else if (v.IsInt64()) {
    node = Element::makePrimitive(name, "integer", std::to_string(v.GetInt64()));
  } else if (v.IsNumber()) {
    node = Element::makePrimitive(name, "decimal", std::to_string(v.GetDouble()));
  } else {
    return;
  }
  for (std::string_view suffix : {"Quantity", "Integer", "Decimal", "String", "CodeableConcept",
                                  "DateTime", "Period", "Boolean", "Coding"}) {
    for (std::string_view base : {"value", "effective", "performed", "occurrence", "medication"}) {
      if (name == std::string(base) + std::string(suffix)) node->setChoiceBaseLength(base.size());
    }
  }
  parent.addChild(std::move(node), repeating);
}

inline fhir::Element::Ptr treeFromJson(std::string_view json) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("resourceType")) return nullptr;
  auto root = fhir::Element::makeResource(doc["resourceType"].GetString());
  for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it) {
    const std::string key = it->name.GetString();
    if (key != "resourceType") addJson(*root, key, it->value, false);
  }
  return root;
}

}  // namespace notebridge::mappers::testing

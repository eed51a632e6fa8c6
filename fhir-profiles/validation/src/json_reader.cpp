#include "json_reader.h"

#include "notebridge/validation/json_input.h"

#include <rapidjson/error/en.h>

namespace notebridge::validation::detail {
namespace {

using fhir::Element;

std::string scalarText(const rapidjson::Value& value) {
  if (value.IsString()) return std::string(value.GetString(), value.GetStringLength());
  if (value.IsBool()) return value.GetBool() ? "true" : "false";
  return {};
}

// Adds the id and extension children that JSON keeps in a `_name` sibling object.
void mergeUnderscore(Element& primitive, const rapidjson::Value& extra) {
  if (!extra.IsObject()) return;
  for (auto it = extra.MemberBegin(); it != extra.MemberEnd(); ++it) {
    std::string childName(it->name.GetString(), it->name.GetStringLength());
    if (it->value.IsArray()) {
      for (const auto& item : it->value.GetArray()) {
        primitive.addChild(toElement(item, childName), true);
      }
    } else {
      primitive.addChild(toElement(it->value, childName), false);
    }
  }
}

Element::Ptr primitiveFrom(const rapidjson::Value* value, const rapidjson::Value* extra,
                           const std::string& name) {
  Element::Ptr node = (value && !value->IsNull())
                          ? Element::makePrimitive(name, "", scalarText(*value))
                          : Element::makePrimitiveWithoutValue(name, "");
  if (extra) mergeUnderscore(*node, *extra);
  return node;
}

void addMembers(Element& parent, const rapidjson::Value& object) {
  for (auto it = object.MemberBegin(); it != object.MemberEnd(); ++it) {
    const std::string_view key(it->name.GetString(), it->name.GetStringLength());
    if (key == "resourceType") continue;
    if (!key.empty() && key.front() == '_') {
      // Only an orphan `_name` (no `name` sibling) makes its own primitive.
      const std::string base(key.substr(1));
      if (object.HasMember(base.c_str())) continue;
      if (it->value.IsArray()) {
        for (const auto& item : it->value.GetArray()) {
          parent.addChild(primitiveFrom(nullptr, &item, base), true);
        }
      } else {
        parent.addChild(primitiveFrom(nullptr, &it->value, base), false);
      }
      continue;
    }
    std::string name(key);
    const std::string underscore = "_" + name;
    const rapidjson::Value* extra =
        object.HasMember(underscore.c_str()) ? &object[underscore.c_str()] : nullptr;
    const rapidjson::Value& value = it->value;
    if (value.IsArray()) {
      rapidjson::SizeType index = 0;
      for (const auto& item : value.GetArray()) {
        const rapidjson::Value* itemExtra = nullptr;
        if (extra && extra->IsArray() && index < extra->Size()) itemExtra = &(*extra)[index];
        if (item.IsObject()) {
          parent.addChild(toElement(item, name), true);
        } else {
          parent.addChild(primitiveFrom(&item, itemExtra, name), true);
        }
        ++index;
      }
    } else if (value.IsObject()) {
      parent.addChild(toElement(value, name), false);
    } else {
      parent.addChild(primitiveFrom(&value, extra, name), false);
    }
  }
}

}  // namespace

std::string_view stringMember(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return {};
  auto it = object.FindMember(name);
  if (it == object.MemberEnd() || !it->value.IsString()) return {};
  return {it->value.GetString(), it->value.GetStringLength()};
}

const rapidjson::Value* member(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(name);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

Element::Ptr toElement(const rapidjson::Value& value, std::string name) {
  if (value.IsObject()) {
    const std::string_view resourceType = stringMember(value, "resourceType");
    Element::Ptr node = resourceType.empty()
                            ? Element::makeComplex(std::move(name), "")
                            : Element::makeResource(std::move(name), std::string(resourceType));
    addMembers(*node, value);
    return node;
  }
  if (value.IsArray()) {
    // Arrays are handled by the caller; a stray nested array becomes an empty complex node.
    return Element::makeComplex(std::move(name), "");
  }
  return primitiveFrom(&value, nullptr, name);
}

fhir::Result<Element::Ptr> parseJsonResource(std::string_view text) {
  rapidjson::Document document;
  document.Parse<kParseFlags>(text.data(), text.size());
  if (document.HasParseError()) {
    return fhir::Result<Element::Ptr>::failure(
        fhir::Severity::kFatal, "structure",
        std::string("Invalid JSON at offset ") + std::to_string(document.GetErrorOffset()) + ": " +
            rapidjson::GetParseError_En(document.GetParseError()));
  }
  if (!document.IsObject()) {
    return fhir::Result<Element::Ptr>::failure(fhir::Severity::kFatal, "structure",
                                               "The JSON document is not an object");
  }
  const std::string_view resourceType = stringMember(document, "resourceType");
  if (resourceType.empty()) {
    return fhir::Result<Element::Ptr>::failure(fhir::Severity::kFatal, "structure",
                                               "The JSON object has no resourceType");
  }
  return toElement(document, std::string(resourceType));
}

}  // namespace notebridge::validation::detail

namespace notebridge::validation {

fhir::Result<fhir::Element::Ptr> parseJsonResource(std::string_view json) {
  return detail::parseJsonResource(json);
}

}  // namespace notebridge::validation

#include "type_compiler.h"

#include <rapidjson/document.h>

#include <cctype>
#include <charconv>
#include <unordered_map>

namespace notebridge::fhir {

namespace {

using Json = rapidjson::Value;

std::string str(const Json& object, const char* key) {
  if (!object.IsObject()) return {};
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsString()) return {};
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

bool boolean(const Json& object, const char* key) {
  auto it = object.FindMember(key);
  return it != object.MemberEnd() && it->value.IsBool() && it->value.GetBool();
}

std::string lastSegment(const std::string& url) {
  auto slash = url.rfind('/');
  return slash == std::string::npos ? url : url.substr(slash + 1);
}

// Element types in R4 snapshots use FHIRPath system types for the values of primitives and for
// Element.id / Extension.url; the real FHIR type is in the structuredefinition-fhir-type
// extension (https://hl7.org/fhir/R4/extension-structuredefinition-fhir-type.html).
std::string typeCodeOf(const Json& type) {
  std::string code = str(type, "code");
  if (code.rfind("http://hl7.org/fhirpath/System.", 0) != 0) return code;
  auto ext = type.FindMember("extension");
  if (ext != type.MemberEnd() && ext->value.IsArray()) {
    for (const Json& e : ext->value.GetArray()) {
      if (str(e, "url") ==
          "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type") {
        std::string v = str(e, "valueUrl");
        if (v.empty()) v = str(e, "valueUri");
        if (!v.empty()) return v;
      }
    }
  }
  std::string system = code.substr(31);
  if (system == "String") return "string";
  if (system == "Boolean") return "boolean";
  if (system == "Integer") return "integer";
  if (system == "Decimal") return "decimal";
  if (system == "Date") return "date";
  if (system == "DateTime") return "dateTime";
  if (system == "Time") return "time";
  return "string";
}

std::string regexOf(const Json& type) {
  auto ext = type.FindMember("extension");
  if (ext == type.MemberEnd() || !ext->value.IsArray()) return {};
  for (const Json& e : ext->value.GetArray()) {
    if (str(e, "url") == "http://hl7.org/fhir/StructureDefinition/regex") {
      return str(e, "valueString");
    }
  }
  return {};
}

JsonValueKind jsonKindOf(const std::string& type) {
  // https://hl7.org/fhir/R4/json.html#primitive: these are JSON numbers and booleans.
  if (type == "boolean") return JsonValueKind::kBoolean;
  if (type == "integer" || type == "positiveInt" || type == "unsignedInt") {
    return JsonValueKind::kInteger;
  }
  if (type == "decimal") return JsonValueKind::kNumber;
  return JsonValueKind::kString;
}

}  // namespace

std::unique_ptr<TypeInfo> TypeCompiler::compile(std::string_view json,
                                                const DefinitionRegistry& owner) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseNumbersAsStringsFlag>(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) return nullptr;
  if (str(doc, "resourceType") != "StructureDefinition") return nullptr;
  auto snapshot = doc.FindMember("snapshot");
  if (snapshot == doc.MemberEnd() || !snapshot->value.IsObject()) return nullptr;
  auto elements = snapshot->value.FindMember("element");
  if (elements == snapshot->value.MemberEnd() || !elements->value.IsArray() ||
      elements->value.Empty()) {
    return nullptr;
  }

  auto root = std::make_unique<TypeInfo>();
  root->registry_ = &owner;
  root->name_ = str(doc, "type");
  root->url_ = str(doc, "url");
  const std::string kind = str(doc, "kind");
  root->kind_ = kind == "primitive-type" ? TypeKind::kPrimitive
                : kind == "resource"     ? TypeKind::kResource
                : kind == "logical"      ? TypeKind::kLogical
                                         : TypeKind::kComplex;
  root->abstract_ = boolean(doc, "abstract");
  root->baseType_ = lastSegment(str(doc, "baseDefinition"));
  root->jsonKind_ = jsonKindOf(root->name_);

  std::unordered_map<std::string, TypeInfo*> containers;
  const auto& array = elements->value.GetArray();
  containers[str(array[0], "path")] = root.get();

  for (rapidjson::SizeType i = 1; i < array.Size(); ++i) {
    const Json& element = array[i];
    if (!element.IsObject() || element.HasMember("sliceName")) continue;
    const std::string path = str(element, "path");
    const auto dot = path.rfind('.');
    if (dot == std::string::npos) continue;
    auto parent = containers.find(path.substr(0, dot));
    if (parent == containers.end()) continue;
    TypeInfo* container = parent->second;
    std::string name = path.substr(dot + 1);

    auto types = element.FindMember("type");
    if (root->kind_ == TypeKind::kPrimitive && container == root.get() && name == "value") {
      // The primitive's own value: not a property, but its regex is useful to the validator.
      if (types != element.MemberEnd() && types->value.IsArray() && !types->value.Empty()) {
        root->regex_ = regexOf(types->value[0]);
      }
      continue;
    }

    auto property = std::make_unique<PropertyInfo>();
    PropertyInfo& p = *property;
    p.owner_ = container;
    p.path_ = path;
    p.elementId_ = str(element, "id");
    p.elementIndex_ = static_cast<int>(i);
    if (name.size() > 3 && name.compare(name.size() - 3, 3, "[x]") == 0) {
      p.isChoice_ = true;
      name.resize(name.size() - 3);
    }
    p.name_ = name;
    auto min = element.FindMember("min");
    if (min != element.MemberEnd() && min->value.IsString()) {
      std::string_view text(min->value.GetString(), min->value.GetStringLength());
      std::from_chars(text.data(), text.data() + text.size(), p.min_);
    }
    const std::string max = str(element, "max");
    if (max == "*") {
      p.max_ = -1;
    } else if (!max.empty()) {
      std::from_chars(max.data(), max.data() + max.size(), p.max_);
    }
    p.isModifier_ = boolean(element, "isModifier");
    p.isSummary_ = boolean(element, "isSummary");
    p.short_ = str(element, "short");
    auto representation = element.FindMember("representation");
    if (representation != element.MemberEnd() && representation->value.IsArray()) {
      for (const Json& r : representation->value.GetArray()) {
        if (r.IsString() && std::string_view(r.GetString()) == "xmlAttr") p.xmlAttribute_ = true;
      }
    }
    auto binding = element.FindMember("binding");
    if (binding != element.MemberEnd()) {
      p.binding_.strength = str(binding->value, "strength");
      p.binding_.valueSet = str(binding->value, "valueSet");
    }
    auto constraints = element.FindMember("constraint");
    if (constraints != element.MemberEnd() && constraints->value.IsArray()) {
      for (const Json& c : constraints->value.GetArray()) {
        p.constraints_.push_back(
            Constraint{str(c, "key"), str(c, "severity"), str(c, "human"), str(c, "expression")});
      }
    }

    const std::string reference = str(element, "contentReference");
    if (!reference.empty()) {
      p.contentReference_ = reference.substr(reference[0] == '#' ? 1 : 0);
      auto target = containers.find(p.contentReference_);
      if (target == containers.end()) continue;
      p.nested_ = target->second;
      p.types_.push_back(TypeRef{target->second->baseType_, {}, {}});
    } else if (types != element.MemberEnd() && types->value.IsArray()) {
      for (const Json& t : types->value.GetArray()) {
        TypeRef ref;
        ref.code = typeCodeOf(t);
        auto profiles = t.FindMember("profile");
        if (profiles != t.MemberEnd() && profiles->value.IsArray()) {
          for (const Json& v : profiles->value.GetArray()) {
            if (v.IsString()) ref.profiles.emplace_back(v.GetString(), v.GetStringLength());
          }
        }
        auto targets = t.FindMember("targetProfile");
        if (targets != t.MemberEnd() && targets->value.IsArray()) {
          for (const Json& v : targets->value.GetArray()) {
            if (v.IsString()) ref.targetProfiles.emplace_back(v.GetString(), v.GetStringLength());
          }
        }
        p.types_.push_back(std::move(ref));
      }
    }
    if (p.types_.empty()) continue;
    // https://hl7.org/fhir/R4/resource.html#id: the logical id is of type id, although the R4
    // snapshot marks it with fhir-type "string".
    if (container == root.get() && name == "id" && root->kind_ == TypeKind::kResource) {
      p.types_[0].code = "id";
    }
    if (!p.isChoice_ && (p.types_[0].code == "BackboneElement" || p.types_[0].code == "Element") &&
        p.contentReference_.empty()) {
      auto nested = std::make_unique<TypeInfo>();
      nested->registry_ = &owner;
      nested->name_ = path;
      nested->url_ = root->url_;
      nested->kind_ = TypeKind::kComplex;
      nested->backbone_ = true;
      nested->baseType_ = p.types_[0].code;
      p.nested_ = nested.get();
      containers[path] = nested.get();
      root->backbones_.push_back(std::move(nested));
    }

    p.order_ = static_cast<int>(container->properties_.size());
    if (p.isChoice_) {
      for (std::size_t t = 0; t < p.types_.size(); ++t) {
        std::string jsonName = name;
        const std::string& code = p.types_[t].code;
        if (!code.empty()) {
          jsonName += static_cast<char>(std::toupper(static_cast<unsigned char>(code[0])));
          jsonName.append(code, 1);
        }
        container->byJsonName_.emplace(std::move(jsonName), PropertyMatch{&p, static_cast<int>(t)});
      }
    } else {
      container->byJsonName_.emplace(name, PropertyMatch{&p, 0});
    }
    container->byName_.emplace(name, &p);
    p.resolved_ = std::make_unique<std::atomic<const TypeInfo*>[]>(p.types_.size());
    container->properties_.push_back(std::move(property));
  }
  root->buildJsonNameTable();
  for (auto& backbone : root->backbones_) backbone->buildJsonNameTable();
  return root;
}

}  // namespace notebridge::fhir

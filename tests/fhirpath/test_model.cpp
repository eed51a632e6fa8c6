#include "test_model.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <rapidjson/document.h>

#include <fstream>
#include <sstream>

namespace notebridge::testing {

namespace {

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string systemToFhir(std::string code) {
  const std::string prefix = "http://hl7.org/fhirpath/System.";
  if (code.rfind(prefix, 0) != 0) return code;
  std::string t = code.substr(prefix.size());
  if (t == "String") return "string";
  if (t == "Boolean") return "boolean";
  if (t == "Integer") return "integer";
  if (t == "Decimal") return "decimal";
  if (t == "Date") return "date";
  if (t == "DateTime") return "dateTime";
  if (t == "Time") return "time";
  return "string";
}

bool isPrimitiveType(const std::string& t) { return !t.empty() && t[0] >= 'a' && t[0] <= 'z'; }

std::string upperFirst(std::string s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

// Where a child's own properties are described: its datatype, or its own path for a backbone.
std::string childTypePath(const std::string& parentPath, std::string_view name,
                          const TestModel::Property& prop, const std::string& type,
                          std::size_t choiceBase) {
  if (!prop.contentReference.empty()) return prop.contentReference;
  if (type == "BackboneElement" || type == "Element") {
    return parentPath + "." + std::string(choiceBase ? name.substr(0, choiceBase) : name);
  }
  return type;
}

}  // namespace

std::unique_ptr<TestModel> TestModel::load(const std::filesystem::path& r4Dir, std::string& error) {
  auto model = std::make_unique<TestModel>();
  for (const char* file : {"profiles-types.json", "profiles-resources.json"}) {
    std::string text = slurp(r4Dir / file);
    rapidjson::Document doc;
    doc.Parse(text.c_str(), text.size());
    if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("entry")) {
      error = std::string("cannot read ") + file;
      return nullptr;
    }
    for (const auto& entry : doc["entry"].GetArray()) {
      if (!entry.HasMember("resource")) continue;
      const auto& sd = entry["resource"];
      if (!sd.HasMember("resourceType") || std::string(sd["resourceType"].GetString()) != "StructureDefinition")
        continue;
      if (sd.HasMember("derivation") && std::string(sd["derivation"].GetString()) != "specialization")
        continue;
      std::string type = sd["type"].GetString();
      if (sd.HasMember("baseDefinition")) {
        std::string base = sd["baseDefinition"].GetString();
        model->base_[type] = base.substr(base.rfind('/') + 1);
      } else {
        model->base_[type] = "";
      }
      if (!sd.HasMember("snapshot")) continue;
      for (const auto& el : sd["snapshot"]["element"].GetArray()) {
        std::string path = el["path"].GetString();
        Property prop;
        if (el.HasMember("type")) {
          for (const auto& t : el["type"].GetArray()) {
            if (t.HasMember("code")) prop.types.push_back(systemToFhir(t["code"].GetString()));
          }
        }
        if (el.HasMember("contentReference")) {
          std::string ref = el["contentReference"].GetString();
          prop.contentReference = ref.substr(ref.find('#') + 1);
          prop.types = {"BackboneElement"};
        }
        if (el.HasMember("max")) prop.repeating = std::string(el["max"].GetString()) != "1" &&
                                                  std::string(el["max"].GetString()) != "0";
        if (el.HasMember("constraint")) {
          for (const auto& c : el["constraint"].GetArray()) {
            if (!c.HasMember("expression")) continue;
            model->invariants_.push_back(Invariant{type, path, c["key"].GetString(),
                                                   c["expression"].GetString()});
          }
        }
        model->elements_.emplace(std::move(path), std::move(prop));
      }
    }
  }
  return model;
}

bool TestModel::isSubtypeOf(std::string_view type, std::string_view base) const {
  std::string current(type);
  for (int guard = 0; guard < 10 && !current.empty(); ++guard) {
    if (current == base) return true;
    auto it = base_.find(current);
    if (it == base_.end()) return false;
    current = it->second;
  }
  return false;
}

bool TestModel::isKnownType(std::string_view type) const {
  return base_.count(std::string(type)) != 0;
}

std::string TestModel::typePathOf(const fhir::Element& node) const {
  if (node.isResource() || !node.parent() || node.type() != "BackboneElement") return node.type();
  std::string parentPath = typePathOf(*node.parent());
  std::string type;
  std::size_t choiceBase;
  const Property* prop = findProperty(parentPath, node.name(), type, choiceBase);
  if (!prop) return node.type();
  return childTypePath(parentPath, node.name(), *prop, type, choiceBase);
}

std::optional<bool> TestModel::hasProperty(const fhir::Element& node, std::string_view name) const {
  std::string path = typePathOf(node);
  if (path == "BackboneElement") return std::nullopt;
  std::string prefix = path + "." + std::string(name);
  return elements_.count(prefix) != 0 || elements_.count(prefix + "[x]") != 0;
}

const TestModel::Property* TestModel::findProperty(const std::string& typePath,
                                                   std::string_view name, std::string& type,
                                                   std::size_t& choiceBase) const {
  choiceBase = 0;
  auto it = elements_.find(typePath + "." + std::string(name));
  if (it != elements_.end() && !it->second.types.empty()) {
    type = it->second.types[0];
    return &it->second;
  }
  for (std::size_t i = name.size(); i > 0; --i) {
    auto c = elements_.find(typePath + "." + std::string(name.substr(0, i)) + "[x]");
    if (c == elements_.end()) continue;
    std::string suffix(name.substr(i));
    for (const std::string& t : c->second.types) {
      if (upperFirst(t) == suffix) {
        type = t;
        choiceBase = i;
        return &c->second;
      }
    }
  }
  return nullptr;
}

// ---- XML ----

namespace {

std::string attr(xmlNode* node, const char* name) {
  xmlChar* v = xmlGetProp(node, reinterpret_cast<const xmlChar*>(name));
  if (!v) return {};
  std::string out(reinterpret_cast<const char*>(v));
  xmlFree(v);
  return out;
}

bool hasAttr(xmlNode* node, const char* name) {
  return xmlHasProp(node, reinterpret_cast<const xmlChar*>(name)) != nullptr;
}

std::string dump(xmlNode* node) {
  xmlBufferPtr buffer = xmlBufferCreate();
  xmlNodeDump(buffer, node->doc, node, 0, 0);
  std::string out(reinterpret_cast<const char*>(xmlBufferContent(buffer)));
  xmlBufferFree(buffer);
  return out;
}

struct XmlBuilder {
  const TestModel& model;
  std::string error;

  fhir::Element::Ptr resource(xmlNode* node, const std::string& name) {
    std::string type = reinterpret_cast<const char*>(node->name);
    auto out = fhir::Element::makeResource(name, type);
    children(*out, node, type);
    return out;
  }

  void children(fhir::Element& parent, xmlNode* node, const std::string& typePath) {
    if (hasAttr(node, "id") && parent.kind() != fhir::NodeKind::kResource) {
      parent.addChild(fhir::Element::makePrimitive("id", "string", attr(node, "id")));
    }
    bool urlDone = false;
    for (xmlNode* c = node->children; c; c = c->next) {
      if (c->type != XML_ELEMENT_NODE) continue;
      std::string name = reinterpret_cast<const char*>(c->name);
      if (!urlDone && parent.type() == "Extension" && name != "extension" && hasAttr(node, "url")) {
        parent.addChild(fhir::Element::makePrimitive("url", "uri", attr(node, "url")));
        urlDone = true;
      }
      std::string type;
      std::size_t choiceBase;
      const TestModel::Property* prop = model.findProperty(typePath, name, type, choiceBase);
      if (!prop) {
        error = "unknown element " + typePath + "." + name;
        continue;
      }
      fhir::Element::Ptr child;
      if (type == "Resource") {
        xmlNode* inner = c->children;
        while (inner && inner->type != XML_ELEMENT_NODE) inner = inner->next;
        if (!inner) continue;
        child = resource(inner, name);
      } else if (type == "xhtml") {
        child = fhir::Element::makeXhtml(dump(c));
      } else if (isPrimitiveType(type)) {
        child = hasAttr(c, "value") ? fhir::Element::makePrimitive(name, type, attr(c, "value"))
                                    : fhir::Element::makePrimitiveWithoutValue(name, type);
        children(*child, c, "Element");
      } else {
        child = fhir::Element::makeComplex(name, type);
        children(*child, c, childTypePath(typePath, name, *prop, type, choiceBase));
      }
      if (choiceBase) child->setChoiceBaseLength(choiceBase);
      parent.addChild(std::move(child), prop->repeating);
    }
    if (!urlDone && parent.type() == "Extension" && hasAttr(node, "url")) {
      parent.addChild(fhir::Element::makePrimitive("url", "uri", attr(node, "url")));
    }
  }
};

}  // namespace

fhir::Element::Ptr TestModel::parseXml(const std::string& text, std::string& error) const {
  xmlDocPtr doc = xmlReadMemory(text.data(), static_cast<int>(text.size()), "resource.xml",
                                nullptr, XML_PARSE_NONET | XML_PARSE_NOENT * 0);
  if (!doc) {
    error = "malformed XML";
    return nullptr;
  }
  xmlNode* root = xmlDocGetRootElement(doc);
  XmlBuilder builder{*this, {}};
  auto out = builder.resource(root, reinterpret_cast<const char*>(root->name));
  xmlFreeDoc(doc);
  if (!builder.error.empty()) error = builder.error;
  return out;
}

// ---- JSON ----

namespace {

struct JsonBuilder {
  const TestModel& model;
  std::string error;

  static std::string scalar(const rapidjson::Value& v) {
    if (v.IsString()) return std::string(v.GetString(), v.GetStringLength());
    if (v.IsBool()) return v.GetBool() ? "true" : "false";
    return {};
  }

  fhir::Element::Ptr resource(const rapidjson::Value& obj, const std::string& name) {
    std::string type = obj["resourceType"].GetString();
    auto out = fhir::Element::makeResource(name, type);
    members(*out, obj, type);
    return out;
  }

  void primitiveExtras(fhir::Element& node, const rapidjson::Value* extra) {
    if (!extra || !extra->IsObject()) return;
    members(node, *extra, "Element");
  }

  void members(fhir::Element& parent, const rapidjson::Value& obj, const std::string& typePath) {
    for (auto m = obj.MemberBegin(); m != obj.MemberEnd(); ++m) {
      std::string name(m->name.GetString(), m->name.GetStringLength());
      if (name == "resourceType") continue;
      bool underscore = !name.empty() && name[0] == '_';
      if (underscore) {
        std::string base = name.substr(1);
        if (obj.HasMember(base.c_str())) continue;  // merged with the value below
        name = base;
      }
      std::string type;
      std::size_t choiceBase;
      const TestModel::Property* prop = model.findProperty(typePath, name, type, choiceBase);
      if (!prop) {
        error = "unknown element " + typePath + "." + name;
        continue;
      }
      const rapidjson::Value* values = underscore ? nullptr : &m->value;
      std::string extraName = "_" + name;
      const rapidjson::Value* extras =
          obj.HasMember(extraName.c_str()) ? &obj[extraName.c_str()] : nullptr;
      const rapidjson::Value& primary = values ? *values : *extras;
      std::size_t count = primary.IsArray() ? primary.Size() : 1;
      for (std::size_t i = 0; i < count; ++i) {
        const rapidjson::Value* v = values ? (values->IsArray() ? &(*values)[i] : values) : nullptr;
        const rapidjson::Value* x =
            extras ? (extras->IsArray() ? (i < extras->Size() ? &(*extras)[i] : nullptr) : extras)
                   : nullptr;
        fhir::Element::Ptr child;
        if (type == "Resource") {
          child = resource(*v, name);
        } else if (type == "xhtml") {
          child = fhir::Element::makeXhtml(scalar(*v));
        } else if (isPrimitiveType(type)) {
          if (v && !v->IsNull()) {
            child = fhir::Element::makePrimitive(name, type, scalar(*v));
          } else {
            child = fhir::Element::makePrimitiveWithoutValue(name, type);
          }
          primitiveExtras(*child, x);
        } else {
          child = fhir::Element::makeComplex(name, type);
          members(*child, *v, childTypePath(typePath, name, *prop, type, choiceBase));
        }
        if (choiceBase) child->setChoiceBaseLength(choiceBase);
        parent.addChild(std::move(child), prop->repeating);
      }
    }
  }
};

}  // namespace

fhir::Element::Ptr TestModel::parseJson(const std::string& text, std::string& error) const {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseNumbersAsStringsFlag>(text.c_str(), text.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("resourceType")) {
    error = "malformed JSON resource";
    return nullptr;
  }
  JsonBuilder builder{*this, {}};
  auto out = builder.resource(doc, doc["resourceType"].GetString());
  if (!builder.error.empty()) error = builder.error;
  return out;
}

fhir::Element::Ptr TestModel::parseFile(const std::filesystem::path& path, std::string& error) const {
  std::string text = slurp(path);
  if (path.extension() == ".xml") return parseXml(text, error);
  return parseJson(text, error);
}

}  // namespace notebridge::testing

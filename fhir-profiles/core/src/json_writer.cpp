#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <algorithm>

#include "notebridge/fhir/json_format.h"
#include "notebridge/fhir/json_text.h"

// Canonical FHIR JSON: https://hl7.org/fhir/R4/json.html
namespace notebridge::fhir {

namespace {

bool isNumberType(std::string_view type) {
  return type == "decimal" || type == "integer" || type == "positiveInt" || type == "unsignedInt";
}

// A JSON number as RFC 8259 spells it; anything else is written as a string so the output
// stays valid JSON even for a tree built by hand with a bad value.
bool isJsonNumber(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  if (i >= s.size()) return false;
  if (s[i] == '0') {
    ++i;
  } else if (s[i] >= '1' && s[i] <= '9') {
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  } else {
    return false;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    const std::size_t digits = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == digits) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    const std::size_t digits = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == digits) return false;
  }
  return i == s.size();
}

bool hasContent(const Element& e) {
  switch (e.kind()) {
    case NodeKind::kResource:
      return true;
    case NodeKind::kXhtml:
      return e.hasValue();
    case NodeKind::kPrimitive:
      if (e.hasValue()) return true;
      [[fallthrough]];
    case NodeKind::kComplex:
      for (const auto& c : e.children()) {
        if (hasContent(*c)) return true;
      }
      return false;
  }
  return false;
}

bool hasExtensionContent(const Element& e) {
  for (const auto& c : e.children()) {
    if (hasContent(*c)) return true;
  }
  return false;
}

template <typename Writer>
class JsonEmitter {
 public:
  explicit JsonEmitter(Writer& w) : w_(w) {}

  void resource(const Element& e) {
    w_.StartObject();
    w_.Key("resourceType");
    str(e.type());
    members(e);
    w_.EndObject();
  }

  void object(const Element& e) {
    w_.StartObject();
    members(e);
    w_.EndObject();
  }

  void value(const Element& e) {
    switch (e.kind()) {
      case NodeKind::kResource:
        resource(e);
        return;
      case NodeKind::kComplex:
        object(e);
        return;
      case NodeKind::kXhtml:
        str(e.value());
        return;
      case NodeKind::kPrimitive:
        primitive(e);
        return;
    }
  }

 private:
  void str(const std::string& s) {
    w_.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  }
  void key(const std::string& s) { w_.Key(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

  void primitive(const Element& e) {
    if (!e.hasValue()) {
      w_.Null();
      return;
    }
    const std::string_view type = e.type();
    const std::string_view value = e.value();
    if (type == "boolean" && (value == "true" || value == "false")) {
      w_.Bool(value == "true");
    } else if (isNumberType(type) && isJsonNumber(e.value())) {
      w_.RawValue(e.value().data(), e.value().size(), rapidjson::kNumberType);
    } else {
      str(e.value());
    }
  }

  void members(const Element& e) {
    const auto& children = e.children();
    std::size_t i = 0;
    while (i < children.size()) {
      std::size_t j = i + 1;
      const std::string& name = children[i]->name();
      while (j < children.size() && children[j]->name() == name) ++j;
      group(children, i, j);
      i = j;
    }
  }

  // Children [begin, end) share one name.
  void group(const std::vector<Element::Ptr>& children, std::size_t begin, std::size_t end) {
    const Element& first = *children[begin];
    const PropertyInfo* property = first.property();
    const bool array = property ? property->isArray() : (first.index() >= 0 || end - begin > 1);
    if (first.kind() == NodeKind::kPrimitive) {
      bool anyValue = false;
      bool anyExtension = false;
      for (std::size_t k = begin; k < end; ++k) {
        anyValue |= children[k]->hasValue();
        anyExtension |= hasExtensionContent(*children[k]);
      }
      if (!anyValue && !anyExtension) return;
      if (anyValue) {
        key(first.name());
        if (array) w_.StartArray();
        for (std::size_t k = begin; k < end; ++k) {
          if (array && !children[k]->hasValue() && !hasExtensionContent(*children[k])) continue;
          primitive(*children[k]);
          if (!array) break;
        }
        if (array) w_.EndArray();
      }
      if (anyExtension) {
        const std::string underscored = "_" + first.name();
        key(underscored);
        if (array) w_.StartArray();
        for (std::size_t k = begin; k < end; ++k) {
          const Element& c = *children[k];
          const bool ext = hasExtensionContent(c);
          if (array && !c.hasValue() && !ext) continue;
          if (ext) {
            object(c);
          } else {
            w_.Null();
          }
          if (!array) break;
        }
        if (array) w_.EndArray();
      }
      return;
    }
    bool any = false;
    for (std::size_t k = begin; k < end && !any; ++k) any = hasContent(*children[k]);
    if (!any) return;
    key(first.name());
    if (array) w_.StartArray();
    for (std::size_t k = begin; k < end; ++k) {
      if (!hasContent(*children[k])) continue;
      value(*children[k]);
      if (!array) break;
    }
    if (array) w_.EndArray();
  }

  Writer& w_;
};

}  // namespace

std::string writeJson(const Element& element, const JsonWriteOptions& options) {
  if (options.pretty) {
    rapidjson::StringBuffer buffer;
    rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buffer);
    w.SetIndent(' ', 2);
    JsonEmitter<rapidjson::PrettyWriter<rapidjson::StringBuffer>> emitter(w);
    emitter.value(element);
    return std::string(buffer.GetString(), buffer.GetSize());
  }
  // Compact output (what the gateway stores and sends) takes the faster writer; same bytes.
  // Sized like this thread's previous output: documents of one kind tend to have one size, and
  // growing a large string by doubling copies it several times.
  thread_local std::size_t tLastSize = 4096;
  std::string out;
  out.reserve(std::min<std::size_t>(tLastSize + tLastSize / 8, 1u << 20));
  JsonTextWriter w(out);
  JsonEmitter<JsonTextWriter> emitter(w);
  emitter.value(element);
  tLastSize = out.size();
  return out;
}

}  // namespace notebridge::fhir

#include "notebridge/fhir/xml_format.h"

// FHIR XML: https://hl7.org/fhir/R4/xml.html
namespace notebridge::fhir {

namespace {

void escape(std::string& out, std::string_view text) {
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      // Attribute value normalization would turn these into spaces.
      case '\n':
        out += "&#10;";
        break;
      case '\r':
        out += "&#13;";
        break;
      case '\t':
        out += "&#9;";
        break;
      default:
        // Characters XML 1.0 cannot carry, even as references, become U+FFFD.
        if (static_cast<unsigned char>(c) < 0x20) {
          out += "\xEF\xBF\xBD";
        } else {
          out += c;
        }
    }
  }
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

// Element ids, Extension.url and the like are attributes; for hand-built trees without
// property information, decide by name.
bool isAttribute(const Element& child, const Element& parent) {
  if (child.kind() != NodeKind::kPrimitive) return false;
  if (child.property()) return child.property()->isXmlAttribute();
  if (parent.kind() == NodeKind::kResource) return false;
  return child.name() == "id" || (child.name() == "url" && parent.type() == "Extension");
}

class XmlEmitter {
 public:
  XmlEmitter(std::string& out, bool pretty) : out_(out), pretty_(pretty) {}

  void root(const Element& e) {
    if (e.kind() == NodeKind::kResource) {
      resource(e, true, 0);
    } else {
      element(e, 0);
    }
  }

 private:
  void indent(int depth) {
    if (!pretty_) return;
    if (!out_.empty()) out_ += '\n';
    out_.append(static_cast<std::size_t>(depth) * 2, ' ');
  }

  void resource(const Element& e, bool isRoot, int depth) {
    indent(depth);
    out_ += '<';
    out_ += e.type();
    (void)isRoot;  // nested resources repeat the namespace declaration, as the spec examples do
    out_ += " xmlns=\"http://hl7.org/fhir\"";
    out_ += '>';
    content(e, depth + 1);
    indent(depth);
    out_ += "</";
    out_ += e.type();
    out_ += '>';
  }

  void content(const Element& e, int depth) {
    for (const auto& c : e.children()) {
      if (isAttribute(*c, e) || !hasContent(*c)) continue;
      element(*c, depth);
    }
  }

  void attributes(const Element& e) {
    for (const auto& c : e.children()) {
      if (!isAttribute(*c, e) || !c->hasValue()) continue;
      out_ += ' ';
      out_ += c->name();
      out_ += "=\"";
      escape(out_, c->value());
      out_ += '"';
    }
  }

  bool hasElementChildren(const Element& e) {
    for (const auto& c : e.children()) {
      if (!isAttribute(*c, e) && hasContent(*c)) return true;
    }
    return false;
  }

  void element(const Element& e, int depth) {
    switch (e.kind()) {
      case NodeKind::kXhtml:
        indent(depth);
        out_ += e.value();
        return;
      case NodeKind::kResource:
        indent(depth);
        out_ += '<';
        out_ += e.name();
        out_ += '>';
        resource(e, false, depth + 1);
        indent(depth);
        out_ += "</";
        out_ += e.name();
        out_ += '>';
        return;
      case NodeKind::kPrimitive:
      case NodeKind::kComplex:
        break;
    }
    indent(depth);
    out_ += '<';
    out_ += e.name();
    attributes(e);
    if (e.kind() == NodeKind::kPrimitive && e.hasValue()) {
      out_ += " value=\"";
      escape(out_, e.value());
      out_ += '"';
    }
    if (!hasElementChildren(e)) {
      out_ += "/>";
      return;
    }
    out_ += '>';
    content(e, depth + 1);
    indent(depth);
    out_ += "</";
    out_ += e.name();
    out_ += '>';
  }

  std::string& out_;
  bool pretty_;
};

}  // namespace

std::string writeXml(const Element& element, const XmlWriteOptions& options) {
  std::string out;
  XmlEmitter(out, options.pretty).root(element);
  return out;
}

}  // namespace notebridge::fhir

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlsave.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "notebridge/fhir/xml_format.h"

// FHIR XML: https://hl7.org/fhir/R4/xml.html
namespace notebridge::fhir {

namespace {

constexpr const char* kFhirNs = "http://hl7.org/fhir";
constexpr const char* kXhtmlNs = "http://www.w3.org/1999/xhtml";

bool isPrimitiveCode(std::string_view code) {
  return !code.empty() && code[0] >= 'a' && code[0] <= 'z';
}

std::string_view name(const xmlNode* node) { return reinterpret_cast<const char*>(node->name); }
bool inNamespace(const xmlNode* node, const char* ns) {
  return node->ns && node->ns->href &&
         std::strcmp(reinterpret_cast<const char*>(node->ns->href), ns) == 0;
}
bool isBlank(const xmlChar* text) {
  if (!text) return true;
  for (const xmlChar* p = text; *p; ++p) {
    if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') return false;
  }
  return true;
}
std::string attributeValue(const xmlAttr* attr) {
  xmlChar* v = xmlNodeListGetString(attr->doc, attr->children, 1);
  std::string out = v ? reinterpret_cast<const char*>(v) : "";
  xmlFree(v);
  return out;
}

void ignoreStructured(void*, xmlErrorPtr) {}
void ignoreGeneric(void*, const char*, ...) {}

// The prolog may hold only the XML declaration, comments, processing instructions and
// whitespace before the root; a DOCTYPE there is refused before libxml2 sees the document, which
// rules out external entities and entity expansion attacks (https://hl7.org/fhir/R4/security.html
// recommends against processing DTDs).
enum class Prolog { kOk, kDoctype, kNotUtf8, kEmpty };
Prolog checkProlog(std::string_view text) {
  if (text.size() >= 2 && ((static_cast<unsigned char>(text[0]) == 0xFE &&
                            static_cast<unsigned char>(text[1]) == 0xFF) ||
                           (static_cast<unsigned char>(text[0]) == 0xFF &&
                            static_cast<unsigned char>(text[1]) == 0xFE))) {
    return Prolog::kNotUtf8;
  }
  if (text.size() >= 2 && (text[0] == '\0' || text[1] == '\0')) return Prolog::kNotUtf8;
  std::size_t i = text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      ++i;
      continue;
    }
    if (text.compare(i, 4, "<!--") == 0) {
      const auto end = text.find("-->", i + 4);
      if (end == std::string_view::npos) return Prolog::kOk;  // libxml2 reports it
      i = end + 3;
      continue;
    }
    if (text.compare(i, 2, "<?") == 0) {
      const auto end = text.find("?>", i + 2);
      if (end == std::string_view::npos) return Prolog::kOk;
      const std::string_view pi = text.substr(i, end - i);
      if (pi.compare(0, 5, "<?xml") == 0) {
        const auto enc = pi.find("encoding");
        if (enc != std::string_view::npos) {
          std::string value(pi.substr(enc));
          std::transform(value.begin(), value.end(), value.begin(), ::tolower);
          if (value.find("utf-8") == std::string::npos) return Prolog::kNotUtf8;
        }
      }
      i = end + 2;
      continue;
    }
    if (text.compare(i, 2, "<!") == 0) return Prolog::kDoctype;
    return Prolog::kOk;
  }
  return Prolog::kEmpty;
}

class XmlReader {
 public:
  XmlReader(const DefinitionRegistry& registry, const XmlParseOptions& options, Outcome& outcome)
      : registry_(registry), options_(options), outcome_(outcome) {}

  Element::Ptr readRoot(xmlNode* root) {
    if (!inNamespace(root, kFhirNs)) {
      fatal("structure",
            root->ns ? "the root element is not in the FHIR namespace http://hl7.org/fhir (found " +
                           std::string(reinterpret_cast<const char*>(root->ns->href)) + ")"
                     : std::string("the root element has no namespace; FHIR XML uses "
                                   "xmlns=\"http://hl7.org/fhir\""),
            std::string(name(root)), root);
      return nullptr;
    }
    const std::string type(name(root));
    const TypeInfo* info = registry_.isResourceType(type) ? registry_.findType(type) : nullptr;
    if (!info || info->isAbstract()) {
      fatal("not-supported", "unknown resource type '" + type + "'", type, root);
      return nullptr;
    }
    auto node = Element::makeResource(type);
    node->setLocation(location(root));
    readContent(root, *node, *info, type, 0);
    return node;
  }

 private:
  SourceLocation location(const xmlNode* node) const {
    const long line = xmlGetLineNo(node);
    return SourceLocation{line > 0 ? static_cast<std::uint32_t>(line) : 0u, 0};
  }

  void add(Severity severity, const char* code, std::string message, std::string path,
           const xmlNode* node) {
    const SourceLocation loc = node ? location(node) : SourceLocation{};
    outcome_.add(Issue{severity, code, std::move(message), std::move(path), loc.line, loc.column});
  }
  void error(const char* code, std::string message, std::string path, const xmlNode* node) {
    add(Severity::kError, code, std::move(message), std::move(path), node);
  }
  void fatal(const char* code, std::string message, std::string path, const xmlNode* node) {
    add(Severity::kFatal, code, std::move(message), std::move(path), node);
  }
  void unknown(std::string message, std::string path, const xmlNode* node) {
    add(options_.allowUnknownElements ? Severity::kWarning : Severity::kError, "structure",
        std::move(message), std::move(path), node);
  }

  struct Pending {
    Element::Ptr node;
    int index;
    int order;
  };

  // Reads the attributes and child elements of `xml` into `node` of type `type`.
  void readContent(xmlNode* xml, Element& node, const TypeInfo& type, const std::string& path,
                   std::size_t depth) {
    if (depth > options_.maxDepth) {
      fatal("too-costly", "XML nesting deeper than " + std::to_string(options_.maxDepth), path,
            xml);
      return;
    }
    std::vector<Pending> children;
    const bool primitive = node.kind() == NodeKind::kPrimitive;
    for (xmlAttr* attr = xml->properties; attr; attr = attr->next) {
      const std::string_view attrName = reinterpret_cast<const char*>(attr->name);
      if (attr->ns) {
        // xsi:schemaLocation and the like are allowed on any element and carry no content.
        if (std::strcmp(reinterpret_cast<const char*>(attr->ns->href),
                        "http://www.w3.org/2001/XMLSchema-instance") == 0) {
          continue;
        }
        unknown("unknown attribute '" + std::string(attrName) + "'", path, xml);
        continue;
      }
      if (primitive && attrName == "value") {
        std::string value = attributeValue(attr);
        if (value.empty()) {
          error("value", "empty value attributes are not allowed", path, xml);
        } else {
          node.setValue(std::move(value));
        }
        continue;
      }
      const PropertyMatch match = type.findByJsonName(attrName);
      if (!match || !match.property->isXmlAttribute()) {
        unknown("unknown attribute '" + std::string(attrName) + "'", path, xml);
        continue;
      }
      auto child =
          Element::makePrimitive(std::string(attrName), match.typeCode(), attributeValue(attr));
      child->setProperty(match.property);
      child->setLocation(location(xml));
      children.push_back(Pending{std::move(child), -1, match.property->order()});
    }

    const std::size_t attributeCount = children.size();
    std::vector<int> counts(type.properties().size(), 0);
    std::vector<int> choiceType(type.properties().size(), -1);
    for (xmlNode* c = xml->children; c; c = c->next) {
      switch (c->type) {
        case XML_ELEMENT_NODE:
          break;
        case XML_TEXT_NODE:
          if (!isBlank(c->content)) {
            error("structure",
                  "text content is not allowed here (FHIR elements have no mixed content)", path,
                  c);
          }
          continue;
        case XML_CDATA_SECTION_NODE:
          error("structure", "CDATA sections are not allowed outside the narrative", path, c);
          continue;
        case XML_COMMENT_NODE:
          continue;
        case XML_PI_NODE:
          error("structure", "processing instructions are not allowed inside a resource", path, c);
          continue;
        default:
          error("structure", "unexpected XML node", path, c);
          continue;
      }
      const std::string childName(name(c));
      if (!inNamespace(c, kFhirNs) && !(childName == "div" && inNamespace(c, kXhtmlNs))) {
        error("structure",
              "element '" + childName + "' is not in the FHIR namespace http://hl7.org/fhir",
              path + "." + childName, c);
        continue;
      }
      const PropertyMatch match = type.findByJsonName(childName);
      if (!match || match.property->isXmlAttribute()) {
        unknown("unknown element '" + childName + "'", path + "." + childName, c);
        continue;
      }
      const PropertyInfo& property = *match.property;
      const auto order = static_cast<std::size_t>(property.order());
      if (property.isChoice()) {
        if (choiceType[order] >= 0 && choiceType[order] != match.typeIndex) {
          error("structure",
                "more than one type given for choice element '" + property.name() + "[x]'",
                path + "." + childName, c);
          continue;
        }
        choiceType[order] = match.typeIndex;
      }
      const int index = property.isArray() ? counts[order] : -1;
      if (!property.isArray() && counts[order] > 0) {
        error("structure", "element '" + childName + "' repeats but allows at most one",
              path + "." + childName, c);
        continue;
      }
      ++counts[order];
      std::string childPath = path + "." + childName;
      if (index >= 0) childPath += "[" + std::to_string(index) + "]";
      Element::Ptr child = readProperty(c, match, childName, childPath, depth);
      if (!child) continue;
      child->setProperty(&property);
      if (property.isChoice()) child->setChoiceBaseLength(property.name().size());
      children.push_back(Pending{std::move(child), index, property.order()});
    }
    // https://hl7.org/fhir/R4/xml.html: elements must appear in definition order; the model
    // is ordered regardless, and the document is told about it.
    auto byOrder = [](const Pending& a, const Pending& b) { return a.order < b.order; };
    const auto elements = children.begin() + static_cast<std::ptrdiff_t>(attributeCount);
    if (!std::is_sorted(elements, children.end(), byOrder)) {
      add(Severity::kWarning, "structure", "elements are not in definition order", path, xml);
    }
    // Attributes (element ids, Extension.url) take their place in definition order too.
    std::stable_sort(children.begin(), children.end(), byOrder);
    for (Pending& p : children) node.appendChild(std::move(p.node), p.index);
  }

  Element::Ptr readProperty(xmlNode* c, const PropertyMatch& match, const std::string& childName,
                            const std::string& path, std::size_t depth) {
    const std::string& code = match.typeCode();
    if (code == "xhtml") {
      if (!inNamespace(c, kXhtmlNs)) {
        error("structure",
              "the narrative div must be in the XHTML namespace " + std::string(kXhtmlNs), path, c);
        return nullptr;
      }
      auto node = std::make_unique<Element>(NodeKind::kXhtml, childName, "xhtml");
      node->setValue(dumpXhtml(c));
      node->setLocation(location(c));
      return node;
    }
    if (isPrimitiveCode(code)) {
      auto node = Element::makePrimitiveWithoutValue(childName, code);
      node->setLocation(location(c));
      const TypeInfo* type = registry_.findType(code);
      if (!type) return nullptr;
      readContent(c, *node, *type, path, depth + 1);
      if (!node->hasValue() && !node->hasChildren()) {
        error("structure", "element '" + childName + "' has neither a value nor extensions", path,
              c);
        return nullptr;
      }
      return node;
    }
    const bool resource =
        code == "Resource" || code == "DomainResource" || registry_.isResourceType(code);
    if (resource) {
      xmlNode* inner = nullptr;
      for (xmlNode* k = c->children; k; k = k->next) {
        if (k->type == XML_ELEMENT_NODE) {
          if (inner) {
            error("structure", "'" + childName + "' must hold exactly one resource", path, k);
            return nullptr;
          }
          inner = k;
        } else if (k->type == XML_TEXT_NODE && !isBlank(k->content)) {
          error("structure", "text content is not allowed here", path, k);
        }
      }
      if (!inner) {
        error("structure", "'" + childName + "' must hold a resource", path, c);
        return nullptr;
      }
      const std::string type(name(inner));
      const TypeInfo* info = registry_.isResourceType(type) ? registry_.findType(type) : nullptr;
      if (!inNamespace(inner, kFhirNs) || !info || info->isAbstract()) {
        error("not-supported", "unknown resource type '" + type + "'", path, inner);
        return nullptr;
      }
      if (!registry_.isSubtypeOf(type, code)) {
        error("structure", "a " + type + " is not allowed here (expected " + code + ")", path,
              inner);
      }
      auto node = Element::makeResource(childName, type);
      node->setLocation(location(inner));
      readContent(inner, *node, *info, path, depth + 2);
      return node;
    }
    const TypeInfo* type = match.property->resolveType(code);
    if (!type) {
      error("not-supported", "unknown type '" + code + "'", path, c);
      return nullptr;
    }
    auto node = Element::makeComplex(childName, code);
    node->setLocation(location(c));
    readContent(c, *node, *type, path, depth + 1);
    if (!node->hasChildren()) {
      error("structure", "element '" + childName + "' is empty", path, c);
      return nullptr;
    }
    return node;
  }

  // The div as markup, with the XHTML namespace declared on it as JSON requires.
  std::string dumpXhtml(xmlNode* div) {
    bool declared = false;
    for (xmlNs* ns = div->nsDef; ns; ns = ns->next) {
      if (!ns->prefix && ns->href &&
          std::strcmp(reinterpret_cast<const char*>(ns->href), kXhtmlNs) == 0) {
        declared = true;
      }
    }
    if (!declared && div->ns && !div->ns->prefix) {
      xmlNewNs(div, BAD_CAST kXhtmlNs, nullptr);
    }
    xmlBufferPtr buffer = xmlBufferCreate();
    xmlNodeDump(buffer, div->doc, div, 0, 0);
    std::string out(reinterpret_cast<const char*>(xmlBufferContent(buffer)),
                    static_cast<std::size_t>(xmlBufferLength(buffer)));
    xmlBufferFree(buffer);
    return out;
  }

  const DefinitionRegistry& registry_;
  const XmlParseOptions& options_;
  Outcome& outcome_;
};

struct DocFree {
  void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};
struct CtxtFree {
  void operator()(xmlParserCtxt* ctxt) const { xmlFreeParserCtxt(ctxt); }
};

}  // namespace

Result<Element::Ptr> parseXml(std::string_view xml, const DefinitionRegistry& registry,
                              const XmlParseOptions& options) {
  Outcome outcome;
  auto fail = [&](const char* code, std::string message, std::uint32_t line = 0) {
    outcome.add(Issue{Severity::kFatal, code, std::move(message), {}, line, 0});
    return Result<Element::Ptr>(std::move(outcome));
  };
  if (xml.size() > options.maxBytes) {
    return fail("too-long", "XML input of " + std::to_string(xml.size()) +
                                " bytes exceeds the limit of " + std::to_string(options.maxBytes));
  }
  // Every element starts with '<': refuse documents that could hold too many before libxml2
  // builds its (large) tree.
  if (static_cast<std::size_t>(std::count(xml.begin(), xml.end(), '<')) > options.maxElements) {
    return fail("too-costly",
                "more than " + std::to_string(options.maxElements) + " elements in one document");
  }
  switch (checkProlog(xml)) {
    case Prolog::kDoctype:
      return fail(
          "security",
          "a DOCTYPE is not allowed in FHIR XML (DTDs and entity declarations are refused)");
    case Prolog::kNotUtf8:
      return fail("structure", "FHIR XML must be encoded in UTF-8");
    case Prolog::kEmpty:
      return fail("structure", "empty document");
    case Prolog::kOk:
      break;
  }
  std::unique_ptr<xmlParserCtxt, CtxtFree> ctxt(xmlNewParserCtxt());
  if (!ctxt) return fail("exception", "cannot create an XML parser");
  // Errors are collected from the context, never printed.
  ctxt->sax->serror = ignoreStructured;
  ctxt->sax->error = ignoreGeneric;
  ctxt->sax->warning = ignoreGeneric;
  // No XML_PARSE_NOENT (no entity substitution), no XML_PARSE_DTDLOAD / DTDATTR, no
  // XML_PARSE_HUGE (keeps libxml2's own limits), no network.
  const int flags = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_BIG_LINES;
  std::unique_ptr<xmlDoc, DocFree> doc(xmlCtxtReadMemory(
      ctxt.get(), xml.data(), static_cast<int>(xml.size()), nullptr, "UTF-8", flags));
  if (!doc || !ctxt->wellFormed) {
    const xmlError* err = xmlCtxtGetLastError(ctxt.get());
    std::string message = "invalid XML";
    std::uint32_t line = 0;
    std::uint32_t column = 0;
    if (err && err->message) {
      message += ": ";
      message += err->message;
      while (!message.empty() && message.back() == '\n') message.pop_back();
      line = err->line > 0 ? static_cast<std::uint32_t>(err->line) : 0;
      column = err->int2 > 0 ? static_cast<std::uint32_t>(err->int2) : 0;
    }
    outcome.add(Issue{Severity::kFatal, "structure", std::move(message), {}, line, column});
    return Result<Element::Ptr>(std::move(outcome));
  }
  if (doc->intSubset || doc->extSubset) {
    return fail("security", "a DOCTYPE is not allowed in FHIR XML");
  }
  for (xmlNode* n = doc->children; n; n = n->next) {
    if (n->type == XML_PI_NODE) {
      return fail("structure", "processing instructions are not allowed in FHIR XML",
                  static_cast<std::uint32_t>(std::max(0L, xmlGetLineNo(n))));
    }
  }
  xmlNode* root = xmlDocGetRootElement(doc.get());
  if (!root) return fail("structure", "no root element");
  XmlReader reader(registry, options, outcome);
  Element::Ptr tree = reader.readRoot(root);
  const bool failed = !tree || outcome.worst() == Severity::kFatal ||
                      (outcome.hasErrors() && !options.keepTreeOnErrors);
  if (failed) return Result<Element::Ptr>(std::move(outcome));
  return Result<Element::Ptr>(std::move(tree), std::move(outcome));
}

}  // namespace notebridge::fhir

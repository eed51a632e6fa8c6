#pragma once

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <algorithm>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace notebridge::testing {

// Compares two XML texts as XML: whitespace-only text between elements, comments and attribute
// order are ignored; other text is compared with runs of whitespace collapsed. Returns an empty
// string when equal, else where they differ.
namespace xmlcompare {

inline std::string collapse(const xmlChar* text) {
  std::string out;
  bool space = false;
  for (const xmlChar* p = text; p && *p; ++p) {
    if (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += static_cast<char>(*p);
  }
  return out;
}

inline std::vector<xmlNode*> significant(xmlNode* parent) {
  std::vector<xmlNode*> out;
  for (xmlNode* c = parent->children; c; c = c->next) {
    if (c->type == XML_ELEMENT_NODE) {
      out.push_back(c);
    } else if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) &&
               !collapse(c->content).empty()) {
      out.push_back(c);
    }
  }
  return out;
}

inline std::string nameOf(xmlNode* n) {
  std::string out;
  if (n->ns && n->ns->href)
    out = std::string("{") + reinterpret_cast<const char*>(n->ns->href) + "}";
  return out + reinterpret_cast<const char*>(n->name);
}

inline std::map<std::string, std::string> attributes(xmlNode* n) {
  std::map<std::string, std::string> out;
  for (xmlAttr* a = n->properties; a; a = a->next) {
    xmlChar* v = xmlNodeListGetString(a->doc, a->children, 1);
    out[reinterpret_cast<const char*>(a->name)] = v ? reinterpret_cast<const char*>(v) : "";
    xmlFree(v);
  }
  return out;
}

inline std::string compare(xmlNode* a, xmlNode* b, const std::string& path) {
  if (a->type != b->type) return path + ": different node types";
  if (a->type != XML_ELEMENT_NODE) {
    const std::string ta = collapse(a->content), tb = collapse(b->content);
    if (ta != tb) return path + ": text '" + ta.substr(0, 60) + "' vs '" + tb.substr(0, 60) + "'";
    return {};
  }
  const std::string here = path + "/" + reinterpret_cast<const char*>(a->name);
  if (nameOf(a) != nameOf(b)) return here + ": element " + nameOf(a) + " vs " + nameOf(b);
  const auto aa = attributes(a), ab = attributes(b);
  if (aa != ab) {
    for (const auto& [k, v] : aa) {
      auto it = ab.find(k);
      if (it == ab.end()) return here + ": attribute " + k + " missing";
      if (it->second != v) return here + ": @" + k + " '" + v + "' vs '" + it->second + "'";
    }
    return here + ": extra attributes";
  }
  const auto ca = significant(a), cb = significant(b);
  for (std::size_t i = 0; i < std::min(ca.size(), cb.size()); ++i) {
    std::string d = compare(ca[i], cb[i], here + "[" + std::to_string(i) + "]");
    if (!d.empty()) return d;
  }
  if (ca.size() != cb.size()) {
    return here + ": " + std::to_string(ca.size()) + " vs " + std::to_string(cb.size()) +
           " children";
  }
  return {};
}

}  // namespace xmlcompare

inline std::string xmlDifference(std::string_view a, std::string_view b) {
  const int flags = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
  xmlDoc* da = xmlReadMemory(a.data(), static_cast<int>(a.size()), nullptr, "UTF-8", flags);
  xmlDoc* db = xmlReadMemory(b.data(), static_cast<int>(b.size()), nullptr, "UTF-8", flags);
  std::string out;
  if (!da) {
    out = "first text is not XML";
  } else if (!db) {
    out = "second text is not XML";
  } else {
    out = xmlcompare::compare(xmlDocGetRootElement(da), xmlDocGetRootElement(db), "");
  }
  xmlFreeDoc(da);
  xmlFreeDoc(db);
  return out;
}

}  // namespace notebridge::testing

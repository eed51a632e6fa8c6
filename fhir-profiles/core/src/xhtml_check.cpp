#include "xhtml_check.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <cstring>

namespace notebridge::fhir {

namespace {
void ignoreStructured(void*, xmlErrorPtr) {}
void ignoreGeneric(void*, const char*, ...) {}
}  // namespace

std::string checkXhtmlDiv(std::string_view markup) {
  std::size_t i = 0;
  while (i < markup.size() &&
         (markup[i] == ' ' || markup[i] == '\n' || markup[i] == '\r' || markup[i] == '\t')) {
    ++i;
  }
  if (markup.compare(i, 4, "<div") != 0) return "the narrative must be a single <div> element";
  xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
  if (!ctxt) return "cannot create an XML parser";
  ctxt->sax->serror = ignoreStructured;
  ctxt->sax->error = ignoreGeneric;
  ctxt->sax->warning = ignoreGeneric;
  xmlDocPtr doc =
      xmlCtxtReadMemory(ctxt, markup.data(), static_cast<int>(markup.size()), nullptr, "UTF-8",
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  std::string problem;
  if (!doc || !ctxt->wellFormed) {
    const xmlError* err = xmlCtxtGetLastError(ctxt);
    problem = "the narrative is not well-formed XHTML";
    if (err && err->message) {
      problem += ": ";
      problem += err->message;
      while (!problem.empty() && problem.back() == '\n') problem.pop_back();
    }
  } else {
    xmlNodePtr root = xmlDocGetRootElement(doc);
    if (!root || std::strcmp(reinterpret_cast<const char*>(root->name), "div") != 0 || !root->ns ||
        std::strcmp(reinterpret_cast<const char*>(root->ns->href),
                    "http://www.w3.org/1999/xhtml") != 0) {
      problem = "the narrative div must be in the XHTML namespace http://www.w3.org/1999/xhtml";
    }
  }
  if (doc) xmlFreeDoc(doc);
  xmlFreeParserCtxt(ctxt);
  return problem;
}

}  // namespace notebridge::fhir

#include "notebridge/fhir/resource_format.h"

namespace notebridge::fhir {

std::string_view toString(ResourceFormat format) {
  switch (format) {
    case ResourceFormat::kJson:
      return "json";
    case ResourceFormat::kXml:
      return "xml";
    case ResourceFormat::kUnknown:
      break;
  }
  return "unknown";
}

ResourceFormat detectFormat(std::string_view text) {
  std::size_t i = text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
  while (i < text.size() &&
         (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n')) {
    ++i;
  }
  if (i >= text.size()) return ResourceFormat::kUnknown;
  if (text[i] == '{') return ResourceFormat::kJson;
  if (text[i] == '<') return ResourceFormat::kXml;
  return ResourceFormat::kUnknown;
}

Result<Element::Ptr> parseResource(std::string_view text, const DefinitionRegistry& registry) {
  switch (detectFormat(text)) {
    case ResourceFormat::kJson:
      return parseJson(text, registry);
    case ResourceFormat::kXml:
      return parseXml(text, registry);
    case ResourceFormat::kUnknown:
      break;
  }
  return Result<Element::Ptr>::failure(
      Severity::kFatal, "structure",
      text.empty() ? "empty input" : "input is neither FHIR JSON ('{') nor FHIR XML ('<')");
}

std::string writeResource(const Element& element, ResourceFormat format, bool pretty) {
  if (format == ResourceFormat::kXml) return writeXml(element, XmlWriteOptions{pretty});
  return writeJson(element, JsonWriteOptions{pretty});
}

}  // namespace notebridge::fhir

#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "notebridge/mappers/note.h"

// Human-readable renderings of a note (the DocumentReference attachments) and the way back.
namespace notebridge::mappers {

// The note as plain text: a header block, then one heading line per section.
// Appends `text` escaped for XML character data and attribute values; `lineBreaks` turns each
// newline into <br/> (XHTML narrative) instead of a character reference.
void appendEscapedXml(std::string& out, std::string_view text, bool lineBreaks);

std::string renderPlainText(const Note& note);
// The note as a well-formed XHTML 1.0 document (no CSS or script, DOMAIN §9.10), one
// <div class="section" id="NAME"> with an <h2> heading per section; section text escaped with
// line breaks as <br/>, so that sectionsFromOwnXhtml gives it back exactly.
std::string renderXhtml(const Note& note);

struct RecoveredSections {
  std::optional<NoteFormat> format;  // nullopt when no known heading set was found
  std::vector<Section> sections;
  std::string unplaced;  // text before the first heading (not part of any section)
};

// The same body as a FHIR narrative div (https://hl7.org/fhir/R4/narrative.html): no head or
// body element, only basic formatting.
std::string renderNarrativeDiv(const Note& note);
// renderXhtml and renderNarrativeDiv of one note, the shared body rendered once.
struct XhtmlRenderings {
  std::string document;  // renderXhtml
  std::string div;       // renderNarrativeDiv
};
XhtmlRenderings renderXhtmlAndNarrativeDiv(const Note& note);

// Exact inverse of renderXhtml and renderNarrativeDiv; nullopt when the markup is not our
// rendering.
std::optional<std::vector<Section>> sectionsFromOwnXhtml(std::string_view xhtml);
// Best effort for foreign text: lines that are a known heading ("Subjective", "S:", "DATA") open
// a section; the heading set decides the format. Without one, everything is narrative.
RecoveredSections sectionsFromText(std::string_view text);
// HTML or XHTML to text: tags dropped, block ends as line breaks, entities decoded.
std::string htmlToText(std::string_view html);

}  // namespace notebridge::mappers

#include "narrative_checks.h"

#include <cctype>
#include <cstring>

namespace notebridge::validation::detail {
namespace {

char lowered(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

// `word` (lower case) at `pos`, compared case-insensitively.
bool wordAt(std::string_view text, std::size_t pos, std::string_view word) {
  if (pos + word.size() > text.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i) {
    if (lowered(text[pos + i]) != word[i]) return false;
  }
  return true;
}

// An element name the engine refuses, starting at the '<' at `pos`: the name followed by a
// space, '>', '/', tab, newline or the end of the text.
bool forbiddenElementAt(std::string_view text, std::size_t pos) {
  static constexpr std::string_view kForbidden[] = {"<script", "<iframe", "<object", "<embed",
                                                    "<form",   "<input",  "<applet", "<base",
                                                    "<link",   "<meta",   "<style",  "<frame"};
  // Most tags (<p>, <br/>, </div>) stop at their first letter, read from the list itself so
  // that no forbidden name can be left out of the quick test.
  if (pos + 1 >= text.size()) return false;
  const char first = lowered(text[pos + 1]);
  bool candidate = false;
  for (std::string_view element : kForbidden) candidate |= element[1] == first;
  if (!candidate) return false;
  for (std::string_view element : kForbidden) {
    if (!wordAt(text, pos, element)) continue;
    const std::size_t after = pos + element.size();
    const char next = after < text.size() ? lowered(text[after]) : '>';
    if (next == ' ' || next == '>' || next == '/' || next == '\t' || next == '\n') return true;
  }
  return false;
}

// An event handler attribute after the whitespace at `i` inside a tag: "on", letters, spaces,
// then '=' (the engine's rule, including its acceptance of "on =").
bool eventHandlerAfter(std::string_view text, std::size_t i) {
  if (i + 3 > text.size() || lowered(text[i + 1]) != 'o' || lowered(text[i + 2]) != 'n') {
    return false;
  }
  std::size_t j = i + 3;
  while (j < text.size() && std::isalpha(static_cast<unsigned char>(lowered(text[j])))) ++j;
  while (j < text.size() && text[j] == ' ') ++j;
  return j > i + 3 && j < text.size() && text[j] == '=';
}

}  // namespace

bool htmlChecksHold(std::string_view xhtml) {
  const char* const data = xhtml.data();
  const std::size_t size = xhtml.size();
  // "javascript:" anywhere: every candidate ends at a ':'.
  constexpr std::string_view kScheme = "javascript";
  for (const char* colon = static_cast<const char*>(std::memchr(data, ':', size)); colon;) {
    const auto at = static_cast<std::size_t>(colon - data);
    if (at >= kScheme.size() && wordAt(xhtml, at - kScheme.size(), kScheme)) return false;
    colon = static_cast<const char*>(std::memchr(colon + 1, ':', size - at - 1));
  }
  // Every forbidden element and "<div" starts at a '<'; event handlers sit between a '<' and
  // the next '>'.
  bool sawDiv = false;
  std::size_t pos = 0;
  while (pos < size) {
    const void* open = std::memchr(data + pos, '<', size - pos);
    if (!open) break;
    pos = static_cast<std::size_t>(static_cast<const char*>(open) - data);
    // Inside a tag from here to the next '>' (a further '<' keeps the tag open).
    for (; pos < size && xhtml[pos] != '>'; ++pos) {
      const char c = xhtml[pos];
      if (c == '<') {
        if (forbiddenElementAt(xhtml, pos)) return false;
        sawDiv = sawDiv || wordAt(xhtml, pos, "<div");
      } else if ((c == ' ' || c == '\t' || c == '\n') && eventHandlerAfter(xhtml, pos)) {
        return false;
      }
    }
  }
  return sawDiv;
}

}  // namespace notebridge::validation::detail

#include "note_text.h"

#include <cstdint>
#include <cstring>

#include <algorithm>
#include <array>
#include <cctype>

namespace notebridge::mappers {
namespace {

std::string joinNames(const std::vector<PersonName>& names) {
  if (names.empty()) return {};
  const PersonName& n = names.front();
  std::string out;
  for (const auto& g : n.given) out += (out.empty() ? "" : " ") + g;
  if (!n.family.empty()) out += (out.empty() ? "" : " ") + n.family;
  return out;
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

std::string title(const Note& note) {
  return "Behavioral health progress note (" + std::string(toString(note.format)) + ")";
}

// Header lines shared by both renderings: what a reader needs besides the sections. Other
// participants are shown by role only (DOMAIN §9.17: no identifiers of other clients).
std::vector<std::string> headerLines(const Note& note) {
  std::vector<std::string> lines;
  std::string client = "Client: " + joinNames(note.client.names);
  if (!note.client.birthDate.empty()) client += " (born " + note.client.birthDate + ")";
  lines.push_back(client);
  std::string clinician = "Clinician: " + joinNames(note.clinician.names);
  if (!note.clinician.credentials.empty())
    clinician += ", " + join(note.clinician.credentials, ", ");
  clinician += " (NPI " + note.clinician.npi + ")";
  lines.push_back(clinician);
  lines.push_back("Practice: " + note.practice.name);
  const Session& s = note.session;
  std::string session = "Session: " + s.start + " to " + s.end + ", " + std::to_string(s.minutes) +
                        " min, " + std::string(toString(s.modality)) + ", CPT " + s.cpt;
  for (const auto& a : s.addOnCodes) session += " +" + a;
  if (!s.modifiers.empty()) session += " (modifiers " + join(s.modifiers, ", ") + ")";
  lines.push_back(session);
  if (!s.participants.empty()) {
    std::vector<std::string> roles;
    for (const auto& p : s.participants) roles.push_back(p.role);
    lines.push_back("Also present: " + join(roles, ", "));
  }
  if (!note.diagnoses.empty()) {
    std::vector<Diagnosis> sorted = note.diagnoses;
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const Diagnosis& a, const Diagnosis& b) { return a.rank < b.rank; });
    std::vector<std::string> items;
    for (const auto& d : sorted) {
      items.push_back(d.code + (d.display.empty() ? "" : " " + d.display));
    }
    lines.push_back("Diagnoses: " + join(items, "; "));
  }
  for (const auto& m : note.measures) {
    std::string line = std::string(instrumentInfo(m.instrument).name) + ": ";
    if (m.total) {
      line += std::to_string(*m.total);
    } else if (m.absentReason) {
      line += std::string(toString(*m.absentReason));
    } else {
      line += "items only";
    }
    lines.push_back(line);
  }
  if (note.risk) {
    lines.push_back(std::string("Risk: suicidal ideation ") +
                    (note.risk->suicidalIdeation ? "reported" : "denied") +
                    ", homicidal ideation " +
                    (note.risk->homicidalIdeation ? "reported" : "denied") + ", level " +
                    std::string(toString(note.risk->level)));
  }
  if (!note.nextSession.empty()) lines.push_back("Next session: " + note.nextSession);
  if (note.signature) {
    lines.push_back("Signed " + note.signature->signedAt + ": " + note.signature->attestation);
  }
  return lines;
}

}  // namespace

namespace {

// True when none of the eight bytes at p needs escaping: no '&', '<', '>', '"', CR or LF
// (SWAR: a byte equal to c is a zero byte of w ^ c; bytes at or above 0x80 are plain).
bool plainXmlWord(const char* p) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ull;
  constexpr std::uint64_t kHigh = 0x8080808080808080ull;
  std::uint64_t w;
  std::memcpy(&w, p, sizeof w);
  auto has = [&](char c) {
    const std::uint64_t x = w ^ (kOnes * static_cast<unsigned char>(c));
    return (x - kOnes) & ~x & kHigh;
  };
  return (has('&') | has('<') | has('>') | has('"') | has('\r') | has('\n')) == 0;
}

}  // namespace

void appendEscapedXml(std::string& out, std::string_view text, bool lineBreaks) {
  out.reserve(out.size() + text.size() + text.size() / 8);
  std::size_t plain = 0;  // start of the run of characters copied as they are
  for (std::size_t i = 0; i < text.size(); ++i) {
    // Runs of plain text eight bytes at a time.
    while (i + 8 <= text.size() && plainXmlWord(text.data() + i)) i += 8;
    if (i >= text.size()) break;
    const char c = text[i];
    // Most characters are plain: one comparison range rejects them before the switch.
    if (c > '>' || (c > '&' && c < '<') || (c > '\r' && c < '"')) continue;
    std::string_view replacement;
    switch (c) {
      case '&':
        replacement = "&amp;";
        break;
      case '<':
        replacement = "&lt;";
        break;
      case '>':
        replacement = "&gt;";
        break;
      case '"':
        replacement = "&quot;";
        break;
      case '\r':
        replacement = "&#13;";  // kept through XML line-end normalization
        break;
      case '\n':
        replacement = lineBreaks ? "<br/>\n" : "&#10;";
        break;
      default:
        continue;
    }
    out.append(text.data() + plain, i - plain);
    out.append(replacement);
    plain = i + 1;
  }
  out.append(text.data() + plain, text.size() - plain);
}

namespace {

void appendCodepoint(std::string& out, unsigned long cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x110000) {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Decodes the entity starting at text[pos] ('&'); returns the characters consumed (0 if none).
std::size_t decodeEntity(std::string_view text, std::size_t pos, std::string& out) {
  const std::size_t semi = text.find(';', pos);
  if (semi == std::string_view::npos || semi - pos > 10) return 0;
  const std::string_view name = text.substr(pos + 1, semi - pos - 1);
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kNamed = {
      {{"amp", "&"},
       {"lt", "<"},
       {"gt", ">"},
       {"quot", "\""},
       {"apos", "'"},
       {"nbsp", "\xC2\xA0"}}};
  for (const auto& [key, value] : kNamed) {
    if (name == key) {
      out += value;
      return semi - pos + 1;
    }
  }
  if (name.size() >= 2 && name[0] == '#') {
    unsigned long cp = 0;
    const bool hex = name[1] == 'x' || name[1] == 'X';
    const std::string_view digits = name.substr(hex ? 2 : 1);
    if (digits.empty()) return 0;
    for (char c : digits) {
      const int v = std::isdigit(static_cast<unsigned char>(c))
                        ? c - '0'
                        : (hex && std::isxdigit(static_cast<unsigned char>(c))
                               ? std::tolower(static_cast<unsigned char>(c)) - 'a' + 10
                               : -1);
      if (v < 0 || cp > 0x10FFFF) return 0;
      cp = cp * (hex ? 16 : 10) + static_cast<unsigned long>(v);
    }
    appendCodepoint(out, cp);
    return semi - pos + 1;
  }
  return 0;
}

// True when one of the eight bytes at p is '<' or '&' (SWAR zero-byte test of p ^ c).
bool hasMarkupByte(const char* p) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ull;
  constexpr std::uint64_t kHigh = 0x8080808080808080ull;
  std::uint64_t w;
  std::memcpy(&w, p, sizeof w);
  const std::uint64_t lt = w ^ (kOnes * '<');
  const std::uint64_t amp = w ^ (kOnes * '&');
  return (((lt - kOnes) & ~lt) | ((amp - kOnes) & ~amp)) & kHigh;
}

std::string unescapeOwn(std::string_view body) {
  std::string out;
  out.reserve(body.size());
  std::size_t i = 0;
  while (i < body.size()) {
    // Copy the run up to the next markup character in one go: this runs over every note read.
    std::size_t runEnd = i;
    while (runEnd + 8 <= body.size() && !hasMarkupByte(body.data() + runEnd)) runEnd += 8;
    while (runEnd < body.size() && body[runEnd] != '<' && body[runEnd] != '&') ++runEnd;
    out.append(body.data() + i, runEnd - i);
    i = runEnd;
    if (i == body.size()) break;
    if (body[i] == '<') {
      if (body.compare(i, 6, "<br/>\n") == 0) {
        out += '\n';
        i += 6;
      } else {
        out += body[i++];
      }
    } else {
      const std::size_t used = decodeEntity(body, i, out);
      if (used == 0) {
        out += '&';
        ++i;
      } else {
        i += used;
      }
    }
  }
  return out;
}

std::string trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The section name of a heading line, or empty when the line is not a heading.
std::string headingName(std::string_view line) {
  std::string t = trim(line);
  while (!t.empty() && (t.back() == ':' || t.back() == '=' || t.back() == '#')) t.pop_back();
  while (!t.empty() && (t.front() == '=' || t.front() == '#')) t.erase(t.begin());
  t = lower(trim(t));
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 13> kNames = {{
      {"subjective", "subjective"},
      {"objective", "objective"},
      {"assessment", "assessment"},
      {"plan", "plan"},
      {"data", "data"},
      {"behavior", "behavior"},
      {"behaviour", "behavior"},
      {"intervention", "intervention"},
      {"interventions", "intervention"},
      {"response", "response"},
      {"goals", "goals"},
      {"goal", "goals"},
      {"narrative", "narrative"},
  }};
  for (const auto& [key, value] : kNames) {
    if (t == key) return std::string(value);
  }
  return {};
}

}  // namespace

// Appended piece by piece into one buffer: these renderings run for every note sent.
std::size_t sectionsSize(const Note& note) {
  std::size_t size = 0;
  for (const auto& s : note.sections) size += s.text.size() + 64;
  return size;
}

std::string renderPlainText(const Note& note) {
  std::string out;
  out.reserve(1024 + sectionsSize(note));
  out += title(note);
  out += '\n';
  for (const auto& line : headerLines(note)) {
    out += line;
    out += '\n';
  }
  for (const auto& s : note.sections) {
    out += '\n';
    out += sectionHeading(s.name);
    out += ":\n";
    out += s.text;
    out += '\n';
  }
  return out;
}

namespace {

// Heading, header lines and one <div class="section"> per section: the body of both XHTML
// renderings.
void appendXhtmlBody(std::string& out, const Note& note) {
  out += "<h1>";
  appendEscapedXml(out, title(note), false);
  out += "</h1>\n";
  for (const auto& line : headerLines(note)) {
    out += "<p>";
    appendEscapedXml(out, line, false);
    out += "</p>\n";
  }
  for (const auto& s : note.sections) {
    out += "<div class=\"section\" id=\"";
    appendEscapedXml(out, s.name, false);
    out += "\"><h2>";
    appendEscapedXml(out, sectionHeading(s.name), false);
    out += "</h2><p>";
    appendEscapedXml(out, s.text, true);
    out += "</p></div>\n";
  }
}

}  // namespace

std::string renderXhtml(const Note& note) {
  std::string out;
  out.reserve(1024 + sectionsSize(note) * 9 / 8);
  out +=
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<html xmlns=\"http://www.w3.org/1999/xhtml\"><head><title>";
  appendEscapedXml(out, title(note), false);
  out += "</title></head><body>\n";
  appendXhtmlBody(out, note);
  out += "</body></html>\n";
  return out;
}

std::string renderNarrativeDiv(const Note& note) {
  std::string out;
  out.reserve(1024 + sectionsSize(note) * 9 / 8);
  out += "<div xmlns=\"http://www.w3.org/1999/xhtml\">\n";
  appendXhtmlBody(out, note);
  out += "</div>";
  return out;
}

XhtmlRenderings renderXhtmlAndNarrativeDiv(const Note& note) {
  std::string body;
  body.reserve(1024 + sectionsSize(note) * 9 / 8);
  appendXhtmlBody(body, note);
  XhtmlRenderings out;
  out.div.reserve(body.size() + 64);
  out.div += "<div xmlns=\"http://www.w3.org/1999/xhtml\">\n";
  out.div += body;
  out.div += "</div>";
  const std::string heading = title(note);
  out.document.reserve(body.size() + heading.size() * 2 + 200);
  out.document +=
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<html xmlns=\"http://www.w3.org/1999/xhtml\"><head><title>";
  appendEscapedXml(out.document, heading, false);
  out.document += "</title></head><body>\n";
  out.document += body;
  out.document += "</body></html>\n";
  return out;
}

std::optional<std::vector<Section>> sectionsFromOwnXhtml(std::string_view xhtml) {
  static constexpr std::string_view kOpen = "<div class=\"section\" id=\"";
  static constexpr std::string_view kClose = "</p></div>\n";
  std::vector<Section> sections;
  std::size_t pos = 0;
  while ((pos = xhtml.find(kOpen, pos)) != std::string_view::npos) {
    pos += kOpen.size();
    const std::size_t idEnd = xhtml.find('"', pos);
    if (idEnd == std::string_view::npos) return std::nullopt;
    Section s;
    s.name = unescapeOwn(xhtml.substr(pos, idEnd - pos));
    const std::size_t bodyStart = xhtml.find("</h2><p>", idEnd);
    if (bodyStart == std::string_view::npos) return std::nullopt;
    const std::size_t begin = bodyStart + 8;
    // Section text is escaped, so the first "</p></div>\n" after it ends the section.
    const std::size_t end = xhtml.find(kClose, begin);
    if (end == std::string_view::npos) return std::nullopt;
    s.text = unescapeOwn(xhtml.substr(begin, end - begin));
    sections.push_back(std::move(s));
    pos = end + kClose.size();
  }
  if (sections.empty()) return std::nullopt;
  return sections;
}

RecoveredSections sectionsFromText(std::string_view text) {
  RecoveredSections result;
  std::vector<Section> found;
  std::string preamble;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    const std::string_view line = text.substr(pos, eol - pos);
    const std::string name = headingName(line);
    if (!name.empty()) {
      found.push_back(Section{name, {}});
    } else if (found.empty()) {
      preamble.append(line);
      preamble += '\n';
    } else {
      found.back().text.append(line);
      found.back().text += '\n';
    }
    if (eol == text.size()) break;
    pos = eol + 1;
  }
  for (auto& s : found) s.text = trim(s.text);
  for (NoteFormat f : {NoteFormat::kSoap, NoteFormat::kDap, NoteFormat::kBirp, NoteFormat::kGirp}) {
    const auto& names = sectionNames(f);
    if (names.size() != found.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < names.size() && same; ++i) same = names[i] == found[i].name;
    if (!same) continue;
    result.format = f;
    result.sections = std::move(found);
    result.unplaced = trim(preamble);
    return result;
  }
  result.sections.push_back(Section{"narrative", trim(text)});
  return result;
}

std::string htmlToText(std::string_view html) {
  std::string out;
  out.reserve(html.size());
  for (std::size_t i = 0; i < html.size();) {
    if (html[i] == '<') {
      const std::size_t close = html.find('>', i);
      if (close == std::string_view::npos) break;
      std::string tag = lower(html.substr(i + 1, close - i - 1));
      const bool isEnd = !tag.empty() && tag[0] == '/';
      if (isEnd) tag.erase(0, 1);
      const std::size_t nameEnd = tag.find_first_of(" \t\n/");
      const std::string name = tag.substr(0, nameEnd);
      if (name == "script" || name == "style" || name == "head") {
        if (!isEnd) {
          const std::size_t end = html.find("</" + name, close);
          i = end == std::string_view::npos ? html.size() : end;
          continue;
        }
      }
      if (name == "br") out += '\n';
      if (isEnd && (name == "p" || name == "div" || name == "li" || name == "tr" ||
                    (name.size() == 2 && name[0] == 'h' && std::isdigit(name[1])))) {
        out += '\n';
      }
      if (!isEnd && name.size() == 2 && name[0] == 'h' && std::isdigit(name[1])) out += '\n';
      i = close + 1;
    } else if (html[i] == '&') {
      const std::size_t used = decodeEntity(html, i, out);
      if (used == 0) {
        out += '&';
        ++i;
      } else {
        i += used;
      }
    } else {
      out += html[i++];
    }
  }
  return out;
}

}  // namespace notebridge::mappers

#pragma once

#include <algorithm>
#include <ostream>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "notebridge/fhir/element.h"
#include "notebridge/mappers/fhir_to_note.h"
#include "notebridge/mappers/note_json.h"
#include "notebridge/mappers/note_to_fhir.h"
#include "test_paths.h"

// Lets Boost.Test print the note enums in failure messages.
namespace notebridge::mappers {
template <typename E>
requires std::is_enum_v<E> && requires(E e) { toString(e); }
std::ostream& operator<<(std::ostream& os, E e) { return os << toString(e); }
}  // namespace notebridge::mappers

// Helpers shared by the mapper tests.
namespace notebridge::mappers::testing {

using fhir::Element;

// A canonical text form of a tree: every node's name, index, type and value, one per line.
// Two trees are the same when their dumps are equal (used until core's JSON writer lands).
inline void dumpInto(const Element& e, std::string& out, int depth) {
  out.append(static_cast<std::size_t>(depth) * 2, ' ');
  out += e.name();
  if (e.index() >= 0) out += "[" + std::to_string(e.index()) + "]";
  out += ":" + e.type();
  if (e.hasValue()) out += "=" + e.value();
  out += '\n';
  for (const auto& c : e.children()) dumpInto(*c, out, depth + 1);
}
inline std::string dump(const Element& e) {
  std::string out;
  dumpInto(e, out, 0);
  return out;
}

inline std::string example(std::string_view name) {
  return notebridge::testing::readFile(notebridge::testing::testDataDir() / "mappers" /
                                       (std::string(name) + ".note.json"));
}

inline Note exampleNote(std::string_view name) {
  auto parsed = parseNote(example(name));
  if (!parsed) throw std::runtime_error("example " + std::string(name) + " does not parse");
  return std::move(parsed).value();
}

// The resources of a Bundle with the given type, in entry order.
inline std::vector<const Element*> resourcesOf(const Element& bundle, std::string_view type) {
  std::vector<const Element*> out;
  for (const Element* entry : bundle.childrenNamed("entry")) {
    const Element* r = entry->child("resource");
    if (r && r->type() == type) out.push_back(r);
  }
  return out;
}

inline const Element* entryOf(const Element& bundle, std::string_view type) {
  for (const Element* entry : bundle.childrenNamed("entry")) {
    const Element* r = entry->child("resource");
    if (r && r->type() == type) return entry;
  }
  return nullptr;
}

inline bool hasIssue(const fhir::Outcome& outcome, fhir::Severity severity,
                     std::string_view expression, std::string_view fragment = {}) {
  for (const auto& issue : outcome.issues()) {
    if (issue.severity == severity && issue.expression == expression &&
        issue.diagnostics.find(fragment) != std::string::npos) {
      return true;
    }
  }
  return false;
}

inline std::string issuesText(const fhir::Outcome& outcome) {
  std::string out;
  for (const auto& i : outcome.issues()) {
    out +=
        std::string(fhir::toString(i.severity)) + " " + i.expression + ": " + i.diagnostics + "\n";
  }
  return out;
}

}  // namespace notebridge::mappers::testing

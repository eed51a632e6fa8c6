#pragma once

#include <string>
#include <string_view>

#include "notebridge/fhir/outcome.h"
#include "notebridge/mappers/note.h"

// The JSON form of the internal note (docs/note-format.md).
namespace notebridge::mappers {

// kStrict: an unknown field is an error. kLenient: an unknown field is a warning and ignored, and
// control characters in text are stripped with a warning instead of refused.
enum class ParseMode : std::uint8_t { kStrict, kLenient };

// Largest note document accepted, in bytes.
inline constexpr std::size_t kMaxNoteJsonBytes = 16u * 1024u * 1024u;

// Parses a note. Every problem is reported with its JSON path ("client.names[0].family",
// "measures[1].items[3]") and what was expected; all problems are collected, not just the first.
// The Result holds a Note only when there is no error. Pure and thread-safe.
fhir::Result<Note> parseNote(std::string_view json, ParseMode mode = ParseMode::kStrict);

// Writes a note as JSON in the documented field order, leaving out empty optional fields, so
// that parseNote(writeNote(n)) == n. Pure and thread-safe.
std::string writeNote(const Note& note, bool pretty = true);

}  // namespace notebridge::mappers

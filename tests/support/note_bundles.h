#pragma once

#include <stdexcept>
#include <string>

#include "notebridge/fhir/json_format.h"
#include "notebridge/mappers/note_json.h"
#include "notebridge/mappers/note_to_fhir.h"
#include "test_paths.h"

namespace notebridge::testing {

// A signed note (tests/data/mappers/soap.note.json) under another note id and version.
inline mappers::Note sampleNote(const std::string& noteId, int version = 1) {
  auto note = mappers::parseNote(readFile(testDataDir() / "mappers" / "soap.note.json"));
  if (!note) throw std::runtime_error("cannot read soap.note.json");
  note->noteId = noteId;
  note->version = version;
  return std::move(*note);
}

// What the gateway stores as notes.bundle_json for that note: noteToFhir's transaction Bundle.
inline std::string sampleBundleJson(const std::string& noteId, int version = 1) {
  auto bundle = mappers::noteToFhir(sampleNote(noteId, version));
  if (!bundle) throw std::runtime_error("cannot map the sample note");
  return fhir::writeJson(**bundle);
}

}  // namespace notebridge::testing

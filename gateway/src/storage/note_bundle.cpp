#include "notebridge/gateway/note_bundle.h"

#include "notebridge/fhir/json_format.h"
#include "notebridge/mappers/note_json.h"
#include "notebridge/mappers/note_to_fhir.h"

namespace notebridge::gateway {

fhir::Result<std::string> noteBundleJson(std::string_view noteJson) {
  using R = fhir::Result<std::string>;
  // Strict, as POST /notes parses: the stored JSON is mappers::writeNote's output.
  auto note = mappers::parseNote(noteJson, mappers::ParseMode::kStrict);
  if (!note) return R(std::move(note.outcome()));
  auto bundle = mappers::noteToFhir(*note);
  if (!bundle) return R(std::move(bundle.outcome()));
  return fhir::writeJson(**bundle);
}

}  // namespace notebridge::gateway

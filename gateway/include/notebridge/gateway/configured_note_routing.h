#pragma once

#include <functional>
#include <string>
#include <vector>

#include "notebridge/fhir/outcome.h"
#include "notebridge/gateway/destination_config.h"
#include "notebridge/gateway/note_routing.h"

namespace notebridge::gateway {

// May this note go to this destination under the privacy rules? An empty outcome (or warnings
// only) allows it; an error refuses it and says why. Thread-safe.
using SensitivityCheck =
    std::function<fhir::Outcome(const mappers::Note& note, const DestinationConfig& destination)>;

// The privacy rule until consent tracking lands (DOMAIN §6.1, §6.2): psychotherapy notes and
// substance-use content go only to destinations with route.allow_sensitive, and only when the
// note carries the disclosure authorization the mapper checks (Note.sensitivity.authorization).
// The consent work replaces this with a Consent lookup through ConfiguredNoteRouting's hook.
fhir::Outcome defaultSensitivityCheck(const mappers::Note& note,
                                      const DestinationConfig& destination);

// NoteRouting from the destinations in the configuration. A note named destinations in its
// POST go exactly there (an unknown name, a status or client the destination does not take, or
// a privacy refusal is an error: 422). Otherwise it goes to every route.default destination
// whose statuses and clients match and whose privacy check passes (the others are skipped
// with an information issue). Drafts go nowhere. Immutable; thread-safe.
class ConfiguredNoteRouting final : public NoteRouting {
 public:
  explicit ConfiguredNoteRouting(std::vector<DestinationConfig> destinations,
                                 SensitivityCheck sensitivity = defaultSensitivityCheck);

  fhir::Result<std::vector<std::string>> destinationsFor(
      const mappers::Note& note, const std::vector<std::string>& requested) const override;

 private:
  // Why the destination does not take the note (error issues), or nothing.
  fhir::Outcome refusal(const mappers::Note& note, const DestinationConfig& destination) const;

  std::vector<DestinationConfig> destinations_;
  SensitivityCheck sensitivity_;
};

}  // namespace notebridge::gateway

#pragma once

#include <memory>
#include <string>
#include <vector>

#include "notebridge/fhir/outcome.h"
#include "notebridge/mappers/note.h"

namespace notebridge::gateway {

// Decides where an accepted note goes. The forwarding work implements it from configuration.
class NoteRouting {
 public:
  virtual ~NoteRouting() = default;
  // Destination names for this note; `requested` are names given in the POST /notes request
  // (query parameter `destination`, repeatable or comma-separated). An error (e.g. unknown
  // destination, refused by privacy rules) makes POST /notes answer 422.
  virtual fhir::Result<std::vector<std::string>> destinationsFor(
      const mappers::Note& note, const std::vector<std::string>& requested) const = 0;
};

// The routing when no destinations are configured: a note goes nowhere, and naming any
// destination is an error ("not-found", answered 422). Stateless; thread-safe.
class NoDestinationsRouting final : public NoteRouting {
 public:
  fhir::Result<std::vector<std::string>> destinationsFor(
      const mappers::Note& note, const std::vector<std::string>& requested) const override;
};

}  // namespace notebridge::gateway

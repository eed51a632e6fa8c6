#include "notebridge/gateway/note_routing.h"

namespace notebridge::gateway {

using fhir::Outcome;
using fhir::Result;
using fhir::Severity;

fhir::Result<std::vector<std::string>> NoDestinationsRouting::destinationsFor(
    const mappers::Note&, const std::vector<std::string>& requested) const {
  if (requested.empty()) return std::vector<std::string>{};
  Outcome outcome;
  for (const std::string& name : requested) {
    outcome.add(Severity::kError, "value",
                "unknown destination '" + name + "': no destinations are configured",
                "destination");
  }
  return Result<std::vector<std::string>>(std::move(outcome));
}

}  // namespace notebridge::gateway

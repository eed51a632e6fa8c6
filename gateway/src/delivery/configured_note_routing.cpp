#include "notebridge/gateway/configured_note_routing.h"

#include <algorithm>

#include "notebridge/mappers/note.h"

namespace notebridge::gateway {

using fhir::Outcome;
using fhir::Severity;

Outcome defaultSensitivityCheck(const mappers::Note& note, const DestinationConfig& destination) {
  Outcome outcome;
  const auto& s = note.sensitivity;
  if (!s.psychotherapyNote && !s.substanceUse) return outcome;
  const std::string what = s.psychotherapyNote ? "a psychotherapy note (45 CFR 164.508(a)(2))"
                                               : "substance-use content (42 CFR Part 2)";
  if (!destination.routing.allowSensitive) {
    outcome.add(Severity::kError, "security",
                what + " may not go to destination '" + destination.name +
                    "' (its route.allow_sensitive is false)",
                "sensitivity");
  } else if (!s.authorization) {
    outcome.add(Severity::kError, "security",
                what + " needs the client's authorization before it leaves the gateway",
                "sensitivity.authorization");
  }
  return outcome;
}

ConfiguredNoteRouting::ConfiguredNoteRouting(std::vector<DestinationConfig> destinations,
                                             SensitivityCheck sensitivity)
    : destinations_(std::move(destinations)), sensitivity_(std::move(sensitivity)) {
  if (!sensitivity_) sensitivity_ = defaultSensitivityCheck;
}

Outcome ConfiguredNoteRouting::refusal(const mappers::Note& note,
                                       const DestinationConfig& destination) const {
  Outcome outcome;
  const std::string status(mappers::toString(note.status));
  const auto& statuses = destination.routing.statuses;
  if (note.status == mappers::NoteStatus::kDraft ||
      std::find(statuses.begin(), statuses.end(), status) == statuses.end()) {
    outcome.add(Severity::kError, "business-rule",
                "destination '" + destination.name + "' does not take " + status + " notes",
                "status");
  }
  const auto& clients = destination.routing.clients;
  if (!clients.empty() &&
      std::find(clients.begin(), clients.end(), note.client.id) == clients.end()) {
    outcome.add(Severity::kError, "business-rule",
                "destination '" + destination.name + "' does not take notes of this client",
                "client.id");
  }
  outcome.append(sensitivity_(note, destination));
  return outcome;
}

fhir::Result<std::vector<std::string>> ConfiguredNoteRouting::destinationsFor(
    const mappers::Note& note, const std::vector<std::string>& requested) const {
  std::vector<std::string> names;
  Outcome outcome;
  if (note.status == mappers::NoteStatus::kDraft) return names;  // DOMAIN §9.3
  if (!requested.empty()) {
    for (const std::string& name : requested) {
      auto it = std::find_if(destinations_.begin(), destinations_.end(),
                             [&](const DestinationConfig& d) { return d.name == name; });
      if (it == destinations_.end()) {
        outcome.add(Severity::kError, "value", "unknown destination '" + name + "'", "destination");
        continue;
      }
      Outcome refused = refusal(note, *it);
      outcome.append(refused);
      if (!refused.hasErrors() && std::find(names.begin(), names.end(), name) == names.end()) {
        names.push_back(name);
      }
    }
    if (outcome.hasErrors()) return fhir::Result<std::vector<std::string>>(std::move(outcome));
    return fhir::Result<std::vector<std::string>>(std::move(names), std::move(outcome));
  }
  for (const DestinationConfig& destination : destinations_) {
    if (!destination.routing.byDefault) continue;
    Outcome refused = refusal(note, destination);
    if (refused.hasErrors()) {
      // Not an error for the practice: the note is stored; this destination just does not get it.
      for (const auto& issue : refused.issues()) {
        outcome.add(Severity::kInformation, issue.code,
                    "not sent to '" + destination.name + "': " + issue.diagnostics,
                    issue.expression);
      }
      continue;
    }
    names.push_back(destination.name);
  }
  return fhir::Result<std::vector<std::string>>(std::move(names), std::move(outcome));
}

}  // namespace notebridge::gateway

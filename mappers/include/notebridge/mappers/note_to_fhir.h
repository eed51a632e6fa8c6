#pragma once

#include <string>

#include "notebridge/fhir/element.h"
#include "notebridge/fhir/outcome.h"
#include "notebridge/mappers/note.h"

namespace notebridge::mappers {

// How a note becomes FHIR. Defaults follow DOMAIN.md §1.1 and §8.
struct NoteToFhirOptions {
  // DocumentReference.type LOINC code; 34904-3 "Mental health Progress note" by default. An
  // empty or unknown code falls back to 11506-3 with a warning.
  std::string noteTypeCode = "34904-3";
  // Also send the generic 11506-3 "Progress note" coding beside a more specific code, because
  // servers are only required to support the common notes (DOMAIN §0.1). Both are LOINC, which
  // Oracle accepts (it rejects LOINC mixed with proprietary codes, DOMAIN §9.7).
  bool addGenericNoteType = true;
  // DocumentReference.date (when the reference is created). Empty: the signature time. The
  // mapper never reads the clock.
  std::string created;
  // The XHTML rendering (a heading per section) is always the DocumentReference narrative
  // (DocumentReference.text), which keeps one content entry as our progress-note profile and
  // Oracle want (DOMAIN §1.6). This also attaches it as a second content entry
  // (application/xhtml+xml) for receivers that take several.
  bool includeXhtmlAttachment = false;
};

// Maps a note to a FHIR R4 transaction Bundle (https://hl7.org/fhir/R4/http.html#transaction)
// of conditional creates: DocumentReference, an Observation per measure, Encounter, a Condition
// per diagnosis, Patient, Practitioner, PractitionerRole, Organization, Goals, Procedures
// (interventions), MedicationStatements, RiskAssessment, Appointment (next session) and a
// Provenance. Ids and identifiers derive from the practice NPI, note id and version only, so the
// same note always gives the same tree. Refuses (error, no value) drafts, notes without a
// signature, and psychotherapy notes without an authorization; warns when the CPT code does not
// match the minutes or a substance-use diagnosis is not flagged. The caller owns the tree.
// Pure (no clock, network, configuration or randomness) and thread-safe.
fhir::Result<fhir::Element::Ptr> noteToFhir(const Note& note,
                                            const NoteToFhirOptions& options = {});

// The CPT code expected for a psychotherapy session of `minutes` (90832/90834/90837, DOMAIN
// §3.1), or empty below 16 minutes.
std::string expectedPsychotherapyCpt(int minutes);

}  // namespace notebridge::mappers

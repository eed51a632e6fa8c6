#pragma once

#include <string>
#include <vector>

#include "notebridge/fhir/element.h"
#include "notebridge/fhir/outcome.h"
#include "notebridge/mappers/note.h"
#include "notebridge/mappers/note_to_fhir.h"

namespace notebridge::mappers {

struct TransferOptions {
  // Bundle.timestamp and Composition.date: a FHIR instant the caller reads from its clock.
  std::string now;
  // A Consent resource to travel with the document (DOMAIN §7 "include a Consent"); not owned,
  // copied into the Bundle. Null: none.
  const fhir::Element* consent = nullptr;
  // How each note becomes its DocumentReference and resources.
  NoteToFhirOptions noteOptions;
};

// The LOINC code of the Composition: 18761-7 "Transfer summary note" (DOMAIN §7).
inline constexpr const char* kTransferSummaryCode = "18761-7";

// Builds a FHIR document Bundle (https://hl7.org/fhir/R4/documents.html) that transfers one
// client's record: a Composition of type 18761-7 first, whose sections (each with a narrative
// and entries) answer what a new therapist needs: reasons for care, diagnoses, goals with their
// progress and setbacks, interventions that worked and did not, medications and adherence,
// score history with the trend per instrument (first vs last total), risk, the current plan,
// the session notes, and, when substance-use content travels, the 42 CFR Part 2 redisclosure
// notice. Every note becomes the resources noteToFhir gives (DocumentReference, Observations,
// Encounter, Conditions, Patient, Practitioner, ...), without the transaction requests; shared
// resources (Patient, Conditions, Goals) appear once, as the newest note has them.
//
// `notes` are one client's notes, newest last; only the latest version of each note id is used.
// The caller has already applied consent (evaluateConsent); as a second line of defence drafts,
// entered-in-error notes and psychotherapy notes are left out with a warning. Errors (no value):
// no note left, notes of several clients, a note noteToFhir refuses. Ids derive from the
// practice NPI, the client id, the note keys and `now` only. Pure and thread-safe; the caller
// owns the tree.
fhir::Result<fhir::Element::Ptr> buildTransferSummary(const std::vector<Note>& notes,
                                                      const TransferOptions& options);

}  // namespace notebridge::mappers

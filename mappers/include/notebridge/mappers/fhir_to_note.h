#pragma once

#include "notebridge/fhir/element.h"
#include "notebridge/fhir/outcome.h"
#include "notebridge/mappers/note.h"

namespace notebridge::mappers {

// Reads a note back from FHIR: a DocumentReference alone, or a Bundle of any type (transaction,
// collection, document, searchset, ...) holding one DocumentReference and the resources it
// draws on (Observations, Encounter, Conditions, Patient, Practitioner, Organization, Goals,
// Procedures, MedicationStatements, RiskAssessment, Appointment, Provenance).
//
// Our own rendering gives the sections back exactly (from the XHTML attachment); a foreign note
// is split by headings (text/plain, text/html or XHTML), or kept whole as a narrative; a PDF or
// other binary content is kept as an opaque attachment with a warning. Scores are read from
// valueInteger, valueQuantity, valueDecimal or valueString. Whatever cannot be mapped is
// reported as an issue with its element path, never dropped silently. The Result holds a Note
// when a DocumentReference was found; the Note may lack fields the strict parser requires (each
// reported as a warning). Pure and thread-safe; the tree is only read.
fhir::Result<Note> fhirToNote(const fhir::Element& root);

}  // namespace notebridge::mappers

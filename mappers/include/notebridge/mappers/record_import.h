#pragma once

#include <string>
#include <vector>

#include "notebridge/fhir/element.h"
#include "notebridge/fhir/outcome.h"
#include "notebridge/mappers/note.h"

namespace notebridge::mappers {

// One note read from a received record.
struct ImportedNote {
  Note note;
  // Stable across repeated imports of the same document: "<identifier system>|<value>" of the
  // DocumentReference (ours carries the practice NPI, note id and version), else its fullUrl or
  // id. The receiver stores a note once per key.
  std::string key;
  // What fhirToNote reported for this note (paths inside the received Bundle).
  fhir::Outcome outcome;
  // Bundle.entry.fullUrl of the note's DocumentReference (empty for a bare DocumentReference).
  std::string documentFullUrl;
};

// A client record received from elsewhere (a transfer document, or any Bundle of notes).
struct ImportedRecord {
  Client client;                    // from the newest note
  std::vector<ImportedNote> notes;  // in Bundle order
  // "<system>|<value>" of Bundle.identifier; empty when the Bundle has none.
  std::string documentKey;
};

// Reads a Bundle of any type (document, collection, transaction, searchset) holding one or more
// notes: each DocumentReference that does not append to another becomes a Note through
// fhirToNote, given the resources that belong to it (those its Provenance targets, or that
// refer to it or its Encounter, plus the Patient, Practitioner and Organization they name).
// A single DocumentReference is read as a one-note record. Errors (no value): not a Bundle or
// DocumentReference, or no DocumentReference in it. A note that cannot be read is left out with
// its issues (error) in the outcome; the others are kept. Pure and thread-safe; the tree is
// only read.
fhir::Result<ImportedRecord> importRecord(const fhir::Element& root);

}  // namespace notebridge::mappers

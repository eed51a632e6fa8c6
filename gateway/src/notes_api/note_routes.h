#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "notebridge/fhir/definitions.h"
#include "notebridge/fhir/element.h"
#include "notebridge/gateway/gateway_config.h"
#include "notebridge/gateway/note_routing.h"
#include "notebridge/gateway/router.h"
#include "notebridge/gateway/store.h"
#include "notebridge/gateway/validation_cache.h"
#include "notebridge/mappers/note.h"
#include "notebridge/validation/validator.h"

namespace notebridge::gateway {

// Adds the internal notes API (API-key routes): POST /notes, GET /notes, GET /notes/{id},
// GET /notes/{id}/versions/{v}, GET /notes/{id}/fhir. README "Internal API" documents it.
void addNoteRoutes(Router& router, std::shared_ptr<Store> store,
                   std::shared_ptr<const fhir::DefinitionRegistry> registry,
                   std::shared_ptr<const validation::Validator> validator,
                   std::shared_ptr<const NoteRouting> routing, const GatewayConfig& config);

// Inbound FHIR (a DocumentReference, or a Bundle holding one) turned into a stored note with
// source "inbound" (mappers::fhirToNote), written with its import AuditEvent inside `tx`, the
// transaction that stores the FHIR write itself: resource, note and audit commit together or not
// at all. Re-sending the same content stores nothing new; a changed document under the same note
// id and version is stored as the next version. The value is what to add to the answer: the
// mapping's warnings (also stored with the note), a document that cannot be mapped as warnings
// (the resource is accepted without a note), and where the note went. A failure means the note
// could not be written: the caller must roll `tx` back. Thread-safe.
struct InboundNoteReport {
  fhir::Outcome issues;  // warnings and information for the answer
};
fhir::Result<InboundNoteReport> storeInboundNote(ResourceTransaction& tx,
                                                 const fhir::Element& root);

// The note row for `note` as stored (id, version, client, status, `source`, canonical JSON and
// its SHA-256, which makes re-sending the same content idempotent); bundleJson left empty.
NoteRecord noteRecordFor(const mappers::Note& note, std::string source);

// A note's FHIR form ready to store (POST /notes): mappers::noteToFhir, each resource taken out
// of the Bundle with ids from its fullUrl and references resolved to them, validated through
// `validation` (none when null; warnings kept with their Bundle.entry[i] paths, errors fail the
// result) and rendered (templatedWrite). The Bundle itself is not kept. Thread-safe.
struct MappedNote {
  std::vector<std::pair<std::string, std::string>> refs;  // type, id, in Bundle order
  std::vector<ResourceWrite> writes;
};
fhir::Result<MappedNote> mapNote(const mappers::Note& note, ValidationCache* validation);

// The POST /notes answer body for a stored note; the same for a replay of the same content.
std::string postAnswer(const NoteRecord& note,
                       const std::vector<std::pair<std::string, std::string>>& refs,
                       const std::vector<NoteDelivery>& deliveries, const fhir::Outcome& warnings);

// Replaces every Reference.reference (and the Bundle-internal urn:uuid URIs) found in `tree`
// that is a key of `targets` with its value. Used for fullUrl resolution.
void rewriteReferences(fhir::Element& tree, const std::map<std::string, std::string>& targets);

// Stamps Resource.id, meta.versionId and meta.lastUpdated (from fhir_routes.cpp).
void stampVersion(fhir::Element& resource, const ResourceVersion& version);

}  // namespace notebridge::gateway

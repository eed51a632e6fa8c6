#pragma once

#include <functional>
#include <memory>
#include <string>

#include "notebridge/fhir/definitions.h"
#include "notebridge/fhir/element.h"
#include "notebridge/fhir/outcome.h"
#include "notebridge/gateway/gateway_config.h"
#include "notebridge/gateway/http_exchange.h"
#include "notebridge/gateway/outbound_transform.h"
#include "notebridge/gateway/router.h"
#include "notebridge/gateway/store.h"
#include "notebridge/validation/validator.h"

// The transfer and payer journeys (issue 9): consent-checked disclosures, their import on the
// receiving side, and the AuditEvents that record both. README "Journeys" tells them.
namespace notebridge::gateway {

// What the journey routes share. `validator` checks outbound documents and Parameters (its
// store should hold the CDex package, definitions.packages, for $submit-attachment profile
// checks; without it the Parameters are checked against R4 only, with a warning).
struct JourneyContext {
  std::shared_ptr<Store> store;
  std::shared_ptr<const fhir::DefinitionRegistry> registry;
  std::shared_ptr<const validation::Validator> validator;
  GatewayConfig config;
  // The port the server listens on once started (config.port may be 0); null: config.port.
  std::function<int()> boundPort;
};

// Adds the internal (API key) routes:
//   POST /clients/{id}/transfer  {"recipient": destination, "consent": Consent resource |
//        "consentReference": "Consent/<id>", "purpose": "TREAT"}: evaluates the consent for
//        every note of the client, builds the transfer document (mappers::buildTransferSummary)
//        of the permitted ones and POSTs it to {base_url}/Bundle of the recipient destination.
//        Refusals are 403 OperationOutcomes naming the reason (missing, expired or inactive
//        consent, wrong recipient or purpose, only psychotherapy or Part 2 notes); a malformed
//        request 400/422; the recipient's failure 502/504.
//   POST /notes/{id}/submit  {"destination": payer, "claimId", "trackingId", "lineItems": [],
//        "attachTo", "final"}: the payer checklist, the CDex Parameters validated against
//        cdex-parameters-submit-attachment, POSTed to {base_url}/$submit-attachment. Checklist
//        or validation errors are 422; a payer's 4xx (413: too large) is a 502 whose outcome
//        says the submission is dead-lettered and why.
// and the FHIR (bearer JWT) route that receives a transfer:
//   POST /fhir/Bundle with a document Bundle: imported as notes of the client (source inbound),
//        no duplicates when the same document arrives again (201 when a note was added, 200 when
//        everything was known). POST /fhir hands document Bundles to importTransferDocument.
// Every disclosure and import stores an AuditEvent (IHE BALP), searchable at
// GET /fhir/AuditEvent?patient=. Thread-safe.
void addJourneyRoutes(Router& router, std::shared_ptr<const JourneyContext> context);

// The store write of an AuditEvent (a new random id; Resource.id and meta stamped as the FHIR
// API stamps them; indexed for GET /fhir/AuditEvent?patient=). Takes ownership of `event`.
ResourceWrite auditEventWrite(fhir::Element::Ptr event);

// Imports a received document Bundle (already parsed) and answers the exchange: validation
// errors 422, notes stored with source inbound (201 when one was new, 200 otherwise), an import
// AuditEvent stored. A JWT principal needs a scope allowing create on Bundle (403 otherwise).
void importTransferDocument(HttpExchange& exchange, const JourneyContext& context,
                            const fhir::Element& bundle);

// The CDex Parameters for a stored note Bundle (noteToFhir's output) going to a payer
// destination through the outbox, with the note key as TrackingId: the SubmitAttachmentBuilder
// for OutboundTransform. Errors (checklist, mapping) refuse the delivery.
SubmitAttachmentBuilder cdexSubmitAttachmentBuilder();

}  // namespace notebridge::gateway

#pragma once

#include <string>
#include <vector>

#include "notebridge/fhir/element.h"
#include "notebridge/fhir/outcome.h"
#include "notebridge/mappers/note.h"
#include "notebridge/mappers/note_to_fhir.h"

// Payer submission through Da Vinci CDex $submit-attachment (DOMAIN.md §4.1, §4.4).
namespace notebridge::mappers {

// The Parameters profile the built body claims and validates against.
inline constexpr const char* kCdexSubmitAttachmentProfile =
    "http://hl7.org/fhir/us/davinci-cdex/StructureDefinition/cdex-parameters-submit-attachment";

struct SubmissionRequest {
  // TrackingId (1..1 Identifier): the attachment control number. An empty value takes the claim
  // id, which for an unsolicited claim attachment is what the provider put on the claim.
  std::string trackingSystem = "https://notebridge.io/fhir/sid/attachment-tracking";
  std::string trackingId;
  std::string claimId;
  std::string attachTo = "claim";  // cdex-claim-use: claim | preauthorization
  // PayerId (0..1): needed when one endpoint serves several payers; empty = left out.
  std::string payerSystem;
  std::string payerId;
  // Claim line numbers the notes support; empty = the whole claim.
  std::vector<std::string> lineItems;
  bool final = true;  // Final: false when more attachments follow
  NoteToFhirOptions noteOptions;
};

// The payer checklist of DOMAIN §4.4 for one note: every missing item is an issue with the note
// path (error: date of service, minutes matching the CPT band, ranked diagnoses, signature,
// payer member id (client identifier of type MB), rendering provider NPI or practice NPI;
// warning: no measurable progress (no scored measure and no goal progress), substance-use
// content (a Part 2 consent for payment must be on file)). Pure and thread-safe.
fhir::Outcome payerChecklist(const Note& note);

// Builds the $submit-attachment Parameters for one or more notes of one client and one claim:
// TrackingId, AttachTo, PayerId, OrganizationId (practice NPI), ProviderId (clinician NPI),
// MemberId, ServiceDate (day of the earliest session), an Attachment per note (LineItem, Code
// LOINC 11506-3, Content = the note's DocumentReference with its subject a logical reference by
// member id, as in the CDex example, and its author and custodian by NPI), Final. Each note runs
// the checklist first; any error (or a note noteToFhir refuses) gives no value. Pure and
// thread-safe; the caller owns the tree.
fhir::Result<fhir::Element::Ptr> buildSubmitAttachment(const std::vector<Note>& notes,
                                                       const SubmissionRequest& request);

}  // namespace notebridge::mappers

#pragma once

#include <string>
#include <vector>

#include "notebridge/fhir/element.h"

// AuditEvents in the IHE Basic Audit Log Patterns shape (DOMAIN.md §6.6,
// https://profiles.ihe.net/ITI/BALP): minimal records holding references, never copies of PHI.
namespace notebridge::mappers {

inline constexpr const char* kBalpDisclosureSource =
    "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PrivacyDisclosure.Source";
inline constexpr const char* kBalpDisclosureRecipient =
    "https://profiles.ihe.net/ITI/BALP/StructureDefinition/"
    "IHE.BasicAudit.PrivacyDisclosure.Recipient";

struct AuditRecord {
  std::string id;           // AuditEvent.id; empty = none (the store assigns one)
  std::string recorded;     // FHIR instant (the caller reads the clock)
  bool success = true;      // outcome 0, else 8 (serious failure)
  std::string outcomeText;  // outcomeDesc, e.g. the refusal reason; never note text
  // The NoteBridge instance that records the event (source.observer and the agent on our side),
  // as a display name and a network address (its base URL).
  std::string observerName;
  std::string observerAddress;
  // The other side: the recipient of a disclosure, or the sender of an import.
  std::string partnerName;
  std::string partnerAddress;
  std::string purposeOfUse;                 // v3-ActReason code ("TREAT", "HPAYMT"); empty = none
  std::string patientReference;             // "Patient/<id>" as stored on this side
  std::string patientDisplay;               // e.g. the client id; never a name in a minimal record
  std::vector<std::string> dataReferences;  // what was disclosed or imported
  std::string consentReference;             // the Consent that permitted it; empty = none
};

// IHE.BasicAudit.PrivacyDisclosure.Source: a record left this gateway (type DCM 110106 Export,
// subtype iso-21089-lifecycle#disclose, action R, agents source 110153 = us, recipient 110152;
// entities patient (type 1, role 1), data (type 2, role 3), consent). Never fails; the caller
// owns the tree (a resource named "AuditEvent").
fhir::Element::Ptr disclosureAuditEvent(const AuditRecord& record);

// IHE.BasicAudit.PrivacyDisclosure.Recipient: a record arrived (type DCM 110107 Import,
// subtype disclose, action C, agents source 110153 = the sender, recipient 110152 = us).
fhir::Element::Ptr importAuditEvent(const AuditRecord& record);

}  // namespace notebridge::mappers

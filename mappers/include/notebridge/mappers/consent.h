#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "notebridge/fhir/element.h"
#include "notebridge/fhir/outcome.h"
#include "notebridge/mappers/note.h"

// Consent evaluation before a disclosure (DOMAIN.md §6.1-§6.4). Pure: the clock reading `now`
// is a parameter. Plain value types; all functions are thread-safe.
namespace notebridge::mappers {

// Who someone is, as a Consent may name them: literal references ("Organization/abc",
// "https://x.org/fhir/Organization/abc") and identifiers (system, value).
struct Party {
  std::vector<std::string> references;
  std::vector<std::pair<std::string, std::string>> identifiers;
  bool operator==(const Party&) const = default;
};

// A Consent.provision (https://hl7.org/fhir/R4/consent-definitions.html#Consent.provision),
// with the parts the gateway evaluates.
struct ConsentProvision {
  std::string type;  // "permit" | "deny" | "" (not given)
  std::string periodStart, periodEnd;
  // Actors with a recipient role (IRCP, PRCP, REFT, TRC or no role code): who may receive.
  std::vector<Party> recipients;
  std::vector<std::string> purposes;         // v3-ActReason codes ("TREAT", "HPAYMT")
  std::vector<std::string> securityLabels;   // codes ("42CFRPart2", "PSY", "SUD", ...)
  std::vector<ConsentProvision> provisions;  // nested exceptions
  bool operator==(const ConsentProvision&) const = default;
};

// The terms of a FHIR R4 Consent that matter for a disclosure.
struct ConsentTerms {
  std::string id;
  std::string status;  // draft | proposed | active | rejected | inactive | entered-in-error
  Party patient;
  std::vector<std::string> policyRules;  // policyRule codes and policy uris
  ConsentProvision provision;
  bool hasProvision = false;
  bool operator==(const ConsentTerms&) const = default;
};

// Reads the terms of a Consent resource. Errors (no value): not a Consent, or a period whose
// dates cannot be read. Warnings name parts that are ignored. The tree is only read.
fhir::Result<ConsentTerms> readConsent(const fhir::Element& consent);

// What a note is, for privacy decisions: its security labels (as noteToFhir puts them on every
// resource: R, PSY, MH; SUD, ETH, 42CFRPart2 for substance-use content; PSYTHPN, HIPAAPsyNotes
// for a psychotherapy note) and who its client is.
struct NotePrivacy {
  bool psychotherapyNote = false;
  bool substanceUse = false;  // flagged, or an F10-F19 diagnosis (DOMAIN §9.16)
  std::vector<std::pair<std::string, std::string>> labels;  // (system, code)
  Party patient;  // client identifiers, our patient identifier, "Patient/<client id>"
};
NotePrivacy privacyOf(const Note& note);

// What a disclosure is: to whom, why, when.
struct DisclosureRequest {
  Party recipient;
  std::string purpose;  // v3-ActReason code, e.g. "TREAT"
  std::string now;      // FHIR instant (the caller reads the clock)
};

struct ConsentDecision {
  bool permit = false;
  // True when the refusal concerns the consent itself (status, period, patient, recipient,
  // purpose), not this note's content: no note of the client may leave under this consent.
  bool consentRefused = false;
  // Why: error issues for a refusal (code "expired", "forbidden" or "security", expression the
  // Consent or note element at fault), information issues for a permit.
  fhir::Outcome reasons;
};

// Decides whether one note may be disclosed under a consent. Refuses: a consent not active,
// `now` outside provision.period, another patient, a recipient the consent does not name, a
// purpose it does not list, a root provision that denies; a nested provision that applies
// (its labels, recipients, purposes and period match) decides instead of the root. Whatever the
// consent says, psychotherapy notes are refused (they need their own authorization, 45 CFR
// 164.508(a)(2)), and substance-use content is refused unless an applicable permit provision
// lists 42CFRPart2 (or SUD/ETH) or a policy rule names 42 CFR Part 2 (DOMAIN §6.2).
ConsentDecision evaluateConsent(const ConsentTerms& consent, const DisclosureRequest& request,
                                const NotePrivacy& note);

}  // namespace notebridge::mappers

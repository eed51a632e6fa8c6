#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "notebridge/fhir/definitions.h"
#include "notebridge/fhir/element.h"
#include "notebridge/fhir/outcome.h"
#include "notebridge/gateway/destination_config.h"
#include "notebridge/validation/validator.h"

namespace notebridge::gateway {

// One resource of a per-resource delivery (put, conditional-create), in send order.
struct OutboundResource {
  std::string type;         // "DocumentReference"
  std::string fullUrl;      // its urn:uuid in the stored Bundle (how the others reference it)
  std::string method;       // "PUT" or "POST"
  std::string url;          // relative to the base: "DocumentReference/<id>", "DocumentReference",
                            // or a conditional update "DocumentReference?identifier=..."
  std::string ifNoneExist;  // conditional create: the If-None-Exist query
  fhir::Element::Ptr resource;
};

// What to send for one note to one destination.
struct OutboundPlan {
  DeliveryInteraction interaction = DeliveryInteraction::kTransaction;
  // kTransaction: the Bundle POSTed to the base. kSubmitAttachment: the Parameters POSTed to
  // [base]/$submit-attachment.
  fhir::Element::Ptr body;
  // kTransaction with nothing to change (JSON, no vendor rules, no profiles): the stored Bundle
  // text as it is, sent without a parse and a write. `body` is then null.
  std::string verbatimBody;
  // kPut / kConditionalCreate: the resources, referenced ones first. For kPut, references are
  // already "Type/id"; for kConditionalCreate, "urn:uuid:..." references are rewritten by the
  // sender from the ids the receiver returns (Location).
  std::vector<OutboundResource> resources;
};

// Builds the Da Vinci CDex $submit-attachment Parameters from the stored Bundle (the journeys
// work supplies it). Errors refuse the delivery (dead-letter with the issues).
using SubmitAttachmentBuilder = std::function<fhir::Result<fhir::Element::Ptr>(
    const fhir::Element& bundle, const DestinationConfig& destination)>;

// Applies a destination's vendor rules (DOMAIN §1.6) to a DocumentReference in place. Problems
// that cannot be fixed without inventing data (a date-only dateTime under require_time_on_dates,
// no period start or date to fill period.end from) are error issues naming the element.
fhir::Outcome applyVendorRules(fhir::Element& documentReference, const VendorRules& rules);

// Turns a stored transaction Bundle (noteToFhir's output) into what a destination receives:
// vendor rules applied, every resource validated against the destination's profiles of its
// type, then shaped for the interaction. Immutable and thread-safe.
class OutboundTransform {
 public:
  // `validator` may be null when no destination names profiles.
  OutboundTransform(std::shared_ptr<const fhir::DefinitionRegistry> registry,
                    std::shared_ptr<const validation::Validator> validator,
                    SubmitAttachmentBuilder submitAttachment = nullptr);

  // The plan, or why the note cannot go (vendor rule or profile validation errors, an
  // unparseable stored Bundle, submit-attachment without a builder): error issues naming the
  // element, e.g. "DocumentReference.context.period.end".
  fhir::Result<OutboundPlan> plan(std::string_view bundleJson,
                                  const DestinationConfig& destination) const;

  // A resource in the destination's format (FHIR JSON or XML).
  std::string render(const fhir::Element& resource, DestinationFormat format) const;
  // The MIME type of that format.
  static std::string_view contentType(DestinationFormat format);

  // Rewrites every Reference.reference whose value is a key of `map` (kConditionalCreate).
  static void rewriteReferences(fhir::Element& resource,
                                const std::vector<std::pair<std::string, std::string>>& map);

  // Removes references still of the urn:uuid form (a cycle the receiver cannot resolve yet):
  // the repeating backbone element holding one (Encounter.diagnosis[n]) or the Reference
  // itself. Each removal is an information issue in `dropped`.
  static void dropUnresolvedReferences(fhir::Element& resource, fhir::Outcome& dropped);

  const fhir::DefinitionRegistry& registry() const { return *registry_; }

 private:
  fhir::Outcome validate(const fhir::Element& resource, const DestinationConfig& destination,
                         const std::string& where) const;

  std::shared_ptr<const fhir::DefinitionRegistry> registry_;
  std::shared_ptr<const validation::Validator> validator_;
  SubmitAttachmentBuilder submitAttachment_;
};

}  // namespace notebridge::gateway

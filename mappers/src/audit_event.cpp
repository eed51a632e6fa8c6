#include "notebridge/mappers/audit_event.h"

#include "tree.h"

namespace notebridge::mappers {
namespace {

using fhir::Element;
using namespace tree;

constexpr std::string_view kDcm = "http://dicom.nema.org/resources/ontology/DCM";
constexpr std::string_view kLifecycle = "http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle";
constexpr std::string_view kActReason = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
constexpr std::string_view kEntityType = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
constexpr std::string_view kObjectRole = "http://terminology.hl7.org/CodeSystem/object-role";
constexpr std::string_view kSourceType =
    "http://terminology.hl7.org/CodeSystem/security-source-type";

void agent(Element& event, std::string_view roleCode, std::string_view roleDisplay,
           std::string_view name, std::string_view address) {
  Element& a = complex(event, "agent"_name, "BackboneElement"_name, true);
  codeable(a, "type"_name, kDcm, roleCode, roleDisplay, {}, false);
  Element& who = complex(a, "who"_name, "Reference"_name);
  prim(who, "display"_name, "string"_name, name.empty() ? std::string_view("unknown") : name);
  prim(a, "requestor"_name, "boolean"_name, "false");
  if (!address.empty()) {
    Element& network = complex(a, "network"_name, "BackboneElement"_name);
    prim(network, "address"_name, "string"_name, address);
    prim(network, "type"_name, "code"_name, "5");  // 5 = URI
  }
}

void entity(Element& event, std::string_view reference, std::string_view display,
            std::string_view type, std::string_view role) {
  Element& e = complex(event, "entity"_name, "BackboneElement"_name, true);
  Element& what = complex(e, "what"_name, "Reference"_name);
  prim(what, "reference"_name, "string"_name, reference);
  if (!display.empty()) prim(what, "display"_name, "string"_name, display);
  coding(e, "type"_name, kEntityType, type, {}, false);
  coding(e, "role"_name, kObjectRole, role, {}, false);
}

Element::Ptr build(const AuditRecord& r, bool disclosure) {
  auto event = Element::makeResource("AuditEvent");
  if (!r.id.empty()) prim(*event, "id"_name, "id"_name, r.id);
  {
    Element& meta = complex(*event, "meta"_name, "Meta"_name);
    prim(meta, "profile"_name, "canonical"_name,
         disclosure ? kBalpDisclosureSource : kBalpDisclosureRecipient, true);
    // The audit trail of behavioral-health disclosures is itself restricted (DOMAIN §6.3).
    coding(meta, "security"_name, "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "R");
  }
  {
    Element& type = complex(*event, "type"_name, "Coding"_name);
    prim(type, "system"_name, "uri"_name, kDcm);
    prim(type, "code"_name, "code"_name, disclosure ? "110106" : "110107");
    prim(type, "display"_name, "string"_name, disclosure ? "Export" : "Import");
  }
  coding(*event, "subtype"_name, kLifecycle, "disclose", "Disclose Record Lifecycle Event");
  prim(*event, "action"_name, "code"_name, disclosure ? "R" : "C");
  prim(*event, "recorded"_name, "instant"_name, r.recorded);
  prim(*event, "outcome"_name, "code"_name, r.success ? "0" : "8");
  if (!r.outcomeText.empty()) prim(*event, "outcomeDesc"_name, "string"_name, r.outcomeText);
  if (!r.purposeOfUse.empty()) codeable(*event, "purposeOfEvent"_name, kActReason, r.purposeOfUse);
  // Source Role ID (110153) is the sender, Destination Role ID (110152) the receiver.
  if (disclosure) {
    agent(*event, "110153", "Source Role ID", r.observerName, r.observerAddress);
    agent(*event, "110152", "Destination Role ID", r.partnerName, r.partnerAddress);
  } else {
    agent(*event, "110153", "Source Role ID", r.partnerName, r.partnerAddress);
    agent(*event, "110152", "Destination Role ID", r.observerName, r.observerAddress);
  }
  {
    Element& source = complex(*event, "source"_name, "BackboneElement"_name);
    prim(source, "site"_name, "string"_name, r.observerName);
    Element& observer = complex(source, "observer"_name, "Reference"_name);
    prim(observer, "display"_name, "string"_name,
         r.observerName.empty() ? "NoteBridge" : r.observerName);
    coding(source, "type"_name, kSourceType, "4", "Application Server");
  }
  if (!r.patientReference.empty()) entity(*event, r.patientReference, r.patientDisplay, "1", "1");
  for (const auto& data : r.dataReferences) entity(*event, data, {}, "2", "3");
  if (!r.consentReference.empty()) entity(*event, r.consentReference, "consent", "2", "13");
  return event;
}

}  // namespace

Element::Ptr disclosureAuditEvent(const AuditRecord& record) { return build(record, true); }

Element::Ptr importAuditEvent(const AuditRecord& record) { return build(record, false); }

}  // namespace notebridge::mappers

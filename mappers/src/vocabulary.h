#pragma once

#include <string_view>

// Code systems, canonical URLs and NoteBridge's own systems used by both mapping directions.
namespace notebridge::mappers::vocab {

inline constexpr std::string_view kLoinc = "http://loinc.org";
inline constexpr std::string_view kSnomed = "http://snomed.info/sct";
inline constexpr std::string_view kIcd10Cm = "http://hl7.org/fhir/sid/icd-10-cm";
inline constexpr std::string_view kCpt = "http://www.ama-assn.org/go/cpt";
inline constexpr std::string_view kRxNorm = "http://www.nlm.nih.gov/research/umls/rxnorm";
inline constexpr std::string_view kNpi = "http://hl7.org/fhir/sid/us-npi";
inline constexpr std::string_view kEin = "urn:oid:2.16.840.1.113883.4.4";
inline constexpr std::string_view kUcum = "http://unitsofmeasure.org";
inline constexpr std::string_view kPos =
    "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set";
inline constexpr std::string_view kV2IdentifierType =
    "http://terminology.hl7.org/CodeSystem/v2-0203";
inline constexpr std::string_view kConfidentiality =
    "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";
inline constexpr std::string_view kActCode = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
inline constexpr std::string_view kParticipationType =
    "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
inline constexpr std::string_view kDocCategory =
    "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category";
inline constexpr std::string_view kObservationCategory =
    "http://terminology.hl7.org/CodeSystem/observation-category";
inline constexpr std::string_view kConditionCategory =
    "http://terminology.hl7.org/CodeSystem/condition-category";
inline constexpr std::string_view kConditionClinical =
    "http://terminology.hl7.org/CodeSystem/condition-clinical";
inline constexpr std::string_view kConditionVerification =
    "http://terminology.hl7.org/CodeSystem/condition-ver-status";
inline constexpr std::string_view kGoalAchievement =
    "http://terminology.hl7.org/CodeSystem/goal-achievement";
inline constexpr std::string_view kDataAbsentReason =
    "http://terminology.hl7.org/CodeSystem/data-absent-reason";
inline constexpr std::string_view kRiskProbability =
    "http://terminology.hl7.org/CodeSystem/risk-probability";
inline constexpr std::string_view kProvenanceParticipant =
    "http://terminology.hl7.org/CodeSystem/provenance-participant-type";
inline constexpr std::string_view kUsCoreProvenanceParticipant =
    "http://hl7.org/fhir/us/core/CodeSystem/us-core-provenance-participant-type";
inline constexpr std::string_view kLifecycle =
    "http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle";
inline constexpr std::string_view kDataOperation =
    "http://terminology.hl7.org/CodeSystem/v3-DataOperation";
inline constexpr std::string_view kSignatureType = "urn:iso-astm:E1762-95:2013";
// R5 MedicationStatement.adherence as an R4 cross-version extension (DOMAIN §8 [S22]).
inline constexpr std::string_view kAdherenceExtension =
    "http://hl7.org/fhir/5.0/StructureDefinition/extension-MedicationStatement.adherence";
inline constexpr std::string_view kAdherenceCodes =
    "http://hl7.org/fhir/CodeSystem/medication-statement-adherence";

inline constexpr std::string_view kUsCoreDocumentReference =
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-documentreference";
inline constexpr std::string_view kUsCoreScreening =
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-observation-screening-assessment";
inline constexpr std::string_view kUsCorePatient =
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient";
inline constexpr std::string_view kUsCoreEncounter =
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-encounter";
inline constexpr std::string_view kUsCoreCondition =
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-condition-encounter-diagnosis";
inline constexpr std::string_view kUsCorePractitioner =
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-practitioner";
inline constexpr std::string_view kUsCorePractitionerRole =
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-practitionerrole";
inline constexpr std::string_view kUsCoreOrganization =
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-organization";
inline constexpr std::string_view kUsCoreGoal =
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-goal";
inline constexpr std::string_view kUsCoreProcedure =
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-procedure";
inline constexpr std::string_view kUsCoreProvenance =
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-provenance";

// NoteBridge's own systems and extensions (to be defined in fhir-profiles/definitions, issue 5).
inline constexpr std::string_view kOwnBase = "https://notebridge.io/fhir";
inline constexpr std::string_view kNoteIdSystem = "https://notebridge.io/fhir/sid/note";
inline constexpr std::string_view kAuthorizationSystem =
    "https://notebridge.io/fhir/sid/authorization";
inline constexpr std::string_view kNoteFormatSystem =
    "https://notebridge.io/fhir/CodeSystem/note-format";
inline constexpr std::string_view kModalitySystem =
    "https://notebridge.io/fhir/CodeSystem/session-modality";
inline constexpr std::string_view kItemSystem =
    "https://notebridge.io/fhir/CodeSystem/instrument-item";
inline constexpr std::string_view kParticipantRoleSystem =
    "https://notebridge.io/fhir/CodeSystem/session-participant-role";
inline constexpr std::string_view kRiskSystem =
    "https://notebridge.io/fhir/CodeSystem/risk-finding";
inline constexpr std::string_view kPosExtension =
    "https://notebridge.io/fhir/StructureDefinition/place-of-service";
inline constexpr std::string_view kModifierExtension =
    "https://notebridge.io/fhir/StructureDefinition/service-modifier";

// The identifier system of a NoteBridge-made resource of a kind ("patient", "encounter", ...).
inline std::string identifierSystem(std::string_view kind) {
  return std::string("https://notebridge.io/fhir/sid/") + std::string(kind);
}

}  // namespace notebridge::mappers::vocab

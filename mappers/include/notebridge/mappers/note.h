#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// The internal progress-note model: what a practice's note system sends to the gateway, and what
// the gateway hands back when it reads FHIR from outside. docs/note-format.md documents the JSON
// form field by field. Plain value types: copy, compare with ==, no invariants enforced here
// (parseNote checks them).
namespace notebridge::mappers {

enum class NoteStatus : std::uint8_t { kDraft, kSigned, kAmended, kEnteredInError };
enum class NoteFormat : std::uint8_t { kSoap, kDap, kBirp, kGirp, kNarrative };
// FHIR AdministrativeGender (https://hl7.org/fhir/R4/valueset-administrative-gender.html).
enum class AdministrativeSex : std::uint8_t { kMale, kFemale, kOther, kUnknown };
enum class Modality : std::uint8_t { kInPerson, kVideo, kAudioOnly };
// Goal lifecycle (a subset of Goal.lifecycleStatus).
enum class GoalStatus : std::uint8_t { kProposed, kActive, kOnHold, kCompleted, kCancelled };
enum class GoalProgress : std::uint8_t { kImproving, kStable, kWorsening, kAchieved };
enum class InterventionResponse : std::uint8_t { kHelped, kPartlyHelped, kNotHelped };
enum class Adherence : std::uint8_t {
  kTakingAsDirected,
  kTakingNotAsDirected,
  kNotTaking,
  kStopped,
  kUnknown,
};
enum class Instrument : std::uint8_t { kPhq9, kPhq2, kGad7, kAuditC, kPcl5, kCssrs };
// Observation.dataAbsentReason codes the note may carry for a measure that was not scored.
enum class AbsentReason : std::uint8_t { kAskedDeclined, kNotPerformed };
enum class RiskLevel : std::uint8_t { kNone, kLow, kModerate, kHigh };

struct PersonName {
  std::string use;  // "official", "usual", "nickname", ... (FHIR name-use); empty = not given
  std::string family;
  std::vector<std::string> given;
  bool operator==(const PersonName&) const = default;
};

// An identifier of the client. `type` is a v2-0203 code: "MR" (practice MRN), "MB" (payer
// member id), or another code of that table.
struct ClientIdentifier {
  std::string type;
  std::string system;
  std::string value;
  bool operator==(const ClientIdentifier&) const = default;
};

struct Client {
  std::string id;
  std::vector<PersonName> names;
  std::string birthDate;  // YYYY-MM-DD; empty = unknown
  AdministrativeSex sex = AdministrativeSex::kUnknown;
  std::vector<ClientIdentifier> identifiers;
  bool operator==(const Client&) const = default;
};

struct Clinician {
  std::string id;
  std::vector<PersonName> names;
  std::string npi;
  std::vector<std::string> credentials;  // "LCSW", "PhD", ...
  bool operator==(const Clinician&) const = default;
};

struct Practice {
  std::string name;
  std::string npi;    // type-2 NPI; also the key of every deterministic id
  std::string taxId;  // EIN; empty = not given
  bool operator==(const Practice&) const = default;
};

// Someone else present in a group or family session. Never identified beyond a display name.
struct Participant {
  std::string role;  // "family-member", "group-member", "interpreter", ...
  std::string name;  // display only; empty = anonymous
  bool operator==(const Participant&) const = default;
};

struct Session {
  std::string start;  // FHIR dateTime with time and offset
  std::string end;
  int minutes = 0;
  Modality modality = Modality::kInPerson;
  std::string placeOfService;           // CMS POS code ("11", "02", "10"); empty = not given
  std::string cpt;                      // primary CPT code
  std::vector<std::string> modifiers;   // "95", "GT", ...
  std::vector<std::string> addOnCodes;  // "90785", "90840", ...
  std::vector<Participant> participants;
  bool operator==(const Session&) const = default;
};

struct Diagnosis {
  std::string code;  // ICD-10-CM
  std::string display;
  int rank = 1;  // 1 = primary
  bool operator==(const Diagnosis&) const = default;
};

struct Goal {
  std::string id;
  std::string description;
  GoalStatus status = GoalStatus::kActive;
  std::optional<GoalProgress> progress;
  std::string setbacks;  // empty = none reported
  bool operator==(const Goal&) const = default;
};

struct Intervention {
  std::string name;
  std::optional<InterventionResponse> response;  // absent = not assessed
  std::string comment;
  bool operator==(const Intervention&) const = default;
};

struct Medication {
  std::string id;
  std::string name;
  std::string rxnorm;  // RxNorm code; empty = not coded
  Adherence adherence = Adherence::kUnknown;
  std::string comment;
  bool operator==(const Medication&) const = default;
};

// A scored instrument. Items are in instrument order; an unanswered item is nullopt. A measure
// has a total, or items, or an absent reason.
struct Measure {
  Instrument instrument = Instrument::kPhq9;
  std::optional<int> total;
  std::vector<std::optional<int>> items;
  std::optional<AbsentReason> absentReason;
  bool operator==(const Measure&) const = default;
};

struct Risk {
  bool suicidalIdeation = false;
  bool homicidalIdeation = false;
  RiskLevel level = RiskLevel::kNone;
  std::string safetyPlan;  // empty = none
  bool operator==(const Risk&) const = default;
};

struct Signature {
  std::string signedAt;  // FHIR instant
  std::string attestation;
  bool operator==(const Signature&) const = default;
};

// A disclosure authorization (HIPAA 45 CFR 164.508) that allows a psychotherapy note out.
struct Authorization {
  std::string id;
  std::string date;  // YYYY-MM-DD
  bool operator==(const Authorization&) const = default;
};

struct Sensitivity {
  bool psychotherapyNote = false;
  bool substanceUse = false;
  std::optional<Authorization> authorization;
  bool operator==(const Sensitivity&) const = default;
};

struct NoteRef {
  std::string noteId;
  int version = 1;
  bool operator==(const NoteRef&) const = default;
};

// Named free-text section of a note ("subjective", "data", ...), in the format's order.
struct Section {
  std::string name;
  std::string text;
  bool operator==(const Section&) const = default;
};

// A document the gateway could not turn into sections (e.g. a PDF from outside), kept verbatim.
struct OpaqueAttachment {
  std::string contentType;
  std::string title;
  std::string data;  // base64, as received
  bool operator==(const OpaqueAttachment&) const = default;
};

struct Note {
  std::string noteId;
  int version = 1;
  NoteStatus status = NoteStatus::kDraft;
  std::optional<NoteRef> replaces;
  NoteFormat format = NoteFormat::kNarrative;
  std::vector<Section> sections;
  Client client;
  Clinician clinician;
  Practice practice;
  Session session;
  std::vector<std::string> reasons;
  std::vector<Diagnosis> diagnoses;
  std::vector<Goal> goals;
  std::vector<Intervention> interventions;
  std::vector<Medication> medications;
  std::vector<Measure> measures;
  std::optional<Risk> risk;
  std::string nextSession;  // FHIR dateTime; empty = not planned
  std::optional<Signature> signature;
  Sensitivity sensitivity;
  std::vector<OpaqueAttachment> attachments;
  bool operator==(const Note&) const = default;
};

// The JSON spellings of the enums (as docs/note-format.md lists them), and back. The parse
// functions return nullopt for an unknown spelling.
std::string_view toString(NoteStatus value);
std::string_view toString(NoteFormat value);
std::string_view toString(AdministrativeSex value);
std::string_view toString(Modality value);
std::string_view toString(GoalStatus value);
std::string_view toString(GoalProgress value);
std::string_view toString(InterventionResponse value);
std::string_view toString(Adherence value);
std::string_view toString(Instrument value);
std::string_view toString(AbsentReason value);
std::string_view toString(RiskLevel value);
std::optional<NoteStatus> parseNoteStatus(std::string_view text);
std::optional<NoteFormat> parseNoteFormat(std::string_view text);
std::optional<AdministrativeSex> parseAdministrativeSex(std::string_view text);
std::optional<Modality> parseModality(std::string_view text);
std::optional<GoalStatus> parseGoalStatus(std::string_view text);
std::optional<GoalProgress> parseGoalProgress(std::string_view text);
std::optional<InterventionResponse> parseInterventionResponse(std::string_view text);
std::optional<Adherence> parseAdherence(std::string_view text);
std::optional<Instrument> parseInstrument(std::string_view text);
std::optional<AbsentReason> parseAbsentReason(std::string_view text);
std::optional<RiskLevel> parseRiskLevel(std::string_view text);

// The section names of a format, in order: SOAP subjective/objective/assessment/plan; DAP
// data/assessment/plan; BIRP behavior/intervention/response/plan; GIRP
// goals/intervention/response/plan; narrative: narrative.
const std::vector<std::string_view>& sectionNames(NoteFormat format);
// The heading shown for a section name ("Subjective"); the name itself when unknown.
std::string_view sectionHeading(std::string_view name);

// Facts about an instrument: total-score LOINC code and text, score range, item count and range.
struct InstrumentInfo {
  Instrument instrument;
  std::string_view name;       // "PHQ-9"
  std::string_view totalCode;  // LOINC of the total score
  std::string_view totalText;  // "PHQ-9 total score"
  int maxTotal;
  int itemCount;
  int maxItem;
};
const InstrumentInfo& instrumentInfo(Instrument instrument);

}  // namespace notebridge::mappers

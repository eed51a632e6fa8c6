#include "notebridge/mappers/note.h"

#include <array>
#include <utility>

namespace notebridge::mappers {
namespace {

template <typename E, std::size_t N>
std::string_view nameOf(const std::array<std::string_view, N>& names, E value) {
  const auto index = static_cast<std::size_t>(value);
  return index < N ? names[index] : std::string_view();
}

template <typename E, std::size_t N>
std::optional<E> valueOf(const std::array<std::string_view, N>& names, std::string_view text) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == text) return static_cast<E>(i);
  }
  return std::nullopt;
}

constexpr std::array<std::string_view, 4> kStatus = {"draft", "signed", "amended",
                                                     "entered-in-error"};
constexpr std::array<std::string_view, 5> kFormat = {"SOAP", "DAP", "BIRP", "GIRP", "narrative"};
constexpr std::array<std::string_view, 4> kSex = {"male", "female", "other", "unknown"};
constexpr std::array<std::string_view, 3> kModality = {"in-person", "video", "audio-only"};
constexpr std::array<std::string_view, 5> kGoalStatus = {"proposed", "active", "on-hold",
                                                         "completed", "cancelled"};
constexpr std::array<std::string_view, 4> kProgress = {"improving", "stable", "worsening",
                                                       "achieved"};
constexpr std::array<std::string_view, 3> kResponse = {"helped", "partly-helped", "not-helped"};
constexpr std::array<std::string_view, 5> kAdherence = {
    "taking-as-directed", "taking-not-as-directed", "not-taking", "stopped", "unknown"};
constexpr std::array<std::string_view, 6> kInstrument = {"PHQ-9",   "PHQ-2", "GAD-7",
                                                         "AUDIT-C", "PCL-5", "C-SSRS"};
constexpr std::array<std::string_view, 2> kAbsent = {"asked-declined", "not-performed"};
constexpr std::array<std::string_view, 4> kRisk = {"none", "low", "moderate", "high"};

}  // namespace

std::string_view toString(NoteStatus v) { return nameOf(kStatus, v); }
std::string_view toString(NoteFormat v) { return nameOf(kFormat, v); }
std::string_view toString(AdministrativeSex v) { return nameOf(kSex, v); }
std::string_view toString(Modality v) { return nameOf(kModality, v); }
std::string_view toString(GoalStatus v) { return nameOf(kGoalStatus, v); }
std::string_view toString(GoalProgress v) { return nameOf(kProgress, v); }
std::string_view toString(InterventionResponse v) { return nameOf(kResponse, v); }
std::string_view toString(Adherence v) { return nameOf(kAdherence, v); }
std::string_view toString(Instrument v) { return nameOf(kInstrument, v); }
std::string_view toString(AbsentReason v) { return nameOf(kAbsent, v); }
std::string_view toString(RiskLevel v) { return nameOf(kRisk, v); }

std::optional<NoteStatus> parseNoteStatus(std::string_view t) {
  return valueOf<NoteStatus>(kStatus, t);
}
std::optional<NoteFormat> parseNoteFormat(std::string_view t) {
  return valueOf<NoteFormat>(kFormat, t);
}
std::optional<AdministrativeSex> parseAdministrativeSex(std::string_view t) {
  return valueOf<AdministrativeSex>(kSex, t);
}
std::optional<Modality> parseModality(std::string_view t) {
  return valueOf<Modality>(kModality, t);
}
std::optional<GoalStatus> parseGoalStatus(std::string_view t) {
  return valueOf<GoalStatus>(kGoalStatus, t);
}
std::optional<GoalProgress> parseGoalProgress(std::string_view t) {
  return valueOf<GoalProgress>(kProgress, t);
}
std::optional<InterventionResponse> parseInterventionResponse(std::string_view t) {
  return valueOf<InterventionResponse>(kResponse, t);
}
std::optional<Adherence> parseAdherence(std::string_view t) {
  return valueOf<Adherence>(kAdherence, t);
}
std::optional<Instrument> parseInstrument(std::string_view t) {
  return valueOf<Instrument>(kInstrument, t);
}
std::optional<AbsentReason> parseAbsentReason(std::string_view t) {
  return valueOf<AbsentReason>(kAbsent, t);
}
std::optional<RiskLevel> parseRiskLevel(std::string_view t) { return valueOf<RiskLevel>(kRisk, t); }

const std::vector<std::string_view>& sectionNames(NoteFormat format) {
  static const std::vector<std::string_view> kSoap = {"subjective", "objective", "assessment",
                                                      "plan"};
  static const std::vector<std::string_view> kDap = {"data", "assessment", "plan"};
  static const std::vector<std::string_view> kBirp = {"behavior", "intervention", "response",
                                                      "plan"};
  static const std::vector<std::string_view> kGirp = {"goals", "intervention", "response", "plan"};
  static const std::vector<std::string_view> kNarrative = {"narrative"};
  switch (format) {
    case NoteFormat::kSoap:
      return kSoap;
    case NoteFormat::kDap:
      return kDap;
    case NoteFormat::kBirp:
      return kBirp;
    case NoteFormat::kGirp:
      return kGirp;
    case NoteFormat::kNarrative:
      break;
  }
  return kNarrative;
}

std::string_view sectionHeading(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 10> kHeadings = {{
      {"subjective", "Subjective"},
      {"objective", "Objective"},
      {"assessment", "Assessment"},
      {"plan", "Plan"},
      {"data", "Data"},
      {"behavior", "Behavior"},
      {"intervention", "Intervention"},
      {"response", "Response"},
      {"goals", "Goals"},
      {"narrative", "Narrative"},
  }};
  for (const auto& [key, heading] : kHeadings) {
    if (key == name) return heading;
  }
  return name;
}

const InstrumentInfo& instrumentInfo(Instrument instrument) {
  // Total-score LOINC codes and ranges: DOMAIN.md §2.1 [S5]. C-SSRS has no total score; the
  // note carries the most severe ideation of the past month (LOINC 93293-9, 0-5, LL5434-7) and
  // the six screener answers as 0/1.
  static constexpr std::array<InstrumentInfo, 6> kInfo = {{
      {Instrument::kPhq9, "PHQ-9", "44261-6", "PHQ-9 total score", 27, 9, 3},
      {Instrument::kPhq2, "PHQ-2", "55758-7", "PHQ-2 total score", 6, 2, 3},
      {Instrument::kGad7, "GAD-7", "70274-6", "GAD-7 total score", 21, 7, 3},
      {Instrument::kAuditC, "AUDIT-C", "75626-2", "AUDIT-C total score", 12, 3, 4},
      {Instrument::kPcl5, "PCL-5", "101698-9", "PTSD PCL-5 score", 80, 20, 4},
      {Instrument::kCssrs, "C-SSRS", "93293-9", "C-SSRS most severe suicidal ideation (1 month)", 5,
       6, 1},
  }};
  return kInfo[static_cast<std::size_t>(instrument)];
}

}  // namespace notebridge::mappers

#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "notebridge/mappers/note.h"

// A seeded generator of valid notes for property tests: every format and status (but draft),
// every optional field present or absent, and the edge cases of DOMAIN.md §9 (non-ASCII and
// markup-like text, lines that look like headings, group sessions, no scores, several
// diagnoses, amendments, psychotherapy and substance-use flags). Deterministic for a seed on
// every platform (own xorshift, no std distributions).
namespace notebridge::mappers::testing {

class NoteGenerator {
 public:
  explicit NoteGenerator(std::uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ull + 1) {}

  std::uint64_t next() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    return state_;
  }
  int below(int n) { return static_cast<int>(next() % static_cast<std::uint64_t>(n)); }
  bool chance(int percent) { return below(100) < percent; }
  template <typename T>
  const T& pick(const std::vector<T>& items) {
    return items[static_cast<std::size_t>(below(static_cast<int>(items.size())))];
  }

  std::string text(int maxPieces) {
    static const std::vector<std::string> kPieces = {
        "Client reports improved sleep.",
        "Ansiedad moderada; dice que \"duerme mal\".",
        "患者说最近压力很大。",
        "مزاج مستقر",
        "Mood 6/10 😀 — better than last week.",
        "Uses <breathing> & grounding at work.",
        "Plan:",
        "Assessment",
        "S:",
        "  indented line\twith a tab",
        "Line with CRLF\r\nending",
        "Ünïcödé naïve café façade",
        "</p></div>",
        "&amp; literal entity text",
    };
    std::string out;
    const int pieces = 1 + below(maxPieces);
    for (int i = 0; i < pieces; ++i) {
      if (i) out += chance(30) ? "\n" : " ";
      out += pick(kPieces);
    }
    return out;
  }

  std::string id(std::string_view prefix) {
    static const std::vector<std::string> kOdd = {"", "/x", "%2F", "-é", " a b"};
    return std::string(prefix) + std::to_string(below(100000)) + (chance(20) ? pick(kOdd) : "");
  }

  std::string dateTime() {
    static const std::vector<std::string> kOffsets = {"-05:00", "-04:00", "+00:00",
                                                      "Z",      "+05:30", "-10:00"};
    char buffer[40];
    std::snprintf(buffer, sizeof buffer, "2025-%02d-%02dT%02d:%02d:00", 1 + below(12),
                  1 + below(28), below(24), below(60));
    return std::string(buffer) + pick(kOffsets);
  }

  PersonName name() {
    static const std::vector<std::string> kFamily = {"Rivera", "Nguyen", "O'Brien",
                                                     "Müller", "张",     "Haddad"};
    static const std::vector<std::string> kGiven = {"Ana", "Thanh", "Siobhán", "Jürgen",
                                                    "伟",  "Layla", "Jay"};
    PersonName n;
    if (chance(30)) n.use = pick(std::vector<std::string>{"official", "usual", "nickname"});
    if (chance(90)) n.family = pick(kFamily);
    const int given = n.family.empty() ? 1 + below(2) : below(3);
    for (int i = 0; i < given; ++i) n.given.push_back(pick(kGiven));
    return n;
  }

  Note note(bool huge = false) {
    static const std::vector<std::string> kNpis = {"1234567893", "1987654328", "1456789019",
                                                   "1678901236", "1122334455"};
    static const std::vector<std::string> kDiagnoses = {"F41.1",  "F32.1", "F33.1", "F43.10",
                                                        "F43.23", "F90.0", "Z63.0", "F10.10",
                                                        "F11.20", "F41.0"};
    Note n;
    n.noteId = id("N-");
    n.version = 1 + below(4);
    const int status = below(10);
    n.status = status < 6   ? NoteStatus::kSigned
               : status < 9 ? NoteStatus::kAmended
                            : NoteStatus::kEnteredInError;
    if (n.status == NoteStatus::kAmended) {
      if (n.version == 1) n.version = 2;
      n.replaces = NoteRef{n.noteId, n.version - 1};
    }
    n.format = static_cast<NoteFormat>(below(5));
    for (auto section : sectionNames(n.format))
      n.sections.push_back(Section{std::string(section), text(6)});
    if (huge) n.sections.back().text = std::string(1 << 20, 'x') + " " + text(3);

    n.client.id = id("C-");
    for (int i = 0, count = 1 + below(2); i < count; ++i) n.client.names.push_back(name());
    if (chance(80))
      n.client.birthDate = "19" + std::to_string(40 + below(60)) + "-0" +
                           std::to_string(1 + below(9)) + "-1" + std::to_string(below(10));
    n.client.sex = static_cast<AdministrativeSex>(below(4));
    if (chance(60))
      n.client.identifiers.push_back({"MR", "https://practice.example.org/mrn", id("MRN")});
    if (chance(40))
      n.client.identifiers.push_back({"MB", "https://payer.example.com/member", id("M")});

    n.clinician.id = id("P-");
    n.clinician.names.push_back(name());
    n.clinician.npi = pick(kNpis);
    for (int i = 0, count = below(3); i < count; ++i) {
      n.clinician.credentials.push_back(
          pick(std::vector<std::string>{"LCSW", "PhD", "LPC", "LMFT"}));
    }
    n.practice.name = "Practice " + text(1);
    n.practice.npi = pick(kNpis);
    if (chance(50)) n.practice.taxId = "12-34567" + std::to_string(10 + below(90));

    Session& s = n.session;
    // A session of 0-3 hours on one day; midnight-crossing sessions come from the offsets.
    static const std::vector<std::string> kOffsets = {"-05:00", "-04:00", "+00:00",
                                                      "Z",      "+05:30", "-10:00"};
    const std::string offset = pick(kOffsets);
    char day[16];
    std::snprintf(day, sizeof day, "2025-%02d-%02dT", 1 + below(12), 1 + below(28));
    const int startHour = below(20);
    char times[2][16];
    std::snprintf(times[0], sizeof times[0], "%02d:%02d:00", startHour, below(60));
    std::snprintf(times[1], sizeof times[1], "%02d:%02d:00", startHour + 1 + below(3), below(60));
    s.start = day + std::string(times[0]) + offset;
    s.end = day + std::string(times[1]) + offset;
    s.minutes = below(120);
    s.modality = static_cast<Modality>(below(3));
    if (chance(70)) s.placeOfService = pick(std::vector<std::string>{"02", "10", "11"});
    s.cpt = pick(std::vector<std::string>{"90832", "90834", "90837", "90791", "90846", "90847",
                                          "90853", "90839"});
    if (chance(30)) s.modifiers.push_back(pick(std::vector<std::string>{"95", "GT", "93", "FQ"}));
    if (chance(20)) s.addOnCodes.push_back(pick(std::vector<std::string>{"90785", "90840"}));
    if (s.cpt == "90853" || s.cpt == "90846" || s.cpt == "90847" || chance(10)) {
      for (int i = 0, count = 1 + below(5); i < count; ++i) {
        Participant p;
        p.role = pick(std::vector<std::string>{"group-member", "family-member", "interpreter"});
        if (chance(30)) p.name = "R. Díaz";
        s.participants.push_back(p);
      }
    }
    for (int i = 0, count = below(3); i < count; ++i) n.reasons.push_back(text(2));
    std::vector<std::string> pool = kDiagnoses;
    for (int i = 0, count = below(5); i < count; ++i) {
      const std::size_t at = static_cast<std::size_t>(below(static_cast<int>(pool.size())));
      Diagnosis d;
      d.code = pool[at];
      pool.erase(pool.begin() + static_cast<std::ptrdiff_t>(at));
      if (chance(70)) d.display = "Display " + d.code;
      d.rank = i + 1;
      n.diagnoses.push_back(d);
      if (d.code[1] == '1') n.sensitivity.substanceUse = true;
    }
    for (int i = 0, count = below(4); i < count; ++i) {
      Goal g;
      g.id = "G-" + std::to_string(i) + (chance(20) ? "/b" : "");
      g.description = text(2);
      g.status = static_cast<GoalStatus>(below(5));
      if (chance(70)) g.progress = static_cast<GoalProgress>(below(4));
      if (chance(30)) g.setbacks = text(2);
      n.goals.push_back(g);
    }
    for (int i = 0, count = below(4); i < count; ++i) {
      Intervention in;
      in.name = text(1);
      if (chance(70)) in.response = static_cast<InterventionResponse>(below(3));
      if (chance(30)) in.comment = text(2);
      n.interventions.push_back(in);
    }
    for (int i = 0, count = below(3); i < count; ++i) {
      Medication m;
      m.id = "M-" + std::to_string(i);
      m.name = text(1);
      if (chance(60)) m.rxnorm = std::to_string(100000 + below(900000));
      m.adherence = static_cast<Adherence>(below(5));
      if (chance(30)) m.comment = text(1);
      n.medications.push_back(m);
    }
    for (int i = 0, count = below(4); i < count; ++i) {
      Measure m;
      m.instrument = static_cast<Instrument>(below(6));
      const InstrumentInfo& info = instrumentInfo(m.instrument);
      const int shape = below(4);
      if (shape == 3) {
        m.absentReason = static_cast<AbsentReason>(below(2));
      } else {
        if (shape != 1) m.total = below(info.maxTotal + 1);
        if (shape != 0) {
          for (int item = 0; item < info.itemCount; ++item) {
            m.items.push_back(chance(85) ? std::optional<int>(below(info.maxItem + 1))
                                         : std::nullopt);
          }
          m.items[0] = below(info.maxItem + 1);  // at least one answer
        }
      }
      n.measures.push_back(m);
    }
    if (chance(60)) {
      Risk r;
      r.suicidalIdeation = chance(30);
      r.homicidalIdeation = chance(10);
      r.level = static_cast<RiskLevel>(below(4));
      if (chance(50)) r.safetyPlan = text(2);
      n.risk = r;
    }
    if (chance(50)) n.nextSession = dateTime();
    n.signature = Signature{dateTime(), text(2)};
    if (chance(10)) {
      n.sensitivity.psychotherapyNote = true;
      n.sensitivity.authorization =
          Authorization{id("AUTH-"), "2025-01-0" + std::to_string(1 + below(9))};
    }
    if (chance(10))
      n.attachments.push_back({"application/pdf", chance(50) ? "Scan" : "", "JVBERi0xLjQK"});
    return n;
  }

 private:
  std::uint64_t state_;
};

}  // namespace notebridge::mappers::testing

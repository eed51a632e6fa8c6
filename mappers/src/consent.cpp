#include "notebridge/mappers/consent.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "note_checks.h"
#include "resource_keys.h"
#include "vocabulary.h"

namespace notebridge::mappers {
namespace {

using fhir::Element;
using fhir::Severity;

std::string str(const Element* e, std::string_view name) {
  return e ? std::string(e->childValue(name)) : std::string();
}

// Seconds since the epoch of a FHIR date, dateTime or instant. A partial date stands for its
// first instant, or (endOfPeriod) its last: a consent valid "to 2026-12-31" covers that day.
std::optional<long long> instantOf(std::string_view text, bool endOfPeriod) {
  if (text.size() >= 19) return epochSeconds(text);
  static constexpr std::string_view kShape = "dddd-dd-dd";
  if (text.size() != 4 && text.size() != 7 && text.size() != 10) return std::nullopt;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool digit = text[i] >= '0' && text[i] <= '9';
    if (kShape[i] == 'd' ? !digit : text[i] != '-') return std::nullopt;
  }
  std::string padded(text);
  if (padded.size() == 4) padded += endOfPeriod ? "-12" : "-01";
  if (padded.size() == 7) {
    if (!endOfPeriod) {
      padded += "-01";
    } else {
      // The last day of the month: the first of the next month, minus one second.
      int year = std::atoi(padded.substr(0, 4).c_str());
      int month = std::atoi(padded.substr(5, 2).c_str()) + 1;
      if (month == 13) {
        month = 1;
        ++year;
      }
      char buffer[32];
      std::snprintf(buffer, sizeof buffer, "%04d-%02d-01T00:00:00Z", year, month);
      auto next = epochSeconds(buffer);
      return next ? std::optional<long long>(*next - 1) : std::nullopt;
    }
  }
  if (padded.size() != 10) return std::nullopt;
  padded += endOfPeriod ? "T23:59:59Z" : "T00:00:00Z";
  return epochSeconds(padded);
}

bool isRecipientRole(const Element* role) {
  if (!role) return true;
  bool anyCode = false;
  for (const Element* coding : role->childrenNamed("coding")) {
    const std::string_view code = coding->childValue("code");
    if (code.empty()) continue;
    anyCode = true;
    // v3-ParticipationType information recipient, primary recipient, referred to, tracker.
    if (code == "IRCP" || code == "PRCP" || code == "REFT" || code == "TRC") return true;
  }
  return !anyCode;
}

void addReference(const Element* ref, Party& party) {
  if (!ref) return;
  const std::string literal = str(ref, "reference");
  if (!literal.empty()) party.references.push_back(literal);
  if (const Element* id = ref->child("identifier")) {
    party.identifiers.emplace_back(str(id, "system"), str(id, "value"));
  }
}

// "https://a/fhir/Organization/1" and "Organization/1" name the same resource.
bool sameReference(std::string_view a, std::string_view b) {
  if (a == b) return true;
  auto tail = [](std::string_view s) {
    const auto slash = s.rfind('/');
    if (slash == std::string_view::npos || slash == 0) return s;
    const auto typeSlash = s.rfind('/', slash - 1);
    return typeSlash == std::string_view::npos ? s : s.substr(typeSlash + 1);
  };
  return a.find('/') != std::string_view::npos && tail(a) == tail(b);
}

bool matches(const Party& named, const Party& who) {
  for (const auto& r : named.references) {
    for (const auto& w : who.references) {
      if (sameReference(r, w)) return true;
    }
  }
  for (const auto& [system, value] : named.identifiers) {
    if (value.empty()) continue;
    for (const auto& [wSystem, wValue] : who.identifiers) {
      if (value == wValue && (system.empty() || wSystem.empty() || system == wSystem)) return true;
    }
  }
  return false;
}

ConsentProvision readProvision(const Element& p, fhir::Outcome& outcome) {
  ConsentProvision out;
  out.type = str(&p, "type");
  if (const Element* period = p.child("period")) {
    out.periodStart = str(period, "start");
    out.periodEnd = str(period, "end");
    if (!out.periodStart.empty() && !instantOf(out.periodStart, false)) {
      outcome.add(Severity::kError, "value", "period start is not a FHIR dateTime",
                  period->path() + ".start");
    }
    if (!out.periodEnd.empty() && !instantOf(out.periodEnd, true)) {
      outcome.add(Severity::kError, "value", "period end is not a FHIR dateTime",
                  period->path() + ".end");
    }
  }
  for (const Element* actor : p.childrenNamed("actor")) {
    if (!isRecipientRole(actor->child("role"))) continue;
    Party party;
    addReference(actor->child("reference"), party);
    if (!party.references.empty() || !party.identifiers.empty()) {
      out.recipients.push_back(std::move(party));
    }
  }
  for (const Element* purpose : p.childrenNamed("purpose")) {
    out.purposes.push_back(str(purpose, "code"));
  }
  for (const Element* label : p.childrenNamed("securityLabel")) {
    out.securityLabels.push_back(str(label, "code"));
  }
  for (std::string_view ignored : {"action", "class", "code", "dataPeriod", "data"}) {
    if (const Element* e = p.child(ignored)) {
      outcome.add(Severity::kWarning, "not-supported",
                  "provision." + std::string(ignored) + " is not evaluated", e->path());
    }
  }
  for (const Element* nested : p.childrenNamed("provision")) {
    out.provisions.push_back(readProvision(*nested, outcome));
  }
  return out;
}

bool contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool hasLabel(const NotePrivacy& note, std::string_view code) {
  return std::any_of(note.labels.begin(), note.labels.end(),
                     [&](const auto& l) { return l.second == code; });
}

bool coversPart2(const std::vector<std::string>& labels) {
  return contains(labels, "42CFRPart2") || contains(labels, "SUD") || contains(labels, "ETH");
}

// Whether a nested provision applies to this disclosure of this note.
bool applies(const ConsentProvision& p, const DisclosureRequest& request, const NotePrivacy& note,
             long long now) {
  if (!p.securityLabels.empty() &&
      std::none_of(p.securityLabels.begin(), p.securityLabels.end(),
                   [&](const std::string& code) { return hasLabel(note, code); })) {
    return false;
  }
  if (!p.recipients.empty() &&
      std::none_of(p.recipients.begin(), p.recipients.end(),
                   [&](const Party& r) { return matches(r, request.recipient); })) {
    return false;
  }
  if (!p.purposes.empty() && !contains(p.purposes, request.purpose)) return false;
  if (!p.periodStart.empty() && now < instantOf(p.periodStart, false).value_or(0)) return false;
  if (!p.periodEnd.empty() && now > instantOf(p.periodEnd, true).value_or(0)) return false;
  return true;
}

// Walks nested provisions depth first; the deepest applicable one decides (it is the most
// specific exception). `path` is the element path of `p`.
void decide(const ConsentProvision& p, const std::string& path, const DisclosureRequest& request,
            const NotePrivacy& note, long long now, std::string& type, std::string& where,
            bool& part2) {
  for (std::size_t i = 0; i < p.provisions.size(); ++i) {
    const ConsentProvision& nested = p.provisions[i];
    const std::string nestedPath = path + ".provision[" + std::to_string(i) + "]";
    if (!applies(nested, request, note, now)) continue;
    if (!nested.type.empty()) {
      type = nested.type;
      where = nestedPath;
    }
    if (nested.type == "permit" && coversPart2(nested.securityLabels)) part2 = true;
    decide(nested, nestedPath, request, note, now, type, where, part2);
  }
}

}  // namespace

fhir::Result<ConsentTerms> readConsent(const Element& consent) {
  if (consent.type() != "Consent") {
    return fhir::Result<ConsentTerms>::failure(Severity::kError, "invalid",
                                               "expected a Consent resource, got " + consent.type(),
                                               consent.path());
  }
  fhir::Outcome outcome;
  ConsentTerms terms;
  terms.id = str(&consent, "id");
  terms.status = str(&consent, "status");
  addReference(consent.child("patient"), terms.patient);
  for (const Element* policy : consent.childrenNamed("policy")) {
    terms.policyRules.push_back(str(policy, "uri"));
  }
  if (const Element* rule = consent.child("policyRule")) {
    for (const Element* coding : rule->childrenNamed("coding")) {
      terms.policyRules.push_back(str(coding, "code"));
    }
    if (rule->child("text")) terms.policyRules.push_back(str(rule, "text"));
  }
  if (const Element* provision = consent.child("provision")) {
    terms.provision = readProvision(*provision, outcome);
    terms.hasProvision = true;
  }
  if (outcome.hasErrors()) return fhir::Result<ConsentTerms>(std::move(outcome));
  return fhir::Result<ConsentTerms>(std::move(terms), std::move(outcome));
}

NotePrivacy privacyOf(const Note& note) {
  NotePrivacy p;
  p.psychotherapyNote = note.sensitivity.psychotherapyNote;
  p.substanceUse = note.sensitivity.substanceUse;
  for (const Diagnosis& d : note.diagnoses) {
    if (d.code.size() >= 3 && d.code[0] == 'F' && d.code[1] == '1') p.substanceUse = true;
  }
  // The same labels noteToFhir puts on every resource (DOMAIN §6.3).
  p.labels = {{std::string(vocab::kConfidentiality), "R"},
              {std::string(vocab::kActCode), "PSY"},
              {std::string(vocab::kActCode), "MH"}};
  if (p.substanceUse) {
    for (const char* code : {"SUD", "ETH", "42CFRPart2"}) {
      p.labels.emplace_back(std::string(vocab::kActCode), code);
    }
  }
  if (p.psychotherapyNote) {
    for (const char* code : {"PSYTHPN", "HIPAAPsyNotes"}) {
      p.labels.emplace_back(std::string(vocab::kActCode), code);
    }
  }
  for (const ClientIdentifier& id : note.client.identifiers) {
    p.patient.identifiers.emplace_back(id.system, id.value);
  }
  p.patient.identifiers.emplace_back(vocab::identifierSystem("patient"),
                                     joinKey({note.practice.npi, note.client.id}));
  p.patient.references.push_back("Patient/" + note.client.id);
  return p;
}

ConsentDecision evaluateConsent(const ConsentTerms& consent, const DisclosureRequest& request,
                                const NotePrivacy& note) {
  ConsentDecision d;
  auto refuse = [&](std::string code, std::string message, std::string expression,
                    bool consentLevel) {
    d.reasons.add(Severity::kError, std::move(code), std::move(message), std::move(expression));
    if (consentLevel) d.consentRefused = true;
  };
  const auto now = instantOf(request.now, false);
  if (!now) {
    refuse("exception", "the evaluation time is not a FHIR instant: " + request.now, {}, true);
    return d;
  }
  if (consent.status != "active") {
    refuse(consent.status == "inactive" ? "expired" : "forbidden",
           "the consent is " + (consent.status.empty() ? "without status" : consent.status) +
               ", not active",
           "Consent.status", true);
  }
  if (!consent.hasProvision) {
    refuse("forbidden", "the consent has no provision: it permits nothing", "Consent.provision",
           true);
  }
  if (consent.patient.references.empty() && consent.patient.identifiers.empty()) {
    refuse("forbidden", "the consent names no patient", "Consent.patient", true);
  } else if (!matches(consent.patient, note.patient)) {
    refuse("forbidden", "the consent is for another patient", "Consent.patient", true);
  }
  if (d.consentRefused) return d;

  const ConsentProvision& root = consent.provision;
  if (!root.periodStart.empty() && *now < instantOf(root.periodStart, false).value_or(0)) {
    refuse("expired", "the consent is not in force before " + root.periodStart,
           "Consent.provision.period.start", true);
  }
  if (!root.periodEnd.empty() && *now > instantOf(root.periodEnd, true).value_or(0)) {
    refuse("expired", "the consent expired on " + root.periodEnd, "Consent.provision.period.end",
           true);
  }
  if (root.recipients.empty()) {
    refuse("forbidden", "the consent names no recipient (provision.actor with role IRCP)",
           "Consent.provision.actor", true);
  } else if (std::none_of(root.recipients.begin(), root.recipients.end(),
                          [&](const Party& r) { return matches(r, request.recipient); })) {
    refuse("forbidden", "the recipient is not one the consent names", "Consent.provision.actor",
           true);
  }
  if (!root.purposes.empty() && !contains(root.purposes, request.purpose)) {
    refuse("forbidden", "the consent does not cover the purpose " + request.purpose,
           "Consent.provision.purpose", true);
  }
  if (d.consentRefused) return d;

  std::string type = root.type;
  std::string where = "Consent.provision";
  // The root's labels say what it expressly covers (beside ordinary content).
  bool part2 = root.type == "permit" && coversPart2(root.securityLabels);
  decide(root, where, request, note, *now, type, where, part2);
  for (const auto& rule : consent.policyRules) {
    if (rule.find("42CFRPart2") != std::string::npos ||
        rule.find("42 CFR Part 2") != std::string::npos ||
        rule.find("42-cfr-part-2") != std::string::npos) {
      part2 = true;
    }
  }
  if (type != "permit") {
    refuse("forbidden",
           type.empty() ? "the consent provision has no type: nothing is permitted"
                        : "the consent denies this disclosure",
           where + ".type", where == "Consent.provision");
  }
  if (note.psychotherapyNote) {
    refuse("security",
           "a psychotherapy note never leaves with a record transfer; it needs its own "
           "authorization (45 CFR 164.508(a)(2), DOMAIN §6.1)",
           "sensitivity.psychotherapyNote", false);
  }
  if (note.substanceUse && !part2) {
    refuse("security",
           "substance-use content needs a consent that covers 42 CFR Part 2 (a permit provision "
           "with security label 42CFRPart2, DOMAIN §6.2)",
           "sensitivity.substanceUse", false);
  }
  if (!d.reasons.hasErrors()) {
    d.permit = true;
    d.reasons.add(Severity::kInformation, "informational",
                  "permitted by " + where + (note.substanceUse ? " (covers 42 CFR Part 2)" : ""),
                  where);
  }
  return d;
}

}  // namespace notebridge::mappers

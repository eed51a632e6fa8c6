#include "notebridge/fhir/outcome.h"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

namespace notebridge::fhir {

std::string_view toString(Severity severity) {
  switch (severity) {
    case Severity::kInformation:
      return "information";
    case Severity::kWarning:
      return "warning";
    case Severity::kError:
      return "error";
    case Severity::kFatal:
      return "fatal";
  }
  return "error";
}

bool Outcome::hasErrors() const {
  return std::any_of(issues_.begin(), issues_.end(),
                     [](const Issue& i) { return i.severity >= Severity::kError; });
}

Severity Outcome::worst() const {
  Severity worst = Severity::kInformation;
  for (const Issue& i : issues_) worst = std::max(worst, i.severity);
  return worst;
}

void Outcome::sortByLocation() {
  std::stable_sort(issues_.begin(), issues_.end(), [](const Issue& a, const Issue& b) {
    if (a.expression != b.expression) return a.expression < b.expression;
    if (a.line != b.line) return a.line < b.line;
    return a.column < b.column;
  });
}

namespace {

template <typename Writer>
void writeOutcome(Writer& w, const std::vector<Issue>& issues) {
  w.StartObject();
  w.Key("resourceType");
  w.String("OperationOutcome");
  w.Key("issue");
  w.StartArray();
  for (const Issue& issue : issues) {
    w.StartObject();
    const std::string_view severity = toString(issue.severity);
    w.Key("severity");
    w.String(severity.data(), static_cast<rapidjson::SizeType>(severity.size()));
    w.Key("code");
    w.String(issue.code.empty() ? "processing" : issue.code.c_str());
    std::string diagnostics = issue.diagnostics;
    if (issue.line > 0) {
      diagnostics +=
          " (line " + std::to_string(issue.line) + ", column " + std::to_string(issue.column) + ")";
    }
    if (!diagnostics.empty()) {
      w.Key("diagnostics");
      w.String(diagnostics.c_str(), static_cast<rapidjson::SizeType>(diagnostics.size()));
    }
    if (!issue.expression.empty()) {
      w.Key("expression");
      w.StartArray();
      w.String(issue.expression.c_str(), static_cast<rapidjson::SizeType>(issue.expression.size()));
      w.EndArray();
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

}  // namespace

std::string Outcome::toOperationOutcomeJson(bool pretty) const {
  std::vector<Issue> ok;
  const std::vector<Issue>* issues = &issues_;
  if (issues_.empty()) {
    ok.push_back(Issue{Severity::kInformation, "informational", "All OK", {}, 0, 0});
    issues = &ok;
  }
  rapidjson::StringBuffer buffer;
  if (pretty) {
    rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buffer);
    w.SetIndent(' ', 2);
    writeOutcome(w, *issues);
  } else {
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    writeOutcome(w, *issues);
  }
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace notebridge::fhir

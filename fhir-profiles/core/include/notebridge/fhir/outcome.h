#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace notebridge::fhir {

// OperationOutcome.issue.severity. Order matters: a higher value is worse.
enum class Severity : std::uint8_t { kInformation, kWarning, kError, kFatal };

// The FHIR spelling of a severity ("information", "warning", "error", "fatal").
std::string_view toString(Severity severity);

// One problem found while processing data. `code` is a FHIR issue-type code
// (http://hl7.org/fhir/issue-type: "structure", "required", "value", "invariant", "not-found",
// "processing", "too-long", "security", "exception", ...). `expression` is the FHIRPath-style
// location of the element (e.g. "DocumentReference.content[0].attachment"); empty when the
// problem has no location. `line`/`column` are 1-based positions in the input, 0 when unknown.
struct Issue {
  Severity severity = Severity::kError;
  std::string code;
  std::string diagnostics;
  std::string expression;
  std::uint32_t line = 0;
  std::uint32_t column = 0;

  bool operator==(const Issue&) const = default;
};

// An ordered list of issues. A value type: cheap to move, not thread-safe to mutate.
class Outcome {
 public:
  Outcome() = default;

  void add(Issue issue) { issues_.push_back(std::move(issue)); }
  void add(Severity severity, std::string code, std::string diagnostics,
           std::string expression = {}) {
    issues_.push_back(
        Issue{severity, std::move(code), std::move(diagnostics), std::move(expression), 0, 0});
  }
  void append(const Outcome& other) {
    issues_.insert(issues_.end(), other.issues_.begin(), other.issues_.end());
  }

  const std::vector<Issue>& issues() const { return issues_; }
  std::vector<Issue>& issues() { return issues_; }
  bool empty() const { return issues_.empty(); }

  // True when any issue is an error or fatal.
  bool hasErrors() const;
  // The worst severity present; kInformation for an empty outcome.
  Severity worst() const;

  // Sorts issues by expression, then line and column, keeping the order of equal keys.
  void sortByLocation();

  // The outcome as FHIR JSON (an OperationOutcome resource). An empty outcome becomes one
  // informational "All OK" issue, as the spec requires at least one issue.
  std::string toOperationOutcomeJson(bool pretty = false) const;

 private:
  std::vector<Issue> issues_;
};

// A value or the reason there is none. Warnings and information ride along with a value;
// GCC 12 has no std::expected. A Result holds a value only when no fatal/error issue stopped
// the operation (callers decide whether an error issue beside a value is acceptable).
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(T value, Outcome outcome) : value_(std::move(value)), outcome_(std::move(outcome)) {}
  Result(Outcome outcome) : outcome_(std::move(outcome)) {}  // NOLINT: implicit by design

  static Result failure(Severity severity, std::string code, std::string diagnostics,
                        std::string expression = {}) {
    Outcome outcome;
    outcome.add(severity, std::move(code), std::move(diagnostics), std::move(expression));
    return Result(std::move(outcome));
  }

  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }

  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

  const Outcome& outcome() const { return outcome_; }
  Outcome& outcome() { return outcome_; }

 private:
  std::optional<T> value_;
  Outcome outcome_;
};

}  // namespace notebridge::fhir

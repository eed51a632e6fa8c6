#pragma once

// GCC 12 at -O2 flags boost::unit_test::precondition's functor copy as uninitialized
// (a false positive inside Boost); needsShared() uses it.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <memory>
#include <string>

#include "notebridge/validation/conformance_store.h"
#include "notebridge/validation/validator.h"
#include "test_paths.h"

namespace notebridge::validation::testing {

// The R4 core definitions, loaded once per test program (they take a moment to parse).
inline std::shared_ptr<const ConformanceStore> r4Store() {
  static const std::shared_ptr<const ConformanceStore> kStore = [] {
    auto store = std::make_shared<ConformanceStore>();
    store->loadR4Core(notebridge::testing::r4DefinitionsDir());
    return store;
  }();
  return kStore;
}

// The R4 core plus our own profiles (fhir-profiles/definitions).
inline std::shared_ptr<const ConformanceStore> ourStore() {
  static const std::shared_ptr<const ConformanceStore> kStore = [] {
    auto store = std::make_shared<ConformanceStore>(r4Store());
    store->loadDirectory(std::filesystem::path(NOTEBRIDGE_TEST_DATA_DIR) / ".." / ".." /
                         "fhir-profiles" / "definitions");
    return store;
  }();
  return kStore;
}

inline const Validator& r4Validator() {
  static const Validator kValidator(r4Store());
  return kValidator;
}

inline const Validator& ourValidator() {
  static const Validator kValidator(ourStore());
  return kValidator;
}

// Errors and fatals of an outcome, one per line, for failure messages.
inline std::string errorsOf(const fhir::Outcome& outcome, int limit = 8) {
  std::string out;
  for (const auto& issue : outcome.issues()) {
    if (issue.severity >= fhir::Severity::kError && limit-- > 0) {
      out += issue.expression + ": " + issue.diagnostics + "\n";
    }
  }
  return out;
}

}  // namespace notebridge::validation::testing

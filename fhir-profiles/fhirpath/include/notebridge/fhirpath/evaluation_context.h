#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "notebridge/fhir/element.h"
#include "notebridge/fhirpath/date_time_value.h"
#include "notebridge/fhirpath/value.h"

namespace notebridge::fhirpath {

// The FHIR type hierarchy as the evaluator needs it for `is`, `as`, `ofType` and root type
// names. builtinTypeModel() knows the R4 resources and datatypes' ancestry; the validation library
// supplies one backed by its DefinitionRegistry. Implementations must be thread-safe for reads.
class TypeModel {
 public:
  virtual ~TypeModel() = default;
  // True when `type` is `base` or derives from it ("Age" is a "Quantity", "Patient" a "Resource").
  virtual bool isSubtypeOf(std::string_view type, std::string_view base) const = 0;
  // True when `type` names a FHIR type the model knows (resource, datatype or primitive).
  virtual bool isKnownType(std::string_view type) const = 0;
  // Whether the node's type defines a property `name` (base name of a choice); nullopt when the
  // model cannot tell. Used by strict evaluation.
  virtual std::optional<bool> hasProperty(const fhir::Element& node, std::string_view name) const {
    (void)node;
    (void)name;
    return std::nullopt;
  }
  // Whether the named type defines a property `name`; nullopt when the model cannot tell.
  virtual std::optional<bool> typeHasProperty(std::string_view type, std::string_view name) const {
    (void)type;
    (void)name;
    return std::nullopt;
  }
};

// A type model without definitions: resource and datatype ancestry of R4 written down by hand.
const TypeModel& builtinTypeModel();

// Terminology for memberOf() (https://hl7.org/fhir/R4/fhirpath.html#functions). Returns nullopt
// when the value set is unknown (memberOf() then yields empty). Must be thread-safe.
class TerminologyService {
 public:
  virtual ~TerminologyService() = default;
  virtual std::optional<bool> isMember(std::string_view system, std::string_view code,
                                       std::string_view valueSetUrl) const = 0;
};

// Profile checking for conformsTo(); nullopt when the profile is unknown. Must be thread-safe.
class ProfileChecker {
 public:
  virtual ~ProfileChecker() = default;
  virtual std::optional<bool> conformsTo(const fhir::Element& resource,
                                         std::string_view profileUrl) const = 0;
};

// Resolves references resolve() cannot find inside the resource or its Bundle. Returns a node
// that outlives the evaluation, or null. Must be thread-safe.
class ReferenceResolver {
 public:
  virtual ~ReferenceResolver() = default;
  virtual const fhir::Element* resolve(std::string_view reference) const = 0;
};

// Everything an evaluation may read besides the focus. Nothing here is owned; all pointers must
// outlive the evaluation. One context may serve concurrent evaluations when its hooks are
// thread-safe (the trace callback is called from the evaluating thread).
struct EvaluationContext {
  // %resource and %rootResource (https://hl7.org/fhir/R4/fhirpath.html#variables). When null,
  // the resource containing the evaluation context (and the outermost one) is used.
  const fhir::Element* resource = nullptr;
  const fhir::Element* rootResource = nullptr;
  // Extra environment variables, by name without '%'.
  std::map<std::string, Collection, std::less<>> variables;

  const TypeModel* types = nullptr;  // null: builtinTypeModel()
  const TerminologyService* terminology = nullptr;
  const ProfileChecker* profiles = nullptr;
  const ReferenceResolver* resolver = nullptr;
  // Receives trace(name) output; null discards it.
  std::function<void(std::string_view name, const Collection& items)> trace;

  // Budget: evaluation stops with an error past this many steps or this much time.
  std::uint64_t maxSteps = 50'000'000;
  std::chrono::milliseconds timeLimit{5000};
  // Longest string a regular expression is run on, and the largest collection built.
  std::size_t maxRegexInput = 1 << 20;
  std::size_t maxCollectionSize = 10'000'000;
  // Strict evaluation: a property the node's type does not define, a leading type name that is
  // not the context's type, or a choice element spelled with its type ("valueQuantity") is an
  // error rather than an empty result.
  bool strict = false;
  // FHIRPath N1 makes as() on several items an error
  // (https://hl7.org/fhirpath/N1/#astype-type-specifier). The R4 core invariants were written for
  // engines that filter instead (dom-3 applies descendants().as(canonical) to every element), so
  // the default filters, as the HL7 validator does for R4; set true for strict N1 behaviour (the
  // official suite's testFHIRPathAsFunction21).
  bool enforceAsSingleton = false;
  // A fixed clock for now()/today()/timeOfDay(); the system clock when unset.
  std::optional<DateTimeValue> now;
};

}  // namespace notebridge::fhirpath

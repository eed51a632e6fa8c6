#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "notebridge/fhir/element.h"

namespace notebridge::validation {

// ElementDefinition.type: a type code with its profiles and, for Reference/canonical, the
// profiles of allowed targets.
struct TypeRef {
  std::string code;
  std::vector<std::string> profiles;
  std::vector<std::string> targetProfiles;
};

// ElementDefinition.binding.
struct Binding {
  std::string strength;  // required | extensible | preferred | example
  std::string valueSet;  // canonical, possibly with |version
};

// ElementDefinition.constraint: an invariant with its FHIRPath expression.
struct Constraint {
  std::string key;
  std::string severity;  // error | warning
  std::string human;
  std::string expression;
  std::string source;
};

// ElementDefinition.slicing.discriminator.
struct Discriminator {
  std::string type;  // value | exists | pattern | type | profile
  std::string path;
};

// ElementDefinition.slicing.
struct Slicing {
  std::vector<Discriminator> discriminators;
  bool ordered = false;
  std::string rules = "open";  // closed | open | openAtEnd
};

// A value carried by an ElementDefinition (fixed[x], pattern[x], minValue[x], ...): the value as
// an element tree named after the JSON property ("fixedCode"), and its FHIR type ("code").
struct TypedValue {
  std::shared_ptr<const fhir::Element> value;
  std::string type;

  explicit operator bool() const { return value != nullptr; }
};

// The parts of an ElementDefinition (https://hl7.org/fhir/R4/elementdefinition.html) that
// validation and snapshot generation read. Plain data: copyable, immutable once in a snapshot.
struct ElementDefinition {
  std::string id;
  std::string path;
  std::string sliceName;
  std::optional<int> min;
  std::optional<std::string> max;  // "*" or a number
  std::string basePath;
  std::string contentReference;  // "#Questionnaire.item"
  std::vector<TypeRef> types;
  TypedValue fixed;
  TypedValue pattern;
  TypedValue minValue;
  TypedValue maxValue;
  std::optional<int> maxLength;
  std::optional<Binding> binding;
  std::vector<Constraint> constraints;
  std::optional<Slicing> slicing;
  bool isModifier = false;
  bool mustSupport = false;
};

// A StructureDefinition with its elements (https://hl7.org/fhir/R4/structuredefinition.html).
struct StructureDefinition {
  std::string url;
  std::string version;
  std::string name;
  std::string kind;  // primitive-type | complex-type | resource | logical
  std::string type;  // the type constrained: "DocumentReference", "Extension", ...
  std::string baseDefinition;
  std::string derivation;  // specialization | constraint
  bool isAbstract = false;
  // Extension contexts (StructureDefinition.context): type and expression pairs.
  std::vector<std::pair<std::string, std::string>> contexts;
  std::vector<ElementDefinition> snapshot;
  std::vector<ElementDefinition> differential;
  // Where it was loaded from (a file path), for messages.
  std::string source;
};

// A CodeSystem concept with its nested children (hierarchy for is-a filters).
struct Concept {
  std::string code;
  std::string display;
  std::vector<Concept> children;
  // Property values by code (e.g. "notSelectable" = "true"), flattened as text.
  std::vector<std::pair<std::string, std::string>> properties;
};

// A CodeSystem (https://hl7.org/fhir/R4/codesystem.html).
struct CodeSystem {
  std::string url;
  std::string version;
  std::string content;  // complete | fragment | example | not-present | supplement
  bool caseSensitive = true;
  std::vector<Concept> concepts;
};

// A ValueSet compose filter.
struct ValueSetFilter {
  std::string property;
  std::string op;
  std::string value;
};

// One ValueSet.compose.include or .exclude.
struct ValueSetInclude {
  std::string system;
  std::string version;
  std::vector<std::pair<std::string, std::string>> concepts;  // code, display
  std::vector<ValueSetFilter> filters;
  std::vector<std::string> valueSets;
};

// A ValueSet (https://hl7.org/fhir/R4/valueset.html): its compose, or a stored expansion.
struct ValueSet {
  std::string url;
  std::string version;
  std::vector<ValueSetInclude> includes;
  std::vector<ValueSetInclude> excludes;
  // expansion.contains flattened: system, code.
  std::vector<std::pair<std::string, std::string>> expansion;
  bool hasExpansion = false;
};

}  // namespace notebridge::validation

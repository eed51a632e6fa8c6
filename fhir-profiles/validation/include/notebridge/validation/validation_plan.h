#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "notebridge/validation/structure_definition.h"

namespace notebridge::validation {

// Hash that lets unordered maps keyed by std::string be searched with a string_view.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const {
    return std::hash<std::string_view>{}(text);
  }
};

namespace detail {
struct LogicTree;
}  // namespace detail
struct PlanNode;
class ValidationPlan;
struct Expansion;

// A constraint the ConstraintEvaluator checks, with what is known of it without evaluating.
struct PlannedConstraint {
  const Constraint* constraint = nullptr;
  // Set for expressions "x.empty() or <rest>" and "x.exists() implies <rest>" (x a lower-case
  // name, <rest> without a looser-binding `implies`/`xor`): the constraint holds on a focus with
  // no child whose name starts with x, without evaluating (FHIRPath: `true or ...` and
  // `false implies ...` are true). Empty otherwise.
  std::string holdsWithout;
  // What the ConstraintEvaluator prepared for it (ConstraintEvaluator::prepare), set by the
  // Validator through ValidationPlan::prepareConstraints.
  std::shared_ptr<const void> prepared;
  // The expression read as "or"/"and"/"implies" over child tests, where the validator may
  // answer it without the evaluator (src/native_invariants.h); null when it never can.
  std::shared_ptr<const detail::LogicTree> logic;
};

// How a JSON property name resolves under a plan node: the child definition and, for a choice,
// the type the name selects ("valueQuantity" -> value[x], "Quantity").
struct ChildMatch {
  ChildMatch(const PlanNode* n, std::string t) : node(n), type(std::move(t)) {}
  ChildMatch(const ChildMatch& other) : node(other.node), type(other.type) {}

  const PlanNode* node = nullptr;
  std::string type;
  // The base definition's plan of `type` (null when the type has no definition), filled in on
  // first use by the Validator that compiled the plan: typePlan is valid once typePlanKnown
  // reads true (release/acquire). Lock-free.
  mutable std::atomic<const ValidationPlan*> typePlan{nullptr};
  mutable std::atomic<bool> typePlanKnown{false};
};

// What the validator reads of a child element for every instance: kept in one contiguous array
// per parent (PlanNode::childInfo) so matching names and checking cardinality do not chase
// pointers to each child's PlanNode.
struct PlanChild {
  const ChildMatch* match = nullptr;  // the child's ChildMatch when it is not a choice
  const char* name = nullptr;         // PlanNode::name of the child
  std::size_t nameSize = 0;
  int min = 0;
  int max = -1;
  bool isValue = false;  // named "value" (a primitive's value is not a child in the tree)
};

// One element of a compiled profile: its definition, children and slices, with the lookups the
// validator needs precomputed. Immutable once the plan is built.
struct PlanNode {
  const ElementDefinition* def = nullptr;
  std::string name;        // last path segment: "status", "value[x]"
  std::string choiceBase;  // "value" for "value[x]"; empty for other elements
  int min = 0;
  int max = -1;       // -1 for "*"
  int position = -1;  // index among the parent's children; -1 for the root and slices
  std::vector<const PlanNode*> children;
  std::vector<const PlanNode*> slices;
  const PlanNode* contentTarget = nullptr;  // contentReference resolved
  std::unordered_map<std::string, ChildMatch, StringHash, std::equal_to<>> byName;
  // Precomputed so the validator does not search per instance element:
  // the constraints the ConstraintEvaluator checks (with an expression and no native check),
  std::vector<PlannedConstraint> evaluated;
  // per entry of `children`, what is checked of it (same order),
  std::vector<PlanChild> childInfo;
  // whether some child has min > 0 (else an instance without children has nothing to count),
  bool anyRequiredChild = false;
  // whether some type of the element names profiles (SimpleQuantity, an extension...),
  bool hasTypeProfiles = false;
  // which of the definition's value rules exist (kFixed | kPattern | ...): read here, next to
  // the other hot fields, instead of in the much larger ElementDefinition,
  std::uint8_t valueRules = 0;
  static constexpr std::uint8_t kFixed = 1, kPattern = 2, kBinding = 4, kValueLimits = 8;
  // the expansion of the binding's value set, cached by the Validator on first use (null until
  // then, and when the value set cannot be expanded),
  mutable std::atomic<const Expansion*> bindingExpansion{nullptr};
  // and the resource types a Reference here may point to, from targetProfiles (empty: any;
  // filled by the Validator through ValidationPlan::resolveReferences).
  std::vector<std::string> referenceTargets;

  const ChildMatch* match(std::string_view jsonName) const {
    auto it = byName.find(jsonName);
    return it == byName.end() ? nullptr : &it->second;
  }
  const PlanNode* slice(std::string_view sliceName) const {
    for (const PlanNode* s : slices) {
      if (s->def->sliceName == sliceName) return s;
    }
    return nullptr;
  }
};

// A StructureDefinition compiled for validation: the element tree of its snapshot. Immutable
// and shared across threads (the validator caches one per canonical URL).
class ValidationPlan {
 public:
  // Compiles a definition that has a snapshot. Never fails: elements whose parent cannot be
  // found are ignored.
  explicit ValidationPlan(std::shared_ptr<const StructureDefinition> definition);
  ValidationPlan(const ValidationPlan&) = delete;
  ValidationPlan& operator=(const ValidationPlan&) = delete;

  const StructureDefinition& definition() const { return *definition_; }
  const PlanNode* root() const { return root_; }
  // The node of an element id ("DocumentReference.content.attachment"), or null.
  const PlanNode* find(std::string_view id) const;

  // Fills every node's referenceTargets: `typeOf` gives the resource type a target profile
  // constrains, or nothing when the profile is not loaded. Called once by the Validator before
  // the plan is shared.
  void resolveReferences(
      const std::function<std::optional<std::string>(const std::string& profile)>& typeOf);

  // Sets every PlannedConstraint::prepared from `prepare`. Called once by the Validator before
  // the plan is shared.
  void prepareConstraints(
      const std::function<std::shared_ptr<const void>(const Constraint& constraint)>& prepare);

  // True for the constraint keys the validator checks natively (ele-1, ext-1, dom-2..5, ref-1,
  // bdl-*): these are never handed to the ConstraintEvaluator.
  static bool isNativeConstraint(std::string_view key);

 private:
  std::shared_ptr<const StructureDefinition> definition_;
  std::vector<std::unique_ptr<PlanNode>> nodes_;
  std::unordered_map<std::string, PlanNode*, StringHash, std::equal_to<>> byId_;
  const PlanNode* root_ = nullptr;
};

}  // namespace notebridge::validation

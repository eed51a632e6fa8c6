#pragma once

#include <memory>
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

struct PlanNode;

// How a JSON property name resolves under a plan node: the child definition and, for a choice,
// the type the name selects ("valueQuantity" -> value[x], "Quantity").
struct ChildMatch {
  const PlanNode* node = nullptr;
  std::string type;
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

 private:
  std::shared_ptr<const StructureDefinition> definition_;
  std::vector<std::unique_ptr<PlanNode>> nodes_;
  std::unordered_map<std::string, PlanNode*, StringHash, std::equal_to<>> byId_;
  const PlanNode* root_ = nullptr;
};

}  // namespace notebridge::validation

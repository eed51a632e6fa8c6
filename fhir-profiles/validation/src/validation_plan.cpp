#include "notebridge/validation/validation_plan.h"

#include "native_invariants.h"
#include "notebridge/validation/primitive_rules.h"

namespace notebridge::validation {
namespace {

// The x of "x.empty() or <rest>" / "x.exists() implies <rest>" (see PlannedConstraint), or "".
// `implies` binds loosest and `xor` as loosely as `or`, so either in <rest> could make the whole
// expression depend on more than the first operand: those are left to the evaluator.
std::string holdsWithout(std::string_view expression) {
  std::size_t end = 0;
  if (expression.empty() || expression[0] < 'a' || expression[0] > 'z') return {};
  while (end < expression.size() && ((expression[end] >= 'a' && expression[end] <= 'z') ||
                                     (expression[end] >= 'A' && expression[end] <= 'Z') ||
                                     (expression[end] >= '0' && expression[end] <= '9'))) {
    ++end;
  }
  const std::string_view name = expression.substr(0, end);
  const std::string_view after = expression.substr(end);
  constexpr std::string_view kEmptyOr = ".empty() or ";
  constexpr std::string_view kExistsImplies = ".exists() implies ";
  std::string_view rest;
  if (after.substr(0, kEmptyOr.size()) == kEmptyOr) {
    rest = after.substr(kEmptyOr.size());
    if (rest.find("xor") != std::string_view::npos) return {};
  } else if (after.substr(0, kExistsImplies.size()) == kExistsImplies) {
    rest = after.substr(kExistsImplies.size());
  } else {
    return {};
  }
  if (rest.find("implies") != std::string_view::npos) return {};
  return std::string(name);
}

std::string capitalized(std::string code) {
  if (!code.empty() && code[0] >= 'a' && code[0] <= 'z') code[0] = static_cast<char>(code[0] - 32);
  return code;
}

}  // namespace

ValidationPlan::ValidationPlan(std::shared_ptr<const StructureDefinition> definition)
    : definition_(std::move(definition)) {
  for (const ElementDefinition& e : definition_->snapshot) {
    auto node = std::make_unique<PlanNode>();
    node->def = &e;
    const auto dot = e.path.rfind('.');
    node->name = dot == std::string::npos ? e.path : e.path.substr(dot + 1);
    if (node->name.size() > 3 && node->name.substr(node->name.size() - 3) == "[x]") {
      node->choiceBase = node->name.substr(0, node->name.size() - 3);
    }
    node->min = e.min.value_or(0);
    if (e.max && *e.max != "*") node->max = std::atoi(e.max->c_str());
    PlanNode* raw = node.get();
    nodes_.push_back(std::move(node));
    if (!root_) {
      root_ = raw;
      byId_.emplace(e.id, raw);
      continue;
    }
    byId_.emplace(e.id, raw);
    // The parent is the id without its last segment; a last segment "name:slice" makes the
    // element a slice of "name".
    const auto idDot = e.id.rfind('.');
    if (idDot == std::string::npos) continue;
    const std::string parentId = e.id.substr(0, idDot);
    const std::string segment = e.id.substr(idDot + 1);
    const auto colon = segment.find(':');
    if (colon != std::string::npos) {
      auto sliced = byId_.find(parentId + "." + segment.substr(0, colon));
      if (sliced != byId_.end()) sliced->second->slices.push_back(raw);
      continue;
    }
    auto parent = byId_.find(parentId);
    if (parent != byId_.end()) {
      raw->position = static_cast<int>(parent->second->children.size());
      parent->second->children.push_back(raw);
    }
  }
  for (auto& node : nodes_) {
    if (!node->def->contentReference.empty()) {
      auto target = byId_.find(std::string_view(node->def->contentReference).substr(1));
      if (target != byId_.end()) node->contentTarget = target->second;
    }
    for (const PlanNode* child : node->children) {
      if (child->choiceBase.empty()) {
        ChildMatch match{child, child->def->types.size() == 1 ? child->def->types[0].code : ""};
        node->byName.emplace(child->name, std::move(match));
        continue;
      }
      for (const TypeRef& type : child->def->types) {
        node->byName.emplace(child->choiceBase + capitalized(type.code),
                             ChildMatch{child, type.code});
      }
    }
    for (const PlanNode* child : node->children) {
      PlanChild info;
      info.match = child->choiceBase.empty() ? node->match(child->name) : nullptr;
      info.name = child->name.data();
      info.nameSize = child->name.size();
      info.min = child->min;
      info.max = child->max;
      info.isValue = child->name == "value";
      node->childInfo.push_back(info);
      node->anyRequiredChild = node->anyRequiredChild || child->min > 0;
    }
    const ElementDefinition& ed = *node->def;
    node->valueRules = static_cast<std::uint8_t>(
        (ed.fixed ? PlanNode::kFixed : 0) | (ed.pattern ? PlanNode::kPattern : 0) |
        (ed.binding ? PlanNode::kBinding : 0) |
        (ed.maxLength || ed.minValue || ed.maxValue ? PlanNode::kValueLimits : 0));
    for (const TypeRef& type : node->def->types) {
      node->hasTypeProfiles = node->hasTypeProfiles || !type.profiles.empty();
    }
    for (const Constraint& c : node->def->constraints) {
      if (!c.expression.empty() && !isNativeConstraint(c.key)) {
        node->evaluated.push_back(PlannedConstraint{&c, holdsWithout(c.expression), nullptr,
                                                    detail::parseLogic(c.expression)});
      }
    }
  }
}

void ValidationPlan::resolveReferences(
    const std::function<std::optional<std::string>(const std::string& profile)>& typeOf) {
  constexpr std::string_view kCore = "http://hl7.org/fhir/StructureDefinition/";
  for (auto& node : nodes_) {
    bool anyTarget = false;  // a target profile that is not loaded: its type is unknown
    for (const TypeRef& t : node->def->types) {
      if (t.code != "Reference") continue;
      for (const std::string& target : t.targetProfiles) {
        if (std::optional<std::string> type = typeOf(target)) {
          node->referenceTargets.push_back(std::move(*type));
        } else if (target.compare(0, kCore.size(), kCore) == 0) {
          node->referenceTargets.push_back(target.substr(kCore.size()));
        } else {
          anyTarget = true;
        }
      }
    }
    if (anyTarget) node->referenceTargets.clear();
  }
}

void ValidationPlan::prepareConstraints(
    const std::function<std::shared_ptr<const void>(const Constraint& constraint)>& prepare) {
  for (auto& node : nodes_) {
    for (PlannedConstraint& planned : node->evaluated)
      planned.prepared = prepare(*planned.constraint);
  }
}

bool ValidationPlan::isNativeConstraint(std::string_view key) {
  static constexpr std::string_view kNative[] = {
      "ele-1", "ext-1", "dom-2", "dom-3", "dom-4", "dom-5",  "ref-1",  "bdl-1", "bdl-2",
      "bdl-3", "bdl-4", "bdl-7", "bdl-8", "bdl-9", "bdl-10", "bdl-11", "bdl-12"};
  for (std::string_view native : kNative) {
    if (key == native) return true;
  }
  return false;
}

const PlanNode* ValidationPlan::find(std::string_view id) const {
  auto it = byId_.find(id);
  return it == byId_.end() ? nullptr : it->second;
}

}  // namespace notebridge::validation

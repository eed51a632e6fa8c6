#include "notebridge/validation/validator.h"

#include <algorithm>
#include <cstring>
#include <set>

#include "digest.h"
#include "json_reader.h"
#include "literal.h"
#include "narrative_checks.h"
#include "native_invariants.h"
#include "notebridge/fhir/digest.h"
#include "notebridge/fhir/json_format.h"
#include "notebridge/fhir/resource_format.h"
#include "notebridge/fhir/xml_format.h"
#include "notebridge/validation/fhirpath_invariants.h"
#include "notebridge/validation/primitive_rules.h"

namespace notebridge::validation {
namespace {

using detail::is;

using fhir::Element;
using fhir::Issue;
using fhir::Outcome;
using fhir::Severity;

constexpr int kMaxDepth = 96;

bool startsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

bool isResourceTypeName(std::string_view type) {
  return is(type, "Resource") || is(type, "DomainResource");
}

// Invariants whose FHIRPath expression the validator answers itself with the engine's exact
// verdict, because they are on every resource or every narrative: htmlChecks() (txt-1, txt-2;
// see narrative_checks.h) and dom-6's text.`div`.exists() (true when a `text` child has a `div`
// child: neither name is a choice element in R4, so path navigation is a plain name match).
// per-1 (start <= end on every Period) where its answer is certain, and "or"/"and"/"implies"
// combinations one child test decides (con-3, obs-7, app-2/3/4, ras-2, drt-1 on a mapped note):
// native_invariants.h.
enum class NativeExpression { kNone, kHtmlChecks, kTextDivExists, kPeriodOrder };

NativeExpression nativeExpression(const std::string& expression) {
  if (is(expression, "htmlChecks()")) return NativeExpression::kHtmlChecks;
  if (is(expression, "text.`div`.exists()")) return NativeExpression::kTextDivExists;
  if (expression == detail::kPeriodOrderExpression) return NativeExpression::kPeriodOrder;
  return NativeExpression::kNone;
}

// Conservative for FHIRPath navigation by `name`: also true for choice elements (valueQuantity
// for value) and any longer name.
bool hasChildStartingWith(const Element& node, const std::string& name) {
  if (node.type() == name) return true;  // a type name could select the focus itself
  for (const auto& child : node.children()) {
    if (child->name().compare(0, name.size(), name) == 0) return true;
  }
  return false;
}

bool textDivExists(const Element& node) {
  for (const auto& child : node.children()) {
    if (is(child->name(), "text") && child->child("div")) return true;
  }
  return false;
}

// Pattern semantics
// (https://hl7.org/fhir/R4/elementdefinition-definitions.html#ElementDefinition.pattern_x_): every
// value in the pattern must be present in the instance; each repeat in the pattern must match some
// repeat of the instance.
bool matchesPattern(const Element& instance, const Element& pattern) {
  if (pattern.hasValue() && (!instance.hasValue() || instance.value() != pattern.value()))
    return false;
  for (const auto& p : pattern.children()) {
    bool found = false;
    for (const auto& i : instance.children()) {
      if (i->name() == p->name() && matchesPattern(*i, *p)) {
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

// Fixed semantics: the instance equals the value exactly (same values, same children).
bool equalsExactly(const Element& instance, const Element& fixed) {
  if (instance.hasValue() != fixed.hasValue() || instance.value() != fixed.value()) return false;
  if (instance.children().size() != fixed.children().size()) return false;
  for (std::size_t i = 0; i < fixed.children().size(); ++i) {
    const Element& a = *instance.children()[i];
    const Element& b = *fixed.children()[i];
    if (a.name() != b.name() || !equalsExactly(a, b)) return false;
  }
  return true;
}

std::string describe(const Element& value) {
  if (value.hasValue()) return "'" + value.value() + "'";
  std::string out = "{";
  for (const auto& c : value.children()) {
    if (out.size() > 1) out += ", ";
    out += c->name() + ": " + describe(*c);
  }
  return out + "}";
}

// The type name and id of a RESTful reference ("Patient/1", ".../fhir/Patient/1/_history/2").
std::pair<std::string_view, std::string_view> restfulParts(std::string_view reference) {
  const auto history = reference.find("/_history/");
  if (history != std::string_view::npos) reference = reference.substr(0, history);
  const auto slash = reference.rfind('/');
  if (slash == std::string_view::npos || slash == 0) return {};
  const std::string_view id = reference.substr(slash + 1);
  std::string_view type = reference.substr(0, slash);
  const auto previous = type.rfind('/');
  if (previous != std::string_view::npos) type = type.substr(previous + 1);
  if (type.empty() || type[0] < 'A' || type[0] > 'Z') return {};
  for (char c : type) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) return {};
  }
  return {type, id};
}

bool isAbsoluteUrl(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  for (char c : text.substr(0, colon)) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
          c == '.' || c == '-')) {
      return false;
    }
  }
  return true;
}

// One validation run: the issues and what is needed to find context.
class Run {
 public:
  Run(const Validator& validator, const ValidationOptions& options)
      : validator_(validator), options_(options) {}

  Outcome finish() {
    outcome_.sortByLocation();
    return std::move(outcome_);
  }

  void resource(const Element& node, int depth) {
    if (depth > kMaxDepth) return;
    const ValidationPlan* base = validator_.typePlan(node.type());
    if (!base || base->definition().kind != "resource") {
      report(node, Severity::kError, "structure", "Unknown resource type '" + node.type() + "'",
             nullptr);
      return;
    }
    // The profiles that apply: meta.profile, then those requested for the root.
    std::vector<std::shared_ptr<const ValidationPlan>> plans;
    std::vector<std::string_view> urls;
    auto addProfile = [&](std::string_view url, Severity missing) {
      if (std::find(urls.begin(), urls.end(), url) != urls.end()) return;
      urls.push_back(url);
      auto plan = validator_.plan(url);
      if (!plan) {
        report(node, missing, "not-found", "Profile " + std::string(url) + " is not available",
               nullptr);
        return;
      }
      if (plan->definition().type != node.type()) {
        report(node, Severity::kError, "structure",
               "Profile " + std::string(url) + " is for " + plan->definition().type + ", not " +
                   node.type(),
               nullptr);
        return;
      }
      plans.push_back(std::move(plan));
    };
    if (options_.useMetaProfiles) {
      if (const Element* meta = node.child("meta")) {
        for (const Element* profile : meta->childrenNamed("profile")) {
          if (profile->hasValue()) addProfile(profile->value(), Severity::kWarning);
        }
      }
    }
    if (depth == 0) {
      for (const std::string& url : options_.profiles) addProfile(url, Severity::kError);
    }
    // A profile's snapshot holds every rule of the base definition (it is the base with
    // constraints applied), so a complete one makes the base pass redundant.
    bool baseCovered = false;
    for (const auto& plan : plans) {
      baseCovered = baseCovered || validator_.completeSnapshot(*plan);
    }
    if (!baseCovered) withPlan(node, *base, depth);
    for (const auto& plan : plans) withPlan(node, *plan, depth);
    nativeResourceRules(node);
  }

  void withPlan(const Element& node, const ValidationPlan& plan, int depth) {
    const std::string* saved = profile_;
    profile_ = &plan.definition().url;
    element(node, *plan.root(), node.type(), depth, plan.root());
    profile_ = saved;
  }

  void report(const Element& node, Severity severity, std::string code, std::string message,
              const PlanNode* where, std::string expression = {}) {
    Issue issue;
    issue.severity = severity;
    issue.code = std::move(code);
    issue.expression = expression.empty() ? node.path() : std::move(expression);
    issue.diagnostics = std::move(message);
    const auto location = node.location();
    issue.line = location.line;
    issue.column = location.column;
    // The same finding through the base and a profile is reported once.
    std::string key;
    key.reserve(issue.expression.size() + 1 + issue.diagnostics.size());
    key.append(issue.expression).append(1, '\x1f').append(issue.diagnostics);
    if (!seen_.insert(std::move(key)).second) return;
    if (profile_ && !profile_->empty()) {
      issue.diagnostics.append(" (profile ").append(*profile_).append(1, ')');
    }
    (void)where;
    outcome_.add(std::move(issue));
  }

  // The base definition's plan of `type`; `via` (when given and naming the same type) keeps
  // the answer so the next element through the same property does not look it up again.
  const ValidationPlan* typePlanOf(std::string_view type, const ChildMatch* via) {
    if (!via || via->type.data() != type.data()) return validator_.typePlan(type);
    if (via->typePlanKnown.load(std::memory_order_acquire)) {
      return via->typePlan.load(std::memory_order_relaxed);
    }
    const ValidationPlan* plan = validator_.typePlan(type);
    via->typePlan.store(plan, std::memory_order_relaxed);
    via->typePlanKnown.store(true, std::memory_order_release);
    return plan;
  }

  // Validates `node` as an instance of `def` with FHIR type `type`; `via` is the property
  // match `type` came from, if any.
  void element(const Element& node, const PlanNode& def, std::string_view type, int depth,
               const PlanNode* host, const ChildMatch* via = nullptr) {
    if (depth > kMaxDepth) {
      report(node, Severity::kError, "too-long", "Element nesting is too deep", &def);
      return;
    }
    const ElementDefinition& ed = *def.def;
    if (node.isPrimitive() && isPrimitiveType(type)) {
      primitive(node, def, type);
    } else if (!node.isResource() && !node.hasChildren()) {
      report(node, Severity::kError, "invariant",
             "ele-1: All FHIR elements must have a @value or children", &def);
    }
    if (def.valueRules & (PlanNode::kFixed | PlanNode::kPattern | PlanNode::kBinding)) {
      if (ed.fixed && !equalsExactly(node, *ed.fixed.value)) {
        report(node, Severity::kError, "value",
               "Value must be exactly " + describe(*ed.fixed.value) + ", found " + describe(node),
               &def);
      }
      if (ed.pattern && !matchesPattern(node, *ed.pattern.value)) {
        report(node, Severity::kError, "value",
               "Value does not match the required pattern " + describe(*ed.pattern.value), &def);
      }
      if (ed.binding) binding(node, def, type, *ed.binding);
    }
    if (is(type, "Reference")) reference(node, def);
    if (is(type, "Attachment")) attachment(node);
    if (is(type, "Extension")) {
      extension(node, def, depth, host);
    }
    invariants(node, def);

    // Children come from the profile when it constrains inside this element, else from the
    // type's own definition. A contentReference element (Parameters.parameter.part) that a
    // profile constrains inside (CDex part slices) keeps its own children.
    const PlanNode* scope = def.contentTarget && def.children.empty() ? def.contentTarget : &def;
    if (scope->children.empty() && !type.empty() && !isResourceTypeName(type)) {
      if (const ValidationPlan* typePlan = typePlanOf(type, via)) {
        // The type's own invariants (ref-1 on Reference, qty-3 on Quantity...) live on its root.
        invariants(node, *typePlan->root());
        children(node, *typePlan->root(), depth, &def);
        typeProfiles(node, def, type, depth);
        return;
      }
      if (!node.hasChildren()) return;
      report(node, Severity::kError, "structure",
             "No definition is available for type '" + std::string(type) + "'", &def);
      return;
    }
    children(node, *scope, depth, &def);
    typeProfiles(node, def, type, depth);
  }

  // Profiles on the element's type (SimpleQuantity, an extension definition...).
  void typeProfiles(const Element& node, const PlanNode& def, std::string_view type, int depth) {
    if (!def.hasTypeProfiles || is(type, "Extension")) return;  // Extension: handled with the url
    const ElementDefinition& ed = *def.def;
    for (const TypeRef& ref : ed.types) {
      if (ref.code != type || ref.profiles.empty()) continue;
      auto plan = validator_.plan(ref.profiles.front());
      if (!plan) {
        report(node, Severity::kWarning, "not-found",
               "Profile " + ref.profiles.front() + " is not available", nullptr);
        return;
      }
      const std::string* saved = profile_;
      profile_ = &plan->definition().url;
      element(node, *plan->root(), type, depth + 1, nullptr);
      profile_ = saved;
    }
  }

  void children(const Element& node, const PlanNode& scope, int depth, const PlanNode* host) {
    // Nothing to match and nothing to count (most primitives: a value, no id or extension).
    if (!node.hasChildren() && !scope.anyRequiredChild) return;
    // Counts per plan child; most types have few properties, so the stack usually suffices.
    constexpr std::size_t kInline = 64;
    int inlineCounts[kInline];
    std::vector<int> heapCounts;
    int* counts = inlineCounts;
    if (scope.children.size() > kInline) {
      heapCounts.assign(scope.children.size(), 0);
      counts = heapCounts.data();
    } else {
      // Only the entries in use: zeroing all 64 (rep stos) cost more than the loop over them.
      std::fill_n(inlineCounts, scope.children.size(), 0);
    }
    const auto& kids = node.children();
    std::vector<const Element*> items;
    // Properties come in definition order in parsed and mapped trees: look a few plan children
    // ahead of the last match before asking the name table.
    std::size_t cursor = 0;
    const std::size_t planChildren = scope.children.size();
    // Children of one property are consecutive in parsed trees; each run is one group.
    for (std::size_t begin = 0; begin < kids.size();) {
      const std::string_view name = kids[begin]->name();
      std::size_t end = begin + 1;
      while (end < kids.size() && kids[end]->name() == name) ++end;
      const std::size_t runBegin = begin;
      begin = end;
      const ChildMatch* match = nullptr;
      for (std::size_t i = cursor, end = std::min(planChildren, cursor + 6); i < end; ++i) {
        const PlanChild& candidate = scope.childInfo[i];
        if (candidate.match && candidate.nameSize == name.size() &&
            std::memcmp(candidate.name, name.data(), name.size()) == 0) {
          match = candidate.match;
          break;
        }
      }
      if (!match) match = scope.match(name);
      if (match && match->node->position >= 0) {
        cursor = static_cast<std::size_t>(match->node->position) + 1;
      }
      if (!match) {
        if (node.isPrimitive() && is(name, "value")) continue;
        for (std::size_t k = runBegin; k < end; ++k) {
          report(*kids[k], Severity::kError, "structure",
                 "Unknown element '" + std::string(name) + "'", nullptr);
        }
        continue;
      }
      const PlanNode& child = *match->node;
      if (child.position >= 0) counts[child.position] += static_cast<int>(end - runBegin);
      if (child.max == 0) {
        for (std::size_t k = runBegin; k < end; ++k) {
          report(*kids[k], Severity::kError, "structure",
                 "Element '" + std::string(name) + "' is not allowed (max 0)", &child);
        }
        continue;
      }
      if (!child.slices.empty() && child.choiceBase.empty()) {
        items.clear();
        for (std::size_t k = runBegin; k < end; ++k) items.push_back(kids[k].get());
        sliced(items, child, depth, host);
        continue;
      }
      const PlanNode* effective = &child;
      if (!child.choiceBase.empty()) {
        if (const PlanNode* typeSlice = child.slice(name)) effective = typeSlice;
      }
      for (std::size_t k = runBegin; k < end; ++k) {
        instance(*kids[k], *effective, match->type, depth, host, match);
      }
    }
    const bool primitive = node.isPrimitive();
    for (std::size_t i = 0; i < planChildren; ++i) {
      const PlanChild& child = scope.childInfo[i];
      const int count = counts[i];
      if (count >= child.min && (child.max <= 0 || count <= child.max)) continue;
      if (primitive && child.isValue) continue;
      cardinality(node, *scope.children[i], count, nullptr);
    }
  }

  // `slicedName` is the name of the sliced element when `child` is a slice.
  void cardinality(const Element& parent, const PlanNode& child, int count,
                   const std::string* slicedName) {
    if (count >= child.min && (child.max <= 0 || count <= child.max)) return;
    const std::string expression = parent.path() + "." + (slicedName ? *slicedName : child.name);
    if (count < child.min) {
      report(parent, Severity::kError, "required",
             "Element '" + child.def->path +
                 (child.def->sliceName.empty() ? "" : ":" + child.def->sliceName) +
                 "' requires at least " + std::to_string(child.min) + " but found " +
                 std::to_string(count),
             &child, expression);
    }
    if (child.max > 0 && count > child.max) {  // max 0 is reported on each element
      report(parent, Severity::kError, "structure",
             "Element '" + child.def->path +
                 (child.def->sliceName.empty() ? "" : ":" + child.def->sliceName) +
                 "' allows at most " + std::to_string(child.max) + " but found " +
                 std::to_string(count),
             &child, expression);
    }
  }

  // Validates one occurrence; resolves the type of resources and the definition of resources.
  void instance(const Element& item, const PlanNode& def, std::string_view type, int depth,
                const PlanNode* host, const ChildMatch* via = nullptr) {
    if (type.empty() && def.def->types.size() > 1) type = item.type();
    const bool resourceSlot =
        isResourceTypeName(type) ||
        (item.isResource() && !type.empty() && type == item.type() && typePlanOf(type, via));
    if (resourceSlot) {
      if (!item.isResource()) {
        report(item, Severity::kError, "structure", "A resource is expected here", &def);
        return;
      }
      // The resource itself: base definition, meta.profile, then profiles on the type.
      resource(item, depth + 1);
      for (const TypeRef& ref : def.def->types) {
        for (const std::string& url : ref.profiles) {
          if (auto plan = validator_.plan(url)) withPlan(item, *plan, depth + 1);
        }
      }
      return;
    }
    if (item.isResource()) {
      report(item, Severity::kError, "structure",
             "A resource is not allowed here (expected " + std::string(type) + ")", &def);
      return;
    }
    element(item, def, type, depth + 1, host, via);
  }

  void primitive(const Element& node, const PlanNode& def, std::string_view type) {
    const ElementDefinition& ed = *def.def;
    if (!node.hasValue()) {
      if (!node.hasChildren()) {
        report(node, Severity::kError, "invariant",
               "ele-1: A primitive must have a value or extensions", &def);
      }
      return;
    }
    if (is(type, "xhtml")) {
      if (!startsWith(node.value(), "<div")) {
        report(node, Severity::kError, "value", "Narrative must be an XHTML div element", &def);
      }
      return;
    }
    if (auto problem = checkPrimitive(type, node.value())) {
      report(node, Severity::kError, "value", *problem, &def);
      return;
    }
    if (!(def.valueRules & PlanNode::kValueLimits)) return;
    if (ed.maxLength && static_cast<int>(node.value().size()) > *ed.maxLength) {
      report(node, Severity::kError, "too-long",
             "Value is longer than maxLength " + std::to_string(*ed.maxLength), &def);
    }
    if (ed.minValue && ed.minValue.value->hasValue() &&
        compareValues(node.value(), ed.minValue.value->value(), type) < 0) {
      report(node, Severity::kError, "value",
             "Value " + node.value() + " is below the minimum " + ed.minValue.value->value(), &def);
    }
    if (ed.maxValue && ed.maxValue.value->hasValue() &&
        compareValues(node.value(), ed.maxValue.value->value(), type) > 0) {
      report(node, Severity::kError, "value",
             "Value " + node.value() + " is above the maximum " + ed.maxValue.value->value(), &def);
    }
  }

  // Numbers compare numerically; dates and times as text (same-precision ISO 8601 sorts).
  static int compareValues(const std::string& a, const std::string& b, std::string_view type) {
    if (is(type, "integer") || is(type, "decimal") || is(type, "positiveInt") ||
        is(type, "unsignedInt")) {
      const double x = std::strtod(a.c_str(), nullptr);
      const double y = std::strtod(b.c_str(), nullptr);
      return x < y ? -1 : (x > y ? 1 : 0);
    }
    return a.compare(b) < 0 ? -1 : (a == b ? 0 : 1);
  }

  void binding(const Element& node, const PlanNode& def, std::string_view type, const Binding& b) {
    if (b.valueSet.empty()) return;
    Severity severity;
    if (is(b.strength, "required")) {
      severity = Severity::kError;
    } else if (is(b.strength, "extensible")) {
      severity = Severity::kWarning;
    } else {
      return;  // preferred and example bindings are advice, not rules
    }
    const TerminologyService& terminology = validator_.terminology();
    // The expansion is looked up once per plan node, not per coded element.
    const Expansion* expansion = def.bindingExpansion.load(std::memory_order_acquire);
    if (!expansion) {
      auto expanded = terminology.expand(b.valueSet);
      if (expanded.ok()) {
        expansion = expanded->get();
        def.bindingExpansion.store(expansion, std::memory_order_release);
      }
    }
    const auto validateCode = [&](std::string_view system, std::string_view code) {
      return expansion ? terminology.validateCode(*expansion, b.valueSet, system, code)
                       : terminology.validateCode(b.valueSet, system, code);
    };
    auto note = [&](const CodeCheck& check, const Element& at) {
      if (check.verdict == CodeVerdict::kInvalid) {
        report(at, severity, "code-invalid", check.message + " (" + b.strength + " binding)", &def);
      } else if (check.verdict == CodeVerdict::kUnknown) {
        const bool external = check.message.find("external terminology") != std::string::npos;
        report(at, external ? Severity::kInformation : Severity::kWarning,
               external ? "informational" : "not-found", check.message, &def);
      }
    };
    if (is(type, "code") || is(type, "string") || is(type, "uri")) {
      if (!node.hasValue()) return;
      // CapabilityStatement.format takes "xml", "json" and "ttl" (FHIR's own encodings) beside
      // mime types: the element's comments in R4 (capabilitystatement-definitions.html).
      const std::string& value = node.value();
      if (def.def && def.def->path == "CapabilityStatement.format" &&
          (value == "xml" || value == "json" || value == "ttl")) {
        return;
      }
      note(validateCode("", value), node);
      return;
    }
    if (is(type, "Coding")) {
      const std::string_view code = node.childValue("code");
      if (code.empty()) return;
      note(validateCode(node.childValue("system"), code), node);
      return;
    }
    if (is(type, "CodeableConcept")) {
      const auto codings = node.childrenNamed("coding");
      bool anyValid = false;
      std::vector<std::pair<CodeCheck, const Element*>> checks;
      for (const Element* coding : codings) {
        const std::string_view code = coding->childValue("code");
        if (code.empty()) continue;
        CodeCheck check = validateCode(coding->childValue("system"), code);
        if (check.verdict == CodeVerdict::kValid) anyValid = true;
        checks.emplace_back(std::move(check), coding);
      }
      if (anyValid) return;
      if (checks.empty()) {
        if (is(b.strength, "required")) {
          report(node, Severity::kWarning, "code-invalid",
                 "No code is provided for a required binding to " + b.valueSet, &def);
        }
        return;
      }
      bool anyUnknown = false;
      for (const auto& [check, coding] : checks)
        anyUnknown = anyUnknown || check.verdict == CodeVerdict::kUnknown;
      if (anyUnknown) {
        for (const auto& [check, coding] : checks) {
          if (check.verdict == CodeVerdict::kUnknown) note(check, *coding);
        }
        return;
      }
      note(checks.front().first, node);
    }
  }

  void reference(const Element& node, const PlanNode& def) {
    const Element* ref = node.child("reference");
    if (!ref || !ref->hasValue()) return;
    const std::string& value = ref->value();
    // Resolved from the targetProfiles when the plan was compiled (ValidationPlan).
    const std::vector<std::string>& allowed = def.referenceTargets;
    auto allows = [&](std::string_view type) {
      if (allowed.empty()) return true;
      for (const std::string& a : allowed) {
        if (a == type || is(a, "Resource") || is(a, "DomainResource")) return true;
      }
      return false;
    };
    auto checkType = [&](std::string_view type) {
      if (!type.empty() && !allows(type)) {
        std::string list;
        for (const std::string& a : allowed) list += (list.empty() ? "" : ", ") + a;
        report(
            *ref, Severity::kError, "structure",
            "Reference to a " + std::string(type) + " is not allowed here (allowed: " + list + ")",
            &def);
      }
    };
    if (startsWith(value, "#")) {
      if (value.size() == 1) return;  // the containing resource
      const Element* container = containerOf(node);
      const Element* target = nullptr;
      if (container) {
        for (const Element* contained : container->childrenNamed("contained")) {
          if (contained->childValue("id") == std::string_view(value).substr(1)) target = contained;
        }
      }
      if (!target) {
        report(*ref, Severity::kError, "not-found",
               "Contained resource '" + value + "' is not found", &def);
        return;
      }
      checkType(target->type());
      return;
    }
    if (const Element* target = inBundle(node, value)) {
      checkType(target->type());
      return;
    }
    if (startsWith(value, "urn:uuid:") || startsWith(value, "urn:oid:")) return;
    auto [type, id] = restfulParts(value);
    if (!type.empty()) {
      if (!validator_.typePlan(type)) {
        report(*ref, Severity::kError, "value",
               "Reference '" + value + "' names an unknown resource type", &def);
        return;
      }
      if (!checkPrimitive("id", id))
        checkType(type);
      else if (!isAbsoluteUrl(value)) {
        report(*ref, Severity::kError, "value", "Reference '" + value + "' has an invalid id",
               &def);
      }
      return;
    }
    if (!isAbsoluteUrl(value)) {
      report(*ref, Severity::kError, "value",
             "Reference '" + value + "' is neither Type/id, #id, nor an absolute URL", &def);
    }
  }

  // The resource whose `contained` list a "#id" reference searches: the outermost resource
  // that is not itself a contained one.
  static const Element* containerOf(const Element& node) {
    const Element* resource = node.containingResource();
    while (resource && is(resource->name(), "contained") && resource->parent()) {
      resource = resource->parent()->containingResource();
    }
    return resource;
  }

  // The entry resource a reference points to inside the enclosing Bundle, if any.
  static const Element* inBundle(const Element& node, const std::string& reference) {
    const Element* resource = node.containingResource();
    while (resource && is(resource->name(), "contained") && resource->parent()) {
      resource = resource->parent()->containingResource();
    }
    if (!resource || resource->name() != "resource" || !resource->parent()) return nullptr;
    const Element* bundle = resource->parent()->parent();
    if (!bundle || bundle->type() != "Bundle") return nullptr;
    for (const Element* entry : bundle->childrenNamed("entry")) {
      const std::string_view fullUrl = entry->childValue("fullUrl");
      const Element* target = entry->child("resource");
      if (!target) continue;
      if (fullUrl == reference) return target;
      if (!fullUrl.empty() && fullUrl.size() > reference.size() &&
          fullUrl.substr(fullUrl.size() - reference.size()) == reference &&
          fullUrl[fullUrl.size() - reference.size() - 1] == '/') {
        return target;
      }
    }
    return nullptr;
  }

  void attachment(const Element& node) {
    const Element* data = node.child("data");
    if (!data || !data->hasValue()) return;
    const Element* hash = node.child("hash");
    // With a hash the data is decoded anyway; a text that decodes has exactly that many bytes
    // by decodedBase64Size's count too, so the size check reuses it.
    std::optional<std::string> decoded;
    if (hash && hash->hasValue()) decoded = detail::base64DecodeFast(data->value());
    if (const Element* size = node.child("size"); size && size->hasValue()) {
      const auto bytes = decoded ? std::optional<std::size_t>(decoded->size())
                                 : detail::decodedBase64Size(data->value());
      if (bytes && size->value() != std::to_string(*bytes)) {
        report(*size, Severity::kError, "value",
               "Attachment.size is " + size->value() + " but data holds " + std::to_string(*bytes) +
                   " bytes",
               nullptr);
      }
    }
    if (hash && hash->hasValue()) {
      const auto& bytes = decoded;
      if (!bytes) return;  // the primitive check reports it
      const auto digest = fhir::sha1(*bytes);
      const std::string expected = fhir::base64Encode(
          std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
      if (hash->value() != expected) {
        report(*hash, Severity::kError, "value",
               "Attachment.hash is not the SHA-1 of data (expected " + expected + ")", nullptr);
      }
    }
  }

  void extension(const Element& node, const PlanNode& def, int depth, const PlanNode* host) {
    const bool modifier = is(node.name(), "modifierExtension");
    const std::string_view url = node.childValue("url");
    const bool hasValue = std::any_of(
        node.children().begin(), node.children().end(),
        [](const auto& c) { return is(c->baseName(), "value") || startsWith(c->name(), "value"); });
    if (hasValue && node.child("extension")) {
      report(node, Severity::kError, "invariant",
             "ext-1: An extension must have either extensions or value[x], not both", &def);
    }
    if (url.empty()) return;  // cardinality of url reports it
    // Extensions nested in a complex extension use relative URLs defined by their parent.
    if (!isAbsoluteUrl(url)) return;
    bool profiled = false;
    for (const TypeRef& t : def.def->types) profiled = profiled || !t.profiles.empty();
    std::shared_ptr<const ValidationPlan> plan;
    if (profiled) {
      for (const TypeRef& t : def.def->types) {
        for (const std::string& p : t.profiles) {
          if (!plan) plan = validator_.plan(p);
        }
      }
    }
    if (!plan) plan = validator_.plan(url);
    if (!plan) {
      if (modifier) {
        report(node, Severity::kError, "structure",
               "Unknown modifier extension '" + std::string(url) + "' cannot be ignored", &def);
      } else {
        report(node, options_.unknownExtensionIsError ? Severity::kError : Severity::kWarning,
               "extension", "Unknown extension '" + std::string(url) + "'", &def);
      }
      return;
    }
    const StructureDefinition& sd = plan->definition();
    if (sd.type != "Extension") {
      report(node, Severity::kError, "structure",
             std::string(url) + " is not an extension definition", &def);
      return;
    }
    if (modifier && !plan->root()->def->isModifier) {
      report(node, Severity::kError, "structure",
             "Extension '" + std::string(url) + "' is not a modifier extension but is used as one",
             &def);
    } else if (!modifier && plan->root()->def->isModifier) {
      report(node, Severity::kError, "structure",
             "Modifier extension '" + std::string(url) + "' must be in modifierExtension", &def);
    }
    if (host && !sd.contexts.empty() && !contextAllowed(node, sd, host)) {
      report(node, Severity::kError, "structure",
             "Extension '" + std::string(url) + "' is not allowed in this context", &def);
    }
    if (plan->root() != &def && plan->root()->def != def.def) {
      const std::string* saved = profile_;
      profile_ = &sd.url;
      children(node, *plan->root(), depth + 1, &def);
      invariants(node, *plan->root());
      profile_ = saved;
    }
  }

  // StructureDefinition.context (https://hl7.org/fhir/R4/defining-extensions.html#context).
  bool contextAllowed(const Element& node, const StructureDefinition& sd, const PlanNode* host) {
    const Element* parent = node.parent();
    std::vector<std::string> names;
    if (host && host->def) {
      names.push_back(host->def->path);
      for (const TypeRef& t : host->def->types) names.push_back(t.code);
    }
    if (parent) {
      names.push_back(parent->type());
      if (parent->isResource()) {
        names.push_back(parent->type());
        names.push_back("Resource");
        names.push_back("DomainResource");
      } else {
        names.push_back("Element");
        names.push_back("BackboneElement");
      }
    }
    for (const auto& [type, expression] : sd.contexts) {
      if (type != "element") return true;  // fhirpath and extension contexts are not checked
      if (is(expression, "Element") || is(expression, "Resource") || is(expression, "Base"))
        return true;
      for (const std::string& name : names) {
        if (name == expression) return true;
      }
    }
    return false;
  }

  void invariants(const Element& node, const PlanNode& def) {
    const ConstraintEvaluator* evaluator = validator_.invariants();
    if (!evaluator) return;
    if (def.evaluated.empty()) return;
    for (const PlannedConstraint& planned : def.evaluated) {
      const Constraint& c = *planned.constraint;
      if (!planned.holdsWithout.empty() && !hasChildStartingWith(node, planned.holdsWithout)) {
        continue;  // holds: its first operand decides (PlannedConstraint)
      }
      std::optional<bool> holds;
      switch (nativeExpression(c.expression)) {
        case NativeExpression::kHtmlChecks:
          // txt-1 and txt-2 are both htmlChecks() on the same div: scan it once.
          if (htmlChecked_ != &node) {
            htmlChecked_ = &node;
            htmlSafe_ =
                node.kind() != fhir::NodeKind::kXhtml || detail::htmlChecksHold(node.value());
          }
          holds = htmlSafe_;
          break;
        case NativeExpression::kTextDivExists:
          holds = textDivExists(node);
          break;
        case NativeExpression::kPeriodOrder:
          holds = detail::periodOrderHolds(node);
          if (!holds) {
            const Element* resource = node.containingResource();
            holds = evaluator->holds(c, planned.prepared.get(), node, resource ? *resource : node);
          }
          break;
        case NativeExpression::kNone:
          holds = detail::childTestsHold(c.expression, node);
          if (!holds && planned.logic) holds = detail::logicHolds(*planned.logic, node);
          if (!holds) {
            const Element* resource = node.containingResource();
            holds = evaluator->holds(c, planned.prepared.get(), node, resource ? *resource : node);
          }
          break;
      }
      if (holds && !*holds) {
        report(node, is(c.severity, "error") ? Severity::kError : Severity::kWarning, "invariant",
               c.key + ": " + c.human, &def);
      }
    }
  }

  // Slicing (https://hl7.org/fhir/R4/profiling.html#slicing).
  void sliced(const std::vector<const Element*>& items, const PlanNode& base, int depth,
              const PlanNode* host) {
    const Slicing& slicing = *base.def->slicing;
    std::vector<int> counts(base.slices.size(), 0);
    int lastSlice = -1;
    bool unmatchedSeen = false;
    for (const Element* item : items) {
      int matched = -1;
      for (std::size_t s = 0; s < base.slices.size(); ++s) {
        if (matchesSlice(*item, *base.slices[s], slicing, depth)) {
          matched = static_cast<int>(s);
          break;
        }
      }
      if (matched < 0) {
        if (is(slicing.rules, "closed")) {
          report(*item, Severity::kError, "structure",
                 "Element does not match any slice of '" + base.def->path + "' (closed slicing)",
                 &base);
        }
        unmatchedSeen = true;
        instance(*item, base, singleType(base), depth, host);
        continue;
      }
      if (is(slicing.rules, "openAtEnd") && unmatchedSeen) {
        report(*item, Severity::kError, "structure",
               "Slice '" + base.slices[static_cast<std::size_t>(matched)]->def->sliceName +
                   "' appears after unsliced content (openAtEnd)",
               &base);
      }
      if (slicing.ordered && matched < lastSlice) {
        report(*item, Severity::kError, "structure",
               "Slices of '" + base.def->path + "' are out of order", &base);
      }
      lastSlice = std::max(lastSlice, matched);
      ++counts[static_cast<std::size_t>(matched)];
      const PlanNode& slice = *base.slices[static_cast<std::size_t>(matched)];
      instance(*item, slice, singleType(slice), depth, host);
    }
    const Element* parent = items.empty() ? nullptr : items.front()->parent();
    if (!parent) return;
    for (std::size_t s = 0; s < base.slices.size(); ++s) {
      cardinality(*parent, *base.slices[s], counts[s], &base.name);
    }
  }

  static std::string singleType(const PlanNode& node) {
    return node.def->types.size() == 1 ? node.def->types[0].code : std::string();
  }

  // The definition reached from a slice by a discriminator path ("coding.code", "url", "$this").
  const ElementDefinition* definitionAt(const PlanNode& slice, std::string_view path,
                                        std::string& type) {
    const PlanNode* node = &slice;
    type = singleType(slice);
    std::string_view rest = path;
    std::shared_ptr<const ValidationPlan> keep;
    while (!rest.empty() && rest != "$this") {
      const auto dot = rest.find('.');
      std::string_view segment = rest.substr(0, dot);
      rest = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
      if (startsWith(segment, "extension(")) return nullptr;
      const PlanNode* scope =
          node->contentTarget && node->children.empty() ? node->contentTarget : node;
      const PlanNode* next = nullptr;
      for (const PlanNode* c : scope->children) {
        if (c->name == segment || (!c->choiceBase.empty() && c->choiceBase == segment)) next = c;
      }
      if (!next && scope->children.empty()) {
        // The slice does not constrain inside: look in the (profiled) type.
        for (const TypeRef& t : node->def->types) {
          if (!t.profiles.empty()) keep = validator_.plan(t.profiles.front());
        }
        const ValidationPlan* typePlan = keep ? keep.get() : validator_.typePlan(type);
        if (!typePlan) return nullptr;
        for (const PlanNode* c : typePlan->root()->children) {
          if (c->name == segment || (!c->choiceBase.empty() && c->choiceBase == segment)) next = c;
        }
      }
      if (!next) return nullptr;
      node = next;
      type = singleType(*node);
    }
    lastKeep_ = keep;
    return node->def;
  }

  static void valuesAt(const Element& item, std::string_view path,
                       std::vector<const Element*>& out) {
    if (path.empty() || is(path, "$this")) {
      out.push_back(&item);
      return;
    }
    const auto dot = path.find('.');
    const std::string_view segment = path.substr(0, dot);
    const std::string_view rest =
        dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
    for (const auto& c : item.children()) {
      if (c->name() == segment || c->baseName() == segment ||
          (startsWith(c->name(), segment) && c->name().size() > segment.size() &&
           c->name()[segment.size()] >= 'A' && c->name()[segment.size()] <= 'Z')) {
        valuesAt(*c, rest, out);
      }
    }
  }

  bool matchesSlice(const Element& item, const PlanNode& slice, const Slicing& slicing, int depth) {
    if (slicing.discriminators.empty()) return false;
    for (const Discriminator& d : slicing.discriminators) {
      std::vector<const Element*> values;
      valuesAt(item, d.path, values);
      std::string type;
      if (is(d.type, "value") || is(d.type, "pattern")) {
        if (is(d.path, "url") && item.name().find("xtension") != std::string::npos) {
          // Extension slices are identified by the profile of the slice's type.
          std::string url;
          for (const TypeRef& t : slice.def->types) {
            if (!t.profiles.empty()) url = t.profiles.front();
          }
          const ElementDefinition* at = definitionAt(slice, d.path, type);
          if (at && at->fixed && at->fixed.value->hasValue()) url = at->fixed.value->value();
          if (url.empty() || item.childValue("url") != url) return false;
          continue;
        }
        const ElementDefinition* at = definitionAt(slice, d.path, type);
        if (!at) return false;
        const TypedValue& expected = at->fixed ? at->fixed : at->pattern;
        if (!expected) {
          if (at->binding && is(at->binding->strength, "required")) {
            bool any = false;
            for (const Element* v : values) {
              if (v->hasValue() && validator_.terminology()
                                           .validateCode(at->binding->valueSet, "", v->value())
                                           .verdict == CodeVerdict::kValid)
                any = true;
              const std::string_view code = v->childValue("code");
              if (!code.empty() &&
                  validator_.terminology()
                          .validateCode(at->binding->valueSet, v->childValue("system"), code)
                          .verdict == CodeVerdict::kValid)
                any = true;
              for (const Element* coding : v->childrenNamed("coding")) {
                if (validator_.terminology()
                        .validateCode(at->binding->valueSet, coding->childValue("system"),
                                      coding->childValue("code"))
                        .verdict == CodeVerdict::kValid)
                  any = true;
              }
            }
            if (!any) return false;
            continue;
          }
          return false;
        }
        bool any = false;
        for (const Element* v : values) {
          if (matchesPattern(*v, *expected.value)) any = true;
        }
        if (!any) return false;
      } else if (is(d.type, "exists")) {
        const ElementDefinition* at = definitionAt(slice, d.path, type);
        if (!at) return false;
        const bool mustExist = at->min.value_or(0) > 0;
        const bool mustNot = at->max && *at->max == "0";
        if (mustExist && values.empty()) return false;
        if (mustNot && !values.empty()) return false;
      } else if (is(d.type, "type")) {
        const ElementDefinition* at = definitionAt(slice, d.path, type);
        if (!at || values.empty()) return false;
        bool any = false;
        for (const Element* v : values) {
          for (const TypeRef& t : at->types) {
            std::string suffix = t.code;
            if (!suffix.empty() && suffix[0] >= 'a' && suffix[0] <= 'z')
              suffix[0] = static_cast<char>(suffix[0] - 32);
            if (v->type() == t.code || (v->isResource() && v->type() == t.code) ||
                (v->name().size() > suffix.size() &&
                 v->name().substr(v->name().size() - suffix.size()) == suffix)) {
              any = true;
            }
          }
        }
        if (!any) return false;
      } else if (is(d.type, "profile")) {
        const ElementDefinition* at = definitionAt(slice, d.path, type);
        if (!at || values.empty()) return false;
        std::string url;
        for (const TypeRef& t : at->types) {
          if (!t.profiles.empty()) url = t.profiles.front();
          if (url.empty() && !t.targetProfiles.empty()) url = t.targetProfiles.front();
        }
        auto plan = validator_.plan(url);
        if (!plan) return false;
        bool any = false;
        for (const Element* v : values) {
          Run probe(validator_, options_);
          if (v->isResource()) {
            probe.withPlan(*v, *plan, depth + 1);
          } else {
            probe.element(*v, *plan->root(), plan->definition().type, depth + 1, nullptr);
          }
          if (!probe.outcome_.hasErrors()) any = true;
        }
        if (!any) return false;
      } else {
        return false;
      }
    }
    return true;
  }

  // Rules the spec states as invariants on Resource/DomainResource and Bundle, checked natively.
  void nativeResourceRules(const Element& node) {
    const auto contained = node.childrenNamed("contained");
    for (const Element* c : contained) {
      if (c->child("contained")) {
        report(*c, Severity::kError, "invariant",
               "dom-2: A contained resource SHALL NOT contain nested resources", nullptr);
      }
      if (const Element* meta = c->child("meta")) {
        if (meta->child("versionId") || meta->child("lastUpdated")) {
          report(*c, Severity::kError, "invariant",
                 "dom-4: A contained resource SHALL NOT have a meta.versionId or meta.lastUpdated",
                 nullptr);
        }
        if (meta->child("security")) {
          report(*c, Severity::kError, "invariant",
                 "dom-5: A contained resource SHALL NOT have a security label", nullptr);
        }
      }
      const std::string_view id = c->childValue("id");
      if (!id.empty() && !referencedFrom(node, "#" + std::string(id), c) &&
          !refersToContainer(*c)) {
        report(*c, Severity::kError, "invariant",
               "dom-3: Contained resource '" + std::string(id) +
                   "' is not referenced from the rest of the resource",
               nullptr);
      }
    }
    if (is(node.type(), "Bundle")) bundleRules(node);
  }

  static bool referencedFrom(const Element& node, const std::string& target, const Element* skip) {
    for (const auto& c : node.children()) {
      if (c.get() == skip) continue;
      if (c->hasValue() && c->value() == target) return true;
      if (referencedFrom(*c, target, skip)) return true;
    }
    return false;
  }

  static bool refersToContainer(const Element& node) {
    for (const auto& c : node.children()) {
      if (c->hasValue() && is(c->value(), "#")) return true;
      if (refersToContainer(*c)) return true;
    }
    return false;
  }

  // Bundle invariants bdl-1..12 (https://hl7.org/fhir/R4/bundle.html#invs).
  void bundleRules(const Element& bundle) {
    const std::string_view type = bundle.childValue("type");
    const bool transactionish = is(type, "transaction") || is(type, "batch") || is(type, "history");
    const bool responseish =
        is(type, "transaction-response") || is(type, "batch-response") || is(type, "history");
    if (bundle.child("total") && type != "searchset" && type != "history") {
      report(bundle, Severity::kError, "invariant", "bdl-1: total only when a search or history",
             nullptr);
    }
    const auto entries = bundle.childrenNamed("entry");
    std::set<std::string, std::less<>> fullUrls;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const Element& entry = *entries[i];
      if (entry.child("search") && type != "searchset") {
        report(entry, Severity::kError, "invariant", "bdl-2: entry.search only when a search",
               nullptr);
      }
      if (transactionish != (entry.child("request") != nullptr)) {
        report(entry, Severity::kError, "invariant",
               "bdl-3: entry.request mandatory for batch/transaction/history, otherwise prohibited",
               nullptr);
      }
      if (responseish != (entry.child("response") != nullptr)) {
        report(entry, Severity::kError, "invariant",
               "bdl-4: entry.response mandatory for batch-response/transaction-response/history, "
               "otherwise prohibited",
               nullptr);
      }
      const Element* resource = entry.child("resource");
      const std::string_view fullUrl = entry.childValue("fullUrl");
      if (!fullUrl.empty()) {
        if (fullUrl.find("/_history/") != std::string_view::npos) {
          report(entry, Severity::kError, "invariant",
                 "bdl-8: fullUrl cannot be a version specific reference", nullptr);
        }
        std::string key(fullUrl);
        if (resource) {
          if (const Element* meta = resource->child("meta"))
            key += "|" + std::string(meta->childValue("versionId"));
        }
        if (type != "history" && !fullUrls.insert(key).second) {
          report(entry, Severity::kError, "invariant",
                 "bdl-7: fullUrl '" + std::string(fullUrl) + "' must be unique in the Bundle",
                 nullptr);
        }
        if (resource && !startsWith(fullUrl, "urn:")) {
          auto [refType, refId] = restfulParts(fullUrl);
          const std::string_view id = resource->childValue("id");
          if (!refType.empty() && !id.empty() && (refType != resource->type() || refId != id)) {
            report(entry, Severity::kError, "invariant",
                   "fullUrl '" + std::string(fullUrl) + "' does not match the resource " +
                       resource->type() + "/" + std::string(id),
                   nullptr);
          }
        }
      }
      if (resource && i == 0 && is(type, "document") && resource->type() != "Composition") {
        report(entry, Severity::kError, "invariant",
               "bdl-11: A document must have a Composition as the first resource", nullptr);
      }
      if (resource && i == 0 && is(type, "message") && resource->type() != "MessageHeader") {
        report(entry, Severity::kError, "invariant",
               "bdl-12: A message must have a MessageHeader as the first resource", nullptr);
      }
    }
    if (is(type, "document")) {
      const Element* identifier = bundle.child("identifier");
      if (!identifier || !identifier->child("system") || !identifier->child("value")) {
        report(bundle, Severity::kError, "invariant",
               "bdl-9: A document must have an identifier with a system and a value", nullptr);
      }
      if (!bundle.child("timestamp")) {
        report(bundle, Severity::kError, "invariant", "bdl-10: A document must have a date",
               nullptr);
      }
      if (entries.empty()) {
        report(bundle, Severity::kError, "invariant",
               "bdl-11: A document must have a Composition as the first resource", nullptr);
      }
    }
  }

  const Validator& validator_;
  const ValidationOptions& options_;
  const std::string* profile_ = nullptr;
  Outcome outcome_;
  std::set<std::string> seen_;
  std::shared_ptr<const ValidationPlan> lastKeep_;
  const Element* htmlChecked_ = nullptr;  // the last node htmlChecks() ran on, and its verdict
  bool htmlSafe_ = true;
};

// Parses JSON or XML (told apart by the first character) into a typed tree, keeping the tree
// when the parser found errors: what it could not place comes back as its own issues.
fhir::Result<Element::Ptr> parseInput(std::string_view text) {
  auto registry = fhir::DefinitionRegistry::r4();
  if (!registry) {
    auto parsed = detail::parseJsonResource(text);
    return parsed;
  }
  if (fhir::detectFormat(text) == fhir::ResourceFormat::kXml) {
    fhir::XmlParseOptions options;
    options.keepTreeOnErrors = true;
    return fhir::parseXml(text, *registry, options);
  }
  fhir::JsonParseOptions options;
  options.keepTreeOnErrors = true;
  return fhir::parseJson(text, *registry, options);
}

}  // namespace

Validator::Validator(std::shared_ptr<const ConformanceStore> store,
                     std::shared_ptr<const ConstraintEvaluator> invariants)
    : store_(std::move(store)), invariants_(std::move(invariants)), terminology_(store_) {
  if (!invariants_) invariants_ = std::make_shared<FhirPathInvariants>(&terminology_);
}

std::shared_ptr<const ValidationPlan> Validator::plan(std::string_view url) const {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = plans_.find(url);
    if (it != plans_.end()) return it->second;
  }
  auto sd = store_->structureDefinition(url);
  std::shared_ptr<const ValidationPlan> compiled;
  if (sd && !sd->snapshot.empty()) {
    auto fresh = std::make_shared<ValidationPlan>(sd);
    fresh->resolveReferences([&](const std::string& target) -> std::optional<std::string> {
      if (auto targetSd = store_->structureDefinition(target)) return targetSd->type;
      return std::nullopt;
    });
    if (invariants_) {
      fresh->prepareConstraints(
          [&](const Constraint& constraint) { return invariants_->prepare(constraint); });
    }
    compiled = std::move(fresh);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  auto [it, inserted] = plans_.emplace(std::string(url), compiled);
  return it->second;
}

fhir::Outcome Validator::validateOperation(std::string_view body, std::string_view expectedType,
                                           const ValidationOptions& options) const {
  auto parsed = parseInput(body);
  if (!parsed.ok()) return parsed.outcome();
  fhir::Outcome outcome = parsed.outcome();
  const Element* resource = parsed->get();
  ValidationOptions effective = options;
  if (is(resource->type(), "Parameters") && expectedType != "Parameters") {
    resource = nullptr;
    for (const Element* parameter : (*parsed)->childrenNamed("parameter")) {
      const std::string_view name = parameter->childValue("name");
      if (is(name, "resource")) resource = parameter->child("resource");
      if (is(name, "profile")) {
        for (const auto& child : parameter->children()) {
          if (is(child->baseName(), "value") && child->hasValue()) {
            effective.profiles.push_back(child->value());
          }
        }
      }
    }
    if (!resource) {
      fhir::Outcome missing;
      missing.add(Severity::kFatal, "required",
                  "Parameters has no 'resource' parameter to validate", "Parameters");
      return missing;
    }
  }
  if (!expectedType.empty() && resource->type() != expectedType) {
    outcome.add(Severity::kError, "invalid",
                "The resource is a " + resource->type() + ", not a " + std::string(expectedType),
                resource->path());
  }
  Run run(*this, effective);
  run.resource(*resource, 0);
  outcome.append(run.finish());
  outcome.sortByLocation();
  return outcome;
}

bool Validator::completeSnapshot(const ValidationPlan& plan) const {
  const StructureDefinition& sd = plan.definition();
  if (sd.snapshot.empty()) return false;
  if (sd.differential.empty()) return true;
  return !store_->snapshotIssues(sd.url).hasErrors();
}

const ValidationPlan* Validator::typePlan(std::string_view type) const {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = typePlans_.find(type);
    if (it != typePlans_.end()) return it->second.get();
  }
  auto sd = store_->typeDefinition(type);
  std::shared_ptr<const ValidationPlan> compiled;
  if (sd && !sd->snapshot.empty()) compiled = plan(sd->url);
  std::lock_guard<std::mutex> lock(mutex_);
  auto [it, inserted] = typePlans_.emplace(std::string(type), compiled);
  return it->second.get();
}

fhir::Outcome Validator::validate(const fhir::Element& resource,
                                  const ValidationOptions& options) const {
  Run run(*this, options);
  run.resource(resource, 0);
  return run.finish();
}

fhir::Outcome Validator::validateJson(std::string_view text,
                                      const ValidationOptions& options) const {
  auto parsed = parseInput(text);
  if (!parsed.ok()) return parsed.outcome();
  fhir::Outcome outcome = parsed.outcome();
  outcome.append(validate(**parsed, options));
  outcome.sortByLocation();
  return outcome;
}

}  // namespace notebridge::validation

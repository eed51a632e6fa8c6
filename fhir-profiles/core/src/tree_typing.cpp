#include "notebridge/fhir/tree_typing.h"

#include <algorithm>

namespace notebridge::fhir {

namespace {

// Trees built by code are shallow; this only guards against cycles of mistakes.
constexpr int kMaxDepth = 256;

class TreeTyper {
 public:
  TreeTyper(const DefinitionRegistry& registry, Outcome& outcome)
      : registry_(registry), outcome_(outcome) {}

  void type(Element& node, const TypeInfo& info, int depth) {
    if (depth > kMaxDepth) {
      outcome_.add(Severity::kError, "too-costly", "tree nested too deeply", node.path());
      return;
    }
    // Take the children out (from the back: O(1) each), then put them back in order.
    std::vector<Element::Ptr> children;
    while (node.hasChildren()) children.push_back(node.removeChild(node.children().size() - 1));
    std::reverse(children.begin(), children.end());

    struct Item {
      Element::Ptr node;
      int order;
      const PropertyInfo* property;
    };
    std::vector<Item> items;
    items.reserve(children.size());
    for (Element::Ptr& child : children) {
      const PropertyMatch match = info.findByJsonName(child->name());
      if (!match) {
        outcome_.add(Severity::kError, "structure", "unknown property '" + child->name() + "'",
                     node.path() + "." + child->name());
        items.push_back(Item{std::move(child), 1 << 30, nullptr});
        continue;
      }
      child->setProperty(match.property);
      if (match.property->isChoice()) child->setChoiceBaseLength(match.property->name().size());
      if (child->type().empty() && !child->isResource()) child->setType(match.typeCode());
      items.push_back(Item{std::move(child), match.property->order(), match.property});
    }
    std::stable_sort(items.begin(), items.end(),
                     [](const Item& a, const Item& b) { return a.order < b.order; });
    for (std::size_t i = 0; i < items.size(); ++i) {
      const PropertyInfo* property = items[i].property;
      int index = -1;
      if (property && property->isArray()) {
        index = 0;
        for (std::size_t k = i; k > 0 && items[k - 1].property == property; --k) ++index;
      } else if (property && i > 0 && items[i - 1].property == property) {
        outcome_.add(Severity::kError, "structure",
                     "'" + items[i].node->name() + "' allows at most one value",
                     node.path() + "." + items[i].node->name());
      }
      Element& child = node.appendChild(std::move(items[i].node), index);
      if (property) typeChild(child, *property, depth);
    }
  }

 private:
  void typeChild(Element& child, const PropertyInfo& property, int depth) {
    switch (child.kind()) {
      case NodeKind::kXhtml:
        return;
      case NodeKind::kResource: {
        const TypeInfo* info =
            registry_.isResourceType(child.type()) ? registry_.findType(child.type()) : nullptr;
        if (!info) {
          outcome_.add(Severity::kError, "not-supported",
                       "unknown resource type '" + child.type() + "'", child.path());
          return;
        }
        type(child, *info, depth + 1);
        return;
      }
      case NodeKind::kPrimitive:
      case NodeKind::kComplex: {
        const TypeInfo* info = property.resolveType(child.type());
        if (!info) {
          outcome_.add(Severity::kError, "not-supported", "unknown type '" + child.type() + "'",
                       child.path());
          return;
        }
        type(child, *info, depth + 1);
        return;
      }
    }
  }

  const DefinitionRegistry& registry_;
  Outcome& outcome_;
};

}  // namespace

Outcome assignDefinitions(Element& root, const DefinitionRegistry& registry) {
  Outcome outcome;
  const TypeInfo* info = registry.findType(root.type());
  if (!info) {
    outcome.add(Severity::kError, "not-supported", "unknown type '" + root.type() + "'",
                root.path());
    return outcome;
  }
  TreeTyper(registry, outcome).type(root, *info, 0);
  return outcome;
}

}  // namespace notebridge::fhir

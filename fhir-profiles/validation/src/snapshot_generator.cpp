#include "notebridge/validation/snapshot_generator.h"

#include "notebridge/validation/conformance_store.h"

namespace notebridge::validation {
namespace {

using fhir::Outcome;
using fhir::Severity;

constexpr int kMaxEnsureDepth = 32;

bool startsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// True when `id` lies under `root` (a child "root.x" or a slice "root:s").
bool inSubtree(std::string_view id, std::string_view root) {
  return id.size() > root.size() && startsWith(id, root) &&
         (id[root.size()] == '.' || id[root.size()] == ':');
}

bool isPrimitiveCode(std::string_view code) {
  return !code.empty() && code[0] >= 'a' && code[0] <= 'z';
}

// The id with its last segment split off: "A.b:s.c" -> ("A.b:s", "c").
std::pair<std::string, std::string> splitLast(const std::string& id) {
  const auto dot = id.rfind('.');
  if (dot == std::string::npos) return {"", id};
  return {id.substr(0, dot), id.substr(dot + 1)};
}

class Generator {
 public:
  Generator(const StructureDefinition& profile, const StructureDefinition& base,
            const ConformanceStore& store)
      : profile_(profile), store_(store), elements_(base.snapshot) {
    // A constraint on a constraint keeps the base's ids; a profile of another type (rare:
    // a logical model) is out of scope.
    if (!elements_.empty() && base.type != profile.type && !profile.type.empty()) {
      outcome_.add(Severity::kWarning, "not-supported",
                   profile.url + " constrains " + profile.type + " on a base of type " + base.type);
    }
  }

  fhir::Result<std::vector<ElementDefinition>> run() {
    for (const ElementDefinition& diff : profile_.differential) {
      std::string id = diff.id.empty() ? diff.path : diff.id;
      const int index = ensure(id, diff, 0);
      if (index < 0) {
        outcome_.add(Severity::kError, "processing",
                     profile_.url + ": differential element " + id +
                         " matches nothing in the base and was skipped");
        continue;
      }
      merge(elements_[static_cast<std::size_t>(index)], diff);
    }
    return {std::move(elements_), std::move(outcome_)};
  }

 private:
  int find(const std::string& id) const {
    for (std::size_t i = 0; i < elements_.size(); ++i) {
      if (elements_[i].id == id) return static_cast<int>(i);
    }
    return -1;
  }

  // One past the last element of `index`'s subtree (children and slices).
  std::size_t subtreeEnd(std::size_t index) const {
    const std::string& root = elements_[index].id;
    std::size_t end = index + 1;
    while (end < elements_.size() && inSubtree(elements_[end].id, root)) ++end;
    return end;
  }

  // The index of the element with this id, creating it by expanding a datatype or copying a
  // sliced element when needed; -1 when it cannot exist.
  int ensure(const std::string& id, const ElementDefinition& diff, int depth) {
    if (depth > kMaxEnsureDepth) return -1;
    if (int found = find(id); found >= 0) return found;
    auto [parentId, segment] = splitLast(id);
    const auto colon = segment.find(':');
    if (colon != std::string::npos) {
      // A new slice: copy the sliced element and its children.
      const std::string slicedId =
          (parentId.empty() ? "" : parentId + ".") + segment.substr(0, colon);
      const int sliced = ensure(slicedId, diff, depth + 1);
      if (sliced < 0) return -1;
      return addSlice(static_cast<std::size_t>(sliced), id, segment.substr(colon + 1));
    }
    if (parentId.empty()) return -1;
    const int parent = ensure(parentId, diff, depth + 1);
    if (parent < 0) return -1;
    if (int found = find(id); found >= 0) return found;
    // "valueQuantity" names a type of "value[x]": constrain it as the type slice.
    const std::string choice = choiceSegment(parentId, segment);
    if (!choice.empty()) return ensure(parentId + "." + choice + ":" + segment, diff, depth + 1);
    if (!expand(static_cast<std::size_t>(parent))) return -1;
    return find(id);
  }

  // "value[x]" when `segment` is "valueQuantity" and the parent has a value[x] child.
  std::string choiceSegment(const std::string& parentId, const std::string& segment) const {
    for (const auto& e : elements_) {
      auto [p, s] = splitLast(e.id);
      if (p != parentId || s.size() < 4 || s.substr(s.size() - 3) != "[x]") continue;
      const std::string base = s.substr(0, s.size() - 3);
      if (segment.size() > base.size() && startsWith(segment, base) &&
          segment[base.size()] >= 'A' && segment[base.size()] <= 'Z') {
        return s;
      }
    }
    return {};
  }

  int addSlice(std::size_t sliced, const std::string& id, const std::string& sliceName) {
    const std::string& slicedId = elements_[sliced].id;
    std::vector<ElementDefinition> copies;
    for (std::size_t i = sliced; i < elements_.size(); ++i) {
      if (i != sliced && !startsWith(elements_[i].id, slicedId + ".")) {
        if (inSubtree(elements_[i].id, slicedId)) continue;  // other slices
        break;
      }
      ElementDefinition copy = elements_[i];
      copy.id = id + copy.id.substr(slicedId.size());
      if (i == sliced) {
        copy.sliceName = sliceName;
        copy.slicing.reset();
        // A slice is optional unless the profile says otherwise (profiling.html#slicing).
        copy.min = 0;
        restrictChoice(copy);
      }
      copies.push_back(std::move(copy));
    }
    const std::size_t at = subtreeEnd(sliced);
    elements_.insert(elements_.begin() + static_cast<std::ptrdiff_t>(at), copies.begin(),
                     copies.end());
    return static_cast<int>(at);
  }

  // Inserts the children of the element's datatype (or of its contentReference target) after it.
  bool expand(std::size_t index) {
    const ElementDefinition& parent = elements_[index];
    if (index + 1 < elements_.size() && startsWith(elements_[index + 1].id, parent.id + ".")) {
      return false;  // already expanded: the child simply does not exist
    }
    std::vector<ElementDefinition> children;
    if (!parent.contentReference.empty()) {
      const std::string target = parent.contentReference.substr(1);
      const int t = find(target);
      if (t < 0) return false;
      for (std::size_t i = static_cast<std::size_t>(t) + 1; i < elements_.size(); ++i) {
        if (!startsWith(elements_[i].id, target + ".")) break;
        ElementDefinition copy = elements_[i];
        copy.id = parent.id + copy.id.substr(target.size());
        copy.path = parent.path + copy.path.substr(target.size());
        children.push_back(std::move(copy));
      }
    } else {
      if (parent.types.size() != 1) return false;
      const TypeRef& type = parent.types[0];
      std::shared_ptr<const StructureDefinition> typeSd;
      if (!type.profiles.empty()) typeSd = store_.structureDefinition(type.profiles[0]);
      if (!typeSd) typeSd = store_.typeDefinition(type.code);
      if (!typeSd || typeSd->snapshot.empty()) return false;
      const std::string& rootId = typeSd->snapshot[0].id;
      const std::string& rootPath = typeSd->snapshot[0].path;
      for (std::size_t i = 1; i < typeSd->snapshot.size(); ++i) {
        ElementDefinition copy = typeSd->snapshot[i];
        copy.id = parent.id + copy.id.substr(rootId.size());
        copy.path = parent.path + copy.path.substr(rootPath.size());
        children.push_back(std::move(copy));
      }
    }
    if (children.empty()) return false;
    elements_.insert(elements_.begin() + static_cast<std::ptrdiff_t>(index) + 1, children.begin(),
                     children.end());
    return true;
  }

  // A type slice of a choice ("value[x]:valueQuantity") keeps only the type it names.
  static void restrictChoice(ElementDefinition& slice) {
    auto [parentPath, segment] = splitLast(slice.path);
    if (segment.size() < 4 || segment.substr(segment.size() - 3) != "[x]") return;
    const std::string base = segment.substr(0, segment.size() - 3);
    if (!startsWith(slice.sliceName, base)) return;
    std::string suffix = slice.sliceName.substr(base.size());
    for (const TypeRef& type : slice.types) {
      std::string code = type.code;
      if (!code.empty() && isPrimitiveCode(code)) code[0] = static_cast<char>(code[0] - 32);
      if (code == suffix) {
        const TypeRef keep = type;
        slice.types = {keep};
        return;
      }
    }
  }

  static void merge(ElementDefinition& target, const ElementDefinition& diff) {
    if (!diff.sliceName.empty()) target.sliceName = diff.sliceName;
    if (diff.min) target.min = diff.min;
    if (diff.max) target.max = diff.max;
    if (!diff.types.empty()) target.types = diff.types;
    if (diff.fixed) target.fixed = diff.fixed;
    if (diff.pattern) target.pattern = diff.pattern;
    if (diff.minValue) target.minValue = diff.minValue;
    if (diff.maxValue) target.maxValue = diff.maxValue;
    if (diff.maxLength) target.maxLength = diff.maxLength;
    if (diff.binding) target.binding = diff.binding;
    if (diff.slicing) target.slicing = diff.slicing;
    if (diff.mustSupport) target.mustSupport = true;
    if (!diff.contentReference.empty()) target.contentReference = diff.contentReference;
    for (const Constraint& constraint : diff.constraints) {
      bool present = false;
      for (const Constraint& existing : target.constraints) {
        present = present || existing.key == constraint.key;
      }
      if (!present) target.constraints.push_back(constraint);
    }
  }

  const StructureDefinition& profile_;
  const ConformanceStore& store_;
  std::vector<ElementDefinition> elements_;
  Outcome outcome_;
};

}  // namespace

fhir::Result<std::vector<ElementDefinition>> generateSnapshot(const StructureDefinition& profile,
                                                              const StructureDefinition& base,
                                                              const ConformanceStore& store) {
  return Generator(profile, base, store).run();
}

}  // namespace notebridge::validation

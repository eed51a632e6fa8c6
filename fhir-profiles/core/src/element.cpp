#include "notebridge/fhir/element.h"

#include <cstring>

#include "name_table.h"

namespace notebridge::fhir {

namespace {

#if defined(__SANITIZE_ADDRESS__)
// ASan must see every node's own allocation to find use-after-free.
constexpr bool kUseNodeCache = false;
#else
constexpr bool kUseNodeCache = true;
#endif

// Enough for a few large documents' worth of nodes per thread; more goes back to the heap.
constexpr std::size_t kMaxCachedNodes = 4096;

struct FreeNode {
  FreeNode* next;
};

// Freed nodes of this thread, reused by the next allocations: glibc's own per-thread cache holds
// only a handful of blocks per size, and trees free hundreds at once.
struct NodeCache {
  FreeNode* head = nullptr;
  std::size_t count = 0;
  ~NodeCache();
};

// Trivially destructible, so it stays readable while the thread's other objects are destroyed:
// nodes freed after the cache itself go straight back to the heap.
thread_local bool tCacheGone = false;
thread_local NodeCache tCache;

NodeCache::~NodeCache() {
  tCacheGone = true;
  while (head) {
    FreeNode* next = head->next;
    ::operator delete(static_cast<void*>(head));
    head = next;
  }
  count = 0;
}

}  // namespace

void* Element::operator new(std::size_t size) {
  if (kUseNodeCache && size == sizeof(Element) && !tCacheGone) {
    NodeCache& cache = tCache;
    if (FreeNode* node = cache.head) {
      cache.head = node->next;
      --cache.count;
      return node;
    }
  }
  return ::operator new(size);
}

void Element::operator delete(void* p, std::size_t size) noexcept {
  if (!p) return;
  if (kUseNodeCache && size == sizeof(Element) && !tCacheGone) {
    NodeCache& cache = tCache;
    if (cache.count < kMaxCachedNodes) {
      auto* node = static_cast<FreeNode*>(p);
      node->next = cache.head;
      cache.head = node;
      ++cache.count;
      return;
    }
  }
  ::operator delete(p);
}

Element::Element(NodeKind kind, std::string name, std::string type)
    : kind_(kind), name_(keep(name, kOwnsName)), type_(keep(type, kOwnsType)) {}

Element::Element(FromViews, NodeKind kind, std::string_view name, std::string_view type)
    : kind_(kind), name_(keep(name, kOwnsName)), type_(keep(type, kOwnsType)) {}

Element::~Element() {
  if (owned_ & kOwnsName) delete name_;
  if (owned_ & kOwnsType) delete type_;
}

const std::string* Element::keep(std::string_view text, std::uint8_t bit) {
  if (const std::string* interned = internName(text)) return interned;
  owned_ |= bit;
  return new std::string(text);
}

const std::string* Element::intern(std::string_view text) { return internName(text); }

void Element::setType(std::string_view type) {
  // The old text is freed only after the new one is kept: `type` may view it.
  const std::string* old = (owned_ & kOwnsType) ? type_ : nullptr;
  owned_ &= static_cast<std::uint8_t>(~kOwnsType);
  type_ = keep(type, kOwnsType);
  delete old;
}

Element::Ptr Element::makeNode(NodeKind kind, std::string_view name, std::string_view type) {
  return Ptr(new Element(FromViews{}, kind, name, type));
}

Element::Ptr Element::makeInterned(NodeKind kind, const std::string* name,
                                   const std::string* type) {
  return Ptr(new Element(Interned{}, kind, name, type));
}

Element::Ptr Element::makeResource(std::string resourceType) {
  std::string name = resourceType;
  return std::make_unique<Element>(NodeKind::kResource, std::move(name), std::move(resourceType));
}

Element::Ptr Element::makeResource(std::string name, std::string resourceType) {
  return std::make_unique<Element>(NodeKind::kResource, std::move(name), std::move(resourceType));
}

Element::Ptr Element::makeComplex(std::string name, std::string type) {
  return std::make_unique<Element>(NodeKind::kComplex, std::move(name), std::move(type));
}

Element::Ptr Element::makePrimitive(std::string name, std::string type, std::string value) {
  auto node = std::make_unique<Element>(NodeKind::kPrimitive, std::move(name), std::move(type));
  node->setValue(std::move(value));
  return node;
}

Element::Ptr Element::makePrimitiveWithoutValue(std::string name, std::string type) {
  return std::make_unique<Element>(NodeKind::kPrimitive, std::move(name), std::move(type));
}

Element::Ptr Element::makeXhtml(std::string markup) {
  auto node = std::make_unique<Element>(NodeKind::kXhtml, "div", "xhtml");
  node->setValue(std::move(markup));
  return node;
}

Element& Element::addChild(Ptr child, bool repeating) {
  int index = -1;
  if (repeating) {
    // Builders add repeats one after another: the previous sibling usually gives the index.
    if (!children_.empty() && children_.back()->index_ >= 0 &&
        *children_.back()->name_ == *child->name_) {
      index = children_.back()->index_ + 1;
    } else {
      index = 0;
      for (const auto& c : children_) {
        if (*c->name_ == *child->name_) ++index;
      }
    }
  }
  return appendChild(std::move(child), index);
}

Element& Element::appendChild(Ptr child, int index) {
  child->parent_ = this;
  child->index_ = index;
  // Most nodes have a few children, resources a dozen or more: one allocation instead of
  // growing 1, 2, 4, ...
  if (children_.capacity() == 0) children_.reserve(kind_ == NodeKind::kResource ? 16 : 4);
  children_.push_back(std::move(child));
  return *children_.back();
}

Element& Element::insertChild(std::size_t position, Ptr child, bool repeating) {
  if (position > children_.size()) position = children_.size();
  child->parent_ = this;
  child->index_ = repeating ? 0 : -1;
  Element& ref = *child;
  children_.insert(children_.begin() + static_cast<std::ptrdiff_t>(position), std::move(child));
  if (repeating) reindexFrom(position);
  return ref;
}

Element::Ptr Element::removeChild(std::size_t position) {
  if (position >= children_.size()) return nullptr;
  Ptr removed = std::move(children_[position]);
  children_.erase(children_.begin() + static_cast<std::ptrdiff_t>(position));
  removed->parent_ = nullptr;
  if (removed->index_ >= 0) reindexFrom(position);
  return removed;
}

// Recomputes the indexes of repeating children from `position` on, counting same-named
// siblings before them.
void Element::reindexFrom(std::size_t position) {
  for (std::size_t i = position; i < children_.size(); ++i) {
    Element& node = *children_[i];
    if (node.index_ < 0) continue;
    int index = 0;
    for (std::size_t j = 0; j < i; ++j) {
      if (*children_[j]->name_ == *node.name_) ++index;
    }
    node.index_ = index;
  }
}

namespace {

// Lookups by name run over every child: lengths first, then the bytes without memcmp.
bool sameName(const std::string& a, std::string_view b) {
  return a.size() == b.size() && sameBytes(a.data(), b.data(), b.size());
}

}  // namespace

const Element* Element::child(std::string_view name) const {
  for (const auto& c : children_) {
    if (sameName(*c->name_, name)) return c.get();
  }
  return nullptr;
}

Element* Element::child(std::string_view name) {
  for (auto& c : children_) {
    if (sameName(*c->name_, name)) return c.get();
  }
  return nullptr;
}

std::vector<const Element*> Element::childrenNamed(std::string_view name) const {
  // Counted first: one allocation of the right size (none when nothing matches) instead of
  // growing 1, 2, 4, ...
  std::size_t count = 0;
  std::size_t first = 0;
  for (std::size_t i = 0; i < children_.size(); ++i) {
    if (sameName(*children_[i]->name_, name) && count++ == 0) first = i;
  }
  std::vector<const Element*> out;
  if (count == 0) return out;
  out.reserve(count);
  for (std::size_t i = first; i < children_.size() && out.size() < count; ++i) {
    if (sameName(*children_[i]->name_, name)) out.push_back(children_[i].get());
  }
  return out;
}

std::vector<const Element*> Element::childrenByBaseName(std::string_view name) const {
  std::vector<const Element*> out;
  for (const auto& c : children_) {
    if (c->baseName() == name) out.push_back(c.get());
  }
  return out;
}

std::string_view Element::childValue(std::string_view name) const {
  const Element* c = child(name);
  return c ? std::string_view(c->value_) : std::string_view();
}

const Element* Element::containingResource() const {
  const Element* node = this;
  while (node && !node->isResource()) node = node->parent_;
  return node;
}

const Element* Element::root() const {
  const Element* node = this;
  while (node->parent_) node = node->parent_;
  return node;
}

std::string Element::path() const {
  std::vector<const Element*> chain;
  for (const Element* node = this; node; node = node->parent_) chain.push_back(node);
  std::string out;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    const Element* node = *it;
    if (!out.empty()) out += '.';
    out += *node->name_;
    if (node->index_ >= 0) {
      out += '[';
      out += std::to_string(node->index_);
      out += ']';
    }
  }
  return out;
}

Element::Ptr Element::clone() const {
  Ptr copy(new Element(Interned{}, kind_, name_, type_));
  if (owned_ & kOwnsName) copy->name_ = copy->keep(*name_, kOwnsName);
  if (owned_ & kOwnsType) copy->type_ = copy->keep(*type_, kOwnsType);
  copy->hasValue_ = hasValue_;
  copy->value_ = value_;
  copy->choiceBaseLength_ = choiceBaseLength_;
  copy->index_ = index_;
  copy->location_ = location_;
  copy->property_ = property_;
  copy->children_.reserve(children_.size());
  for (const auto& c : children_) {
    Ptr child = c->clone();
    child->parent_ = copy.get();
    copy->children_.push_back(std::move(child));
  }
  return copy;
}

}  // namespace notebridge::fhir

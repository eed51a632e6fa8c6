#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace notebridge::fhir {

class PropertyInfo;  // the compiled element definition behind a node: see definitions.h

// What a node holds.
enum class NodeKind : std::uint8_t {
  kResource,   // a resource: the root, a contained resource, Bundle.entry.resource, ...
  kComplex,    // a complex datatype or backbone element
  kPrimitive,  // a primitive: optional value text plus optional `id` and `extension` children
  kXhtml,      // the narrative div: value() holds the XHTML markup verbatim
};

// 1-based position of a node in the document it was parsed from; 0 when unknown or built.
struct SourceLocation {
  std::uint32_t line = 0;
  std::uint32_t column = 0;
};

// A node of the FHIR element model: a typed tree built from JSON, XML or by code.
//
// Every node has a name (its property name as JSON spells it: "valueQuantity", "given",
// "contained"; a root resource is named after its type), a FHIR type code ("Quantity", "string",
// "Patient", "BackboneElement"), and children in definition order. A repeating property appears
// as several consecutive children with the same name, each knowing its index. Primitive values
// are kept as their text ("1.50" stays "1.50"; booleans are "true"/"false").
//
// A tree owns its children; parent pointers are non-owning. Reading a tree from several threads
// is safe; mutating it is not.
class Element {
 public:
  using Ptr = std::unique_ptr<Element>;

  Element(NodeKind kind, std::string name, std::string type);
  Element(const Element&) = delete;
  Element& operator=(const Element&) = delete;
  ~Element();

  // Nodes come from a small per-thread cache of freed nodes before the general heap: parsing
  // and mapping build and drop hundreds of nodes per document. Freeing a node on another thread
  // than the one that made it is fine. Sanitizer builds use the plain heap.
  static void* operator new(std::size_t size);
  static void operator delete(void* p, std::size_t size) noexcept;

  static Ptr makeResource(std::string resourceType);
  static Ptr makeResource(std::string name, std::string resourceType);
  static Ptr makeComplex(std::string name, std::string type);
  static Ptr makePrimitive(std::string name, std::string type, std::string value);
  static Ptr makePrimitiveWithoutValue(std::string name, std::string type);
  static Ptr makeXhtml(std::string markup);
  // A node of any kind whose name and type are copied straight from views (no temporary
  // strings): for parsers and builders that hold names as views.
  static Ptr makeNode(NodeKind kind, std::string_view name, std::string_view type);

  // Names and type codes are kept once per process (a bounded, thread-safe table whose entries
  // are never freed), and nodes point at them: the same text for the process's lifetime,
  // whatever happens to the registry or tree that first used it. Returns null for text the
  // table does not take (over 128 bytes, or the table full); nodes then own a copy.
  static const std::string* intern(std::string_view text);
  // makeNode with a name and type already interned (both non-null results of intern()): no
  // lookup. For parsers and builders that intern their names once.
  static Ptr makeInterned(NodeKind kind, const std::string* name, const std::string* type);

  NodeKind kind() const { return kind_; }
  bool isResource() const { return kind_ == NodeKind::kResource; }
  bool isPrimitive() const { return kind_ == NodeKind::kPrimitive || kind_ == NodeKind::kXhtml; }

  // Property name as JSON spells it ("valueQuantity").
  const std::string& name() const { return *name_; }
  // The name without a choice type suffix ("value" for "valueQuantity"); name() otherwise.
  std::string_view baseName() const {
    return std::string_view(*name_).substr(0,
                                           choiceBaseLength_ ? choiceBaseLength_ : name_->size());
  }
  bool isChoice() const { return choiceBaseLength_ != 0; }
  // Marks this node as one type of a choice element whose base name is the first `length`
  // characters of name() ("value" in "valueQuantity").
  void setChoiceBaseLength(std::size_t length) { choiceBaseLength_ = length; }

  // FHIR type code: a resource type, a datatype, "BackboneElement", or "xhtml".
  const std::string& type() const { return *type_; }
  void setType(std::string_view type);

  // Position among siblings of the same repeating property; -1 when the property is single.
  int index() const { return index_; }

  bool hasValue() const { return hasValue_; }
  // The primitive value text; empty when hasValue() is false.
  const std::string& value() const { return value_; }
  void setValue(std::string value) {
    value_ = std::move(value);
    hasValue_ = true;
  }
  // setValue from a view, copied into the node's own storage.
  void assignValue(std::string_view value) {
    value_.assign(value);
    hasValue_ = true;
  }
  void clearValue() {
    value_.clear();
    hasValue_ = false;
  }

  Element* parent() const { return parent_; }
  const std::vector<Ptr>& children() const { return children_; }
  bool hasChildren() const { return !children_.empty(); }

  // Appends a child and returns it. With `repeating`, its index is the number of preceding
  // siblings of the same name; otherwise -1.
  Element& addChild(Ptr child, bool repeating = false);
  // Appends a child with a known index among its same-named siblings (-1: single property).
  // O(1): for builders (parsers) that append siblings in order.
  Element& appendChild(Ptr child, int index);
  // Inserts a child so that children stay grouped by name in the given order position.
  Element& insertChild(std::size_t position, Ptr child, bool repeating = false);
  // Removes and returns the child at `position`; indexes of later same-named siblings shift.
  Ptr removeChild(std::size_t position);
  // Room for `count` children without reallocation (a builder that knows how many come).
  void reserveChildren(std::size_t count) { children_.reserve(count); }

  // The first child with this JSON name, or null.
  const Element* child(std::string_view name) const;
  Element* child(std::string_view name);
  // Children whose JSON name is `name` (in order).
  std::vector<const Element*> childrenNamed(std::string_view name) const;
  // Children whose base name is `name`: reaches "valueQuantity" from "value".
  std::vector<const Element*> childrenByBaseName(std::string_view name) const;
  // The value text of the first child named `name`, or an empty view.
  std::string_view childValue(std::string_view name) const;

  const PropertyInfo* property() const { return property_; }
  void setProperty(const PropertyInfo* property) { property_ = property; }

  SourceLocation location() const { return location_; }
  void setLocation(SourceLocation location) { location_ = location; }

  // The nearest ancestor-or-self that is a resource (null for a detached datatype tree).
  const Element* containingResource() const;
  // The outermost ancestor-or-self.
  const Element* root() const;
  // Location as an issue expression: "DocumentReference.content[0].attachment.contentType".
  // A resource inside another starts a new segment with its name and index
  // ("Bundle.entry[1].resource.subject").
  std::string path() const;

  // A deep copy, detached (no parent), with property pointers and locations kept.
  Ptr clone() const;

 private:
  struct FromViews {};
  struct Interned {};
  Element(FromViews, NodeKind kind, std::string_view name, std::string_view type);
  Element(Interned, NodeKind kind, const std::string* name, const std::string* type)
      : kind_(kind), name_(name), type_(type) {}
  void reindexFrom(std::size_t position);
  // The interned text, or an owned copy (marked in owned_ with `bit`) when the table refuses it.
  const std::string* keep(std::string_view text, std::uint8_t bit);
  static constexpr std::uint8_t kOwnsName = 1;
  static constexpr std::uint8_t kOwnsType = 2;

  NodeKind kind_;
  bool hasValue_ = false;
  // Declared before name_ and type_: keep() sets it while they are initialized.
  std::uint8_t owned_ = 0;
  std::uint16_t choiceBaseLength_ = 0;
  int index_ = -1;
  SourceLocation location_;
  // Interned (Element::intern) unless the matching owned_ bit says this node owns it.
  const std::string* name_;
  const std::string* type_;
  std::string value_;
  Element* parent_ = nullptr;
  const PropertyInfo* property_ = nullptr;
  std::vector<Ptr> children_;
};

}  // namespace notebridge::fhir

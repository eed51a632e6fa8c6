#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "notebridge/fhir/element.h"
#include "notebridge/fhir/outcome.h"

namespace notebridge::fhir {

class DefinitionRegistry;
class TypeInfo;

// The unpacked R4 core definitions the build fetched (dist/fhir/r4 of the pinned package).
std::filesystem::path defaultR4DefinitionsDir();
// Our own definitions folder (fhir-profiles/definitions in the source tree).
std::filesystem::path defaultOwnDefinitionsDir();

// What a StructureDefinition defines (StructureDefinition.kind).
enum class TypeKind : std::uint8_t { kPrimitive, kComplex, kResource, kLogical };

// How a primitive type is written in JSON (https://hl7.org/fhir/R4/json.html#primitive).
enum class JsonValueKind : std::uint8_t { kString, kNumber, kInteger, kBoolean };

// One allowed type of an element (ElementDefinition.type).
struct TypeRef {
  std::string code;  // "Quantity", "string", "Reference", "Resource", "BackboneElement"
  std::vector<std::string> profiles;
  std::vector<std::string> targetProfiles;
};

// ElementDefinition.constraint.
struct Constraint {
  std::string key;
  std::string severity;  // "error" | "warning"
  std::string human;
  std::string expression;
};

// ElementDefinition.binding.
struct Binding {
  std::string strength;  // "required", "extensible", "preferred", "example"; empty: none
  std::string valueSet;
};

// A compiled element definition: one property of a type ("Observation.value[x]").
// Immutable and owned by its TypeInfo, which the registry keeps alive; safe to share across
// threads.
class PropertyInfo {
 public:
  // The name without "[x]" ("value").
  const std::string& name() const { return name_; }
  // ElementDefinition.path ("Observation.value[x]").
  const std::string& path() const { return path_; }
  // ElementDefinition.id (differs from path for slices in profiles).
  const std::string& elementId() const { return elementId_; }
  int min() const { return min_; }
  // -1 for "*".
  int max() const { return max_; }
  bool isArray() const { return max_ != 0 && max_ != 1; }
  bool isChoice() const { return isChoice_; }
  bool isRequired() const { return min_ > 0; }
  bool isModifier() const { return isModifier_; }
  bool isSummary() const { return isSummary_; }
  // XML: written as an attribute (Element.id, Extension.url, primitive values).
  bool isXmlAttribute() const { return xmlAttribute_; }
  // Position in the definition order of the owning type (0-based).
  int order() const { return order_; }
  // Allowed types in definition order; one element unless isChoice().
  const std::vector<TypeRef>& types() const { return types_; }
  // The first (for non-choice: the only) type code.
  const std::string& typeCode() const { return types_.front().code; }
  // For BackboneElement/Element children, and for contentReference: the anonymous type that
  // holds the nested properties; null for named types (look those up with resolveType()).
  const TypeInfo* nestedType() const { return nested_; }
  // The TypeInfo for one of this property's type codes: the nested type for backbones,
  // the registry type otherwise; null when unknown.
  const TypeInfo* resolveType(std::string_view code) const;
  // resolveType for types()[index] (PropertyMatch::typeIndex), without comparing codes; null
  // when out of range or unknown.
  const TypeInfo* resolveTypeAt(std::size_t index) const;
  // For contentReference ("#Questionnaire.item"): the referenced path; empty otherwise.
  const std::string& contentReference() const { return contentReference_; }

  // For the validator: the definition this property came from.
  const TypeInfo& owner() const { return *owner_; }
  // Index of the ElementDefinition in StructureDefinition.snapshot.element of the owner's root
  // type (see TypeInfo::url()).
  int elementIndex() const { return elementIndex_; }
  const Binding& binding() const { return binding_; }
  const std::vector<Constraint>& constraints() const { return constraints_; }
  const std::string& shortDescription() const { return short_; }
  // The full ElementDefinition (snapshot.element[elementIndex()] of the owner's
  // StructureDefinition) as an Element tree, for fixed[x], pattern[x] and the rest; parsed on
  // first use and owned by the registry. Null when unavailable.
  const Element* elementDefinition() const;

 private:
  friend class TypeCompiler;
  std::string name_;
  std::string path_;
  std::string elementId_;
  int min_ = 0;
  int max_ = 1;
  int order_ = 0;
  int elementIndex_ = -1;
  bool isChoice_ = false;
  bool isModifier_ = false;
  bool isSummary_ = false;
  bool xmlAttribute_ = false;
  std::vector<TypeRef> types_;
  // resolveType's answers per entry of types_, filled on first use (the registry keeps the
  // types alive as long as this property).
  std::unique_ptr<std::atomic<const TypeInfo*>[]> resolved_;
  const TypeInfo* nested_ = nullptr;
  const TypeInfo* owner_ = nullptr;
  std::string contentReference_;
  Binding binding_;
  std::vector<Constraint> constraints_;
  std::string short_;
};

// A property reached through a JSON/XML name: "valueQuantity" is `value[x]` with type Quantity.
struct PropertyMatch {
  const PropertyInfo* property = nullptr;
  // Index into property->types() of the type the name selects (0 for non-choice).
  int typeIndex = 0;
  // Copies of what parsers ask for every value, filled by TypeInfo::findByJsonName (so a
  // parse does not reach into each PropertyInfo): the selected type code (null when not
  // filled: typeCode() then asks the property), order(), isArray(), isChoice() and the
  // length of name().
  const std::string* code = nullptr;
  int order = 0;
  bool isArray = false;
  bool isChoice = false;
  std::uint16_t baseNameLength = 0;
  // The JSON name as Element::intern() keeps it, set by findByJsonName when both it and the
  // type code could be interned (`code` then points at the interned code as well): parsers build
  // nodes from these two without a lookup (Element::makeInterned). Null otherwise.
  const std::string* jsonName = nullptr;
  explicit operator bool() const { return property != nullptr; }
  const std::string& typeCode() const { return code ? *code : property->types()[typeIndex].code; }
};

// A compiled type: a datatype, primitive, resource, logical model, or an anonymous backbone
// element ("Observation.component"). Immutable once built; owned by the registry (backbones by
// their root type); safe to share across threads.
class TypeInfo {
 public:
  // "Observation", "Quantity", "string"; for backbones the element path
  // ("Observation.component").
  const std::string& name() const { return name_; }
  // Canonical URL of the defining StructureDefinition (of the root type for backbones).
  const std::string& url() const { return url_; }
  TypeKind kind() const { return kind_; }
  bool isAbstract() const { return abstract_; }
  bool isPrimitive() const { return kind_ == TypeKind::kPrimitive; }
  bool isResource() const { return kind_ == TypeKind::kResource; }
  // True for anonymous BackboneElement/Element types.
  bool isBackbone() const { return backbone_; }
  // The base type name ("DomainResource" for Patient, "Quantity" for Age); empty for roots.
  // For backbones: "BackboneElement" or "Element".
  const std::string& baseType() const { return baseType_; }
  // For primitives: how JSON writes the value.
  JsonValueKind jsonKind() const { return jsonKind_; }
  // For primitives: the value regex from the definition (may be empty).
  const std::string& valueRegex() const { return regex_; }

  // Properties in definition order (for primitives: id and extension).
  const std::vector<std::unique_ptr<PropertyInfo>>& properties() const { return properties_; }
  // By base name ("value", "component").
  const PropertyInfo* property(std::string_view name) const;
  // By the name JSON and XML use ("valueQuantity", "status"); empty match when unknown.
  PropertyMatch findByJsonName(std::string_view jsonName) const;

  const DefinitionRegistry& registry() const { return *registry_; }

 private:
  friend class TypeCompiler;
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::string name_;
  std::string url_;
  std::string baseType_;
  std::string regex_;
  TypeKind kind_ = TypeKind::kComplex;
  JsonValueKind jsonKind_ = JsonValueKind::kString;
  bool abstract_ = false;
  bool backbone_ = false;
  std::vector<std::unique_ptr<PropertyInfo>> properties_;
  std::unordered_map<std::string, PropertyMatch, Hash, std::equal_to<>> byJsonName_;
  // byJsonName_ again as an open-addressing table with a cheap hash (parsers look up every
  // key of every object): built by the compiler once byJsonName_ is complete.
  struct JsonNameSlot {
    // The key's first and last eight bytes (fewer for short keys): keys of up to 16 bytes
    // compare by these words and the length alone.
    std::uint64_t head = 0;
    std::uint64_t tail = 0;
    const char* name = nullptr;  // a key of byJsonName_; null: empty slot
    std::size_t length = 0;
    PropertyMatch match;
  };
  std::vector<JsonNameSlot> jsonNameTable_;
  void buildJsonNameTable();
  std::unordered_map<std::string, const PropertyInfo*, Hash, std::equal_to<>> byName_;
  std::vector<std::unique_ptr<TypeInfo>> backbones_;
  const DefinitionRegistry* registry_ = nullptr;
};

// Where the registry loads definitions from. Mirrors the config keys and `--package DIR`.
struct RegistryOptions {
  // The unpacked R4 core definitions; empty: do not load R4 core (tests of own definitions).
  std::filesystem::path r4Dir = defaultR4DefinitionsDir();
  // Our own definitions (*.json: single resources or Bundles); empty or missing: skipped.
  std::filesystem::path ownDir = defaultOwnDefinitionsDir();
  // FHIR packages in the standard layout (<dir>/package/*.json with package.json), or a folder
  // that directly holds package.json; in order.
  std::vector<std::filesystem::path> packageDirs;
};

// Summary of one indexed conformance resource.
struct ResourceSummary {
  std::string resourceType;  // "StructureDefinition", "ValueSet", "CodeSystem", ...
  std::string id;
  std::string url;
  std::string version;
  std::string name;
  // StructureDefinition only: type, kind, derivation, baseDefinition.
  std::string type;
  std::string kind;
  std::string derivation;
  std::string baseDefinition;
  std::string source;  // the file it came from
};

// All definitions the gateway knows: R4 core, our own, and the loaded packages.
//
// Built once by load() and immutable afterwards (share it as shared_ptr<const>); lookups are
// thread-safe. Types and resource trees are compiled on first use (behind a lock) and cached
// for the registry's lifetime, so pointers returned stay valid as long as the registry lives.
// Definition files are indexed by byte range at load and re-read on demand, which keeps
// resident memory small.
class DefinitionRegistry {
 public:
  ~DefinitionRegistry();
  DefinitionRegistry(const DefinitionRegistry&) = delete;
  DefinitionRegistry& operator=(const DefinitionRegistry&) = delete;

  // Indexes every source. Fatal issues for unreadable or malformed files; duplicates and
  // skipped files ride along as warnings.
  static Result<std::shared_ptr<const DefinitionRegistry>> load(const RegistryOptions& options);
  // The R4 core registry with default options, loaded once per process (thread-safe); null
  // when loading failed (call load() to see why). Convenient for tests and the CLI.
  static std::shared_ptr<const DefinitionRegistry> r4();

  // A type by name ("Observation", "Quantity", "string", "BackboneElement"); null when unknown.
  // Only base definitions (not profiles) are types.
  const TypeInfo* findType(std::string_view name) const;
  // True when `derived` is `base` or derives from it ("Age" -> "Quantity",
  // "Patient" -> "DomainResource" -> "Resource").
  bool isSubtypeOf(std::string_view derived, std::string_view base) const;
  // Names of all resource types (concrete and abstract), sorted.
  const std::vector<std::string>& resourceTypes() const { return resourceTypes_; }
  bool isResourceType(std::string_view name) const;

  // Summary of a conformance resource by canonical URL, or "url|version". Without a version
  // the highest version wins. Null when unknown.
  const ResourceSummary* findSummary(std::string_view canonical) const;
  // The resource itself as a typed Element tree (parsed on first use, then cached); null when
  // unknown or unparseable.
  std::shared_ptr<const Element> findResource(std::string_view canonical) const;
  // The raw JSON text of a resource (re-read from its file); empty when unknown.
  std::string resourceJson(std::string_view canonical) const;
  // All resources of a type ("ValueSet"), in load order.
  std::vector<const ResourceSummary*> listResources(std::string_view resourceType) const;
  // Number of indexed conformance resources.
  std::size_t size() const;

  // Implementation; public only so the private .cpp helpers can reach it.
  struct Impl;

 private:
  DefinitionRegistry();
  std::unique_ptr<Impl> impl_;
  std::vector<std::string> resourceTypes_;
  friend class TypeCompiler;
};

}  // namespace notebridge::fhir

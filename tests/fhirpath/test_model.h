#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "notebridge/fhir/element.h"
#include "notebridge/fhirpath/evaluation_context.h"

namespace notebridge::testing {

// A stand-in for the core library's definitions and codecs while they are being written: reads
// the R4 StructureDefinitions (profiles-types.json, profiles-resources.json) and builds typed
// Element trees from FHIR XML or JSON, with choice and repetition marked. Test and bench use only;
// not hardened against hostile input. Read-only after load(): safe to share between threads.
class TestModel final : public fhirpath::TypeModel {
 public:
  // Loads the definitions from the unpacked R4 package folder; null (with `error`) on failure.
  static std::unique_ptr<TestModel> load(const std::filesystem::path& r4Dir, std::string& error);

  bool isSubtypeOf(std::string_view type, std::string_view base) const override;
  bool isKnownType(std::string_view type) const override;
  std::optional<bool> hasProperty(const fhir::Element& node, std::string_view name) const override;
  // The definition path describing a node's properties ("Questionnaire.item", "HumanName").
  std::string typePathOf(const fhir::Element& node) const;

  // Parses a resource; null with `error` set when the text is not a FHIR resource.
  fhir::Element::Ptr parseXml(const std::string& text, std::string& error) const;
  fhir::Element::Ptr parseJson(const std::string& text, std::string& error) const;
  // By file extension (.xml or .json).
  fhir::Element::Ptr parseFile(const std::filesystem::path& path, std::string& error) const;

  // Every constraint.expression of the core resource and datatype definitions, with the path of
  // the element it sits on and its key.
  struct Invariant {
    std::string type;  // the resource or datatype the definition is for
    std::string path;
    std::string key;
    std::string expression;
  };
  const std::vector<Invariant>& invariants() const { return invariants_; }

  struct Property {
    std::vector<std::string> types;
    std::string contentReference;  // "Questionnaire.item" for a recursive element
    bool repeating = false;
  };
  // The property `name` (as JSON spells it) of the element at `typePath`; sets the chosen type
  // and the choice base length (0 when not a choice). Null when unknown.
  const Property* findProperty(const std::string& typePath, std::string_view name,
                               std::string& type, std::size_t& choiceBase) const;

 private:
  std::unordered_map<std::string, Property> elements_;
  std::unordered_map<std::string, std::string> base_;
  std::vector<Invariant> invariants_;
};

}  // namespace notebridge::testing

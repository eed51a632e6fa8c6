#include <array>
#include <string_view>

#include "notebridge/fhirpath/evaluation_context.h"

namespace notebridge::fhirpath {

namespace {

struct Parent {
  std::string_view type;
  std::string_view parent;
};

// R4 datatype ancestry (https://hl7.org/fhir/R4/datatypes.html); anything else that starts with an
// upper-case letter is taken to be a resource.
constexpr std::array kParents = {
    Parent{"code", "string"},           Parent{"id", "string"},
    Parent{"markdown", "string"},       Parent{"url", "uri"},
    Parent{"canonical", "uri"},         Parent{"oid", "uri"},
    Parent{"uuid", "uri"},              Parent{"positiveInt", "integer"},
    Parent{"unsignedInt", "integer"},   Parent{"Age", "Quantity"},
    Parent{"Count", "Quantity"},        Parent{"Distance", "Quantity"},
    Parent{"Duration", "Quantity"},     Parent{"MoneyQuantity", "Quantity"},
    Parent{"SimpleQuantity", "Quantity"}, Parent{"BackboneElement", "Element"},
    Parent{"Bundle", "Resource"},       Parent{"Binary", "Resource"},
    Parent{"Parameters", "Resource"},   Parent{"DomainResource", "Resource"},
};

constexpr std::array<std::string_view, 49> kDatatypes = {
    "Address", "Age", "Annotation", "Attachment", "BackboneElement", "CodeableConcept", "Coding",
    "ContactDetail", "ContactPoint", "Contributor", "Count", "DataRequirement", "Distance",
    "Dosage", "Duration", "Element", "ElementDefinition", "Expression", "Extension", "HumanName",
    "Identifier", "MarketingStatus", "Meta", "Money", "MoneyQuantity", "Narrative",
    "ParameterDefinition", "Period", "Population", "ProdCharacteristic", "ProductShelfLife",
    "Quantity", "Range", "Ratio", "Reference", "RelatedArtifact", "SampledData", "Signature",
    "SimpleQuantity", "SubstanceAmount", "Timing", "TriggerDefinition", "UsageContext",
    "Resource", "DomainResource", "xhtml", "Base", "PrimitiveType", "DataType",
};

bool isDatatype(std::string_view type) {
  for (auto t : kDatatypes) {
    if (t == type) return true;
  }
  return false;
}

std::string_view parentOf(std::string_view type) {
  for (const auto& p : kParents) {
    if (p.type == type) return p.parent;
  }
  if (type.empty() || type == "Base") return {};
  if (type == "Element" || type == "Resource") return "Base";
  if (type[0] >= 'a' && type[0] <= 'z') return "Element";  // primitives
  if (isDatatype(type)) return "Element";
  return "DomainResource";
}

class BuiltinTypeModel final : public TypeModel {
 public:
  bool isSubtypeOf(std::string_view type, std::string_view base) const override {
    for (int guard = 0; guard < 8 && !type.empty(); ++guard) {
      if (type == base) return true;
      type = parentOf(type);
    }
    return false;
  }
  bool isKnownType(std::string_view type) const override { return !type.empty(); }
};

}  // namespace

const TypeModel& builtinTypeModel() {
  static const BuiltinTypeModel kModel;
  return kModel;
}

}  // namespace notebridge::fhirpath

// Mutation tests over the official R4 examples: each example is parsed, one rule is broken in
// the tree, and the validator must report an error at the broken element's path.
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <functional>
#include <map>

#include "fixture.h"
#include "notebridge/fhir/definitions.h"
#include "notebridge/fhir/json_format.h"

using namespace notebridge;
using namespace notebridge::validation;
using notebridge::testing::needsShared;
using notebridge::testing::readFile;
using notebridge::testing::sharedDir;

namespace {

// The examples listed as really invalid in r4_examples_test.cpp are skipped here too.
bool knownInvalid(const std::string& name) {
  return name.find("questionnaire.json") != std::string::npos ||
         name == "observation-example-clinical-gender.json";
}

std::vector<std::filesystem::path> exampleFiles() {
  std::vector<std::filesystem::path> files;
  for (const auto& e :
       std::filesystem::directory_iterator(sharedDir() / "fhir-tests" / "r4-examples" / "json")) {
    if (!knownInvalid(e.path().filename().string())) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

fhir::Element::Ptr parse(const std::filesystem::path& file) {
  auto parsed = fhir::parseJson(readFile(file), *fhir::DefinitionRegistry::r4());
  BOOST_REQUIRE_MESSAGE(parsed.ok(), "cannot parse " << file);
  return std::move(*parsed);
}

bool hasErrorAt(const fhir::Outcome& outcome, const std::string& path) {
  for (const auto& issue : outcome.issues()) {
    if (issue.severity >= fhir::Severity::kError && issue.expression == path) return true;
  }
  return false;
}

// Depth-first search for a node, skipping nested resources (they have their own examples).
fhir::Element* findNode(fhir::Element& node,
                        const std::function<bool(const fhir::Element&)>& test) {
  for (const auto& child : node.children()) {
    if (child->isResource()) continue;
    if (test(*child)) return child.get();
    if (fhir::Element* found = findNode(*child, test)) return found;
  }
  return nullptr;
}

// Runs `mutate` on every example; it returns the path where an error is expected, or empty when
// the example offers nothing to mutate. Requires at least `minimum` mutated examples.
void runMutation(const std::string& kind, std::size_t minimum,
                 const std::function<std::string(fhir::Element&)>& mutate) {
  std::size_t mutated = 0;
  for (const auto& file : exampleFiles()) {
    auto tree = parse(file);
    const std::string path = mutate(*tree);
    if (path.empty()) continue;
    ++mutated;
    const auto outcome = validation::testing::r4Validator().validate(*tree);
    BOOST_TEST(hasErrorAt(outcome, path), kind << " in " << file.filename().string()
                                               << ": no error at " << path << "; got:\n"
                                               << validation::testing::errorsOf(outcome));
  }
  BOOST_TEST_MESSAGE(kind << ": " << mutated << " examples mutated");
  BOOST_TEST(mutated >= minimum, kind << ": only " << mutated << " examples could be mutated");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(mutations)

BOOST_AUTO_TEST_CASE(dropping_a_required_element_is_an_error, *needsShared()) {
  runMutation("drop required", 80, [](fhir::Element& root) -> std::string {
    const auto& children = root.children();
    for (std::size_t i = 0; i < children.size(); ++i) {
      const auto* property = children[i]->property();
      if (!property || property->min() < 1 || property->isChoice()) continue;
      const std::string path = root.path() + "." + children[i]->name();
      std::size_t end = i;
      while (end < children.size() && children[end]->name() == children[i]->name()) ++end;
      for (std::size_t k = end; k > i; --k) root.removeChild(k - 1);
      return path;
    }
    return {};
  });
}

BOOST_AUTO_TEST_CASE(breaking_a_primitive_is_an_error, *needsShared()) {
  runMutation("break primitive", 100, [](fhir::Element& root) -> std::string {
    fhir::Element* target = findNode(root, [](const fhir::Element& node) {
      const std::string& type = node.type();
      return node.kind() == fhir::NodeKind::kPrimitive && node.hasValue() && type != "string" &&
             type != "markdown";
    });
    if (!target) return {};
    target->setValue(" not a valid value ");
    return target->path();
  });
}

BOOST_AUTO_TEST_CASE(an_unknown_element_is_an_error, *needsShared()) {
  runMutation("unknown element", 100, [](fhir::Element& root) -> std::string {
    root.addChild(fhir::Element::makePrimitive("notAnElement", "string", "x"));
    return root.path() + ".notAnElement";
  });
}

BOOST_AUTO_TEST_CASE(exceeding_a_maximum_cardinality_is_an_error, *needsShared()) {
  runMutation("exceed max", 80, [](fhir::Element& root) -> std::string {
    const auto& children = root.children();
    for (std::size_t i = 0; i < children.size(); ++i) {
      const auto* property = children[i]->property();
      if (!property || property->max() != 1 || property->isChoice() || children[i]->isResource()) {
        continue;
      }
      const std::string path = root.path() + "." + children[i]->name();
      root.insertChild(i + 1, children[i]->clone());
      return path;
    }
    return {};
  });
}

BOOST_AUTO_TEST_CASE(a_wrong_code_in_a_required_binding_is_an_error, *needsShared()) {
  runMutation("wrong required code", 80, [](fhir::Element& root) -> std::string {
    fhir::Element* target = findNode(root, [](const fhir::Element& node) {
      const auto* property = node.property();
      return property && node.type() == "code" && node.hasValue() &&
             property->binding().strength == "required" && !property->binding().valueSet.empty() &&
             property->binding().valueSet.find("mimetypes") == std::string::npos &&
             property->binding().valueSet.find("languages") == std::string::npos &&
             property->binding().valueSet.find("currencies") == std::string::npos;
    });
    if (!target) return {};
    target->setValue("not-a-real-code");
    return target->path();
  });
}

BOOST_AUTO_TEST_CASE(an_empty_element_breaks_ele_1, *needsShared()) {
  runMutation("ele-1", 100, [](fhir::Element& root) -> std::string {
    if (root.child("meta")) return {};
    root.insertChild(0, fhir::Element::makeComplex("meta", "Meta"));
    return root.path() + ".meta";
  });
}

BOOST_AUTO_TEST_CASE(a_fhirpath_invariant_is_evaluated, *needsShared()) {
  // obs-6: dataAbsentReason SHALL only be present if Observation.value[x] is not present.
  runMutation("obs-6", 3, [](fhir::Element& root) -> std::string {
    if (root.type() != "Observation" || root.childrenByBaseName("value").empty()) return {};
    auto reason = fhir::Element::makeComplex("dataAbsentReason", "CodeableConcept");
    reason->addChild(fhir::Element::makePrimitive("text", "string", "unknown"));
    root.addChild(std::move(reason));
    return "Observation";
  });
}

BOOST_AUTO_TEST_SUITE_END()

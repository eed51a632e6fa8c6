// FHIRPath benchmark: compile time of every R4 core invariant, and evaluations per second of
// (1) every invariant of each example's StructureDefinition snapshot over the R4 examples in
// ../shared, at each element its path reaches, and (2) a set of note-specific expressions.
// Prints one "key value" line per figure. With --workload FILE it also writes the workload as
// JSON for bench/fhirpath_js_bench.js, so fhirpath.js runs exactly the same items
// (bench/run_fhirpath_bench.sh does both and prints the ratio).
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "notebridge/fhir/json_format.h"
#include "notebridge/fhirpath/expression.h"
#include "notebridge/fhirpath/registry_type_model.h"

namespace fhir = notebridge::fhir;
namespace fp = notebridge::fhirpath;
using Clock = std::chrono::steady_clock;

namespace {

// Expressions a behavioral-health note pipeline runs: note shape, codes, dates, privacy labels.
const std::vector<std::pair<std::string, std::string>> kNoteExpressions = {
    {"DocumentReference", "DocumentReference.status = 'current'"},
    {"DocumentReference",
     "DocumentReference.type.coding.where(system = 'http://loinc.org').code.exists()"},
    {"DocumentReference",
     "content.attachment.where(contentType.startsWith('text/') or "
     "contentType = 'application/pdf').exists()"},
    {"DocumentReference", "content.attachment.all(data.exists() or url.exists())"},
    {"DocumentReference", "context.period.start.exists() implies context.period.start <= now()"},
    {"DocumentReference",
     "securityLabel.coding.where(code in ('R' | 'V' | '42CFRPart2')).exists()"},
    {"DocumentReference", "subject.reference.matches('^(Patient/|urn:uuid:)')"},
    {"DocumentReference", "author.count() >= 1 and date.exists()"},
    {"DocumentReference", "relatesTo.where(code = 'replaces').target.reference.exists().not()"},
    {"DocumentReference", "description.length() < 1000 and description.contains('<script').not()"},
    {"Observation", "Observation.status in ('final' | 'amended' | 'corrected')"},
    {"Observation",
     "code.coding.where(system = 'http://loinc.org' and code = '44261-6').exists() "
     "implies value.ofType(Quantity).value <= 27"},
    {"Observation",
     "value.ofType(Quantity).where(value > 0).exists() or dataAbsentReason.exists() "
     "or component.exists() or hasMember.exists()"},
    {"Observation",
     "effective.ofType(dateTime) <= now() or effective.ofType(Period).start <= now()"},
    {"Observation", "category.coding.code.distinct().count() <= category.coding.count()"},
    {"Observation",
     "component.where(code.coding.code = '8480-6').value.ofType(Quantity) > "
     "component.where(code.coding.code = '8462-4').value.ofType(Quantity)"},
    {"Observation", "issued.exists() implies (issued >= effective.ofType(dateTime))"},
    {"Observation", "performer.reference.select(substring(0, indexOf('/'))).distinct()"},
    {"Patient", "name.where(use = 'official').family.exists() or name.text.exists()"},
    {"Patient", "birthDate.exists() implies birthDate <= today()"},
    {"Patient", "telecom.where(system = 'email').value.all(matches('^[^@]+@[^@]+$'))"},
    {"Patient", "identifier.where(system.exists()).value.length().max() >= 0 or true"},
};

struct Resource {
  std::string file;
  fhir::Element::Ptr tree;
};

struct WorkItem {
  std::size_t resource;
  std::string base;        // element path with [x] removed ("Observation.value")
  std::string expression;  // invariant or note expression
  const fp::Expression* basePath = nullptr;
  const fp::Expression* compiled = nullptr;
};

std::string jsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

struct PassResult {
  std::size_t evaluations = 0;  // (context node, expression) evaluations
  std::size_t errors = 0;
  std::size_t falses = 0;
  std::vector<std::string> failing;
};

PassResult runPass(const std::vector<WorkItem>& items, const std::vector<Resource>& resources,
                   const fp::TypeModel& model, bool collect) {
  PassResult r;
  fp::EvaluationContext env;
  env.types = &model;
  for (const WorkItem& item : items) {
    const fhir::Element& root = *resources[item.resource].tree;
    env.resource = &root;
    env.rootResource = &root;
    auto contexts = item.basePath->evaluate(root, env);
    if (!contexts) continue;
    for (const fp::Item& context : *contexts) {
      if (!context.isNode()) continue;
      ++r.evaluations;
      auto result = item.compiled->evaluate(*context.node(), env);
      if (!result) {
        ++r.errors;
        if (collect)
          r.failing.push_back(resources[item.resource].file + " " + item.base + " ERROR " +
                              result.outcome().issues().front().diagnostics);
      } else if (fp::asBoolean(*result) == false) {
        ++r.falses;
        if (collect)
          r.failing.push_back(resources[item.resource].file + " " + item.base + " FALSE " +
                              item.expression);
      }
    }
  }
  return r;
}

double measure(const std::vector<WorkItem>& items, const std::vector<Resource>& resources,
               const fp::TypeModel& model, double minSeconds, std::size_t& evaluations,
               std::size_t& passes) {
  evaluations = 0;
  passes = 0;
  auto start = Clock::now();
  double elapsed = 0;
  do {
    evaluations += runPass(items, resources, model, false).evaluations;
    ++passes;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < minSeconds);
  return elapsed;
}

}  // namespace

int main(int argc, char** argv) {
  std::filesystem::path shared = NOTEBRIDGE_SHARED_DIR;
  std::string workloadOut;
  double minSeconds = 2.0;
  bool verbose = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--shared" && i + 1 < argc)
      shared = argv[++i];
    else if (a == "--workload" && i + 1 < argc)
      workloadOut = argv[++i];
    else if (a == "--seconds" && i + 1 < argc)
      minSeconds = std::stod(argv[++i]);
    else if (a == "--verbose")
      verbose = true;
    else {
      std::cerr
          << "usage: bench_fhirpath [--shared DIR] [--workload FILE] [--seconds N] [--verbose]\n";
      return 2;
    }
  }
  auto registry = fhir::DefinitionRegistry::r4();
  if (!registry) {
    std::cerr << "cannot load the R4 definitions\n";
    return 1;
  }
  fp::RegistryTypeModel model(registry);

  // Examples.
  std::vector<Resource> resources;
  std::vector<std::filesystem::path> files;
  for (const auto& entry :
       std::filesystem::directory_iterator(shared / "fhir-tests" / "r4-examples" / "json")) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    auto parsed = fhir::parseJson(slurp(file), *registry);
    if (!parsed) {
      std::cerr << "skipped " << file.filename().string() << ": "
                << parsed.outcome().issues().front().diagnostics << "\n";
      continue;
    }
    resources.push_back(Resource{file.string(), std::move(parsed.value())});
  }

  // Every invariant of every core StructureDefinition (resources and datatypes), for compile time;
  // the ones of each example's own type for evaluation.
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> invariantsByType;
  std::vector<std::string> allExpressions;
  for (const fhir::ResourceSummary* sd : registry->listResources("StructureDefinition")) {
    if (sd->derivation != "specialization" ||
        sd->url.rfind("http://hl7.org/fhir/StructureDefinition/", 0) != 0)
      continue;
    auto tree = registry->findResource(sd->url);
    if (!tree) continue;
    const fhir::Element* snapshot = tree->child("snapshot");
    if (!snapshot) continue;
    for (const fhir::Element* element : snapshot->childrenNamed("element")) {
      std::string path(element->childValue("path"));
      for (const fhir::Element* constraint : element->childrenNamed("constraint")) {
        std::string expression(constraint->childValue("expression"));
        if (expression.empty()) continue;
        allExpressions.push_back(expression);
        invariantsByType[sd->type].emplace_back(path, expression);
      }
    }
  }

  std::size_t compileFailures = 0;
  auto compileStart = Clock::now();
  for (const auto& e : allExpressions) {
    if (!fp::Expression::compile(e)) ++compileFailures;
  }
  double compileSeconds = std::chrono::duration<double>(Clock::now() - compileStart).count();

  // Compile the workload once.
  std::map<std::string, fp::Expression> cache;
  auto compiled = [&](const std::string& text) -> const fp::Expression* {
    auto it = cache.find(text);
    if (it != cache.end()) return &it->second;
    auto r = fp::Expression::compile(text);
    if (!r) return nullptr;
    return &cache.emplace(text, std::move(r.value())).first->second;
  };
  std::vector<WorkItem> invariantItems;
  std::vector<WorkItem> noteItems;
  for (std::size_t i = 0; i < resources.size(); ++i) {
    const std::string& type = resources[i].tree->type();
    for (const auto& [path, expression] : invariantsByType[type]) {
      std::string base = path;
      for (auto pos = base.find("[x]"); pos != std::string::npos; pos = base.find("[x]"))
        base.erase(pos, 3);
      WorkItem item{i, base, expression, compiled(base), compiled(expression)};
      if (item.basePath && item.compiled) invariantItems.push_back(item);
    }
    for (const auto& [noteType, expression] : kNoteExpressions) {
      if (noteType != type) continue;
      WorkItem item{i, type, expression, compiled(type), compiled(expression)};
      if (item.basePath && item.compiled) noteItems.push_back(item);
    }
  }

  PassResult check = runPass(invariantItems, resources, model, verbose);
  if (verbose) {
    for (const auto& f : check.failing) std::cerr << "  " << f << "\n";
  }
  std::size_t invariantEvaluations, invariantPasses, noteEvaluations, notePasses;
  double invariantSeconds =
      measure(invariantItems, resources, model, minSeconds, invariantEvaluations, invariantPasses);
  double noteSeconds =
      measure(noteItems, resources, model, minSeconds, noteEvaluations, notePasses);

  std::cout << "fhirpath.examples " << resources.size() << "\n"
            << "fhirpath.invariants.total " << allExpressions.size() << "\n"
            << "fhirpath.invariants.compile_failures " << compileFailures << "\n"
            << "fhirpath.compile.seconds_all " << compileSeconds << "\n"
            << "fhirpath.compile.us_per_expression " << compileSeconds * 1e6 / allExpressions.size()
            << "\n"
            << "fhirpath.invariants.items " << invariantItems.size() << "\n"
            << "fhirpath.invariants.evaluations_per_pass " << check.evaluations << "\n"
            << "fhirpath.invariants.errors_per_pass " << check.errors << "\n"
            << "fhirpath.invariants.false_per_pass " << check.falses << "\n"
            << "fhirpath.invariants.items_per_second "
            << invariantItems.size() * invariantPasses / invariantSeconds << "\n"
            << "fhirpath.invariants.evaluations_per_second "
            << invariantEvaluations / invariantSeconds << "\n"
            << "fhirpath.notes.items " << noteItems.size() << "\n"
            << "fhirpath.notes.items_per_second " << noteItems.size() * notePasses / noteSeconds
            << "\n"
            << "fhirpath.notes.evaluations_per_second " << noteEvaluations / noteSeconds << "\n";

  if (!workloadOut.empty()) {
    std::ofstream out(workloadOut);
    out << "{\"resources\":[";
    for (std::size_t i = 0; i < resources.size(); ++i)
      out << (i ? "," : "") << jsonString(resources[i].file);
    out << "],\"compile\":[";
    for (std::size_t i = 0; i < allExpressions.size(); ++i)
      out << (i ? "," : "") << jsonString(allExpressions[i]);
    auto writeItems = [&](const std::vector<WorkItem>& items) {
      for (std::size_t i = 0; i < items.size(); ++i) {
        out << (i ? "," : "") << "{\"r\":" << items[i].resource
            << ",\"base\":" << jsonString(items[i].base)
            << ",\"expression\":" << jsonString(items[i].expression) << "}";
      }
    };
    out << "],\"invariants\":[";
    writeItems(invariantItems);
    out << "],\"notes\":[";
    writeItems(noteItems);
    out << "]}\n";
  }
  return 0;
}

// `notebridge fhirpath -e EXPR [-e EXPR ...] [--types] FILE|- [FILE ...]`: evaluates FHIRPath
// expressions over FHIR resources (JSON or XML) and prints the results as JSON.
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "notebridge/fhir/json_text.h"
#include "notebridge/fhir/resource_format.h"
#include "notebridge/fhirpath/expression.h"
#include "notebridge/fhirpath/registry_type_model.h"
#include "notebridge/gateway/cli.h"

namespace notebridge::gateway::cli {

namespace {

constexpr std::string_view kUsage =
    "Usage: notebridge fhirpath -e EXPR [-e EXPR ...] [--types] FILE|- [FILE ...]\n"
    "Evaluates FHIRPath expressions over FHIR resources (JSON or XML; '-' reads stdin).\n"
    "One expression and one file print the result as a JSON array; otherwise one JSON line per\n"
    "(file, expression) with \"result\" or \"error\". --types adds each item's type.\n"
    "Exit: 0 all evaluated, 1 some failed, 2 usage error.\n";

std::string jsonString(std::string_view s) {
  std::string out;
  fhir::appendJsonString(out, s);
  return out;
}

// A System value as JSON: Booleans and numbers bare, dates as strings, a Quantity as FHIR
// Quantity JSON.
std::string valueJson(const fhirpath::Value& value) {
  using fhirpath::Quantity;
  switch (value.index()) {
    case 0:
    case 1:
    case 2:
      return fhirpath::valueToString(value);
    case 5: {
      const auto& q = std::get<Quantity>(value);
      std::string out = "{\"value\":" + q.value().toString();
      if (q.isCalendarDuration()) return out + ",\"unit\":" + jsonString(q.unit()) + "}";
      return out + ",\"unit\":" + jsonString(q.unit()) +
             ",\"system\":\"http://unitsofmeasure.org\",\"code\":" + jsonString(q.unit()) + "}";
    }
    default:
      return jsonString(fhirpath::valueToString(value));
  }
}

std::string itemJson(const fhirpath::Item& item, bool types) {
  std::string body;
  if (item.isNode()) {
    const fhir::Element& node = *item.node();
    body = node.isPrimitive() && !node.hasValue() ? "null" : fhir::writeJson(node);
  } else {
    body = valueJson(*item.value());
  }
  if (!types) return body;
  return "{\"type\":" + jsonString(item.qualifiedTypeName()) + ",\"value\":" + body + "}";
}

std::string resultJson(const fhirpath::Collection& items, bool types) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += itemJson(items[i], types);
  }
  return out + "]";
}

bool readInput(const std::string& file, std::string& text) {
  if (file == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    return true;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  text = buffer.str();
  return true;
}

}  // namespace

int runFhirpath(std::span<char* const> args, std::ostream& out, std::ostream& err) {
  std::vector<std::string> expressions;
  std::vector<std::string> files;
  bool types = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    if (a == "-h" || a == "--help") {
      out << kUsage;
      return kExitOk;
    }
    if (a == "-e" || a == "--expression") {
      if (i + 1 >= args.size()) {
        err << "fhirpath: " << a << " needs an expression\n" << kUsage;
        return kExitUsage;
      }
      expressions.emplace_back(args[++i]);
    } else if (a == "--types") {
      types = true;
    } else if (a.size() > 1 && a[0] == '-') {
      err << "fhirpath: unknown option '" << a << "'\n" << kUsage;
      return kExitUsage;
    } else {
      files.emplace_back(a);
    }
  }
  if (expressions.empty() || files.empty()) {
    err << "fhirpath: at least one -e EXPR and one FILE are needed\n" << kUsage;
    return kExitUsage;
  }

  auto registry = fhir::DefinitionRegistry::r4();
  if (!registry) {
    err << "fhirpath: the R4 definitions could not be loaded\n";
    return kExitFailed;
  }
  fhirpath::RegistryTypeModel model(registry);

  std::vector<fhir::Result<fhirpath::Expression>> compiled;
  for (const auto& e : expressions) compiled.push_back(fhirpath::Expression::compile(e));

  const bool single = expressions.size() == 1 && files.size() == 1;
  bool failed = false;
  for (const auto& file : files) {
    std::string text;
    fhir::Outcome inputError;
    fhir::Element::Ptr resource;
    if (!readInput(file, text)) {
      inputError.add(fhir::Severity::kFatal, "not-found", "cannot read " + file);
    } else {
      auto parsed = fhir::parseResource(text, *registry);
      if (parsed) {
        resource = std::move(parsed.value());
      } else {
        inputError = parsed.outcome();
      }
    }
    for (std::size_t i = 0; i < expressions.size(); ++i) {
      fhir::Outcome error = inputError;
      fhirpath::Collection result;
      if (error.empty() && !compiled[i]) error = compiled[i].outcome();
      if (error.empty()) {
        fhirpath::EvaluationContext env;
        env.types = &model;
        auto r = compiled[i]->evaluate(*resource, env);
        if (r) {
          result = std::move(r.value());
        } else {
          error = r.outcome();
        }
      }
      if (!error.empty()) failed = true;
      if (single) {
        if (error.empty()) {
          out << resultJson(result, types) << '\n';
        } else {
          err << error.toOperationOutcomeJson(true) << '\n';
        }
        continue;
      }
      out << "{\"file\":" << jsonString(file) << ",\"expression\":" << jsonString(expressions[i]);
      if (error.empty()) {
        out << ",\"result\":" << resultJson(result, types);
      } else {
        out << ",\"error\":" << error.toOperationOutcomeJson();
      }
      out << "}\n";
    }
  }
  return failed ? kExitFailed : kExitOk;
}

}  // namespace notebridge::gateway::cli

#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>

#include "cli/commands.h"
#include "notebridge/fhir/definitions.h"
#include "notebridge/fhir/resource_format.h"
#include "notebridge/gateway/cli.h"

namespace notebridge::gateway::cli {

namespace {

constexpr const char* kUsage =
    "Usage: notebridge convert --to json|xml [--pretty] [--package DIR]... FILE|-\n"
    "Converts a FHIR R4 resource between JSON and XML; the input format is detected from the\n"
    "content. Writes the resource to stdout; on invalid input an OperationOutcome goes to stderr\n"
    "(exit 1). --package loads a FHIR package (folder with package/package.json).\n";

int usage(std::ostream& err, const std::string& problem) {
  err << "notebridge convert: " << problem << "\n\n" << kUsage;
  return kExitUsage;
}

}  // namespace

int runConvert(std::span<char* const> args, std::ostream& out, std::ostream& err) {
  std::string to;
  std::string input;
  bool pretty = false;
  fhir::RegistryOptions registryOptions;
  bool customRegistry = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      out << kUsage;
      return kExitOk;
    }
    if (arg == "--pretty") {
      pretty = true;
    } else if (arg == "--to" || arg == "--package") {
      if (i + 1 >= args.size()) return usage(err, std::string(arg) + " needs a value");
      const std::string value = args[++i];
      if (arg == "--to") {
        to = value;
      } else {
        registryOptions.packageDirs.emplace_back(value);
        customRegistry = true;
      }
    } else if (arg.rfind("--to=", 0) == 0) {
      to = std::string(arg.substr(5));
    } else if (arg.size() > 1 && arg[0] == '-') {
      return usage(err, "unknown option " + std::string(arg));
    } else if (input.empty()) {
      input = std::string(arg);
    } else {
      return usage(err, "only one input file may be given");
    }
  }
  if (to != "json" && to != "xml") return usage(err, "--to json or --to xml is required");
  if (input.empty()) return usage(err, "no input file (use - for stdin)");

  std::string text;
  if (input == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::ifstream file(input, std::ios::binary);
    if (!file) {
      fhir::Outcome outcome;
      outcome.add(fhir::Severity::kFatal, "not-found", "cannot read " + input);
      err << outcome.toOperationOutcomeJson(true) << '\n';
      return kExitFailed;
    }
    std::ostringstream buffer;
    buffer << file.rdbuf();
    text = buffer.str();
  }

  std::shared_ptr<const fhir::DefinitionRegistry> registry;
  if (customRegistry) {
    auto loaded = fhir::DefinitionRegistry::load(registryOptions);
    if (!loaded.ok()) {
      err << loaded.outcome().toOperationOutcomeJson(true) << '\n';
      return kExitFailed;
    }
    registry = loaded.value();
  } else {
    registry = fhir::DefinitionRegistry::r4();
    if (!registry) {
      fhir::Outcome outcome;
      outcome.add(fhir::Severity::kFatal, "exception", "cannot load the FHIR R4 definitions");
      err << outcome.toOperationOutcomeJson(true) << '\n';
      return kExitFailed;
    }
  }
  auto parsed = fhir::parseResource(text, *registry);
  if (!parsed.ok()) {
    err << parsed.outcome().toOperationOutcomeJson(true) << '\n';
    return kExitFailed;
  }
  const auto format = to == "xml" ? fhir::ResourceFormat::kXml : fhir::ResourceFormat::kJson;
  out << fhir::writeResource(*parsed.value(), format, pretty) << '\n';
  return kExitOk;
}

}  // namespace notebridge::gateway::cli

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include "cli/commands.h"
#include "notebridge/gateway/cli.h"
#include "notebridge/validation/standard_definitions.h"
#include "notebridge/validation/validator.h"

namespace notebridge::gateway::cli {
namespace {

constexpr const char* kUsage =
    "Usage: notebridge validate [--profile URL]... [--package DIR]... FILE|- [FILE ...]\n"
    "Validates FHIR R4 resources (JSON or XML) against their base definition, the profiles in\n"
    "meta.profile and every --profile. --package loads a FHIR package folder (US Core, CDex...).\n"
    "One file: prints its OperationOutcome. Several: a Bundle (collection) of OperationOutcomes\n"
    "in input order, each entry's fullUrl naming its file.\n"
    "Exit status: 0 no errors, 1 some file has errors, 2 usage error.\n";

bool readInput(const std::string& name, std::string& text) {
  if (name == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    return true;
  }
  std::ifstream in(name, std::ios::binary);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  text = buffer.str();
  return true;
}

std::string fileUrl(const std::string& name) {
  if (name == "-") return "urn:notebridge:stdin";
  std::error_code ec;
  const auto absolute = std::filesystem::absolute(name, ec);
  return "file://" + (ec ? name : absolute.string());
}

}  // namespace

int runValidate(std::span<char* const> args, std::ostream& out, std::ostream& err) {
  validation::ValidationOptions options;
  std::vector<std::string> packages;
  std::vector<std::string> files;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string arg = args[i];
    if (arg == "--help" || arg == "-h") {
      out << kUsage;
      return kExitOk;
    }
    if (arg == "--profile" || arg == "--package") {
      if (i + 1 >= args.size()) {
        err << "notebridge validate: " << arg << " needs a value\n" << kUsage;
        return kExitUsage;
      }
      (arg == "--profile" ? options.profiles : packages).push_back(args[++i]);
      continue;
    }
    if (arg.size() > 1 && arg[0] == '-') {
      err << "notebridge validate: unknown option '" << arg << "'\n" << kUsage;
      return kExitUsage;
    }
    files.push_back(arg);
  }
  if (files.empty()) {
    err << "notebridge validate: no input file\n" << kUsage;
    return kExitUsage;
  }
  auto standard = validation::loadStandardDefinitions();
  if (!standard.ok()) {
    err << "notebridge validate: cannot load the definitions:\n";
    for (const auto& issue : standard.outcome().issues()) err << "  " << issue.diagnostics << '\n';
    return kExitFailed;
  }
  std::shared_ptr<const validation::ConformanceStore> store = *standard;
  if (!packages.empty()) {
    auto layered = std::make_shared<validation::ConformanceStore>(store);
    for (const std::string& dir : packages) {
      const auto loaded = layered->loadPackage(dir);
      if (loaded.hasErrors()) {
        err << "notebridge validate: cannot load package " << dir << '\n';
        return kExitUsage;
      }
    }
    store = layered;
  }
  const validation::Validator validator(store);
  bool anyErrors = false;
  std::vector<std::string> outcomes;
  for (const std::string& file : files) {
    std::string text;
    fhir::Outcome outcome;
    if (!readInput(file, text)) {
      outcome.add(fhir::Severity::kFatal, "not-found", "Cannot read " + file);
    } else {
      outcome = validator.validateText(text, options);
    }
    anyErrors = anyErrors || outcome.hasErrors();
    outcomes.push_back(outcome.toOperationOutcomeJson(false));
  }
  if (files.size() == 1) {
    rapidjson::Document doc;
    doc.Parse(outcomes.front().c_str());
    rapidjson::StringBuffer buffer;
    rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buffer);
    doc.Accept(writer);
    out << buffer.GetString() << '\n';
  } else {
    rapidjson::Document bundle(rapidjson::kObjectType);
    auto& alloc = bundle.GetAllocator();
    bundle.AddMember("resourceType", "Bundle", alloc);
    bundle.AddMember("type", "collection", alloc);
    rapidjson::Value entries(rapidjson::kArrayType);
    for (std::size_t i = 0; i < files.size(); ++i) {
      rapidjson::Document oo(&alloc);
      oo.Parse(outcomes[i].c_str());
      rapidjson::Value entry(rapidjson::kObjectType);
      entry.AddMember("fullUrl", rapidjson::Value(fileUrl(files[i]).c_str(), alloc), alloc);
      entry.AddMember("resource", rapidjson::Value(oo, alloc), alloc);
      entries.PushBack(entry, alloc);
    }
    bundle.AddMember("entry", entries, alloc);
    rapidjson::StringBuffer buffer;
    rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buffer);
    bundle.Accept(writer);
    out << buffer.GetString() << '\n';
  }
  return anyErrors ? kExitFailed : kExitOk;
}

}  // namespace notebridge::gateway::cli

#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>

#include "cli/commands.h"
#include "notebridge/fhir/definitions.h"
#include "notebridge/fhir/json_format.h"
#include "notebridge/fhir/resource_format.h"
#include "notebridge/gateway/cli.h"
#include "notebridge/mappers/fhir_to_note.h"
#include "notebridge/mappers/note_json.h"
#include "notebridge/mappers/note_to_fhir.h"

namespace notebridge::gateway::cli {
namespace {

constexpr std::string_view kUsage =
    "Usage: notebridge map --to fhir|note [options] FILE|-\n"
    "  --to fhir    read an internal note (JSON) and print the FHIR transaction Bundle\n"
    "  --to note    read FHIR (a DocumentReference or a Bundle, JSON or XML) and print the note\n"
    "Options:\n"
    "  --lenient           (--to fhir) unknown note fields are warnings, not errors\n"
    "  --note-type CODE    (--to fhir) LOINC note type (default 34904-3, fallback 11506-3)\n"
    "  --compact           print without indentation\n"
    "Errors print an OperationOutcome on stderr and exit 1; usage errors exit 2.\n";

bool readInput(const std::string& path, std::string& text, std::ostream& err) {
  if (path == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    return true;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    fhir::Outcome outcome;
    outcome.add(fhir::Severity::kFatal, "not-found", "cannot read '" + path + "'");
    err << outcome.toOperationOutcomeJson(true) << '\n';
    return false;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  text = buffer.str();
  return true;
}

// Warnings ride along on stderr so that stdout stays one document.
void reportWarnings(const fhir::Outcome& outcome, std::ostream& err) {
  if (!outcome.empty()) err << outcome.toOperationOutcomeJson(true) << '\n';
}

int fail(const fhir::Outcome& outcome, std::ostream& err) {
  err << outcome.toOperationOutcomeJson(true) << '\n';
  return kExitFailed;
}

}  // namespace

int runMap(std::span<char* const> args, std::ostream& out, std::ostream& err) {
  std::string to;
  std::string file;
  bool lenient = false;
  bool pretty = true;
  mappers::NoteToFhirOptions options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      out << kUsage;
      return kExitOk;
    }
    if (arg == "--to" && i + 1 < args.size()) {
      to = args[++i];
    } else if (arg.rfind("--to=", 0) == 0) {
      to = arg.substr(5);
    } else if (arg == "--note-type" && i + 1 < args.size()) {
      options.noteTypeCode = args[++i];
    } else if (arg == "--lenient") {
      lenient = true;
    } else if (arg == "--compact") {
      pretty = false;
    } else if ((arg == "-" || arg.empty() || arg[0] != '-') && file.empty()) {
      file = arg;
    } else {
      err << "map: unexpected argument '" << arg << "'\n" << kUsage;
      return kExitUsage;
    }
  }
  if ((to != "fhir" && to != "note") || file.empty()) {
    err << "map: "
        << (file.empty() ? "an input FILE or - is required" : "--to must be fhir or note") << "\n"
        << kUsage;
    return kExitUsage;
  }
  std::string text;
  if (!readInput(file, text, err)) return kExitFailed;

  if (to == "fhir") {
    auto note = mappers::parseNote(
        text, lenient ? mappers::ParseMode::kLenient : mappers::ParseMode::kStrict);
    if (!note) return fail(note.outcome(), err);
    auto bundle = mappers::noteToFhir(*note, options);
    fhir::Outcome all = note.outcome();
    all.append(bundle.outcome());
    if (!bundle) return fail(all, err);
    out << fhir::writeJson(**bundle, fhir::JsonWriteOptions{pretty}) << '\n';
    reportWarnings(all, err);
    return kExitOk;
  }

  auto registry = fhir::DefinitionRegistry::r4();
  if (!registry) {
    fhir::Outcome outcome;
    outcome.add(fhir::Severity::kFatal, "exception", "the FHIR R4 definitions could not be loaded");
    return fail(outcome, err);
  }
  // JSON or XML, told apart by the content.
  auto tree = fhir::parseResource(text, *registry);
  if (!tree) return fail(tree.outcome(), err);
  auto note = mappers::fhirToNote(**tree);
  fhir::Outcome all = tree.outcome();
  all.append(note.outcome());
  if (!note) return fail(all, err);
  out << mappers::writeNote(*note, pretty);
  if (!pretty) out << '\n';
  reportWarnings(all, err);
  return kExitOk;
}

}  // namespace notebridge::gateway::cli

#include "notebridge/gateway/cli.h"

#include <iostream>

#include "cli/commands.h"

namespace notebridge::gateway {

const std::vector<Subcommand>& subcommands() {
  static const std::vector<Subcommand> kAll = {
      {"serve", "serve [--config FILE]      run the gateway (HTTP API, storage, forwarding)",
       cli::runServe},
      {"keys", "keys add|list|revoke ...   manage the API keys of internal clients", cli::runKeys},
      {"convert", "convert --to json|xml [--pretty] FILE|-   convert a FHIR resource",
       cli::runConvert},
      {"fhirpath", "fhirpath -e EXPR... FILE...  evaluate FHIRPath over FHIR resources (JSON/XML)",
       cli::runFhirpath},
      {"validate",
       "validate [--profile URL]... [--package DIR]... FILE|- [FILE ...]  validate FHIR resources",
       cli::runValidate},
      {"map", "map --to fhir|note FILE|-  map a note to a FHIR Bundle, or FHIR to a note",
       cli::runMap},
      {"version", "version                    print the program and FHIR versions",
       cli::runVersion},
  };
  return kAll;
}

namespace {

void printHelp(std::ostream& out) {
  out << "Usage: notebridge <command> [options]\n\n"
         "NoteBridge: a FHIR R4 gateway for behavioral-health progress notes.\n\n"
         "Commands:\n";
  for (const Subcommand& command : subcommands()) out << "  " << command.synopsis << '\n';
  out << "\nRun `notebridge <command> --help` for a command's options.\n";
}

}  // namespace

int runCli(int argc, char** argv) {
  if (argc < 2) {
    printHelp(std::cerr);
    return kExitUsage;
  }
  const std::string_view name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    printHelp(std::cout);
    return kExitOk;
  }
  if (name == "--version") return cli::runVersion({}, std::cout, std::cerr);
  for (const Subcommand& command : subcommands()) {
    if (command.name == name) {
      return command.run(std::span<char* const>(argv + 2, static_cast<std::size_t>(argc - 2)),
                         std::cout, std::cerr);
    }
  }
  std::cerr << "notebridge: unknown command '" << name << "'\n\n";
  printHelp(std::cerr);
  return kExitUsage;
}

}  // namespace notebridge::gateway

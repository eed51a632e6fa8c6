#pragma once

#include <iosfwd>
#include <span>

// The subcommands of the `notebridge` program, one file each under gateway/src/cli/.
namespace notebridge::gateway::cli {

int runConvert(std::span<char* const> args, std::ostream& out, std::ostream& err);
int runFhirpath(std::span<char* const> args, std::ostream& out, std::ostream& err);
int runServe(std::span<char* const> args, std::ostream& out, std::ostream& err);
int runKeys(std::span<char* const> args, std::ostream& out, std::ostream& err);
// `map --to fhir|note FILE|-`: note JSON to a FHIR transaction Bundle, or FHIR to a note.
int runMap(std::span<char* const> args, std::ostream& out, std::ostream& err);
// notebridge validate [--profile URL]... [--package DIR]... FILE|- [FILE ...]
int runValidate(std::span<char* const> args, std::ostream& out, std::ostream& err);
int runVersion(std::span<char* const> args, std::ostream& out, std::ostream& err);

}  // namespace notebridge::gateway::cli

#pragma once

#include <iosfwd>
#include <span>

// The subcommands of the `notebridge` program, one file each under gateway/src/cli/.
namespace notebridge::gateway::cli {

int runConvert(std::span<char* const> args, std::ostream& out, std::ostream& err);
int runFhirpath(std::span<char* const> args, std::ostream& out, std::ostream& err);
int runServe(std::span<char* const> args, std::ostream& out, std::ostream& err);
int runVersion(std::span<char* const> args, std::ostream& out, std::ostream& err);

}  // namespace notebridge::gateway::cli

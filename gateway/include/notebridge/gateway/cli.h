#pragma once

#include <functional>
#include <iosfwd>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace notebridge::gateway {

// Exit codes every subcommand uses.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // the input was invalid or the work failed
inline constexpr int kExitUsage = 2;   // the command line was wrong

// One subcommand of the `notebridge` program. `run` gets the arguments after the subcommand
// name and returns the exit code; it writes results to `out` and diagnostics to `err`.
struct Subcommand {
  std::string_view name;
  std::string_view synopsis;  // one line for `notebridge --help`
  std::function<int(std::span<char* const> args, std::ostream& out, std::ostream& err)> run;
};

// Every subcommand, in the order `--help` lists them.
const std::vector<Subcommand>& subcommands();

// Entry point of the program: dispatches argv[1] to its subcommand.
int runCli(int argc, char** argv);

}  // namespace notebridge::gateway

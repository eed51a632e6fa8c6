#include <ostream>

#include "cli/commands.h"

namespace notebridge::gateway::cli {

int runServe(std::span<char* const>, std::ostream&, std::ostream& err) {
  err << "serve: not yet\n";
  return 1;
}

}  // namespace notebridge::gateway::cli

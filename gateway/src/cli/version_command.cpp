#include <ostream>

#include "cli/commands.h"

namespace notebridge::gateway::cli {

int runVersion(std::span<char* const>, std::ostream& out, std::ostream&) {
  out << "notebridge " << NOTEBRIDGE_VERSION << " (FHIR R4 4.0.1)\n";
  return 0;
}

}  // namespace notebridge::gateway::cli

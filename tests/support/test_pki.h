#pragma once

#include <Poco/Process.h>

#include <filesystem>
#include <stdexcept>
#include <string>

#include "temp_dir.h"
#include "test_paths.h"

namespace notebridge::testing {

// Throw-away keys and certificates made once per test program by make-test-pki.sh (see there
// for the file names). Needs the openssl command, which .ci/install-deps installs.
inline const std::filesystem::path& testPki() {
  static TempDir dir;
  static const bool made = [] {
    const auto script =
        std::filesystem::path(NOTEBRIDGE_SOURCE_DIR) / "tests/support/make-test-pki.sh";
    Poco::ProcessHandle handle =
        Poco::Process::launch("bash", {script.string(), dir.path().string()});
    if (handle.wait() != 0) throw std::runtime_error("make-test-pki.sh failed");
    return true;
  }();
  (void)made;
  return dir.path();
}

}  // namespace notebridge::testing

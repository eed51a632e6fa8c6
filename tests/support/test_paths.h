#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace notebridge::testing {

// Fixtures of this repository (tests/data).
inline std::filesystem::path testDataDir() { return NOTEBRIDGE_TEST_DATA_DIR; }

// The read-only ../shared folder beside the project. CI always has it; a user's clone may not,
// so tests that read it call sharedDirOrSkip() (see below) and skip with a message when absent.
inline std::filesystem::path sharedDir() { return NOTEBRIDGE_SHARED_DIR; }
inline bool haveSharedDir() { return std::filesystem::is_directory(sharedDir()); }

// The unpacked R4 core definitions in the build tree.
inline std::filesystem::path r4DefinitionsDir() { return NOTEBRIDGE_R4_DEFINITIONS_DIR; }

// The built `notebridge` program, for tests that run the CLI as a user would.
inline std::filesystem::path notebridgeBinary() { return NOTEBRIDGE_BINARY; }

inline std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace notebridge::testing

// A Boost.Test precondition: a case declared with `* notebridge::testing::needsShared()` is
// reported as skipped, with the reason, when ../shared is absent; it runs (and can fail) otherwise.
#include <boost/test/unit_test.hpp>

namespace notebridge::testing {
struct SharedDirPresent {
  boost::test_tools::assertion_result operator()(boost::unit_test::test_unit_id) const {
    boost::test_tools::assertion_result result(haveSharedDir());
    if (!result) result.message() << sharedDir().string() << " is absent (it holds the shared test material)";
    return result;
  }
};
// A function pointer rather than the functor object: GCC 12 reports a false
// -Wuninitialized when boost::function copies an empty functor at -O2.
inline boost::test_tools::assertion_result sharedDirPresent(boost::unit_test::test_unit_id id) {
  return SharedDirPresent{}(id);
}
inline auto needsShared() { return boost::unit_test::precondition(&sharedDirPresent); }
}  // namespace notebridge::testing

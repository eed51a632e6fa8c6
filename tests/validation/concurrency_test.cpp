// One Validator shared by several threads: same outcomes as one thread, plans compiled once.
#include <boost/test/unit_test.hpp>
#include <thread>

#include "fixture.h"

using namespace notebridge;
using notebridge::testing::readFile;
using notebridge::testing::testDataDir;

BOOST_AUTO_TEST_SUITE(concurrency)

BOOST_AUTO_TEST_CASE(a_shared_validator_gives_the_same_outcome_on_every_thread) {
  const validation::Validator validator(validation::testing::ourStore());
  const std::string note =
      readFile(testDataDir() / "validation" / "progress-note-no-period-end.input.json");
  const std::string expected = validator.validateJson(note).toOperationOutcomeJson();
  const validation::Validator fresh(validation::testing::ourStore());
  std::vector<std::string> results(4);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < results.size(); ++t) {
    threads.emplace_back([&, t] {
      std::string last;
      for (int i = 0; i < 25; ++i) last = fresh.validateJson(note).toOperationOutcomeJson();
      results[t] = last;
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& result : results) BOOST_TEST(result == expected);
  // The plan is compiled once and shared.
  const auto a = fresh.plan("https://notebridge.io/fhir/StructureDefinition/progress-note");
  const auto b = fresh.plan("https://notebridge.io/fhir/StructureDefinition/progress-note");
  BOOST_REQUIRE(a);
  BOOST_TEST(a.get() == b.get());
}

BOOST_AUTO_TEST_SUITE_END()

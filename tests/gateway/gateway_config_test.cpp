#include "notebridge/gateway/gateway_config.h"

#include <Poco/AutoPtr.h>
#include <Poco/Util/MapConfiguration.h>

#include <boost/test/unit_test.hpp>

#include "test_paths.h"

using namespace notebridge::gateway;

namespace {
Poco::AutoPtr<Poco::Util::MapConfiguration> mapConfig(
    std::initializer_list<std::pair<const char*, const char*>> entries) {
  Poco::AutoPtr<Poco::Util::MapConfiguration> config(new Poco::Util::MapConfiguration);
  for (const auto& [key, value] : entries) config->setString(key, value);
  return config;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(gateway_config)

BOOST_AUTO_TEST_CASE(an_empty_configuration_gives_the_documented_defaults) {
  auto config = readGatewayConfig(*mapConfig({}));
  BOOST_REQUIRE(config.ok());
  BOOST_TEST(config->host == "127.0.0.1");
  BOOST_TEST(config->port == 8080);
  BOOST_TEST(config->effectiveDatabasePath() == std::filesystem::path("var/notebridge.db"));
  BOOST_TEST(config->logLevel == "information");
}

BOOST_AUTO_TEST_CASE(values_are_read) {
  auto config = readGatewayConfig(*mapConfig({{"server.port", "0"},
                                              {"server.threads", "4"},
                                              {"data.dir", "/tmp/nb"},
                                              {"database.path", "/tmp/other.db"}}));
  BOOST_REQUIRE(config.ok());
  BOOST_TEST(config->port == 0);
  BOOST_TEST(config->threads == 4);
  BOOST_TEST(config->effectiveDatabasePath() == std::filesystem::path("/tmp/other.db"));
}

BOOST_AUTO_TEST_CASE(the_writer_boost_is_a_store_key_from_0_to_39) {
  auto defaults = readGatewayConfig(*mapConfig({}));
  BOOST_REQUIRE(defaults.ok());
  BOOST_TEST(defaults->writerBoost == 10);
  for (const char* good : {"0", "3", "39"}) {
    auto config = readGatewayConfig(*mapConfig({{"store.writerBoost", good}}));
    BOOST_REQUIRE(config.ok());
    BOOST_TEST(config->writerBoost == std::stoi(good));
  }
  auto above = readGatewayConfig(*mapConfig({{"store.writerBoost", "40"}}));
  BOOST_REQUIRE(!above.ok());
  BOOST_TEST(above.outcome().issues().front().diagnostics ==
             "store.writerBoost: 40 is out of range (0 to 39)");
  auto below = readGatewayConfig(*mapConfig({{"store.writerBoost", "-1"}}));
  BOOST_REQUIRE(!below.ok());
  BOOST_TEST(below.outcome().issues().front().diagnostics.find("out of range") !=
             std::string::npos);
  auto text = readGatewayConfig(*mapConfig({{"store.writerBoost", "high"}}));
  BOOST_REQUIRE(!text.ok());
  BOOST_TEST(text.outcome().issues().front().diagnostics ==
             "store.writerBoost: 'high' is not a whole number");
}

BOOST_AUTO_TEST_CASE(every_problem_is_listed_at_once) {
  auto config = readGatewayConfig(*mapConfig({{"server.port", "80000"},
                                              {"server.threads", "many"},
                                              {"server.prot", "8081"},
                                              {"log.level", "loud"}}));
  BOOST_REQUIRE(!config.ok());
  const auto& issues = config.outcome().issues();
  BOOST_REQUIRE(issues.size() == 4u);
  std::string all;
  for (const auto& issue : issues) all += issue.diagnostics + "\n";
  BOOST_TEST(all.find("server.prot: unknown key") != std::string::npos);
  BOOST_TEST(all.find("server.port: 80000 is out of range (0 to 65535)") != std::string::npos);
  BOOST_TEST(all.find("server.threads: 'many' is not a whole number") != std::string::npos);
  BOOST_TEST(all.find("log.level: 'loud' is not one of") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_missing_file_is_a_fatal_problem) {
  auto config = loadGatewayConfig("/nonexistent/notebridge.properties");
  BOOST_REQUIRE(!config.ok());
  BOOST_TEST(config.outcome().issues().front().diagnostics.find("/nonexistent") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_readme_documents_every_key_with_its_default) {
  const std::string readme =
      notebridge::testing::readFile(notebridge::testing::sourceDir() / "README.md");
  BOOST_REQUIRE(!readme.empty());
  for (const ConfigKey& key : configKeys()) {
    const std::string row =
        "| `" + std::string(key.key) + "` | `" + std::string(key.defaultValue) + "` |";
    BOOST_TEST(readme.find(row) != std::string::npos, "README lacks the row " << row);
  }
}

BOOST_AUTO_TEST_SUITE_END()

// The `notebridge` program as a user runs it: a separate process, signals, exit codes.
#include <Poco/Process.h>

#include <boost/test/unit_test.hpp>
#include <csignal>
#include <fstream>

#include "http_client.h"
#include "process_runner.h"
#include "serve_process.h"
#include "temp_dir.h"

using namespace notebridge::testing;

BOOST_AUTO_TEST_SUITE(serve_process)

BOOST_AUTO_TEST_CASE(help_lists_every_subcommand_and_unknown_ones_are_usage_errors) {
  auto help = runNotebridge({"--help"});
  BOOST_TEST(help.exitCode == 0);
  BOOST_TEST(help.out.find("serve [--config FILE]") != std::string::npos);
  BOOST_TEST(help.out.find("version") != std::string::npos);
  auto unknown = runNotebridge({"frobnicate"});
  BOOST_TEST(unknown.exitCode == 2);
  BOOST_TEST(unknown.err.find("unknown command 'frobnicate'") != std::string::npos);
  auto version = runNotebridge({"version"});
  BOOST_TEST(version.exitCode == 0);
  BOOST_TEST(version.out.find("FHIR R4 4.0.1") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_bad_configuration_stops_the_start_listing_every_problem) {
  TempDir dir;
  const auto file = dir / "bad.properties";
  std::ofstream(file) << "server.port = 99999\nserver.thraeds = 4\nlog.level = chatty\n";
  auto result = runNotebridge({"serve", "--config", file.string()});
  BOOST_TEST(result.exitCode == 1);
  BOOST_TEST(result.err.find("3 problem(s)") != std::string::npos);
  BOOST_TEST(result.err.find("server.port: 99999 is out of range") != std::string::npos);
  BOOST_TEST(result.err.find("server.thraeds: unknown key") != std::string::npos);
  BOOST_TEST(result.err.find("log.level: 'chatty'") != std::string::npos);
  BOOST_TEST(!std::filesystem::exists(dir / "var"));
}

// The configuration of `notebridge serve` on a free port with its data in `dir`.
std::filesystem::path serveConfig(const TempDir& dir) {
  const auto file = dir / "gateway.properties";
  std::ofstream(file) << "server.port = 0\ndata.dir = " << (dir / "data").string() << "\n";
  return file;
}

BOOST_AUTO_TEST_CASE(serve_answers_then_stops_cleanly_on_sigint) {
  TempDir dir;
  ServeProcess serve(serveConfig(dir), dir.path());
  BOOST_REQUIRE_MESSAGE(serve.port != 0, "the server did not start:\n" << serve.log);
  auto metadata = httpRequest(serve.port, "GET", "/fhir/metadata");
  BOOST_TEST(metadata.status == 200);
  BOOST_TEST(metadata.body.find("\"CapabilityStatement\"") != std::string::npos);
  BOOST_TEST(serve.stop(SIGINT) == 0);
  BOOST_TEST(serve.log.find("GET /fhir/metadata 200") != std::string::npos);
  BOOST_TEST(serve.log.find("stopped") != std::string::npos, serve.log);
  BOOST_TEST(std::filesystem::exists(dir / "data" / "notebridge.db"));
  // A clean close checkpoints the WAL away.
  BOOST_TEST(!std::filesystem::exists(dir / "data" / "notebridge.db-wal"));
}

BOOST_AUTO_TEST_CASE(sigterm_also_stops_cleanly) {
  TempDir dir;
  ServeProcess serve(serveConfig(dir), dir.path());
  BOOST_REQUIRE_MESSAGE(serve.port != 0, "the server did not start:\n" << serve.log);
  BOOST_TEST(serve.stop(SIGTERM) == 0);
  BOOST_TEST(serve.log.find("stopped") != std::string::npos, serve.log);
}

// Everything POST /notes answered 201 for is found again after a restart of the process.
BOOST_AUTO_TEST_CASE(a_restart_finds_every_stored_note) {
  TempDir dir;
  std::ofstream(dir / "gateway.properties")
      << "server.port = 0\ndata.dir = " << (dir / "data").string() << "\n";
  auto added = runNotebridge(
      {"keys", "add", "restart-test", "--config", (dir / "gateway.properties").string()});
  BOOST_REQUIRE(added.exitCode == 0);
  const std::string key = added.out.substr(0, added.out.find('\n'));
  const std::string fixture = readFile(testDataDir() / "mappers" / "soap.note.json");
  std::vector<std::string> ids;
  {
    ServeProcess serve(serveConfig(dir), dir.path());
    BOOST_REQUIRE_MESSAGE(serve.port != 0, "the server did not start:\n" << serve.log);
    for (int i = 0; i < 5; ++i) {
      std::string note = fixture;
      const std::string id = "R-" + std::to_string(i);
      note.replace(note.find("N-2025-0412"), 11, id);
      auto posted =
          httpRequest(serve.port, "POST", "/notes", note, {{"X-API-Key", key}}, "application/json");
      BOOST_TEST(posted.status == 201);
      ids.push_back(id);
    }
    BOOST_TEST(serve.stop(SIGTERM) == 0);
    // Note text never reaches the log at the default level.
    BOOST_TEST(serve.log.find("breathing exercise") == std::string::npos);
  }
  ServeProcess again(serveConfig(dir), dir.path());
  BOOST_REQUIRE_MESSAGE(again.port != 0, "the server did not restart:\n" << again.log);
  for (const std::string& id : ids) {
    BOOST_TEST(httpRequest(again.port, "GET", "/notes/" + id, {}, {{"X-API-Key", key}}).status ==
               200);
  }
  BOOST_TEST(again.stop(SIGTERM) == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(keys_command)

BOOST_AUTO_TEST_CASE(add_list_and_revoke_api_keys) {
  TempDir dir;
  const auto config = dir / "gateway.properties";
  std::ofstream(config) << "data.dir = " << (dir / "data").string() << "\n";
  auto added = runNotebridge({"keys", "add", "practice bridge", "--config", config.string()});
  BOOST_REQUIRE(added.exitCode == 0);
  static const std::regex kKey("nb_([0-9a-f]{12})_[A-Za-z0-9_-]{43}\n");
  std::smatch match;
  BOOST_REQUIRE(std::regex_match(added.out, match, kKey));
  const std::string id = match[1];
  BOOST_TEST(added.err.find("shown once") != std::string::npos);

  auto listed = runNotebridge({"keys", "list", "--config", config.string()});
  BOOST_TEST(listed.exitCode == 0);
  BOOST_TEST(listed.out.find(id + "\tpractice bridge\t") != std::string::npos);
  BOOST_TEST(listed.out.find("active") != std::string::npos);
  // The secret never appears in a listing.
  BOOST_TEST(listed.out.find(added.out.substr(16, 20)) == std::string::npos);

  BOOST_TEST(runNotebridge({"keys", "revoke", id, "--config", config.string()}).exitCode == 0);
  BOOST_TEST(runNotebridge({"keys", "list", "--config", config.string()}).out.find("revoked") !=
             std::string::npos);
  auto again = runNotebridge({"keys", "revoke", id, "--config", config.string()});
  BOOST_TEST(again.exitCode == 1);
  BOOST_TEST(again.err.find("no active API key") != std::string::npos);
  BOOST_TEST(runNotebridge({"keys", "frob"}).exitCode == 2);
}

BOOST_AUTO_TEST_SUITE_END()

#pragma once

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <vector>

#include "notebridge/gateway/sqlite_store.h"

namespace notebridge::testing {

// A database at `file` with the schema as the program of migration `version` left it (the
// later migrations not applied), and a session on it for writing rows as that program did.
// Opening the file with SqliteStore::open afterwards runs the remaining migrations.
inline Poco::Data::Session olderDatabase(const std::filesystem::path& file, int version) {
  const auto& all = gateway::sqliteMigrations();
  const std::vector<gateway::Migration> upTo(all.begin(), all.begin() + version);
  BOOST_REQUIRE(upTo.back().version == version);
  {
    auto old = *gateway::SqliteStore::open(file, upTo);
    BOOST_TEST(old->schemaVersion() == version);
    old->close();
  }
  Poco::Data::SQLite::Connector::registerConnector();
  return Poco::Data::Session("SQLite", file.string());
}

}  // namespace notebridge::testing

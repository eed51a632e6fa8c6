#pragma once

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <string>
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

// A pending outbox row for version 1 of `noteId` to `destination`, written as migration 4's
// program wrote it.
inline void addPendingDelivery(Poco::Data::Session& session, const std::string& noteId,
                               const std::string& destination) {
  using namespace Poco::Data::Keywords;
  std::string id = noteId, to = destination;
  session << "INSERT INTO outbox (note_id, note_version, destination, state, next_attempt_at, "
             "created_at, updated_at) VALUES (?, 1, ?, 'pending', '2026-01-01T00:00:00.000Z', "
             "'2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')",
      use(id), use(to), now;
}

}  // namespace notebridge::testing

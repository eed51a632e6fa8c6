#pragma once

// SqliteStore::withSession, shared by the files that implement SqliteStore.
#include <Poco/Data/Session.h>
#include <Poco/Data/SessionPool.h>
#include <Poco/Exception.h>

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "notebridge/gateway/sqlite_store.h"

namespace notebridge::gateway {

// Pieces of SqliteStore shared by its files; each runs on a session that is inside a
// transaction the caller began (BEGIN IMMEDIATE) and will end.
namespace sqlite {
// One resource write with its checks and index (see ResourceWrite); nothing when a check
// failed (the reason is in `issues`). Throws Poco exceptions on driver errors.
std::optional<WriteResult> writeInTransaction(Poco::Data::Session& session,
                                              const ResourceWrite& write, fhir::Outcome& issues);
std::vector<std::string> matchingIds(Poco::Data::Session& session, const std::string& type,
                                     const std::vector<SearchCriterion>& criteria, int limit);
// An instant with millisecond precision in UTC: lexically ordered like the times it names.
std::string nowInstant();
void rollbackQuietly(Poco::Data::Session& session);
}  // namespace sqlite

template <typename Work>
fhir::Outcome SqliteStore::withSession(Work&& work) {
  fhir::Outcome outcome;
  std::shared_lock lock(mutex_);
  if (!pool_) {
    outcome.add(fhir::Severity::kFatal, "transient", "the database is closed");
    return outcome;
  }
  try {
    Poco::Data::Session session = pool_->get();
    work(session, outcome);
  } catch (const Poco::Exception& e) {
    outcome.add(fhir::Severity::kFatal, "exception", "database error: " + e.displayText());
  }
  return outcome;
}

}  // namespace notebridge::gateway

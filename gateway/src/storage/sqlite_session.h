#pragma once

// SqliteStore::withSession, shared by the files that implement SqliteStore.
#include <Poco/Data/Session.h>
#include <Poco/Data/SessionPool.h>
#include <Poco/Exception.h>

#include <mutex>

#include "notebridge/gateway/sqlite_store.h"

namespace notebridge::gateway {

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

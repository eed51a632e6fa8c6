#pragma once

#include "notebridge/fhir/outcome.h"

namespace notebridge::gateway {

// Where the gateway keeps everything it has accepted. Two implementations are planned:
// SqliteStore (the embedded default) and a PostgreSQL one for several instances sharing a
// database; callers depend only on this interface. Implementations are thread-safe and catch
// their driver's exceptions: failures come back as issues.
class Store {
 public:
  virtual ~Store() = default;

  // Checks that the database answers (for /readyz). An empty outcome means ready.
  virtual fhir::Outcome ping() = 0;
  // The schema version the database is at (the highest migration applied).
  virtual int schemaVersion() = 0;
  // Releases connections; later calls fail with an issue. Safe to call twice.
  virtual void close() = 0;
};

}  // namespace notebridge::gateway

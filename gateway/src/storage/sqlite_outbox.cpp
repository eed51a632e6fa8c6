// SqliteStore's outbox: claiming due deliveries under a lease, recording how they ended, and
// the listings and retry behind /deliveries.
#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>

#include <optional>

#include "notebridge/gateway/note_bundle.h"
#include "notebridge/gateway/sqlite_store.h"
#include "storage/sqlite_session.h"

using namespace Poco::Data::Keywords;

namespace notebridge::gateway {

using fhir::Result;
using fhir::Severity;

namespace {

constexpr const char* kColumns =
    "o.id, o.note_id, o.note_version, o.destination, o.state, o.attempts, o.next_attempt_at, "
    "COALESCE(o.claimed_by, ''), COALESCE(o.claimed_until, ''), COALESCE(o.last_error, ''), "
    "COALESCE(o.receipt, ''), o.created_at, o.updated_at";

OutboxRow readRow(Poco::Data::RecordSet& rows) {
  OutboxRow row;
  row.id = rows[0].convert<Poco::Int64>();
  row.noteId = rows[1].convert<std::string>();
  row.noteVersion = rows[2].convert<int>();
  row.destination = rows[3].convert<std::string>();
  row.state = rows[4].convert<std::string>();
  row.attempts = rows[5].convert<int>();
  row.nextAttemptAt = rows[6].convert<std::string>();
  row.claimedBy = rows[7].convert<std::string>();
  row.claimedUntil = rows[8].convert<std::string>();
  row.lastError = rows[9].convert<std::string>();
  row.receipt = rows[10].convert<std::string>();
  row.createdAt = rows[11].convert<std::string>();
  row.updatedAt = rows[12].convert<std::string>();
  return row;
}

std::vector<OutboxRow> selectById(Poco::Data::Session& session, std::int64_t id) {
  Poco::Int64 key = id;
  Poco::Data::Statement select(session);
  select << "SELECT " << kColumns << " FROM outbox o WHERE o.id = ?", use(key), now;
  Poco::Data::RecordSet rows(select);
  std::vector<OutboxRow> out;
  for (bool more = rows.moveFirst(); more; more = rows.moveNext()) out.push_back(readRow(rows));
  return out;
}

}  // namespace

Result<std::vector<OutboxClaim>> SqliteStore::claimDeliveries(const std::string& destination,
                                                              const std::string& worker, int limit,
                                                              const std::string& nowText,
                                                              const std::string& leaseUntil) {
  std::vector<OutboxClaim> claims;
  std::vector<std::size_t> rebuild;  // claims whose bundleJson holds the note JSON for now
  fhir::Outcome outcome = withWriteSession([&](Poco::Data::Session& session, fhir::Outcome&) {
    session << "BEGIN IMMEDIATE", now;
    try {
      std::string name = destination, at = nowText, holder = worker, until = leaseUntil;
      int n = limit;
      Poco::Data::Statement select(session);
      select << "SELECT " << kColumns
             << ", n.bundle_json, n.bundle_form, n.note_json FROM outbox o JOIN notes n ON "
                "n.id = o.note_id AND "
                "n.version = o.note_version WHERE o.destination = ? AND "
                "((o.state = 'pending' AND o.next_attempt_at <= ?) OR "
                "(o.state = 'in-flight' AND o.claimed_until <= ?)) "
                "ORDER BY o.next_attempt_at, o.id LIMIT ?",
          use(name), use(at), use(at), use(n), now;
      Poco::Data::RecordSet rows(select);
      for (bool more = rows.moveFirst(); more; more = rows.moveNext()) {
        OutboxClaim claim;
        claim.row = readRow(rows);
        claim.bundleJson = rows[13].convert<std::string>();
        if (rows[14].convert<std::string>() == "mapped") {
          // Rebuilt after the commit, outside the write lock.
          claim.bundleJson = rows[15].convert<std::string>();
          rebuild.push_back(claims.size());
        }
        claims.push_back(std::move(claim));
      }
      for (OutboxClaim& claim : claims) {
        Poco::Int64 id = claim.row.id;
        session << "UPDATE outbox SET state = 'in-flight', claimed_by = ?, claimed_until = ?, "
                   "attempts = attempts + 1, updated_at = ? WHERE id = ?",
            use(holder), use(until), use(at), use(id), now;
        claim.row.state = "in-flight";
        claim.row.claimedBy = worker;
        claim.row.claimedUntil = leaseUntil;
        claim.row.attempts += 1;
        claim.row.updatedAt = nowText;
      }
      session << "COMMIT", now;
    } catch (...) {
      sqlite::rollbackQuietly(session);
      throw;
    }
  });
  if (outcome.hasErrors()) return Result<std::vector<OutboxClaim>>(std::move(outcome));
  for (std::size_t index : rebuild) {
    OutboxClaim& claim = claims[index];
    auto bundle = noteBundleJson(claim.bundleJson);
    // A note the mapper no longer accepts: an empty body, which the forwarder reports as a
    // failed attempt on the row (retried, then dead-letter) rather than sending anything.
    claim.bundleJson = bundle ? std::move(*bundle) : std::string();
  }
  return claims;
}

Result<int> SqliteStore::finishDeliveries(const std::string& worker,
                                          const std::vector<OutboxFinish>& results,
                                          const std::string& nowText) {
  int updated = 0;
  if (results.empty()) return updated;
  fhir::Outcome outcome =
      withWriteSession([&](Poco::Data::Session& session, fhir::Outcome& issues) {
        session << "BEGIN IMMEDIATE", now;
        try {
          std::string holder = worker, at = nowText;
          std::optional<sqlite::StatementCache> statements;
          for (const OutboxFinish& result : results) {
            if (result.state != "delivered" && result.state != "pending" &&
                result.state != "dead-letter") {
              issues.add(Severity::kError, "invalid",
                         "an outbox row cannot finish in state '" + result.state + "'");
              sqlite::rollbackQuietly(session);
              return;
            }
            Poco::Int64 id = result.id;
            std::string state = result.state, error = result.lastError, receipt = result.receipt;
            std::string next = result.state == "pending" ? result.nextAttemptAt : nowText;
            Poco::Data::Statement update(session);
            update << "UPDATE outbox SET state = ?, next_attempt_at = ?, last_error = ?, "
                      "receipt = ?, claimed_by = NULL, claimed_until = NULL, updated_at = ? "
                      "WHERE id = ? AND state = 'in-flight' AND claimed_by = ?",
                use(state), use(next), use(error), use(receipt), use(at), use(id), use(holder);
            const std::size_t changed = update.execute();
            updated += static_cast<int>(changed);
            if (changed == 1 && result.record) {
              if (!statements) statements.emplace(session);
              if (!sqlite::writeInTransaction(session, *statements, *result.record, issues)) {
                sqlite::rollbackQuietly(session);
                return;
              }
            }
          }
          statements.reset();
          session << "COMMIT", now;
        } catch (...) {
          sqlite::rollbackQuietly(session);
          throw;
        }
      });
  if (outcome.hasErrors()) return Result<int>(std::move(outcome));
  return updated;
}

Result<std::vector<OutboxRow>> SqliteStore::listDeliveries(const OutboxQuery& query) {
  std::vector<OutboxRow> out;
  fhir::Outcome outcome = withSession([&](Poco::Data::Session& session, fhir::Outcome&) {
    std::string state = query.state, destination = query.destination, note = query.noteId;
    int version = query.noteVersion.value_or(0);
    int hasVersion = query.noteVersion ? 1 : 0;
    Poco::Int64 after = query.afterId;
    int count = std::max(1, std::min(query.count, 1000));
    Poco::Data::Statement select(session);
    select << "SELECT " << kColumns
           << " FROM outbox o WHERE (? = '' OR o.state = ?) AND (? = '' OR o.destination = ?) "
              "AND (? = '' OR o.note_id = ?) AND (? = 0 OR o.note_version = ?) AND o.id > ? "
              "ORDER BY o.id LIMIT ?",
        use(state), use(state), use(destination), use(destination), use(note), use(note),
        use(hasVersion), use(version), use(after), use(count), now;
    Poco::Data::RecordSet rows(select);
    for (bool more = rows.moveFirst(); more; more = rows.moveNext()) out.push_back(readRow(rows));
  });
  if (outcome.hasErrors()) return Result<std::vector<OutboxRow>>(std::move(outcome));
  return out;
}

Result<OutboxRow> SqliteStore::readDelivery(std::int64_t id) {
  std::vector<OutboxRow> found;
  fhir::Outcome outcome = withSession(
      [&](Poco::Data::Session& session, fhir::Outcome&) { found = selectById(session, id); });
  if (outcome.hasErrors()) return Result<OutboxRow>(std::move(outcome));
  if (found.empty()) {
    return Result<OutboxRow>::failure(Severity::kError, "not-found",
                                      "no delivery " + std::to_string(id));
  }
  return std::move(found.front());
}

Result<OutboxRow> SqliteStore::retryDelivery(std::int64_t id, const std::string& nowText) {
  std::vector<OutboxRow> found;
  fhir::Outcome outcome =
      withWriteSession([&](Poco::Data::Session& session, fhir::Outcome& issues) {
        Poco::Int64 key = id;
        std::string at = nowText;
        Poco::Data::Statement update(session);
        update << "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?, "
                  "updated_at = ? WHERE id = ? AND state = 'dead-letter'",
            use(at), use(at), use(key);
        const std::size_t changed = update.execute();
        found = selectById(session, id);
        if (found.empty()) {
          issues.add(Severity::kError, "not-found", "no delivery " + std::to_string(id));
        } else if (changed == 0) {
          issues.add(Severity::kError, "conflict",
                     "delivery " + std::to_string(id) + " is " + found.front().state +
                         "; only dead-letter deliveries can be retried");
        }
      });
  if (outcome.hasErrors()) return Result<OutboxRow>(std::move(outcome));
  return std::move(found.front());
}

}  // namespace notebridge::gateway

// SqliteStore's FHIR resource storage: versions, the current version, and the search index.
#include <Poco/Data/RecordSet.h>
#include <Poco/Data/SQLite/Utility.h>
#include <Poco/Data/Statement.h>
#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>

#include <algorithm>
#include <mutex>
#include <tuple>

#include "notebridge/gateway/sqlite_store.h"
#include "storage/sqlite_session.h"

using namespace Poco::Data::Keywords;

namespace notebridge::gateway {

using fhir::Result;
using fhir::Severity;

namespace {

// SQL with its bound values, built up as a search's conditions are added.
struct SqlBuilder {
  std::string sql;
  std::vector<std::string> values;
  void bind(std::string value) {
    sql += '?';
    values.push_back(std::move(value));
  }
};

void addAlternative(SqlBuilder& q, const SearchCriterion& criterion,
                    const SearchCriterion::Alternative& alt) {
  const std::string& kind = criterion.kind;
  if (kind == "id") {
    q.sql += "r.id = ";
    q.bind(alt.value);
    return;
  }
  if (kind == "lastUpdated" || kind == "date") {
    // Range semantics of https://hl7.org/fhir/R4/search.html#prefix: the target range is
    // [low, high] (the column pair), the searched range [alt.value, alt.high].
    const std::string low = kind == "lastUpdated" ? "r.last_updated" : "i.value";
    const std::string high = kind == "lastUpdated" ? "r.last_updated" : "i.high";
    const std::string& p = alt.prefix;
    if (p == "gt") {
      q.sql += high + " > ";
      q.bind(alt.high);
    } else if (p == "lt") {
      q.sql += low + " < ";
      q.bind(alt.value);
    } else if (p == "ge") {
      q.sql += high + " >= ";
      q.bind(alt.value);
    } else if (p == "le") {
      q.sql += low + " <= ";
      q.bind(alt.high);
    } else if (p == "ne") {
      q.sql += "NOT (" + low + " >= ";
      q.bind(alt.value);
      q.sql += " AND " + high + " <= ";
      q.bind(alt.high);
      q.sql += ")";
    } else {  // eq: the searched range contains the target range
      q.sql += "(" + low + " >= ";
      q.bind(alt.value);
      q.sql += " AND " + high + " <= ";
      q.bind(alt.high);
      q.sql += ")";
    }
    return;
  }
  if (kind == "token") {
    q.sql += "(1 = 1";
    if (alt.hasSystem) {
      q.sql += " AND i.system = ";
      q.bind(alt.system);
    }
    if (!alt.value.empty()) {
      q.sql += " AND i.value = ";
      q.bind(alt.value);
    }
    q.sql += ")";
    return;
  }
  if (kind == "reference") {
    // A reference is stored as "#rid" when its target was stored here at the time, as text
    // otherwise (sqlite::referenceByRid): both forms match. "Patient/123" exactly, or a bare id
    // matching any type.
    const std::size_t slash = alt.value.find('/');
    if (slash != std::string::npos) {
      // Two equalities rather than IN (a, b): SQLite builds a temporary b-tree for an IN list
      // with a subquery in it, which cost ~10 us per search.
      q.sql += "(i.value = ";
      q.bind(alt.value);
      q.sql += " OR i.value = (SELECT '#' || rid FROM resources WHERE type = ";
      q.bind(alt.value.substr(0, slash));
      q.sql += " AND id = ";
      q.bind(alt.value.substr(slash + 1));
      q.sql += "))";
    } else {
      // The text form ends with "/id", compared exactly as the rid form's `id =` is (LIKE
      // would ignore case and read '%' and '_' in the id as wildcards, so the answer would
      // depend on which form a row was written in).
      const std::string suffix = "/" + alt.value;
      q.sql += "(substr(i.value, -length(";
      q.bind(suffix);
      q.sql += ")) = ";
      q.bind(suffix);
      // The rids of every type's resource with this id: the types by a skip over the
      // (type, last_updated) index, then one (type, id) probe each.
      q.sql +=
          " OR i.value IN (WITH RECURSIVE t(type) AS (SELECT MIN(type) FROM resources UNION ALL "
          "SELECT (SELECT MIN(type) FROM resources WHERE type > t.type) FROM t WHERE t.type IS "
          "NOT NULL) SELECT '#' || r.rid FROM t JOIN resources r ON r.type = t.type AND r.id = ";
      q.bind(alt.value);
      q.sql += "))";
    }
    return;
  }
  // string: starts with, or exact
  if (alt.prefix == "exact") {
    q.sql += "i.system = ";  // strings keep their original text in `system`
    q.bind(alt.value);
  } else {
    q.sql += "substr(i.value, 1, length(";
    q.bind(alt.value);
    q.sql += ")) = ";
    q.bind(alt.value);
  }
}

void addCriteria(SqlBuilder& q, const std::string& type,
                 const std::vector<SearchCriterion>& criteria) {
  for (const SearchCriterion& criterion : criteria) {
    const bool onResource = criterion.kind == "id" || criterion.kind == "lastUpdated";
    // An uncorrelated IN: SQLite finds the matching ids through the (type, param, value)
    // index first instead of probing the index once per resource of the type.
    q.sql +=
        onResource ? " AND (" : " AND r.rid IN (SELECT i.rid FROM search_index i WHERE i.type = ";
    if (!onResource) {
      q.bind(type);
      q.sql += " AND i.param = ";
      q.bind(criterion.param);
      q.sql += " AND (";
    }
    for (std::size_t a = 0; a < criterion.alternatives.size(); ++a) {
      if (a > 0) q.sql += " OR ";
      addAlternative(q, criterion, criterion.alternatives[a]);
    }
    q.sql += onResource ? ")" : "))";
  }
}

void bindAll(Poco::Data::Statement& statement, std::vector<std::string>& values) {
  for (std::string& value : values) statement, use(value);
}

std::vector<std::string> matchingIds(Poco::Data::Session& session, const std::string& type,
                                     const std::vector<SearchCriterion>& criteria, int limit) {
  SqlBuilder q;
  q.sql = "SELECT r.id FROM resources r WHERE r.type = ";
  q.bind(type);
  q.sql += " AND r.deleted = 0";
  addCriteria(q, type, criteria);
  q.sql += " LIMIT " + std::to_string(limit);
  Poco::Data::Statement select(session);
  select << q.sql;
  bindAll(select, q.values);
  std::vector<std::string> ids;
  select, into(ids), now;
  return ids;
}

// An instant with millisecond precision in UTC: lexically ordered like the times it names.
std::string nowInstant() {
  return Poco::DateTimeFormatter::format(Poco::DateTime(), "%Y-%m-%dT%H:%M:%S.%iZ");
}

std::vector<ResourceVersion> readVersions(Poco::Data::Statement& select) {
  Poco::Data::RecordSet rows(select);
  std::vector<ResourceVersion> out;
  for (bool more = rows.moveFirst(); more; more = rows.moveNext()) {
    ResourceVersion v;
    v.type = rows[0].convert<std::string>();
    v.id = rows[1].convert<std::string>();
    v.version = rows[2].convert<int>();
    v.lastUpdated = rows[3].convert<std::string>();
    v.deleted = rows[4].convert<int>() != 0;
    v.body = rows[5].convert<std::string>();
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace

namespace sqlite {

std::vector<std::string> matchingIds(Poco::Data::Session& session, const std::string& type,
                                     const std::vector<SearchCriterion>& criteria, int limit) {
  return ::notebridge::gateway::matchingIds(session, type, criteria, limit);
}

std::string nowInstant() { return ::notebridge::gateway::nowInstant(); }

StatementCache::StatementCache(Poco::Data::Session& session)
    : db_(Poco::Data::SQLite::Utility::dbHandle(session)) {}

StatementCache::~StatementCache() {
  for (auto& [sql, statement] : statements_) sqlite3_finalize(statement);
}

sqlite3_stmt* StatementCache::get(const char* sql) {
  for (auto& [text, statement] : statements_) {
    if (text == sql) {
      sqlite3_reset(statement);
      sqlite3_clear_bindings(statement);
      return statement;
    }
  }
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(db_, sql, -1, &statement, nullptr) != SQLITE_OK) {
    throw Poco::Data::DataException(std::string("cannot prepare a statement: ") +
                                    sqlite3_errmsg(db_));
  }
  statements_.emplace_back(sql, statement);
  return statement;
}

bool StatementCache::step(sqlite3_stmt* statement) {
  const int rc = sqlite3_step(statement);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw Poco::Data::DataException(std::string("statement failed: ") + sqlite3_errmsg(db_));
}

void StatementCache::bind(sqlite3_stmt* statement, int index, const std::string& text) {
  sqlite3_bind_text(statement, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
}

void StatementCache::exec(const char* sql) {
  sqlite3_stmt* statement = get(sql);
  step(statement);
  sqlite3_reset(statement);
}

void StatementCache::resetAll() {
  for (auto& [sql, statement] : statements_) sqlite3_reset(statement);
}

void StatementCache::bind(sqlite3_stmt* statement, int index, int value) {
  sqlite3_bind_int(statement, index, value);
}

void StatementCache::bind(sqlite3_stmt* statement, int index, std::int64_t value) {
  sqlite3_bind_int64(statement, index, value);
}

std::int64_t StatementCache::lastInsertRowid() const { return sqlite3_last_insert_rowid(db_); }

const std::string& StatementCache::now() {
  if (now_.empty()) now_ = nowInstant();
  return now_;
}

namespace {
// NULL for no digest: such a version is compared by its body.
void bindHash(sqlite3_stmt* statement, int index, const std::string& hash) {
  if (hash.empty()) {
    sqlite3_bind_null(statement, index);
  } else {
    sqlite3_bind_text(statement, index, hash.data(), static_cast<int>(hash.size()), SQLITE_STATIC);
  }
}
// The index value of a reference "Type/id" whose target is stored here: "#" and the target's
// rid ("" when it is not stored, or not "Type/id"). Rids grow with every new resource, so the
// references to new resources append at the end of their (type, param) range of
// search_index_by_value, where their text (random UUIDs) dirtied a page of its own each. A rid
// never changes owner (a deletion keeps the row), and '#' starts no reference text that is
// indexed (contained references are not): the form is unambiguous.
std::string referenceByRid(StatementCache& statements, const std::string& reference) {
  const std::size_t slash = reference.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == reference.size()) return {};
  if (const std::optional<std::int64_t> known = statements.knownRid(reference)) {
    return "#" + std::to_string(*known);
  }
  const std::string type = reference.substr(0, slash);
  const std::string id = reference.substr(slash + 1);
  sqlite3_stmt* select = statements.get("SELECT rid FROM resources WHERE type = ? AND id = ?");
  statements.bind(select, 1, type);
  statements.bind(select, 2, id);
  if (!statements.step(select)) return {};
  std::string out = "#" + std::to_string(sqlite3_column_int64(select, 0));
  sqlite3_reset(select);
  return out;
}

// One row of search_index, as stored for a resource.
struct IndexRow {
  std::string param;
  std::string value;
  std::string system;
  std::string high;
};

// A resource's index rows as stored (its range of the primary key).
std::vector<IndexRow> indexRows(StatementCache& statements, std::int64_t rid) {
  std::vector<IndexRow> rows;
  sqlite3_stmt* select =
      statements.get("SELECT param, value, system, high FROM search_index WHERE rid = ?");
  statements.bind(select, 1, rid);
  while (statements.step(select)) {
    rows.push_back({columnText(select, 0), columnText(select, 1), columnText(select, 2),
                    columnText(select, 3)});
  }
  return rows;
}

}  // namespace

std::string columnText(sqlite3_stmt* statement, int column) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, column));
  return text ? std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(statement, column)))
              : std::string();
}

std::optional<WriteResult> writeInTransaction(Poco::Data::Session& session,
                                              StatementCache& statements,
                                              const ResourceWrite& write, fhir::Outcome& issues) {
  WriteResult result;
  if (write.ifNoneExist) {
    const std::vector<std::string> ids = matchingIds(session, write.type, *write.ifNoneExist, 2);
    if (ids.size() > 1) {
      issues.add(Severity::kError, "duplicate",
                 "the If-None-Exist criteria match more than one " + write.type);
      return std::nullopt;
    }
    if (ids.size() == 1) {
      std::string type = write.type, id = ids.front();
      Poco::Data::Statement select(session);
      select << "SELECT r.type, r.id, v.version, v.last_updated, v.deleted, v.body "
                "FROM resources r JOIN resource_versions v ON v.rid = r.rid AND "
                "v.version = r.version WHERE r.type = ? AND r.id = ?",
          use(type), use(id), now;
      result.written = readVersions(select).front();
      result.matchedExisting = true;
      return result;
    }
  }
  std::optional<ResourceVersion> current;
  std::int64_t rid = 0;
  std::string currentHash;
  {
    sqlite3_stmt* select = statements.get(
        "SELECT rid, version, last_updated, deleted, content_hash FROM resources "
        "WHERE type = ? AND id = ?");
    statements.bind(select, 1, write.type);
    statements.bind(select, 2, write.id);
    if (statements.step(select)) {
      current.emplace();
      current->type = write.type;
      current->id = write.id;
      rid = sqlite3_column_int64(select, 0);
      statements.rememberRid(write.type, write.id, rid);
      current->version = sqlite3_column_int(select, 1);
      current->lastUpdated = columnText(select, 2);
      current->deleted = sqlite3_column_int(select, 3) != 0;
      currentHash = columnText(select, 4);
    }
  }
  if (current && write.mustNotExist) {
    issues.add(Severity::kError, "duplicate", write.type + "/" + write.id + " exists");
    return std::nullopt;
  }
  if (write.ifMatch && (!current || current->version != *write.ifMatch)) {
    issues.add(Severity::kError, "conflict",
               "If-Match version " + std::to_string(*write.ifMatch) + " is not current (" +
                   (current ? std::to_string(current->version) : std::string("none")) + ")");
    return std::nullopt;
  }
  if (current && !current->deleted && write.skipUnchanged) {
    if (!write.contentHash.empty() && !currentHash.empty()) {
      // Both digests cover everything but the version stamp: equal means the same content,
      // decided without reading the stored body.
      if (write.contentHash == currentHash) {
        result.written = std::move(*current);
        return result;
      }
    } else {
      // A version stored without a digest (before migration 6, or by a writer without one):
      // render as the current version would be; equal text means equal content.
      sqlite3_stmt* select =
          statements.get("SELECT body FROM resource_versions WHERE rid = ? AND version = ?");
      statements.bind(select, 1, rid);
      statements.bind(select, 2, current->version);
      if (statements.step(select)) current->body = columnText(select, 0);
      if (!current->body.empty() && write.render(*current) == current->body) {
        result.written = std::move(*current);
        return result;
      }
    }
  }
  ResourceVersion& v = result.written;
  v.type = write.type;
  v.id = write.id;
  v.version = current ? current->version + 1 : 1;
  v.lastUpdated = statements.now();
  // A resource's versions stay in order even if the clock stepped back.
  if (current && v.lastUpdated < current->lastUpdated) v.lastUpdated = current->lastUpdated;
  v.body = write.render(v);
  if (current) {
    sqlite3_stmt* update = statements.get(
        "UPDATE resources SET version = ?, last_updated = ?, deleted = 0, content_hash = ? "
        "WHERE rid = ?");
    statements.bind(update, 1, v.version);
    statements.bind(update, 2, v.lastUpdated);
    bindHash(update, 3, write.contentHash);
    statements.bind(update, 4, rid);
    statements.step(update);
  } else {
    sqlite3_stmt* insert = statements.get(
        "INSERT INTO resources (type, id, version, last_updated, deleted, content_hash) "
        "VALUES (?, ?, ?, ?, 0, ?)");
    statements.bind(insert, 1, v.type);
    statements.bind(insert, 2, v.id);
    statements.bind(insert, 3, v.version);
    statements.bind(insert, 4, v.lastUpdated);
    bindHash(insert, 5, write.contentHash);
    statements.step(insert);
    rid = statements.lastInsertRowid();
    statements.rememberRid(write.type, write.id, rid);
  }
  {
    sqlite3_stmt* insert = statements.get(
        "INSERT INTO resource_versions (rid, version, last_updated, deleted, body) "
        "VALUES (?, ?, ?, 0, ?)");
    statements.bind(insert, 1, rid);
    statements.bind(insert, 2, v.version);
    statements.bind(insert, 3, v.lastUpdated);
    statements.bind(insert, 4, v.body);
    statements.step(insert);
  }
  // An update keeps the index rows the new version has too, and changes only the others: a
  // note updates its client's Conditions with every note, and most of their rows (code,
  // identifier, subject) stay as they were (deleting and inserting them again cost two b-tree
  // writes each, in the table and in the value index).
  // The stored rows are sorted once and looked up by binary search (a resource can have
  // hundreds of thousands of identifiers, and this runs under the write lock); a row the new
  // version keeps is marked, and the rows left unmarked are deleted.
  std::vector<IndexRow> stale;
  if (current) stale = indexRows(statements, rid);
  const auto key = [](const IndexRow& row) {
    return std::tie(row.param, row.value, row.system, row.high);
  };
  std::sort(stale.begin(), stale.end(),
            [&](const IndexRow& a, const IndexRow& b) { return key(a) < key(b); });
  std::vector<bool> kept(stale.size(), false);
  for (const IndexEntry& entry : write.index) {
    std::string byRid;
    if (entry.kind == "reference") byRid = referenceByRid(statements, entry.value);
    const std::string& value = byRid.empty() ? entry.value : byRid;
    const auto wanted = std::tie(entry.param, value, entry.system, entry.high);
    auto match = std::lower_bound(stale.begin(), stale.end(), wanted,
                                  [&](const IndexRow& row, const auto& k) { return key(row) < k; });
    // The first equal row not kept yet (the same row twice in the new version keeps one).
    while (match != stale.end() && key(*match) == wanted && kept[match - stale.begin()]) ++match;
    if (match != stale.end() && key(*match) == wanted) {
      kept[match - stale.begin()] = true;
      continue;
    }
    sqlite3_stmt* insert = statements.get(
        "INSERT OR IGNORE INTO search_index (rid, type, param, value, system, high) "
        "VALUES (?, ?, ?, ?, ?, ?)");
    statements.bind(insert, 1, rid);
    statements.bind(insert, 2, v.type);
    statements.bind(insert, 3, entry.param);
    statements.bind(insert, 4, value);
    statements.bind(insert, 5, entry.system);
    statements.bind(insert, 6, entry.high);
    statements.step(insert);
  }
  for (std::size_t i = 0; i < stale.size(); ++i) {
    if (kept[i]) continue;
    const IndexRow& row = stale[i];
    sqlite3_stmt* remove = statements.get(
        "DELETE FROM search_index WHERE rid = ? AND param = ? AND value = ? AND system = ? AND "
        "high = ?");
    statements.bind(remove, 1, rid);
    statements.bind(remove, 2, row.param);
    statements.bind(remove, 3, row.value);
    statements.bind(remove, 4, row.system);
    statements.bind(remove, 5, row.high);
    statements.step(remove);
  }
  result.created = !current;
  return result;
}

void rollbackQuietly(Poco::Data::Session& session) {
  try {
    session << "ROLLBACK", now;
  } catch (...) {
    // The original failure is the one to report.
  }
}

}  // namespace sqlite

namespace {

class SqliteResourceTransaction final : public ResourceTransaction {
 public:
  explicit SqliteResourceTransaction(Poco::Data::Session& session)
      : session_(session), statements_(session) {}
  Result<WriteResult> write(const ResourceWrite& write) override {
    fhir::Outcome issues;
    auto result = sqlite::writeInTransaction(session_, statements_, write, issues);
    if (!result) return Result<WriteResult>(std::move(issues));
    return std::move(*result);
  }
  Result<std::vector<std::string>> matchingIds(const std::string& type,
                                               const std::vector<SearchCriterion>& criteria,
                                               int limit) override {
    return sqlite::matchingIds(session_, type, criteria, limit);
  }
  Result<NoteWriteResult> writeNote(const NoteWrite& write) override {
    fhir::Outcome issues;
    auto result = sqlite::writeNoteInTransaction(session_, statements_, write, issues);
    if (!result) return Result<NoteWriteResult>(std::move(issues));
    return std::move(*result);
  }
  Result<NoteRecord> readNote(const std::string& id, std::optional<int> version) override {
    auto found = sqlite::readNoteInTransaction(session_, id, version);
    if (!found) {
      return Result<NoteRecord>::failure(
          Severity::kError, "not-found",
          "note " + id + (version ? " version " + std::to_string(*version) : "") + " is not known");
    }
    return std::move(*found);
  }
  void finish() { statements_.resetAll(); }

 private:
  Poco::Data::Session& session_;
  sqlite::StatementCache statements_;
};

}  // namespace

fhir::Outcome SqliteStore::writeResources(
    const std::function<fhir::Outcome(ResourceTransaction&)>& work) {
  fhir::Outcome result;
  fhir::Outcome outcome = withWriteSession([&](Poco::Data::Session& session, fhir::Outcome&) {
    session << "BEGIN IMMEDIATE", now;
    try {
      SqliteResourceTransaction transaction(session);
      result = work(transaction);
      transaction.finish();
      if (result.hasErrors()) {
        session << "ROLLBACK", now;
      } else {
        session << "COMMIT", now;
      }
    } catch (...) {
      sqlite::rollbackQuietly(session);
      throw;
    }
  });
  outcome.append(result);
  return outcome;
}

// One resource is a transaction of one write.
Result<WriteResult> SqliteStore::writeResource(const ResourceWrite& write) {
  std::optional<WriteResult> result;
  fhir::Outcome outcome = writeResources([&](ResourceTransaction& transaction) {
    Result<WriteResult> written = transaction.write(write);
    if (!written) return std::move(written.outcome());
    result = std::move(*written);
    return fhir::Outcome{};
  });
  if (outcome.hasErrors() || !result) return Result<WriteResult>(std::move(outcome));
  return std::move(*result);
}

namespace {

// A row of SELECT type, id, version, last_updated, deleted, body.
ResourceVersion versionRow(sqlite3_stmt* select) {
  ResourceVersion v;
  v.type = sqlite::columnText(select, 0);
  v.id = sqlite::columnText(select, 1);
  v.version = sqlite3_column_int(select, 2);
  v.lastUpdated = sqlite::columnText(select, 3);
  v.deleted = sqlite3_column_int(select, 4) != 0;
  v.body = sqlite::columnText(select, 5);
  return v;
}

}  // namespace

Result<ResourceVersion> SqliteStore::readResource(const std::string& type, const std::string& id,
                                                  std::optional<int> version) {
  // The hot read path: a read connection and its prepared statements.
  static const std::string kCurrent =
      "SELECT r.type, r.id, v.version, v.last_updated, v.deleted, v.body "
      "FROM resources r JOIN resource_versions v ON v.rid = r.rid AND v.version = r.version "
      "WHERE r.type = ? AND r.id = ?";
  static const std::string kVersion =
      "SELECT r.type, r.id, v.version, v.last_updated, v.deleted, v.body "
      "FROM resources r JOIN resource_versions v ON v.rid = r.rid "
      "WHERE r.type = ? AND r.id = ? AND v.version = ?";
  std::optional<ResourceVersion> found;
  fhir::Outcome outcome = withReads([&](SqliteReadPool::Connection& c) {
    sqlite3_stmt* select = c.statement(version ? kVersion : kCurrent);
    c.bind(select, 1, type);
    c.bind(select, 2, id);
    if (version) c.bind(select, 3, *version);
    if (c.step(select)) found = versionRow(select);
  });
  if (outcome.hasErrors()) return Result<ResourceVersion>(std::move(outcome));
  if (!found) {
    return Result<ResourceVersion>::failure(
        Severity::kError, "not-found",
        type + "/" + id + (version ? "/_history/" + std::to_string(*version) : "") +
            " is not known");
  }
  if (found->deleted) {
    return Result<ResourceVersion>::failure(Severity::kError, "deleted",
                                            type + "/" + id + " was deleted");
  }
  return std::move(*found);
}

Result<std::vector<ResourceVersion>> SqliteStore::history(const std::string& type,
                                                          const std::string& id, int count) {
  static const std::string kOfType =
      "SELECT r.type, r.id, v.version, v.last_updated, v.deleted, v.body "
      "FROM resources r JOIN resource_versions v ON v.rid = r.rid "
      "WHERE r.type = ? ORDER BY v.last_updated DESC, r.id, v.version DESC LIMIT ?";
  static const std::string kOfResource =
      "SELECT r.type, r.id, v.version, v.last_updated, v.deleted, v.body "
      "FROM resources r JOIN resource_versions v ON v.rid = r.rid "
      "WHERE r.type = ? AND r.id = ? ORDER BY v.version DESC LIMIT ?";
  std::vector<ResourceVersion> found;
  fhir::Outcome outcome = withReads([&](SqliteReadPool::Connection& c) {
    sqlite3_stmt* select = c.statement(id.empty() ? kOfType : kOfResource);
    int at = 1;
    c.bind(select, at++, type);
    if (!id.empty()) c.bind(select, at++, id);
    c.bind(select, at, count);
    while (c.step(select)) found.push_back(versionRow(select));
  });
  if (outcome.hasErrors()) return Result<std::vector<ResourceVersion>>(std::move(outcome));
  if (!id.empty() && found.empty()) {
    return Result<std::vector<ResourceVersion>>::failure(Severity::kError, "not-found",
                                                         type + "/" + id + " is not known");
  }
  return found;
}

namespace {

bool onResource(const SearchCriterion& criterion) {
  return criterion.kind == "id" || criterion.kind == "lastUpdated";
}

// The conditions of `criteria` (all but `skip`) on one resource row `r`: index criteria as
// EXISTS over that resource's own index rows (the (rid, param) prefix of search_index's
// primary key; the value index cannot serve them, its first column type is not bound), the
// rest on `r`.
void addCorrelatedCriteria(SqlBuilder& q, const std::vector<SearchCriterion>& criteria,
                           const SearchCriterion* skip) {
  for (const SearchCriterion& criterion : criteria) {
    if (&criterion == skip) continue;
    if (onResource(criterion)) {
      q.sql += " AND (";
    } else {
      q.sql += " AND EXISTS (SELECT 1 FROM search_index i WHERE i.rid = r.rid AND i.param = ";
      q.bind(criterion.param);
      q.sql += " AND (";
    }
    for (std::size_t a = 0; a < criterion.alternatives.size(); ++a) {
      if (a > 0) q.sql += " OR ";
      addAlternative(q, criterion, criterion.alternatives[a]);
    }
    q.sql += onResource(criterion) ? ")" : "))";
  }
}

// The key of a search's page: a current version, with its row when it was read already.
struct PageKey {
  std::string id;
  std::int64_t rid = 0;
  int version = 0;
  std::optional<ResourceVersion> row;
};

// A page found in one SQL statement (index criteria as IN subqueries), SQLite walking the
// type in order: for searches without an index criterion, or with one that matches too much
// to sort here. Returns the total.
int pageByType(SqliteReadPool::Connection& c, const SearchQuery& query,
               const std::vector<SortKey>& sort, std::vector<PageKey>& keys) {
  SqlBuilder where;
  where.sql = " WHERE r.type = ";
  where.bind(query.type);
  where.sql += " AND r.deleted = 0";
  addCriteria(where, query.type, query.criteria);
  std::string order = " ORDER BY ";
  std::vector<std::string> values = where.values;
  for (const SortKey& key : sort) {
    const char* direction = key.descending ? " DESC, " : " ASC, ";
    if (key.param == "_id") {
      order += std::string("r.id") + direction;
    } else if (key.param == "_lastUpdated") {
      order += std::string("r.last_updated") + direction;
    } else {
      order += std::string(
                   "(SELECT MIN(s.value) FROM search_index s WHERE s.rid = r.rid AND "
                   "s.param = ?)") +
               direction;
      values.push_back(key.param);
    }
  }
  order += "r.id";  // ties in a stable order, so pages neither repeat nor skip
  // One row more than the page: when it is not there, this is the last page and the total is
  // known without counting.
  sqlite3_stmt* select = c.statement("SELECT r.id, r.version, r.rid FROM resources r" + where.sql +
                                     order + " LIMIT ? OFFSET ?");
  int at = 1;
  for (const std::string& value : values) c.bind(select, at++, value);
  c.bind(select, at++, query.count + 1);
  c.bind(select, at, query.offset);
  while (c.step(select)) {
    keys.push_back({sqlite::columnText(select, 0),
                    sqlite3_column_int64(select, 2),
                    sqlite3_column_int(select, 1),
                    {}});
  }
  const int shown = static_cast<int>(keys.size());
  if (shown > query.count) keys.resize(static_cast<std::size_t>(query.count));
  if (shown <= query.count && (shown > 0 || query.offset == 0)) return query.offset + shown;
  sqlite3_stmt* count = c.statement("SELECT COUNT(*) FROM resources r" + where.sql);
  at = 1;
  for (const std::string& value : where.values) c.bind(count, at++, value);
  return c.step(count) ? sqlite3_column_int(count, 0) : 0;
}

// A page found through the index: the ids the first index criterion matches (one index range,
// no temporary tables), each checked against the other criteria by primary key and given its
// sort keys, then sorted here. SQLite's plan for the same query in one statement (an IN
// subquery and ORDER BY ... LIMIT) built two temporary b-trees per search, which cost more
// than the search itself; this way the total comes for free too. Returns the total.
// Nothing when the criterion matches more than kMaxCandidates index rows: the caller walks the
// type in SQL instead, which keeps memory bounded and can stop at the page.
constexpr std::size_t kMaxCandidates = 5000;

std::optional<int> pageByIndex(SqliteReadPool::Connection& c, const SearchQuery& query,
                               const std::vector<SortKey>& sort, const SearchCriterion& driving,
                               std::vector<PageKey>& keys) {
  std::vector<std::int64_t> rids;
  {
    SqlBuilder q;
    q.sql = "SELECT i.rid FROM search_index i WHERE i.type = ";
    q.bind(query.type);
    q.sql += " AND i.param = ";
    q.bind(driving.param);
    q.sql += " AND (";
    for (std::size_t a = 0; a < driving.alternatives.size(); ++a) {
      if (a > 0) q.sql += " OR ";
      addAlternative(q, driving, driving.alternatives[a]);
    }
    q.sql += ")";
    sqlite3_stmt* select = c.statement(q.sql);
    int at = 1;
    for (const std::string& value : q.values) c.bind(select, at++, value);
    while (c.step(select)) {
      if (rids.size() == kMaxCandidates) return std::nullopt;
      rids.push_back(sqlite3_column_int64(select, 0));
    }
  }
  std::sort(rids.begin(), rids.end());
  rids.erase(std::unique(rids.begin(), rids.end()), rids.end());

  // Per candidate: its version, last_updated and date sort keys, when it is current and matches
  // every other criterion. When every candidate fits the first page, its body comes along
  // (one statement per resource instead of two).
  const bool withBodies = query.offset == 0 && rids.size() <= static_cast<std::size_t>(query.count);
  SqlBuilder q;
  q.sql = withBodies ? "SELECT r.id, r.version, r.last_updated, v.deleted, v.body"
                     : "SELECT r.id, r.version, r.last_updated";
  for (const SortKey& key : sort) {
    if (key.param == "_id" || key.param == "_lastUpdated") continue;
    q.sql += ", (SELECT MIN(s.value) FROM search_index s WHERE s.rid = r.rid AND s.param = ";
    q.bind(key.param);
    q.sql += ")";
  }
  q.sql += withBodies ? " FROM resources r JOIN resource_versions v ON v.rid = r.rid AND "
                        "v.version = r.version WHERE r.rid = "
                      : " FROM resources r WHERE r.rid = ";
  const std::size_t ridAt = q.values.size();  // bound per candidate, the texts once
  q.bind({});
  q.sql += " AND r.type = ";
  q.bind(query.type);
  q.sql += " AND r.deleted = 0";
  addCorrelatedCriteria(q, query.criteria, &driving);
  sqlite3_stmt* check = c.statement(q.sql);

  struct Match {
    std::string id;
    std::int64_t rid = 0;
    int version = 0;
    std::vector<std::optional<std::string>> keys;  // one per sort key; nothing for NULL
    std::optional<ResourceVersion> row;
  };
  std::vector<Match> matches;
  for (std::size_t at = 0; at < q.values.size(); ++at) {
    if (at != ridAt) c.bind(check, static_cast<int>(at) + 1, q.values[at]);
  }
  for (const std::int64_t rid : rids) {
    sqlite3_reset(check);
    c.bind(check, static_cast<int>(ridAt) + 1, rid);
    if (!c.step(check)) continue;
    Match& m = matches.emplace_back();
    m.id = sqlite::columnText(check, 0);
    m.rid = rid;
    m.version = sqlite3_column_int(check, 1);
    int column = withBodies ? 5 : 3;
    if (withBodies) {
      ResourceVersion& v = m.row.emplace();
      v.type = query.type;
      v.id = m.id;
      v.version = m.version;
      v.lastUpdated = sqlite::columnText(check, 2);
      v.deleted = sqlite3_column_int(check, 3) != 0;
      v.body = sqlite::columnText(check, 4);
    }
    for (const SortKey& key : sort) {
      if (key.param == "_id") {
        m.keys.emplace_back(m.id);
      } else if (key.param == "_lastUpdated") {
        m.keys.emplace_back(sqlite::columnText(check, 2));
      } else if (sqlite3_column_type(check, column) == SQLITE_NULL) {
        m.keys.emplace_back();
        ++column;
      } else {
        m.keys.emplace_back(sqlite::columnText(check, column++));
      }
    }
  }
  // As SQL orders text (BINARY: byte by byte), NULL before any value, then by id.
  auto before = [&](const Match& a, const Match& b) {
    for (std::size_t k = 0; k < sort.size(); ++k) {
      if (a.keys[k] == b.keys[k]) continue;
      const bool less = a.keys[k] < b.keys[k];  // nullopt sorts first
      return sort[k].descending ? !less : less;
    }
    return a.id < b.id;
  };
  const std::size_t total = matches.size();
  const std::size_t from = std::min(total, static_cast<std::size_t>(query.offset));
  const std::size_t to = std::min(total, from + static_cast<std::size_t>(query.count));
  if (to > from) {
    std::partial_sort(matches.begin(), matches.begin() + static_cast<std::ptrdiff_t>(to),
                      matches.end(), before);
  }
  for (std::size_t i = from; i < to; ++i) {
    keys.push_back(
        {std::move(matches[i].id), matches[i].rid, matches[i].version, std::move(matches[i].row)});
  }
  return static_cast<int>(total);
}

}  // namespace

Result<SearchPage> SqliteStore::search(const SearchQuery& query) {
  const std::vector<SortKey> sort =
      query.sort.empty() ? std::vector<SortKey>{{"_lastUpdated", true}} : query.sort;
  // With an index criterion the matching ids are few compared with the type: start from them
  // rather than walk every resource of the type.
  const auto driving = std::find_if(query.criteria.begin(), query.criteria.end(),
                                    [](const SearchCriterion& c) { return !onResource(c); });
  static const std::string kBody =
      "SELECT last_updated, deleted, body FROM resource_versions WHERE rid = ? AND version = ?";
  SearchPage page;
  fhir::Outcome outcome = withReads([&](SqliteReadPool::Connection& c) {
    // Keys and bodies in one read transaction: a concurrent update cannot make the page show
    // a version other than the one its keys name.
    c.step(c.statement("BEGIN"));
    struct EndRead {
      SqliteReadPool::Connection& c;
      ~EndRead() {
        c.resetUsed();
        try {
          c.step(c.statement("COMMIT"));
        } catch (const Poco::Exception&) {
          // Nothing was written; the connection's next BEGIN starts afresh either way.
        }
      }
    } endRead{c};
    std::vector<PageKey> keys;
    std::optional<int> total;
    if (driving != query.criteria.end()) total = pageByIndex(c, query, sort, *driving, keys);
    page.total = total ? *total : pageByType(c, query, sort, keys);
    // The bodies of the page only, by primary key.
    sqlite3_stmt* body = nullptr;
    page.resources.reserve(keys.size());
    for (PageKey& key : keys) {
      if (key.row) {
        page.resources.push_back(std::move(*key.row));
        continue;
      }
      if (body) {
        sqlite3_reset(body);
      } else {
        body = c.statement(kBody);
      }
      c.bind(body, 1, key.rid);
      c.bind(body, 2, key.version);
      if (!c.step(body)) continue;
      ResourceVersion& v = page.resources.emplace_back();
      v.type = query.type;
      v.id = std::move(key.id);
      v.version = key.version;
      v.lastUpdated = sqlite::columnText(body, 0);
      v.deleted = sqlite3_column_int(body, 1) != 0;
      v.body = sqlite::columnText(body, 2);
    }
  });
  if (outcome.hasErrors()) return Result<SearchPage>(std::move(outcome));
  return page;
}

}  // namespace notebridge::gateway

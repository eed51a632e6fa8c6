#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "notebridge/fhir/outcome.h"

namespace notebridge::gateway {

// An API key as listed: never its secret, which is stored only as a SHA-256 hash.
struct ApiKeyRecord {
  std::string id;         // public part of the key, shown in lists and logs
  std::string name;       // who or what it is for
  std::string createdAt;  // dateTime
  std::string revokedAt;  // empty while active
};

// One stored version of a FHIR resource: its canonical JSON with meta.versionId and
// meta.lastUpdated already set.
struct ResourceVersion {
  std::string type;
  std::string id;
  int version = 0;
  std::string lastUpdated;  // instant, UTC, millisecond precision
  bool deleted = false;
  std::string body;
};

// One value a search parameter takes for a resource (computed at write time). `kind` is
// "token" (system + value), "reference" (value "Type/id"), "string" (value lower-cased) or
// "date" (value and high: the instant range the element covers, UTC, lexically comparable).
struct IndexEntry {
  std::string param;
  std::string kind;
  std::string system;
  std::string value;
  std::string high;
  bool operator==(const IndexEntry&) const = default;
};

// One search condition: the resource matches when any of `alternatives` matches (a comma in
// the query). Kinds as in IndexEntry plus "id" and "lastUpdated" on the resource itself.
struct SearchCriterion {
  struct Alternative {
    std::string prefix;      // dates: eq, ne, gt, lt, ge, le; strings: "" (starts with) or "exact"
    std::string system;      // tokens: the system named ("" in "|code": no system)
    bool hasSystem = false;  // tokens: a system was named ("sys|code", "|code", "sys|")
    std::string value;       // tokens: the code ("" in "sys|": any code)
    std::string high;        // dates: the end of the searched range
  };
  std::string param;
  std::string kind;
  std::vector<Alternative> alternatives;
};

// One key of a search's order.
struct SortKey {
  std::string param;  // "_lastUpdated", "_id" or a date parameter (by the start of its range)
  bool descending = false;
};

struct SearchQuery {
  std::string type;
  std::vector<SearchCriterion> criteria;
  // The keys in turn, then the id; empty: _lastUpdated, newest first.
  std::vector<SortKey> sort;
  int count = 20;
  int offset = 0;
};

struct SearchPage {
  int total = 0;
  std::vector<ResourceVersion> resources;
};

// A create or update, done in one transaction with its conditions.
struct ResourceWrite {
  std::string type;
  // The id to write; the caller assigns it (a new UUID for a create).
  std::string id;
  // Update: fail ("conflict", 412) unless the current version is this one.
  std::optional<int> ifMatch;
  // Conditional create: when set, search these first in the same transaction; one match is
  // returned instead of writing, several fail ("duplicate", 412).
  std::optional<std::vector<SearchCriterion>> ifNoneExist;
  // Create only: fail ("duplicate") when the id exists.
  bool mustNotExist = false;
  // When the rendered body equals the current version's (same content), keep that version
  // instead of writing a copy (notes rewrite their Patient, Practitioner, ... every time).
  bool skipUnchanged = false;
  // Optional: a digest of the content that does not depend on the version (e.g.
  // VersionTemplate::contentHash). Stored with the version; with skipUnchanged, a current
  // version stored with the same digest is kept without reading or rendering a body. Empty:
  // the store compares rendered bodies instead.
  std::string contentHash;
  // Renders the body for the version being written (sets meta.versionId and lastUpdated).
  // Called while the store holds its writer: keep it cheap (VersionTemplate::bodyFor).
  std::function<std::string(const ResourceVersion&)> render;
  std::vector<IndexEntry> index;
};

struct WriteResult {
  ResourceVersion written;  // or the existing match of a conditional create
  bool created = false;     // a new resource (201) rather than a new version (200)
  bool matchedExisting = false;
};

// One stored version of a note (table `notes`, migrations 4 and 5). `noteJson` is the canonical
// note JSON (mappers::writeNote, compact); `contentHash` its SHA-256 hex; `bundleJson` the mapped
// FHIR Bundle (empty for a draft, which is never mapped). With `bundleFromNote` the store keeps
// only the note and rebuilds the Bundle (noteBundleJson in note_bundle.h) where it is read:
// readNote and claimDeliveries fill `bundleJson`, listNotes leaves it empty.
struct NoteRecord {
  std::string id;
  int version = 0;
  std::string clientId;
  std::string status;  // the note's status: draft, signed, amended, entered-in-error
  std::string source;  // "internal" (POST /notes) or "inbound" (FHIR API)
  std::string contentHash;
  std::string noteJson;
  std::string bundleJson;
  std::string receivedAt;  // instant, UTC, set by the store
  // The Bundle is mappers::noteToFhir(noteJson) (internal notes): a writer sets it and may
  // leave bundleJson empty; nothing but the note is stored.
  bool bundleFromNote = false;
};

// A note's delivery to one destination, as the outbox has it.
struct NoteDelivery {
  std::int64_t id = 0;  // outbox row id
  std::string destination;
  std::string state;  // pending | in-flight | delivered | dead-letter | held
};

// A note with everything that is stored with it, written in one transaction.
struct NoteWrite {
  NoteRecord note;  // receivedAt is set by the store
  // The note's FHIR resources, written as versions with their search index (ifNoneExist is
  // not used here: the mapper's deterministic ids make a rewrite an update).
  std::vector<ResourceWrite> resources;
  // One outbox row (state pending, due now) per destination.
  std::vector<std::string> destinations;
};

struct NoteWriteResult {
  NoteRecord note;       // as stored (the earlier row when this was a replay)
  bool created = false;  // false: the same (id, version, content) was stored before
  std::vector<NoteDelivery> deliveries;
};

// GET /notes filters; every set field must match. Newest first by (receivedAt, id, version).
struct NoteQuery {
  std::string clientId;
  std::string since;  // receivedAt >= since (instant text)
  std::string status;
  std::string source;
  int count = 20;
  // Keyset paging: the cursor of the last note of the previous page (NotePage::nextCursor).
  std::string after;
};

struct NotePage {
  std::vector<NoteRecord> notes;  // complete rows
  std::string nextCursor;         // empty on the last page
};

// The writes of one transaction (Store::writeResources). Only valid inside `work`.
class ResourceTransaction {
 public:
  virtual ~ResourceTransaction() = default;
  // As Store::writeResource, inside the transaction.
  virtual fhir::Result<WriteResult> write(const ResourceWrite& write) = 0;
  // Ids of current resources of `type` matching every criterion (conditional create).
  virtual fhir::Result<std::vector<std::string>> matchingIds(
      const std::string& type, const std::vector<SearchCriterion>& criteria, int limit) = 0;
  // As Store::writeNote (same idempotency, "conflict" when the version exists with other
  // content), inside the transaction: an inbound FHIR write and the note made from it commit
  // together or not at all. A failure undoes this note's writes only; the transaction goes on
  // unless `work` returns the errors.
  virtual fhir::Result<NoteWriteResult> writeNote(const NoteWrite& write) = 0;
  // As Store::readNote, seeing the transaction's own writes.
  virtual fhir::Result<NoteRecord> readNote(const std::string& id, std::optional<int> version) = 0;
};

// One outbox row: a note version's delivery to one destination (table `outbox`).
struct OutboxRow {
  std::int64_t id = 0;
  std::string noteId;
  int noteVersion = 0;
  std::string destination;
  std::string state;  // pending | in-flight | delivered | dead-letter | held
  int attempts = 0;   // counted when claimed, so a crash mid-attempt counts too
  std::string nextAttemptAt;
  std::string claimedBy;     // in-flight: the worker holding it
  std::string claimedUntil;  // in-flight: the lease end; claimable again after it
  std::string lastError;
  std::string receipt;  // JSON: what the receiver answered (delivered, dead-letter)
  std::string createdAt;
  std::string updatedAt;
};

// A claimed delivery and what to send.
struct OutboxClaim {
  OutboxRow row;
  // The note version's Bundle: notes.bundle_json, or rebuilt from the note (bundleFromNote;
  // empty when the mapper refuses the stored note, which the forwarder reports as a failure).
  std::string bundleJson;
};

// How a claimed delivery ended: state "delivered", "pending" (retry at nextAttemptAt) or
// "dead-letter".
struct OutboxFinish {
  std::int64_t id = 0;
  std::string state;
  std::string nextAttemptAt;  // pending only
  std::string lastError;
  std::string receipt;
  // A record (the disclosure's AuditEvent) written in the same transaction, only when the row
  // was still this worker's: a delivery and its audit are stored together or not at all.
  std::optional<ResourceWrite> record;
};

// GET /deliveries filters; set fields must match. Oldest first by id, `count` at most, ids
// above `afterId` (paging).
struct OutboxQuery {
  std::string state;
  std::string destination;
  std::string noteId;
  std::optional<int> noteVersion;
  int count = 100;
  std::int64_t afterId = 0;
};

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
  // Stores a new API key. Fails ("duplicate") when the id exists.
  virtual fhir::Outcome addApiKey(const ApiKeyRecord& key, const std::string& secretHash) = 0;
  // Every key, active and revoked, oldest first.
  virtual fhir::Result<std::vector<ApiKeyRecord>> listApiKeys() = 0;
  // Marks a key revoked. Fails ("not-found") when there is no active key with this id.
  virtual fhir::Outcome revokeApiKey(const std::string& id) = 0;
  // The secret hash of an active key, or nothing (unknown or revoked).
  virtual std::optional<std::string> activeApiKeyHash(const std::string& id) = 0;

  // Writes a resource version and its search index in one transaction, honouring ifMatch,
  // ifNoneExist and mustNotExist (see ResourceWrite). Concurrent conditional creates of the
  // same identifier give one resource: writers are serialized.
  virtual fhir::Result<WriteResult> writeResource(const ResourceWrite& write) = 0;
  // The current version (version empty) or a given one; "not-found" when absent, "deleted"
  // when the current version is a deletion.
  virtual fhir::Result<ResourceVersion> readResource(const std::string& type, const std::string& id,
                                                     std::optional<int> version) = 0;
  // Versions newest first: of one resource (id set) or of a type.
  virtual fhir::Result<std::vector<ResourceVersion>> history(const std::string& type,
                                                             const std::string& id, int count) = 0;
  // Current, non-deleted resources matching every criterion.
  virtual fhir::Result<SearchPage> search(const SearchQuery& query) = 0;

  // Notes

  // Stores a note version, its FHIR resources and its outbox rows in ONE transaction.
  // Idempotent on (id, version): when that row exists with the same contentHash nothing is
  // written and the stored row comes back with created = false; a different hash fails with
  // "conflict" (409). Concurrent identical writes give one row. A failing resource write rolls
  // everything back and its issues come back.
  virtual fhir::Result<NoteWriteResult> writeNote(const NoteWrite& write) = 0;
  // A note version (version empty: the highest); "not-found" when absent.
  virtual fhir::Result<NoteRecord> readNote(const std::string& id, std::optional<int> version) = 0;
  // Notes matching the query, newest first, one page.
  virtual fhir::Result<NotePage> listNotes(const NoteQuery& query) = 0;
  // The outbox rows of a note version, oldest first.
  virtual fhir::Result<std::vector<NoteDelivery>> noteDeliveries(const std::string& id,
                                                                 int version) = 0;
  // Runs several resource writes in one transaction (FHIR transaction Bundles): `work` calls
  // the transaction's methods in order; when it returns an outcome with errors everything is
  // rolled back, otherwise committed. Writers are serialized as in writeResource.
  virtual fhir::Outcome writeResources(
      const std::function<fhir::Outcome(ResourceTransaction&)>& work) = 0;

  // Releases connections; later calls fail with an issue. Safe to call twice.
  virtual void close() = 0;

  // Outbox

  // Claims up to `limit` due deliveries to `destination` in one transaction: pending rows due
  // at `now`, and in-flight rows whose lease ended (a crashed worker's). They become in-flight,
  // held by `worker` until `leaseUntil`, attempts + 1. Oldest due first.
  virtual fhir::Result<std::vector<OutboxClaim>> claimDeliveries(const std::string& destination,
                                                                 const std::string& worker,
                                                                 int limit, const std::string& now,
                                                                 const std::string& leaseUntil) = 0;
  // Records how claimed deliveries ended (complete, reschedule or dead-letter), all in one
  // transaction. A row no longer held by `worker` (its lease ended and another worker took it)
  // is left alone: the other worker's result counts. Returns how many rows were updated.
  virtual fhir::Result<int> finishDeliveries(const std::string& worker,
                                             const std::vector<OutboxFinish>& results,
                                             const std::string& now) = 0;
  // Outbox rows matching the query.
  virtual fhir::Result<std::vector<OutboxRow>> listDeliveries(const OutboxQuery& query) = 0;
  // One row; "not-found" when absent.
  virtual fhir::Result<OutboxRow> readDelivery(std::int64_t id) = 0;
  // Puts a dead-letter row back to pending, due `now`, attempts reset to 0. "not-found" when
  // absent, "conflict" (409) when the row is not in dead-letter.
  virtual fhir::Result<OutboxRow> retryDelivery(std::int64_t id, const std::string& now) = 0;
};

}  // namespace notebridge::gateway

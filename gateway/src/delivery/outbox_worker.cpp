#include "notebridge/gateway/outbox_worker.h"

#include <Poco/Logger.h>
#include <rapidjson/document.h>

#include <ctime>
#include <random>

#include "notebridge/gateway/journeys.h"
#include "notebridge/gateway/retry_decision.h"
#include "notebridge/mappers/audit_event.h"

namespace notebridge::gateway {

using SystemClock = std::chrono::system_clock;

std::string formatInstant(SystemClock::time_point at) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch());
  const std::time_t seconds = static_cast<std::time_t>(ms.count() / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[96];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(ms.count() % 1000));
  return text;
}

namespace {

// The disclosure AuditEvent (IHE BALP, DOMAIN §6.6) of one delivered note: references only, read
// from the stored Bundle's fullUrls (our resource ids), never its text.
ResourceWrite deliveryAudit(const DestinationConfig& destination, const OutboxClaim& claim,
                            const std::string& recorded) {
  mappers::AuditRecord record;
  record.recorded = recorded;
  record.observerName = "notebridge outbox";
  record.partnerName = destination.name;
  record.partnerAddress = destination.baseUrl;
  record.purposeOfUse = destination.kind == DestinationKind::kPayer ? "HPAYMT" : "TREAT";
  record.patientDisplay = claim.row.noteId + " v" + std::to_string(claim.row.noteVersion);
  rapidjson::Document bundle;
  bundle.Parse(claim.bundleJson.data(), claim.bundleJson.size());
  if (!bundle.HasParseError() && bundle.IsObject() && bundle.HasMember("entry") &&
      bundle["entry"].IsArray()) {
    for (const auto& entry : bundle["entry"].GetArray()) {
      if (!entry.IsObject() || !entry.HasMember("fullUrl") || !entry["fullUrl"].IsString() ||
          !entry.HasMember("resource") || !entry["resource"].IsObject() ||
          !entry["resource"].HasMember("resourceType") ||
          !entry["resource"]["resourceType"].IsString()) {
        continue;
      }
      const std::string url = entry["fullUrl"].GetString();
      if (url.rfind("urn:uuid:", 0) != 0) continue;
      const std::string type = entry["resource"]["resourceType"].GetString();
      const std::string reference = type + "/" + url.substr(9);
      if (type == "Patient") record.patientReference = reference;
      if (type == "DocumentReference") record.dataReferences.push_back(reference);
    }
  }
  return auditEventWrite(mappers::disclosureAuditEvent(record));
}

}  // namespace

struct OutboxWorker::Lane {
  std::shared_ptr<Forwarder> forwarder;
  mutable std::mutex mutex;
  int failures = 0;
  SystemClock::time_point openUntil{};
  bool trial = false;  // a half-open trial delivery is under way
};

OutboxWorker::OutboxWorker(std::shared_ptr<Store> store,
                           std::vector<std::shared_ptr<Forwarder>> forwarders,
                           OutboxWorkerOptions options, Clock clock)
    : store_(std::move(store)), options_(std::move(options)), clock_(std::move(clock)) {
  for (auto& forwarder : forwarders) {
    auto lane = std::make_unique<Lane>();
    lane->forwarder = std::move(forwarder);
    lanes_.push_back(std::move(lane));
  }
}

OutboxWorker::~OutboxWorker() { stop(); }

void OutboxWorker::start() {
  std::lock_guard lock(mutex_);
  if (started_) return;
  started_ = true;
  std::random_device random;
  for (auto& lane : lanes_) {
    for (int i = 0; i < lane->forwarder->destination().concurrency; ++i) {
      Lane* l = lane.get();
      const unsigned seed = random();
      threads_.emplace_back([this, l, seed] { run(*l, seed); });
    }
  }
}

void OutboxWorker::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_.exchange(true)) return;
  }
  wake_.notify_all();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

void OutboxWorker::wake() {
  {
    std::lock_guard lock(mutex_);
    ++wakeups_;
  }
  wake_.notify_all();
}

BreakerState OutboxWorker::breaker(const std::string& destination) const {
  for (const auto& lane : lanes_) {
    if (lane->forwarder->destination().name != destination) continue;
    std::lock_guard lock(lane->mutex);
    return {lane->failures, lane->openUntil > clock_()};
  }
  return {};
}

void OutboxWorker::recordAttempt(Lane& lane, bool failure) {
  const DestinationConfig& d = lane.forwarder->destination();
  std::lock_guard lock(lane.mutex);
  lane.trial = false;
  if (!failure) {
    if (lane.failures >= d.breakerFailures) {
      Poco::Logger::get("notebridge.delivery")
          .information("destination %s: circuit closed", d.name);
    }
    lane.failures = 0;
    return;
  }
  if (++lane.failures >= d.breakerFailures) {
    lane.openUntil = clock_() + std::chrono::seconds(d.breakerOpenSeconds);
    Poco::Logger::get("notebridge.delivery")
        .warning("destination %s: circuit open for %d s after %d failed attempts", d.name,
                 d.breakerOpenSeconds, lane.failures);
  }
}

void OutboxWorker::run(Lane& lane, unsigned seed) {
  Poco::Logger& log = Poco::Logger::get("notebridge.delivery");
  const DestinationConfig& destination = lane.forwarder->destination();
  const std::string worker =
      options_.instanceId + "/" + destination.name + "/" +
      std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id()) % 100000);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  const auto random = [&] { return uniform(rng); };
  const auto lease = std::chrono::seconds(options_.leaseSeconds);

  const auto idle = [&] {
    std::unique_lock lock(mutex_);
    const long seen = wakeups_;
    wake_.wait_for(lock, std::chrono::milliseconds(options_.pollMs),
                   [&] { return stopping_.load() || wakeups_ != seen; });
  };

  while (!stopping_) {
    SystemClock::time_point now = clock_();
    int limit = options_.batch;
    {
      std::lock_guard lock(lane.mutex);
      if (lane.openUntil > now || (lane.failures >= destination.breakerFailures && lane.trial)) {
        limit = 0;
      } else if (lane.failures >= destination.breakerFailures) {
        lane.trial = true;  // half-open: one delivery decides
        limit = 1;
      }
    }
    if (limit == 0) {
      idle();
      continue;
    }
    auto claims = store_->claimDeliveries(destination.name, worker, limit, formatInstant(now),
                                          formatInstant(now + lease));
    if (!claims || claims->empty()) {
      if (!claims) {
        log.error("destination %s: cannot claim deliveries: %s", destination.name,
                  claims.outcome().issues().front().diagnostics);
      }
      {
        std::lock_guard lock(lane.mutex);
        if (limit == 1 && lane.trial) lane.trial = false;
      }
      idle();
      continue;
    }

    std::vector<OutboxFinish> results;
    const auto flush = [&] {
      auto written = store_->finishDeliveries(worker, results, formatInstant(clock_()));
      if (!written) {
        log.error("destination %s: cannot record %s deliveries: %s", destination.name,
                  std::to_string(results.size()), written.outcome().issues().front().diagnostics);
      }
      finished_ += static_cast<long>(results.size());
      results.clear();
    };
    const SystemClock::time_point claimedAt = now;
    for (const OutboxClaim& claim : *claims) {
      OutboxFinish finish;
      finish.id = claim.row.id;
      bool open = false;
      {
        std::lock_guard lock(lane.mutex);
        open = lane.openUntil > clock_();
        if (open) finish.nextAttemptAt = formatInstant(lane.openUntil);
      }
      if (stopping_ || open) {
        // Not attempted: back to pending (when the circuit closes, or now for the next start).
        finish.state = "pending";
        if (finish.nextAttemptAt.empty()) finish.nextAttemptAt = formatInstant(clock_());
        finish.lastError = claim.row.lastError;
        results.push_back(std::move(finish));
        continue;
      }
      DeliveryAttempt attempt = lane.forwarder->deliver(claim.bundleJson);
      const SystemClock::time_point done = clock_();
      if (attempt.refused) {
        finish.state = "dead-letter";
        finish.lastError = attempt.reason;
        log.warning("delivery %s of note %s v%d to %s: dead-letter: refused before sending",
                    std::to_string(claim.row.id), claim.row.noteId, claim.row.noteVersion,
                    destination.name);
        recordAttempt(lane, false);
      } else {
        RetryDecision decision =
            decideRetry(claim.row.attempts, attempt.result, destination.retry, done, random);
        finish.lastError = decision.reason;
        if (!attempt.reason.empty()) finish.lastError += " (" + attempt.reason + ")";
        finish.receipt = attempt.receipt;
        const auto* response = attempt.result.response ? &*attempt.result.response : nullptr;
        const bool receiverTrouble = !response || response->status >= 500 ||
                                     response->status == 408 || response->status == 429;
        recordAttempt(lane, receiverTrouble && decision.action != DeliveryAction::kDelivered);
        switch (decision.action) {
          case DeliveryAction::kDelivered:
            finish.state = "delivered";
            finish.lastError.clear();
            finish.record = deliveryAudit(destination, claim, formatInstant(done));
            log.debug("delivery %s of note %s v%d to %s: delivered", std::to_string(claim.row.id),
                      claim.row.noteId, claim.row.noteVersion, destination.name);
            break;
          case DeliveryAction::kRetry:
            finish.state = "pending";
            finish.nextAttemptAt = formatInstant(decision.nextAttemptAt);
            log.information("delivery %s of note %s v%d to %s: attempt %d failed (%s); next at %s",
                            std::to_string(claim.row.id), claim.row.noteId, claim.row.noteVersion,
                            destination.name, claim.row.attempts, decision.reason,
                            finish.nextAttemptAt);
            break;
          case DeliveryAction::kDeadLetter:
            finish.state = "dead-letter";
            log.warning("delivery %s of note %s v%d to %s: dead-letter: %s",
                        std::to_string(claim.row.id), claim.row.noteId, claim.row.noteVersion,
                        destination.name, decision.reason);
            break;
        }
      }
      results.push_back(std::move(finish));
      // Record early when the batch runs long, well before the lease would let another
      // worker take these rows again.
      if (done - claimedAt > lease / 3) flush();
    }
    flush();
  }
}

}  // namespace notebridge::gateway

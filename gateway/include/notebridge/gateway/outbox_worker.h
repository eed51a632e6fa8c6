#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "notebridge/gateway/forwarder.h"
#include "notebridge/gateway/store.h"

namespace notebridge::gateway {

// How the outbox is worked.
struct OutboxWorkerOptions {
  // Written into outbox.claimed_by: unique per process start.
  std::string instanceId;
  // How long a claim is held (delivery.lease_seconds).
  int leaseSeconds = 120;
  // Idle wait between looks for due rows (delivery.poll_ms).
  int pollMs = 200;
  // Rows claimed per transaction (delivery.batch).
  int batch = 16;
};

// A destination's circuit breaker as the worker sees it (for logs and tests).
struct BreakerState {
  int consecutiveFailures = 0;
  bool open = false;
};

// The outbox workers: per destination, `concurrency` threads that claim due rows under a lease,
// deliver each with the destination's Forwarder, decide with decideRetry() and record the end
// (delivered with the receipt, pending again at the next attempt time, or dead-letter with the
// reason). A destination whose consecutive transport/5xx failures reach breaker.failures is left
// alone for breaker.open_seconds, then tried with one delivery. A crash leaves claimed rows
// in-flight; they are claimable again when their lease ends.
class OutboxWorker {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  OutboxWorker(
      std::shared_ptr<Store> store, std::vector<std::shared_ptr<Forwarder>> forwarders,
      OutboxWorkerOptions options, Clock clock = [] { return std::chrono::system_clock::now(); });
  ~OutboxWorker();

  OutboxWorker(const OutboxWorker&) = delete;
  OutboxWorker& operator=(const OutboxWorker&) = delete;

  // Starts the threads. Idempotent.
  void start();
  // Graceful stop: no new claims; deliveries under way finish (bounded by their timeouts) and
  // are recorded; rows claimed but not started go back to pending. Idempotent.
  void stop();
  // Makes idle workers look for rows now (after a note is accepted).
  void wake();

  BreakerState breaker(const std::string& destination) const;
  // Deliveries finished (any end) since start.
  long finished() const { return finished_.load(); }

 private:
  struct Lane;
  void run(Lane& lane, unsigned seed);
  void recordAttempt(Lane& lane, bool failure);

  std::shared_ptr<Store> store_;
  OutboxWorkerOptions options_;
  Clock clock_;
  std::vector<std::unique_ptr<Lane>> lanes_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<bool> stopping_{false};
  std::atomic<long> finished_{0};
  long wakeups_ = 0;
  bool started_ = false;
};

// An instant as the store writes it: UTC, millisecond precision ("2026-11-29T08:30:00.000Z").
std::string formatInstant(std::chrono::system_clock::time_point at);

}  // namespace notebridge::gateway

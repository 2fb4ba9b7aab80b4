// WebhookOutbox: the persisted queue of webhook deliveries.
//
// One delivery is one event for one endpoint. It is written (fsync'd)
// before anything tries to send it, so that nothing is lost across a
// restart, and stays "pending" until an attempt gets a 2xx answer
// ("delivered") or the attempts run out ("failed": max_attempts, or older
// than max_age_ms). Between attempts it waits an exponential backoff with
// jitter (WebhookBackoffMs). The sender (server/webhooks) takes due
// deliveries a few per endpoint at a time, round-robin across endpoints,
// and reports each attempt; at least once: a crash after a receiver
// answered but before the attempt was recorded sends it again, with the
// same event id for the receiver to drop.
//
// Bounded: at most max_pending_per_endpoint pending deliveries per
// endpoint, past that a new event for it is dropped (counted in
// dropped_total; the pending ones keep their order); the last
// max_finished_per_endpoint delivered or failed ones are kept for the
// deliveries view, older ones are deleted. Persisted in the system column
// family:
//   whout/<endpoint id>/<seq, 16 hex>   JSON delivery, body included
// Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crypto/mutex.h"
#include "crypto/status.h"
#include "engine/clock.h"
#include "engine/storage/storage.h"

namespace rocksdb {
class WriteBatch;
}  // namespace rocksdb

namespace tenantkv::engine {

enum class DeliveryState { kPending, kDelivered, kFailed };
const char* DeliveryStateName(DeliveryState s);

struct WebhookDelivery {
  uint64_t seq = 0;           // unique in the node, increasing
  std::string endpoint;
  std::string tenant;         // the event's tenant ("" = none)
  std::string event_id;       // "evt_..." (the receiver's dedup key)
  std::string type;
  std::string body;           // the JSON payload, signed as it is at each attempt
  int64_t created_ms = 0;
  DeliveryState state = DeliveryState::kPending;
  int attempts = 0;
  int64_t next_attempt_ms = 0;  // pending: not before this
  int64_t last_attempt_ms = 0;
  int last_status = 0;          // HTTP status of the last attempt; 0 = none or no answer
  std::string last_error;       // why the last attempt failed ("" = it did not)
  int64_t finished_ms = 0;      // delivered or failed at
};

struct OutboxOptions {
  size_t max_pending_per_endpoint = 1000;
  size_t max_finished_per_endpoint = 100;
  int max_attempts = 20;                     // then "failed"
  int64_t max_age_ms = 24LL * 3600 * 1000;   // a delivery still failing this long after its event: "failed"
  int64_t base_delay_ms = 1000;              // the wait after the first failed attempt
  int64_t max_delay_ms = 600'000;            // the longest wait between attempts
};

// The wait after the `attempts`-th failed attempt (>= 1): base doubling per
// attempt, capped at max, then lowered by up to half by `jitter` in [0, 1)
// so that deliveries failing together spread out: in (d/2, d].
int64_t WebhookBackoffMs(int attempts, int64_t base_ms, int64_t max_ms, double jitter);

struct OutboxStats {
  uint64_t pending = 0;
  uint64_t enqueued_total = 0;
  uint64_t delivered_total = 0;
  uint64_t failed_total = 0;           // gave up
  uint64_t dropped_total = 0;          // refused at the pending cap
  uint64_t attempt_errors_total = 0;   // attempts that did not get a 2xx
};

struct NewDelivery {
  std::string endpoint;
  std::string tenant;
  std::string event_id;
  std::string type;
  std::string body;
};

// What one attempt got.
struct AttemptOutcome {
  bool delivered = false;  // a 2xx answer
  int status = 0;          // the HTTP status, 0 = none
  std::string error;       // when not delivered: why
};

struct DeliveryPage {
  std::vector<WebhookDelivery> deliveries;
  std::optional<uint64_t> next;  // start_after for the next page
};

class WebhookOutbox {
 public:
  static Result<std::unique_ptr<WebhookOutbox>> Open(Storage* storage, const Clock* clock, OutboxOptions options);

  // Deliveries staged in a batch the caller writes, then Commit()s.
  struct Staged {
    std::vector<WebhookDelivery> deliveries;
    uint64_t dropped = 0;
  };
  // Stages the deliveries into `batch` (seqs are taken here); one over its
  // endpoint's pending cap is dropped instead.
  Staged Stage(const std::vector<NewDelivery>& news, rocksdb::WriteBatch* batch);
  // After the batch was written (`written`) or not: the deliveries become
  // due, or are forgotten.
  void Commit(Staged staged, bool written);
  // Stage, write (fsync'd) and Commit in one.
  Status Enqueue(const std::vector<NewDelivery>& news);

  // Pending deliveries due at `now_ms`: up to `per_endpoint` of each
  // endpoint (oldest first), endpoints interleaved round-robin.
  std::vector<WebhookDelivery> Due(int64_t now_ms, size_t per_endpoint) const;
  // The earliest next attempt among pending deliveries.
  std::optional<int64_t> NextDue() const;
  // Records an attempt at pending delivery `seq` of `endpoint` and moves
  // it on; `jitter` in [0, 1) for its backoff. NotFound if it is gone (its
  // endpoint was deleted meanwhile) or no longer pending.
  Result<WebhookDelivery> RecordAttempt(const std::string& endpoint, uint64_t seq, const AttemptOutcome& outcome,
                                        double jitter);
  // The endpoint's deliveries by seq after `start_after`, at most `limit`.
  DeliveryPage List(const std::string& endpoint, uint64_t start_after, size_t limit) const;
  // Deletes an endpoint's deliveries (the endpoint was deleted).
  Status RemoveEndpoint(const std::string& endpoint);

  OutboxStats Stats() const;
  const OutboxOptions& options() const { return options_; }

 private:
  WebhookOutbox(Storage* storage, const Clock* clock, OutboxOptions options)
      : storage_(storage), clock_(clock), options_(options) {}
  Status Load();
  // Deletes the oldest finished deliveries of `endpoint` past the cap.
  void TrimFinished(const std::string& endpoint) REQUIRES(mu_);

  Storage* const storage_;
  const Clock* const clock_;
  const OutboxOptions options_;
  mutable Mutex mu_;
  uint64_t next_seq_ GUARDED_BY(mu_) = 1;
  // endpoint -> seq -> delivery
  std::map<std::string, std::map<uint64_t, WebhookDelivery>> deliveries_ GUARDED_BY(mu_);
  std::atomic<uint64_t> enqueued_{0}, delivered_{0}, failed_{0}, dropped_{0}, attempt_errors_{0};
};

}  // namespace tenantkv::engine

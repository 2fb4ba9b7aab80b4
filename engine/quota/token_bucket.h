// TokenBucket: a rate with a burst, in any unit (requests, bytes).
//
// Tokens refill continuously at `rate` per second up to `capacity`. TryTake
// admits only when enough tokens are there; Charge takes unconditionally and
// may leave a debt (negative tokens) that later refills pay off, so an
// operation charged after the fact (a scan's real size) cannot escape its
// quota. Time is passed in (monotonic microseconds) so tests use a fake
// clock. Thread-safe.
#pragma once

#include <cstdint>

#include "crypto/mutex.h"

namespace tenantkv::engine {

class TokenBucket {
 public:
  // Starts full.
  TokenBucket(double rate_per_sec, double capacity, int64_t now_us);

  // Sets rate and capacity and fills the bucket.
  void Reset(double rate_per_sec, double capacity, int64_t now_us);
  // Changes rate and capacity; tokens above the new capacity are dropped.
  void Reconfigure(double rate_per_sec, double capacity, int64_t now_us);
  // Takes `n` if at least `n` are available; never more than the capacity
  // (a caller refuses such a request outright: it can never fit).
  bool TryTake(double n, int64_t now_us);
  // Takes `n` even into debt (a negative `n` refunds, up to capacity).
  void Charge(double n, int64_t now_us);
  // Current tokens (negative while in debt).
  double Available(int64_t now_us);
  // Microseconds until at least `n` tokens are available; INT64_MAX if
  // never (n > capacity, or no refill).
  int64_t MicrosUntil(double n, int64_t now_us);
  double rate() const;
  double capacity() const;

 private:
  void Refill(int64_t now_us) REQUIRES(mu_);

  mutable Mutex mu_;
  double rate_ GUARDED_BY(mu_);
  double capacity_ GUARDED_BY(mu_);
  double tokens_ GUARDED_BY(mu_);
  int64_t last_us_ GUARDED_BY(mu_);
};

}  // namespace tenantkv::engine

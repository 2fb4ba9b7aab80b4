// TenantLimits: the live enforcement state of one tenant's quota — token
// buckets for requests and bytes, the in-flight count — reconfigured at once
// when its manifest changes. Thread-safe.
#pragma once

#include <atomic>

#include "crypto/mutex.h"
#include "engine/quota/quota.h"
#include "engine/quota/token_bucket.h"

namespace tenantkv::engine {

class TenantLimits {
 public:
  TenantLimits(const Quota& q, int64_t now_us)
      : quota_(q),
        requests_(static_cast<double>(q.requests_per_sec), static_cast<double>(q.burst_requests), now_us),
        read_bytes_(static_cast<double>(q.read_bytes_per_sec), static_cast<double>(q.burst_read_bytes), now_us),
        write_bytes_(static_cast<double>(q.write_bytes_per_sec), static_cast<double>(q.burst_write_bytes),
                     now_us) {}

  // The first Apply starts the buckets full; later ones keep their level.
  void Apply(const Quota& q, int64_t now_us) {
    MutexLock lock(mu_);
    quota_ = q;
    if (!applied_) {
      applied_ = true;
      requests_.Reset(static_cast<double>(q.requests_per_sec), static_cast<double>(q.burst_requests), now_us);
      read_bytes_.Reset(static_cast<double>(q.read_bytes_per_sec), static_cast<double>(q.burst_read_bytes), now_us);
      write_bytes_.Reset(static_cast<double>(q.write_bytes_per_sec), static_cast<double>(q.burst_write_bytes),
                         now_us);
      return;
    }
    requests_.Reconfigure(static_cast<double>(q.requests_per_sec), static_cast<double>(q.burst_requests), now_us);
    read_bytes_.Reconfigure(static_cast<double>(q.read_bytes_per_sec), static_cast<double>(q.burst_read_bytes),
                            now_us);
    write_bytes_.Reconfigure(static_cast<double>(q.write_bytes_per_sec),
                             static_cast<double>(q.burst_write_bytes), now_us);
  }

  Quota quota() const {
    MutexLock lock(mu_);
    return quota_;
  }

  TokenBucket& requests() { return requests_; }
  TokenBucket& read_bytes() { return read_bytes_; }
  TokenBucket& write_bytes() { return write_bytes_; }
  std::atomic<int64_t>& in_flight() { return in_flight_; }

 private:
  mutable Mutex mu_;
  Quota quota_ GUARDED_BY(mu_);
  bool applied_ GUARDED_BY(mu_) = false;
  TokenBucket requests_;
  TokenBucket read_bytes_;
  TokenBucket write_bytes_;
  std::atomic<int64_t> in_flight_{0};
};

}  // namespace tenantkv::engine

// TenantLimits: the live enforcement state of one tenant's quota — token
// buckets for requests and bytes, the in-flight count — reconfigured at once
// when its manifest changes. Thread-safe.
//
// The buckets are made on the tenant's first admission, full (a bucket
// left alone refills to full anyway): most tenants of a large node are
// idle, and three buckets with their locks are about 220 bytes each.
#pragma once

#include <atomic>

#include "crypto/mutex.h"
#include "engine/quota/quota.h"
#include "engine/quota/token_bucket.h"

namespace tenantkv::engine {

class TenantLimits {
 public:
  explicit TenantLimits(const Quota& q) : quota_(InternQuota(q)) {}
  ~TenantLimits() { delete buckets_.load(); }
  TenantLimits(const TenantLimits&) = delete;
  TenantLimits& operator=(const TenantLimits&) = delete;

  // The first Apply starts the buckets full; later ones keep their level.
  void Apply(const Quota& q, int64_t now_us) EXCLUDES(mu_);

  Quota quota() const EXCLUDES(mu_) {
    MutexLock lock(mu_);
    return *quota_;
  }

  // The buckets, made on first use.
  TokenBucket& requests() { return Made().requests; }
  TokenBucket& read_bytes() { return Made().read_bytes; }
  TokenBucket& write_bytes() { return Made().write_bytes; }
  std::atomic<int64_t>& in_flight() { return in_flight_; }

  enum class Bucket { kRequests, kReadBytes, kWriteBytes };
  // The tokens of a bucket now, without making it (a bucket not made yet
  // is full: its burst).
  double Available(Bucket which, int64_t now_us) EXCLUDES(mu_);
  // Whether the buckets were made (tests).
  bool buckets_made() const { return buckets_.load(std::memory_order_acquire) != nullptr; }

 private:
  struct Buckets {
    TokenBucket requests;
    TokenBucket read_bytes;
    TokenBucket write_bytes;
  };
  Buckets& Made() EXCLUDES(mu_);

  mutable Mutex mu_;
  SharedQuota quota_ GUARDED_BY(mu_);  // interned: shared with the quota store and equal tenants
  bool applied_ GUARDED_BY(mu_) = false;
  // Set once, under mu_; read without it. Owned.
  std::atomic<Buckets*> buckets_{nullptr};
  std::atomic<int64_t> in_flight_{0};
};

}  // namespace tenantkv::engine

#include "engine/quota/tenant_limits.h"

#include <utility>

namespace tenantkv::engine {
namespace {

double Rate(int64_t v) { return static_cast<double>(v); }

}  // namespace

void TenantLimits::Apply(const Quota& q, int64_t now_us) {
  SharedQuota shared = InternQuota(q);  // before the lock: the interner has its own
  MutexLock lock(mu_);
  quota_ = std::move(shared);
  const bool first = !applied_;
  applied_ = true;
  Buckets* b = buckets_.load(std::memory_order_relaxed);
  if (b == nullptr) return;  // made from quota_ on first use
  if (first) {
    b->requests.Reset(Rate(q.requests_per_sec), Rate(q.burst_requests), now_us);
    b->read_bytes.Reset(Rate(q.read_bytes_per_sec), Rate(q.burst_read_bytes), now_us);
    b->write_bytes.Reset(Rate(q.write_bytes_per_sec), Rate(q.burst_write_bytes), now_us);
    return;
  }
  b->requests.Reconfigure(Rate(q.requests_per_sec), Rate(q.burst_requests), now_us);
  b->read_bytes.Reconfigure(Rate(q.read_bytes_per_sec), Rate(q.burst_read_bytes), now_us);
  b->write_bytes.Reconfigure(Rate(q.write_bytes_per_sec), Rate(q.burst_write_bytes), now_us);
}

TenantLimits::Buckets& TenantLimits::Made() {
  if (Buckets* b = buckets_.load(std::memory_order_acquire); b != nullptr) return *b;
  MutexLock lock(mu_);
  Buckets* b = buckets_.load(std::memory_order_relaxed);
  if (b == nullptr) {
    // Full: refilling from time 0 at any rate leaves a bucket at its burst.
    const Quota& q = *quota_;
    b = new Buckets{TokenBucket(Rate(q.requests_per_sec), Rate(q.burst_requests), 0),
                    TokenBucket(Rate(q.read_bytes_per_sec), Rate(q.burst_read_bytes), 0),
                    TokenBucket(Rate(q.write_bytes_per_sec), Rate(q.burst_write_bytes), 0)};
    buckets_.store(b, std::memory_order_release);
  }
  return *b;
}

double TenantLimits::Available(Bucket which, int64_t now_us) {
  if (Buckets* b = buckets_.load(std::memory_order_acquire); b != nullptr) {
    switch (which) {
      case Bucket::kRequests: return b->requests.Available(now_us);
      case Bucket::kReadBytes: return b->read_bytes.Available(now_us);
      case Bucket::kWriteBytes: return b->write_bytes.Available(now_us);
    }
  }
  const Quota q = quota();
  switch (which) {
    case Bucket::kRequests: return Rate(q.burst_requests);
    case Bucket::kReadBytes: return Rate(q.burst_read_bytes);
    case Bucket::kWriteBytes: break;
  }
  return Rate(q.burst_write_bytes);
}

}  // namespace tenantkv::engine

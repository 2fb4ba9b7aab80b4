// RequestSeries: the request counters of one caller (a tenant, the
// operator, or anonymous callers) — requests by route and status code,
// latency by route, storage bytes, throttles by reason.
//
// Made for the request path: every update is a few relaxed atomic
// increments with no lock and no map lookup. A tenant's series is attached
// to its engine::Tenant, so it is found through the tenant handle the
// request already holds and it disappears with a deleted tenant.
// Thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "engine/tenants/tenant.h"

namespace tenantkv::server {

// Upper bounds (microseconds) of the request latency buckets.
inline constexpr std::array<int64_t, 14> kLatencyBoundsUs = {
    500, 1'000, 2'500, 5'000, 10'000, 25'000, 50'000, 100'000, 250'000, 500'000, 1'000'000,
    2'500'000, 5'000'000, 10'000'000};

// Why a request was refused for a quota or for load.
enum class ThrottleReason {
  kRateLimited,
  kIoQuota,
  kConcurrencyLimit,
  kStorageQuota,
  kValueTooLarge,
  kDeadline,
  kQueueFull,
  kBatchExceedsBurst,
  kResponseTooLarge,
  kTenantMoving,  // a write in the switch of an online tier move
  kCount  // not a reason
};
inline constexpr size_t kThrottleReasons = static_cast<size_t>(ThrottleReason::kCount);
// The problem+json `code` of the refusal, which is also the metric label.
const char* ThrottleReasonName(ThrottleReason r);
// The reason for a problem `code`, or nothing if the code is no throttle.
std::optional<ThrottleReason> ThrottleReasonOf(std::string_view code);

// Histogram over fixed microsecond bounds; counts are per bucket.
template <size_t N>
class AtomicHistogram {
 public:
  explicit AtomicHistogram(const std::array<int64_t, N>& bounds) : bounds_(bounds) {}
  void Observe(int64_t us) {
    size_t i = 0;
    while (i < N && us > bounds_[i]) ++i;
    counts_[i].fetch_add(1, std::memory_order_relaxed);
    sum_us_.fetch_add(static_cast<uint64_t>(us < 0 ? 0 : us), std::memory_order_relaxed);
  }
  std::vector<uint64_t> Counts() const {
    std::vector<uint64_t> out;
    for (const auto& c : counts_) out.push_back(c.load(std::memory_order_relaxed));
    return out;
  }
  uint64_t SumMicros() const { return sum_us_.load(std::memory_order_relaxed); }

 private:
  const std::array<int64_t, N>& bounds_;
  std::array<std::atomic<uint64_t>, N + 1> counts_{};
  std::atomic<uint64_t> sum_us_{0};
};

// One route's counters for one caller.
class RouteSeries {
 public:
  // Distinct status codes kept per route; a route answers far fewer.
  static constexpr size_t kCodeSlots = 24;

  RouteSeries() : latency_(kLatencyBoundsUs) {}
  void Record(int status, int64_t duration_us);

  // (status code, count) of every code seen; a code that found no free
  // slot is reported as 0 ("other").
  std::vector<std::pair<int, uint64_t>> CodeCounts() const;
  const AtomicHistogram<kLatencyBoundsUs.size()>& latency() const { return latency_; }

 private:
  std::array<std::atomic<int>, kCodeSlots> codes_{};  // 0 = free slot
  std::array<std::atomic<uint64_t>, kCodeSlots> counts_{};
  std::atomic<uint64_t> other_{0};
  AtomicHistogram<kLatencyBoundsUs.size()> latency_;
};

class RequestSeries : public engine::TenantAttachment {
 public:
  // Routes are numbered densely by Metrics; at most this many (the route
  // tables have about 90 routes with the webhook ones; Metrics::AddRoute
  // aborts past this, so a table that outgrows it fails at start).
  static constexpr size_t kMaxRoutes = 128;

  RequestSeries() = default;
  ~RequestSeries() override;
  RequestSeries(const RequestSeries&) = delete;
  RequestSeries& operator=(const RequestSeries&) = delete;

  // `route` < kMaxRoutes; `throttle` is the problem code of a refusal ("" if none).
  void Record(size_t route, int status, int64_t duration_us, std::string_view problem_code,
              int64_t read_bytes, int64_t written_bytes);

  // The caller's latest request, on the engine's monotonic clock (µs); 0:
  // none yet. /metrics keeps per-tenant series for the recently active.
  void MarkActive(int64_t mono_us) { last_active_us_.store(mono_us, std::memory_order_relaxed); }
  int64_t last_active_us() const { return last_active_us_.load(std::memory_order_relaxed); }

  // nullptr for a route never called.
  const RouteSeries* route(size_t i) const { return routes_[i].load(std::memory_order_acquire); }
  uint64_t read_bytes() const { return read_bytes_.load(std::memory_order_relaxed); }
  uint64_t written_bytes() const { return written_bytes_.load(std::memory_order_relaxed); }
  uint64_t throttled(ThrottleReason r) const {
    return throttled_[static_cast<size_t>(r)].load(std::memory_order_relaxed);
  }

 private:
  RouteSeries& Route(size_t i);

  std::array<std::atomic<RouteSeries*>, kMaxRoutes> routes_{};  // owned, made on first use
  std::atomic<uint64_t> read_bytes_{0};
  std::atomic<uint64_t> written_bytes_{0};
  std::array<std::atomic<uint64_t>, kThrottleReasons> throttled_{};
  std::atomic<int64_t> last_active_us_{0};
};

}  // namespace tenantkv::server

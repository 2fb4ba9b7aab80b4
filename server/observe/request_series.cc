#include "server/observe/request_series.h"

#include <memory>

namespace tenantkv::server {
namespace {

constexpr const char* kThrottleNames[kThrottleReasons] = {
    "rate_limited", "io_quota", "concurrency_limit", "storage_quota",
    "value_too_large", "deadline", "queue_full", "batch_exceeds_burst", "response_too_large",
    "tenant_moving"};

}  // namespace

const char* ThrottleReasonName(ThrottleReason r) { return kThrottleNames[static_cast<size_t>(r)]; }

std::optional<ThrottleReason> ThrottleReasonOf(std::string_view code) {
  if (code.empty()) return std::nullopt;
  for (size_t i = 0; i < kThrottleReasons; ++i) {
    if (code == kThrottleNames[i]) return static_cast<ThrottleReason>(i);
  }
  return std::nullopt;
}

void RouteSeries::Record(int status, int64_t duration_us) {
  latency_.Observe(duration_us);
  for (size_t i = 0; i < kCodeSlots; ++i) {
    int seen = codes_[i].load(std::memory_order_acquire);
    if (seen == 0) {
      // Claim the free slot; if another thread took it first, it may have
      // taken it for this very code.
      if (codes_[i].compare_exchange_strong(seen, status, std::memory_order_acq_rel)) seen = status;
    }
    if (seen == status) {
      counts_[i].fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
  other_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<std::pair<int, uint64_t>> RouteSeries::CodeCounts() const {
  std::vector<std::pair<int, uint64_t>> out;
  for (size_t i = 0; i < kCodeSlots; ++i) {
    const int code = codes_[i].load(std::memory_order_acquire);
    if (code != 0) out.emplace_back(code, counts_[i].load(std::memory_order_relaxed));
  }
  if (const uint64_t other = other_.load(std::memory_order_relaxed); other > 0) out.emplace_back(0, other);
  return out;
}

RequestSeries::~RequestSeries() {
  for (auto& r : routes_) delete r.load();
}

RouteSeries& RequestSeries::Route(size_t i) {
  RouteSeries* r = routes_[i].load(std::memory_order_acquire);
  if (r == nullptr) {
    auto fresh = std::make_unique<RouteSeries>();
    if (routes_[i].compare_exchange_strong(r, fresh.get(), std::memory_order_acq_rel)) r = fresh.release();
  }
  return *r;
}

void RequestSeries::Record(size_t route, int status, int64_t duration_us, std::string_view problem_code,
                           int64_t read_bytes, int64_t written_bytes) {
  if (route < kMaxRoutes) Route(route).Record(status, duration_us);
  if (read_bytes > 0) read_bytes_.fetch_add(static_cast<uint64_t>(read_bytes), std::memory_order_relaxed);
  if (written_bytes > 0) {
    written_bytes_.fetch_add(static_cast<uint64_t>(written_bytes), std::memory_order_relaxed);
  }
  if (auto r = ThrottleReasonOf(problem_code)) {
    throttled_[static_cast<size_t>(*r)].fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace tenantkv::server

#include "engine/quota/usage_history.h"

namespace tenantkv::engine {

void UsageHistory::Record(int64_t now_ms, int64_t bytes) {
  MutexLock lock(mu_);
  if (!samples_.empty() && now_ms - samples_.back().first < kSpacingMs) return;
  samples_.emplace_back(now_ms, bytes);
  while (!samples_.empty() && now_ms - samples_.front().first > kWindowMs) samples_.pop_front();
}

double UsageHistory::BurnPerHour(int64_t now_ms, int64_t bytes) const {
  MutexLock lock(mu_);
  if (samples_.empty()) return 0;
  const auto& [t0, b0] = samples_.front();
  const int64_t elapsed = now_ms - t0;
  if (elapsed < kSpacingMs) return 0;
  return static_cast<double>(bytes - b0) * 3'600'000.0 / static_cast<double>(elapsed);
}

std::optional<int64_t> UsageHistory::ProjectedExhaustionMs(int64_t now_ms, int64_t bytes,
                                                           int64_t limit) const {
  const double rate = BurnPerHour(now_ms, bytes);
  if (rate <= 0) return std::nullopt;
  if (bytes >= limit) return now_ms;
  return now_ms + static_cast<int64_t>(static_cast<double>(limit - bytes) / rate * 3'600'000.0);
}

}  // namespace tenantkv::engine

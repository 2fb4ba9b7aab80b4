// UsageHistory: samples of a tenant's stored bytes over the last hour, for
// its burn rate and projected exhaustion. In memory only: after a restart
// the rate is known again once a minute of samples exists. Thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>

#include "crypto/mutex.h"

namespace tenantkv::engine {

class UsageHistory {
 public:
  static constexpr int64_t kSpacingMs = 60'000;   // at most one sample a minute
  static constexpr int64_t kWindowMs = 3'600'000;  // kept for an hour

  // Records `bytes` at `now_ms` unless the last sample is under a minute old.
  void Record(int64_t now_ms, int64_t bytes);
  // Bytes per hour over the window (0 until two samples a minute apart).
  double BurnPerHour(int64_t now_ms, int64_t bytes) const;
  // When `limit` is reached at the current burn rate; nullopt if not growing.
  std::optional<int64_t> ProjectedExhaustionMs(int64_t now_ms, int64_t bytes, int64_t limit) const;

 private:
  mutable Mutex mu_;
  std::deque<std::pair<int64_t, int64_t>> samples_ GUARDED_BY(mu_);  // (ms, bytes)
};

}  // namespace tenantkv::engine

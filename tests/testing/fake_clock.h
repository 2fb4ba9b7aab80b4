// FakeClock: a manually advanced engine::Clock for deterministic tests.
// Test-only (the tenantkv_testing target); production code takes a Clock.
#pragma once

#include <atomic>
#include <cstdint>

#include "engine/clock.h"

namespace tenantkv::engine {

// A manually advanced clock for deterministic tests. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t start_unix_millis = 1'790'000'000'000) : now_ms_(start_unix_millis) {}
  int64_t NowUnixMillis() const override { return now_ms_.load(); }
  int64_t NowMonotonicMicros() const override { return now_ms_.load() * 1000; }
  void AdvanceMillis(int64_t ms) { now_ms_ += ms; }

 private:
  std::atomic<int64_t> now_ms_;
};

}  // namespace tenantkv::engine

// Clock: the engine's only source of time, injected so tests can fake it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace tenantkv::engine {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time in milliseconds since the Unix epoch (timestamps, TTLs).
  virtual int64_t NowUnixMillis() const = 0;
  // Monotonic microseconds, for durations and rates.
  virtual int64_t NowMonotonicMicros() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t NowUnixMillis() const override {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  }
  int64_t NowMonotonicMicros() const override {
    using namespace std::chrono;
    return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
  }
  // A process-wide instance (stateless, thread-safe).
  static SystemClock* Default() {
    static SystemClock clock;
    return &clock;
  }
};

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

// Clock: the engine's only source of time, injected so tests can fake it
// (tests/testing/fake_clock.h).
#pragma once

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

}  // namespace tenantkv::engine

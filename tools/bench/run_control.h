// The clock and the limits every connection of a run shares: when the run
// started, when measuring begins and ends, and the global request cap.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <limits>
#include <mutex>

namespace tenantkv::bench {

// Times are offsets from the common start. Thread-safe.
class RunControl {
 public:
  using Clock = std::chrono::steady_clock;
  using Nanos = std::chrono::nanoseconds;

  // Warm-up is [0, warmup), the measured window [warmup, warmup + duration).
  // At most `max_requests` requests are sent over all tenants.
  RunControl(Clock::time_point start, Nanos warmup, Nanos duration, std::uint64_t max_requests);

  Clock::time_point start() const { return start_; }
  Nanos measure_from() const { return measure_from_; }
  Nanos end() const { return end_; }
  Nanos Now() const { return Clock::now() - start_; }

  // Takes one request from the cap. False once the cap is used up: the run
  // then stops, and `now` is when its window closed.
  bool Claim(Nanos now);
  // Stops the run at `now` (an interrupt) and wakes every WaitUntil();
  // later calls keep the first time.
  void Stop(Nanos now);
  // Sleeps until offset `due`. False, at once, when the run stops first.
  bool WaitUntil(Nanos due);
  bool Stopped() const { return stopped_at_.load(std::memory_order_acquire) != kNotStopped; }
  // True when Claim() refused a request.
  bool CapReached() const { return cap_reached_.load(std::memory_order_acquire); }

  // When the measured window closed: end(), or earlier if the run stopped.
  Nanos WindowEnd() const;
  // The measured window's length in seconds (0 if the run stopped in warm-up).
  double MeasuredSeconds() const;

 private:
  static constexpr std::int64_t kNotStopped = std::numeric_limits<std::int64_t>::max();

  Clock::time_point start_;
  Nanos measure_from_;
  Nanos end_;
  std::uint64_t max_requests_;
  std::atomic<std::uint64_t> claimed_{0};
  std::atomic<std::int64_t> stopped_at_{kNotStopped};
  std::atomic<bool> cap_reached_{false};
  std::mutex wake_mu_;  // pairs with wake_ so Stop() cannot slip past a waiter
  std::condition_variable wake_;
};

}  // namespace tenantkv::bench

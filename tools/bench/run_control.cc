#include "tools/bench/run_control.h"

#include <algorithm>

namespace tenantkv::bench {

RunControl::RunControl(Clock::time_point start, Nanos warmup, Nanos duration,
                       std::uint64_t max_requests)
    : start_(start), measure_from_(warmup), end_(warmup + duration), max_requests_(max_requests) {}

bool RunControl::Claim(Nanos now) {
  if (claimed_.fetch_add(1, std::memory_order_relaxed) < max_requests_) return true;
  cap_reached_.store(true, std::memory_order_release);
  Stop(now);
  return false;
}

void RunControl::Stop(Nanos now) {
  {
    const std::lock_guard<std::mutex> lock(wake_mu_);
    std::int64_t expected = kNotStopped;
    stopped_at_.compare_exchange_strong(expected, now.count(), std::memory_order_acq_rel);
  }
  wake_.notify_all();
}

bool RunControl::WaitUntil(Nanos due) {
  std::unique_lock<std::mutex> lock(wake_mu_);
  return !wake_.wait_until(lock, start_ + due, [this] { return Stopped(); });
}

RunControl::Nanos RunControl::WindowEnd() const {
  return std::min(end_, Nanos(stopped_at_.load(std::memory_order_acquire)));
}

double RunControl::MeasuredSeconds() const {
  const Nanos length = std::max(Nanos(0), WindowEnd() - measure_from_);
  return std::chrono::duration<double>(length).count();
}

}  // namespace tenantkv::bench

// Bounded polling for tests against a real server: state that changes on
// its own (a job, a delivery, a clock) is awaited with a deadline, never
// with a timed assertion.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace tenantkv::testing {

// Polls `ok` every 100 ms for at most `seconds`; whether it held.
inline bool WaitFor(const std::function<bool()>& ok, int seconds = 15) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < until) {
    if (ok()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return ok();
}

}  // namespace tenantkv::testing

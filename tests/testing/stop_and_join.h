// A test's background thread, stopped and joined on every way out of the
// test (a failed ASSERT returns early; a joinable std::thread destroyed
// ends the process).
#pragma once

#include <atomic>
#include <thread>

namespace tenantkv::testing {

// Sets `stop`, then joins `thread`, when it leaves scope.
struct StopAndJoin {
  std::atomic<bool>& stop;
  std::thread& thread;
  ~StopAndJoin() {
    stop = true;
    if (thread.joinable()) thread.join();
  }
};

}  // namespace tenantkv::testing

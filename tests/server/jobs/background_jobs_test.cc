#include "server/jobs/background_jobs.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

namespace tenantkv::server {
namespace {

using namespace std::chrono_literals;

// Waits (bounded) until `pred` holds; the bound only stops a broken test
// from hanging, it asserts nothing about speed.
template <typename Pred>
bool WaitFor(Pred pred) {
  for (int i = 0; i < 2000 && !pred(); ++i) std::this_thread::sleep_for(5ms);
  return pred();
}

TEST(BackgroundJobs, RunsEachJobRepeatedlyUntilStopped) {
  std::atomic<int> a{0}, b{0};
  BackgroundJobs jobs;
  jobs.Every("a", 2ms, [&] { ++a; });
  jobs.Every("b", 3ms, [&] { ++b; });
  EXPECT_EQ(jobs.Runs("a"), 0u);
  jobs.Start();
  ASSERT_TRUE(WaitFor([&] { return a.load() >= 3 && b.load() >= 3; }));
  jobs.Stop();
  const int a_at_stop = a.load();
  EXPECT_GE(jobs.Runs("a"), 3u);
  EXPECT_EQ(jobs.Runs("unknown"), 0u);
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(a.load(), a_at_stop);  // nothing runs after Stop()
  jobs.Stop();                     // idempotent
}

TEST(BackgroundJobs, AThrowingJobKeepsItsSchedule) {
  std::atomic<int> calls{0};
  BackgroundJobs jobs;
  jobs.Every("flaky", 1ms, [&] {
    if (++calls % 2 == 1) throw std::runtime_error("transient");
  });
  jobs.Start();
  EXPECT_TRUE(WaitFor([&] { return calls.load() >= 4; }));
}

TEST(BackgroundJobs, JobsRunOneAtATime) {
  std::atomic<int> inside{0}, max_inside{0}, runs{0};
  auto body = [&] {
    const int now = ++inside;
    int seen = max_inside.load();
    while (now > seen && !max_inside.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::sleep_for(1ms);
    --inside;
    ++runs;
  };
  BackgroundJobs jobs;
  jobs.Every("x", 1ms, body);
  jobs.Every("y", 1ms, body);
  jobs.Start();
  ASSERT_TRUE(WaitFor([&] { return runs.load() >= 10; }));
  jobs.Stop();
  EXPECT_EQ(max_inside.load(), 1);
}

TEST(BackgroundJobs, RejectsBadRegistrations) {
  BackgroundJobs jobs;
  EXPECT_THROW(jobs.Every("zero", 0ms, [] {}), std::invalid_argument);
  jobs.Start();
  EXPECT_THROW(jobs.Every("late", 1ms, [] {}), std::logic_error);
}

}  // namespace
}  // namespace tenantkv::server

#include "engine/fair_scheduler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace tenantkv::engine {
namespace {

SchedParams Budget(int64_t max_queue_us) {
  SchedParams p;
  p.max_queue_us = max_queue_us;
  return p;
}

TEST(FairScheduler, UncontendedOperationsRunAtOnceOnTheCaller) {
  FakeClock clock;
  FairScheduler s(2, &clock);
  std::thread::id caller = std::this_thread::get_id(), ran_on;
  ASSERT_TRUE(s.Run("a", Budget(1'000'000), 1, [&] { ran_on = std::this_thread::get_id(); }).ok());
  EXPECT_EQ(ran_on, caller);
  EXPECT_EQ(s.Stats("a").served, 1u);
  EXPECT_EQ(s.Queued("a"), 0u);
}

TEST(FairScheduler, AtMostSlotsRunAtOnce) {
  FakeClock clock;
  FairScheduler s(2, &clock);
  std::atomic<int> running{0}, peak{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        ASSERT_TRUE(s.Run("a", Budget(1'000'000'000), 1, [&] {
                       int now = ++running;
                       int p = peak.load();
                       while (now > p && !peak.compare_exchange_weak(p, now)) {
                       }
                       std::this_thread::yield();
                       --running;
                     }).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(peak.load(), 2);
  EXPECT_EQ(s.Stats("a").served, 300u);
}

TEST(FairScheduler, PastTheBudgetAnOperationIsNotRun) {
  FakeClock clock;
  FairScheduler s(1, &clock);
  std::mutex mu;
  std::condition_variable cv;
  bool release = false, blocking = false;
  std::thread holder([&] {
    ASSERT_TRUE(s.Run("a", Budget(1'000'000'000), 1, [&] {  // holds the only slot
                   std::unique_lock<std::mutex> lock(mu);
                   blocking = true;
                   cv.notify_all();
                   cv.wait(lock, [&] { return release; });
                 }).ok());
  });
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return blocking; });  // the only slot is taken
  }
  std::atomic<bool> ran{false};
  Status late;
  std::thread waiter([&] { late = s.Run("b", Budget(1000), 1, [&] { ran = true; }); });
  // Once the waiter is queued, let its budget pass before the slot is free.
  while (s.Queued("b") == 0) std::this_thread::yield();
  clock.AdvanceMillis(10);
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  holder.join();
  waiter.join();
  EXPECT_FALSE(ran.load());
  EXPECT_EQ(late.code(), Code::kUnavailable);
  EXPECT_EQ(late.reason(), "deadline");
  EXPECT_EQ(s.Stats("b").expired_deadline, 1u);
}

TEST(FairScheduler, AThrowingOperationGivesItsSlotBack) {
  FakeClock clock;
  FairScheduler s(1, &clock);
  EXPECT_THROW((void)s.Run("a", Budget(1'000'000), 1, [] { throw std::runtime_error("boom"); }),
               std::runtime_error);
  bool ran = false;
  EXPECT_TRUE(s.Run("a", Budget(1'000'000), 1, [&] { ran = true; }).ok());
  EXPECT_TRUE(ran);
}

TEST(FairScheduler, ManyCallersAllComplete) {
  FakeClock clock;
  FairScheduler s(3, &clock);
  std::atomic<int> count{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        ASSERT_TRUE(s.Run(t % 2 ? "a" : "b", Budget(1'000'000'000), 1, [&] { ++count; }).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(count.load(), 1600);
  EXPECT_EQ(s.Stats("a").served + s.Stats("b").served, 1600u);
}

}  // namespace
}  // namespace tenantkv::engine

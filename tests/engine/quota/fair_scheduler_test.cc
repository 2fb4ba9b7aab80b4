#include "engine/quota/fair_scheduler.h"
#include "tests/testing/fake_clock.h"

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

TEST(FairScheduler, TryRunRunsOnlyWithAFreeSlotAndCountsOnlyWhatItDid) {
  FakeClock clock;
  FairScheduler s(1, &clock);
  int ran = 0;
  EXPECT_TRUE(s.TryRun("a", 1, [&] { return ++ran > 0; }));
  EXPECT_EQ(s.Stats("a").served, 1u);
  EXPECT_FALSE(s.TryRun("a", 1, [&] {
    ++ran;
    return false;  // it would have blocked
  }));
  EXPECT_EQ(s.Stats("a").served, 1u) << "an attempt that gave up is not counted";
  EXPECT_EQ(ran, 2);
  // With its one slot taken, TryRun never waits and never runs.
  ASSERT_TRUE(s.Run("a", Budget(1'000'000), 1, [&] {
                 EXPECT_FALSE(s.TryRun("b", 1, [&] { return ++ran > 0; }));
               }).ok());
  EXPECT_EQ(ran, 2);
  EXPECT_TRUE(s.TryRun("b", 1, [] { return true; })) << "the slot came back";
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

TEST(FairScheduler, QueueWaitHistogramAndDepth) {
  FakeClock clock;
  FairScheduler s(1, &clock);
  ASSERT_TRUE(s.Run("a", Budget(1'000'000'000), 1, [] {}).ok());  // uncontended: waited 0
  std::mutex mu;
  std::condition_variable cv;
  bool release = false, blocking = false;
  std::thread holder([&] {
    ASSERT_TRUE(s.Run("a", Budget(1'000'000'000), 1, [&] {
                   std::unique_lock<std::mutex> lock(mu);
                   blocking = true;
                   cv.notify_all();
                   cv.wait(lock, [&] { return release; });
                 }).ok());
  });
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return blocking; });
  }
  std::thread waiter([&] { ASSERT_TRUE(s.Run("b", Budget(1'000'000'000), 2.5, [] {}).ok()); });
  while (s.Queued("b") == 0) std::this_thread::yield();
  const auto during = s.AllStats();
  ASSERT_EQ(during.count("b"), 1u);
  EXPECT_EQ(during.at("b").queued, 1u);
  EXPECT_EQ(during.at("a").queued, 0u);
  clock.AdvanceMillis(3);  // b waits 3 ms: the (2.5 ms, 5 ms] bucket
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  holder.join();
  waiter.join();
  const auto after = s.AllStats();
  const SchedulerTenantStats& a = after.at("a");
  const SchedulerTenantStats& b = after.at("b");
  EXPECT_EQ(a.queue_wait_buckets[0], 2u);  // both of a's ran at once
  EXPECT_EQ(b.queued, 0u);
  EXPECT_EQ(b.served, 1u);
  EXPECT_DOUBLE_EQ(b.served_cost, 2.5);
  EXPECT_EQ(b.queue_wait_us_total, 3000);
  size_t bucket = 0;
  while (kQueueWaitBoundsUs[bucket] < 3000) ++bucket;
  EXPECT_EQ(kQueueWaitBoundsUs[bucket], 5000);
  for (size_t i = 0; i < b.queue_wait_buckets.size(); ++i) {
    EXPECT_EQ(b.queue_wait_buckets[i], i == bucket ? 1u : 0u) << i;
  }
}

TEST(FairScheduler, ForgetDropsADeletedTenantsCounters) {
  FakeClock clock;
  FairScheduler s(1, &clock);
  ASSERT_TRUE(s.Run("gone", Budget(1'000'000), 1, [] {}).ok());
  ASSERT_TRUE(s.Run("kept", Budget(1'000'000), 1, [] {}).ok());
  s.Forget("gone");
  const auto all = s.AllStats();
  EXPECT_EQ(all.count("gone"), 0u);
  EXPECT_EQ(all.count("kept"), 1u);
  EXPECT_EQ(s.Stats("gone").served, 0u);
}

}  // namespace
}  // namespace tenantkv::engine

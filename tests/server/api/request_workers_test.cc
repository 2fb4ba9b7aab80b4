#include "server/api/request_workers.h"

#include <gtest/gtest.h>

#include <future>
#include <mutex>
#include <string>
#include <vector>

#include "tests/testing/fake_clock.h"

namespace tenantkv::server {
namespace {

// One worker held by a first task until Open(), so that what is submitted
// meanwhile queues and is then taken in the queue's order.
class HeldWorker {
 public:
  explicit HeldWorker(engine::FakeClock* clock) : workers_(std::make_unique<RequestWorkers>(1, clock)) {
    std::shared_future<void> gate = gate_.get_future().share();
    std::promise<void> started;
    std::future<void> running = started.get_future();
    EXPECT_TRUE(workers_->Submit("gate", {}, 1, [gate, &started](bool) {
      started.set_value();
      gate.wait();
    }));
    running.wait();
  }
  RequestWorkers& workers() { return *workers_; }
  void Open() { gate_.set_value(); }
  void Join() { workers_.reset(); }

 private:
  std::promise<void> gate_;
  std::unique_ptr<RequestWorkers> workers_;
};

TEST(RequestWorkers, TakesQueuedWorkInWeightedFairOrderByTenant) {
  engine::FakeClock clock;
  HeldWorker held(&clock);
  std::mutex mu;
  std::vector<std::string> order;
  auto record = [&](const std::string& who) {
    return [&mu, &order, who](bool expired) {
      EXPECT_FALSE(expired);
      std::lock_guard<std::mutex> lock(mu);
      order.push_back(who);
    };
  };
  engine::SchedParams light;
  engine::SchedParams heavy;
  heavy.weight = 3;
  // The flood arrives first, all of it; the other tenant's work after.
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(held.workers().Submit("flood", light, 1, record("flood")));
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(held.workers().Submit("victim", heavy, 1, record("victim")));
  held.Open();
  held.Join();
  ASSERT_EQ(order.size(), 14u);
  // Weight 3 against 1: of the first eight taken, six are the victim's,
  // although all of the flood's were queued before.
  int victim = 0;
  for (size_t i = 0; i < 8; ++i) victim += order[i] == "victim" ? 1 : 0;
  EXPECT_EQ(victim, 6);
}

TEST(RequestWorkers, WorkThatWaitedPastItsBudgetIsToldSo) {
  engine::FakeClock clock;
  HeldWorker held(&clock);
  engine::SchedParams p;
  p.max_queue_us = 5'000;
  std::promise<bool> first;
  std::promise<bool> second;
  ASSERT_TRUE(held.workers().Submit("t", p, 1, [&first](bool expired) { first.set_value(expired); }));
  clock.AdvanceMillis(10);
  ASSERT_TRUE(held.workers().Submit("t", p, 1, [&second](bool expired) { second.set_value(expired); }));
  held.Open();
  EXPECT_TRUE(first.get_future().get()) << "queued 10 ms with a 5 ms budget";
  EXPECT_FALSE(second.get_future().get());
}

TEST(RequestWorkers, AFullTenantQueueRefusesOnlyThatTenant) {
  engine::FakeClock clock;
  HeldWorker held(&clock);
  engine::SchedParams p;
  p.max_queue_len = 2;
  int ran = 0;
  std::mutex mu;
  auto count = [&](bool) {
    std::lock_guard<std::mutex> lock(mu);
    ++ran;
  };
  EXPECT_TRUE(held.workers().Submit("a", p, 1, count));
  EXPECT_TRUE(held.workers().Submit("a", p, 1, count));
  EXPECT_FALSE(held.workers().Submit("a", p, 1, count));
  EXPECT_TRUE(held.workers().Submit("b", p, 1, count));
  held.Open();
  held.Join();  // runs everything queued before joining
  EXPECT_EQ(ran, 3);
}

}  // namespace
}  // namespace tenantkv::server

#include "engine/quota/fair_queue.h"

#include <gtest/gtest.h>

#include <map>

namespace tenantkv::engine {
namespace {

SchedParams Params(double weight, double reserved = 0, int64_t max_queue_us = 1'000'000'000,
                   size_t max_len = 100'000) {
  SchedParams p;
  p.weight = weight;
  p.reserved_ops_per_sec = reserved;
  p.max_queue_us = max_queue_us;
  p.max_queue_len = max_len;
  return p;
}

// Keeps every named tenant backlogged (refilled as served) and counts pops.
std::map<std::string, int> Serve(FairQueue& q, const std::map<std::string, std::pair<SchedParams, double>>& t,
                                 int pops, int64_t* now, int64_t step_us,
                                 std::map<std::string, int>* by_reservation = nullptr) {
  uint64_t id = 0;
  for (const auto& [name, pc] : t) {
    for (int i = 0; i < 4; ++i) EXPECT_TRUE(q.Enqueue(name, pc.first, {++id, pc.second, *now}, *now));
  }
  std::map<std::string, int> served;
  for (int i = 0; i < pops; ++i) {
    auto p = q.Pop(*now);
    EXPECT_TRUE(p.has_value());
    ++served[p->tenant];
    if (by_reservation != nullptr && p->by_reservation) ++(*by_reservation)[p->tenant];
    const auto& pc = t.at(p->tenant);
    EXPECT_TRUE(q.Enqueue(p->tenant, pc.first, {++id, pc.second, *now}, *now));
    *now += step_us;
  }
  return served;
}

TEST(FairQueue, WeightsSplitServiceProportionally) {
  struct Case { double wa, wb; int expect_a; };
  for (const Case& c : {Case{1, 1, 500}, Case{1, 3, 250}, Case{1, 9, 100}, Case{2, 3, 400}}) {
    SCOPED_TRACE(std::to_string(c.wa) + ":" + std::to_string(c.wb));
    FairQueue q;
    int64_t now = 0;
    auto served = Serve(q, {{"a", {Params(c.wa), 1}}, {"b", {Params(c.wb), 1}}}, 1000, &now, 0);
    EXPECT_NEAR(served["a"], c.expect_a, 2);
    EXPECT_EQ(served["a"] + served["b"], 1000);
  }
}

TEST(FairQueue, CostCountsAgainstTheShare) {
  FairQueue q;
  int64_t now = 0;
  auto served = Serve(q, {{"big", {Params(1), 3}}, {"small", {Params(1), 1}}}, 400, &now, 0);
  EXPECT_NEAR(served["small"], 300, 2);
  EXPECT_NEAR(served["big"], 100, 2);
}

TEST(FairQueue, WorkConservingWhenAlone) {
  FairQueue q;
  int64_t now = 0;
  auto served = Serve(q, {{"a", {Params(1), 1}}}, 100, &now, 0);
  EXPECT_EQ(served["a"], 100);
}

TEST(FairQueue, ReservationIsAFloorAgainstHeavyWeights) {
  FairQueue q;
  int64_t now = 0;
  std::map<std::string, int> by_res;
  // 1 ms per pop = 1,000 ops/s of capacity for 1 s; "small" reserves 100/s.
  auto served = Serve(q, {{"small", {Params(1, 100), 1}}, {"heavy", {Params(100), 1}}}, 1000, &now, 1000,
                      &by_res);
  EXPECT_NEAR(by_res["small"], 100, 2);
  EXPECT_GE(served["small"], 100);
  EXPECT_LE(served["small"], 115);  // its weighted share on top is ~1/101 of the rest
  EXPECT_EQ(by_res["heavy"], 0);
}

TEST(FairQueue, LateArrivalGetsNoCreditForIdleTime) {
  FairQueue q;
  int64_t now = 0;
  uint64_t id = 0;
  for (int i = 0; i < 2000; ++i) ASSERT_TRUE(q.Enqueue("a", Params(1), {++id, 1, now}, now));
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(q.Pop(now)->tenant, "a");
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(q.Enqueue("b", Params(1), {++id, 1, now}, now));
  int b = 0;
  for (int i = 0; i < 100; ++i) b += q.Pop(now)->tenant == "b";
  EXPECT_NEAR(b, 50, 1);
}

TEST(FairQueue, ExpiredItemsAreMarked) {
  FairQueue q;
  ASSERT_TRUE(q.Enqueue("a", Params(1, 0, 1000), {1, 1, 0}, 0));
  ASSERT_TRUE(q.Enqueue("a", Params(1, 0, 1000), {2, 1, 5000}, 5000));
  auto first = q.Pop(5000);
  EXPECT_TRUE(first->expired);
  auto second = q.Pop(5000);
  EXPECT_FALSE(second->expired);
  EXPECT_FALSE(q.Pop(5000).has_value());
}

TEST(FairQueue, QueuesAreBounded) {
  FairQueue q;
  EXPECT_TRUE(q.Enqueue("a", Params(1, 0, 1000, 2), {1, 1, 0}, 0));
  EXPECT_TRUE(q.Enqueue("a", Params(1, 0, 1000, 2), {2, 1, 0}, 0));
  EXPECT_FALSE(q.Enqueue("a", Params(1, 0, 1000, 2), {3, 1, 0}, 0));
  EXPECT_TRUE(q.Enqueue("b", Params(1, 0, 1000, 2), {4, 1, 0}, 0));  // others unaffected
  EXPECT_EQ(q.QueueLength("a"), 2u);
  EXPECT_EQ(q.size(), 3u);
}

// A node of many tenants, each served once: their state is dropped once
// its tags no longer matter, so memory and the cost of a pop follow the
// tenants with work waiting, not all tenants ever served.
TEST(FairQueue, TenantsServedOnceAreForgottenOnceTheirTagsPass) {
  FairQueue q;
  int64_t now = 0;
  uint64_t id = 0;
  for (int i = 0; i < 100000; ++i) {
    const std::string t = "t" + std::to_string(i);
    ASSERT_TRUE(q.Enqueue(t, Params(1, i % 10 == 0 ? 100 : 0), {++id, 1, now}, now));
    ASSERT_TRUE(q.Pop(now).has_value());
    now += 100;  // 10,000 pops a second
  }
  // The last ones' finish tags are still ahead of the virtual time, and
  // reserved tenants served within the last 10 ms are still due later.
  EXPECT_LT(q.tenants_tracked(), 200u);
  // The clock moves past the reservations; once a busy tenant's work is
  // done, nobody's tags matter any more: all are forgotten.
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(q.Enqueue("busy", Params(1), {++id, 1, now}, now));
  now += 1'000'000;
  for (int i = 0; i < 9; ++i) ASSERT_TRUE(q.Pop(now).has_value());
  EXPECT_EQ(q.tenants_tracked(), 1u);  // busy, with work waiting
  ASSERT_TRUE(q.Pop(now).has_value());
  EXPECT_EQ(q.tenants_tracked(), 0u);
  EXPECT_EQ(q.size(), 0u);
}

// A reserved tenant whose queue empties after each call is still served
// from its reservation no faster than reserved: its reservation tag is
// kept while the queue is empty.
TEST(FairQueue, AnEmptiedQueueKeepsItsReservationTag) {
  FairQueue q;
  uint64_t id = 0;
  int64_t now = 1'000'000;
  ASSERT_TRUE(q.Enqueue("r", Params(1, 10), {++id, 1, now}, now));  // 10 a second: one per 100 ms
  auto first = q.Pop(now);
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(first->by_reservation);
  now += 10'000;  // 10 ms later: not due yet, served by weight (it is alone)
  ASSERT_TRUE(q.Enqueue("r", Params(1, 10), {++id, 1, now}, now));
  auto second = q.Pop(now);
  ASSERT_TRUE(second.has_value());
  EXPECT_FALSE(second->by_reservation);
  now += 200'000;  // due again
  ASSERT_TRUE(q.Enqueue("r", Params(1, 10), {++id, 1, now}, now));
  auto third = q.Pop(now);
  ASSERT_TRUE(third.has_value());
  EXPECT_TRUE(third->by_reservation);
}

// A queue's weight and reservation can change while items wait: the next
// pop uses the new ones.
TEST(FairQueue, NewParamsApplyToWaitingItems) {
  FairQueue q;
  uint64_t id = 0;
  int64_t now = 1'000'000;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(q.Enqueue("a", Params(1), {++id, 1, now}, now));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(q.Enqueue("b", Params(1), {++id, 1, now}, now));
  // b gains a reservation while its items wait: served first from it.
  ASSERT_TRUE(q.Enqueue("b", Params(1, 1000), {++id, 1, now}, now));
  auto p = q.Pop(now);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->tenant, "b");
  EXPECT_TRUE(p->by_reservation);
  size_t left = 0;
  while (q.Pop(now + 1)) ++left;
  EXPECT_EQ(left, 6u);
  EXPECT_EQ(q.size(), 0u);
}

}  // namespace
}  // namespace tenantkv::engine

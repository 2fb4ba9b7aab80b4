// TokenBucket: admission, refill, debt and waiting times, on a fake clock.
//
// Rates and steps are chosen so every refill adds an exactly representable
// amount (e.g. 1000/s in whole milliseconds): comparisons can then be exact.
#include "engine/quota/token_bucket.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "engine/clock.h"
#include "tests/testing/fake_clock.h"

namespace tenantkv::engine {
namespace {

int64_t Now(const FakeClock& clock) { return clock.NowMonotonicMicros(); }

TEST(TokenBucket, StartsFull) {
  FakeClock clock;
  TokenBucket b(10, 5, Now(clock));
  EXPECT_EQ(b.Available(Now(clock)), 5.0);
  EXPECT_EQ(b.rate(), 10.0);
  EXPECT_EQ(b.capacity(), 5.0);
}

TEST(TokenBucket, TryTakeSucceedsUpToCapacityThenFails) {
  FakeClock clock;
  TokenBucket b(10, 5, Now(clock));
  for (int i = 0; i < 5; ++i) {
    SCOPED_TRACE("take " + std::to_string(i));
    EXPECT_TRUE(b.TryTake(1, Now(clock)));
  }
  EXPECT_FALSE(b.TryTake(1, Now(clock)));
  EXPECT_EQ(b.Available(Now(clock)), 0.0);
}

TEST(TokenBucket, FailedTryTakeTakesNothing) {
  FakeClock clock;
  TokenBucket b(10, 5, Now(clock));
  ASSERT_TRUE(b.TryTake(3, Now(clock)));
  EXPECT_FALSE(b.TryTake(3, Now(clock)));
  EXPECT_EQ(b.Available(Now(clock)), 2.0);
  EXPECT_TRUE(b.TryTake(2, Now(clock)));
}

TEST(TokenBucket, RefillsAtRate) {
  struct Case {
    double rate;
    double capacity;
    double taken;
    int64_t elapsed_ms;
    double expected;
  };
  const std::vector<Case> cases = {
      {10, 5, 5, 100, 1},       // 10/s: 100 ms is exactly one token
      {10, 5, 5, 250, 2.5},
      {10, 5, 5, 0, 0},
      {1000, 100, 100, 37, 37},
      {4, 8, 8, 1500, 6},
      {10, 5, 5, 10'000, 5},    // capped at capacity
  };
  for (const auto& c : cases) {
    SCOPED_TRACE("rate " + std::to_string(c.rate) + " elapsed_ms " + std::to_string(c.elapsed_ms));
    FakeClock clock;
    TokenBucket b(c.rate, c.capacity, Now(clock));
    ASSERT_TRUE(b.TryTake(c.taken, Now(clock)));
    clock.AdvanceMillis(c.elapsed_ms);
    EXPECT_EQ(b.Available(Now(clock)), c.expected);
  }
}

TEST(TokenBucket, OneMoreTokenExactlyWhenItHasRefilled) {
  FakeClock clock;
  TokenBucket b(10, 5, Now(clock));
  ASSERT_TRUE(b.TryTake(5, Now(clock)));
  clock.AdvanceMillis(100);
  EXPECT_TRUE(b.TryTake(1, Now(clock)));
  EXPECT_FALSE(b.TryTake(1, Now(clock)));

  // At 1000/s each millisecond is one whole token: check the edge exactly.
  TokenBucket fast(1000, 3, Now(clock));
  ASSERT_TRUE(fast.TryTake(3, Now(clock)));
  EXPECT_FALSE(fast.TryTake(2, Now(clock)));
  clock.AdvanceMillis(1);
  EXPECT_FALSE(fast.TryTake(2, Now(clock)));
  clock.AdvanceMillis(1);
  EXPECT_TRUE(fast.TryTake(2, Now(clock)));
  EXPECT_FALSE(fast.TryTake(1, Now(clock)));
}

TEST(TokenBucket, NeverExceedsCapacity) {
  FakeClock clock;
  TokenBucket b(1000, 7, Now(clock));
  clock.AdvanceMillis(60'000);
  EXPECT_EQ(b.Available(Now(clock)), 7.0);
  ASSERT_TRUE(b.TryTake(7, Now(clock)));
  EXPECT_FALSE(b.TryTake(1, Now(clock)));
  clock.AdvanceMillis(1'000);
  EXPECT_EQ(b.Available(Now(clock)), 7.0);
}

TEST(TokenBucket, TimeGoingBackwardsAddsNothing) {
  TokenBucket b(1000, 10, /*now_us=*/5'000'000);
  ASSERT_TRUE(b.TryTake(10, 5'000'000));
  EXPECT_EQ(b.Available(4'000'000), 0.0);
  EXPECT_EQ(b.Available(5'002'000), 2.0);
}

TEST(TokenBucket, ChargeGoesIntoDebtAndTryTakeFailsUntilRepaid) {
  FakeClock clock;
  TokenBucket b(1000, 5, Now(clock));
  b.Charge(8, Now(clock));
  EXPECT_EQ(b.Available(Now(clock)), -3.0);
  // One token needs the 3 of debt repaid first: 4 ms at 1000/s.
  for (int ms = 0; ms < 3; ++ms) {
    SCOPED_TRACE("after " + std::to_string(ms) + " ms");
    EXPECT_FALSE(b.TryTake(1, Now(clock)));
    clock.AdvanceMillis(1);
  }
  EXPECT_EQ(b.Available(Now(clock)), 0.0);
  EXPECT_FALSE(b.TryTake(1, Now(clock)));
  clock.AdvanceMillis(1);
  EXPECT_TRUE(b.TryTake(1, Now(clock)));
  EXPECT_EQ(b.Available(Now(clock)), 0.0);
}

TEST(TokenBucket, ChargeTakesEvenWhenAlreadyInDebt) {
  FakeClock clock;
  TokenBucket b(10, 5, Now(clock));
  b.Charge(5, Now(clock));
  b.Charge(5, Now(clock));
  EXPECT_EQ(b.Available(Now(clock)), -5.0);
  clock.AdvanceMillis(1'000);  // 10 tokens: debt repaid, bucket full
  EXPECT_EQ(b.Available(Now(clock)), 5.0);
}

TEST(TokenBucket, MicrosUntilIsExact) {
  struct Case {
    std::string name;
    double rate;
    double capacity;
    double charge;  // charged at t=0 (may leave a debt)
    double n;
    int64_t expected;
  };
  const std::vector<Case> cases = {
      {"full bucket", 10, 5, 0, 1, 0},
      {"exactly enough", 10, 5, 4, 1, 0},
      {"empty, one token at 10/s", 10, 5, 5, 1, 100'000},
      {"empty, three tokens at 10/s", 10, 5, 5, 3, 300'000},
      {"empty, fractional need", 4, 8, 8, 0.5, 125'000},
      {"partial, rounds up", 3, 3, 3, 1, 333'334},
      {"in debt", 10, 5, 10, 1, 600'000},
      {"in debt, n > capacity never fits", 10, 5, 10, 100, INT64_MAX},
      {"n > capacity on a full bucket never fits", 10, 5, 0, 100, INT64_MAX},
      {"n > capacity, partly empty, never fits", 10, 5, 2, 6, INT64_MAX},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    FakeClock clock;
    TokenBucket b(c.rate, c.capacity, Now(clock));
    b.Charge(c.charge, Now(clock));
    EXPECT_EQ(b.MicrosUntil(c.n, Now(clock)), c.expected);
  }
}

TEST(TokenBucket, MicrosUntilIsWhenTryTakeFirstSucceeds) {
  FakeClock clock;
  TokenBucket b(1000, 10, Now(clock));
  b.Charge(15, Now(clock));  // -5
  const int64_t wait_us = b.MicrosUntil(2, Now(clock));
  ASSERT_EQ(wait_us, 7'000);
  clock.AdvanceMillis(wait_us / 1000 - 1);
  EXPECT_FALSE(b.TryTake(2, Now(clock)));
  EXPECT_EQ(b.MicrosUntil(2, Now(clock)), 1'000);
  clock.AdvanceMillis(1);
  EXPECT_EQ(b.MicrosUntil(2, Now(clock)), 0);
  EXPECT_TRUE(b.TryTake(2, Now(clock)));
}

TEST(TokenBucket, MicrosUntilWithZeroRateIsForever) {
  FakeClock clock;
  TokenBucket b(0, 5, Now(clock));
  EXPECT_EQ(b.MicrosUntil(5, Now(clock)), 0);
  ASSERT_TRUE(b.TryTake(5, Now(clock)));
  EXPECT_EQ(b.MicrosUntil(1, Now(clock)), INT64_MAX);
}

TEST(TokenBucket, NeverTakesMoreThanItsCapacity) {
  FakeClock clock;
  TokenBucket b(1000, 5, Now(clock));
  EXPECT_FALSE(b.TryTake(8, Now(clock)));  // a full bucket too
  EXPECT_EQ(b.Available(Now(clock)), 5.0);
  EXPECT_TRUE(b.TryTake(5, Now(clock)));
  EXPECT_EQ(b.MicrosUntil(8, Now(clock)), INT64_MAX);
}

TEST(TokenBucket, ReconfigureToSmallerCapacityClipsTokens) {
  FakeClock clock;
  TokenBucket b(10, 10, Now(clock));
  b.Reconfigure(20, 4, Now(clock));
  EXPECT_EQ(b.rate(), 20.0);
  EXPECT_EQ(b.capacity(), 4.0);
  EXPECT_EQ(b.Available(Now(clock)), 4.0);
  EXPECT_TRUE(b.TryTake(4, Now(clock)));
  EXPECT_FALSE(b.TryTake(1, Now(clock)));
  clock.AdvanceMillis(1'000);
  EXPECT_EQ(b.Available(Now(clock)), 4.0);
}

TEST(TokenBucket, ReconfigureToLargerCapacityAddsNoTokens) {
  FakeClock clock;
  TokenBucket b(1000, 5, Now(clock));
  ASSERT_TRUE(b.TryTake(2, Now(clock)));
  b.Reconfigure(1000, 50, Now(clock));
  EXPECT_EQ(b.capacity(), 50.0);
  EXPECT_EQ(b.Available(Now(clock)), 3.0);
  clock.AdvanceMillis(100);
  EXPECT_EQ(b.Available(Now(clock)), 50.0);
}

TEST(TokenBucket, ReconfigureRefillsAtTheOldRateFirst) {
  FakeClock clock;
  TokenBucket b(10, 10, Now(clock));
  ASSERT_TRUE(b.TryTake(10, Now(clock)));
  clock.AdvanceMillis(500);
  b.Reconfigure(100, 10, Now(clock));  // 5 tokens earned at 10/s
  EXPECT_EQ(b.Available(Now(clock)), 5.0);
  clock.AdvanceMillis(10);             // then 1 more at 100/s
  EXPECT_EQ(b.Available(Now(clock)), 6.0);
}

TEST(TokenBucket, ReconfigureKeepsADebt) {
  FakeClock clock;
  TokenBucket b(1000, 10, Now(clock));
  b.Charge(14, Now(clock));
  b.Reconfigure(1000, 2, Now(clock));
  EXPECT_EQ(b.Available(Now(clock)), -4.0);
  EXPECT_EQ(b.MicrosUntil(1, Now(clock)), 5'000);
}

TEST(TokenBucket, ResetFillsTheBucket) {
  FakeClock clock;
  TokenBucket b(0, 0, 0);  // a placeholder, as a Tenant's limits start
  b.Reset(1000, 20, Now(clock));
  EXPECT_EQ(b.rate(), 1000.0);
  EXPECT_EQ(b.capacity(), 20.0);
  EXPECT_EQ(b.Available(Now(clock)), 20.0);
  b.Charge(30, Now(clock));
  b.Reset(1000, 5, Now(clock));  // forgives a debt too
  EXPECT_EQ(b.Available(Now(clock)), 5.0);
  clock.AdvanceMillis(1);
  EXPECT_EQ(b.Available(Now(clock)), 5.0);
}

}  // namespace
}  // namespace tenantkv::engine

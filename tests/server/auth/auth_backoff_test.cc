#include "server/auth/auth_backoff.h"
#include "tests/testing/fake_clock.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace tenantkv::server {
namespace {

constexpr int64_t kSec = 1'000'000;

AuthBackoffOptions Opts(size_t limit = 3, size_t table = 16) {
  AuthBackoffOptions o;
  o.fail_limit = limit;
  o.window_us = 60 * kSec;
  o.base_us = 2 * kSec;
  o.max_us = 16 * kSec;
  o.table_size = table;
  return o;
}

TEST(AuthBackoff, RefusesAfterTheLimitWithinTheWindow) {
  engine::FakeClock clock;
  AuthBackoff b(Opts(), &clock);
  b.RecordFailure("10.0.0.1");
  b.RecordFailure("10.0.0.1");
  EXPECT_EQ(b.RefusedForMicros("10.0.0.1"), 0);
  b.RecordFailure("10.0.0.1");
  EXPECT_EQ(b.RefusedForMicros("10.0.0.1"), 2 * kSec);
  EXPECT_EQ(b.RefusedForMicros("10.0.0.2"), 0);  // others unaffected
  clock.AdvanceMillis(1500);
  EXPECT_EQ(b.RefusedForMicros("10.0.0.1"), kSec / 2);
  clock.AdvanceMillis(500);
  EXPECT_EQ(b.RefusedForMicros("10.0.0.1"), 0);
}

TEST(AuthBackoff, FailuresSpreadBeyondTheWindowAreNotRefused) {
  engine::FakeClock clock;
  AuthBackoff b(Opts(), &clock);
  for (int i = 0; i < 10; ++i) {
    b.RecordFailure("10.0.0.1");
    b.RecordFailure("10.0.0.1");
    EXPECT_EQ(b.RefusedForMicros("10.0.0.1"), 0);
    clock.AdvanceMillis(61'000);
  }
}

TEST(AuthBackoff, RepeatedRefusalsDoubleUpToTheMaximum) {
  engine::FakeClock clock;
  AuthBackoff b(Opts(), &clock);
  for (int i = 0; i < 3; ++i) b.RecordFailure("10.0.0.1");
  EXPECT_EQ(b.RefusedForMicros("10.0.0.1"), 2 * kSec);
  // Once refused, each further failure after the refusal refuses again, twice as long.
  for (int64_t expect : {4, 8, 16, 16}) {
    clock.AdvanceMillis(b.RefusedForMicros("10.0.0.1") / 1000);
    EXPECT_EQ(b.RefusedForMicros("10.0.0.1"), 0);
    b.RecordFailure("10.0.0.1");
    EXPECT_EQ(b.RefusedForMicros("10.0.0.1"), expect * kSec);
  }
  // Quiet for a window after the refusal ended: the penalty is forgotten.
  clock.AdvanceMillis(16'000 + 60'000);
  b.RecordFailure("10.0.0.1");
  EXPECT_EQ(b.RefusedForMicros("10.0.0.1"), 0);
}

TEST(AuthBackoff, TheTableIsBoundedAndForgetsTheLeastRecent) {
  engine::FakeClock clock;
  AuthBackoff b(Opts(3, 16), &clock);
  for (int i = 0; i < 3; ++i) b.RecordFailure("10.0.0.1");
  ASSERT_GT(b.RefusedForMicros("10.0.0.1"), 0);
  for (int i = 0; i < 1000; ++i) b.RecordFailure("192.168.0." + std::to_string(i));
  EXPECT_EQ(b.tracked(), 16u);
  EXPECT_EQ(b.RefusedForMicros("10.0.0.1"), 0);  // evicted
  // The most recent ones are still counted.
  b.RecordFailure("192.168.0.999");
  b.RecordFailure("192.168.0.999");
  EXPECT_GT(b.RefusedForMicros("192.168.0.999"), 0);
}

TEST(AuthBackoff, ZeroLimitTurnsItOff) {
  engine::FakeClock clock;
  AuthBackoff b(Opts(0), &clock);
  for (int i = 0; i < 100; ++i) b.RecordFailure("10.0.0.1");
  EXPECT_EQ(b.RefusedForMicros("10.0.0.1"), 0);
  EXPECT_EQ(b.tracked(), 0u);
}

TEST(AuthBackoff, CountsIpv6ByItsSlash64) {
  struct Case {
    const char* addr;
    const char* key;
  };
  for (const Case& c : {Case{"10.1.2.3", "10.1.2.3"}, Case{"::ffff:10.1.2.3", "10.1.2.3"},
                        Case{"2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"},
                        Case{"::1", "::/64"}, Case{"not an address", "not an address"}}) {
    SCOPED_TRACE(c.addr);
    EXPECT_EQ(AuthBackoff::ClientKey(c.addr), c.key);
  }
  engine::FakeClock clock;
  AuthBackoff b(Opts(), &clock);
  b.RecordFailure("2001:db8::1");
  b.RecordFailure("2001:db8::2");
  b.RecordFailure("2001:db8::3");
  EXPECT_GT(b.RefusedForMicros("2001:db8::ffff"), 0);
  EXPECT_EQ(b.RefusedForMicros("2001:db8:0:1::1"), 0);
}

TEST(AuthBackoff, AFailureWhileRefusedIsRefusedAndNotCounted) {
  engine::FakeClock clock;
  AuthBackoff b(Opts(), &clock);
  // The failures up to the limit are answered as failures (0); the limit starts the refusal.
  EXPECT_EQ(b.RecordFailure("10.0.0.1"), 0);
  EXPECT_EQ(b.RecordFailure("10.0.0.1"), 0);
  EXPECT_EQ(b.RecordFailure("10.0.0.1"), 0);
  EXPECT_EQ(b.RefusedForMicros("10.0.0.1"), 2 * kSec);
  clock.AdvanceMillis(500);
  // Refused failures neither lengthen the refusal nor raise its level.
  for (int i = 0; i < 10; ++i) EXPECT_EQ(b.RecordFailure("10.0.0.1"), 1500 * 1000);
  clock.AdvanceMillis(1500);
  EXPECT_EQ(b.RecordFailure("10.0.0.1"), 0);  // the first failure after it: refused again, twice as long
  EXPECT_EQ(b.RefusedForMicros("10.0.0.1"), 4 * kSec);
}

// Deciding and counting are one step: however many connections fail at
// once, an address gets exactly `fail_limit` failures answered as such.
TEST(AuthBackoff, ConcurrentFailuresGetNoAnswerBeyondTheLimit) {
  engine::FakeClock clock;
  AuthBackoff b(Opts(5), &clock);
  std::atomic<int> answered{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) answered += b.RecordFailure("10.0.0.9") == 0 ? 1 : 0;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(answered.load(), 5);
}

}  // namespace
}  // namespace tenantkv::server

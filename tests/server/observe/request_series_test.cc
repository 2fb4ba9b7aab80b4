#include "server/observe/request_series.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>
#include <vector>

namespace tenantkv::server {
namespace {

uint64_t CountOf(const RouteSeries& r, int code) {
  for (const auto& [c, n] : r.CodeCounts()) {
    if (c == code) return n;
  }
  return 0;
}

TEST(RequestSeries, CountsByRouteAndCodeAndOnlyMadeRoutesExist) {
  RequestSeries s;
  s.Record(3, 200, 100, "", 10, 0);
  s.Record(3, 200, 100, "", 5, 0);
  s.Record(3, 404, 100, "not_found", 0, 0);
  s.Record(4, 201, 100, "", 0, 7);
  ASSERT_NE(s.route(3), nullptr);
  ASSERT_NE(s.route(4), nullptr);
  EXPECT_EQ(s.route(5), nullptr);
  EXPECT_EQ(CountOf(*s.route(3), 200), 2u);
  EXPECT_EQ(CountOf(*s.route(3), 404), 1u);
  EXPECT_EQ(CountOf(*s.route(3), 201), 0u);
  EXPECT_EQ(CountOf(*s.route(4), 201), 1u);
  EXPECT_EQ(s.read_bytes(), 15u);
  EXPECT_EQ(s.written_bytes(), 7u);
}

TEST(RequestSeries, ThrottlesAreCountedByProblemCode) {
  RequestSeries s;
  s.Record(1, 429, 10, "rate_limited", 0, 0);
  s.Record(1, 429, 10, "rate_limited", 0, 0);
  s.Record(1, 503, 10, "deadline", 0, 0);
  s.Record(1, 507, 10, "storage_quota", 0, 0);
  s.Record(1, 404, 10, "not_found", 0, 0);  // no throttle
  EXPECT_EQ(s.throttled(ThrottleReason::kRateLimited), 2u);
  EXPECT_EQ(s.throttled(ThrottleReason::kDeadline), 1u);
  EXPECT_EQ(s.throttled(ThrottleReason::kStorageQuota), 1u);
  EXPECT_EQ(s.throttled(ThrottleReason::kIoQuota), 0u);
  for (size_t i = 0; i < kThrottleReasons; ++i) {
    const auto r = static_cast<ThrottleReason>(i);
    EXPECT_EQ(ThrottleReasonOf(ThrottleReasonName(r)), r);
  }
  EXPECT_FALSE(ThrottleReasonOf("").has_value());
  EXPECT_FALSE(ThrottleReasonOf("not_found").has_value());
}

TEST(RequestSeries, LatencyLandsInItsBucket) {
  RequestSeries s;
  s.Record(0, 200, 400, "", 0, 0);         // <= 0.5 ms
  s.Record(0, 200, 500, "", 0, 0);         // <= 0.5 ms (bounds are inclusive)
  s.Record(0, 200, 3'000, "", 0, 0);       // <= 5 ms
  s.Record(0, 200, 60'000'000, "", 0, 0);  // above the last bound
  const std::vector<uint64_t> c = s.route(0)->latency().Counts();
  ASSERT_EQ(c.size(), kLatencyBoundsUs.size() + 1);
  EXPECT_EQ(c[0], 2u);
  EXPECT_EQ(c[3], 1u);
  EXPECT_EQ(c.back(), 1u);
  EXPECT_EQ(s.route(0)->latency().SumMicros(), 400u + 500u + 3'000u + 60'000'000u);
}

TEST(RequestSeries, MoreCodesThanSlotsGoToOther) {
  RouteSeries r;
  for (int code = 100; code < 100 + static_cast<int>(RouteSeries::kCodeSlots) + 3; ++code) r.Record(code, 1);
  const auto counts = r.CodeCounts();
  EXPECT_EQ(counts.size(), RouteSeries::kCodeSlots + 1);
  EXPECT_EQ(CountOf(r, 0), 3u);
}

TEST(RequestSeries, ConcurrentUpdatesLoseNothing) {
  RequestSeries s;
  constexpr int kThreads = 4, kEach = 5000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) s.Record(static_cast<size_t>(i % 3), i % 2 ? 200 : 404 + t, 1, "", 1, 2);
    });
  }
  for (auto& th : threads) th.join();
  uint64_t total = 0;
  for (size_t route = 0; route < 3; ++route) {
    ASSERT_NE(s.route(route), nullptr);
    const auto counts = s.route(route)->CodeCounts();
    for (const auto& [code, n] : counts) total += n;
    // Each code has exactly one slot even though threads raced to claim it.
    std::vector<int> codes;
    for (const auto& [code, n] : counts) codes.push_back(code);
    std::sort(codes.begin(), codes.end());
    EXPECT_EQ(std::adjacent_find(codes.begin(), codes.end()), codes.end());
  }
  EXPECT_EQ(total, static_cast<uint64_t>(kThreads * kEach));
  EXPECT_EQ(s.read_bytes(), static_cast<uint64_t>(kThreads * kEach));
  EXPECT_EQ(s.written_bytes(), static_cast<uint64_t>(2 * kThreads * kEach));
}

}  // namespace
}  // namespace tenantkv::server

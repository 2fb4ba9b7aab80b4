// UsageHistory: the minute and ten-minute rings, their windows, the burn
// rate on them, and the persisted encoding.
#include "engine/quota/usage_history.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/testing/fake_clock.h"

namespace tenantkv::engine {
namespace {

constexpr int64_t kMin = UsageHistory::kMinuteMs;
constexpr int64_t kTen = UsageHistory::kTenMinutesMs;
const std::vector<std::string> kReasons = {"rate_limited", "io_quota", "storage_quota"};

UsageEvent Call(int64_t stored, uint64_t read = 0, uint64_t written = 0, int throttle = -1) {
  UsageEvent e;
  e.read_bytes = read;
  e.write_bytes = written;
  e.storage_bytes = stored;
  e.throttle = throttle;
  return e;
}

uint64_t Sum(const std::vector<uint64_t>& v) {
  uint64_t s = 0;
  for (uint64_t x : v) s += x;
  return s;
}

class UsageHistoryTest : public ::testing::Test {
 protected:
  // Each test starts on a whole ten minutes.
  UsageHistoryTest() { clock_.AdvanceMillis(kTen - clock_.NowUnixMillis() % kTen); }
  int64_t now() const { return clock_.NowUnixMillis(); }
  FakeClock clock_;
  UsageHistory h_;
};

TEST_F(UsageHistoryTest, AnHourOfMinutesEndingWithTheCurrentOne) {
  clock_.AdvanceMillis(30'000);  // half-way into a minute
  ASSERT_TRUE(h_.Record(now(), Call(100, 10, 20)));
  ASSERT_TRUE(h_.Record(now(), Call(120, 1, 2)));
  const UsageSeries s = h_.Series(UsageWindow::kHour, now(), 120);
  ASSERT_EQ(s.points, 60u);
  EXPECT_EQ(s.step_ms, kMin);
  EXPECT_EQ(s.requests.size(), 60u);
  EXPECT_EQ(s.storage_bytes.size(), 60u);
  EXPECT_EQ(s.end_ms(), (now() / kMin + 1) * kMin);
  EXPECT_EQ(s.start_ms, s.end_ms() - 60 * kMin);
  EXPECT_EQ(s.requests.back(), 2u);
  EXPECT_EQ(s.read_bytes.back(), 11u);
  EXPECT_EQ(s.write_bytes.back(), 22u);
  EXPECT_EQ(Sum(s.requests), 2u);
  EXPECT_TRUE(s.throttled.empty());
  const UsageSeries d = h_.Series(UsageWindow::kDay, now(), 120);
  ASSERT_EQ(d.points, 144u);
  EXPECT_EQ(d.step_ms, kTen);
  EXPECT_EQ(d.requests.back(), 2u);
  EXPECT_EQ(d.end_ms() % kTen, 0);
}

TEST_F(UsageHistoryTest, MinutesRollOverAndLeaveSparseGaps) {
  ASSERT_TRUE(h_.Record(now(), Call(10)));
  clock_.AdvanceMillis(kMin);
  ASSERT_TRUE(h_.Record(now(), Call(20)));
  ASSERT_TRUE(h_.Record(now(), Call(20)));
  clock_.AdvanceMillis(5 * kMin);  // four idle minutes
  ASSERT_TRUE(h_.Record(now(), Call(50)));
  EXPECT_EQ(h_.minute_buckets(), 3u);  // sparse: only minutes with calls
  EXPECT_EQ(h_.ten_minute_buckets(), 1u);
  const UsageSeries s = h_.Series(UsageWindow::kHour, now(), 50);
  const std::vector<uint64_t> tail(s.requests.end() - 7, s.requests.end());
  EXPECT_EQ(tail, (std::vector<uint64_t>{1, 2, 0, 0, 0, 0, 1}));
  // Stored bytes carry forward over the idle minutes.
  const std::vector<int64_t> stored(s.storage_bytes.end() - 7, s.storage_bytes.end());
  EXPECT_EQ(stored, (std::vector<int64_t>{10, 20, 20, 20, 20, 20, 50}));
  // Before the first call the first known value stands (stored bytes change
  // only by calls).
  EXPECT_EQ(s.storage_bytes.front(), 10);
  // The day: all three calls in one ten-minute bucket.
  const UsageSeries d = h_.Series(UsageWindow::kDay, now(), 50);
  EXPECT_EQ(d.requests.back(), 4u);
  EXPECT_EQ(Sum(d.requests), 4u);
}

TEST_F(UsageHistoryTest, TheCurrentPointHasTheCurrentStoredBytes) {
  ASSERT_TRUE(h_.Record(now(), Call(10)));
  clock_.AdvanceMillis(3 * kMin);
  const UsageSeries s = h_.Series(UsageWindow::kHour, now(), 77);
  EXPECT_EQ(s.storage_bytes.back(), 77);
  EXPECT_EQ(s.storage_bytes[s.points - 2], 10);
  EXPECT_EQ(s.requests.back(), 0u);
}

TEST_F(UsageHistoryTest, TenMinuteBucketsRollOver) {
  ASSERT_TRUE(h_.Record(now(), Call(1, 5)));
  clock_.AdvanceMillis(9 * kMin);  // still the same ten minutes
  ASSERT_TRUE(h_.Record(now(), Call(2, 5)));
  clock_.AdvanceMillis(kMin);  // the next ten minutes
  ASSERT_TRUE(h_.Record(now(), Call(3, 5)));
  clock_.AdvanceMillis(25 * kMin);
  ASSERT_TRUE(h_.Record(now(), Call(4, 5)));
  const UsageSeries d = h_.Series(UsageWindow::kDay, now(), 4);
  const std::vector<uint64_t> tail(d.requests.end() - 4, d.requests.end());
  EXPECT_EQ(tail, (std::vector<uint64_t>{2, 1, 0, 1}));
  const std::vector<uint64_t> read(d.read_bytes.end() - 4, d.read_bytes.end());
  EXPECT_EQ(read, (std::vector<uint64_t>{10, 5, 0, 5}));
  const std::vector<int64_t> stored(d.storage_bytes.end() - 4, d.storage_bytes.end());
  EXPECT_EQ(stored, (std::vector<int64_t>{2, 3, 3, 4}));
  EXPECT_EQ(h_.ten_minute_buckets(), 3u);
}

TEST_F(UsageHistoryTest, OldBucketsLeaveTheWindowAndTheirStoredBytesCarry) {
  ASSERT_TRUE(h_.Record(now(), Call(500, 0, 7)));
  clock_.AdvanceMillis(90 * kMin);  // out of the hour, not the day
  ASSERT_TRUE(h_.Record(now(), Call(600)));
  EXPECT_EQ(h_.minute_buckets(), 1u);
  const UsageSeries s = h_.Series(UsageWindow::kHour, now(), 600);
  EXPECT_EQ(Sum(s.requests), 1u);
  EXPECT_EQ(Sum(s.write_bytes), 0u);
  // The minutes before the call carry the dropped bucket's stored bytes.
  EXPECT_EQ(s.storage_bytes.front(), 500);
  EXPECT_EQ(s.storage_bytes.back(), 600);
  const UsageSeries d = h_.Series(UsageWindow::kDay, now(), 600);
  EXPECT_EQ(Sum(d.requests), 2u);
  EXPECT_EQ(Sum(d.write_bytes), 7u);

  // A day later the earlier ten minutes have left the day too.
  clock_.AdvanceMillis(24 * 60 * kMin);
  ASSERT_TRUE(h_.Record(now(), Call(650)));
  EXPECT_EQ(h_.ten_minute_buckets(), 1u);
  const UsageSeries later = h_.Series(UsageWindow::kDay, now(), 650);
  EXPECT_EQ(Sum(later.requests), 1u);
  EXPECT_EQ(later.storage_bytes.front(), 600);

  // Reading alone never counts what left the window.
  clock_.AdvanceMillis(2 * 24 * 60 * kMin);
  const UsageSeries idle = h_.Series(UsageWindow::kDay, now(), 650);
  EXPECT_EQ(Sum(idle.requests), 0u);
  EXPECT_EQ(idle.storage_bytes.front(), 650);
  MutexLock lock(h_.mutex());
  EXPECT_TRUE(h_.Empty(now()));
}

TEST_F(UsageHistoryTest, TheRingsNeverHoldMoreThanTheirWindow) {
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(h_.Record(now(), Call(i)));
    clock_.AdvanceMillis(kMin);
  }
  EXPECT_EQ(h_.minute_buckets(), 60u);
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(h_.Record(now(), Call(i)));
    clock_.AdvanceMillis(kTen);
  }
  EXPECT_EQ(h_.ten_minute_buckets(), 144u);
  EXPECT_LE(h_.minute_buckets(), 60u);
}

TEST_F(UsageHistoryTest, ThrottlesAreCountedPerReasonOnlyWhereSeen) {
  ASSERT_TRUE(h_.Record(now(), Call(0)));
  clock_.AdvanceMillis(kMin);
  ASSERT_TRUE(h_.Record(now(), Call(0, 0, 0, 2)));
  ASSERT_TRUE(h_.Record(now(), Call(0, 0, 0, 2)));
  ASSERT_TRUE(h_.Record(now(), Call(0, 0, 0, 0)));
  const UsageSeries s = h_.Series(UsageWindow::kHour, now(), 0);
  ASSERT_EQ(s.throttled.size(), 2u);
  EXPECT_EQ(s.throttled[0].first, 0);
  EXPECT_EQ(s.throttled[1].first, 2);
  EXPECT_EQ(s.throttled[1].second.size(), 60u);
  EXPECT_EQ(s.throttled[1].second.back(), 2u);
  EXPECT_EQ(s.throttled[1].second[58], 0u);
  EXPECT_EQ(s.throttled[0].second.back(), 1u);
  EXPECT_EQ(s.requests.back(), 3u);  // a refused call is a call
}

TEST_F(UsageHistoryTest, BurnRateUsesTheOldestMinuteOfTheHour) {
  ASSERT_TRUE(h_.Record(now(), Call(1000)));
  EXPECT_EQ(h_.BurnPerHour(now(), 1000), 0);  // under a minute of history
  clock_.AdvanceMillis(31 * kMin);  // 30 minutes after the first minute ended
  EXPECT_DOUBLE_EQ(h_.BurnPerHour(now(), 1500), 1000.0);
  const auto at = h_.ProjectedExhaustionMs(now(), 1500, 2500);
  ASSERT_TRUE(at.has_value());
  EXPECT_EQ(*at, now() + 3'600'000);
  EXPECT_FALSE(h_.ProjectedExhaustionMs(now(), 1000, 2500).has_value());  // not growing
  clock_.AdvanceMillis(60 * kMin);  // the first minute left the hour
  EXPECT_EQ(h_.BurnPerHour(now(), 5000), 0);
}

TEST_F(UsageHistoryTest, EncodeDecodeRoundTrip) {
  ASSERT_TRUE(h_.Record(now(), Call(10, 1, 2)));
  clock_.AdvanceMillis(70 * kMin);
  ASSERT_TRUE(h_.Record(now(), Call(-5, 3, 4, 1)));  // stored bytes may dip below zero
  clock_.AdvanceMillis(kMin);
  ASSERT_TRUE(h_.Record(now(), Call(40, (uint64_t{1} << 40), 6, 2)));
  const std::string bytes = h_.Encode(kReasons);
  auto back = UsageHistory::Decode(bytes, kReasons, now());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  for (UsageWindow w : {UsageWindow::kHour, UsageWindow::kDay}) {
    const UsageSeries a = h_.Series(w, now(), 40);
    const UsageSeries b = (*back)->Series(w, now(), 40);
    EXPECT_EQ(a.requests, b.requests);
    EXPECT_EQ(a.read_bytes, b.read_bytes);
    EXPECT_EQ(a.write_bytes, b.write_bytes);
    EXPECT_EQ(a.storage_bytes, b.storage_bytes);
    EXPECT_EQ(a.throttled, b.throttled);
  }
  EXPECT_EQ((*back)->Encode(kReasons), bytes);
  {
    MutexLock lock((*back)->mutex());
    EXPECT_FALSE((*back)->dirty());  // as on disk
  }

  // Reasons are matched by name: another order maps them back.
  const std::vector<std::string> reordered = {"storage_quota", "rate_limited", "io_quota"};
  auto moved = UsageHistory::Decode(bytes, reordered, now());
  ASSERT_TRUE(moved.ok());
  const UsageSeries m = (*moved)->Series(UsageWindow::kHour, now(), 40);
  ASSERT_EQ(m.throttled.size(), 2u);
  EXPECT_EQ(m.throttled[0].first, 0);  // storage_quota, now reason 0
  EXPECT_EQ(m.throttled[0].second.back(), 1u);
  EXPECT_EQ(m.throttled[1].first, 2);  // io_quota, now reason 2
  // A reason this build does not know is dropped.
  auto fewer = UsageHistory::Decode(bytes, {"rate_limited"}, now());
  ASSERT_TRUE(fewer.ok());
  EXPECT_TRUE((*fewer)->Series(UsageWindow::kHour, now(), 40).throttled.empty());
}

TEST_F(UsageHistoryTest, DecodeDropsWhatLeftTheWindowSinceTheWrite) {
  ASSERT_TRUE(h_.Record(now(), Call(10)));
  clock_.AdvanceMillis(30 * kMin);
  ASSERT_TRUE(h_.Record(now(), Call(20)));
  const std::string bytes = h_.Encode(kReasons);
  clock_.AdvanceMillis(45 * kMin);  // the first minute is out of the hour now
  auto back = UsageHistory::Decode(bytes, kReasons, now());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ((*back)->minute_buckets(), 1u);
  EXPECT_EQ((*back)->ten_minute_buckets(), 2u);
  const UsageSeries s = (*back)->Series(UsageWindow::kHour, now(), 20);
  EXPECT_EQ(Sum(s.requests), 1u);
  EXPECT_EQ(s.storage_bytes.front(), 10);  // the dropped minute's value carries
  clock_.AdvanceMillis(25 * 60 * kMin);
  auto stale = UsageHistory::Decode(bytes, kReasons, now());
  ASSERT_TRUE(stale.ok());
  MutexLock lock((*stale)->mutex());
  EXPECT_TRUE((*stale)->Empty(now()));
}

TEST_F(UsageHistoryTest, CorruptRecordsAreRefused) {
  ASSERT_TRUE(h_.Record(now(), Call(10, 1, 2, 1)));
  clock_.AdvanceMillis(kMin);
  ASSERT_TRUE(h_.Record(now(), Call(20, 1, 2)));
  const std::string good = h_.Encode(kReasons);
  auto refused = [&](const std::string& bytes) {
    auto r = UsageHistory::Decode(bytes, kReasons, now());
    if (r.ok()) return false;
    return r.status().code() == Code::kDataLoss && r.status().reason() == "usage_history_corrupt";
  };
  EXPECT_TRUE(refused(""));
  EXPECT_TRUE(refused("UH"));
  EXPECT_TRUE(refused("XX" + good.substr(2)));
  std::string v2 = good;
  v2[2] = 2;  // a version this build does not know
  EXPECT_TRUE(refused(v2));
  EXPECT_TRUE(refused(good + "x"));
  // Every truncation is refused, never read past its end.
  for (size_t n = 0; n < good.size(); ++n) EXPECT_TRUE(refused(good.substr(0, n))) << n;
  // Hand-made records: well formed, then buckets repeated or out of
  // order, then a throttle entry naming no reason.
  auto varint = [](uint64_t v) {
    std::string o;
    while (v >= 0x80) {
      o.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    o.push_back(static_cast<char>(v));
    return o;
  };
  auto bucket = [&](uint64_t index, const std::string& throttles = std::string(1, '\0')) {
    return varint(index) + varint(1) + varint(0) + varint(0) + varint(0) + throttles;
  };
  const std::string head = std::string("UH\x01", 3) + varint(1) + varint(12) + "rate_limited";
  const std::string empty_ring = varint(0) + varint(0);
  EXPECT_FALSE(refused(head + varint(0) + varint(1) + bucket(100) + empty_ring));
  EXPECT_FALSE(refused(head + varint(0) + varint(1) + bucket(100, varint(1) + varint(0) + varint(3)) + empty_ring));
  EXPECT_TRUE(refused(head + varint(0) + varint(2) + bucket(100) + bucket(100) + empty_ring));
  EXPECT_TRUE(refused(head + varint(0) + varint(2) + bucket(101) + bucket(100) + empty_ring));
  EXPECT_TRUE(refused(head + varint(0) + varint(1) + bucket(100, varint(1) + varint(5) + varint(3)) + empty_ring));
  EXPECT_TRUE(refused(head + varint(0) + varint(1) + bucket(100, varint(2)) + empty_ring));
  // A varint longer than 64 bits.
  EXPECT_TRUE(refused(std::string("UH\x01", 3) + std::string(11, '\xff')));
  // Too many buckets for the ring.
  EXPECT_TRUE(refused(std::string("UH\x01\x00\x00", 5) + std::string(1, static_cast<char>(61))));
}

TEST_F(UsageHistoryTest, ARetiredHistoryRecordsNothing) {
  ASSERT_TRUE(h_.Record(now(), Call(1)));
  {
    MutexLock lock(h_.mutex());
    h_.Retire();
  }
  EXPECT_FALSE(h_.Record(now(), Call(2)));
  EXPECT_EQ(Sum(h_.Series(UsageWindow::kHour, now(), 2).requests), 1u);
}

}  // namespace
}  // namespace tenantkv::engine

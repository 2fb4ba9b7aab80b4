// UsageHistoryStore: histories written by the flush, kept across a restart,
// freed when idle, removed with their tenant, and a malformed record
// replaced rather than trusted.
#include "engine/tenants/usage_history_store.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <string>

#include "engine/storage/system_keys.h"
#include "tests/testing/test_util.h"

namespace tenantkv::engine::testutil {
namespace {

const std::vector<std::string> kReasons = {"rate_limited", "io_quota"};

uint64_t Requests(const UsageSeries& s) {
  uint64_t n = 0;
  for (uint64_t x : s.requests) n += x;
  return n;
}

class UsageHistoryStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h_.options().usage_throttle_reasons = kReasons;
    ASSERT_TRUE(h_.Open());
    ASSERT_TRUE(h_->tenants().Create("acme", "").ok());
  }
  int64_t now() { return h_.clock().NowUnixMillis(); }
  std::shared_ptr<Tenant> Acme() { return *h_->tenants().Get("acme"); }
  void Calls(int n, int throttle = -1) {
    UsageEvent e;
    e.read_bytes = 3;
    e.write_bytes = 5;
    e.storage_bytes = 100;
    e.throttle = throttle;
    for (int i = 0; i < n; ++i) h_->usage_histories().Record(*Acme(), now(), e);
  }
  UsageSeries Hour(Tenant& t) {
    auto history = h_->usage_histories().Of(t, now());
    EXPECT_NE(history, nullptr);
    return history ? history->Series(UsageWindow::kHour, now(), 100) : UsageSeries();
  }
  // The raw record of `id` (the engine must be closed); nullopt if none.
  std::optional<std::string> RawRecord(const std::string& id) {
    RawDb raw(h_.db_dir());
    EXPECT_TRUE(raw.ok());
    std::string value;
    rocksdb::Status s = raw.db()->Get(rocksdb::ReadOptions(), raw.CfStartingWith("tenantkv.system"),
                                      std::string(kUsageHistoryPrefix) + id, &value);
    if (s.IsNotFound()) return std::nullopt;
    EXPECT_TRUE(s.ok()) << s.ToString();
    return value;
  }

  EngineHarness h_;
};

TEST_F(UsageHistoryStoreTest, NothingIsHeldUntilFirstUse) {
  EXPECT_EQ(Acme()->usage_history(), nullptr);
  Calls(1);
  EXPECT_NE(Acme()->usage_history(), nullptr);
}

TEST_F(UsageHistoryStoreTest, FlushWritesChangedHistoriesAndARestartKeepsThem) {
  Calls(3, 1);
  UsageHistoryStore::FlushStats stats;
  ASSERT_TRUE(h_->FlushUsageHistories(&stats).ok());
  EXPECT_EQ(stats.written, 1u);
  ASSERT_TRUE(h_->FlushUsageHistories(&stats).ok());
  EXPECT_EQ(stats.written, 0u);  // unchanged since
  h_.clock().AdvanceMillis(UsageHistory::kMinuteMs);
  Calls(2);
  ASSERT_TRUE(h_.Open());  // no flush: the last two calls are lost
  EXPECT_EQ(Acme()->usage_history(), nullptr);  // loaded lazily
  UsageSeries s = Hour(*Acme());
  EXPECT_EQ(Requests(s), 3u);
  ASSERT_EQ(s.throttled.size(), 1u);
  EXPECT_EQ(s.throttled[0].first, 1);
  EXPECT_EQ(s.throttled[0].second[58], 3u);
  Calls(1);
  ASSERT_TRUE(h_->FlushUsageHistories().ok());
  ASSERT_TRUE(h_.Open());
  EXPECT_EQ(Requests(Hour(*Acme())), 4u);
}

TEST_F(UsageHistoryStoreTest, AnIdleHistoryIsFreedAndItsRecordDeleted) {
  Calls(2);
  ASSERT_TRUE(h_->FlushUsageHistories().ok());
  h_.clock().AdvanceMillis(23 * 3'600'000);
  UsageHistoryStore::FlushStats stats;
  ASSERT_TRUE(h_->FlushUsageHistories(&stats).ok());
  EXPECT_EQ(stats.freed, 0u);  // still in the day
  EXPECT_NE(Acme()->usage_history(), nullptr);
  h_.clock().AdvanceMillis(2 * 3'600'000);
  ASSERT_TRUE(h_->FlushUsageHistories(&stats).ok());
  EXPECT_EQ(stats.freed, 1u);
  EXPECT_EQ(Acme()->usage_history(), nullptr);
  h_.Close();
  EXPECT_FALSE(RawRecord("acme").has_value());
  ASSERT_TRUE(h_.Open());
  Calls(1);  // used again: a fresh history
  EXPECT_EQ(Requests(Hour(*Acme())), 1u);
}

TEST_F(UsageHistoryStoreTest, ADeleteRemovesTheRecordAndNothingWritesItAgain) {
  Calls(2);
  ASSERT_TRUE(h_->FlushUsageHistories().ok());
  std::shared_ptr<Tenant> held = Acme();  // an in-flight request's handle
  ASSERT_TRUE(h_->DeleteTenant("acme").ok());
  UsageEvent e;
  h_->usage_histories().Record(*held, now(), e);  // its call finishes after the delete
  EXPECT_EQ(h_->usage_histories().Of(*held, now()), nullptr);
  ASSERT_TRUE(h_->usage_histories().Flush({held}, now()).ok());
  held.reset();  // before the engine closes
  h_.Close();
  EXPECT_FALSE(RawRecord("acme").has_value());
  ASSERT_TRUE(h_.Open());
  ASSERT_TRUE(h_->tenants().Create("acme", "").ok());
  EXPECT_EQ(Requests(Hour(*Acme())), 0u);  // the new acme starts from nothing
}

TEST_F(UsageHistoryStoreTest, AMalformedRecordIsReplacedNotTrusted) {
  Calls(2);
  ASSERT_TRUE(h_->FlushUsageHistories().ok());
  h_.Close();
  {
    RawDb raw(h_.db_dir());
    ASSERT_TRUE(raw.ok());
    ASSERT_TRUE(raw.db()
                    ->Put(rocksdb::WriteOptions(), raw.CfStartingWith("tenantkv.system"),
                          std::string(kUsageHistoryPrefix) + "acme", std::string("UH\x01\x05garbage", 11))
                    .ok());
  }
  ASSERT_TRUE(h_.Open());
  EXPECT_EQ(Requests(Hour(*Acme())), 0u);
  EXPECT_EQ(h_->usage_histories().corrupt_records(), 1u);
  UsageHistoryStore::FlushStats stats;
  ASSERT_TRUE(h_->FlushUsageHistories(&stats).ok());
  EXPECT_EQ(stats.written, 1u);  // the bad record is overwritten
  h_.Close();
  const auto record = RawRecord("acme");
  ASSERT_TRUE(record.has_value());
  EXPECT_TRUE(UsageHistory::Decode(*record, kReasons, now()).ok());
}

}  // namespace
}  // namespace tenantkv::engine::testutil

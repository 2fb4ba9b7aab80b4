// Storage grace: with storage_grace_pct and storage_grace_seconds, a tenant
// that reaches storage_bytes may go on writing up to the extra for the
// period; its start and end are audit entries and survive a restart.
#include <gtest/gtest.h>

#include <string>

#include "engine/quota/quota.h"
#include "tests/testing/test_util.h"

namespace tenantkv::engine::testutil {
namespace {

class StorageGrace : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(h_.Open());
    ASSERT_TRUE(h_->CreateTenant("acme", "standard").ok());
    ASSERT_TRUE(h_->CreateTenant("other", "standard").ok());
    SetGrace("acme", 1000, 50, 60);
    SetGrace("other", 1000, 0, 0);
  }

  void SetGrace(const std::string& id, int64_t storage, int64_t pct, int64_t seconds) {
    auto m = h_->quotas().Modify(
        id,
        [&](Quota& q) {
          q.storage_bytes = storage;
          q.storage_grace_pct = pct;
          q.storage_grace_seconds = seconds;
          return Status::Ok();
        },
        "operator");
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    ASSERT_TRUE(h_->UpdateQuota(id, m->quota, "operator", false).ok());
  }

  // A value of `n` bytes under a 1-byte key: n + 1 logical bytes.
  Status Put(const std::string& key, int64_t n, const std::string& id = "acme") {
    return h_.Store(id).Put(key, std::string(n, 'v'), PutOptions()).status();
  }
  Status Delete(const std::string& key, const std::string& id = "acme") {
    return h_.Store(id).Delete(key, WriteCondition());
  }
  GraceState Grace(const std::string& id = "acme") { return h_.Store(id).Grace(); }
  int Audited(const std::string& action, const std::string& detail = "") {
    AuditQuery q;
    q.tenant = "acme";
    q.limit = 1000;
    auto page = h_->audit().List(q);
    EXPECT_TRUE(page.ok());
    int n = 0;
    for (const auto& e : page->entries) {
      n += e.action == action && e.details.find(detail) != std::string::npos;
    }
    return n;
  }

  EngineHarness h_;
};

TEST_F(StorageGrace, PastTheLimitUpToTheExtraForThePeriod) {
  ASSERT_TRUE(Put("a", 899).ok());  // 900
  EXPECT_EQ(Grace().started_ms, 0);
  ASSERT_TRUE(Put("b", 199).ok());  // 1100: past 1000, within 1500
  const GraceState g = Grace();
  EXPECT_EQ(g.started_ms, h_.clock().NowUnixMillis());
  EXPECT_EQ(g.ends_ms, g.started_ms + 60'000);
  EXPECT_EQ(g.ceiling_bytes, 1500);
  EXPECT_FALSE(g.expired);
  EXPECT_EQ(Audited("storage.grace.start"), 1);
  ASSERT_TRUE(Put("c", 399).ok());  // 1500: the ceiling itself
  EXPECT_EQ(Put("d", 0).code(), Code::kStorageExhausted);  // 1501
  EXPECT_EQ(Audited("storage.grace.start"), 1);  // one period

  // Another tenant without grace stops at its limit.
  ASSERT_TRUE(Put("a", 999, "other").ok());
  EXPECT_EQ(Put("b", 0, "other").code(), Code::kStorageExhausted);
  EXPECT_EQ(Grace("other").started_ms, 0);
}

TEST_F(StorageGrace, ThePeriodEndsOnTheClockAndWritesStop) {
  ASSERT_TRUE(Put("a", 1099).ok());
  h_.clock().AdvanceMillis(59'000);
  ASSERT_TRUE(Put("b", 9).ok());  // still inside
  h_.clock().AdvanceMillis(2'000);
  // The server's periodic check ends it without a write.
  EXPECT_EQ(h_->CheckStorageGrace(), 1u);
  EXPECT_TRUE(Grace().expired);
  EXPECT_EQ(Audited("storage.grace.end", "expired"), 1);
  EXPECT_EQ(Put("c", 0).code(), Code::kStorageExhausted);
  EXPECT_EQ(h_->CheckStorageGrace(), 0u);  // once
  // Shrinking and deleting still work; back under the limit, it is over and
  // a later crossing starts a new period.
  ASSERT_TRUE(Delete("b").ok());
  ASSERT_TRUE(Delete("a").ok());
  EXPECT_EQ(Grace().started_ms, 0);
  EXPECT_FALSE(Grace().expired);
  EXPECT_EQ(Audited("storage.grace.end"), 1);  // the expiry was its end
  ASSERT_TRUE(Put("a", 1099).ok());
  EXPECT_NE(Grace().started_ms, 0);
  EXPECT_EQ(Audited("storage.grace.start"), 2);
}

TEST_F(StorageGrace, AWriteAfterThePeriodEndsItToo) {
  ASSERT_TRUE(Put("a", 1099).ok());
  h_.clock().AdvanceMillis(61'000);
  EXPECT_EQ(Put("b", 0).code(), Code::kStorageExhausted);
  EXPECT_TRUE(Grace().expired);
  EXPECT_EQ(Audited("storage.grace.end", "expired"), 1);
  EXPECT_EQ(h_->CheckStorageGrace(), 0u);
}

TEST_F(StorageGrace, BackUnderTheLimitEndsIt) {
  ASSERT_TRUE(Put("a", 1099).ok());
  ASSERT_TRUE(Delete("a").ok());
  EXPECT_EQ(Grace().started_ms, 0);
  EXPECT_EQ(Audited("storage.grace.end", "back_under_limit"), 1);
}

TEST_F(StorageGrace, SurvivesARestart) {
  ASSERT_TRUE(Put("a", 1099).ok());
  const int64_t started = Grace().started_ms;
  ASSERT_TRUE(h_.Open());
  EXPECT_EQ(Grace().started_ms, started);
  h_.clock().AdvanceMillis(61'000);
  ASSERT_TRUE(h_.Open());  // it ran out while the node was down
  EXPECT_EQ(h_->CheckStorageGrace(), 1u);
  EXPECT_EQ(Put("b", 0).code(), Code::kStorageExhausted);
  ASSERT_TRUE(h_.Open());
  EXPECT_TRUE(Grace().expired);  // no new period from a restart
  EXPECT_EQ(Put("b", 0).code(), Code::kStorageExhausted);
  EXPECT_EQ(Audited("storage.grace.start"), 1);
}

TEST_F(StorageGrace, TurnedOffMidPeriodStopsAtTheLimit) {
  ASSERT_TRUE(Put("a", 1099).ok());
  SetGrace("acme", 1000, 0, 0);
  EXPECT_EQ(Put("b", 0).code(), Code::kStorageExhausted);
  ASSERT_TRUE(Delete("a").ok());
  EXPECT_EQ(Grace().started_ms, 0);
}

TEST_F(StorageGrace, DeletingTheTenantForgetsIt) {
  ASSERT_TRUE(Put("a", 1099).ok());
  ASSERT_TRUE(h_->DeleteTenant("acme").ok());
  ASSERT_TRUE(h_->CreateTenant("acme", "standard").ok());
  SetGrace("acme", 1000, 50, 60);
  EXPECT_EQ(Grace().started_ms, 0);
  ASSERT_TRUE(h_.Open());
  EXPECT_EQ(Grace().started_ms, 0);
}

TEST(StorageGraceFields, AreOffByDefaultAndBounded) {
  for (const auto& p : BuiltInPlans()) {
    EXPECT_EQ(p.defaults.storage_grace_pct, 0) << p.name;
    EXPECT_EQ(p.defaults.storage_grace_seconds, 0) << p.name;
    EXPECT_EQ(p.max.storage_grace_pct, 0) << p.name << ": a tenant admin cannot give itself grace";
  }
  Quota q = BuiltInPlans()[0].defaults;
  q.storage_grace_pct = 101;
  EXPECT_EQ(ValidateQuota(q).reason(), "invalid_quota");
  q.storage_grace_pct = 100;
  q.storage_grace_seconds = 30LL * 24 * 3600 + 1;
  EXPECT_EQ(ValidateQuota(q).reason(), "invalid_quota");
}

}  // namespace
}  // namespace tenantkv::engine::testutil

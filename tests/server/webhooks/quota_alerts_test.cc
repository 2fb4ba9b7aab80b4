// QuotaAlerts on the engine and a fake clock: quota.throttled and
// quota.exhaustion fire once per crossing and re-arm only after the value
// fell back; evaluating a global endpoint attaches nothing to tenants that
// were never served. (quota.threshold end to end: webhooks_test.cc.)
#include "server/webhooks/quota_alerts.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "server/observe/metrics.h"
#include "tests/testing/test_util.h"

namespace tenantkv::server {
namespace {

using engine::testutil::EngineHarness;

constexpr int64_t kMinuteMs = 60'000;

class QuotaAlertsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(h_.Open());
    ASSERT_TRUE(h_->CreateTenant("acme", "standard").ok());
    ASSERT_TRUE(h_->CreateTenant("idle", "standard").ok());
  }
  std::string Endpoint(const std::string& tenant, std::vector<std::string> events) {
    engine::WebhookEndpoint e;
    e.tenant = tenant;
    e.url = "https://alerts.example.com/hook";
    e.events = std::move(events);
    e.throttle_per_min = 60;
    e.exhaustion_hours = 24;
    e.created_by = "test";
    auto made = h_->CreateWebhook(e);
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    return made.ok() ? made->endpoint.id : "";
  }
  // Event types queued for `endpoint`, oldest first.
  std::vector<std::string> Queued(const std::string& endpoint) {
    std::vector<std::string> out;
    for (const auto& d : h_->webhook_outbox().List(endpoint, 0, 1000).deliveries) out.push_back(d.type);
    return out;
  }
  engine::Tenant& Tenant(const std::string& id) { return **h_->tenants().Get(id); }
  void Refuse(int n) {
    RequestSeries& s = Metrics::ForTenant(Tenant("acme"));
    for (int i = 0; i < n; ++i) s.Record(0, 429, 100, "rate_limited", 0, 0);
  }

  EngineHarness h_;
};

TEST_F(QuotaAlertsTest, ThrottlingAboveTheRateFiresOncePerCrossing) {
  const std::string wid = Endpoint("acme", {"quota.throttled"});
  QuotaAlerts alerts(&h_.engine());
  EXPECT_EQ(alerts.Evaluate(), 0u);  // the first reading
  const auto minute = [&](int refusals) {
    Refuse(refusals);
    h_.clock().AdvanceMillis(kMinuteMs);
    return alerts.Evaluate();
  };
  EXPECT_EQ(minute(30), 0u);    // 30/min: under 60
  EXPECT_EQ(minute(120), 1u);   // 120/min: fires
  EXPECT_EQ(minute(100), 0u);   // still above, already fired
  EXPECT_EQ(minute(40), 0u);    // 40/min: above half the rate, still armed
  EXPECT_EQ(minute(90), 0u);
  EXPECT_EQ(minute(10), 0u);    // at or below 30/min: re-armed
  EXPECT_EQ(minute(200), 1u);   // fires again
  EXPECT_EQ(Queued(wid), (std::vector<std::string>{"quota.throttled", "quota.throttled"}));
}

TEST_F(QuotaAlertsTest, ProjectedExhaustionFiresOnceUntilTheProjectionMovesAway) {
  const std::string wid = Endpoint("acme", {"quota.exhaustion"});
  engine::Quota q = (*h_->quotas().Current("acme")).quota;
  q.storage_bytes = 1 << 20;
  ASSERT_TRUE(h_->UpdateQuota("acme", q, "test", false).ok());
  QuotaAlerts alerts(&h_.engine());
  // Nothing stored, no history: no projection.
  EXPECT_EQ(alerts.Evaluate(), 0u);
  // 100 KiB in half an hour into a 1 MiB quota: it runs out within 24 hours.
  h_->usage_histories().Record(Tenant("acme"), h_.clock().NowUnixMillis(), engine::UsageEvent{});
  h_.clock().AdvanceMillis(30 * kMinuteMs);
  ASSERT_TRUE(h_.Store("acme").Put("k", std::string(100 << 10, 'x'), {}).ok());
  EXPECT_EQ(alerts.Evaluate(), 1u);
  EXPECT_EQ(alerts.Evaluate(), 0u);  // once
  EXPECT_EQ(Queued(wid), (std::vector<std::string>{"quota.exhaustion"}));
}

TEST_F(QuotaAlertsTest, AGlobalEndpointSeesEveryTenantAndAttachesNothingToIdleOnes) {
  const std::string wid = Endpoint("", {"quota.throttled", "quota.threshold"});
  QuotaAlerts alerts(&h_.engine());
  EXPECT_EQ(alerts.Evaluate(), 0u);
  Refuse(500);
  h_.clock().AdvanceMillis(kMinuteMs);
  EXPECT_EQ(alerts.Evaluate(), 1u);  // acme's
  EXPECT_EQ(Tenant("idle").AttachedIfAny<RequestSeries>(), nullptr);
  EXPECT_EQ(Queued(wid), (std::vector<std::string>{"quota.throttled"}));
}

}  // namespace
}  // namespace tenantkv::server

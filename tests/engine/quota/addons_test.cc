// Add-ons: temporary quota boosts that start and end on the engine's clock,
// each a manifest version, enforced at once, kept across restarts.
#include <gtest/gtest.h>

#include <string>

#include "engine/quota/quota.h"
#include "tests/testing/test_util.h"

namespace tenantkv::engine::testutil {
namespace {

constexpr int64_t kMinute = 60'000;

class Addons : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(h_.Open());
    ASSERT_TRUE(h_->CreateTenant("acme", "standard").ok());
    ASSERT_TRUE(h_->CreateTenant("other", "standard").ok());
    base_rps_ = Manifest().quota.requests_per_sec;
  }

  int64_t Now() { return h_.clock().NowUnixMillis(); }
  // The current manifest with its changes: the newest of the history
  // (Current() leaves the changes out).
  QuotaManifest Manifest(const std::string& id = "acme") {
    auto h = h_->quotas().History(id);
    EXPECT_TRUE(h.ok() && !h->empty()) << h.status().ToString();
    return h.ok() && !h->empty() ? h->back() : QuotaManifest{};
  }
  // The limit the tenant is held to right now.
  int64_t LiveRps(const std::string& id = "acme") {
    auto t = h_->tenants().Get(id);
    EXPECT_TRUE(t.ok());
    return t.ok() ? (*t)->limits().quota().requests_per_sec : -1;
  }
  Result<Addon> Create(std::map<std::string, int64_t> fields, int64_t start, int64_t end,
                       const std::string& id = "acme") {
    Addon a;
    a.fields = std::move(fields);
    a.starts_at_ms = start;
    a.ends_at_ms = end;
    a.reason = "launch week";
    a.created_by = "operator:alice";
    return h_->CreateAddon(id, a);
  }
  AddonState StateOf(const std::string& id, const std::string& tenant = "acme") {
    auto a = h_->addons().Get(tenant, id);
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    return a.ok() ? a->state : AddonState::kCancelled;
  }
  size_t Run() {
    AddonRun run = h_->RunAddons();
    EXPECT_TRUE(run.errors.empty()) << run.errors.front();
    return run.changed;
  }

  EngineHarness h_;
  int64_t base_rps_ = 0;
};

TEST_F(Addons, StartsAndEndsOnTheClockAsManifestVersions) {
  auto a = Create({{"requests_per_sec", 3000}}, Now() + kMinute, Now() + 3 * kMinute);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->state, AddonState::kScheduled);
  const int64_t v0 = Manifest().version;

  EXPECT_EQ(Run(), 0u);  // not yet
  EXPECT_EQ(LiveRps(), base_rps_);

  h_.clock().AdvanceMillis(kMinute);
  EXPECT_EQ(Run(), 1u);
  EXPECT_EQ(StateOf(a->id), AddonState::kActive);
  QuotaManifest started = Manifest();
  EXPECT_EQ(started.version, v0 + 1);
  EXPECT_EQ(started.quota.requests_per_sec, 3000);
  EXPECT_EQ(started.updated_by, "addon:" + a->id);
  EXPECT_EQ(started.changes.at("requests_per_sec"), std::make_pair(base_rps_, int64_t{3000}));
  EXPECT_EQ(LiveRps(), 3000);
  EXPECT_EQ(LiveRps("other"), base_rps_);  // another tenant is untouched

  h_.clock().AdvanceMillis(2 * kMinute);
  EXPECT_EQ(Run(), 1u);
  EXPECT_EQ(StateOf(a->id), AddonState::kEnded);
  QuotaManifest ended = Manifest();
  EXPECT_EQ(ended.version, v0 + 2);
  EXPECT_EQ(ended.quota.requests_per_sec, base_rps_);
  EXPECT_EQ(ended.updated_by, "addon:" + a->id);
  EXPECT_EQ(LiveRps(), base_rps_);
  auto record = h_->addons().Get("acme", a->id);
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->started_version, v0 + 1);
  EXPECT_EQ(record->ended_version, v0 + 2);

  EXPECT_EQ(Run(), 0u);  // nothing more to do

  // Both moments are in the audit, by the add-on.
  AuditQuery q;
  q.tenant = "acme";
  auto page = h_->audit().List(q);
  ASSERT_TRUE(page.ok());
  int starts = 0, ends = 0;
  for (const auto& e : page->entries) {
    if (e.actor != "addon:" + a->id) continue;
    starts += e.action == "addon.start";
    ends += e.action == "addon.end";
  }
  EXPECT_EQ(starts, 1);
  EXPECT_EQ(ends, 1);
}

TEST_F(Addons, SurvivesARestartAndCatchesUp) {
  auto a = Create({{"requests_per_sec", 3000}, {"max_concurrent", 64}}, 0, Now() + 10 * kMinute);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(Run(), 1u);  // a start in the past or now: at the first run
  EXPECT_EQ(LiveRps(), 3000);

  ASSERT_TRUE(h_.Open());  // restart while it is active
  EXPECT_EQ(StateOf(a->id), AddonState::kActive);
  EXPECT_EQ(LiveRps(), 3000);  // the manifest holds the boost

  h_.Close();
  h_.clock().AdvanceMillis(20 * kMinute);  // it ends while the node is down
  ASSERT_TRUE(h_.Open());
  EXPECT_EQ(Run(), 1u);
  EXPECT_EQ(StateOf(a->id), AddonState::kEnded);
  EXPECT_EQ(LiveRps(), base_rps_);
  EXPECT_EQ(Manifest().quota.max_concurrent, Manifest("other").quota.max_concurrent);
}

TEST_F(Addons, OneMissedEntirelyEndsWithoutAVersion) {
  auto a = Create({{"requests_per_sec", 3000}}, Now() + kMinute, Now() + 2 * kMinute);
  ASSERT_TRUE(a.ok());
  const int64_t v0 = Manifest().version;
  h_.Close();
  h_.clock().AdvanceMillis(5 * kMinute);
  ASSERT_TRUE(h_.Open());
  EXPECT_EQ(Run(), 1u);
  EXPECT_EQ(StateOf(a->id), AddonState::kEnded);
  EXPECT_EQ(Manifest().version, v0);
  EXPECT_EQ(LiveRps(), base_rps_);
}

TEST_F(Addons, AFieldChangedMeanwhileKeepsItsNewValue) {
  auto a = Create({{"requests_per_sec", 3000}, {"burst_requests", 6000}}, 0, Now() + kMinute);
  ASSERT_TRUE(a.ok());
  Run();
  Quota q = Manifest().quota;
  q.burst_requests = 5000;  // the operator settles on another burst meanwhile
  ASSERT_TRUE(h_->UpdateQuota("acme", q, "operator", false).ok());
  h_.clock().AdvanceMillis(kMinute);
  Run();
  EXPECT_EQ(Manifest().quota.requests_per_sec, base_rps_);
  EXPECT_EQ(Manifest().quota.burst_requests, 5000);
}

TEST_F(Addons, CancelScheduledAndActive) {
  auto later = Create({{"requests_per_sec", 3000}}, Now() + kMinute, Now() + 2 * kMinute);
  auto now = Create({{"max_concurrent", 64}}, 0, Now() + 2 * kMinute);
  ASSERT_TRUE(later.ok() && now.ok());
  Run();
  const int64_t v1 = Manifest().version;
  ASSERT_EQ(Manifest().quota.max_concurrent, 64);

  auto c1 = h_->CancelAddon("acme", later->id, "operator:bob");
  ASSERT_TRUE(c1.ok()) << c1.status().ToString();
  EXPECT_EQ(c1->state, AddonState::kCancelled);
  EXPECT_EQ(c1->cancelled_by, "operator:bob");
  EXPECT_EQ(Manifest().version, v1);  // it never applied

  auto c2 = h_->CancelAddon("acme", now->id, "operator:bob");
  ASSERT_TRUE(c2.ok());
  EXPECT_EQ(c2->state, AddonState::kCancelled);
  EXPECT_EQ(Manifest().version, v1 + 1);
  EXPECT_EQ(Manifest().quota.max_concurrent, Manifest("other").quota.max_concurrent);

  auto again = h_->CancelAddon("acme", now->id, "operator:bob");
  EXPECT_EQ(again.status().reason(), "addon_finished");
  EXPECT_EQ(h_->CancelAddon("other", later->id, "operator:bob").status().reason(), "addon_not_found");

  h_.clock().AdvanceMillis(5 * kMinute);
  EXPECT_EQ(Run(), 0u);  // cancelled ones never start or end
  EXPECT_EQ(Manifest().version, v1 + 1);
}

TEST_F(Addons, RefusesBadInput) {
  const int64_t t = Now();
  EXPECT_EQ(Create({}, 0, t + kMinute).status().reason(), "invalid_quota");
  EXPECT_EQ(Create({{"no_such_field", 1}}, 0, t + kMinute).status().reason(), "unknown_field");
  EXPECT_EQ(Create({{"requests_per_sec", -5}}, 0, t + kMinute).status().reason(), "invalid_quota");
  EXPECT_EQ(Create({{"storage_soft_pct", 1000}}, 0, t + kMinute).status().reason(), "invalid_quota");
  EXPECT_EQ(Create({{"requests_per_sec", 10}}, 0, t).status().reason(), "invalid_period");
  EXPECT_EQ(Create({{"requests_per_sec", 10}}, t + 2 * kMinute, t + kMinute).status().reason(), "invalid_period");
  EXPECT_EQ(Create({{"requests_per_sec", 10}}, 0, t + kMaxAddonMillis + kMinute).status().reason(),
            "invalid_period");
  EXPECT_EQ(Create({{"requests_per_sec", 10}}, 0, t + kMinute, "nobody").status().reason(), "tenant_not_found");
  EXPECT_TRUE(h_->addons().List("acme").empty());
}

TEST_F(Addons, OverlapOnAFieldAndTheOpenLimitAreRefused) {
  const int64_t t = Now();
  ASSERT_TRUE(Create({{"requests_per_sec", 10}}, t + kMinute, t + 3 * kMinute).ok());
  EXPECT_EQ(Create({{"requests_per_sec", 20}}, t + 2 * kMinute, t + 4 * kMinute).status().reason(),
            "addon_overlap");
  // Back to back, or on other fields, is fine.
  EXPECT_TRUE(Create({{"requests_per_sec", 20}}, t + 3 * kMinute, t + 4 * kMinute).ok());
  EXPECT_TRUE(Create({{"max_concurrent", 20}}, t + 2 * kMinute, t + 4 * kMinute).ok());
  for (size_t i = 3; i < kMaxOpenAddonsPerTenant; ++i) {
    ASSERT_TRUE(Create({{"weight", 2}}, t + (10 + int64_t(i)) * kMinute, t + (11 + int64_t(i)) * kMinute).ok());
  }
  EXPECT_EQ(Create({{"weight", 2}}, t + 100 * kMinute, t + 101 * kMinute).status().reason(), "addon_limit");
  EXPECT_TRUE(Create({{"weight", 2}}, t + 100 * kMinute, t + 101 * kMinute, "other").ok());  // per tenant
}

TEST_F(Addons, HandOverBetweenBackToBackBoosts) {
  const int64_t t = Now();
  auto first = Create({{"requests_per_sec", 1000}}, t + kMinute, t + 2 * kMinute);
  auto second = Create({{"requests_per_sec", 2000}}, t + 2 * kMinute, t + 3 * kMinute);
  ASSERT_TRUE(first.ok() && second.ok());
  h_.clock().AdvanceMillis(kMinute);
  Run();
  EXPECT_EQ(LiveRps(), 1000);
  h_.clock().AdvanceMillis(kMinute);
  EXPECT_EQ(Run(), 2u);  // the first ends before the second starts
  EXPECT_EQ(LiveRps(), 2000);
  h_.clock().AdvanceMillis(kMinute);
  Run();
  EXPECT_EQ(LiveRps(), base_rps_);  // not the first boost's value
}

TEST_F(Addons, FinishedHistoryIsBoundedAndDeletedWithItsTenant) {
  for (size_t i = 0; i < kMaxFinishedAddonsPerTenant + 5; ++i) {
    ASSERT_TRUE(Create({{"weight", 3}}, 0, Now() + 1000).ok());
    Run();
    h_.clock().AdvanceMillis(1000);
    Run();
  }
  ASSERT_TRUE(Create({{"weight", 3}}, 0, Now() + 1000).ok());
  EXPECT_LE(h_->addons().List("acme").size(), kMaxFinishedAddonsPerTenant + 1);

  ASSERT_TRUE(h_->DeleteTenant("acme").ok());
  EXPECT_TRUE(h_->addons().List("acme").empty());
  ASSERT_TRUE(h_.Open());
  EXPECT_TRUE(h_->addons().List("acme").empty());
  // A new tenant of the same id starts with none.
  ASSERT_TRUE(h_->CreateTenant("acme", "standard").ok());
  EXPECT_TRUE(h_->addons().List("acme").empty());
}

}  // namespace
}  // namespace tenantkv::engine::testutil

// QuotaStore: versioned manifests and plans, through the Engine as the
// server uses them (CreateTenant, UpdateQuota, RevertQuota, DeleteTenant).
#include "engine/quota/quota_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tests/testing/test_util.h"

namespace tenantkv::engine::testutil {
namespace {

using Changes = std::map<std::string, std::pair<int64_t, int64_t>>;

std::vector<int64_t> Values(const Quota& q) {
  return {q.requests_per_sec,     q.burst_requests,    q.read_bytes_per_sec, q.write_bytes_per_sec,
          q.burst_read_bytes,     q.burst_write_bytes, q.max_concurrent,     q.storage_bytes,
          q.storage_soft_pct,     q.max_value_bytes,   q.weight,             q.reserved_ops_per_sec,
          q.max_queue_ms};
}

Plan BuiltIn(const std::string& name) {
  for (auto& p : BuiltInPlans()) {
    if (p.name == name) return p;
  }
  ADD_FAILURE() << "no built-in plan " << name;
  return Plan{};
}

// An operator-defined plan, distinct from every built-in one.
Plan Gold() {
  Plan p = BuiltIn("premium");
  p.name = "gold";
  p.defaults.requests_per_sec = 7000;
  p.defaults.burst_requests = 14000;
  p.defaults.weight = 6;
  p.max.requests_per_sec = 8000;
  p.max.burst_requests = 16000;
  p.max.weight = 8;
  return p;
}

class QuotaStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(h_.Open()); }

  QuotaStore& quotas() { return h_->quotas(); }

  QuotaManifest MustCurrent(const std::string& id) {
    auto m = quotas().Current(id);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return m.ok() ? *m : QuotaManifest{};
  }
  std::vector<QuotaManifest> MustHistory(const std::string& id) {
    auto h = quotas().History(id);
    EXPECT_TRUE(h.ok()) << h.status().ToString();
    return h.ok() ? *h : std::vector<QuotaManifest>{};
  }

  EngineHarness h_;
};

using QuotaStore = QuotaStoreTest;

TEST_F(QuotaStore, CreateTenantMakesVersionOneFromPlanDefaults) {
  for (const std::string plan : {"free", "standard", "premium"}) {
    SCOPED_TRACE(plan);
    const std::string id = "t-" + plan;
    ASSERT_TRUE(h_->CreateTenant(id, plan).ok());
    EXPECT_TRUE(MustCurrent(id).changes.empty()) << "kept in memory without its changes";
    const QuotaManifest m = MustHistory(id).back();  // as stored
    EXPECT_EQ(m.version, 1);
    EXPECT_EQ(Values(m.quota), Values(BuiltIn(plan).defaults));
    EXPECT_EQ(m.updated_by, "operator");
    EXPECT_EQ(m.updated_at_ms, h_.clock().NowUnixMillis());
    EXPECT_EQ(m.changes, DiffQuota(Quota(), BuiltIn(plan).defaults));
    EXPECT_EQ(m.changes.at("requests_per_sec"),
              std::make_pair(int64_t{0}, BuiltIn(plan).defaults.requests_per_sec));
    EXPECT_EQ(m.changes.count("storage_soft_pct"), 0u);  // 90 by default already
  }
}

TEST_F(QuotaStore, CreateTenantWithoutPlanUsesStandard) {
  ASSERT_TRUE(h_->CreateTenant("acme", "").ok());
  EXPECT_EQ(Values(MustCurrent("acme").quota), Values(BuiltIn("standard").defaults));
}

TEST_F(QuotaStore, UpdateMakesANewVersionWithChangesAndAuthor) {
  ASSERT_TRUE(h_->CreateTenant("acme", "standard").ok());
  const Quota v1 = MustCurrent("acme").quota;
  Quota next = v1;
  next.requests_per_sec = 100;
  next.storage_bytes = 4096;
  h_.clock().AdvanceMillis(5'000);
  auto m = h_->UpdateQuota("acme", next, "key-0123", /*by_tenant_admin=*/true);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->version, 2);
  EXPECT_EQ(m->updated_by, "key-0123");
  EXPECT_EQ(m->updated_at_ms, h_.clock().NowUnixMillis());
  EXPECT_EQ(m->changes, (Changes{{"requests_per_sec", {v1.requests_per_sec, 100}},
                                 {"storage_bytes", {v1.storage_bytes, 4096}}}));
  EXPECT_EQ(Values(MustCurrent("acme").quota), Values(next));
  EXPECT_EQ(MustCurrent("acme").version, 2);
}

TEST_F(QuotaStore, NoOpUpdateStillMakesAVersion) {
  ASSERT_TRUE(h_->CreateTenant("acme", "standard").ok());
  auto m = h_->UpdateQuota("acme", MustCurrent("acme").quota, "operator", false);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->version, 2);
  EXPECT_TRUE(m->changes.empty());
  EXPECT_EQ(MustHistory("acme").size(), 2u);
}

TEST_F(QuotaStore, InvalidUpdateMakesNoVersion) {
  ASSERT_TRUE(h_->CreateTenant("acme", "standard").ok());
  Quota next = MustCurrent("acme").quota;
  next.storage_soft_pct = 0;
  auto m = h_->UpdateQuota("acme", next, "operator", false);
  EXPECT_EQ(m.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(m.status().reason(), "invalid_quota");
  EXPECT_EQ(MustCurrent("acme").version, 1);
  EXPECT_EQ(MustHistory("acme").size(), 1u);
}

TEST_F(QuotaStore, HistoryIsOldestFirst) {
  ASSERT_TRUE(h_->CreateTenant("acme", "standard").ok());
  Quota q = MustCurrent("acme").quota;
  // Enough versions that a decimal (not hex, fixed-width) key would misorder.
  for (int i = 0; i < 17; ++i) {
    q.requests_per_sec = 100 + i;
    ASSERT_TRUE(h_->UpdateQuota("acme", q, "author-" + std::to_string(i), false).ok());
  }
  const auto history = MustHistory("acme");
  ASSERT_EQ(history.size(), 18u);
  for (size_t i = 0; i < history.size(); ++i) {
    SCOPED_TRACE("entry " + std::to_string(i));
    EXPECT_EQ(history[i].version, static_cast<int64_t>(i) + 1);
    if (i > 0) {
      EXPECT_EQ(history[i].quota.requests_per_sec, 100 + static_cast<int64_t>(i) - 1);
      EXPECT_EQ(history[i].updated_by, "author-" + std::to_string(i - 1));
    }
  }
  EXPECT_EQ(history.front().updated_by, "operator");
  EXPECT_EQ(history.back().version, MustCurrent("acme").version);
}

TEST_F(QuotaStore, HistoryPagesWalkEveryVersionOnce) {
  ASSERT_TRUE(h_->CreateTenant("acme", "standard").ok());
  Quota q = MustCurrent("acme").quota;
  for (int i = 0; i < 6; ++i) {  // versions 1..7
    q.requests_per_sec = 100 + i;
    ASSERT_TRUE(h_->UpdateQuota("acme", q, "operator", false).ok());
  }
  struct Case {
    int64_t after;
    size_t limit;
    std::vector<int64_t> versions;
    std::optional<int64_t> next;
  };
  const std::vector<Case> cases = {
      {0, 3, {1, 2, 3}, 3}, {3, 3, {4, 5, 6}, 6}, {6, 3, {7}, std::nullopt},
      {4, 3, {5, 6, 7}, std::nullopt},  // exactly the rest: no next
      {0, 100, {1, 2, 3, 4, 5, 6, 7}, std::nullopt}, {7, 3, {}, std::nullopt},
      {INT64_MAX, 3, {}, std::nullopt},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE("after " + std::to_string(c.after) + " limit " + std::to_string(c.limit));
    auto page = quotas().HistoryPage("acme", c.after, c.limit);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    std::vector<int64_t> versions;
    for (const auto& m : page->versions) versions.push_back(m.version);
    EXPECT_EQ(versions, c.versions);
    EXPECT_EQ(page->next, c.next);
  }
  EXPECT_EQ(quotas().HistoryPage("ghost", 0, 10).status().reason(), "quota_not_found");
}

TEST_F(QuotaStore, RevertMakesANewVersionEqualToTheOldOne) {
  ASSERT_TRUE(h_->CreateTenant("acme", "standard").ok());
  const Quota v1 = MustCurrent("acme").quota;
  Quota v2 = v1;
  v2.max_concurrent = 3;
  v2.weight = 1;
  ASSERT_TRUE(h_->UpdateQuota("acme", v2, "operator", false).ok());

  auto m = h_->RevertQuota("acme", 1, "key-abcd");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->version, 3);
  EXPECT_EQ(m->updated_by, "key-abcd");
  EXPECT_EQ(Values(m->quota), Values(v1));
  EXPECT_EQ(m->changes, (Changes{{"max_concurrent", {3, v1.max_concurrent}}, {"weight", {1, v1.weight}}}));
  EXPECT_EQ(Values(MustCurrent("acme").quota), Values(v1));

  const auto history = MustHistory("acme");
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(Values(history[1].quota), Values(v2));  // the reverted version stays in history
}

TEST_F(QuotaStore, RevertToAnUnknownVersionIsNotFound) {
  ASSERT_TRUE(h_->CreateTenant("acme", "standard").ok());
  for (int64_t version : {int64_t{0}, int64_t{2}, int64_t{99}, int64_t{-1}}) {
    SCOPED_TRACE("version " + std::to_string(version));
    auto m = h_->RevertQuota("acme", version, "operator");
    EXPECT_EQ(m.status().code(), Code::kNotFound) << m.status().ToString();
    EXPECT_EQ(m.status().reason(), "version_not_found");
  }
  EXPECT_EQ(MustHistory("acme").size(), 1u);
}

TEST_F(QuotaStore, UnknownTenant) {
  EXPECT_EQ(quotas().Current("ghost").status().reason(), "quota_not_found");
  EXPECT_EQ(quotas().History("ghost").status().code(), Code::kNotFound);
  auto m = h_->UpdateQuota("ghost", BuiltIn("standard").defaults, "operator", false);
  EXPECT_EQ(m.status().reason(), "tenant_not_found");
}

TEST_F(QuotaStore, ManifestsSurviveReopen) {
  ASSERT_TRUE(h_->CreateTenant("acme", "standard").ok());
  ASSERT_TRUE(h_->CreateTenant("acme-2", "free").ok());
  Quota q = MustCurrent("acme").quota;
  q.storage_bytes = 12345;
  ASSERT_TRUE(h_->UpdateQuota("acme", q, "key-1", false).ok());
  const auto before = MustHistory("acme");

  ASSERT_TRUE(h_.Open());
  const QuotaManifest m = MustCurrent("acme");
  EXPECT_EQ(m.version, 2);
  EXPECT_EQ(m.updated_by, "key-1");
  EXPECT_EQ(Values(m.quota), Values(q));
  EXPECT_TRUE(m.changes.empty()) << "kept in memory without its changes";
  const auto after = MustHistory("acme");
  EXPECT_EQ(after.back().changes, before.back().changes);
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    SCOPED_TRACE("version " + std::to_string(i + 1));
    EXPECT_EQ(after[i].version, before[i].version);
    EXPECT_EQ(Values(after[i].quota), Values(before[i].quota));
    EXPECT_EQ(after[i].updated_at_ms, before[i].updated_at_ms);
    EXPECT_EQ(after[i].changes, before[i].changes);
  }
  // A tenant whose id extends another's keeps its own manifests.
  EXPECT_EQ(MustCurrent("acme-2").version, 1);
  EXPECT_EQ(Values(MustCurrent("acme-2").quota), Values(BuiltIn("free").defaults));
  // The next version continues the sequence.
  auto next = h_->UpdateQuota("acme", q, "operator", false);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->version, 3);
}

TEST_F(QuotaStore, DeleteTenantRemovesManifestsAndRecreateStartsAtOne) {
  ASSERT_TRUE(h_->CreateTenant("acme", "premium").ok());
  ASSERT_TRUE(h_->CreateTenant("acme-2", "standard").ok());
  Quota q = MustCurrent("acme").quota;
  q.weight = 2;
  ASSERT_TRUE(h_->UpdateQuota("acme", q, "operator", false).ok());
  ASSERT_TRUE(h_->UpdateQuota("acme", q, "operator", false).ok());

  ASSERT_TRUE(h_->DeleteTenant("acme").ok());
  EXPECT_EQ(quotas().Current("acme").status().reason(), "quota_not_found");
  EXPECT_EQ(quotas().History("acme").status().code(), Code::kNotFound);
  EXPECT_EQ(MustCurrent("acme-2").version, 1);  // the neighbour is untouched

  ASSERT_TRUE(h_->CreateTenant("acme", "free").ok());
  EXPECT_EQ(MustCurrent("acme").version, 1);
  EXPECT_EQ(Values(MustCurrent("acme").quota), Values(BuiltIn("free").defaults));
  EXPECT_EQ(MustHistory("acme").size(), 1u);
  EXPECT_EQ(h_->RevertQuota("acme", 3, "operator").status().reason(), "version_not_found");

  ASSERT_TRUE(h_.Open());
  EXPECT_EQ(MustCurrent("acme").version, 1);
  EXPECT_EQ(MustHistory("acme").size(), 1u);
}

TEST_F(QuotaStore, PlansListsTheBuiltIns) {
  std::vector<std::string> names;
  for (const auto& p : quotas().Plans()) names.push_back(p.name);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"free", "premium", "standard"}));
  auto standard = quotas().GetPlan("standard");
  ASSERT_TRUE(standard.ok());
  EXPECT_EQ(Values(standard->defaults), Values(BuiltIn("standard").defaults));
}

TEST_F(QuotaStore, GetUnknownPlanIsNotFound) {
  auto p = quotas().GetPlan("gold");
  EXPECT_EQ(p.status().code(), Code::kNotFound);
  EXPECT_EQ(p.status().reason(), "plan_not_found");
}

TEST_F(QuotaStore, PutPlanValidates) {
  Plan bad = Gold();
  bad.defaults.requests_per_sec = bad.max.requests_per_sec + 1;
  Status s = quotas().PutPlan(bad);
  EXPECT_EQ(s.code(), Code::kInvalidArgument) << s.ToString();
  EXPECT_EQ(s.reason(), "invalid_plan");

  bad = Gold();
  bad.min.weight = 0;
  s = quotas().PutPlan(bad);
  EXPECT_EQ(s.code(), Code::kInvalidArgument) << s.ToString();
  EXPECT_EQ(s.reason(), "invalid_quota");

  EXPECT_EQ(quotas().GetPlan("gold").status().reason(), "plan_not_found");
  ASSERT_TRUE(h_.Open());
  EXPECT_EQ(quotas().GetPlan("gold").status().reason(), "plan_not_found");
}

TEST_F(QuotaStore, PutPlanPersistsAcrossReopen) {
  ASSERT_TRUE(quotas().PutPlan(Gold()).ok());
  Plan standard = BuiltIn("standard");
  standard.defaults.requests_per_sec = 400;  // an operator's change to a built-in plan
  ASSERT_TRUE(quotas().PutPlan(standard).ok());

  ASSERT_TRUE(h_.Open());
  auto gold = quotas().GetPlan("gold");
  ASSERT_TRUE(gold.ok()) << gold.status().ToString();
  EXPECT_EQ(gold->name, "gold");
  EXPECT_EQ(Values(gold->defaults), Values(Gold().defaults));
  EXPECT_EQ(Values(gold->min), Values(Gold().min));
  EXPECT_EQ(Values(gold->max), Values(Gold().max));
  auto changed = quotas().GetPlan("standard");
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(changed->defaults.requests_per_sec, 400);
  EXPECT_EQ(quotas().Plans().size(), 4u);
}

TEST_F(QuotaStore, TenantOnAnOperatorAddedPlan) {
  EXPECT_EQ(h_->CreateTenant("acme", "gold").status().reason(), "unknown_plan");
  ASSERT_TRUE(quotas().PutPlan(Gold()).ok());
  {
    auto t = h_->CreateTenant("acme", "gold");  // released before the reopen below
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    EXPECT_EQ((*t)->Info().plan, "gold");
  }
  EXPECT_EQ(Values(MustCurrent("acme").quota), Values(Gold().defaults));

  // Gold's range, not a built-in one, bounds the tenant admin.
  Quota q = MustCurrent("acme").quota;
  q.requests_per_sec = Gold().max.requests_per_sec;  // above premium's max
  EXPECT_TRUE(h_->UpdateQuota("acme", q, "key-1", true).ok());
  q.requests_per_sec += 1;
  EXPECT_EQ(h_->UpdateQuota("acme", q, "key-1", true).status().reason(), "outside_plan_range");

  ASSERT_TRUE(h_.Open());  // the tenant and its plan come back together
  auto again = h_->tenants().Get("acme");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ((*again)->Info().plan, "gold");
  EXPECT_EQ(MustCurrent("acme").version, 2);
}

TEST_F(QuotaStore, TenantAdminOutsidePlanRangeIsDeniedAndMakesNoVersion) {
  ASSERT_TRUE(h_->CreateTenant("acme", "standard").ok());
  const Plan plan = BuiltIn("standard");
  const Quota v1 = MustCurrent("acme").quota;
  struct Case {
    const char* field;
    int64_t value;
  };
  for (const Case& c : {Case{"requests_per_sec", plan.max.requests_per_sec + 1},
                        Case{"storage_bytes", plan.max.storage_bytes * 2},
                        Case{"max_queue_ms", plan.min.max_queue_ms - 1}}) {
    SCOPED_TRACE(c.field);
    const QuotaField* f = FindQuotaField(c.field);
    ASSERT_NE(f, nullptr);
    Quota next = v1;
    next.*f->member = c.value;
    auto m = h_->UpdateQuota("acme", next, "key-admin", /*by_tenant_admin=*/true);
    EXPECT_EQ(m.status().code(), Code::kPermissionDenied) << m.status().ToString();
    EXPECT_EQ(m.status().reason(), "outside_plan_range");
    EXPECT_NE(m.status().message().find(c.field), std::string::npos) << m.status().message();
    EXPECT_EQ(MustCurrent("acme").version, 1);
    EXPECT_EQ(MustHistory("acme").size(), 1u);
    EXPECT_EQ(Values(MustCurrent("acme").quota), Values(v1));
  }
}

TEST_F(QuotaStore, OperatorMayGoOutsidePlanRangeWithinAbsoluteBounds) {
  ASSERT_TRUE(h_->CreateTenant("acme", "standard").ok());
  const Plan plan = BuiltIn("standard");
  Quota next = MustCurrent("acme").quota;
  next.requests_per_sec = plan.max.requests_per_sec + 1;
  next.storage_bytes = plan.max.storage_bytes * 2;
  auto m = h_->UpdateQuota("acme", next, "operator", /*by_tenant_admin=*/false);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->version, 2);
  EXPECT_EQ(Values(MustCurrent("acme").quota), Values(next));

  // The tenant admin may then change another field and keep those values.
  next.max_concurrent = 5;
  auto by_admin = h_->UpdateQuota("acme", next, "key-admin", /*by_tenant_admin=*/true);
  ASSERT_TRUE(by_admin.ok()) << by_admin.status().ToString();
  EXPECT_EQ(by_admin->changes, (Changes{{"max_concurrent", {plan.defaults.max_concurrent, 5}}}));

  // Absolute bounds still hold for operators.
  next.requests_per_sec = 10'000'001;
  EXPECT_EQ(h_->UpdateQuota("acme", next, "operator", false).status().reason(), "invalid_quota");
  EXPECT_EQ(MustCurrent("acme").version, 3);
}

}  // namespace
}  // namespace tenantkv::engine::testutil

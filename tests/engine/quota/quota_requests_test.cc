#include "engine/quota/quota_requests.h"

#include <gtest/gtest.h>

#include <string>

#include "engine/quota/capacity.h"
#include "tests/testing/test_util.h"

namespace tenantkv::engine::testutil {
namespace {

constexpr int64_t kGiB = int64_t{1} << 30;

void ExpectRefused(const Status& s, Code code, const std::string& reason) {
  EXPECT_EQ(s.code(), code) << s.ToString();
  EXPECT_EQ(s.reason(), reason) << s.ToString();
}

class QuotaRequests : public ::testing::Test {
 protected:
  void SetUp() override {
    // A 100 GiB disk x 10: the standard plan's 10 GiB tenants fit 100 times.
    h_.options().disk_bytes = 100 * kGiB;
    h_.options().scheduler_capacity_ops = 100;
    ASSERT_TRUE(h_.Open());
    ASSERT_TRUE(h_->CreateTenant("acme", "standard").ok());
  }
  QuotaRequest MustFile(const std::map<std::string, int64_t>& fields, int64_t expires_at_ms = 0,
                        const std::string& tenant = "acme") {
    auto r = h_->FileQuotaRequest(tenant, fields, "launch week", expires_at_ms, "key1");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : QuotaRequest{};
  }
  EngineHarness h_;
};

TEST_F(QuotaRequests, FilingValidatesFieldsReasonAndExpiry) {
  ExpectRefused(h_->FileQuotaRequest("acme", {{"bogus", 1}}, "r", 0, "k").status(), Code::kInvalidArgument,
                "unknown_field");
  ExpectRefused(h_->FileQuotaRequest("acme", {{"requests_per_sec", 0}}, "r", 0, "k").status(),
                Code::kInvalidArgument, "invalid_quota");
  ExpectRefused(h_->FileQuotaRequest("acme", {}, "r", 0, "k").status(), Code::kInvalidArgument, "invalid_quota");
  for (const std::string& bad : {std::string(), std::string(1025, 'x'), std::string("a\nb"), std::string("\x7f")}) {
    SCOPED_TRACE(bad.size());
    ExpectRefused(h_->FileQuotaRequest("acme", {{"requests_per_sec", 900}}, bad, 0, "k").status(),
                  Code::kInvalidArgument, "invalid_reason");
  }
  EXPECT_TRUE(h_->FileQuotaRequest("acme", {{"requests_per_sec", 900}}, std::string(1024, 'x'), 0, "k").ok());
  ExpectRefused(h_->FileQuotaRequest("acme", {{"requests_per_sec", 900}}, "r", h_.clock().NowUnixMillis(), "k")
                    .status(),
                Code::kInvalidArgument, "invalid_expires_at");
  ExpectRefused(h_->FileQuotaRequest("ghost", {{"requests_per_sec", 900}}, "r", 0, "k").status(), Code::kNotFound,
                "tenant_not_found");
}

TEST_F(QuotaRequests, AtMostSixteenPendingPerTenant) {
  for (size_t i = 0; i < kMaxPendingQuotaRequests; ++i) MustFile({{"requests_per_sec", 900}});
  ExpectRefused(h_->FileQuotaRequest("acme", {{"requests_per_sec", 900}}, "r", 0, "k").status(),
                Code::kAlreadyExists, "request_limit");
  ASSERT_TRUE(h_->CreateTenant("other", "standard").ok());
  MustFile({{"requests_per_sec", 900}}, 0, "other");  // another tenant's bound is its own
  auto first = h_->quota_requests().List({std::string("acme"), std::nullopt}, "", 1);
  ASSERT_EQ(first.requests.size(), 1u);
  ASSERT_TRUE(h_->RejectQuotaRequest(first.requests[0].id, "operator", "no").ok());
  MustFile({{"requests_per_sec", 900}});  // a decided one frees its place
}

TEST_F(QuotaRequests, ApprovalAppliesAVersionNamingTheRequestBeyondThePlan) {
  // standard allows requests_per_sec up to its default 500; 5000 needs a request.
  QuotaRequest r = MustFile({{"requests_per_sec", 5000}, {"burst_requests", 9000}});
  EXPECT_EQ(r.state, QuotaRequestState::kPending);
  EXPECT_EQ(r.id.substr(0, 3), "qr_");
  auto d = h_->ApproveQuotaRequest(r.id, "operator:alice", "ok");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ASSERT_TRUE(d->manifest.has_value());
  EXPECT_EQ(d->manifest->version, 2);
  EXPECT_EQ(d->manifest->request, r.id);
  EXPECT_EQ(d->manifest->updated_by, "operator:alice");
  EXPECT_EQ(d->manifest->quota.requests_per_sec, 5000);
  EXPECT_EQ(d->request.state, QuotaRequestState::kApproved);
  EXPECT_EQ(d->request.manifest_version, 2);
  EXPECT_EQ(d->request.decided_by, "operator:alice");
  auto t = h_->tenants().Get("acme");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)->limits().quota().requests_per_sec, 5000);  // enforced at once
  ExpectRefused(h_->ApproveQuotaRequest(r.id, "operator:bob", "").status(), Code::kAlreadyExists,
                "request_decided");
  ExpectRefused(h_->RejectQuotaRequest(r.id, "operator:bob", "").status(), Code::kAlreadyExists, "request_decided");
  ExpectRefused(h_->ApproveQuotaRequest("qr_0000000000000099", "operator", "").status(), Code::kNotFound,
                "request_not_found");
}

TEST_F(QuotaRequests, FourEyesNeedTwoDistinctApprovers) {
  h_.options().quota_approvals_required = 2;
  ASSERT_TRUE(h_.Open());
  QuotaRequest r = MustFile({{"requests_per_sec", 5000}});
  auto first = h_->ApproveQuotaRequest(r.id, "operator:alice", "");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_FALSE(first->manifest.has_value());
  EXPECT_EQ(first->request.state, QuotaRequestState::kPending);
  ASSERT_EQ(first->request.approvals.size(), 1u);
  ExpectRefused(h_->ApproveQuotaRequest(r.id, "operator:alice", "").status(), Code::kAlreadyExists,
                "duplicate_approval");
  EXPECT_EQ(h_->quotas().Current("acme")->version, 1);
  ASSERT_TRUE(h_.Open());  // the approval was persisted
  auto second = h_->ApproveQuotaRequest(r.id, "operator:bob", "");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  ASSERT_TRUE(second->manifest.has_value());
  EXPECT_EQ(second->request.approvals.size(), 2u);
  EXPECT_EQ(h_->quotas().Current("acme")->quota.requests_per_sec, 5000);
  EXPECT_EQ(h_->quotas().Current("acme")->request, r.id);
}

TEST_F(QuotaRequests, RejectEndsItAndSurvivesARestart) {
  QuotaRequest r = MustFile({{"requests_per_sec", 5000}}, h_.clock().NowUnixMillis() + 3'600'000);
  auto rejected = h_->RejectQuotaRequest(r.id, "operator:bob", "not this quarter");
  ASSERT_TRUE(rejected.ok());
  ASSERT_TRUE(h_.Open());
  auto back = h_->quota_requests().Get(r.id);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->state, QuotaRequestState::kRejected);
  EXPECT_EQ(back->decision_comment, "not this quarter");
  EXPECT_EQ(back->expires_at_ms, r.expires_at_ms);
  EXPECT_EQ(back->reason, "launch week");
  EXPECT_EQ(h_->quotas().Current("acme")->version, 1);
  QuotaRequest next = MustFile({{"requests_per_sec", 700}});
  EXPECT_GT(next.id, r.id);  // ids keep rising across a restart
}

TEST_F(QuotaRequests, DecidedHistoryIsBounded) {
  std::string first;
  for (size_t i = 0; i < kMaxDecidedQuotaRequests + 3; ++i) {
    QuotaRequest r = MustFile({{"requests_per_sec", 700}});
    if (first.empty()) first = r.id;
    ASSERT_TRUE(h_->RejectQuotaRequest(r.id, "operator", "").ok());
  }
  auto all = h_->quota_requests().List({std::string("acme"), std::nullopt}, "", 1000);
  EXPECT_EQ(all.requests.size(), kMaxDecidedQuotaRequests);
  ExpectRefused(h_->quota_requests().Get(first).status(), Code::kNotFound, "request_not_found");
}

TEST_F(QuotaRequests, ListFiltersAndPages) {
  ASSERT_TRUE(h_->CreateTenant("beta", "standard").ok());
  QuotaRequest a = MustFile({{"requests_per_sec", 700}});
  QuotaRequest b = MustFile({{"requests_per_sec", 700}}, 0, "beta");
  QuotaRequest c = MustFile({{"requests_per_sec", 700}});
  ASSERT_TRUE(h_->RejectQuotaRequest(c.id, "operator", "").ok());
  auto page = h_->quota_requests().List({}, "", 2);
  ASSERT_EQ(page.requests.size(), 2u);
  EXPECT_EQ(page.requests[1].id, b.id);
  ASSERT_TRUE(page.next.has_value());
  auto rest = h_->quota_requests().List({}, *page.next, 2);
  ASSERT_EQ(rest.requests.size(), 1u);
  EXPECT_EQ(rest.requests[0].id, c.id);
  EXPECT_FALSE(rest.next.has_value());
  auto pending_acme = h_->quota_requests().List({std::string("acme"), QuotaRequestState::kPending}, "", 10);
  ASSERT_EQ(pending_acme.requests.size(), 1u);
  EXPECT_EQ(pending_acme.requests[0].id, a.id);
}

TEST_F(QuotaRequests, DeletingTheTenantDropsItsRequests) {
  QuotaRequest r = MustFile({{"requests_per_sec", 700}});
  ASSERT_TRUE(h_->DeleteTenant("acme").ok());
  ExpectRefused(h_->quota_requests().Get(r.id).status(), Code::kNotFound, "request_not_found");
}

TEST_F(QuotaRequests, ReservationsMayNotPassTheSchedulersCapacity) {
  // Capacity 100; acme reserves 10 (standard's default).
  QuotaRequest r = MustFile({{"reserved_ops_per_sec", 200}});
  auto refused = h_->ApproveQuotaRequest(r.id, "operator", "");
  ExpectRefused(refused.status(), Code::kAlreadyExists, "over_capacity");
  EXPECT_NE(refused.status().message().find("200"), std::string::npos) << refused.status().message();
  EXPECT_EQ(h_->quota_requests().Get(r.id)->state, QuotaRequestState::kPending);  // nothing recorded
  Quota q = h_->quotas().Current("acme")->quota;
  q.reserved_ops_per_sec = 101;
  ExpectRefused(h_->UpdateQuota("acme", q, "operator", false).status(), Code::kAlreadyExists, "over_capacity");
  q.reserved_ops_per_sec = 100;
  EXPECT_TRUE(h_->UpdateQuota("acme", q, "operator", false).ok());
  ASSERT_TRUE(h_->CreateTenant("beta", "standard").ok());  // not judged: capacity_check_on_create is off
  // Now 110 of 100: lowering is never refused, even past the limit...
  q.reserved_ops_per_sec = 95;
  ASSERT_TRUE(h_->UpdateQuota("acme", q, "operator", false).ok());  // version 3
  // ...but raising is, a revert (to version 2's 100) included.
  ExpectRefused(h_->RevertQuota("acme", 2, "operator").status(), Code::kAlreadyExists, "over_capacity");
  EXPECT_EQ(h_->quotas().Current("acme")->version, 3);
  EXPECT_TRUE(h_->RevertQuota("acme", 1, "operator").ok());
}

TEST_F(QuotaRequests, StorageQuotasMayNotPassTheDiskTimesTheRatio) {
  // 100 GiB x 10 = 1000 GiB; acme holds 10 GiB.
  Quota q = h_->quotas().Current("acme")->quota;
  q.storage_bytes = 1000 * kGiB;
  EXPECT_TRUE(h_->UpdateQuota("acme", q, "operator", false).ok());
  ASSERT_TRUE(h_->CreateTenant("beta", "standard").ok());
  QuotaRequest r = MustFile({{"storage_bytes", 11 * kGiB}}, 0, "beta");
  ExpectRefused(h_->ApproveQuotaRequest(r.id, "operator", "").status(), Code::kAlreadyExists, "over_capacity");
}

TEST_F(QuotaRequests, CreationIsJudgedOnlyWhenAskedTo) {
  h_.options().capacity_check_on_create = true;
  h_.options().disk_bytes = 2 * kGiB;  // x 10 = 20 GiB: acme's 10 GiB and one more standard tenant
  ASSERT_TRUE(h_.Open());
  ASSERT_TRUE(h_->CreateTenant("beta", "standard").ok());
  ExpectRefused(h_->CreateTenant("gamma", "standard").status(), Code::kAlreadyExists, "over_capacity");
  EXPECT_FALSE(h_->tenants().Get("gamma").ok());
  h_.options().capacity_check_on_create = false;
  ASSERT_TRUE(h_.Open());
  EXPECT_TRUE(h_->CreateTenant("gamma", "standard").ok());
}

TEST(Capacity, ChecksOnlyRaisedSumsAndNeverWraps) {
  CapacityLimits limits{100, 10, 10};
  CapacityUse before{150, 50};
  CapacityUse lower{120, 50};
  EXPECT_TRUE(CheckCapacity(limits, before, lower).ok());
  CapacityUse raised{50, 101};
  EXPECT_EQ(CheckCapacity(limits, CapacityUse{50, 100}, raised).reason(), "over_capacity");
  CapacityUse huge;
  Quota q;
  q.storage_bytes = INT64_MAX;
  huge.Add(q);
  huge.Add(q);
  EXPECT_EQ(huge.storage_bytes, INT64_MAX);
  EXPECT_EQ(CheckCapacity(CapacityLimits{100, INT64_MAX, 10}, CapacityUse{}, huge).code(), Code::kOk);
}

}  // namespace
}  // namespace tenantkv::engine::testutil

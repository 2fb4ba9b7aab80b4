// Quota change requests against the real server: a tenant admin files one
// (its read and write keys may not), the operator approves it into a new
// quota manifest version that names it and whose limits apply at once, or
// rejects it; with four eyes two different named operators must approve;
// a change past the node's capacity is refused 409 over_capacity; all of it
// survives a restart.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing/rfc3339.h"
#include "tests/testing/test_server.h"
#include "tests/testing/wait_for.h"

namespace tenantkv::testing {
namespace {

using nlohmann::json;

constexpr int64_t kGiB = int64_t{1} << 30;

std::string InSeconds(int seconds) { return Rfc3339InSeconds(seconds); }

json Body(const httplib::Result& r) { return json::parse(r->body); }

void ExpectProblem(const httplib::Result& r, int status, const std::string& code) {
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, status) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/problem+json");
  EXPECT_EQ(Body(r)["code"], code) << r->body;
}

class QuotaRequestsTest : public ::testing::Test {
 protected:
  explicit QuotaRequestsTest(std::vector<std::string> args = {}) : server_(std::move(args)) {}
  void SetUp() override {
    server_.Start();
    server_.CreateTenant("acme");
    admin_ = server_.CreateKey("acme", "admin");
  }
  // Files a request with acme's admin key; its id.
  std::string File(const json& fields, const std::string& reason = "launch week") {
    auto r = server_.Post("/v1/quota/requests", json{{"fields", fields}, {"reason", reason}}.dump(), admin_);
    EXPECT_EQ(r->status, 201) << r->body;
    return r->status == 201 ? Body(r)["id"].get<std::string>() : "";
  }
  httplib::Result Decide(const std::string& rid, const std::string& verb, const std::string& token,
                         const std::string& body = "") {
    return server_.Post("/admin/v1/quota-requests/" + rid + "/" + verb, body, token);
  }
  std::string OperatorKey(const std::string& name) {
    auto r = server_.Post("/admin/v1/operator-keys", json{{"name", name}}.dump(), server_.operator_token());
    EXPECT_EQ(r->status, 201) << r->body;
    return Body(r)["token"];
  }
  json Quota() {
    auto r = server_.Get("/admin/v1/tenants/acme/quota", server_.operator_token());
    EXPECT_EQ(r->status, 200) << r->body;
    return Body(r);
  }
  std::vector<json> Audit(const std::string& action) {
    auto r = server_.Get("/admin/v1/audit?tenant=acme", server_.operator_token());
    EXPECT_EQ(r->status, 200) << r->body;
    const json page = Body(r);  // kept: the loop must not range over a temporary's member
    std::vector<json> out;
    for (const auto& e : page["entries"]) {
      if (e["action"] == action) out.push_back(e);
    }
    return out;
  }

  TestServer server_;
  std::string admin_;
};

TEST_F(QuotaRequestsTest, OnlyTheTenantAdminFilesAndLists) {
  const std::string reader = server_.CreateKey("acme", "read");
  const std::string writer = server_.CreateKey("acme", "write");
  const std::string body = R"({"fields":{"requests_per_sec":5000},"reason":"launch"})";
  for (const auto& token : {reader, writer}) {
    ExpectProblem(server_.Post("/v1/quota/requests", body, token), 403, "insufficient_role");
    ExpectProblem(server_.Get("/v1/quota/requests", token), 403, "insufficient_role");
  }
  ExpectProblem(server_.Post("/v1/quota/requests", body, server_.operator_token()), 403, "tenant_token_required");
  EXPECT_TRUE(Body(server_.Get("/v1/quota/requests", admin_))["requests"].empty());
}

TEST_F(QuotaRequestsTest, FilingValidatesItsInput) {
  struct Case { std::string body, code; };
  const std::vector<Case> cases = {
      {R"({"fields":{"bogus":1},"reason":"r"})", "unknown_field"},
      {R"({"fields":{"requests_per_sec":5000},"reason":"r","extra":1})", "unknown_field"},
      {R"({"fields":{"requests_per_sec":"many"},"reason":"r"})", "invalid_quota"},
      {R"({"fields":{"requests_per_sec":0},"reason":"r"})", "invalid_quota"},
      {R"({"fields":{},"reason":"r"})", "invalid_quota"},
      {R"({"fields":{"requests_per_sec":5000}})", "invalid_reason"},
      {R"({"fields":{"requests_per_sec":5000},"reason":""})", "invalid_reason"},
      {R"({"fields":{"requests_per_sec":5000},"reason":"a\u0007b"})", "invalid_reason"},
      {json{{"fields", {{"requests_per_sec", 5000}}}, {"reason", std::string(1025, 'x')}}.dump(), "invalid_reason"},
      {R"({"fields":{"requests_per_sec":5000},"reason":"r","expires_at":"2020-01-01T00:00:00Z"})",
       "invalid_expires_at"},
      {R"({"fields":{"requests_per_sec":5000},"reason":"r","expires_at":"tomorrow"})", "invalid_expires_at"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    ExpectProblem(server_.Post("/v1/quota/requests", c.body, admin_), 400, c.code);
  }
  EXPECT_TRUE(Body(server_.Get("/v1/quota/requests", admin_))["requests"].empty());
  EXPECT_TRUE(Audit("quota_request.create").empty());
}

TEST_F(QuotaRequestsTest, AnApprovalIsANewVersionNamingTheRequestAndItsLimitsApply) {
  // The plan's range stops the tenant admin from doing this itself.
  ExpectProblem(server_.Put("/admin/v1/tenants/acme/quota", R"({"requests_per_sec":5000})", admin_), 403,
                "outside_plan_range");
  auto filed = server_.Post(
      "/v1/quota/requests",
      R"({"fields":{"requests_per_sec":5000,"burst_requests":6000},"reason":"launch week"})",
      admin_);
  ASSERT_EQ(filed->status, 201) << filed->body;
  const json req = Body(filed);
  const std::string rid = req["id"];
  EXPECT_EQ(filed->get_header_value("Location"), "/v1/quota/requests/" + rid);
  EXPECT_EQ(req["tenant"], "acme");
  EXPECT_EQ(req["state"], "pending");
  EXPECT_EQ(req["fields"], (json{{"requests_per_sec", 5000}, {"burst_requests", 6000}}));
  EXPECT_EQ(req["reason"], "launch week");
  EXPECT_TRUE(req["expires_at"].is_null());
  EXPECT_TRUE(req["approvals"].empty());
  EXPECT_TRUE(req["created_by"].is_string());

  auto listed = server_.Get("/admin/v1/quota-requests?state=pending&tenant=acme", server_.operator_token());
  ASSERT_EQ(listed->status, 200) << listed->body;
  ASSERT_EQ(Body(listed)["requests"].size(), 1u);
  EXPECT_EQ(Body(listed)["requests"][0]["id"], rid);
  EXPECT_TRUE(Body(server_.Get("/admin/v1/quota-requests?state=approved", server_.operator_token()))["requests"]
                  .empty());
  ExpectProblem(server_.Get("/admin/v1/quota-requests?state=maybe", server_.operator_token()), 400,
                "invalid_parameter");

  auto approved = Decide(rid, "approve", server_.operator_token(), R"({"comment":"ok for the launch"})");
  ASSERT_EQ(approved->status, 200) << approved->body;
  EXPECT_EQ(Body(approved)["state"], "approved");
  EXPECT_EQ(Body(approved)["decided_by"], "operator");
  EXPECT_EQ(Body(approved)["comment"], "ok for the launch");
  EXPECT_EQ(Body(approved)["manifest_version"], 2);
  ASSERT_EQ(Body(approved)["approvals"].size(), 1u);

  const json q = Quota();
  EXPECT_EQ(q["version"], 2);
  EXPECT_EQ(q["request"], rid);
  EXPECT_EQ(q["updated_by"], "operator");
  EXPECT_EQ(q["quota"]["requests_per_sec"], 5000);
  auto hist = Body(server_.Get("/admin/v1/tenants/acme/quota/history", admin_))["versions"];
  ASSERT_EQ(hist.size(), 2u);
  EXPECT_TRUE(hist[0]["request"].is_null());
  EXPECT_EQ(hist[1]["request"], rid);
  // Enforced at once: the tenant's own view shows the new rate.
  EXPECT_EQ(Body(server_.Get("/v1/usage", admin_))["quotas"]["requests_per_sec"]["rate"], 5000);

  ExpectProblem(Decide(rid, "approve", server_.operator_token()), 409, "request_decided");
  ExpectProblem(Decide(rid, "reject", server_.operator_token()), 409, "request_decided");
  ExpectProblem(Decide("qr_00000000000000ff", "approve", server_.operator_token()), 404, "request_not_found");
  ExpectProblem(Decide(rid, "approve", server_.operator_token(), R"({"note":"x"})"), 400, "unknown_field");

  ASSERT_EQ(Audit("quota_request.create").size(), 1u);
  ASSERT_EQ(Audit("quota_request.approve").size(), 1u);
  auto sets = Audit("quota.set");
  ASSERT_EQ(sets.size(), 1u);
  EXPECT_EQ(sets[0]["details"]["request"], rid) << sets[0].dump();
}

TEST_F(QuotaRequestsTest, AnExpiringGrantIsAnAddonThatEndsOnItsOwn) {
  const int64_t base_rps = Body(server_.Get("/v1/usage", admin_))["quotas"]["requests_per_sec"]["rate"];
  // Past 366 days ahead is refused at filing, not at the approval.
  ExpectProblem(server_.Post("/v1/quota/requests",
                             json{{"fields", {{"requests_per_sec", 5000}}}, {"reason", "r"}, {"expires_at", InSeconds(367 * 86400)}}.dump(),
                             admin_),
                400, "invalid_expires_at");
  auto filed = server_.Post(
      "/v1/quota/requests",
      json{{"fields", {{"requests_per_sec", 5000}}}, {"reason", "flash sale"}, {"expires_at", InSeconds(8)}}.dump(),
      admin_);
  ASSERT_EQ(filed->status, 201) << filed->body;
  const std::string rid = Body(filed)["id"];
  auto approved = Decide(rid, "approve", server_.operator_token());
  ASSERT_EQ(approved->status, 200) << approved->body;
  EXPECT_EQ(Body(approved)["state"], "approved");
  const int64_t started_version = Body(approved)["manifest_version"];

  // The grant is an add-on naming the request, active at once; its start is
  // the manifest version the approval reports, and it names the request.
  auto addons = Body(server_.Get("/admin/v1/tenants/acme/addons", server_.operator_token()))["addons"];
  ASSERT_EQ(addons.size(), 1u) << addons.dump();
  const std::string aid = addons[0]["id"];
  EXPECT_EQ(addons[0]["request"], rid);
  EXPECT_EQ(addons[0]["state"], "active");
  EXPECT_EQ(addons[0]["started_version"], started_version);
  EXPECT_EQ(addons[0]["fields"]["requests_per_sec"], 5000);
  json q = Quota();
  EXPECT_EQ(q["version"], started_version);
  EXPECT_EQ(q["request"], rid);
  EXPECT_EQ(q["quota"]["requests_per_sec"], 5000);
  EXPECT_EQ(Body(server_.Get("/v1/usage", admin_))["quotas"]["requests_per_sec"]["rate"], 5000);

  // It ends on its own at expires_at: the rate goes back, as a new version.
  json addon;
  ASSERT_TRUE(WaitFor(
      [&] {
        addon = Body(server_.Get("/admin/v1/tenants/acme/addons/" + aid, server_.operator_token()));
        return addon["state"] == "ended";
      },
      20))
      << addon.dump();
  q = Quota();
  EXPECT_EQ(q["version"], addon["ended_version"]);
  EXPECT_EQ(q["updated_by"], "addon:" + aid);
  EXPECT_EQ(q["quota"]["requests_per_sec"], base_rps);
  EXPECT_EQ(Body(server_.Get("/v1/usage", admin_))["quotas"]["requests_per_sec"]["rate"], base_rps);
  EXPECT_EQ(Audit("addon.start").size(), 1u);
  EXPECT_EQ(Audit("addon.end").size(), 1u);

  // An approval after expires_at has passed grants nothing.
  auto late = server_.Post(
      "/v1/quota/requests",
      json{{"fields", {{"requests_per_sec", 5000}}}, {"reason", "too late"}, {"expires_at", InSeconds(1)}}.dump(),
      admin_);
  ASSERT_EQ(late->status, 201) << late->body;
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  ExpectProblem(Decide(Body(late)["id"], "approve", server_.operator_token()), 409, "request_expired");
  EXPECT_EQ(Quota()["version"], q["version"]);
  EXPECT_EQ(Body(server_.Get("/v1/quota/requests", admin_))["requests"].size(), 2u);
}

TEST_F(QuotaRequestsTest, ARejectEndsIt) {
  const std::string rid = File({{"requests_per_sec", 5000}});
  auto rejected = Decide(rid, "reject", server_.operator_token(), R"({"comment":"not this quarter"})");
  ASSERT_EQ(rejected->status, 200) << rejected->body;
  EXPECT_EQ(Body(rejected)["state"], "rejected");
  auto own = Body(server_.Get("/v1/quota/requests", admin_))["requests"];
  ASSERT_EQ(own.size(), 1u);
  EXPECT_EQ(own[0]["state"], "rejected");
  EXPECT_EQ(own[0]["comment"], "not this quarter");
  ExpectProblem(Decide(rid, "approve", server_.operator_token()), 409, "request_decided");
  EXPECT_EQ(Quota()["version"], 1);
  ASSERT_EQ(Audit("quota_request.reject").size(), 1u);
}

TEST_F(QuotaRequestsTest, ListsArePaged) {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(File({{"requests_per_sec", 600 + i}}));
  auto first = Body(server_.Get("/v1/quota/requests?limit=2", admin_));
  ASSERT_EQ(first["requests"].size(), 2u);
  EXPECT_EQ(first["next"], ids[1]);
  auto rest = Body(server_.Get("/v1/quota/requests?limit=2&start_after=" + ids[1], admin_));
  ASSERT_EQ(rest["requests"].size(), 1u);
  EXPECT_EQ(rest["requests"][0]["id"], ids[2]);
  EXPECT_TRUE(rest["next"].is_null());
}

class FourEyesTest : public QuotaRequestsTest {
 protected:
  FourEyesTest() : QuotaRequestsTest({"--quota-approvals-required", "2"}) {}
};

TEST_F(FourEyesTest, TwoDifferentOperatorsApplyItAcrossARestart) {
  const std::string alice = OperatorKey("alice");
  const std::string bob = OperatorKey("bob");
  const std::string rid = File({{"requests_per_sec", 5000}});
  auto first = Decide(rid, "approve", alice);
  ASSERT_EQ(first->status, 202) << first->body;
  EXPECT_EQ(Body(first)["state"], "pending");
  ASSERT_EQ(Body(first)["approvals"].size(), 1u);
  EXPECT_EQ(Body(first)["approvals"][0]["by"], "operator:alice");
  ExpectProblem(Decide(rid, "approve", alice), 409, "duplicate_approval");
  EXPECT_EQ(Quota()["version"], 1);

  ASSERT_EQ(server_.Terminate(), 0);
  server_.Start();
  auto pending = Body(server_.Get("/admin/v1/quota-requests?state=pending", server_.operator_token()));
  ASSERT_EQ(pending["requests"].size(), 1u);
  EXPECT_EQ(pending["requests"][0]["approvals"].size(), 1u);

  auto second = Decide(rid, "approve", bob);
  ASSERT_EQ(second->status, 200) << second->body;
  EXPECT_EQ(Body(second)["state"], "approved");
  EXPECT_EQ(Body(second)["approvals"].size(), 2u);
  const json q = Quota();
  EXPECT_EQ(q["request"], rid);
  EXPECT_EQ(q["updated_by"], "operator:bob");
  auto approvals = Audit("quota_request.approve");
  ASSERT_EQ(approvals.size(), 2u);
  EXPECT_EQ(approvals[0]["actor"], "operator:alice");
  EXPECT_EQ(approvals[1]["actor"], "operator:bob");

  ASSERT_EQ(server_.Terminate(), 0);
  server_.Start();
  EXPECT_EQ(Quota()["quota"]["requests_per_sec"], 5000);
  EXPECT_EQ(Body(server_.Get("/v1/quota/requests", admin_))["requests"][0]["state"], "approved");
}

TEST_F(FourEyesTest, TheBreakGlassTokenCountsAsOneApprover) {
  const std::string alice = OperatorKey("alice");
  const std::string rid = File({{"requests_per_sec", 5000}});
  ASSERT_EQ(Decide(rid, "approve", server_.operator_token())->status, 202);
  ExpectProblem(Decide(rid, "approve", server_.operator_token()), 409, "duplicate_approval");
  ASSERT_EQ(Decide(rid, "approve", alice)->status, 200);
}

class CapacityTest : public QuotaRequestsTest {
 protected:
  // 50 reserved ops/s; 2 GiB x 10 = 20 GiB of storage quotas (a standard
  // tenant holds 10 GiB and reserves 10).
  CapacityTest()
      : QuotaRequestsTest({"--scheduler-capacity-ops", "50", "--capacity-disk-bytes", std::to_string(2 * kGiB)}) {}
};

TEST_F(CapacityTest, QuotaChangesAndApprovalsPastTheNodesCapacityAreRefused) {
  auto put = server_.Put("/admin/v1/tenants/acme/quota", R"({"reserved_ops_per_sec":60})", server_.operator_token());
  ExpectProblem(put, 409, "over_capacity");
  EXPECT_NE(Body(put)["detail"].get<std::string>().find("60"), std::string::npos) << put->body;
  EXPECT_EQ(server_.Put("/admin/v1/tenants/acme/quota", R"({"reserved_ops_per_sec":50})", server_.operator_token())
                ->status,
            200);
  ExpectProblem(
      server_.Put("/admin/v1/tenants/acme/quota", json{{"storage_bytes", 21 * kGiB}}.dump(), server_.operator_token()),
      409, "over_capacity");

  const std::string rid = File({{"storage_bytes", 25 * kGiB}});
  ExpectProblem(Decide(rid, "approve", server_.operator_token()), 409, "over_capacity");
  auto still = Body(server_.Get("/admin/v1/quota-requests?tenant=acme", server_.operator_token()))["requests"];
  EXPECT_EQ(still[0]["state"], "pending");
  EXPECT_TRUE(still[0]["approvals"].empty());
  EXPECT_EQ(Quota()["quota"]["storage_bytes"], 10 * kGiB);
  // Creation is not judged without --capacity-check-on-create: 30 GiB of 20.
  server_.CreateTenant("beta");
  server_.CreateTenant("gamma");
}

class CapacityOnCreateTest : public QuotaRequestsTest {
 protected:
  CapacityOnCreateTest()
      : QuotaRequestsTest({"--capacity-disk-bytes", std::to_string(2 * kGiB), "--capacity-check-on-create"}) {}
};

TEST_F(CapacityOnCreateTest, ATenantWhosePlanDoesNotFitIsRefused) {
  server_.CreateTenant("beta");  // 20 GiB of 20
  auto refused = server_.Post("/admin/v1/tenants", R"({"id":"gamma"})", server_.operator_token());
  ExpectProblem(refused, 409, "over_capacity");
  EXPECT_EQ(server_.Get("/admin/v1/tenants/gamma", server_.operator_token())->status, 404);
  auto free_plan = server_.Post("/admin/v1/tenants", R"({"id":"delta","plan":"free"})", server_.operator_token());
  EXPECT_EQ(free_plan->status, 409) << free_plan->body;  // 100 MiB more is still past 20 GiB
}

}  // namespace
}  // namespace tenantkv::testing

// Quotas over HTTP: admission refusals with true headers, storage and value
// limits, versioned manifests, plan ranges — and other tenants unaffected.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <thread>
#include <vector>

#include "tests/testing/test_server.h"

namespace tenantkv::testing {
namespace {

using nlohmann::json;

class QuotaApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Start();
    server_.CreateTenant("noisy");
    server_.CreateTenant("quiet");
    noisy_ = server_.CreateKey("noisy", "admin");
    quiet_ = server_.CreateKey("quiet", "write");
  }

  json SetQuota(const std::string& tenant, const json& fields, const std::string& token, int expect = 200) {
    auto cli = server_.Client();
    auto r = cli->Put("/admin/v1/tenants/" + tenant + "/quota", {{"Authorization", "Bearer " + token}},
                      fields.dump(), "application/json");
    EXPECT_TRUE(r);
    if (!r) return {};
    EXPECT_EQ(r->status, expect) << r->body;
    return json::parse(r->body, nullptr, false);
  }

  TestServer server_;
  std::string noisy_, quiet_;
};

TEST_F(QuotaApiTest, RateLimitRefusesWithTrueRetryAfterAndSparesOthers) {
  SetQuota("noisy", {{"requests_per_sec", 2}, {"burst_requests", 3}}, server_.operator_token());
  int ok = 0;
  std::optional<httplib::Response> refused;
  for (int i = 0; i < 10; ++i) {
    auto r = server_.Get(KvPath("k"), noisy_);
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->get_header_value("RateLimit-Limit").empty());
    EXPECT_FALSE(r->get_header_value("RateLimit-Remaining").empty());
    EXPECT_FALSE(r->get_header_value("RateLimit-Reset").empty());
    if (r->status == 404) ++ok;
    if (r->status == 429 && !refused) refused = *r;
  }
  ASSERT_TRUE(refused.has_value()) << "no request was refused";
  EXPECT_LE(ok, 4);  // burst 3 (+ at most one refilled token)
  EXPECT_EQ(json::parse(refused->body)["code"], "rate_limited");
  EXPECT_EQ(refused->get_header_value("RateLimit-Remaining"), "0");
  const int retry = std::stoi(refused->get_header_value("Retry-After"));
  EXPECT_GE(retry, 1);
  // The other tenant is not slowed or refused at all.
  for (int i = 0; i < 20; ++i) EXPECT_EQ(server_.Get(KvPath("k"), quiet_)->status, 404);
  // Waiting Retry-After is enough.
  std::this_thread::sleep_for(std::chrono::seconds(retry));
  EXPECT_EQ(server_.Get(KvPath("k"), noisy_)->status, 404);
}

TEST_F(QuotaApiTest, BatchCostsOneRequestPerOp) {
  SetQuota("noisy", {{"requests_per_sec", 1}, {"burst_requests", 10}}, server_.operator_token());
  for (int i = 0; i < 6; ++i) ASSERT_EQ(server_.Get(KvPath("k"), noisy_)->status, 404);  // ~4 left
  auto batch = [&](int n) {
    json ops = json::array();
    for (int i = 0; i < n; ++i) ops.push_back({{"op", "get"}, {"key", "k" + std::to_string(i)}});
    return server_.Post("/v1/batch", json{{"ops", ops}}.dump(), noisy_);
  };
  auto refused = batch(6);
  EXPECT_EQ(refused->status, 429) << refused->body;
  EXPECT_FALSE(refused->get_header_value("Retry-After").empty());
  EXPECT_EQ(batch(3)->status, 200);  // the refused batch spent nothing
}

// A batch is judged by its op count before it runs: more ops than the burst
// can never fit (413, no Retry-After); ops that fit the burst but not the
// tokens left wait (429 with Retry-After).
TEST_F(QuotaApiTest, BatchIsCheckedAgainstTheBurstAndTheTokensLeft) {
  SetQuota("noisy", {{"requests_per_sec", 5}, {"burst_requests", 5}}, server_.operator_token());
  auto batch = [&](int n) {
    json ops = json::array();
    for (int i = 0; i < n; ++i) ops.push_back({{"op", "get"}, {"key", "k" + std::to_string(i)}});
    return server_.Post("/v1/batch", json{{"ops", ops}}.dump(), noisy_);
  };
  auto too_big = batch(10);
  ASSERT_TRUE(too_big);
  ASSERT_EQ(too_big->status, 413) << too_big->body.substr(0, 300);
  EXPECT_EQ(json::parse(too_big->body)["code"], "batch_exceeds_burst");
  EXPECT_NE(json::parse(too_big->body)["detail"].get<std::string>().find("burst_requests (5)"), std::string::npos)
      << too_big->body;
  EXPECT_FALSE(too_big->has_header("Retry-After"));
  // Spend the tokens (a refill of 5/s gives back less than one meanwhile).
  int spent = 0;
  while (spent < 20 && server_.Get(KvPath("k"), noisy_)->status == 404) ++spent;
  auto wait = batch(4);
  ASSERT_TRUE(wait);
  ASSERT_EQ(wait->status, 429) << wait->body.substr(0, 300);
  EXPECT_EQ(json::parse(wait->body)["code"], "rate_limited");
  EXPECT_FALSE(wait->get_header_value("Retry-After").empty());
}

TEST_F(QuotaApiTest, StorageQuotaProblemSaysWhy) {
  SetQuota("noisy", {{"storage_bytes", 10}}, server_.operator_token());
  auto r = server_.Put(KvPath("k"), std::string(20, 'x'), noisy_);
  EXPECT_EQ(r->status, 507);
  EXPECT_NE(json::parse(r->body)["detail"].get<std::string>().find("storage_bytes"), std::string::npos);
}

TEST_F(QuotaApiTest, ValueLimitIsPerTenant) {
  SetQuota("noisy", {{"max_value_bytes", 10}}, server_.operator_token());
  auto big = server_.Put(KvPath("v"), std::string(11, 'x'), noisy_);
  EXPECT_EQ(big->status, 413);
  EXPECT_EQ(json::parse(big->body)["code"], "value_too_large");
  EXPECT_EQ(server_.Put(KvPath("v"), std::string(10, 'x'), noisy_)->status, 201);
  EXPECT_EQ(server_.Put(KvPath("v"), std::string(11, 'x'), quiet_)->status, 201);
}

TEST_F(QuotaApiTest, StorageQuotaRefusesGrowthButAllowsDeletes) {
  SetQuota("noisy", {{"storage_bytes", 100}, {"storage_soft_pct", 50}}, server_.operator_token());
  ASSERT_EQ(server_.Put(KvPath("a"), std::string(39, 'x'), noisy_)->status, 201);  // 40 bytes
  auto warned = server_.Put(KvPath("b"), std::string(19, 'x'), noisy_);           // 60 >= 50
  ASSERT_EQ(warned->status, 201);
  EXPECT_EQ(warned->get_header_value("Quota-Warning"), "storage_bytes 60/100");
  auto full = server_.Put(KvPath("c"), std::string(50, 'x'), noisy_);
  EXPECT_EQ(full->status, 507);
  EXPECT_EQ(json::parse(full->body)["code"], "storage_quota");
  EXPECT_EQ(server_.Get(KvPath("c"), noisy_)->status, 404);
  EXPECT_EQ(server_.Delete(KvPath("a"), noisy_)->status, 204);
  EXPECT_EQ(server_.Put(KvPath("c"), std::string(30, 'x'), noisy_)->status, 201);
  auto usage = json::parse(server_.Get("/v1/usage", noisy_)->body);
  EXPECT_EQ(usage["quotas"]["storage_bytes"]["used"], 20 + 31);
  EXPECT_EQ(usage["quotas"]["storage_bytes"]["limit"], 100);
  EXPECT_EQ(usage["quotas"]["storage_bytes"]["remaining"], 100 - 51);
  EXPECT_TRUE(usage["quotas"]["storage_bytes"].contains("burn_rate_per_hour"));
  EXPECT_TRUE(usage["quotas"]["storage_bytes"].contains("projected_exhaustion"));
  // Another tenant is not bound by it.
  EXPECT_EQ(server_.Put(KvPath("c"), std::string(500, 'x'), quiet_)->status, 201);
}

TEST_F(QuotaApiTest, ManifestsAreVersionedWithHistoryAndRevert) {
  auto v1 = json::parse(server_.Get("/admin/v1/tenants/noisy/quota", noisy_)->body);
  EXPECT_EQ(v1["version"], 1);
  EXPECT_EQ(v1["updated_by"], "operator");
  EXPECT_EQ(v1["quota"]["requests_per_sec"], 500);  // the standard plan
  auto v2 = SetQuota("noisy", {{"requests_per_sec", 100}}, noisy_);
  EXPECT_EQ(v2["version"], 2);
  EXPECT_EQ(v2["changes"]["requests_per_sec"], json::array({500, 100}));
  EXPECT_NE(v2["updated_by"], "operator");  // the tenant admin's key id
  auto hist = json::parse(server_.Get("/admin/v1/tenants/noisy/quota/history", noisy_)->body);
  ASSERT_EQ(hist["versions"].size(), 2u);
  auto r = server_.Post("/admin/v1/tenants/noisy/quota/revert", R"({"version":1})", server_.operator_token());
  ASSERT_EQ(r->status, 200) << r->body;
  auto v3 = json::parse(r->body);
  EXPECT_EQ(v3["version"], 3);
  EXPECT_EQ(v3["quota"], v1["quota"]);
  // Takes effect at once: the refill rate is back to the plan's.
  EXPECT_EQ(json::parse(server_.Get("/v1/usage", noisy_)->body)["quotas"]["requests_per_sec"]["rate"], 500);
}

TEST_F(QuotaApiTest, RevertToAVersionBelowOneIsInvalid) {
  for (const char* body : {R"({"version":0})", R"({"version":-1})"}) {
    SCOPED_TRACE(body);
    auto r = server_.Post("/admin/v1/tenants/noisy/quota/revert", body, server_.operator_token());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << r->body;
    EXPECT_EQ(json::parse(r->body)["code"], "invalid_version");
  }
  auto missing = server_.Post("/admin/v1/tenants/noisy/quota/revert", R"({"version":9})", server_.operator_token());
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(json::parse(missing->body)["code"], "version_not_found");
}

TEST_F(QuotaApiTest, HistoryIsPagedOldestFirst) {
  for (int v = 2; v <= 5; ++v) SetQuota("noisy", {{"requests_per_sec", 500 - 50 * v}}, noisy_);  // versions 1..5
  std::vector<int64_t> walked;
  std::string path = "/admin/v1/tenants/noisy/quota/history?limit=2";
  for (int pages = 0; pages < 10; ++pages) {
    auto r = server_.Get(path, noisy_);
    ASSERT_EQ(r->status, 200) << r->body;
    json page = json::parse(r->body);
    ASSERT_LE(page["versions"].size(), 2u);
    for (const auto& v : page["versions"]) {
      walked.push_back(v["version"]);
      EXPECT_TRUE(v.contains("changes"));
    }
    if (page["next"].is_null()) break;
    EXPECT_EQ(page["next"], page["versions"].back()["version"]);
    path = "/admin/v1/tenants/noisy/quota/history?limit=2&start_after=" + page["next"].dump();
  }
  EXPECT_EQ(walked, (std::vector<int64_t>{1, 2, 3, 4, 5}));

  // The default page is 100 versions.
  for (int w = 6; w <= 106; ++w) SetQuota("noisy", {{"weight", w % 50 + 1}}, server_.operator_token());
  auto first = json::parse(server_.Get("/admin/v1/tenants/noisy/quota/history", noisy_)->body);
  ASSERT_EQ(first["versions"].size(), 100u);
  EXPECT_EQ(first["next"], 100);
  auto rest = json::parse(server_.Get("/admin/v1/tenants/noisy/quota/history?start_after=100", noisy_)->body);
  ASSERT_EQ(rest["versions"].size(), 6u);
  EXPECT_EQ(rest["versions"][0]["version"], 101);
  EXPECT_TRUE(rest["next"].is_null());

  for (const char* bad : {"?limit=1001", "?limit=0", "?start_after=x", "?start_after=-1", "?color=red"}) {
    SCOPED_TRACE(bad);
    auto r = server_.Get(std::string("/admin/v1/tenants/noisy/quota/history") + bad, noisy_);
    EXPECT_EQ(r->status, 400) << r->body;
  }
}

TEST_F(QuotaApiTest, TenantAdminStaysInsidePlanAndOwnTenant) {
  auto above = SetQuota("noisy", {{"requests_per_sec", 501}}, noisy_, 403);
  EXPECT_EQ(above["code"], "outside_plan_range");
  SetQuota("noisy", {{"requests_per_sec", 50000}}, server_.operator_token());  // operator may
  SetQuota("quiet", {{"requests_per_sec", 1}}, noisy_, 403);                    // not its tenant
  SetQuota("noisy", {{"requests_per_sec", 1}}, quiet_, 403);                    // write key
  EXPECT_EQ(server_.Get("/admin/v1/tenants/quiet/quota", noisy_)->status, 403);
  EXPECT_EQ(server_.Post("/admin/v1/tenants/noisy/quota/revert", R"({"version":1})", noisy_)->status, 403);
  EXPECT_EQ(server_.Get("/admin/v1/plans", noisy_)->status, 403);
}

TEST_F(QuotaApiTest, BadQuotaBodiesAre400AndChangeNothing) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({"requests_per_sec":"fast"})", "invalid_quota"},
      {R"({"requests_per_sec":1.5})", "invalid_quota"},
      {R"({"requests_per_sec":0})", "invalid_quota"},
      {R"({"colour":1})", "unknown_field"},
      {R"([1])", "malformed_json"},
  };
  for (const auto& [body, code] : bad) {
    SCOPED_TRACE(body);
    auto cli = server_.Client();
    auto r = cli->Put("/admin/v1/tenants/noisy/quota", {{"Authorization", "Bearer " + server_.operator_token()}},
                      body, "application/json");
    EXPECT_EQ(r->status, 400);
    EXPECT_EQ(json::parse(r->body)["code"], code);
  }
  EXPECT_EQ(json::parse(server_.Get("/admin/v1/tenants/noisy/quota", noisy_)->body)["version"], 1);
}

TEST_F(QuotaApiTest, PlansCanBeListedShownAndChanged) {
  auto plans = json::parse(server_.Get("/admin/v1/plans", server_.operator_token())->body)["plans"];
  std::vector<std::string> names;
  for (auto& p : plans) names.push_back(p["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"free", "premium", "standard"}));
  auto cli = server_.Client();
  auto r = cli->Put("/admin/v1/plans/gold", {{"Authorization", "Bearer " + server_.operator_token()}},
                    R"({"defaults":{"requests_per_sec":700},"max":{"requests_per_sec":900}})", "application/json");
  ASSERT_EQ(r->status, 201) << r->body;
  auto t = server_.Post("/admin/v1/tenants", R"({"id":"shiny","plan":"gold"})", server_.operator_token());
  ASSERT_EQ(t->status, 201) << t->body;
  auto q = json::parse(server_.Get("/admin/v1/tenants/shiny/quota", server_.operator_token())->body);
  EXPECT_EQ(q["quota"]["requests_per_sec"], 700);
  auto bad = cli->Put("/admin/v1/plans/gold", {{"Authorization", "Bearer " + server_.operator_token()}},
                      R"({"min":{"requests_per_sec":800}})", "application/json");
  EXPECT_EQ(bad->status, 400) << bad->body;  // min above default
}

}  // namespace
}  // namespace tenantkv::testing

// The usage history routes over HTTP: the answer's shape for both windows,
// calls, bytes and throttles counted, who may read whose history, and the
// history kept across a restart and removed with its tenant.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>

#include "tests/testing/test_server.h"

namespace tenantkv::testing {
namespace {

using nlohmann::json;

int64_t Total(const json& series) {
  int64_t n = 0;
  for (const auto& v : series) n += v.get<int64_t>();
  return n;
}

class UsageHistoryApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Start();
    server_.CreateTenant("alpha");
    server_.CreateTenant("beta");
    alpha_admin_ = server_.CreateKey("alpha", "admin");
    alpha_read_ = server_.CreateKey("alpha", "read");
    beta_write_ = server_.CreateKey("beta", "write");
  }

  json History(const std::string& path, const std::string& token, int expect = 200) {
    auto r = server_.Get(path, token);
    EXPECT_TRUE(r);
    if (!r) return {};
    EXPECT_EQ(r->status, expect) << path << ": " << r->body;
    return json::parse(r->body, nullptr, false);
  }

  void PutValues(const std::string& token, int n, const std::string& value) {
    for (int i = 0; i < n; ++i) {
      auto r = server_.Put(KvPath("k" + std::to_string(i)), value, token);
      ASSERT_TRUE(r);
      ASSERT_EQ(r->status, 201) << r->body;  // each key is new
    }
  }

  TestServer server_;
  std::string alpha_admin_, alpha_read_, beta_write_;
};

TEST_F(UsageHistoryApiTest, BothWindowsHaveTheirShape) {
  for (const auto& [window, points, step] : {std::tuple{"1h", 60, 60}, std::tuple{"24h", 144, 600}}) {
    auto r = server_.Get(std::string("/v1/usage/history?window=") + window, alpha_read_);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->get_header_value("Cache-Control"), "no-store");
    EXPECT_EQ(r->get_header_value_count("Cache-Control"), 1u);
    const json h = json::parse(r->body);
    EXPECT_EQ(h["window"], window);
    EXPECT_EQ(h["step_seconds"], step);
    for (const char* s : {"requests", "read_bytes", "write_bytes", "storage_bytes"}) {
      ASSERT_TRUE(h["series"][s].is_array()) << s;
      EXPECT_EQ(h["series"][s].size(), static_cast<size_t>(points)) << s;
    }
    EXPECT_TRUE(h["series"]["throttled"].is_object());
    ASSERT_TRUE(h["start"].is_string());
    ASSERT_TRUE(h["end"].is_string());
    EXPECT_LT(h["start"].get<std::string>(), h["end"].get<std::string>());
  }
  // The default window is the hour.
  EXPECT_EQ(History("/v1/usage/history", alpha_read_)["window"], "1h");
  auto admin = server_.Get("/admin/v1/tenants/alpha/usage/history?window=24h", server_.operator_token());
  ASSERT_TRUE(admin);
  ASSERT_EQ(admin->status, 200);
  EXPECT_EQ(admin->get_header_value("Cache-Control"), "no-store");
  EXPECT_EQ(admin->get_header_value_count("Cache-Control"), 1u);
  EXPECT_EQ(json::parse(admin->body)["series"]["requests"].size(), 144u);
}

TEST_F(UsageHistoryApiTest, CallsAndBytesAreCounted) {
  const std::string value(1000, 'v');
  PutValues(alpha_admin_, 3, value);
  for (int i = 0; i < 2; ++i) {
    auto r = server_.Get(KvPath("k0"), alpha_read_);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200);
  }
  for (const char* window : {"1h", "24h"}) {
    const json h = History(std::string("/v1/usage/history?window=") + window, alpha_read_);
    const json& s = h["series"];
    // The three PUTs, two GETs, and the 1h read before this one for 24h.
    EXPECT_EQ(Total(s["requests"]), std::string(window) == "1h" ? 5 : 6) << window;
    EXPECT_GE(Total(s["write_bytes"]), 3000) << window;
    EXPECT_GE(Total(s["read_bytes"]), 2000) << window;
    EXPECT_GE(s["storage_bytes"].back().get<int64_t>(), 3000) << window;
    // The tenant was made a moment ago: before that it stored nothing.
    EXPECT_EQ(s["storage_bytes"].front(), 0) << window;
    EXPECT_TRUE(s["throttled"].empty()) << s["throttled"].dump();
  }
  // The other tenant saw none of it.
  const json beta = History("/v1/usage/history", beta_write_);
  EXPECT_EQ(Total(beta["series"]["requests"]), 0);
  EXPECT_EQ(Total(beta["series"]["write_bytes"]), 0);
  EXPECT_EQ(beta["series"]["storage_bytes"].back(), 0);
}

TEST_F(UsageHistoryApiTest, ThrottledCallsAreCountedByReason) {
  auto cli = server_.Client();
  auto q = cli->Put("/admin/v1/tenants/beta/quota", {{"Authorization", "Bearer " + server_.operator_token()}},
                    R"({"requests_per_sec":1,"burst_requests":2})", "application/json");
  ASSERT_TRUE(q);
  ASSERT_EQ(q->status, 200) << q->body;
  int refused = 0;
  for (int i = 0; i < 8; ++i) {
    auto r = server_.Get(KvPath("k"), beta_write_);
    ASSERT_TRUE(r);
    if (r->status == 429) ++refused;
  }
  ASSERT_GT(refused, 0);
  const json h = History("/admin/v1/tenants/beta/usage/history", server_.operator_token());
  const json& throttled = h["series"]["throttled"];
  ASSERT_TRUE(throttled.contains("rate_limited")) << throttled.dump();
  EXPECT_EQ(Total(throttled["rate_limited"]), refused);
  EXPECT_EQ(throttled["rate_limited"].size(), 60u);
  EXPECT_EQ(Total(h["series"]["requests"]), 8);  // a refused call is a call
}

TEST_F(UsageHistoryApiTest, OnlyItsOwnTenantOrTheOperatorReadsIt) {
  PutValues(beta_write_, 2, "x");
  // Operator: any tenant.
  EXPECT_EQ(Total(History("/admin/v1/tenants/beta/usage/history", server_.operator_token())["series"]["requests"]), 2);
  // A tenant admin: its own only.
  History("/admin/v1/tenants/alpha/usage/history?window=24h", alpha_admin_);
  const json refused = History("/admin/v1/tenants/beta/usage/history", alpha_admin_, 403);
  EXPECT_EQ(refused["code"], "forbidden");
  // A data key may not use the admin route, even for its own tenant.
  History("/admin/v1/tenants/alpha/usage/history", alpha_read_, 403);
  // The data route answers for the key's tenant, whatever is asked.
  EXPECT_EQ(History("/v1/usage/history", alpha_read_)["series"]["write_bytes"].size(), 60u);
  EXPECT_EQ(Total(History("/v1/usage/history", alpha_read_)["series"]["write_bytes"]), 0);
  // The data route is not the operator's.
  History("/v1/usage/history", server_.operator_token(), 403);
  // An unknown tenant.
  History("/admin/v1/tenants/nobody/usage/history", server_.operator_token(), 404);
}

TEST_F(UsageHistoryApiTest, BadQueriesAreRefused) {
  for (const char* q : {"window=2h", "window=", "window=1H", "windows=1h", "window=1h&extra=1"}) {
    auto r = server_.Get(std::string("/v1/usage/history?") + q, alpha_read_);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << q;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/problem+json") << q;
    EXPECT_EQ(json::parse(r->body)["code"], "invalid_parameter") << q;
    EXPECT_EQ(r->get_header_value("Cache-Control"), "no-store") << q;
  }
  const json admin = History("/admin/v1/tenants/alpha/usage/history?window=2h", server_.operator_token(), 400);
  EXPECT_EQ(admin["code"], "invalid_parameter");
}

TEST_F(UsageHistoryApiTest, ARestartKeepsTheHistory) {
  PutValues(alpha_admin_, 4, std::string(500, 'a'));
  ASSERT_EQ(server_.Terminate(), 0);  // a clean stop writes the histories
  server_.Start();
  const json h = History("/admin/v1/tenants/alpha/usage/history", server_.operator_token());
  EXPECT_EQ(Total(h["series"]["requests"]), 4);
  EXPECT_GE(Total(h["series"]["write_bytes"]), 2000);
  const json day = History("/admin/v1/tenants/alpha/usage/history?window=24h", server_.operator_token());
  EXPECT_EQ(Total(day["series"]["requests"]), 4);
}

TEST_F(UsageHistoryApiTest, ADeletedTenantsHistoryGoesWithIt) {
  PutValues(beta_write_, 3, "y");
  ASSERT_EQ(server_.Terminate(), 0);  // beta's history is on disk now
  server_.Start();
  auto del = server_.Delete("/admin/v1/tenants/beta", server_.operator_token());
  ASSERT_TRUE(del);
  ASSERT_LT(del->status, 300) << del->body;
  server_.CreateTenant("beta");  // the same id again: it starts from nothing
  const json fresh = History("/admin/v1/tenants/beta/usage/history?window=24h", server_.operator_token());
  EXPECT_EQ(Total(fresh["series"]["requests"]), 0);
  ASSERT_EQ(server_.Terminate(), 0);
  server_.Start();
  const json again = History("/admin/v1/tenants/beta/usage/history?window=24h", server_.operator_token());
  EXPECT_EQ(Total(again["series"]["requests"]), 0);
}

}  // namespace
}  // namespace tenantkv::testing

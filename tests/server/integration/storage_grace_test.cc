// Storage grace against the real server: past storage_bytes a tenant with
// grace goes on writing up to the extra, warned, for the period; then 507.
// The period's start and end are audited and outlive a restart.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>
#include <thread>

#include "tests/testing/test_server.h"

namespace tenantkv::testing {
namespace {

using nlohmann::json;

class StorageGraceApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Start();
    server_.CreateTenant("acme");
    server_.CreateTenant("other");
    write_ = server_.CreateKey("acme", "write");
    other_ = server_.CreateKey("other", "write");
  }

  void SetQuota(const std::string& tenant, const json& fields) {
    auto cli = server_.Client();
    auto r = cli->Put("/admin/v1/tenants/" + tenant + "/quota", {{"Authorization", "Bearer " + server_.operator_token()}},
                      fields.dump(), "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
  }
  // A value of `n` bytes under a 1-byte key: n + 1 logical bytes.
  httplib::Result Put(const std::string& key, size_t n, const std::string& token) {
    return server_.Put(KvPath(key), std::string(n, 'v'), token);
  }
  json Grace() {
    return json::parse(server_.Get("/v1/usage", write_)->body)["quotas"]["storage_bytes"]["grace"];
  }
  int Audited(const std::string& action) {
    auto entries = json::parse(server_.Get("/admin/v1/audit?tenant=acme&limit=1000", server_.operator_token())->body)["entries"];
    int n = 0;
    for (const auto& e : entries) n += e["action"] == action;
    return n;
  }

  TestServer server_;
  std::string write_, other_;
};

TEST_F(StorageGraceApiTest, WarnedWithinTheExtraThenRefused) {
  SetQuota("acme", {{"storage_bytes", 10000}, {"storage_grace_pct", 50}, {"storage_grace_seconds", 3600}});
  SetQuota("other", {{"storage_bytes", 10000}});
  ASSERT_EQ(Put("a", 8999, write_)->status, 201);  // 9000
  EXPECT_TRUE(Grace().is_null());
  auto crossing = Put("b", 1999, write_);  // 11000: past 10000, within 15000
  ASSERT_EQ(crossing->status, 201) << crossing->body;
  EXPECT_EQ(crossing->get_header_value("Quota-Warning").rfind("storage grace: storage_bytes 11000/10000", 0), 0u)
      << crossing->get_header_value("Quota-Warning");
  const json g = Grace();
  ASSERT_TRUE(g.is_object());
  EXPECT_EQ(g["ceiling"], 15000);
  EXPECT_EQ(g["expired"], false);
  EXPECT_EQ(Audited("storage.grace.start"), 1);
  ASSERT_EQ(Put("c", 3999, write_)->status, 201);  // 15000: the ceiling
  auto past = Put("d", 0, write_);
  EXPECT_EQ(past->status, 507);
  EXPECT_EQ(json::parse(past->body)["code"], "storage_quota");
  // Reads, overwrites that do not grow, and deletes go on.
  EXPECT_EQ(server_.Get(KvPath("a"), write_)->status, 200);
  EXPECT_EQ(Put("c", 3999, write_)->status, 204);

  // Another tenant on the same node without grace stops at its limit.
  ASSERT_EQ(Put("a", 9999, other_)->status, 201);
  EXPECT_EQ(Put("b", 0, other_)->status, 507);

  // Back within storage_bytes: the period is over, audited.
  ASSERT_EQ(server_.Delete(KvPath("c"), write_)->status, 204);
  ASSERT_EQ(server_.Delete(KvPath("b"), write_)->status, 204);
  EXPECT_TRUE(Grace().is_null());
  EXPECT_EQ(Audited("storage.grace.end"), 1);
}

TEST_F(StorageGraceApiTest, ThePeriodRunsOutOnItsOwnAndARestartKeepsIt) {
  SetQuota("acme", {{"storage_bytes", 10000}, {"storage_grace_pct", 50}, {"storage_grace_seconds", 2}});
  ASSERT_EQ(Put("a", 10999, write_)->status, 201);
  const std::string started = Grace()["started_at"];
  ASSERT_EQ(server_.Terminate(), 0);
  server_.Start();
  EXPECT_EQ(Grace()["started_at"], started);  // not a fresh period
  // The server's clock ends it without a write (within a second or so).
  bool ended = false;
  for (int i = 0; i < 100 && !ended; ++i) {
    ended = Audited("storage.grace.end") == 1;
    if (!ended) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(ended);
  EXPECT_EQ(Grace()["expired"], true);
  EXPECT_EQ(Put("b", 0, write_)->status, 507);
  ASSERT_EQ(server_.Terminate(), 0);
  server_.Start();
  EXPECT_EQ(Put("b", 0, write_)->status, 507);  // a restart gives no new period
  EXPECT_EQ(Audited("storage.grace.start"), 1);
}

TEST_F(StorageGraceApiTest, ATenantAdminCannotGiveItselfGrace) {
  const std::string admin = server_.CreateKey("acme", "admin");
  auto cli = server_.Client();
  auto r = cli->Put("/admin/v1/tenants/acme/quota", {{"Authorization", "Bearer " + admin}},
                    R"({"storage_grace_pct":50,"storage_grace_seconds":60})", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403) << r->body;
  EXPECT_EQ(json::parse(r->body)["code"], "outside_plan_range");
  for (const char* bad : {R"({"storage_grace_pct":101})", R"({"storage_grace_seconds":2592001})",
                          R"({"storage_grace_pct":-1})"}) {
    auto refused = cli->Put("/admin/v1/tenants/acme/quota", {{"Authorization", "Bearer " + server_.operator_token()}},
                            bad, "application/json");
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 400) << bad;
    EXPECT_EQ(json::parse(refused->body)["code"], "invalid_quota");
  }
}

}  // namespace
}  // namespace tenantkv::testing

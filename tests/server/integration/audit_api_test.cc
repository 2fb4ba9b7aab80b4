// The audit log over HTTP: admin actions appear in order with their actor,
// the routes are operator-only, bad queries are 400, no secret is logged,
// paging works and the chain verifies across a restart.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/testing/test_server.h"

namespace tenantkv::testing {
namespace {

using nlohmann::json;

class AuditApiTest : public ::testing::Test {
 protected:
  void SetUp() override { server_.Start(); }

  json GetJson(const std::string& path, int expect = 200) {
    auto r = server_.Get(path, server_.operator_token());
    EXPECT_TRUE(r);
    if (!r) return {};
    EXPECT_EQ(r->status, expect) << r->body;
    return json::parse(r->body, nullptr, false);
  }

  // Creates a key and returns {key_id, token}.
  std::pair<std::string, std::string> NewKey(const std::string& tenant, const std::string& role,
                                             const std::string& as_token) {
    auto r = server_.Post("/admin/v1/tenants/" + tenant + "/apikeys", json{{"role", role}}.dump(), as_token);
    EXPECT_TRUE(r);
    if (!r) return {};
    EXPECT_EQ(r->status, 201) << r->body;
    json j = json::parse(r->body);
    return {j["key_id"].get<std::string>(), j["token"].get<std::string>()};
  }

  TestServer server_;
};

TEST_F(AuditApiTest, ActionsAppearInOrderWithTheirActorAndNoSecrets) {
  const std::string op = server_.operator_token();
  server_.CreateTenant("acme");
  auto [admin_id, admin_token] = NewKey("acme", "admin", op);
  auto [reader_id, reader_token] = NewKey("acme", "read", admin_token);
  auto r = server_.Put("/admin/v1/tenants/acme/quota", json{{"requests_per_sec", 50}}.dump(), admin_token);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  r = server_.Delete("/admin/v1/tenants/acme/apikeys/" + reader_id, admin_token);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 204);
  r = server_.Post("/admin/v1/tenants/acme/suspend", "", op);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  // A failed action leaves no entry.
  r = server_.Post("/admin/v1/tenants/nobody/suspend", "", op);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 404);
  r = server_.Delete("/admin/v1/tenants/acme", op);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 204);

  auto raw = server_.Get("/admin/v1/audit", op);
  ASSERT_TRUE(raw);
  ASSERT_EQ(raw->status, 200) << raw->body;
  EXPECT_EQ(raw->body.find(admin_token), std::string::npos);
  EXPECT_EQ(raw->body.find(reader_token), std::string::npos);
  EXPECT_EQ(raw->body.find(op), std::string::npos);
  json page = json::parse(raw->body);
  EXPECT_TRUE(page["next"].is_null());
  const json& e = page["entries"];
  const std::vector<std::pair<std::string, std::string>> want = {
      {"tenant.create", "operator"}, {"apikey.create", "operator"}, {"apikey.create", admin_id},
      {"quota.set", admin_id},       {"apikey.revoke", admin_id},   {"tenant.suspend", "operator"},
      {"tenant.delete", "operator"}, {"key.destroy", "operator"}};
  ASSERT_EQ(e.size(), want.size()) << raw->body;
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(e[i]["seq"], i + 1);
    EXPECT_EQ(e[i]["action"], want[i].first) << i;
    EXPECT_EQ(e[i]["actor"], want[i].second) << i;
    EXPECT_EQ(e[i]["tenant"], "acme") << i;
    if (i > 0) {
      EXPECT_EQ(e[i]["prev_hash"], e[i - 1]["hash"]);
    }
  }
  EXPECT_EQ(e[2]["details"], (json{{"key_id", reader_id}, {"role", "read"}, {"name", nullptr}, {"expires_at", nullptr}}));
  EXPECT_EQ(e[3]["details"]["changes"]["requests_per_sec"][1], 50);
  EXPECT_TRUE(e[7]["details"]["key_versions"].is_array());

  json v = GetJson("/admin/v1/audit/verify");
  EXPECT_EQ(v["ok"], true);
  EXPECT_EQ(v["entries"], want.size());
  EXPECT_EQ(v["head"], e.back()["hash"]);

  // The log is not tenant data: it survives the deletion and a restart.
  ASSERT_EQ(server_.Terminate(), 0);
  server_.Start();
  json after = GetJson("/admin/v1/audit/verify");
  EXPECT_EQ(after, v);
}

TEST_F(AuditApiTest, PagesFilterByTenantAndRejectBadQueries) {
  server_.CreateTenant("one");
  server_.CreateTenant("two");
  server_.CreateKey("one", "write");
  json first = GetJson("/admin/v1/audit?tenant=one&limit=1");
  ASSERT_EQ(first["entries"].size(), 1u);
  EXPECT_EQ(first["entries"][0]["action"], "tenant.create");
  ASSERT_EQ(first["next"], 1);
  json second = GetJson("/admin/v1/audit?tenant=one&limit=1&since=1");
  ASSERT_EQ(second["entries"].size(), 1u);
  EXPECT_EQ(second["entries"][0]["action"], "apikey.create");
  EXPECT_TRUE(second["next"].is_null());
  EXPECT_EQ(GetJson("/admin/v1/audit?since=2")["entries"].size(), 1u);

  for (const char* bad : {"?limit=0", "?limit=1001", "?limit=x", "?since=-1", "?since=", "?tenant=%2F..",
                          "?colour=red"}) {
    auto r = server_.Get(std::string("/admin/v1/audit") + bad, server_.operator_token());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << bad;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/problem+json") << bad;
  }
  auto r = server_.Get("/admin/v1/audit/verify?x=1", server_.operator_token());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
}

TEST_F(AuditApiTest, ATenantAdminSeesOnlyItsOwnTenantsEntries) {
  server_.CreateTenant("acme");
  server_.CreateTenant("globex");
  const std::string admin = server_.CreateKey("acme", "admin");
  const std::string writer = server_.CreateKey("acme", "write");
  server_.CreateKey("globex", "read");
  // Its own entries, with ?tenant= naming its tenant: nothing of globex's.
  auto own = server_.Get("/admin/v1/audit?tenant=acme", admin);
  ASSERT_TRUE(own);
  ASSERT_EQ(own->status, 200) << own->body;
  const json entries = json::parse(own->body)["entries"];
  ASSERT_FALSE(entries.empty());
  for (const auto& e : entries) EXPECT_EQ(e["tenant"], "acme") << e.dump();
  EXPECT_EQ(own->body.find("globex"), std::string::npos) << own->body;
  // Everything else: another tenant, all tenants, the chain check, a
  // non-admin key, no token.
  for (const char* path : {"/admin/v1/audit", "/admin/v1/audit?tenant=globex", "/admin/v1/audit/verify"}) {
    auto r = server_.Get(path, admin);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403) << path;
    EXPECT_EQ(r->body.find("\"entries\""), std::string::npos) << path << ": " << r->body;
    r = server_.Get(path, "");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << path;
  }
  // A second `tenant` cannot widen the view: a repeated parameter is a
  // malformed query, refused before the token is looked at.
  auto twice = server_.Get("/admin/v1/audit?tenant=acme&tenant=globex", admin);
  ASSERT_TRUE(twice);
  EXPECT_EQ(twice->status, 400);
  EXPECT_EQ(twice->body.find("globex\",\"action"), std::string::npos);
  auto r = server_.Get("/admin/v1/audit?tenant=acme", writer);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
}

}  // namespace
}  // namespace tenantkv::testing

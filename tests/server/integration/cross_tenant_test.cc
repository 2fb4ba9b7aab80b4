// Isolation through the HTTP surface: one tenant's token never sees or
// changes another tenant's data, and tenant tokens stay inside their lane.
// Run for each placement tier; pooled tenants share one column family
// (--pooled-column-families 1), with adjacent prefixes; dedicated ones each
// have a database of their own.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/testing/test_server.h"

namespace tenantkv::testing {
namespace {

using nlohmann::json;

class CrossTenantTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    server_.Start();
    server_.CreateTenant("alpha", GetParam());
    server_.CreateTenant("beta", GetParam());
    a_ = server_.CreateKey("alpha", "admin");
    b_ = server_.CreateKey("beta", "admin");
    // The same key names in both tenants, different values.
    for (const char* k : {"shared", "dir/x", "only-b"}) {
      if (std::string(k) != "only-b") {
        ASSERT_EQ(server_.Put(KvPath(k), std::string("A:") + k, a_)->status, 201);
      }
      ASSERT_EQ(server_.Put(KvPath(k), std::string("B:") + k, b_)->status, 201);
    }
  }

  std::string ValueOf(const std::string& key, const std::string& token) {
    auto r = server_.Get(KvPath(key), token);
    return r && r->status == 200 ? r->body : "<" + std::to_string(r ? r->status : 0) + ">";
  }

  TestServer server_{{"--pooled-column-families", "1", "--webhook-allow-http", "--webhook-allow-private-addresses"}};
  std::string a_, b_;
};

TEST_P(CrossTenantTest, GetSeesOnlyOwnValue) {
  EXPECT_EQ(ValueOf("shared", a_), "A:shared");
  EXPECT_EQ(ValueOf("shared", b_), "B:shared");
  EXPECT_EQ(ValueOf("only-b", a_), "<404>");
  auto head = server_.Client()->Head(KvPath("only-b"), {{"Authorization", "Bearer " + a_}});
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 404);
}

TEST_P(CrossTenantTest, PutAndDeleteChangeOnlyOwnValue) {
  ASSERT_EQ(server_.Put(KvPath("shared"), "A2", a_)->status, 204);
  EXPECT_EQ(ValueOf("shared", b_), "B:shared");
  ASSERT_EQ(server_.Delete(KvPath("shared"), a_)->status, 204);
  EXPECT_EQ(ValueOf("shared", b_), "B:shared");
  EXPECT_EQ(server_.Delete(KvPath("only-b"), a_)->status, 404);
  EXPECT_EQ(ValueOf("only-b", b_), "B:only-b");
}

TEST_P(CrossTenantTest, ConditionalWritesUseOwnEtags) {
  auto rb = server_.Get(KvPath("shared"), b_);
  const std::string b_etag = rb->get_header_value("ETag");
  // B's ETag means nothing in A: the write is refused, B unchanged.
  EXPECT_EQ(server_.Put(KvPath("shared"), "x", a_, {{"If-Match", b_etag}})->status, 412);
  EXPECT_EQ(server_.Delete(KvPath("shared"), a_, {{"If-Match", b_etag}})->status, 412);
  EXPECT_EQ(ValueOf("shared", a_), "A:shared");
  EXPECT_EQ(ValueOf("shared", b_), "B:shared");
}

TEST_P(CrossTenantTest, ListShowsOnlyOwnKeys) {
  auto r = server_.Get("/v1/kv?values=true", a_);
  ASSERT_EQ(r->status, 200);
  auto j = json::parse(r->body);
  std::vector<std::string> keys;
  for (auto& item : j["items"]) {
    keys.push_back(item["key"]);
    EXPECT_EQ(item["value_b64"].get<std::string>().substr(0, 2), "QT") << "value of A starts 'A:'";
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"dir/x", "shared"}));
}

TEST_P(CrossTenantTest, BatchTouchesOnlyOwnKeys) {
  json ops = {{"ops",
               {{{"op", "get"}, {"key", "only-b"}},
                {{"op", "delete"}, {"key", "only-b"}},
                {{"op", "put"}, {"key", "dir/x"}, {"value_b64", "QUFB"}}}}};
  auto r = server_.Post("/v1/batch", ops.dump(), a_);
  ASSERT_EQ(r->status, 200) << r->body;
  auto results = json::parse(r->body)["results"];
  EXPECT_EQ(results[0]["status"], 404);
  EXPECT_EQ(results[1]["status"], 404);
  EXPECT_EQ(ValueOf("only-b", b_), "B:only-b");
  EXPECT_EQ(ValueOf("dir/x", b_), "B:dir/x");
}

TEST_P(CrossTenantTest, UsageIsOwn) {
  auto ra = json::parse(server_.Get("/v1/usage", a_)->body);
  auto rb = json::parse(server_.Get("/v1/usage", b_)->body);
  EXPECT_EQ(ra["tenant"], "alpha");
  EXPECT_EQ(rb["tenant"], "beta");
  EXPECT_EQ(ra["usage"]["keys"], 2);
  EXPECT_EQ(rb["usage"]["keys"], 3);
}

TEST_P(CrossTenantTest, TenantTokensCannotUseOperatorRoutes) {
  struct Case { std::string method, path, body; };
  const std::vector<Case> cases = {
      {"POST", "/admin/v1/tenants", R"({"id":"gamma"})"},
      {"GET", "/admin/v1/tenants", ""},
      {"GET", "/admin/v1/tenants/alpha", ""},
      {"GET", "/admin/v1/tenants/beta", ""},
      {"DELETE", "/admin/v1/tenants/beta", ""},
      {"POST", "/admin/v1/tenants/beta/suspend", "{}"},
      {"POST", "/admin/v1/tenants/alpha/resume", "{}"},
      // Tier moves are the operator's, even for the key's own tenant.
      {"POST", "/admin/v1/tenants/alpha/tier", R"({"tier":"pooled"})"},
      {"POST", "/admin/v1/tenants/beta/tier", R"({"tier":"pooled"})"},
      {"POST", "/admin/v1/tenants/alpha/tier", R"({"tier":"column_family"})"},
      {"POST", "/admin/v1/tenants/beta/tier", R"({"tier":"dedicated"})"},
      {"POST", "/admin/v1/master-key/rotate", "{}"},
      {"GET", "/admin/v1/master-key", ""},
      {"POST", "/admin/v1/keys/rotate-due", ""},
      {"GET", "/admin/v1/keys/rotation", ""},
      {"GET", "/admin/v1/keys/schedule", ""},
      {"POST", "/admin/v1/operator-keys", R"({"name":"mallory"})"},
      {"GET", "/admin/v1/operator-keys", ""},
      {"DELETE", "/admin/v1/operator-keys/0123456789abcdef", ""},
      {"GET", "/admin/v1/quota-requests", ""},
      {"GET", "/admin/v1/quota-requests?tenant=alpha", ""},
      {"POST", "/admin/v1/quota-requests/qr_0000000000000001/approve", "{}"},
      {"POST", "/admin/v1/quota-requests/qr_0000000000000001/reject", "{}"},
      {"GET", "/admin/v1/tenants?prefix=alpha", ""},
      // Add-ons are the operator's to grant and cancel, even on the key's own tenant.
      {"POST", "/admin/v1/tenants/alpha/addons", R"({"fields":{"weight":9},"ends_at":"2099-01-01T00:00:00Z"})"},
      {"POST", "/admin/v1/tenants/beta/addons", R"({"fields":{"weight":9},"ends_at":"2099-01-01T00:00:00Z"})"},
      {"DELETE", "/admin/v1/tenants/alpha/addons/0123456789abcdef", ""},
      {"DELETE", "/admin/v1/tenants/beta/addons/0123456789abcdef", ""},
      // Global webhook endpoints are the operator's.
      {"POST", "/admin/v1/webhooks", R"({"url":"http://127.0.0.1:9/","events":["key.rotated"]})"},
      {"GET", "/admin/v1/webhooks", ""},
      {"GET", "/admin/v1/webhooks/wh_0123456789abcdef", ""},
      {"DELETE", "/admin/v1/webhooks/wh_0123456789abcdef", ""},
      {"GET", "/admin/v1/webhooks/wh_0123456789abcdef/deliveries", ""},
      // The cluster's nodes are the operator's to see.
      {"GET", "/admin/v1/cluster", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.method + " " + c.path);
    auto cli = server_.Client();
    httplib::Headers h = {{"Authorization", "Bearer " + a_}};
    httplib::Result r = c.method == "GET"    ? cli->Get(c.path, h)
                        : c.method == "POST" ? cli->Post(c.path, h, c.body, "application/json")
                                             : cli->Delete(c.path, h);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403);
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/problem+json");
  }
  EXPECT_EQ(ValueOf("shared", b_), "B:shared");  // beta was not deleted
  auto mk = server_.Get("/admin/v1/master-key", server_.operator_token());
  ASSERT_TRUE(mk);
  EXPECT_NE(mk->body.find("\"current\":1"), std::string::npos) << "no rotation happened: " << mk->body;
}

TEST_P(CrossTenantTest, TenantAdminKeyManagesOnlyItsOwnKeys) {
  // Own tenant: allowed.
  std::string a_read = server_.CreateKey("alpha", "read", a_);
  ASSERT_FALSE(a_read.empty());
  EXPECT_EQ(server_.Get("/admin/v1/tenants/alpha/apikeys", a_)->status, 200);
  // Another tenant's self routes: 403, whatever the key id.
  EXPECT_EQ(server_.Post("/admin/v1/tenants/beta/apikeys", R"({"role":"admin"})", a_)->status, 403);
  EXPECT_EQ(server_.Get("/admin/v1/tenants/beta/apikeys", a_)->status, 403);
  auto keys = json::parse(server_.Get("/admin/v1/tenants/beta/apikeys", b_)->body)["keys"];
  const std::string b_key_id = keys[0]["key_id"];
  EXPECT_EQ(server_.Delete("/admin/v1/tenants/beta/apikeys/" + b_key_id, a_)->status, 403);
  // Naming B's key under A's own tenant finds nothing.
  EXPECT_EQ(server_.Delete("/admin/v1/tenants/alpha/apikeys/" + b_key_id, a_)->status, 404);
  EXPECT_EQ(ValueOf("shared", b_), "B:shared");  // B's key still works
}

// A quota request is its tenant's: B's admin key neither lists A's nor
// decides it (the decisions are the operator's), and A's stays pending.
TEST_P(CrossTenantTest, QuotaRequestsStayInTheirTenant) {
  auto filed = server_.Post("/v1/quota/requests", R"({"fields":{"requests_per_sec":900},"reason":"alpha's launch"})", a_);
  ASSERT_EQ(filed->status, 201) << filed->body;
  const std::string rid = json::parse(filed->body)["id"];
  auto b_list = server_.Get("/v1/quota/requests", b_);
  ASSERT_EQ(b_list->status, 200) << b_list->body;
  EXPECT_TRUE(json::parse(b_list->body)["requests"].empty()) << b_list->body;
  EXPECT_EQ(server_.Get("/admin/v1/quota-requests?tenant=alpha", b_)->status, 403);
  EXPECT_EQ(server_.Post("/admin/v1/quota-requests/" + rid + "/approve", "{}", b_)->status, 403);
  EXPECT_EQ(server_.Post("/admin/v1/quota-requests/" + rid + "/reject", "{}", b_)->status, 403);
  EXPECT_EQ(server_.Post("/admin/v1/quota-requests/" + rid + "/approve", "{}", a_)->status, 403);
  auto a_list = json::parse(server_.Get("/v1/quota/requests", a_)->body)["requests"];
  ASSERT_EQ(a_list.size(), 1u);
  EXPECT_EQ(a_list[0]["state"], "pending");
  EXPECT_EQ(a_list[0]["tenant"], "alpha");
}

// Names and expiries do not open another tenant's keys either: A's admin
// key cannot make a named or expiring key of B, and neither tenant's list
// shows the other's names.
TEST_P(CrossTenantTest, WebhookEndpointsStayInTheirTenant) {
  auto made = server_.Post("/v1/webhooks", R"({"url":"http://127.0.0.1:9/b","events":["quota_request.rejected"]})", b_);
  ASSERT_TRUE(made && made->status == 201) << (made ? made->body : "no answer");
  const std::string wid = json::parse(made->body)["id"];
  // Alpha's admin neither sees, reads the deliveries of, nor deletes beta's endpoint.
  EXPECT_TRUE(json::parse(server_.Get("/v1/webhooks", a_)->body)["webhooks"].empty());
  for (const std::string& path : {"/v1/webhooks/" + wid, "/v1/webhooks/" + wid + "/deliveries"}) {
    SCOPED_TRACE(path);
    auto r = server_.Get(path, a_);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404);
    EXPECT_EQ(r->body.find("127.0.0.1:9/b"), std::string::npos);
  }
  EXPECT_EQ(server_.Delete("/v1/webhooks/" + wid, a_)->status, 404);
  EXPECT_EQ(server_.Get("/admin/v1/tenants/beta/webhooks/" + wid + "/deliveries", a_)->status, 403);
  EXPECT_EQ(server_.Get("/admin/v1/tenants/beta/webhooks/" + wid, a_)->status, 403);
  EXPECT_EQ(server_.Delete("/admin/v1/tenants/beta/webhooks/" + wid, a_)->status, 403);
  // Nor through its own tenant's admin path.
  EXPECT_EQ(server_.Delete("/admin/v1/tenants/alpha/webhooks/" + wid, a_)->status, 404);
  // Alpha's events do not go to beta's endpoint.
  auto filed = server_.Post("/v1/quota/requests", R"({"fields":{"requests_per_sec":900},"reason":"alpha"})", a_);
  ASSERT_TRUE(filed && filed->status == 201);
  const std::string rid = json::parse(filed->body)["id"];
  ASSERT_EQ(server_.Post("/admin/v1/quota-requests/" + rid + "/reject", "{}", server_.operator_token())->status, 200);
  auto mine = server_.Get("/v1/webhooks/" + wid + "/deliveries", b_);
  ASSERT_TRUE(mine && mine->status == 200);
  EXPECT_TRUE(json::parse(mine->body)["deliveries"].empty()) << mine->body;
  // Creating "for" another tenant is not a thing: the endpoint is the key's tenant's.
  auto as_a = server_.Post("/v1/webhooks", R"({"url":"http://127.0.0.1:9/a","events":["key.rotated"]})", a_);
  ASSERT_TRUE(as_a && as_a->status == 201);
  EXPECT_EQ(json::parse(as_a->body)["tenant"], "alpha");
  EXPECT_EQ(json::parse(server_.Get("/v1/webhooks", b_)->body)["webhooks"].size(), 1u);
}

TEST_P(CrossTenantTest, NamedAndExpiringKeysStayInTheirTenant) {
  const std::string named = R"({"role":"admin","name":"alpha's bot","expires_at":"2099-01-01T00:00:00Z"})";
  auto refused = server_.Post("/admin/v1/tenants/beta/apikeys", named, a_);
  EXPECT_EQ(refused->status, 403);
  EXPECT_EQ(json::parse(refused->body)["code"], "forbidden");
  auto beta_keys = json::parse(server_.Get("/admin/v1/tenants/beta/apikeys", b_)->body)["keys"];
  ASSERT_EQ(beta_keys.size(), 1u);  // its fixture key only
  ASSERT_EQ(server_.Post("/admin/v1/tenants/alpha/apikeys", named, a_)->status, 201);
  auto b_named = server_.Post("/admin/v1/tenants/beta/apikeys", R"({"role":"read","name":"beta's reader"})", b_);
  ASSERT_EQ(b_named->status, 201);
  const std::string b_named_id = json::parse(b_named->body)["key_id"];
  const json alpha_keys = json::parse(server_.Get("/admin/v1/tenants/alpha/apikeys", a_)->body)["keys"];
  for (const auto& k : alpha_keys) {
    EXPECT_NE(k["name"], "beta's reader") << k.dump();
    EXPECT_EQ(k["tenant"], "alpha");
  }
  beta_keys = json::parse(server_.Get("/admin/v1/tenants/beta/apikeys", b_)->body)["keys"];
  for (const auto& k : beta_keys) {
    EXPECT_NE(k["name"], "alpha's bot") << k.dump();
    EXPECT_EQ(k["tenant"], "beta");
  }
  EXPECT_EQ(server_.Delete("/admin/v1/tenants/beta/apikeys/" + b_named_id, a_)->status, 403);
  EXPECT_EQ(server_.Delete("/admin/v1/tenants/alpha/apikeys/" + b_named_id, a_)->status, 404);
  // A's audit view does not show B's key names.
  auto audit = server_.Get("/admin/v1/audit?tenant=alpha", a_);
  ASSERT_EQ(audit->status, 200);
  EXPECT_EQ(audit->body.find("beta's reader"), std::string::npos);
  EXPECT_NE(audit->body.find("alpha's bot"), std::string::npos);
}

TEST_P(CrossTenantTest, TenantAdminReadOnlyViewsShowOnlyItsOwnTenant) {
  const std::string plan = json::parse(server_.Get("/admin/v1/tenants/alpha", server_.operator_token())->body)["plan"];
  const std::string other_plan = plan == "free" ? "premium" : "free";
  const std::string a_write = server_.CreateKey("alpha", "write");
  struct Case {
    std::string path;
    int as_admin;  // with alpha's admin key
  };
  const std::vector<Case> cases = {
      {"/admin/v1/tenants/alpha/keys", 200},   {"/admin/v1/tenants/beta/keys", 403},
      {"/admin/v1/audit?tenant=alpha", 200},   {"/admin/v1/audit?tenant=beta", 403},
      {"/admin/v1/audit", 403},                {"/admin/v1/plans/" + plan, 200},
      {"/admin/v1/plans/" + other_plan, 403},  {"/admin/v1/plans", 403},
      {"/admin/v1/tenants/alpha/addons", 200}, {"/admin/v1/tenants/beta/addons", 403},
      {"/admin/v1/tenants/alpha/webhooks", 200}, {"/admin/v1/tenants/beta/webhooks", 403},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.path);
    auto r = server_.Get(c.path, a_);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, c.as_admin) << r->body;
    EXPECT_EQ(r->body.find("beta"), std::string::npos) << r->body;
    if (r->status == 403) {
      EXPECT_EQ(r->get_header_value("Content-Type"), "application/problem+json");
    }
    // A key of the tenant below admin sees none of it.
    r = server_.Get(c.path, a_write);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403);
    // The operator sees all of it.
    r = server_.Get(c.path, server_.operator_token());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
  }
  // The views are read-only: rotating, changing the plan, verifying stay the operator's.
  EXPECT_EQ(server_.Post("/admin/v1/tenants/alpha/keys/rotate", "", a_)->status, 403);
  auto cli = server_.Client();
  auto put = cli->Put("/admin/v1/plans/" + plan, {{"Authorization", "Bearer " + a_}}, R"({"defaults":{"weight":9}})",
                      "application/json");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 403);
  EXPECT_EQ(server_.Get("/admin/v1/audit/verify", a_)->status, 403);
}

TEST_P(CrossTenantTest, NonAdminKeysCannotManageKeys) {
  std::string w = server_.CreateKey("alpha", "write");
  EXPECT_EQ(server_.Get("/admin/v1/tenants/alpha/apikeys", w)->status, 403);
  EXPECT_EQ(server_.Post("/admin/v1/tenants/alpha/apikeys", R"({"role":"admin"})", w)->status, 403);
}

TEST_P(CrossTenantTest, ReadKeyCannotWrite) {
  std::string r = server_.CreateKey("alpha", "read");
  EXPECT_EQ(ValueOf("shared", r), "A:shared");
  EXPECT_EQ(server_.Put(KvPath("shared"), "x", r)->status, 403);
  EXPECT_EQ(server_.Delete(KvPath("shared"), r)->status, 403);
  EXPECT_EQ(server_.Post("/v1/batch", R"({"ops":[{"op":"delete","key":"shared"}]})", r)->status, 403);
  EXPECT_EQ(server_.Post("/v1/batch", R"({"ops":[{"op":"get","key":"shared"}]})", r)->status, 200);
  EXPECT_EQ(ValueOf("shared", a_), "A:shared");
}

TEST_P(CrossTenantTest, RevokedKeyIsRefusedAtOnce) {
  std::string w = server_.CreateKey("alpha", "write");
  auto keys = json::parse(server_.Get("/admin/v1/tenants/alpha/apikeys", a_)->body)["keys"];
  std::string id;
  for (auto& k : keys) {
    if (w.find(k["key_id"].get<std::string>()) != std::string::npos) id = k["key_id"];
  }
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(ValueOf("shared", w), "A:shared");
  ASSERT_EQ(server_.Delete("/admin/v1/tenants/alpha/apikeys/" + id, a_)->status, 204);
  auto r = server_.Get(KvPath("shared"), w);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(json::parse(r->body)["code"], "invalid_token");
}

TEST_P(CrossTenantTest, OperatorTokenCannotReadTenantData) {
  auto r = server_.Get(KvPath("shared"), server_.operator_token());
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(r->body.find("A:shared"), std::string::npos);
}

TEST_P(CrossTenantTest, SuspendedTenantIsRefusedOthersUnaffected) {
  ASSERT_EQ(server_.Post("/admin/v1/tenants/alpha/suspend", "{}", server_.operator_token())->status, 200);
  auto r = server_.Get(KvPath("shared"), a_);
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(json::parse(r->body)["code"], "tenant_suspended");
  EXPECT_EQ(ValueOf("shared", b_), "B:shared");
  ASSERT_EQ(server_.Post("/admin/v1/tenants/alpha/resume", "{}", server_.operator_token())->status, 200);
  EXPECT_EQ(ValueOf("shared", a_), "A:shared");
}

TEST_P(CrossTenantTest, DeletedTenantsTokensStopWorking) {
  ASSERT_EQ(server_.Delete("/admin/v1/tenants/alpha", server_.operator_token())->status, 204);
  EXPECT_EQ(server_.Get(KvPath("shared"), a_)->status, 401);
  EXPECT_EQ(ValueOf("shared", b_), "B:shared");
  // Re-creating the id starts empty: nothing of the old tenant comes back.
  server_.CreateTenant("alpha", GetParam());
  std::string fresh = server_.CreateKey("alpha", "read");
  EXPECT_EQ(ValueOf("shared", fresh), "<404>");
}

INSTANTIATE_TEST_SUITE_P(Tiers, CrossTenantTest, ::testing::Values("column_family", "pooled", "dedicated"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace tenantkv::testing

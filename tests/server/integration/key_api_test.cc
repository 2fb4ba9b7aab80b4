// Data-key routes over HTTP: rotate and list per the contract, background
// re-encryption that keeps every value (and its ETag), destruction of the
// old version, operator-only access, seal-bound rotation, counts that
// survive a restart.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <string>
#include <thread>

#include "tests/testing/test_server.h"

namespace tenantkv::testing {
namespace {

using nlohmann::json;

class KeyApiTest : public ::testing::Test {
 protected:
  explicit KeyApiTest(std::vector<std::string> args = {}) : server_(std::move(args)) {}
  void SetUp() override { server_.Start(); }

  json Keys(const std::string& tenant) {
    auto r = server_.Get("/admin/v1/tenants/" + tenant + "/keys", server_.operator_token());
    EXPECT_TRUE(r);
    if (!r) return {};
    EXPECT_EQ(r->status, 200) << r->body;
    return json::parse(r->body, nullptr, false);
  }
  json Version(const std::string& tenant, int version) {
    const json keys = Keys(tenant);
    if (!keys.is_object() || !keys.contains("versions")) return {};
    for (const auto& v : keys["versions"]) {
      if (v["version"] == version) return v;
    }
    return {};
  }
  // Waits (bounded) until version `version` of `tenant` reaches `state`.
  bool WaitForState(const std::string& tenant, int version, const std::string& state) {
    for (int i = 0; i < 600; ++i) {
      if (Version(tenant, version).value("state", "") == state) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  std::map<std::string, std::string> PutValues(const std::string& token, int n) {
    std::map<std::string, std::string> etags;
    for (int i = 0; i < n; ++i) {
      const std::string key = "key-" + std::to_string(i);
      auto r = server_.Put(KvPath(key), "value-" + std::to_string(i), token);
      EXPECT_TRUE(r);
      if (!r) continue;
      EXPECT_EQ(r->status, 201) << r->body;
      etags[key] = r->get_header_value("ETag");
    }
    return etags;
  }
  int CountAudit(const std::string& action) {
    auto r = server_.Get("/admin/v1/audit?tenant=acme", server_.operator_token());
    EXPECT_TRUE(r);
    if (!r) return -1;
    int n = 0;
    const json body = json::parse(r->body, nullptr, false);
    if (!body.is_object() || !body.contains("entries")) return -1;
    for (const auto& e : body["entries"]) n += e["action"] == action ? 1 : 0;
    return n;
  }

  TestServer server_;
};

TEST_F(KeyApiTest, RotationReencryptsInTheBackgroundAndDestroysTheOldVersion) {
  server_.CreateTenant("acme");
  const std::string token = server_.CreateKey("acme", "write");
  auto etags = PutValues(token, 60);

  json before = Keys("acme");
  ASSERT_EQ(before["versions"].size(), 1u);
  EXPECT_EQ(before["versions"][0]["version"], 1);
  EXPECT_EQ(before["versions"][0]["state"], "active");
  EXPECT_EQ(before["versions"][0]["values"], 60);
  EXPECT_EQ(before["versions"][0]["seals"], 60);
  EXPECT_TRUE(before["versions"][0]["created_at"].is_string());

  auto r = server_.Post("/admin/v1/tenants/acme/keys/rotate", "", server_.operator_token());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  json rotated = json::parse(r->body);
  EXPECT_EQ(rotated["rotated_to"], 2);
  ASSERT_EQ(rotated["versions"].size(), 2u);
  EXPECT_EQ(rotated["versions"][1]["state"], "active");

  ASSERT_TRUE(WaitForState("acme", 1, "destroyed")) << Keys("acme").dump();
  json v1 = Version("acme", 1), v2 = Version("acme", 2);
  EXPECT_EQ(v1["values"], 0);
  EXPECT_EQ(v2["values"], 60);
  EXPECT_EQ(v2["state"], "active");
  for (const auto& [key, etag] : etags) {
    auto got = server_.Get(KvPath(key), token);
    ASSERT_TRUE(got);
    ASSERT_EQ(got->status, 200) << key;
    EXPECT_EQ(got->body, "value-" + key.substr(4));
    EXPECT_EQ(got->get_header_value("ETag"), etag) << "re-encryption keeps the ETag";
  }
  // An If-Match with the ETag from before the rotation still matches.
  auto put = server_.Put(KvPath("key-0"), "after", token, {{"If-Match", etags["key-0"]}});
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 204) << put->body;
  EXPECT_EQ(CountAudit("key.rotate"), 1);
  // The background job writes key.destroy after the version shows as
  // destroyed (its purge from the files runs in between): wait for it.
  int destroyed = 0;
  for (int i = 0; i < 600 && (destroyed = CountAudit("key.destroy")) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(destroyed, 1);
}

TEST_F(KeyApiTest, RotationIsOperatorOnlyAndTheListTheTenantAdminsOwn) {
  server_.CreateTenant("acme");
  server_.CreateTenant("globex");
  const std::string acme_admin = server_.CreateKey("acme", "admin");
  for (const std::string tenant : {"acme", "globex"}) {
    SCOPED_TRACE(tenant);
    auto r = server_.Post("/admin/v1/tenants/" + tenant + "/keys/rotate", "", acme_admin);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403) << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/problem+json");
    // Listing is the tenant admin's own view (self); rotating is not.
    r = server_.Get("/admin/v1/tenants/" + tenant + "/keys", acme_admin);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, tenant == "acme" ? 200 : 403) << r->body;
    EXPECT_EQ(r->body.find("globex"), std::string::npos);
    r = server_.Post("/admin/v1/tenants/" + tenant + "/keys/rotate", "", "");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401);
  }
  // Nothing changed.
  EXPECT_EQ(Keys("acme")["versions"].size(), 1u);
  EXPECT_EQ(Keys("globex")["versions"].size(), 1u);
}

TEST_F(KeyApiTest, BadInputGetsAProblem) {
  struct Case {
    std::string method, path;
    int status;
    std::string code;
  };
  const std::vector<Case> cases = {
      {"POST", "/admin/v1/tenants/nobody/keys/rotate", 404, "tenant_not_found"},
      {"GET", "/admin/v1/tenants/nobody/keys", 404, "tenant_not_found"},
      {"POST", "/admin/v1/tenants/Bad_Id/keys/rotate", 400, "invalid_tenant_id"},
      {"GET", "/admin/v1/tenants/-x/keys", 400, "invalid_tenant_id"},
      {"GET", "/admin/v1/tenants/acme/keys/rotate", 405, ""},
  };
  server_.CreateTenant("acme");
  for (const auto& c : cases) {
    SCOPED_TRACE(c.method + " " + c.path);
    auto r = c.method == "GET" ? server_.Get(c.path, server_.operator_token())
                               : server_.Post(c.path, "", server_.operator_token());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, c.status) << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/problem+json");
    if (!c.code.empty()) {
      EXPECT_EQ(json::parse(r->body)["code"], c.code);
    }
  }
  EXPECT_EQ(Keys("acme")["versions"].size(), 1u);
}

TEST_F(KeyApiTest, SealCountsSurviveARestart) {
  server_.CreateTenant("acme");
  const std::string token = server_.CreateKey("acme", "write");
  PutValues(token, 30);
  ASSERT_EQ(server_.Terminate(), 0);
  server_.Start();
  json v1 = Version("acme", 1);
  EXPECT_GE(v1["seals"].get<int64_t>(), 30);
  EXPECT_EQ(v1["values"], 30);
}

class KeyApiSealBoundTest : public KeyApiTest {
 protected:
  KeyApiSealBoundTest() : KeyApiTest({"--max-seals-per-key", "25"}) {}
};

// 30 writes over 5 keys: version 1 reaches the bound (25 seals) and is
// rotated once. Version 2 then seals at most 5 rewrites plus 5 re-encrypted
// values, far from the bound, so nothing rotates again. (With distinct keys
// the re-encryption of 25 values would itself bring version 2 to the bound:
// the bound must stay well above a tenant's number of values.)
TEST_F(KeyApiSealBoundTest, ReachingTheBoundRotatesOnce) {
  server_.CreateTenant("acme");
  const std::string token = server_.CreateKey("acme", "write");
  for (int i = 0; i < 30; ++i) {
    auto r = server_.Put(KvPath("key-" + std::to_string(i % 5)), "value-" + std::to_string(i), token);
    ASSERT_TRUE(r);
    ASSERT_TRUE(r->status >= 200 && r->status < 300) << r->status << " " << r->body;
  }
  ASSERT_TRUE(WaitForState("acme", 1, "destroyed")) << Keys("acme").dump();
  EXPECT_EQ(CountAudit("key.rotate.auto"), 1);
  EXPECT_EQ(Version("acme", 2)["values"], 5);
  EXPECT_EQ(Version("acme", 2)["state"], "active");
  EXPECT_LE(Version("acme", 2)["seals"].get<int64_t>(), 10);
}

// The policy sweep on demand (what `tenantkv-admin keys rotate --due`, run
// by cron or the systemd timer, calls): with fresh keys nothing is due, the
// sweep is recorded, and only the operator may run or read it.
TEST_F(KeyApiTest, RotateDueSweepsEveryTenantAndIsOperatorOnly) {
  ASSERT_NO_FATAL_FAILURE(server_.CreateTenant("due-a"));
  ASSERT_NO_FATAL_FAILURE(server_.CreateTenant("due-b"));
  const std::string admin = server_.CreateKey("due-a", "admin");
  const std::string op = server_.operator_token();

  auto r = server_.Get("/admin/v1/keys/rotation", op);
  ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "no response");
  json st = json::parse(r->body);
  EXPECT_EQ(st["policy"]["max_age_days"], 90);
  EXPECT_EQ(st["policy"]["max_seals"], uint64_t{1} << 31);
  EXPECT_EQ(st["sweeps"], 0);
  EXPECT_TRUE(st["last_sweep"].is_null());

  r = server_.Post("/admin/v1/keys/rotate-due", "", op);
  ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "no response");
  json sweep = json::parse(r->body);
  EXPECT_EQ(sweep["checked"], 2);
  EXPECT_TRUE(sweep["rotated"].empty()) << sweep.dump();
  EXPECT_EQ(sweep["failed"], 0);
  EXPECT_EQ(Version("due-a", 1)["state"], "active");

  r = server_.Get("/admin/v1/keys/rotation", op);
  ASSERT_TRUE(r && r->status == 200);
  st = json::parse(r->body);
  EXPECT_EQ(st["sweeps"], 1);
  EXPECT_EQ(st["last_sweep"]["by"], "operator");
  EXPECT_EQ(st["last_sweep"]["checked"], 2);

  for (const std::string& token : {admin, std::string("tkv_garbage")}) {
    auto denied = server_.Post("/admin/v1/keys/rotate-due", "", token);
    ASSERT_TRUE(denied);
    EXPECT_TRUE(denied->status == 403 || denied->status == 401) << denied->status;
    EXPECT_EQ(denied->get_header_value("Content-Type"), "application/problem+json");
  }
  auto body = server_.Post("/admin/v1/keys/rotate-due", "{\"all\":true}", op);
  ASSERT_TRUE(body);
  EXPECT_EQ(body->status, 400);
  EXPECT_NE(body->body.find("unexpected_body"), std::string::npos) << body->body;
  r = server_.Get("/admin/v1/keys/rotation", op);
  ASSERT_TRUE(r && r->status == 200);
  EXPECT_EQ(json::parse(r->body)["sweeps"], 1);  // refused calls swept nothing
}

// The server's own timer runs the sweep (--key-rotation-check-sec).
class KeyScheduleTest : public KeyApiTest {
 protected:
  KeyScheduleTest() : KeyApiTest({"--key-rotation-check-sec", "1", "--key-max-age-days", "30"}) {}
};

TEST_F(KeyScheduleTest, TheServerSweepsOnItsTimer) {
  ASSERT_NO_FATAL_FAILURE(server_.CreateTenant("timed"));
  json st;
  for (int i = 0; i < 200; ++i) {  // bounded wait for the first sweeps
    auto r = server_.Get("/admin/v1/keys/rotation", server_.operator_token());
    ASSERT_TRUE(r && r->status == 200);
    st = json::parse(r->body);
    if (st["sweeps"].get<int>() >= 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_GE(st["sweeps"].get<int>(), 2) << st.dump();
  EXPECT_EQ(st["policy"]["max_age_days"], 30);
  EXPECT_EQ(st["policy"]["check_interval_sec"], 1);
  EXPECT_EQ(st["last_sweep"]["by"], "system");
  EXPECT_EQ(st["last_sweep"]["checked"], 1);
  EXPECT_EQ(st["last_sweep"]["rotated"], 0);  // a fresh key is not due
}

// The key cache's TTL (1 s, checked every second): keys leave memory while
// the tenant is idle and come back from their records on the next request.
class KeyCacheTest : public KeyApiTest {
 protected:
  KeyCacheTest() : KeyApiTest({"--key-cache-ttl-sec", "1"}) {}
};

TEST_F(KeyCacheTest, IdleTenantsKeysComeBackOnTheNextRequest) {
  ASSERT_NO_FATAL_FAILURE(server_.CreateTenant("idle"));
  const std::string token = server_.CreateKey("idle", "write");
  auto put = server_.Put("/v1/kv/before", "sealed-under-v1", token);
  ASSERT_TRUE(put && put->status == 201) << (put ? put->body : "no response");
  auto rot = server_.Post("/admin/v1/tenants/idle/keys/rotate", "", server_.operator_token());
  ASSERT_TRUE(rot && rot->status == 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // idle past the TTL and a check
  auto get = server_.Get("/v1/kv/before", token);
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 200) << get->body;
  EXPECT_EQ(get->body, "sealed-under-v1");
  put = server_.Put("/v1/kv/after", "sealed-under-v2", token);
  ASSERT_TRUE(put && put->status == 201) << (put ? put->body : "no response");
  get = server_.Get("/v1/kv/after", token);
  ASSERT_TRUE(get && get->status == 200);
  EXPECT_EQ(get->body, "sealed-under-v2");
}

}  // namespace
}  // namespace tenantkv::testing

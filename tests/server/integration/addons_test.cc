// Add-ons against the real server: an operator's temporary boost starts and
// ends on its own (short periods on the real clock), shows in usage, quota
// history, the audit and /metrics, survives a restart, and can be cancelled;
// bad input changes nothing; tenants cannot grant themselves one.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <ctime>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing/rfc3339.h"
#include "tests/testing/test_server.h"
#include "tests/testing/wait_for.h"

namespace tenantkv::testing {
namespace {

using nlohmann::json;

std::string InSeconds(int seconds) { return Rfc3339InSeconds(seconds); }

class AddonsApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Start();
    server_.CreateTenant("acme");
    server_.CreateTenant("other");
    admin_ = server_.CreateKey("acme", "admin");
    base_rps_ = Rate();
  }

  const std::string& op() const { return server_.operator_token(); }

  json Create(const json& body, int want = 201, const std::string& tenant = "acme") {
    auto r = server_.Post("/admin/v1/tenants/" + tenant + "/addons", body.dump(), op());
    EXPECT_TRUE(r);
    if (!r) return json();
    EXPECT_EQ(r->status, want) << r->body;
    return json::parse(r->body, nullptr, false);
  }
  json Show(const std::string& id, const std::string& tenant = "acme") {
    auto r = server_.Get("/admin/v1/tenants/" + tenant + "/addons/" + id, op());
    EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
    return r ? json::parse(r->body, nullptr, false) : json();
  }
  // The tenant's request rate, as it sees it.
  int64_t Rate(const std::string& token = "") {
    auto r = server_.Get("/v1/usage", token.empty() ? admin_ : token);
    EXPECT_TRUE(r && r->status == 200);
    return r ? json::parse(r->body)["quotas"]["requests_per_sec"]["rate"].get<int64_t>() : -1;
  }
  bool WaitForState(const std::string& id, const std::string& state) {
    return WaitFor([&] { return Show(id)["state"] == state; });
  }
  json Audit(const std::string& tenant) {
    return json::parse(server_.Get("/admin/v1/audit?tenant=" + tenant + "&limit=1000", op())->body)["entries"];
  }

  TestServer server_;
  std::string admin_;
  int64_t base_rps_ = 0;
};

TEST_F(AddonsApiTest, StartsAndEndsOnItsOwnAndShowsEverywhere) {
  json a = Create({{"fields", {{"requests_per_sec", 3000}}},
                   {"starts_at", InSeconds(2)},
                   {"ends_at", InSeconds(9)},
                   {"reason", "launch week"}});
  const std::string id = a["id"];
  EXPECT_EQ(a["state"], "scheduled");
  EXPECT_EQ(a["tenant"], "acme");
  EXPECT_EQ(a["reason"], "launch week");
  EXPECT_EQ(a["created_by"], "operator");
  EXPECT_TRUE(a["started_version"].is_null());

  ASSERT_TRUE(WaitForState(id, "active"));
  EXPECT_EQ(Rate(), 3000);
  EXPECT_EQ(Rate(server_.CreateKey("other", "read")), base_rps_);  // another tenant: untouched
  auto usage = json::parse(server_.Get("/v1/usage", admin_)->body);
  ASSERT_EQ(usage["addons"].size(), 1u);
  EXPECT_EQ(usage["addons"][0]["id"], id);
  EXPECT_EQ(usage["addons"][0]["fields"]["requests_per_sec"], 3000);
  auto metrics = server_.Get("/metrics", op())->body;
  EXPECT_NE(metrics.find("tenantkv_addon_value{tenant=\"acme\",addon=\"" + id + "\",quota=\"requests_per_sec\"} 3000"),
            std::string::npos);

  ASSERT_TRUE(WaitForState(id, "ended"));
  EXPECT_EQ(Rate(), base_rps_);
  EXPECT_TRUE(json::parse(server_.Get("/v1/usage", admin_)->body)["addons"].empty());
  metrics = server_.Get("/metrics", op())->body;
  EXPECT_EQ(metrics.find("tenantkv_addon_value{tenant=\"acme\""), std::string::npos);

  // The quota history shows both moments, by the add-on.
  const json ended = Show(id);
  auto history = json::parse(server_.Get("/admin/v1/tenants/acme/quota/history", admin_)->body)["versions"];
  int by_addon = 0;
  for (const auto& v : history) {
    if (v["updated_by"] != "addon:" + id) continue;
    ++by_addon;
    if (v["version"] == ended["started_version"]) {
      EXPECT_EQ(v["quota"]["requests_per_sec"], 3000);
    }
    if (v["version"] == ended["ended_version"]) {
      EXPECT_EQ(v["quota"]["requests_per_sec"], base_rps_);
    }
  }
  EXPECT_EQ(by_addon, 2);
  // And the audit: created by the operator, started and ended by itself.
  std::set<std::string> actions;
  for (const auto& e : Audit("acme")) {
    if (e["details"].dump().find(id) != std::string::npos) actions.insert(e["action"].get<std::string>() + "/" + e["actor"].get<std::string>());
  }
  EXPECT_EQ(actions, (std::set<std::string>{"addon.create/operator", "addon.start/addon:" + id, "addon.end/addon:" + id}));
}

TEST_F(AddonsApiTest, SurvivesARestartAndCancelPutsTheValuesBack) {
  json a = Create({{"fields", {{"requests_per_sec", 2500}, {"max_concurrent", 100}}}, {"ends_at", InSeconds(3600)}});
  const std::string id = a["id"];
  ASSERT_TRUE(WaitForState(id, "active"));
  ASSERT_EQ(server_.Terminate(), 0);
  server_.Start();
  EXPECT_EQ(Show(id)["state"], "active");
  EXPECT_EQ(Rate(), 2500);

  // One that starts while the server is down starts when it is back.
  json later = Create({{"fields", {{"weight", 7}}}, {"starts_at", InSeconds(1)}, {"ends_at", InSeconds(3600)}});
  ASSERT_EQ(server_.Terminate(), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  server_.Start();
  ASSERT_TRUE(WaitForState(later["id"], "active"));

  auto cancelled = server_.Delete("/admin/v1/tenants/acme/addons/" + id, op());
  ASSERT_EQ(cancelled->status, 200) << cancelled->body;
  json c = json::parse(cancelled->body);
  EXPECT_EQ(c["state"], "cancelled");
  EXPECT_EQ(c["cancelled_by"], "operator");
  EXPECT_FALSE(c["ended_version"].is_null());
  EXPECT_EQ(Rate(), base_rps_);
  auto again = server_.Delete("/admin/v1/tenants/acme/addons/" + id, op());
  EXPECT_EQ(again->status, 409);
  EXPECT_EQ(json::parse(again->body)["code"], "addon_finished");
  EXPECT_EQ(Show(later["id"])["state"], "active");  // the other one goes on

  auto list = json::parse(server_.Get("/admin/v1/tenants/acme/addons", admin_)->body)["addons"];
  EXPECT_EQ(list.size(), 2u);
}

TEST_F(AddonsApiTest, BadInputIsRefusedAndChangesNothing) {
  struct Case {
    json body;
    int status;
    std::string code;
  };
  const std::string end = InSeconds(600);
  const std::vector<Case> cases = {
      {json::object(), 400, "invalid_quota"},
      {{{"fields", json::object()}, {"ends_at", end}}, 400, "invalid_quota"},
      {{{"fields", {{"requests_per_sec", "many"}}}, {"ends_at", end}}, 400, "invalid_quota"},
      {{{"fields", {{"requests_per_sec", 0}}}, {"ends_at", end}}, 400, "invalid_quota"},
      {{{"fields", {{"nonsense", 1}}}, {"ends_at", end}}, 400, "unknown_field"},
      {{{"fields", {{"weight", 2}}}}, 400, "invalid_period"},
      {{{"fields", {{"weight", 2}}}, {"ends_at", "tomorrow"}}, 400, "invalid_period"},
      {{{"fields", {{"weight", 2}}}, {"ends_at", InSeconds(-60)}}, 400, "invalid_period"},
      {{{"fields", {{"weight", 2}}}, {"starts_at", InSeconds(900)}, {"ends_at", end}}, 400, "invalid_period"},
      {{{"fields", {{"weight", 2}}}, {"ends_at", end}, {"reason", std::string("a\x01")}}, 400, "invalid_reason"},
      {{{"fields", {{"weight", 2}}}, {"ends_at", end}, {"reason", std::string(1025, 'r')}}, 400, "invalid_reason"},
      {{{"fields", {{"weight", 2}}}, {"ends_at", end}, {"extra", 1}}, 400, "unknown_field"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body.dump());
    json problem = Create(c.body, c.status);
    EXPECT_EQ(problem["code"], c.code);
  }
  auto malformed = server_.Post("/admin/v1/tenants/acme/addons", "{\"fields\":", op());
  EXPECT_EQ(malformed->status, 400);
  EXPECT_EQ(Create({{"fields", {{"weight", 2}}}, {"ends_at", end}}, 404, "nobody")["code"], "tenant_not_found");
  EXPECT_EQ(server_.Get("/admin/v1/tenants/acme/addons/0123456789abcdef", op())->status, 404);
  EXPECT_EQ(server_.Delete("/admin/v1/tenants/acme/addons/0123456789abcdef", op())->status, 404);
  EXPECT_TRUE(json::parse(server_.Get("/admin/v1/tenants/acme/addons", op())->body)["addons"].empty());

  // Overlap on a field is refused with the add-on it meets.
  json first = Create({{"fields", {{"weight", 2}}}, {"starts_at", InSeconds(300)}, {"ends_at", end}});
  json overlap = Create({{"fields", {{"weight", 3}}}, {"ends_at", InSeconds(400)}}, 409);
  EXPECT_EQ(overlap["code"], "addon_overlap");
  EXPECT_NE(overlap["detail"].get<std::string>().find(first["id"].get<std::string>()), std::string::npos);
}

TEST_F(AddonsApiTest, TenantsCannotGrantOrCancelAndSeeOnlyTheirOwn) {
  json mine = Create({{"fields", {{"weight", 2}}}, {"starts_at", InSeconds(300)}, {"ends_at", InSeconds(600)}});
  json theirs = Create({{"fields", {{"weight", 2}}}, {"starts_at", InSeconds(300)}, {"ends_at", InSeconds(600)}}, 201,
                       "other");
  const std::string body = json{{"fields", {{"requests_per_sec", 9999}}}, {"ends_at", InSeconds(600)}}.dump();
  const std::string write = server_.CreateKey("acme", "write");
  for (const std::string& token : {admin_, write}) {
    auto r = server_.Post("/admin/v1/tenants/acme/addons", body, token);
    EXPECT_EQ(r->status, 403) << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/problem+json");
    EXPECT_EQ(server_.Delete("/admin/v1/tenants/acme/addons/" + mine["id"].get<std::string>(), token)->status, 403);
  }
  // Its own list: yes, with its admin key; the other tenant's: no.
  auto own = server_.Get("/admin/v1/tenants/acme/addons", admin_);
  ASSERT_EQ(own->status, 200);
  EXPECT_EQ(own->body.find(theirs["id"].get<std::string>()), std::string::npos);
  EXPECT_EQ(server_.Get("/admin/v1/tenants/other/addons", admin_)->status, 403);
  EXPECT_EQ(server_.Get("/admin/v1/tenants/other/addons/" + theirs["id"].get<std::string>(), admin_)->status, 403);
  // Naming the other tenant's add-on under its own tenant finds nothing.
  EXPECT_EQ(server_.Get("/admin/v1/tenants/acme/addons/" + theirs["id"].get<std::string>(), admin_)->status, 404);
  EXPECT_EQ(server_.Get("/admin/v1/tenants/acme/addons", write)->status, 403);
  EXPECT_EQ(Show(theirs["id"], "other")["state"], "scheduled");
}

}  // namespace
}  // namespace tenantkv::testing

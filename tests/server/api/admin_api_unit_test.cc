// The admin routes (server/api/admin_api.cc) in-process, through Api::Handle,
// over an engine whose faults the test injects.
#include <gtest/gtest.h>
#include <future>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "server/api/api.h"
#include "server/auth/auth.h"
#include "tests/testing/test_util.h"

namespace tenantkv::server {
namespace {

using engine::testutil::EngineHarness;
using nlohmann::json;

constexpr char kOperator[] = "tkvop_admin-api-test-operator-token-0123456789";

class AdminApi : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(h_.Open());
    auth_ = std::make_unique<Authenticator>(kOperator, &h_->api_keys());
    api_ = std::make_unique<Api>(&h_.engine(), auth_.get());
  }
  void TearDown() override {
    api_.reset();
    auth_.reset();
  }

  HttpResponse Call(const std::string& method, const std::string& target, const std::string& token,
                    const std::string& body = "") {
    HttpRequest req;
    req.method = method;
    req.target = target;
    req.body = body;
    req.remote_addr = "127.0.0.1";
    if (!token.empty()) req.headers.Add("Authorization", "Bearer " + token);
    if (!body.empty()) req.headers.Add("Content-Type", "application/json");
    std::promise<HttpResponse> answer;
    std::future<HttpResponse> answered = answer.get_future();
    api_->Handle(std::move(req), [&answer](HttpResponse r) { answer.set_value(std::move(r)); });
    return answered.get();
  }
  static std::string CodeOf(const HttpResponse& res) {
    auto j = json::parse(res.body, nullptr, false);
    return j.is_object() && j.contains("code") ? j["code"].get<std::string>() : "";
  }
  // id -> state, as GET /admin/v1/tenants lists them.
  std::map<std::string, std::string> Listed() {
    std::map<std::string, std::string> out;
    auto res = Call("GET", "/admin/v1/tenants", kOperator);
    EXPECT_EQ(res.status, 200) << res.body;
    auto j = json::parse(res.body, nullptr, false);
    if (!j.is_object() || !j.contains("tenants")) return out;
    for (const auto& t : j["tenants"]) out[t["id"].get<std::string>()] = t["state"].get<std::string>();
    return out;
  }

  EngineHarness h_;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<Api> api_;
};

// A delete whose purge fails: the operator sees the tenant "deleting", its
// tokens get 401, its id stays taken, and a repeated DELETE answers 202
// and finishes the purge.
TEST_F(AdminApi, ADeleteWhosePurgeFailedStaysDeletingUntilARepeatedDelete) {
  ASSERT_EQ(Call("POST", "/admin/v1/tenants", kOperator, R"({"id":"acme"})").status, 201);
  ASSERT_EQ(Call("POST", "/admin/v1/tenants", kOperator, R"({"id":"globex"})").status, 201);
  auto made = Call("POST", "/admin/v1/tenants/acme/apikeys", kOperator, R"({"role":"admin"})");
  ASSERT_EQ(made.status, 201) << made.body;
  const std::string token = json::parse(made.body)["token"].get<std::string>();
  ASSERT_EQ(Call("GET", "/v1/usage", token).status, 200);

  h_->tenants().InjectFaultForTest(engine::TenantRegistry::FaultForTest::kShredKeys);
  auto failed = Call("DELETE", "/admin/v1/tenants/acme", kOperator);
  EXPECT_EQ(failed.status, 500) << failed.body;

  auto shown = Call("GET", "/admin/v1/tenants/acme", kOperator);
  ASSERT_EQ(shown.status, 200) << shown.body;
  EXPECT_EQ(json::parse(shown.body)["state"], "deleting") << shown.body;
  EXPECT_EQ(Listed(), (std::map<std::string, std::string>{{"acme", "deleting"}, {"globex", "active"}}));
  EXPECT_EQ(Call("GET", "/v1/usage", token).status, 401);
  EXPECT_EQ(Call("POST", "/admin/v1/tenants/acme/apikeys", token, R"({"role":"admin"})").status, 401);
  auto key_by_operator = Call("POST", "/admin/v1/tenants/acme/apikeys", kOperator, R"({"role":"admin"})");
  EXPECT_EQ(key_by_operator.status, 404) << key_by_operator.body;
  auto recreated = Call("POST", "/admin/v1/tenants", kOperator, R"({"id":"acme"})");
  EXPECT_EQ(recreated.status, 409) << recreated.body;
  EXPECT_EQ(CodeOf(recreated), "tenant_exists");

  auto retried = Call("DELETE", "/admin/v1/tenants/acme", kOperator);
  EXPECT_EQ(retried.status, 202) << retried.body;
  EXPECT_EQ(Call("GET", "/admin/v1/tenants/acme", kOperator).status, 404);
  EXPECT_EQ(Listed(), (std::map<std::string, std::string>{{"globex", "active"}}));
  EXPECT_EQ(Call("DELETE", "/admin/v1/tenants/acme", kOperator).status, 404);
  ASSERT_EQ(Call("POST", "/admin/v1/tenants", kOperator, R"({"id":"acme"})").status, 201);
  EXPECT_EQ(Call("GET", "/v1/usage", token).status, 401);
}

// The tier: chosen by the plan unless the create names one, shown in the
// tenant JSON (live and listed), refused with a problem when unknown; a
// pooled tenant serves the data routes as any other.
TEST_F(AdminApi, TheTierIsChosenAtCreateShownAndValidated) {
  auto by_plan = Call("POST", "/admin/v1/tenants", kOperator, R"({"id":"trial","plan":"free"})");
  ASSERT_EQ(by_plan.status, 201) << by_plan.body;
  EXPECT_EQ(json::parse(by_plan.body)["tier"], "pooled");
  auto standard = Call("POST", "/admin/v1/tenants", kOperator, R"({"id":"paying"})");
  ASSERT_EQ(standard.status, 201) << standard.body;
  EXPECT_EQ(json::parse(standard.body)["tier"], "column_family");
  auto chosen = Call("POST", "/admin/v1/tenants", kOperator, R"({"id":"chosen","plan":"free","tier":"column_family"})");
  ASSERT_EQ(chosen.status, 201) << chosen.body;
  EXPECT_EQ(json::parse(chosen.body)["tier"], "column_family");

  for (const char* body : {R"({"id":"bad","tier":"dedicated"})", R"({"id":"bad","tier":"Pooled"})"}) {
    auto refused = Call("POST", "/admin/v1/tenants", kOperator, body);
    EXPECT_EQ(refused.status, 400) << refused.body;
    EXPECT_EQ(CodeOf(refused), "unknown_tier") << refused.body;
    EXPECT_EQ(refused.Header("Content-Type"), "application/problem+json");
  }
  auto not_string = Call("POST", "/admin/v1/tenants", kOperator, R"({"id":"bad","tier":7})");
  EXPECT_EQ(not_string.status, 400);
  EXPECT_EQ(CodeOf(not_string), "invalid_field");
  EXPECT_EQ(Call("GET", "/admin/v1/tenants/bad", kOperator).status, 404);

  auto shown = Call("GET", "/admin/v1/tenants/trial", kOperator);
  ASSERT_EQ(shown.status, 200);
  EXPECT_EQ(json::parse(shown.body)["tier"], "pooled");
  auto listed = json::parse(Call("GET", "/admin/v1/tenants", kOperator).body);
  std::map<std::string, std::string> tiers;
  for (const auto& t : listed["tenants"]) tiers[t["id"].get<std::string>()] = t["tier"].get<std::string>();
  EXPECT_EQ(tiers, (std::map<std::string, std::string>{
                       {"chosen", "column_family"}, {"paying", "column_family"}, {"trial", "pooled"}}));

  // The audit entry names the tier.
  auto audit = Call("GET", "/admin/v1/audit", kOperator);
  ASSERT_EQ(audit.status, 200) << audit.body;
  EXPECT_NE(audit.body.find("pooled"), std::string::npos) << audit.body;

  auto made = Call("POST", "/admin/v1/tenants/trial/apikeys", kOperator, R"({"role":"admin"})");
  ASSERT_EQ(made.status, 201) << made.body;
  const std::string token = json::parse(made.body)["token"].get<std::string>();
  EXPECT_EQ(Call("PUT", "/v1/kv/greeting", token, "hello").status, 201);
  auto got = Call("GET", "/v1/kv/greeting", token);
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.body, "hello");
}

}  // namespace
}  // namespace tenantkv::server

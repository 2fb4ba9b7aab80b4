// The tenant-admin routes against the real server: a tenant admin key's
// calls pass its tenant's admission, admin bodies are bounded in size and
// in JSON depth, a tenant's API keys are capped and listed in pages.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "tests/testing/test_server.h"

namespace tenantkv::testing {
namespace {

using nlohmann::json;

// `depth` nested arrays: "[[...]]".
std::string Nested(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

// The server's peak resident memory (VmHWM), in KiB; -1 if unknown.
long PeakRssKiB(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

class AdminApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Start();
    server_.CreateTenant("acme");
    admin_ = server_.CreateKey("acme", "admin");
  }

  httplib::Result PutJson(const std::string& path, const std::string& body, const std::string& token) {
    return server_.Client()->Put(path, {{"Authorization", "Bearer " + token}}, body, "application/json");
  }

  static json Problem(const httplib::Result& r) { return json::parse(r->body, nullptr, false); }

  TestServer server_;
  std::string admin_;
};

TEST_F(AdminApiTest, TenantAdminCallsPassTheTenantsRateQuota) {
  ASSERT_EQ(PutJson("/admin/v1/tenants/acme/quota", R"({"requests_per_sec":1,"burst_requests":3})",
                    server_.operator_token())->status, 200);
  std::optional<httplib::Response> refused;
  for (int i = 0; i < 10 && !refused; ++i) {
    auto r = server_.Post("/admin/v1/tenants/acme/apikeys", R"({"role":"read"})", admin_);
    ASSERT_TRUE(r);
    ASSERT_TRUE(r->status == 201 || r->status == 429) << r->body;
    if (r->status == 429) refused = *r;
  }
  ASSERT_TRUE(refused.has_value()) << "a tenant admin key was never refused";
  EXPECT_EQ(json::parse(refused->body)["code"], "rate_limited");
  EXPECT_GE(std::stoi(refused->get_header_value("Retry-After")), 1);
  EXPECT_EQ(refused->get_header_value("RateLimit-Remaining"), "0");
  // Reads of its own admin routes are charged too.
  bool list_refused = false;
  for (int i = 0; i < 10 && !list_refused; ++i) {
    list_refused = server_.Get("/admin/v1/tenants/acme/apikeys", admin_)->status == 429;
  }
  EXPECT_TRUE(list_refused);

  // The operator is not charged to the tenant, nor refused by its quota.
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(server_.Get("/admin/v1/tenants/acme/apikeys", server_.operator_token())->status, 200);
  }

  // The refusals are the tenant's, in /metrics and in the access log.
  auto metrics = server_.Get("/metrics", server_.operator_token());
  ASSERT_EQ(metrics->status, 200);
  const std::string series = "tenantkv_throttled_requests_total{tenant=\"acme\",reason=\"rate_limited\"} ";
  const size_t at = metrics->body.find(series);
  ASSERT_NE(at, std::string::npos) << "no throttle series for acme";
  EXPECT_GE(std::stod(metrics->body.substr(at + series.size())), 2.0);
  ASSERT_EQ(server_.Terminate(), 0);  // the log is complete once the server stopped
  const std::string log = server_.ReadLog();
  bool logged = false;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    const json j = json::parse(line, nullptr, false);
    logged = logged || (j.is_object() && j.value("tenant", "") == "acme" &&
                        j.value("route", "") == "/admin/v1/tenants/{id}/apikeys" && j.value("status", 0) == 429 &&
                        j.value("code", "") == "rate_limited");
  }
  EXPECT_TRUE(logged) << "no access line of acme's refused key create";
}

TEST_F(AdminApiTest, ApiKeysPerTenantAreCappedCountingActiveKeys) {
  // acme has its admin key; 99 more reach the default cap of 100.
  std::vector<std::string> ids;
  for (int i = 0; i < 99; ++i) {
    auto r = server_.Post("/admin/v1/tenants/acme/apikeys", R"({"role":"read"})", server_.operator_token());
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 201) << "key " << i + 2 << ": " << r->body;
    ids.push_back(json::parse(r->body)["key_id"]);
  }
  auto over = server_.Post("/admin/v1/tenants/acme/apikeys", R"({"role":"read"})", server_.operator_token());
  ASSERT_TRUE(over);
  EXPECT_EQ(over->status, 409) << over->body;
  EXPECT_EQ(Problem(over)["code"], "api_key_limit");
  // The tenant's own admin key meets the same cap.
  auto own = server_.Post("/admin/v1/tenants/acme/apikeys", R"({"role":"read"})", admin_);
  EXPECT_EQ(own->status, 409) << own->body;
  // Another tenant is not affected.
  server_.CreateTenant("other");
  EXPECT_FALSE(server_.CreateKey("other", "read").empty());
  // A revoked key no longer counts.
  ASSERT_EQ(server_.Delete("/admin/v1/tenants/acme/apikeys/" + ids[0], server_.operator_token())->status, 204);
  EXPECT_FALSE(server_.CreateKey("acme", "read").empty());
  EXPECT_EQ(server_.Post("/admin/v1/tenants/acme/apikeys", R"({"role":"read"})", server_.operator_token())->status,
            409);

  // 101 keys now (one revoked): the default page holds 100 and names the next.
  auto first = server_.Get("/admin/v1/tenants/acme/apikeys", server_.operator_token());
  ASSERT_EQ(first->status, 200) << first->body;
  json page = json::parse(first->body);
  ASSERT_EQ(page["keys"].size(), 100u);
  ASSERT_TRUE(page["next"].is_string());
  auto rest = server_.Get("/admin/v1/tenants/acme/apikeys?start_after=" + page["next"].get<std::string>(),
                          server_.operator_token());
  ASSERT_EQ(rest->status, 200) << rest->body;
  json last = json::parse(rest->body);
  EXPECT_EQ(last["keys"].size(), 1u);
  EXPECT_TRUE(last["next"].is_null());
}

TEST_F(AdminApiTest, ApiKeyListPagesWalkEveryKeyOnceInOrder) {
  for (int i = 0; i < 4; ++i) ASSERT_FALSE(server_.CreateKey("acme", "read").empty());
  auto all = server_.Get("/admin/v1/tenants/acme/apikeys?limit=1000", admin_);
  ASSERT_EQ(all->status, 200) << all->body;
  const json everything = json::parse(all->body);
  ASSERT_EQ(everything["keys"].size(), 5u);
  EXPECT_TRUE(everything["next"].is_null());

  std::vector<std::string> walked;
  std::string path = "/admin/v1/tenants/acme/apikeys?limit=2";
  for (int pages = 0; pages < 10; ++pages) {
    auto r = server_.Get(path, admin_);
    ASSERT_EQ(r->status, 200) << r->body;
    json page = json::parse(r->body);
    ASSERT_LE(page["keys"].size(), 2u);
    for (const auto& k : page["keys"]) walked.push_back(k["key_id"]);
    if (page["next"].is_null()) break;
    EXPECT_EQ(page["next"], page["keys"].back()["key_id"]);
    path = "/admin/v1/tenants/acme/apikeys?limit=2&start_after=" + page["next"].get<std::string>();
  }
  std::vector<std::string> expected;
  for (const auto& k : everything["keys"]) expected.push_back(k["key_id"]);
  EXPECT_EQ(walked, expected);

  for (const char* bad : {"?limit=0", "?limit=1001", "?limit=two"}) {
    SCOPED_TRACE(bad);
    auto r = server_.Get(std::string("/admin/v1/tenants/acme/apikeys") + bad, admin_);
    EXPECT_EQ(r->status, 400);
    EXPECT_EQ(Problem(r)["code"], "invalid_limit");
  }
  auto unknown = server_.Get("/admin/v1/tenants/acme/apikeys?colour=red", admin_);
  EXPECT_EQ(unknown->status, 400);
  EXPECT_EQ(Problem(unknown)["code"], "invalid_parameter");
  auto stranger = server_.Get("/admin/v1/tenants/acme/apikeys?start_after=0000000000000000", admin_);
  EXPECT_EQ(stranger->status, 400);
  EXPECT_EQ(Problem(stranger)["code"], "invalid_parameter");
}

TEST_F(AdminApiTest, AdminBodiesOver64KiBAreRefusedBeforeParsing) {
  // Valid JSON padded with spaces: only the size is wrong.
  auto padded = [](const std::string& json_text, size_t total) {
    return json_text + std::string(total - json_text.size(), ' ');
  };
  auto at_cap = server_.Post("/admin/v1/tenants", padded(R"({"id":"fits"})", 64 << 10), server_.operator_token());
  EXPECT_EQ(at_cap->status, 201) << at_cap->body;
  struct Case {
    const char* name;
    std::string method, path, body;
  };
  const std::vector<Case> cases = {
      {"tenant create", "POST", "/admin/v1/tenants", padded(R"({"id":"big"})", (64 << 10) + 1)},
      {"apikey create", "POST", "/admin/v1/tenants/acme/apikeys", padded(R"({"role":"read"})", 65 << 10)},
      {"quota put", "PUT", "/admin/v1/tenants/acme/quota", padded(R"({"weight":2})", 65 << 10)},
      {"plan put", "PUT", "/admin/v1/plans/gold", padded(R"({"defaults":{"weight":2}})", 65 << 10)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = c.method == "POST" ? server_.Post(c.path, c.body, server_.operator_token())
                                : PutJson(c.path, c.body, server_.operator_token());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413) << r->body;
    EXPECT_EQ(Problem(r)["code"], "payload_too_large");
  }
  EXPECT_EQ(server_.Get("/admin/v1/tenants/big", server_.operator_token())->status, 404);
  EXPECT_EQ(server_.Get("/admin/v1/plans/gold", server_.operator_token())->status, 404);
}

TEST_F(AdminApiTest, JsonDeeperThan64IsMalformedAt64ItParses) {
  const std::string write = server_.CreateKey("acme", "write");
  struct Case {
    const char* name;
    std::string method, path, token;
    std::string prefix, suffix;  // around the nesting; the body's own object is one level
    std::string code_at_64;      // what a body that parses gets
  };
  const std::vector<Case> cases = {
      {"quota put", "PUT", "/admin/v1/tenants/acme/quota", admin_, R"({"weight":)", "}", "invalid_quota"},
      {"apikey create", "POST", "/admin/v1/tenants/acme/apikeys", admin_, R"({"role":)", "}", "invalid_role"},
      {"tenant create", "POST", "/admin/v1/tenants", server_.operator_token(), R"({"id":)", "}",
       "invalid_tenant_id"},
      {"batch", "POST", "/v1/batch", write, R"({"ops":)", "}", "invalid_batch"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto send = [&](size_t depth) {
      const std::string body = c.prefix + Nested(depth - 1) + c.suffix;
      return c.method == "POST" ? server_.Post(c.path, body, c.token) : PutJson(c.path, body, c.token);
    };
    auto deep = send(65);
    ASSERT_TRUE(deep);
    EXPECT_EQ(deep->status, 400) << deep->body;
    EXPECT_EQ(Problem(deep)["code"], "malformed_json");
    EXPECT_NE(Problem(deep)["detail"].get<std::string>().find("64"), std::string::npos) << deep->body;
    auto ok = send(64);
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 400) << ok->body;
    EXPECT_EQ(Problem(ok)["code"], c.code_at_64) << ok->body;
  }
}

TEST_F(AdminApiTest, AnEightMiBNestingNeverBuildsTheDocument) {
  const std::string write = server_.CreateKey("acme", "write");
  const long before = PeakRssKiB(server_.pid());
  ASSERT_GT(before, 0);
  // Just under the default 8 MiB body limit, unterminated: all of it is
  // read, and a parser that builds as it goes makes ~8 million arrays.
  const std::string body((8 << 20) - 1024, '[');
  auto r = server_.Post("/v1/batch", body, write);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_EQ(Problem(r)["code"], "malformed_json");
  auto admin = server_.Post("/admin/v1/tenants/acme/apikeys", std::string(60 << 10, '['), admin_);
  EXPECT_EQ(admin->status, 400) << admin->body;
  // The body itself is held a few times over (socket buffer, request,
  // parser input); the nested document would be hundreds of MiB.
  const long after = PeakRssKiB(server_.pid());
  EXPECT_LT(after - before, 64 << 10) << "peak RSS grew from " << before << " KiB to " << after << " KiB";
}

}  // namespace
}  // namespace tenantkv::testing

// Webhooks against the real server: endpoints per tenant and global, their
// validation (nothing changes on a bad body), the SSRF guard without the
// permissive settings, and delivery end to end to a local receiver that
// checks signatures and drops duplicates: stopped mid-run, then again
// across a server kill and restart, every event arrives, none lost.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing/test_certs.h"
#include "tests/testing/test_server.h"
#include "tests/testing/wait_for.h"
#include "tests/testing/webhook_receiver.h"

namespace tenantkv::testing {
namespace {

using nlohmann::json;

// Deliveries may wait out a retry's backoff: a longer default wait.
bool WaitFor(const std::function<bool()>& ok, int seconds = 30) { return testing::WaitFor(ok, seconds); }

json Body(const httplib::Result& r) { return r ? json::parse(r->body, nullptr, false) : json(); }

void ExpectProblem(const httplib::Result& r, int status, const std::string& code) {
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, status) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/problem+json");
  EXPECT_EQ(Body(r).value("code", ""), code) << r->body;
}

// The settings that let a test point endpoints at 127.0.0.1 over http,
// and retry quickly.
const std::vector<std::string> kPermissive = {"--webhook-allow-http", "--webhook-allow-private-addresses",
                                              "--webhook-retry-base-ms", "100", "--webhook-retry-max-sec", "1"};

class WebhooksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Start();
    server_.CreateTenant("acme");
    server_.CreateTenant("other");
    admin_ = server_.CreateKey("acme", "admin");
    other_admin_ = server_.CreateKey("other", "admin");
  }
  const std::string& op() const { return server_.operator_token(); }

  // Creates an endpoint (tenant `token`'s, or global with the operator's).
  json Create(const std::string& url, const json& events, const std::string& token, bool global = false) {
    auto r = server_.Post(global ? "/admin/v1/webhooks" : "/v1/webhooks",
                          json{{"url", url}, {"events", events}}.dump(), token);
    EXPECT_TRUE(r && r->status == 201) << (r ? r->body : "no answer");
    return Body(r);
  }
  // One quota_request.rejected event of `token`'s tenant: a request filed, then rejected.
  void ProduceEvent(const std::string& token) {
    auto filed = server_.Post("/v1/quota/requests",
                              json{{"fields", {{"requests_per_sec", 900}}}, {"reason", "launch"}}.dump(), token);
    ASSERT_TRUE(filed && filed->status == 201) << (filed ? filed->body : "no answer");
    const std::string rid = Body(filed)["id"];
    auto rejected = server_.Post("/admin/v1/quota-requests/" + rid + "/reject", R"({"comment":"not now"})", op());
    ASSERT_TRUE(rejected && rejected->status == 200) << (rejected ? rejected->body : "no answer");
  }
  json Deliveries(const std::string& wid, const std::string& token, bool global = false) {
    return Body(server_.Get(std::string(global ? "/admin/v1/webhooks/" : "/v1/webhooks/") + wid +
                                "/deliveries?limit=1000",
                            token))["deliveries"];
  }

  TestServer server_{kPermissive};
  std::string admin_, other_admin_;
};

TEST_F(WebhooksTest, CreateListShowDeleteWithTheSecretShownOnce) {
  json made = Create("http://127.0.0.1:9/hook", json::array({"quota.threshold", "key.rotated"}), admin_);
  const std::string wid = made["id"];
  EXPECT_EQ(wid.rfind("wh_", 0), 0u);
  EXPECT_EQ(made["secret"].get<std::string>().rfind("whsec_", 0), 0u);
  EXPECT_EQ(made["tenant"], "acme");
  EXPECT_EQ(made["events"], json::array({"key.rotated", "quota.threshold"}));
  EXPECT_EQ(made["threshold_pct"], 80);

  auto list = server_.Get("/v1/webhooks", admin_);
  ASSERT_EQ(Body(list)["webhooks"].size(), 1u);
  EXPECT_FALSE(Body(list)["webhooks"][0].contains("secret"));
  auto shown = server_.Get("/v1/webhooks/" + wid, admin_);
  ASSERT_EQ(shown->status, 200);
  EXPECT_FALSE(Body(shown).contains("secret"));
  EXPECT_EQ(shown->body.find(made["secret"].get<std::string>()), std::string::npos);
  // The operator reads the tenant's list; the global list is separate.
  EXPECT_EQ(Body(server_.Get("/admin/v1/tenants/acme/webhooks", op()))["webhooks"].size(), 1u);
  EXPECT_EQ(Body(server_.Get("/admin/v1/tenants/acme/webhooks/" + wid, op()))["url"], "http://127.0.0.1:9/hook");
  ExpectProblem(server_.Get("/admin/v1/tenants/other/webhooks/" + wid, op()), 404, "webhook_not_found");
  EXPECT_TRUE(Body(server_.Get("/admin/v1/webhooks", op()))["webhooks"].empty());
  // The audit has the creation, never the secret.
  auto audit = server_.Get("/admin/v1/audit?tenant=acme&limit=1000", op());
  EXPECT_NE(audit->body.find("webhook.create"), std::string::npos);
  EXPECT_EQ(audit->body.find(made["secret"].get<std::string>()), std::string::npos);
  EXPECT_EQ(server_.ReadLog().find(made["secret"].get<std::string>()), std::string::npos);

  EXPECT_EQ(server_.Delete("/v1/webhooks/" + wid, admin_)->status, 204);
  ExpectProblem(server_.Get("/v1/webhooks/" + wid, admin_), 404, "webhook_not_found");
  EXPECT_TRUE(Body(server_.Get("/v1/webhooks", admin_))["webhooks"].empty());
  // The operator may stop a tenant's endpoint.
  const std::string second = Create("http://127.0.0.1:9/hook", json::array({"key.rotated"}), admin_)["id"];
  EXPECT_EQ(server_.Delete("/admin/v1/tenants/acme/webhooks/" + second, op())->status, 204);
  EXPECT_TRUE(Body(server_.Get("/v1/webhooks", admin_))["webhooks"].empty());
}

TEST_F(WebhooksTest, BadBodiesAreRefusedAndChangeNothing) {
  struct Case {
    std::string body, code;
  };
  const std::vector<Case> cases = {
      {"not json", "malformed_json"},
      {R"({"events":["key.rotated"]})", "invalid_webhook_url"},
      {R"({"url":"ftp://127.0.0.1/","events":["key.rotated"]})", "invalid_webhook_url"},
      {R"({"url":"http://user@127.0.0.1/","events":["key.rotated"]})", "invalid_webhook_url"},
      {R"({"url":"http://127.0.0.1:0/","events":["key.rotated"]})", "invalid_webhook_url"},
      {R"({"url":"http://127.0.0.1/#x","events":["key.rotated"]})", "invalid_webhook_url"},
      {R"({"url":"http://127.0.0.1/"})", "invalid_webhook_events"},
      {R"({"url":"http://127.0.0.1/","events":[]})", "invalid_webhook_events"},
      {R"({"url":"http://127.0.0.1/","events":["quota.nope"]})", "invalid_webhook_events"},
      {R"({"url":"http://127.0.0.1/","events":[1]})", "invalid_webhook_events"},
      {R"({"url":"http://127.0.0.1/","events":["quota.threshold"],"threshold_pct":0})", "invalid_webhook_setting"},
      {R"({"url":"http://127.0.0.1/","events":["quota.threshold"],"threshold_pct":101})", "invalid_webhook_setting"},
      {R"({"url":"http://127.0.0.1/","events":["key.rotated"],"threshold_pct":50})", "invalid_webhook_setting"},
      {R"({"url":"http://127.0.0.1/","events":["quota.exhaustion"],"exhaustion_hours":"24"})",
       "invalid_webhook_setting"},
      {R"({"url":"http://127.0.0.1/","events":["quota.throttled"],"throttle_per_min":0})", "invalid_webhook_setting"},
      {R"({"url":"http://127.0.0.1/","events":["key.rotated"],"description":7})", "invalid_description"},
      {R"({"url":"http://127.0.0.1/","events":["key.rotated"],"colour":"red"})", "unknown_field"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    ExpectProblem(server_.Post("/v1/webhooks", c.body, admin_), 400, c.code);
    ExpectProblem(server_.Post("/admin/v1/webhooks", c.body, op()), 400, c.code);
  }
  EXPECT_TRUE(Body(server_.Get("/v1/webhooks", admin_))["webhooks"].empty());
  EXPECT_TRUE(Body(server_.Get("/admin/v1/webhooks", op()))["webhooks"].empty());
  // Only an admin key of the tenant manages its endpoints; the operator uses /admin/v1/webhooks.
  const std::string body = R"({"url":"http://127.0.0.1/","events":["key.rotated"]})";
  ExpectProblem(server_.Post("/v1/webhooks", body, server_.CreateKey("acme", "write")), 403, "insufficient_role");
  ExpectProblem(server_.Post("/v1/webhooks", body, op()), 403, "tenant_token_required");
  ExpectProblem(server_.Post("/admin/v1/webhooks", body, admin_), 403, "operator_only");
}

TEST_F(WebhooksTest, EndpointsPerTenantAreBounded) {
  for (int i = 0; i < 8; ++i) Create("http://127.0.0.1:9/hook", json::array({"key.rotated"}), admin_);
  ExpectProblem(server_.Post("/v1/webhooks", R"({"url":"http://127.0.0.1:9/","events":["key.rotated"]})", admin_),
                409, "webhook_limit");
  Create("http://127.0.0.1:9/hook", json::array({"key.rotated"}), other_admin_);  // another tenant's count is its own
}

TEST(WebhookGuard, HttpAndInternalAddressesAreRefusedWithoutTheSettings) {
  TestServer server;
  server.Start();
  server.CreateTenant("acme");
  const std::string admin = server.CreateKey("acme", "admin");
  const std::vector<std::string> urls = {
      "http://example.com/hook",            // plain http
      "https://127.0.0.1/hook",             // loopback
      "https://localhost:8443/hook",        // a name for loopback
      "https://169.254.169.254/latest",     // the metadata service
      "https://10.0.0.8/hook",              // private
      "https://[::1]/hook",                 // IPv6 loopback
      "https://[::ffff:127.0.0.1]/hook",    // IPv4-mapped loopback
      "https://[fe80::1]/hook",             // IPv6 link-local
      "https://0.0.0.0/hook",               // unspecified
  };
  for (const auto& url : urls) {
    SCOPED_TRACE(url);
    ExpectProblem(server.Post("/v1/webhooks", json{{"url", url}, {"events", json::array({"key.rotated"})}}.dump(), admin), 400,
                  "invalid_webhook_url");
    ExpectProblem(server.Post("/admin/v1/webhooks", json{{"url", url}, {"events", json::array({"key.rotated"})}}.dump(),
                              server.operator_token()),
                  400, "invalid_webhook_url");
  }
  auto list = server.Get("/v1/webhooks", admin);
  EXPECT_TRUE(json::parse(list->body)["webhooks"].empty());
}

TEST_F(WebhooksTest, EveryEventArrivesOnceThroughReceiverDowntimeAndAServerRestart) {
  WebhookReceiver tenant_rx, global_rx, other_rx;
  tenant_rx.Start();
  global_rx.Start();
  other_rx.Start();
  const json events = json::array({"quota_request.rejected", "quota_request.approved"});
  json mine = Create(tenant_rx.url(), events, admin_);
  json global = Create(global_rx.url(), events, op(), /*global=*/true);
  json others = Create(other_rx.url(), events, other_admin_);
  tenant_rx.SetSecret(mine["secret"]);
  global_rx.SetSecret(global["secret"]);
  other_rx.SetSecret(others["secret"]);
  const std::string wid = mine["id"];

  // 1. Up: events arrive, signed.
  for (int i = 0; i < 3; ++i) ProduceEvent(admin_);
  ASSERT_TRUE(WaitFor([&] { return tenant_rx.Events().size() == 3 && global_rx.Events().size() == 3; }))
      << tenant_rx.Events().size() << " and " << global_rx.Events().size();
  for (const auto& [id, body] : tenant_rx.Events()) {
    const json e = json::parse(body);
    EXPECT_EQ(e["type"], "quota_request.rejected");
    EXPECT_EQ(e["tenant"], "acme");
    EXPECT_EQ(e["data"]["comment"], "not now");
    EXPECT_TRUE(e["data"].contains("request"));
    EXPECT_TRUE(e.contains("created_at"));
  }
  EXPECT_EQ(tenant_rx.Events(), global_rx.Events());  // the same event ids and bodies

  // 2. The receiver goes down mid-run; events keep coming and are retried.
  tenant_rx.Stop();
  for (int i = 0; i < 4; ++i) ProduceEvent(admin_);
  ASSERT_TRUE(WaitFor([&] {
    for (const auto& d : Deliveries(wid, admin_)) {
      if (d["state"] == "pending" && d["attempts"].get<int>() > 0 && !d["last_error"].is_null()) return true;
    }
    return false;
  })) << Deliveries(wid, admin_).dump();
  auto metrics = server_.Get("/metrics", op());
  EXPECT_NE(metrics->body.find("tenantkv_webhook_attempt_failures_total"), std::string::npos);
  tenant_rx.Start();
  ASSERT_TRUE(WaitFor([&] { return tenant_rx.Events().size() == 7; })) << tenant_rx.Events().size();

  // 3. Down again, and the server is killed with deliveries still pending:
  //    they are in the outbox, and go out after the restart.
  tenant_rx.Stop();
  for (int i = 0; i < 3; ++i) ProduceEvent(admin_);
  ASSERT_TRUE(WaitFor([&] { return global_rx.Events().size() == 10; }));
  server_.Kill9();
  server_.Start();
  tenant_rx.Start();
  ASSERT_TRUE(WaitFor([&] { return tenant_rx.Events().size() == 10; })) << tenant_rx.Events().size();
  EXPECT_EQ(tenant_rx.Events(), global_rx.Events());
  EXPECT_EQ(tenant_rx.bad_signatures(), 0u);
  EXPECT_EQ(global_rx.bad_signatures(), 0u);

  // Every delivery shows as delivered, none failed.
  ASSERT_TRUE(WaitFor([&] {
    const json ds = Deliveries(wid, admin_);
    if (ds.size() != 10) return false;
    for (const auto& d : ds) {
      if (d["state"] != "delivered") return false;
    }
    return true;
  })) << Deliveries(wid, admin_).dump();
  // Tenant acme's events never went to tenant other's endpoint.
  EXPECT_TRUE(other_rx.Events().empty());
  EXPECT_TRUE(Deliveries(others["id"], other_admin_).empty());
}

// A quota crossing fires once, not at every evaluation, and again only
// after the value fell back below the threshold (with hysteresis).
TEST(WebhookQuotaAlerts, AThresholdCrossingFiresOncePerCrossing) {
  std::vector<std::string> args = kPermissive;
  args.insert(args.end(), {"--webhook-alert-check-sec", "1"});
  TestServer server(args);
  server.Start();
  server.CreateTenant("acme");
  const std::string admin = server.CreateKey("acme", "admin");
  const std::string writer = server.CreateKey("acme", "write");
  ASSERT_EQ(server.Put("/admin/v1/tenants/acme/quota", R"({"storage_bytes":10000})", server.operator_token())->status,
            200);
  WebhookReceiver rx;
  rx.Start();
  auto made = server.Post("/v1/webhooks",
                          json{{"url", rx.url()}, {"events", json::array({"quota.threshold"})}, {"threshold_pct", 50}}
                              .dump(),
                          admin);
  ASSERT_TRUE(made && made->status == 201) << (made ? made->body : "no answer");
  rx.SetSecret(json::parse(made->body)["secret"]);
  auto count = [&] { return rx.Events().size(); };

  ASSERT_EQ(server.Put(KvPath("big"), std::string(6000, 'x'), writer)->status, 201);  // 60%
  ASSERT_TRUE(WaitFor([&] { return count() == 1; })) << count();
  const json e = json::parse(rx.Events().begin()->second);
  EXPECT_EQ(e["type"], "quota.threshold");
  EXPECT_EQ(e["tenant"], "acme");
  EXPECT_GE(e["data"]["used_pct"].get<int>(), 50);
  EXPECT_EQ(e["data"]["limit"], 10000);
  // Still above: a few evaluations later, no second event.
  ASSERT_EQ(server.Put(KvPath("more"), std::string(1000, 'y'), writer)->status, 201);
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_EQ(count(), 1u);
  // Back under 45%, then over again: a second crossing, a second event.
  ASSERT_EQ(server.Delete(KvPath("big"), writer)->status, 204);
  std::this_thread::sleep_for(std::chrono::seconds(3));  // evaluations (every second) see it low and re-arm
  ASSERT_EQ(server.Put(KvPath("big"), std::string(6000, 'x'), writer)->status, 201);
  ASSERT_TRUE(WaitFor([&] { return count() == 2; })) << count();
}

// Over HTTPS, the receiver's certificate is verified against
// --webhook-ca-file for the URL's name; without that CA it is not trusted
// and the delivery waits (no plain-text fallback).
TEST(WebhookTls, DeliversToAVerifiedReceiverAndNotToAnUntrustedOne) {
  char tmpl[] = "/tmp/tkv_hook_pki_XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  TestCerts certs;
  MakeTestCerts(tmpl, &certs);
  WebhookReceiver rx(certs.server_cert, certs.server_key);
  rx.Start();
  TestServer trusting({"--webhook-allow-private-addresses", "--webhook-ca-file", certs.ca_cert,
                       "--webhook-retry-base-ms", "100", "--webhook-retry-max-sec", "1"});
  TestServer untrusting({"--webhook-allow-private-addresses", "--webhook-retry-base-ms", "100"});
  std::string wid_untrusted, admin_untrusted;
  for (TestServer* s : {&trusting, &untrusting}) {
    s->Start();
    s->CreateTenant("acme");
    const std::string admin = s->CreateKey("acme", "admin");
    auto made = s->Post("/v1/webhooks",
                        json{{"url", rx.url()}, {"events", json::array({"quota_request.rejected"})}}.dump(), admin);
    ASSERT_TRUE(made && made->status == 201) << (made ? made->body : "no answer");
    rx.SetSecret(json::parse(made->body)["secret"]);  // the same receiver; the trusting server's counts
    if (s == &untrusting) {
      wid_untrusted = json::parse(made->body)["id"];
      admin_untrusted = admin;
    }
    auto filed = s->Post("/v1/quota/requests", R"({"fields":{"requests_per_sec":900},"reason":"tls"})", admin);
    ASSERT_TRUE(filed && filed->status == 201);
    const std::string rid = json::parse(filed->body)["id"];
    ASSERT_EQ(s->Post("/admin/v1/quota-requests/" + rid + "/reject", "{}", s->operator_token())->status, 200);
    if (s == &trusting) {
      ASSERT_TRUE(WaitFor([&] { return rx.Events().size() == 1; })) << rx.Events().size();
    }
  }
  // The untrusting server's attempts fail on the certificate and stay pending.
  ASSERT_TRUE(WaitFor([&] {
    auto r = untrusting.Get("/v1/webhooks/" + wid_untrusted + "/deliveries", admin_untrusted);
    const json ds = Body(r)["deliveries"];
    return ds.size() == 1 && ds[0]["state"] == "pending" && ds[0]["attempts"].get<int>() >= 1 &&
           ds[0]["last_error"].get<std::string>().find("SSL") != std::string::npos;
  }));
  EXPECT_EQ(rx.Events().size(), 1u);
  EXPECT_EQ(rx.bad_signatures(), 0u);
  rx.Stop();
  std::filesystem::remove_all(tmpl);
}

TEST_F(WebhooksTest, ATenantsEndpointsAreInvisibleToOtherTenants) {
  json theirs = Create("http://127.0.0.1:9/hook", json::array({"quota_request.rejected"}), other_admin_);
  const std::string wid = theirs["id"];
  EXPECT_TRUE(Body(server_.Get("/v1/webhooks", admin_))["webhooks"].empty());
  ExpectProblem(server_.Get("/v1/webhooks/" + wid, admin_), 404, "webhook_not_found");
  ExpectProblem(server_.Get("/v1/webhooks/" + wid + "/deliveries", admin_), 404, "webhook_not_found");
  ExpectProblem(server_.Delete("/v1/webhooks/" + wid, admin_), 404, "webhook_not_found");
  // Nor is a tenant's endpoint one of the operator's global ones.
  ExpectProblem(server_.Get("/admin/v1/webhooks/" + wid, op()), 404, "webhook_not_found");
  ExpectProblem(server_.Get("/admin/v1/tenants/acme/webhooks/" + wid + "/deliveries", op()), 404,
                "webhook_not_found");
  EXPECT_EQ(server_.Get("/v1/webhooks/" + wid, other_admin_)->status, 200);  // still there
}

}  // namespace
}  // namespace tenantkv::testing

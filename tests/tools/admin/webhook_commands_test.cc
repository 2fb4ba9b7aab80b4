// tenantkv-admin webhooks: the requests each command sends, tenant scope
// against global, and what it prints (the secret only at create).
#include "tools/admin/webhook_commands.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tools/admin/command_line.h"

namespace tenantkv::tools {
namespace {

ParsedArgs ParseWebhookArgs(std::vector<const char*> args) {
  args.insert(args.begin(), {"tenantkv-admin", "--server", "http://h:1"});
  return ParseArgs(static_cast<int>(args.size()), args.data());
}

TEST(WebhookCommands, BuildTheDocumentedRequests) {
  WebhookCreateOptions o;
  o.url = "https://hooks.example.com/x";
  o.events = {"quota.threshold"};
  o.threshold_pct = 90;
  struct Case {
    AdminCommand command;
    std::string method, path, body;
  };
  const std::vector<Case> cases = {
      {WebhooksCreate("acme", o), "POST", "/v1/webhooks",
       R"({"url":"https://hooks.example.com/x","events":["quota.threshold"],"threshold_pct":90})"},
      {WebhooksCreate("", o), "POST", "/admin/v1/webhooks",
       R"({"url":"https://hooks.example.com/x","events":["quota.threshold"],"threshold_pct":90})"},
      {WebhooksList("acme"), "GET", "/admin/v1/tenants/acme/webhooks", ""},
      {WebhooksList(""), "GET", "/admin/v1/webhooks", ""},
      {WebhooksShow("acme", "wh_1"), "GET", "/admin/v1/tenants/acme/webhooks/wh_1", ""},
      {WebhooksShow("", "wh 1"), "GET", "/admin/v1/webhooks/wh%201", ""},
      {WebhooksDelete("acme", "wh_1"), "DELETE", "/admin/v1/tenants/acme/webhooks/wh_1", ""},
      {WebhooksDelete("", "wh_1"), "DELETE", "/admin/v1/webhooks/wh_1", ""},
      {WebhooksDeliveries("acme", "wh_1", 5), "GET", "/admin/v1/tenants/acme/webhooks/wh_1/deliveries?limit=5", ""},
      {WebhooksDeliveries("", "wh_1", std::nullopt), "GET", "/admin/v1/webhooks/wh_1/deliveries", ""},
      {WebhooksDeliveries("", "wh_1", 10, "42"), "GET", "/admin/v1/webhooks/wh_1/deliveries?limit=10&start_after=42",
       ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.path);
    EXPECT_EQ(c.command.request.method, c.method);
    EXPECT_EQ(c.command.request.path, c.path);
    EXPECT_EQ(c.command.request.body ? c.command.request.body->dump() : "", c.body);
  }
}

TEST(WebhookCommands, CommandLineTakesRepeatedEventsAndTheTenant) {
  ParsedArgs p = ParseWebhookArgs({"webhooks", "create", "--tenant", "acme", "--url", "https://h.example.com/",
                                   "--event", "key.rotated", "--event", "quota.throttled", "--throttle-per-min", "10"});
  ASSERT_TRUE(p.invocation) << p.output;
  EXPECT_EQ(p.invocation->command.request.path, "/v1/webhooks");
  EXPECT_EQ(p.invocation->command.request.body->dump(),
            R"({"url":"https://h.example.com/","events":["key.rotated","quota.throttled"],"throttle_per_min":10})");
  p = ParseWebhookArgs({"webhooks", "deliveries", "wh_1"});
  ASSERT_TRUE(p.invocation) << p.output;
  EXPECT_EQ(p.invocation->command.request.path, "/admin/v1/webhooks/wh_1/deliveries");
  p = ParseWebhookArgs({"webhooks", "create", "--url", "https://h.example.com/"});
  EXPECT_FALSE(p.invocation);  // --event is required
  EXPECT_EQ(p.exit_code, 2);
}

TEST(WebhookCommands, CreatePrintsTheSecretOnceAndListsDoNot) {
  const Json made = Json::parse(R"({"id":"wh_1","tenant":"acme","url":"https://h/","events":["key.rotated"],
      "secret":"whsec_abc","created_at":"2026-12-06T17:00:00Z"})");
  const std::string text = WebhooksCreate("acme", {}).render(made);
  EXPECT_NE(text.find("whsec_abc"), std::string::npos);
  EXPECT_EQ(text.find("whsec_abc"), text.rfind("whsec_abc"));  // once
  EXPECT_NE(text.find("key.rotated"), std::string::npos);
  const std::string list = WebhooksList("acme").render(Json{{"webhooks", Json::array({made})}});
  EXPECT_NE(list.find("wh_1"), std::string::npos);
  EXPECT_EQ(list.find("whsec_abc"), std::string::npos);
  const std::string deliveries = WebhooksDeliveries("", "wh_1", std::nullopt)
                                     .render(Json::parse(R"({"deliveries":[{"seq":3,"event_id":"evt_1",
      "type":"key.rotated","state":"pending","attempts":2,"last_status":503,"last_error":"http 503",
      "next_attempt_at":"2026-12-06T17:00:04Z"}],"next":"3"})"));
  EXPECT_NE(deliveries.find("http 503"), std::string::npos);
  EXPECT_NE(deliveries.find("--start-after 3"), std::string::npos);
}

}  // namespace
}  // namespace tenantkv::tools

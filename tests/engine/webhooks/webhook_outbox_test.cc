// The webhook outbox and endpoint store in a real engine (RocksDB in a temp
// dir, a fake clock): backoff, persistence across a reopen, bounds,
// round-robin, the audit entries that become events, and secrets that
// survive a master-key rotation.
#include "engine/webhooks/webhook_outbox.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

#include "engine/webhooks/webhook_event.h"
#include "tests/testing/test_util.h"

namespace tenantkv::engine::testutil {
namespace {

using nlohmann::json;

TEST(WebhookBackoff, DoublesFromTheBaseUpToTheCapWithJitterBelow) {
  struct Case {
    int attempts;
    int64_t want;  // with no jitter
  };
  const Case cases[] = {{1, 1000}, {2, 2000}, {3, 4000}, {4, 8000}, {10, 512'000}, {11, 600'000}, {50, 600'000}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.attempts);
    EXPECT_EQ(WebhookBackoffMs(c.attempts, 1000, 600'000, 0.0), c.want);
    // Jitter lowers it by up to half, never more, never above.
    const int64_t jittered = WebhookBackoffMs(c.attempts, 1000, 600'000, 0.999);
    EXPECT_GT(jittered, c.want / 2);
    EXPECT_LE(jittered, c.want);
    EXPECT_EQ(WebhookBackoffMs(c.attempts, 1000, 600'000, 0.5), c.want - c.want / 4);
  }
}

class WebhookOutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h_.options().webhook_outbox.max_pending_per_endpoint = 5;
    h_.options().webhook_outbox.max_finished_per_endpoint = 3;
    h_.options().webhook_outbox.max_attempts = 3;
    ASSERT_TRUE(h_.Open());
    ASSERT_TRUE(h_->CreateTenant("acme", "standard").ok());
    ASSERT_TRUE(h_->CreateTenant("other", "standard").ok());
  }
  std::string MakeEndpoint(const std::string& tenant, std::vector<std::string> events) {
    WebhookEndpoint e;
    e.tenant = tenant;
    e.url = "https://hooks.example.com/" + tenant;
    e.events = std::move(events);
    auto made = h_->CreateWebhook(e);
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    return made.ok() ? made->endpoint.id : "";
  }
  NewDelivery News(const std::string& endpoint, const std::string& event_id) {
    return {endpoint, "acme", event_id, kEventKeyRotated, R"({"id":")" + event_id + "\"}"};
  }
  EngineHarness h_;
};

TEST_F(WebhookOutboxTest, PendingDeliveriesSurviveAReopenWithTheirAttempts) {
  const std::string wid = MakeEndpoint("acme", {kEventKeyRotated});
  ASSERT_TRUE(h_->webhook_outbox().Enqueue({News(wid, "evt_1"), News(wid, "evt_2")}).ok());
  auto due = h_->webhook_outbox().Due(h_.clock().NowUnixMillis(), 10);
  ASSERT_EQ(due.size(), 2u);
  auto after = h_->webhook_outbox().RecordAttempt(wid, due[0].seq, {false, 503, "http 503"}, 0.0);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->next_attempt_ms, h_.clock().NowUnixMillis() + 1000);
  ASSERT_TRUE(h_->webhook_outbox().RecordAttempt(wid, due[1].seq, {true, 200, ""}, 0.0).ok());

  ASSERT_TRUE(h_.Open());  // reopen: everything from storage
  const DeliveryPage page = h_->webhook_outbox().List(wid, 0, 10);
  ASSERT_EQ(page.deliveries.size(), 2u);
  EXPECT_EQ(page.deliveries[0].event_id, "evt_1");
  EXPECT_EQ(page.deliveries[0].state, DeliveryState::kPending);
  EXPECT_EQ(page.deliveries[0].attempts, 1);
  EXPECT_EQ(page.deliveries[0].last_status, 503);
  EXPECT_EQ(page.deliveries[0].last_error, "http 503");
  EXPECT_EQ(page.deliveries[1].state, DeliveryState::kDelivered);
  // Not due before its backoff; due after it.
  EXPECT_TRUE(h_->webhook_outbox().Due(h_.clock().NowUnixMillis(), 10).empty());
  h_.clock().AdvanceMillis(1000);
  ASSERT_EQ(h_->webhook_outbox().Due(h_.clock().NowUnixMillis(), 10).size(), 1u);
  // New seqs continue past the reloaded ones.
  ASSERT_TRUE(h_->webhook_outbox().Enqueue({News(wid, "evt_3")}).ok());
  EXPECT_GT(h_->webhook_outbox().List(wid, 0, 10).deliveries.back().seq, page.deliveries[1].seq);
  // The secret still unwraps.
  EXPECT_TRUE(h_->webhooks().Secret(wid).ok());
}

TEST_F(WebhookOutboxTest, GivesUpAfterMaxAttemptsAndKeepsFewFinished) {
  const std::string wid = MakeEndpoint("acme", {kEventKeyRotated});
  ASSERT_TRUE(h_->webhook_outbox().Enqueue({News(wid, "evt_1")}).ok());
  const uint64_t seq = h_->webhook_outbox().List(wid, 0, 1).deliveries[0].seq;
  for (int i = 0; i < 3; ++i) {
    auto d = h_->webhook_outbox().RecordAttempt(wid, seq, {false, 0, "connect: Connection"}, 0.0);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->state, i < 2 ? DeliveryState::kPending : DeliveryState::kFailed);
  }
  EXPECT_EQ(h_->webhook_outbox().Stats().failed_total, 1u);
  EXPECT_EQ(h_->webhook_outbox().RecordAttempt(wid, seq, {true, 200, ""}, 0.0).status().code(), Code::kNotFound);
  // Of the finished ones only the newest 3 stay.
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(h_->webhook_outbox().Enqueue({News(wid, "evt_x" + std::to_string(i))}).ok());
    const uint64_t s = h_->webhook_outbox().List(wid, 0, 100).deliveries.back().seq;
    ASSERT_TRUE(h_->webhook_outbox().RecordAttempt(wid, s, {true, 204, ""}, 0.0).ok());
  }
  const auto left = h_->webhook_outbox().List(wid, 0, 100).deliveries;
  ASSERT_EQ(left.size(), 3u);
  EXPECT_EQ(left.back().event_id, "evt_x3");
}

TEST_F(WebhookOutboxTest, PendingCapDropsNewEventsAndCountsThem) {
  const std::string wid = MakeEndpoint("acme", {kEventKeyRotated});
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(h_->webhook_outbox().Enqueue({News(wid, "evt_" + std::to_string(i))}).ok());
  const auto kept = h_->webhook_outbox().List(wid, 0, 100).deliveries;
  ASSERT_EQ(kept.size(), 5u);
  EXPECT_EQ(kept.front().event_id, "evt_0");
  EXPECT_EQ(kept.back().event_id, "evt_4");
  EXPECT_EQ(h_->webhook_outbox().Stats().dropped_total, 2u);
  EXPECT_EQ(h_->webhook_outbox().Stats().pending, 5u);
}

TEST_F(WebhookOutboxTest, DueInterleavesEndpointsRoundRobin) {
  const std::string a = MakeEndpoint("acme", {kEventKeyRotated});
  const std::string b = MakeEndpoint("other", {kEventKeyRotated});
  ASSERT_TRUE(h_->webhook_outbox().Enqueue({News(a, "a1"), News(a, "a2"), News(a, "a3"), News(b, "b1")}).ok());
  const auto due = h_->webhook_outbox().Due(h_.clock().NowUnixMillis(), 2);
  ASSERT_EQ(due.size(), 3u);  // two of a's, one of b's
  EXPECT_NE(due[0].endpoint, due[1].endpoint);  // one of each endpoint first
  EXPECT_EQ(due[2].event_id, "a2");
}

TEST_F(WebhookOutboxTest, AuditEntriesThatAreAlertsQueueEventsForTheirTenantOnly) {
  const std::string mine = MakeEndpoint("acme", {kEventRequestRejected});
  const std::string theirs = MakeEndpoint("other", {kEventRequestRejected});
  const std::string rotations = MakeEndpoint("acme", {kEventKeyRotated});
  WebhookEndpoint g;
  g.events = {kEventRequestRejected, kEventRequestApproved};
  g.url = "https://ops.example.com/";
  auto global = h_->CreateWebhook(g);
  ASSERT_TRUE(global.ok());
  ASSERT_TRUE(h_->audit().Append("operator", "quota_request.reject", "acme", R"({"request":"qr_1"})").ok());
  // An approval that only recorded a first approval (four eyes) is no event.
  ASSERT_TRUE(h_->audit().Append("operator", "quota_request.approve", "acme", R"({"applied":false})").ok());
  ASSERT_TRUE(h_->audit().Append("operator", "tenant.create", "acme", "{}").ok());
  const auto got = h_->webhook_outbox().List(mine, 0, 10).deliveries;
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].type, kEventRequestRejected);
  const json body = json::parse(got[0].body);
  EXPECT_EQ(body["type"], kEventRequestRejected);
  EXPECT_EQ(body["tenant"], "acme");
  EXPECT_EQ(body["data"]["request"], "qr_1");
  EXPECT_EQ(body["data"]["actor"], "operator");
  EXPECT_EQ(body["id"], got[0].event_id);
  EXPECT_TRUE(h_->webhook_outbox().List(theirs, 0, 10).deliveries.empty());
  EXPECT_TRUE(h_->webhook_outbox().List(rotations, 0, 10).deliveries.empty());
  const auto global_got = h_->webhook_outbox().List(global->endpoint.id, 0, 10).deliveries;
  ASSERT_EQ(global_got.size(), 1u);
  EXPECT_EQ(global_got[0].event_id, got[0].event_id);  // one event, one id for every endpoint
}

TEST_F(WebhookOutboxTest, SecretsSurviveAMasterKeyRotationAndGoWithTheirTenant) {
  const std::string wid = MakeEndpoint("acme", {kEventKeyRotated});
  ASSERT_TRUE(h_->webhook_outbox().Enqueue({News(wid, "evt_1")}).ok());
  auto before = h_->webhooks().Secret(wid);
  ASSERT_TRUE(before.ok());
  auto rotated = h_->master_key().Rotate();
  ASSERT_TRUE(rotated.ok()) << rotated.status().ToString();
  ASSERT_FALSE(rotated->retired.empty());
  auto after = h_->webhooks().Secret(wid);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_TRUE(before->Equals(*after));
  ASSERT_TRUE(h_->DeleteTenant("acme").ok());
  EXPECT_EQ(h_->webhooks().Get(wid).status().code(), Code::kNotFound);
  EXPECT_TRUE(h_->webhook_outbox().List(wid, 0, 10).deliveries.empty());
}

TEST_F(WebhookOutboxTest, EndpointsPerTenantAreBounded) {
  for (size_t i = 0; i < WebhookLimits().max_per_tenant; ++i) MakeEndpoint("acme", {kEventKeyRotated});
  WebhookEndpoint e;
  e.tenant = "acme";
  e.url = "https://x.example.com/";
  e.events = {kEventKeyRotated};
  EXPECT_EQ(h_->CreateWebhook(e).status().reason(), "webhook_limit");
  e.tenant = "nobody";
  EXPECT_EQ(h_->CreateWebhook(e).status().code(), Code::kNotFound);
}

TEST(WebhookSignature, IsHmacSha256OfTimestampDotBody) {
  // printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
  auto sig = WebhookSignature("whsec_test", 1700000000, R"({"a":1})");
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(*sig, "v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789");
}

TEST(WebhookEventBody, HasTheDocumentedShape) {
  const json b = json::parse(WebhookEventBody("evt_1", kEventGraceStart, 1'790'000'000'123, "", R"({"x":1})"));
  EXPECT_EQ(b["id"], "evt_1");
  EXPECT_EQ(b["type"], "storage.grace.start");
  EXPECT_EQ(b["created_at"], "2026-09-21T14:13:20.123Z");
  EXPECT_TRUE(b["tenant"].is_null());
  EXPECT_EQ(b["data"]["x"], 1);
}

}  // namespace
}  // namespace tenantkv::engine::testutil

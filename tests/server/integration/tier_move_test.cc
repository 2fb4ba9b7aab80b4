// Online tier moves through the admin API (POST /admin/v1/tenants/{id}/tier):
// the contract (202 and the tenant with tier_move, 200 in place, 409
// move_in_progress, bad bodies, the audit entries); writes in the switch
// answered 503 tenant_moving with Retry-After while reads go on; kill -9 at
// each step of a move, then a restart that rolls it back with every
// acknowledged write readable; and moves there and back while a writer runs.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <thread>

#include "tests/testing/stop_and_join.h"
#include "tests/testing/test_server.h"

namespace tenantkv::testing {
namespace {

using nlohmann::json;

json Tenant(const TestServer& s, const std::string& id) {
  auto r = s.Get("/admin/v1/tenants/" + id, s.operator_token());
  EXPECT_TRUE(r);
  if (!r) return json::object();
  EXPECT_EQ(r->status, 200) << r->body;
  return json::parse(r->body, nullptr, false);
}

httplib::Result Move(const TestServer& s, const std::string& id, const std::string& body,
                     const std::string& token = "") {
  return s.Post("/admin/v1/tenants/" + id + "/tier", body, token.empty() ? s.operator_token() : token);
}

// Waits (bounded) until the tenant's tier_move is in `state`.
bool WaitForMoveState(const TestServer& s, const std::string& id, const std::string& state) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    json t = Tenant(s, id);
    if (t.contains("tier_move") && t["tier_move"]["state"] == state) return true;
    if (t.contains("tier_move") && t["tier_move"]["state"] == "failed") {
      ADD_FAILURE() << "the move failed: " << t.dump();
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ADD_FAILURE() << "the move of " << id << " never reached " << state << ": " << Tenant(s, id).dump();
  return false;
}

std::string Code(const httplib::Result& r) {
  if (!r) return "no answer";
  json j = json::parse(r->body, nullptr, false);
  return j.is_object() && j.contains("code") ? j["code"].get<std::string>() : std::to_string(r->status);
}

int Audited(const TestServer& s, const std::string& id, const std::string& action) {
  auto r = s.Get("/admin/v1/audit?tenant=" + id + "&limit=1000", s.operator_token());
  if (!r) return -1;
  int n = 0;
  const json page = json::parse(r->body);
  for (const auto& e : page["entries"]) n += e["action"] == action;
  return n;
}

TEST(TierMoveApi, MovesATenantAndAnswersTheContract) {
  TestServer server;
  server.Start();
  server.CreateTenant("acme", "pooled");
  server.CreateTenant("other", "pooled");
  const std::string key = server.CreateKey("acme", "write");
  const std::string other_admin = server.CreateKey("other", "admin");
  for (int i = 0; i < 50; ++i) {
    auto r = server.Put("/v1/kv/k" + std::to_string(i), "v" + std::to_string(i), key);
    ASSERT_TRUE(r && r->status < 300);
  }

  // Bad bodies change nothing.
  EXPECT_EQ(Code(Move(server, "acme", R"({"tier":"own_disk"})")), "unknown_tier");
  EXPECT_EQ(Code(Move(server, "acme", R"({"tier":5})")), "invalid_field");
  EXPECT_EQ(Code(Move(server, "acme", R"({})")), "invalid_field");
  EXPECT_EQ(Code(Move(server, "acme", R"({"tier":"pooled","x":1})")), "unknown_field");
  EXPECT_EQ(Code(Move(server, "acme", R"({"tier":)")), "malformed_json");
  EXPECT_EQ(Code(Move(server, "nobody", R"({"tier":"pooled"})")), "tenant_not_found");
  // Only an operator moves tenants: not the tenant's own admin key, nor another's.
  EXPECT_EQ(Move(server, "other", R"({"tier":"column_family"})", other_admin)->status, 403);
  EXPECT_EQ(Move(server, "acme", R"({"tier":"column_family"})", other_admin)->status, 403);
  EXPECT_FALSE(Tenant(server, "acme").contains("tier_move"));

  // Already there: 200, nothing started.
  auto same = Move(server, "acme", R"({"tier":"pooled"})");
  ASSERT_TRUE(same);
  EXPECT_EQ(same->status, 200) << same->body;
  EXPECT_FALSE(json::parse(same->body).contains("tier_move"));

  auto moved = Move(server, "acme", R"({"tier":"column_family"})");
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->status, 202) << moved->body;
  json body = json::parse(moved->body);
  EXPECT_EQ(body["tier_move"]["to"], "column_family");
  EXPECT_TRUE(body["tier_move"]["copied_keys"].is_number_integer());
  ASSERT_TRUE(WaitForMoveState(server, "acme", "done"));
  json t = Tenant(server, "acme");
  EXPECT_EQ(t["tier"], "column_family");
  EXPECT_EQ(t["tier_move"]["copied_keys"], 50);
  EXPECT_TRUE(t["tier_move"].contains("ended_at"));
  EXPECT_EQ(t["usage"]["keys"], 50);
  for (int i = 0; i < 50; ++i) {
    auto r = server.Get("/v1/kv/k" + std::to_string(i), key);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "v" + std::to_string(i));
  }
  auto filtered = server.Get("/admin/v1/tenants?tier=column_family", server.operator_token());
  ASSERT_TRUE(filtered);
  EXPECT_NE(filtered->body.find("\"acme\""), std::string::npos);
  EXPECT_EQ(Audited(server, "acme", "tenant.tier_move"), 1);
  // Appended by the mover once the switch is recorded: moments later.
  for (int i = 0; i < 250 && Audited(server, "acme", "tenant.tier_move.done") == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(Audited(server, "acme", "tenant.tier_move.done"), 1);
  // The neighbour saw nothing.
  EXPECT_EQ(Tenant(server, "other")["tier"], "pooled");
  EXPECT_FALSE(Tenant(server, "other").contains("tier_move"));
}

TEST(TierMoveApi, WritesInTheSwitchGet503TenantMovingAndASecondMove409) {
  TestServer server({"--test-hold-tier-move", "switching"});
  server.Start();
  server.CreateTenant("acme", "column_family");
  server.CreateTenant("other", "column_family");
  const std::string key = server.CreateKey("acme", "write");
  const std::string other_key = server.CreateKey("other", "write");
  ASSERT_EQ(server.Put("/v1/kv/a", "1", key)->status, 201);
  ASSERT_EQ(Move(server, "acme", R"({"tier":"pooled"})")->status, 202);
  ASSERT_TRUE(WaitForMoveState(server, "acme", "switching"));
  EXPECT_EQ(Code(Move(server, "acme", R"({"tier":"pooled"})")), "move_in_progress");
  EXPECT_EQ(Move(server, "acme", R"({"tier":"pooled"})")->status, 409);
  auto refused = server.Put("/v1/kv/a", "2", key);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(Code(refused), "tenant_moving");
  EXPECT_EQ(refused->get_header_value("Retry-After"), "1");
  EXPECT_EQ(server.Get("/v1/kv/a", key)->body, "1") << "reads go on";
  EXPECT_EQ(server.Put("/v1/kv/a", "x", other_key)->status, 201) << "another tenant writes as usual";
  auto metrics = server.Get("/metrics", server.operator_token());
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("tenant_moving"), std::string::npos) << "the refusal is counted";
}

// kill -9 while a move waits at `step`; the restart rolls it back, and
// every acknowledged write of a writer that ran until the kill is there.
void KillAt(const std::string& step, const std::string& from, const std::string& to) {
  SCOPED_TRACE(step + " " + from + " -> " + to);
  TestServer server({"--test-hold-tier-move", step});
  server.Start();
  server.CreateTenant("acme", from);
  server.CreateTenant("other", from);
  const std::string key = server.CreateKey("acme", "write");
  const std::string other_key = server.CreateKey("other", "write");
  std::map<std::string, std::string> acked;
  for (int i = 0; i < 200; ++i) {
    const std::string k = "k" + std::to_string(i);
    auto r = server.Put("/v1/kv/" + k, "v" + std::to_string(i), key);
    ASSERT_TRUE(r && r->status == 201);
    acked[k] = "v" + std::to_string(i);
    ASSERT_EQ(server.Put("/v1/kv/" + k, "other", other_key)->status, 201);
  }
  ASSERT_EQ(Move(server, "acme", json{{"tier", to}}.dump())->status, 202);
  ASSERT_TRUE(WaitForMoveState(server, "acme", step == "copying" ? "copying" : "switching"));
  if (step == "copying") {
    // Writes during the copy are acknowledged as usual.
    for (int i = 0; i < 20; ++i) {
      auto r = server.Put("/v1/kv/k" + std::to_string(i), "during", key);
      ASSERT_TRUE(r && r->status == 204) << (r ? r->body : "no answer");
      acked["k" + std::to_string(i)] = "during";
    }
  } else {
    EXPECT_EQ(Code(server.Put("/v1/kv/k0", "refused", key)), "tenant_moving");
  }
  server.Kill9();
  server.Start();
  json t = Tenant(server, "acme");
  EXPECT_EQ(t["tier"], from) << t.dump();
  EXPECT_EQ(t["tier_move"]["state"], "failed") << t.dump();
  EXPECT_EQ(t["usage"]["keys"], 200);
  for (const auto& [k, v] : acked) {
    auto r = server.Get("/v1/kv/" + k, key);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << k;
    EXPECT_EQ(r->body, v) << k;
    EXPECT_EQ(server.Get("/v1/kv/" + k, other_key)->body, "other");
  }
  EXPECT_EQ(server.Put("/v1/kv/k0", "after", key)->status, 204) << "writes work again";
}

TEST(TierMoveApi, Kill9WhileCopyingRollsBackAtRestart) {
  KillAt("copying", "pooled", "column_family");
  KillAt("copying", "column_family", "pooled");
}

TEST(TierMoveApi, Kill9InTheSwitchRollsBackAtRestart) {
  KillAt("switching", "pooled", "column_family");
  KillAt("switched", "column_family", "pooled");
}

// Into and out of a database of the tenant's own: the counters follow the
// data, and a kill leaves the tenant where it was.
TEST(TierMoveApi, Kill9AtEachStepOfAMoveIntoOrOutOfDedicatedRollsBack) {
  KillAt("copying", "pooled", "dedicated");
  KillAt("copying", "dedicated", "column_family");
  KillAt("switching", "column_family", "dedicated");
  KillAt("switched", "dedicated", "pooled");
  KillAt("switched", "pooled", "dedicated");
}

// A dedicated tenant opened lazily after a clean stop, written, then killed:
// its usage is read from its own database at the next start.
TEST(TierMoveApi, ADedicatedTenantsUsageIsExactAfterACleanStopThenAKill) {
  TestServer server;
  server.Start();
  server.CreateTenant("vault", "dedicated");
  const std::string key = server.CreateKey("vault", "write");
  for (int i = 0; i < 10; ++i) ASSERT_EQ(server.Put("/v1/kv/a" + std::to_string(i), "v", key)->status, 201);
  ASSERT_EQ(server.Terminate(), 0);
  server.Start();
  EXPECT_EQ(Tenant(server, "vault")["usage"]["keys"], 10) << "known before its database opens";
  for (int i = 0; i < 5; ++i) ASSERT_EQ(server.Put("/v1/kv/b" + std::to_string(i), "v", key)->status, 201);
  server.Kill9();
  server.Start();
  EXPECT_EQ(Tenant(server, "vault")["usage"]["keys"], 15);
  EXPECT_EQ(server.Get("/v1/kv/b4", key)->body, "v");
}

TEST(TierMoveApi, ThereAndBackWhileAWriterRunsLosesNoAcknowledgedWrite) {
  TestServer server({"--tier-move-keys-per-sec", "4000"});
  server.Start();
  server.CreateTenant("acme", "pooled");
  const std::string key = server.CreateKey("acme", "write");
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(server.Put("/v1/kv/base" + std::to_string(i), "b", key)->status, 201);
  }
  std::atomic<bool> stop{false};
  std::atomic<int> refused{0};
  std::map<std::string, std::string> acked;
  std::string failure;
  std::thread writer([&] {
    auto cli = server.Client();
    for (int64_t seq = 0; !stop.load(); ++seq) {
      const std::string k = "w" + std::to_string(seq % 100);
      const std::string v = "v" + std::to_string(seq);
      auto r = cli->Put("/v1/kv/" + k, {{"Authorization", "Bearer " + key}}, v, "application/octet-stream");
      if (!r) {
        failure = "no answer";
        return;
      }
      if (r->status == 503 && Code(r) == "tenant_moving") {
        ++refused;
        continue;
      }
      if (r->status == 429) {  // the plan's request rate: wait, as a client would
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      if (r->status != 204 && r->status != 201) {
        failure = std::to_string(r->status) + " " + r->body;
        return;
      }
      acked[k] = v;
    }
  });
  // A failed ASSERT below returns with the writer running: it is stopped
  // and joined on every way out (else std::thread's destructor ends the
  // process, leaving the server it started).
  const StopAndJoin stop_writer{stop, writer};
  for (const char* to : {"column_family", "dedicated", "pooled"}) {
    ASSERT_EQ(Move(server, "acme", json{{"tier", to}}.dump())->status, 202);
    ASSERT_TRUE(WaitForMoveState(server, "acme", "done"));
    EXPECT_EQ(Tenant(server, "acme")["tier"], to);
  }
  stop = true;
  writer.join();  // acked and failure are the writer's until it has ended
  ASSERT_EQ(failure, "");
  EXPECT_GT(acked.size(), 0u);
  for (const auto& [k, v] : acked) {
    auto r = server.Get("/v1/kv/" + k, key);
    for (int tries = 0; r && r->status == 429 && tries < 100; ++tries) {  // the plan's request rate
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      r = server.Get("/v1/kv/" + k, key);
    }
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, v) << k;
  }
  EXPECT_EQ(Tenant(server, "acme")["usage"]["keys"], 1000 + static_cast<int>(acked.size()));
}

}  // namespace
}  // namespace tenantkv::testing

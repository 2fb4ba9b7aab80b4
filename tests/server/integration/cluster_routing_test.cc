// Any node serves any request: a real etcd and three real nodes on
// loopback. Tenants are placed on a node, their requests go to it from
// every node (forwarded once), answers name it in Tenantkv-Node, and one
// tenant's token reaches nothing of another through forwarding. The nodes
// share one operator token, as the operator of a cluster has one.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing/cluster_nodes.h"
#include "tests/testing/etcd_process.h"
#include "tests/testing/test_server.h"
#include "tests/testing/wait_for.h"

namespace tenantkv::testing {
namespace {

using json = nlohmann::json;

constexpr const char* kToken = kClusterToken;

class ClusterRoutingTest : public ClusterNodesTest {
 protected:
  // Creates `tenant` through node `via`, on node `on` ("" = placed by the cluster).
  json Create(const std::string& via, const std::string& tenant, const std::string& on = "") {
    json body = {{"id", tenant}};
    if (!on.empty()) body["node"] = on;
    auto r = Node(via).Post("/admin/v1/tenants", body.dump(), kToken);
    EXPECT_TRUE(r);
    if (!r) return json();
    EXPECT_EQ(r->status, 201) << r->body;
    const json created = json::parse(r->body, nullptr, false);
    EXPECT_EQ(r->get_header_value("Tenantkv-Node"), created.value("node", "?"));
    return created;
  }
  // A key of `tenant` made through node `via`.
  std::string Key(const std::string& via, const std::string& tenant, const std::string& role = "write") {
    auto r = Node(via).Post("/admin/v1/tenants/" + tenant + "/apikeys", json{{"role", role}}.dump(), kToken);
    EXPECT_TRUE(r);
    if (!r) return "";
    EXPECT_EQ(r->status, 201) << r->body;
    return json::parse(r->body, nullptr, false).value("token", "");
  }
  static std::string CodeOf(const httplib::Result& r) {
    return r ? json::parse(r->body, nullptr, false).value("code", "") : "";
  }

};

TEST_F(ClusterRoutingTest, CreatePlacesTheTenantOnTheNodeNamedOrByPolicy) {
  EXPECT_EQ(Create("n1", "on-two", "n2")["node"], "n2");
  // Every node shows it, held by n2.
  for (const char* via : {"n1", "n2", "n3"}) {
    SCOPED_TRACE(via);
    auto r = Node(via).Get("/admin/v1/tenants/on-two", kToken);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(json::parse(r->body)["node"], "n2");
    EXPECT_EQ(r->get_header_value("Tenantkv-Node"), "n2");
  }
  // Placed by policy: the fewest bytes, then the fewest tenants. n2 holds
  // one tenant, and the nodes' loads reach etcd at their renewals.
  ASSERT_TRUE(WaitFor([&] {
    auto r = Node("n1").Get("/admin/v1/cluster", kToken);
    return r && r->status == 200 && json::parse(r->body)["nodes"][1]["tenants"] == 1;
  }, 10));
  const std::string placed = Create("n2", "placed")["node"];
  EXPECT_TRUE(placed == "n1" || placed == "n3") << placed;
  // Tenant ids are unique in the cluster, whichever node is asked.
  for (const char* via : {"n1", "n2", "n3"}) {
    auto r = Node(via).Post("/admin/v1/tenants", R"({"id":"on-two","node":"n3"})", kToken);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 409) << via << " " << r->body;
    EXPECT_EQ(CodeOf(r), "tenant_exists");
  }
  auto unknown = Node("n1").Post("/admin/v1/tenants", R"({"id":"nowhere","node":"n9"})", kToken);
  EXPECT_EQ(unknown->status, 400);
  EXPECT_EQ(CodeOf(unknown), "unknown_node");
  auto bad = Node("n1").Post("/admin/v1/tenants", R"({"id":"bad","node":7})", kToken);
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(Node("n1").Get("/admin/v1/tenants/nowhere", kToken)->status, 404);
}

TEST_F(ClusterRoutingTest, EveryNodeServesEveryTenantThroughItsOwner) {
  std::map<std::string, std::string> token;  // tenant -> key, made through another node
  for (const auto& [tenant, owner, via] : std::vector<std::array<std::string, 3>>{
           {"t1", "n1", "n2"}, {"t2", "n2", "n3"}, {"t3", "n3", "n1"}}) {
    Create(via, tenant, owner);
    token[tenant] = Key(via, tenant);
  }
  const std::map<std::string, std::string> owner = {{"t1", "n1"}, {"t2", "n2"}, {"t3", "n3"}};
  for (const auto& [via, server] : nodes_) {
    for (const auto& [tenant, key] : token) {
      SCOPED_TRACE(via + " " + tenant);
      auto put = server->Put("/v1/kv/from-" + via, tenant + "@" + via, key);
      ASSERT_TRUE(put);
      EXPECT_EQ(put->status, 201) << put->body;
      EXPECT_EQ(put->get_header_value("Tenantkv-Node"), owner.at(tenant));
      auto get = server->Get("/v1/kv/from-" + via, key, {{"X-Request-Id", "trace-" + via + "-" + tenant}});
      ASSERT_TRUE(get);
      EXPECT_EQ(get->status, 200);
      EXPECT_EQ(get->body, tenant + "@" + via);
      EXPECT_EQ(get->get_header_value("Tenantkv-Node"), owner.at(tenant));
      EXPECT_EQ(get->get_header_value("X-Request-Id"), "trace-" + via + "-" + tenant);
      EXPECT_EQ(get->get_header_value_count("X-Request-Id"), 1u);
    }
  }
  // Each owner holds all three writes of its tenant, and only its own.
  for (const auto& [tenant, key] : token) {
    auto list = Node(owner.at(tenant)).Get("/v1/kv?prefix=from-", key);
    ASSERT_EQ(list->status, 200);
    EXPECT_EQ(json::parse(list->body)["items"].size(), 3u) << tenant;
    auto usage = Node("n1").Get("/v1/usage", key);
    ASSERT_EQ(usage->status, 200) << usage->body;
  }
}

TEST_F(ClusterRoutingTest, NoTenantReachesAnotherThroughForwarding) {
  Create("n1", "alpha", "n1");
  Create("n1", "beta", "n2");
  const std::string alpha = Key("n3", "alpha");
  const std::string alpha_admin = Key("n3", "alpha", "admin");
  const std::string beta = Key("n3", "beta");
  ASSERT_EQ(Node("n2").Put("/v1/kv/secret", "beta's", beta)->status, 201);
  // A forged token: beta's key id with another secret.
  std::string forged = beta;
  forged.back() = forged.back() == '0' ? '1' : '0';
  for (const auto& [via, server] : nodes_) {
    SCOPED_TRACE(via);
    // alpha's token names alpha's data only, wherever it is sent.
    EXPECT_EQ(server->Get("/v1/kv/secret", alpha)->status, 404);
    // alpha's admin key manages alpha only: 403 from a node that knows
    // the key's tenant (its own node, or one that reads its route); beta's
    // owner, which holds no key of alpha, refuses it as unknown (401).
    const int refused = via == "n2" ? 401 : 403;
    auto keys = server->Get("/admin/v1/tenants/beta/apikeys", alpha_admin);
    EXPECT_EQ(keys->status, refused) << keys->body;
    auto minted = server->Post("/admin/v1/tenants/beta/apikeys", R"({"role":"admin"})", alpha_admin);
    EXPECT_EQ(minted->status, refused) << minted->body;
    EXPECT_EQ(server->Get("/admin/v1/tenants/alpha/apikeys", alpha_admin)->status, 200);
    // A forged secret is refused by the owner, through any node.
    auto f = server->Get("/v1/kv/secret", forged);
    EXPECT_EQ(f->status, 401);
    EXPECT_EQ(CodeOf(f), "invalid_token");
    // So is a key id no node holds.
    auto none = server->Get("/v1/kv/secret", "tkv_0123456789abcdef_" + std::string(64, 'a'));
    EXPECT_EQ(none->status, 401);
    EXPECT_EQ(CodeOf(none), "invalid_token");
    // A tenant admin reaches no operator route through forwarding.
    EXPECT_EQ(server->Get("/admin/v1/tenants/beta", alpha_admin)->status, refused);
  }
  // A revoked key is refused at once, from every node.
  auto listed = json::parse(Node("n1").Get("/admin/v1/tenants/beta/apikeys", kToken)->body);
  const std::string key_id = listed["keys"][0]["key_id"];
  ASSERT_EQ(Node("n3").Delete("/admin/v1/tenants/beta/apikeys/" + key_id, kToken)->status, 204);
  for (const auto& [via, server] : nodes_) EXPECT_EQ(server->Get("/v1/kv/secret", beta)->status, 401) << via;
}

TEST_F(ClusterRoutingTest, AForwardedRequestIsNeverForwardedAgain) {
  Create("n1", "gamma", "n2");
  const std::string key = Key("n1", "gamma");
  auto r = Node("n1").Get("/v1/kv/x", key, {{"Tenantkv-Forwarded-By", "n3"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 421) << r->body;
  EXPECT_EQ(CodeOf(r), "misdirected");
  auto admin = Node("n3").Get("/admin/v1/tenants/gamma", kToken, {{"Tenantkv-Forwarded-By", "n1"}});
  EXPECT_EQ(admin->status, 421);
  // Its owner serves it, forwarded or not.
  EXPECT_EQ(Node("n2").Get("/v1/kv/x", key, {{"Tenantkv-Forwarded-By", "n1"}})->status, 404);
}

TEST_F(ClusterRoutingTest, ADeadNodesTenantsAre503AndTheOthersAreServed) {
  Create("n1", "lives", "n1");
  Create("n1", "dies", "n3");
  const std::string lives = Key("n2", "lives");
  const std::string dies = Key("n2", "dies");
  ASSERT_EQ(Node("n2").Put("/v1/kv/k", "v", dies)->status, 201);
  Node("n3").Kill9();
  for (const char* via : {"n1", "n2"}) {
    SCOPED_TRACE(via);
    auto r = Node(via).Get("/v1/kv/k", dies);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503) << r->body;
    EXPECT_EQ(CodeOf(r), "tenant_unavailable");
    EXPECT_FALSE(r->get_header_value("Retry-After").empty());
    EXPECT_EQ(Node(via).Put("/v1/kv/k", "v", lives)->status, via == std::string("n1") ? 201 : 204);
    EXPECT_EQ(Node(via).Get("/v1/kv/k", lives)->status, 200);
  }
  // Its lease lapses: it is listed as down, and its tenants stay 503.
  ASSERT_TRUE(WaitFor([&] {
    auto r = Node("n1").Get("/admin/v1/cluster", kToken);
    return r && r->status == 200 && json::parse(r->body)["nodes"].size() == 2;
  }, 15));
  auto down = Node("n2").Get("/v1/kv/k", dies);
  EXPECT_EQ(down->status, 503);
  EXPECT_EQ(CodeOf(down), "tenant_unavailable");
  EXPECT_EQ(down->get_header_value("Tenantkv-Node"), "n3");
  // Back on its data: served again.
  Node("n3").Start();
  EXPECT_TRUE(WaitFor([&] {
    auto r = Node("n1").Get("/v1/kv/k", dies);
    return r && r->status == 200 && r->body == "v";
  }, 15));
}

// etcd stopped: forwarding goes on from the cached directory; the owner
// writes until its lease lapses, then refuses writes (fencing) and still
// serves reads; with etcd back, writes resume.
TEST_F(ClusterRoutingTest, WithEtcdDownReadsGoOnAndWritesStopWhenTheLeaseLapses) {
  Create("n1", "steady", "n1");
  const std::string key = Key("n2", "steady");
  ASSERT_EQ(Node("n2").Put("/v1/kv/k", "before", key)->status, 201);  // routes cached on n2
  etcd_.Stop();
  auto via_cache = Node("n2").Get("/v1/kv/k", key);
  ASSERT_TRUE(via_cache);
  EXPECT_EQ(via_cache->status, 200) << via_cache->body;
  EXPECT_EQ(via_cache->get_header_value("Tenantkv-Node"), "n1");
  ASSERT_TRUE(WaitFor([&] {
    auto m = Node("n1").Get("/metrics", kToken);
    return m && m->body.find("\ntenantkv_cluster_lease_alive 0\n") != std::string::npos;
  }, 20)) << "the lease lapses one TTL after the last renewal";
  for (const char* via : {"n1", "n2"}) {
    SCOPED_TRACE(via);
    auto put = Node(via).Put("/v1/kv/k", "during", key);
    ASSERT_TRUE(put);
    EXPECT_EQ(put->status, 503) << put->body;
    EXPECT_EQ(CodeOf(put), "tenant_unavailable");
    auto get = Node(via).Get("/v1/kv/k", key);
    ASSERT_TRUE(get);
    EXPECT_EQ(get->status, 200);
    EXPECT_EQ(get->body, "before");
  }
  etcd_.Start();
  EXPECT_TRUE(WaitFor([&] {
    auto put = Node("n2").Put("/v1/kv/k", "after", key);
    return put && put->status == 204;
  }, 20));
  EXPECT_EQ(Node("n1").Get("/v1/kv/k", key)->body, "after");
}

// etcd stopped and started again while writers run, directly and through
// forwarding: every answer is a success or 503 tenant_unavailable (writes
// fenced while a lease is lapsed, or an owner briefly unlisted), never
// another error; writes come back once etcd does; and every acknowledged
// write is there afterwards, read through any node.
TEST_F(ClusterRoutingTest, EtcdStoppedAndRestartedUnderLoadLosesNoAcknowledgedWrite) {
  Create("n1", "alpha", "n1");
  Create("n1", "beta", "n3");
  struct Writer {
    std::string via, token, prefix;
    std::map<std::string, std::string> acked;  // key -> value
    std::map<int, int> statuses;               // status -> count
    std::vector<std::string> odd;              // answers other than 2xx / 503 tenant_unavailable
    std::atomic<int64_t> last_ok_ms{0};
  };
  std::vector<std::unique_ptr<Writer>> writers;
  for (auto [via, tenant] : {std::pair{"n1", "alpha"}, {"n2", "alpha"}, {"n2", "beta"}, {"n1", "beta"}}) {
    auto w = std::make_unique<Writer>();
    w->via = via;
    w->token = Key("n1", tenant);
    w->prefix = std::string(via) + "-";
    writers.push_back(std::move(w));
  }
  auto now_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  };
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (auto& wp : writers) {
    threads.emplace_back([&, w = wp.get()] {
      for (int i = 0; i < 4000 && !stop; ++i) {
        const std::string k = w->prefix + std::to_string(i), v = "v" + std::to_string(i) + w->token.substr(0, 12);
        auto r = Node(w->via).Put("/v1/kv/" + k, v, w->token);
        const int status = r ? r->status : 0;
        ++w->statuses[status];
        if (status / 100 == 2) {
          w->acked[k] = v;
          w->last_ok_ms = now_ms();
        } else if (status != 503 || CodeOf(r) != "tenant_unavailable" || !r->has_header("Retry-After")) {
          w->odd.push_back(std::to_string(status) + " " + (r ? r->body : "no answer"));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    });
  }
  struct JoinAll {
    std::atomic<bool>& stop;
    std::vector<std::thread>& threads;
    ~JoinAll() {
      stop = true;
      for (auto& t : threads) if (t.joinable()) t.join();
    }
  } join{stop, threads};
  std::this_thread::sleep_for(std::chrono::seconds(1));
  etcd_.Stop();
  // Every node's lease lapses (each one TTL after its own last renewal),
  // then writes stay fenced a moment longer.
  for (const char* n : {"n1", "n2", "n3"}) {
    ASSERT_TRUE(WaitFor([&] {
      auto m = Node(n).Get("/metrics", kToken);
      return m && m->body.find("\ntenantkv_cluster_lease_alive 0\n") != std::string::npos;
    }, 20)) << n << ": the lease lapses one TTL after the last renewal";
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));
  etcd_.Start();
  const int64_t restarted_ms = now_ms();
  EXPECT_TRUE(WaitFor([&] {
    for (auto& w : writers) if (w->last_ok_ms.load() <= restarted_ms) return false;
    return true;
  }, 30)) << "every writer is served again once etcd is back";
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  stop = true;
  for (auto& t : threads) t.join();
  for (auto& w : writers) {
    SCOPED_TRACE(w->prefix + w->token.substr(0, 12));
    EXPECT_TRUE(w->odd.empty()) << w->odd.size() << " odd answers, the first: " << w->odd.front();
    EXPECT_GT(w->statuses[503], 0) << "the lapse fenced no write of this writer";
    ASSERT_FALSE(w->acked.empty());
    // Each read through the next node in turn; a read over the tenant's
    // request rate waits and is asked again.
    const char* vias[] = {"n1", "n2", "n3"};
    size_t wrong = 0, i = 0;
    std::string first;
    for (const auto& [k, v] : w->acked) {
      const char* via = vias[i++ % 3];
      httplib::Result r = Node(via).Get("/v1/kv/" + k, w->token);
      for (int again = 0; again < 100 && r && r->status == 429; ++again) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        r = Node(via).Get("/v1/kv/" + k, w->token);
      }
      if (r && r->status == 200 && r->body == v) continue;
      if (wrong++ == 0) first = k + " via " + via + ": " + (r ? std::to_string(r->status) + " " + r->body : "none");
    }
    EXPECT_EQ(wrong, 0u) << "of " << w->acked.size() << " acknowledged writes; the first: " << first;
  }
}

TEST_F(ClusterRoutingTest, DeletingATenantFreesItsIdInTheCluster) {
  Create("n1", "brief", "n2");
  const std::string key = Key("n1", "brief");
  ASSERT_EQ(Node("n3").Delete("/admin/v1/tenants/brief", kToken)->status, 204);
  EXPECT_EQ(Node("n1").Get("/admin/v1/tenants/brief", kToken)->status, 404);
  EXPECT_EQ(Node("n1").Get("/v1/kv/x", key)->status, 401);
  EXPECT_EQ(Create("n1", "brief", "n3")["node"], "n3");
}

TEST(ClusterRoutingStandalone, TheTenantNamesThisNodeAndNoOther) {
  TestServer server;
  server.Start();
  auto r = server.Post("/admin/v1/tenants", R"({"id":"solo","node":"local"})", server.operator_token());
  ASSERT_EQ(r->status, 201) << r->body;
  EXPECT_EQ(json::parse(r->body)["node"], "local");
  EXPECT_FALSE(r->has_header("Tenantkv-Node"));
  auto other = server.Post("/admin/v1/tenants", R"({"id":"elsewhere","node":"n2"})", server.operator_token());
  EXPECT_EQ(other->status, 400);
  EXPECT_EQ(json::parse(other->body)["code"], "unknown_node");
}

}  // namespace
}  // namespace tenantkv::testing

// Any node serves any request: a real etcd and three real nodes on
// loopback. Tenants are placed on a node, their requests go to it from
// every node (forwarded once), answers name it in Tenantkv-Node, and one
// tenant's token reaches nothing of another through forwarding. The nodes
// share one operator token, as the operator of a cluster has one.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
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

// Cluster membership end to end: a real etcd and three real nodes on
// loopback. Every wait is bounded. The nodes' lease is 5 s, long enough
// that a loaded test machine (the sanitizer pass runs two suites at once)
// never lets a live node's lease lapse; the tests of a lapse take 2 or 3 s,
// and wait for what a lapse of a survivor could disturb.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "crypto/hash.h"
#include "server/cluster/etcd_client.h"
#include "tests/testing/etcd_process.h"
#include "tests/testing/test_server.h"
#include "tests/testing/wait_for.h"

namespace tenantkv::testing {
namespace {

using json = nlohmann::json;

struct Node {
  std::string id;
  int port = 0;
  std::unique_ptr<TestServer> server;
};

std::vector<std::string> NodeArgs(const std::string& etcd_url, const std::string& id, int port, int ttl) {
  const std::string addr = "127.0.0.1:" + std::to_string(port);
  return {"--listen", addr, "--cluster-etcd", etcd_url, "--node-id", id, "--advertise-url", "http://" + addr,
          "--cluster-lease-ttl", std::to_string(ttl)};
}

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override { etcd_.Start(); }

  void StartNodes(int ttl = 5) {
    for (const char* id : {"n1", "n2", "n3"}) {
      Node n;
      n.id = id;
      n.port = FreeLoopbackPort();
      n.server = std::make_unique<TestServer>(NodeArgs(etcd_.url(), id, n.port, ttl));
      n.server->Start();
      ASSERT_EQ(n.server->port(), n.port);
      nodes_.push_back(std::move(n));
    }
  }

  // GET /admin/v1/cluster on `n`: the status and the body.
  std::pair<int, json> ClusterOf(const Node& n) {
    auto r = n.server->Get("/admin/v1/cluster", n.server->operator_token());
    if (!r) return {0, json()};
    return {r->status, json::parse(r->body, nullptr, false)};
  }

  // The ids `n` lists as alive, in its order.
  std::vector<std::string> AliveSeenBy(const Node& n) {
    auto [status, body] = ClusterOf(n);
    std::vector<std::string> out;
    if (status != 200) return out;
    for (const auto& node : body["nodes"]) {
      if (node["alive"] == true) out.push_back(node["id"]);
    }
    return out;
  }

  EtcdProcess etcd_;
  std::vector<Node> nodes_;
};

TEST_F(ClusterTest, EveryNodeListsAllThreeAlive) {
  StartNodes();
  for (const Node& n : nodes_) {
    SCOPED_TRACE(n.id);
    auto [status, body] = ClusterOf(n);
    ASSERT_EQ(status, 200) << body.dump();
    EXPECT_EQ(body["mode"], "cluster");
    EXPECT_EQ(body["node"], n.id);
    ASSERT_EQ(body["nodes"].size(), 3u) << body.dump();
    for (size_t i = 0; i < 3; ++i) {
      const json& e = body["nodes"][i];
      EXPECT_EQ(e["id"], nodes_[i].id);
      EXPECT_EQ(e["url"], "http://127.0.0.1:" + std::to_string(nodes_[i].port));
      EXPECT_EQ(e["alive"], true);
      EXPECT_TRUE(e["tenants"].is_number_integer());
      EXPECT_TRUE(e["bytes"].is_number_integer());
      EXPECT_TRUE(e["started_at"].is_string());
    }
  }
  // Load figures follow the node's tenants within a renewal or two.
  TestServer& n2 = *nodes_[1].server;
  // Named, or the cluster would place it by its policy.
  ASSERT_EQ(n2.Post("/admin/v1/tenants", R"({"id":"acme","node":"n2"})", n2.operator_token())->status, 201);
  const std::string key = n2.CreateKey("acme", "write");
  ASSERT_EQ(n2.Put("/v1/kv/k", std::string(1000, 'x'), key)->status, 201);
  EXPECT_TRUE(WaitFor([&] {
    auto [status, body] = ClusterOf(nodes_[0]);
    return status == 200 && body["nodes"][1]["tenants"] == 1 && body["nodes"][1]["bytes"].get<int64_t>() >= 1000;
  }, 10));
  // The operator's only: a tenant's key is refused.
  EXPECT_EQ(n2.Get("/admin/v1/cluster", key)->status, 403);
  EXPECT_EQ(n2.Get("/admin/v1/cluster", "")->status, 401);
  auto metrics = n2.Get("/metrics", n2.operator_token());
  EXPECT_NE(metrics->body.find("\ntenantkv_cluster_lease_alive 1\n"), std::string::npos);
  EXPECT_NE(metrics->body.find("\ntenantkv_cluster_etcd_errors_total "), std::string::npos);
}

TEST_F(ClusterTest, ADuplicateNodeIdIsRefusedAtStart) {
  StartNodes();
  char dir[] = "/tmp/tenantkv-dup-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string cmd = std::string("timeout 30 ") + TENANTKV_SERVER_BIN + " --data-dir " + dir + "/data";
  for (const std::string& a : NodeArgs(etcd_.url(), "n2", FreeLoopbackPort(), 2)) cmd += " " + a;
  cmd += " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[512];
  while (fgets(buf, sizeof(buf), p) != nullptr) out += buf;
  const int status = pclose(p);
  std::string rm = std::string("rm -rf ") + dir;
  ASSERT_EQ(std::system(rm.c_str()), 0);
  EXPECT_EQ(WEXITSTATUS(status), 1) << out;
  EXPECT_NE(out.find("node_id_taken"), std::string::npos) << out;
  EXPECT_NE(out.find("node id 'n2' is registered by a live node"), std::string::npos) << out;
  // The holder is untouched.
  EXPECT_EQ(AliveSeenBy(nodes_[0]), (std::vector<std::string>{"n1", "n2", "n3"}));
  EXPECT_EQ(nodes_[1].server->Get("/healthz", "")->status, 200);
}

TEST_F(ClusterTest, AKilledNodeLapsesAfterItsLeaseTtl) {
  StartNodes(/*ttl=*/2);
  ASSERT_TRUE(WaitFor([&] { return AliveSeenBy(nodes_[0]).size() == 3; }, 10));
  nodes_[2].server->Kill9();
  EXPECT_TRUE(WaitFor([&] { return AliveSeenBy(nodes_[0]) == std::vector<std::string>{"n1", "n2"}; }, 10));
  EXPECT_TRUE(WaitFor([&] { return AliveSeenBy(nodes_[1]) == std::vector<std::string>{"n1", "n2"}; }, 10));
  // Its id is free again: the node comes back on the same data dir.
  nodes_[2].server->Start();
  EXPECT_TRUE(WaitFor([&] { return AliveSeenBy(nodes_[0]).size() == 3; }, 10));
}

TEST_F(ClusterTest, ACleanStopRevokesTheLeaseAtOnce) {
  StartNodes(/*ttl=*/30);  // a lapse could not explain a record gone within seconds
  ASSERT_EQ(AliveSeenBy(nodes_[0]).size(), 3u);
  ASSERT_EQ(nodes_[1].server->Terminate(), 0);
  EXPECT_EQ(AliveSeenBy(nodes_[0]), (std::vector<std::string>{"n1", "n3"}));
  nodes_[1].server->Start();  // and the id can be taken again at once
  EXPECT_EQ(AliveSeenBy(nodes_[0]), (std::vector<std::string>{"n1", "n2", "n3"}));
}

TEST_F(ClusterTest, EtcdDownIsA503OnTheClusterRouteOnlyAndTheNodesComeBack) {
  StartNodes(/*ttl=*/3);
  TestServer& n1 = *nodes_[0].server;
  ASSERT_EQ(n1.Post("/admin/v1/tenants", R"({"id":"acme","node":"n1"})", n1.operator_token())->status, 201);
  const std::string key = n1.CreateKey("acme", "write");
  ASSERT_EQ(n1.Put("/v1/kv/before", "1", key)->status, 201);

  etcd_.Stop();
  auto r = n1.Get("/admin/v1/cluster", n1.operator_token());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/problem+json");
  EXPECT_EQ(json::parse(r->body)["code"], "cluster_unavailable");
  // The node serves its own tenants and stays ready.
  EXPECT_EQ(n1.Put("/v1/kv/during", "2", key)->status, 201);
  EXPECT_EQ(n1.Get("/v1/kv/before", key)->body, "1");
  EXPECT_EQ(n1.Get("/readyz", "")->status, 200);
  EXPECT_TRUE(WaitFor([&] {
    auto m = n1.Get("/metrics", n1.operator_token());
    return m && m->body.find("\ntenantkv_cluster_lease_alive 0\n") != std::string::npos;
  }, 15)) << "no renewal for a TTL: the lease counts as lost";

  etcd_.Start();
  for (const Node& n : nodes_) {
    SCOPED_TRACE(n.id);
    EXPECT_TRUE(WaitFor([&] { return AliveSeenBy(n).size() == 3; }, 15));
  }
  // Its lease lapsed here, so it was given up: the node is back under a new one.
  EXPECT_TRUE(WaitFor([&] {
    auto m = n1.Get("/metrics", n1.operator_token());
    return m && m->body.find("\ntenantkv_cluster_lease_alive 1\n") != std::string::npos &&
           m->body.find("\ntenantkv_cluster_reregistrations_total ") != std::string::npos &&
           m->body.find("\ntenantkv_cluster_reregistrations_total 0\n") == std::string::npos;
  }, 10));
  for (const Node& n : nodes_) EXPECT_TRUE(WaitFor([&] { return AliveSeenBy(n).size() == 3; }, 10));
  EXPECT_EQ(n1.Get("/v1/kv/during", key)->body, "2");
}

// Each node made its own operator token; the first to join shared its
// digest through etcd, so that token works on every node, and each node's
// own still works on it.
TEST_F(ClusterTest, TheFirstNodesOperatorTokenWorksOnEveryNode) {
  StartNodes();
  const std::string& first = nodes_[0].server->operator_token();
  for (const Node& n : nodes_) {
    SCOPED_TRACE(n.id);
    if (n.id != "n1") {
      EXPECT_NE(n.server->operator_token(), first);  // each made its own
    }
    EXPECT_EQ(n.server->Get("/admin/v1/cluster", first)->status, 200);
    EXPECT_EQ(n.server->Get("/admin/v1/cluster", n.server->operator_token())->status, 200);
  }
  // Another node's own token is not the cluster's.
  EXPECT_EQ(nodes_[0].server->Get("/admin/v1/cluster", nodes_[1].server->operator_token())->status, 401);
  // An admin call passed on to another node is accepted there.
  ASSERT_EQ(nodes_[0].server->Post("/admin/v1/tenants", R"({"id":"shared","node":"n3"})", first)->status, 201);
  EXPECT_EQ(nodes_[1].server->Get("/admin/v1/tenants/shared", first)->status, 200);
  server::cluster::EtcdClientOptions eo;
  eo.endpoints = {*server::cluster::ParseHttpEndpoint(etcd_.url())};
  auto etcd = server::cluster::EtcdClient::Create(std::move(eo));
  ASSERT_TRUE(etcd.ok());
  auto stored = (*etcd)->Get("/tenantkv/operator/bootstrap");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  const crypto::Sha256Digest digest = crypto::Sha256(first);
  EXPECT_EQ((*stored)->value, crypto::HexEncode(std::string_view(reinterpret_cast<const char*>(digest.data()), 32)))
      << "its SHA-256, never the token, is in etcd";
}

TEST(ClusterStandalone, ListsThisNodeAloneWithoutEtcd) {
  TestServer server;
  server.Start();
  server.CreateTenant("solo");
  auto r = server.Get("/admin/v1/cluster", server.operator_token());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const json body = json::parse(r->body);
  EXPECT_EQ(body["mode"], "standalone");
  ASSERT_EQ(body["nodes"].size(), 1u);
  EXPECT_EQ(body["nodes"][0]["id"], body["node"]);
  EXPECT_EQ(body["nodes"][0]["alive"], true);
  EXPECT_EQ(body["nodes"][0]["tenants"], 1);
  EXPECT_FALSE(body["nodes"][0]["version"].get<std::string>().empty());
  EXPECT_EQ(server.Get("/admin/v1/cluster?x=1", server.operator_token())->status, 400);
  EXPECT_EQ(server.Get("/metrics", server.operator_token())->body.find("tenantkv_cluster_"), std::string::npos);
}

TEST(ClusterStart, FailsWhenEtcdIsOutOfReach) {
  char dir[] = "/tmp/tenantkv-noetcd-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string dead = "http://127.0.0.1:" + std::to_string(FreeLoopbackPort());
  std::string cmd = std::string("timeout 30 ") + TENANTKV_SERVER_BIN + " --data-dir " + dir + "/data";
  for (const std::string& a : NodeArgs(dead, "n1", FreeLoopbackPort(), 2)) cmd += " " + a;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[512];
  while (fgets(buf, sizeof(buf), p) != nullptr) out += buf;
  const int status = pclose(p);
  ASSERT_EQ(std::system((std::string("rm -rf ") + dir).c_str()), 0);
  EXPECT_EQ(WEXITSTATUS(status), 1) << out;  // a node asked to join does not start alone
  EXPECT_NE(out.find("etcd_unavailable: cannot join the cluster"), std::string::npos) << out;
}

TEST(ClusterFlags, AreAllOrNoneAndChecked) {
  struct Case {
    std::vector<std::string> args;
    std::string error;
  };
  const std::vector<Case> cases = {
      {{"--node-id", "n1"}, "needs all of"},
      {{"--cluster-etcd", "http://127.0.0.1:1", "--node-id", "n1"}, "needs all of"},
      {{"--cluster-etcd", "127.0.0.1:1", "--node-id", "n1", "--advertise-url", "http://a:1"}, "--cluster-etcd"},
      {{"--cluster-etcd", "http://127.0.0.1:1", "--node-id", "N_1", "--advertise-url", "http://a:1"}, "--node-id"},
      {{"--cluster-etcd", "http://127.0.0.1:1", "--node-id", "n1", "--advertise-url", "a:1"}, "--advertise-url"},
      {{"--cluster-etcd", "http://127.0.0.1:1", "--node-id", "n1", "--advertise-url", "http://a:1",
        "--cluster-lease-ttl", "0"},
       "--cluster-lease-ttl"},
  };
  for (const Case& c : cases) {
    std::string cmd = std::string("timeout 30 ") + TENANTKV_SERVER_BIN + " --data-dir /nonexistent/x";
    for (const auto& a : c.args) cmd += " " + a;
    SCOPED_TRACE(cmd);
    FILE* p = popen((cmd + " 2>&1").c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::string out;
    char buf[512];
    while (fgets(buf, sizeof(buf), p) != nullptr) out += buf;
    EXPECT_EQ(WEXITSTATUS(pclose(p)), 2) << out;
    EXPECT_NE(out.find(c.error), std::string::npos) << out;
  }
}

}  // namespace
}  // namespace tenantkv::testing

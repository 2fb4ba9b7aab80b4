// GET /admin/v1/cluster/tenants end to end: a real etcd and three real
// nodes on loopback sharing one operator token (as in
// cluster_routing_test.cc). Every node lists the whole directory in id
// order with each tenant's owner; pages, the node and prefix filters, the
// bound on what one call reads, the refusals; etcd down is 503. And the
// same call on a standalone server. Every wait is bounded.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "server/cluster/etcd_client.h"
#include "server/cluster/etcd_keys.h"
#include "server/cluster/tenant_directory.h"
#include "tests/testing/cluster_nodes.h"
#include "tests/testing/etcd_process.h"
#include "tests/testing/test_server.h"
#include "tests/testing/wait_for.h"

namespace tenantkv::testing {
namespace {

using json = nlohmann::json;

constexpr const char* kToken = kClusterToken;
constexpr char kList[] = "/admin/v1/cluster/tenants";

std::string CodeOf(const httplib::Result& r) { return r ? json::parse(r->body, nullptr, false).value("code", "") : ""; }

// The ids of a listing, in its order.
std::vector<std::string> IdsOf(const json& body) {
  std::vector<std::string> out;
  for (const auto& t : body.value("tenants", json::array())) out.push_back(t.value("id", "?"));
  return out;
}

class ClusterTenantsTest : public ClusterNodesTest {
 protected:
  // Creates `tenant` on node `on` through node `via`: its Tenant JSON.
  json Create(const std::string& via, const std::string& tenant, const std::string& on, const std::string& tier = "") {
    json body = {{"id", tenant}, {"node", on}};
    if (!tier.empty()) body["tier"] = tier;
    auto r = Node(via).Post("/admin/v1/tenants", body.dump(), kToken);
    EXPECT_TRUE(r);
    if (!r) return json();
    EXPECT_EQ(r->status, 201) << r->body;
    return json::parse(r->body, nullptr, false);
  }

  // GET of the list with `query` through node `via`: status and body.
  std::pair<int, json> List(const std::string& via, const std::string& query = "",
                            const std::string& token = kToken) {
    auto r = Node(via).Get(std::string(kList) + query, token);
    if (!r) return {0, json()};
    return {r->status, json::parse(r->body, nullptr, false)};
  }

  // Every id a walk from `query` (which has a '?') sees by following
  // `next`, at most `max_pages` pages; each page's size is checked against `limit`.
  std::vector<std::string> Walk(const std::string& via, const std::string& query, size_t limit, int max_pages = 20) {
    std::vector<std::string> out;
    std::string cursor;
    for (int page = 0; page < max_pages; ++page) {
      const std::string q = cursor.empty() ? query : query + "&start_after=" + cursor;
      auto [status, body] = List(via, q);
      EXPECT_EQ(status, 200) << body.dump();
      if (status != 200) return out;
      EXPECT_LE(body["tenants"].size(), limit);
      for (const auto& id : IdsOf(body)) out.push_back(id);
      if (body["next"].is_null()) return out;
      EXPECT_TRUE(body["next"].is_string());
      cursor = body["next"];
    }
    ADD_FAILURE() << "the walk did not end within " << max_pages << " pages";
    return out;
  }

  // Writes directory entries straight into etcd, 100 a txn.
  void WriteEntries(const std::vector<server::cluster::DirectoryEntry>& entries) {
    server::cluster::EtcdClientOptions eo;
    eo.endpoints = {*server::cluster::ParseHttpEndpoint(etcd_.url())};
    eo.request_timeout_ms = 10000;
    auto etcd = server::cluster::EtcdClient::Create(std::move(eo));
    ASSERT_TRUE(etcd.ok());
    for (size_t at = 0; at < entries.size(); at += 100) {
      server::cluster::EtcdTxn txn;
      for (size_t i = at; i < entries.size() && i < at + 100; ++i) {
        txn.success.push_back(server::cluster::EtcdOp::Put(server::cluster::TenantKey(entries[i].tenant),
                                                           server::cluster::DirectoryEntryJson(entries[i])));
      }
      auto r = (*etcd)->Txn(txn);
      ASSERT_TRUE(r.ok() && r->succeeded) << r.status().ToString();
    }
  }

};

TEST_F(ClusterTenantsTest, EveryNodeListsEveryTenantWithItsOwnerInIdOrder) {
  // Made through other nodes than their owners, in no particular order.
  const std::map<std::string, std::string> owner = {{"zeta", "n1"},   {"acme-2", "n2"}, {"beta", "n2"},
                                                    {"acme-1", "n1"}, {"gamma", "n3"},  {"acme-3", "n3"}};
  std::map<std::string, json> made;
  const std::vector<std::string> vias = {"n2", "n3", "n1"};
  size_t i = 0;
  for (const auto& [id, on] : owner) {
    made[id] = Create(vias[i++ % 3], id, on, id == "beta" ? "pooled" : "");
    ASSERT_EQ(made[id].value("node", ""), on);
  }
  const std::vector<std::string> in_order = {"acme-1", "acme-2", "acme-3", "beta", "gamma", "zeta"};
  for (const auto& [via, server] : nodes_) {
    SCOPED_TRACE(via);
    auto r = server->Get(kList, kToken);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->get_header_value("Cache-Control"), "no-store");
    EXPECT_EQ(r->get_header_value("Tenantkv-Node"), via) << "answered where asked, never forwarded";
    const json body = json::parse(r->body);
    EXPECT_EQ(IdsOf(body), in_order);
    EXPECT_TRUE(body["next"].is_null());
    for (const json& t : body["tenants"]) {
      const std::string id = t["id"];
      EXPECT_EQ(t["node"], owner.at(id)) << id;
      EXPECT_EQ(t["tier"], made[id]["tier"]) << id;
      EXPECT_EQ(t["state"], "active") << id;
      EXPECT_EQ(t["epoch"], 1) << id;
      EXPECT_EQ(t.size(), 5u) << t.dump();
    }
  }
  EXPECT_EQ(made["beta"]["tier"], "pooled");

  // Pages of two, from every node, walk all of them once, in order.
  for (const char* via : {"n1", "n2", "n3"}) EXPECT_EQ(Walk(via, "?limit=2", 2), in_order) << via;
  auto [status, first] = List("n3", "?limit=2");
  ASSERT_EQ(status, 200);
  EXPECT_EQ(IdsOf(first), (std::vector<std::string>{"acme-1", "acme-2"}));
  EXPECT_EQ(first["next"], "acme-2");
  // A page that ends with the last tenant has no next.
  EXPECT_TRUE(List("n1", "?start_after=beta&limit=2").second["next"].is_null());
  // start_after is any string: the page starts after it.
  EXPECT_EQ(IdsOf(List("n2", "?start_after=b").second), (std::vector<std::string>{"beta", "gamma", "zeta"}));

  // One node's tenants; a node holding none (or unknown) lists nothing.
  EXPECT_EQ(IdsOf(List("n1", "?node=n2").second), (std::vector<std::string>{"acme-2", "beta"}));
  EXPECT_EQ(Walk("n3", "?node=n1&limit=1", 1), (std::vector<std::string>{"acme-1", "zeta"}));
  auto [n9_status, n9] = List("n2", "?node=n9");
  EXPECT_EQ(n9_status, 200);
  EXPECT_TRUE(n9["tenants"].empty());
  EXPECT_TRUE(n9["next"].is_null());
  // A prefix, alone, with a cursor, with a node.
  EXPECT_EQ(IdsOf(List("n2", "?prefix=acme").second), (std::vector<std::string>{"acme-1", "acme-2", "acme-3"}));
  EXPECT_EQ(Walk("n1", "?prefix=acme&limit=2", 2), (std::vector<std::string>{"acme-1", "acme-2", "acme-3"}));
  EXPECT_EQ(IdsOf(List("n3", "?prefix=acme&start_after=acme-1").second),
            (std::vector<std::string>{"acme-2", "acme-3"}));
  EXPECT_EQ(IdsOf(List("n3", "?prefix=acme&node=n3").second), std::vector<std::string>{"acme-3"});
  EXPECT_TRUE(List("n1", "?prefix=nope").second["tenants"].empty());

  // A deleted tenant leaves the list at once, on every node.
  ASSERT_EQ(Node("n1").Delete("/admin/v1/tenants/gamma", kToken)->status, 204);
  for (const char* via : {"n1", "n2", "n3"}) {
    EXPECT_EQ(IdsOf(List(via).second), (std::vector<std::string>{"acme-1", "acme-2", "acme-3", "beta", "zeta"}))
        << via;
  }
}

TEST_F(ClusterTenantsTest, BadQueriesAre400AndOnlyTheOperatorMayList) {
  Create("n1", "beta", "n2");
  const std::string write_key = Node("n2").CreateKey("beta", "write");
  auto admin = Node("n1").Post("/admin/v1/tenants/beta/apikeys", R"({"role":"admin"})", kToken);  // forwarded to n2
  ASSERT_EQ(admin->status, 201) << admin->body;
  const std::string admin_key = json::parse(admin->body)["token"];
  for (const auto& [via, server] : nodes_) {
    SCOPED_TRACE(via);
    for (const char* bad : {"?limit=0", "?limit=1001", "?limit=x", "?limit="}) {
      auto r = server->Get(std::string(kList) + bad, kToken);
      EXPECT_EQ(r->status, 400) << bad;
      EXPECT_EQ(CodeOf(r), "invalid_limit") << bad;
    }
    for (const char* bad : {"?plan=free", "?tier=pooled", "?state=active", "?x=1", "?prefix=A", "?prefix=",
                            "?node=N1", "?node="}) {
      auto r = server->Get(std::string(kList) + bad, kToken);
      EXPECT_EQ(r->status, 400) << bad;
      EXPECT_EQ(CodeOf(r), "invalid_parameter") << bad;
    }
    EXPECT_EQ(server->Get(kList, "")->status, 401);
    EXPECT_EQ(server->Get(kList, "not-a-token")->status, 401);
    // A tenant's key, even an admin one, is refused: 403 by the node that
    // holds it; another node does not know it (401).
    for (const std::string& key : {write_key, admin_key}) {
      auto r = server->Get(kList, key);
      ASSERT_TRUE(r);
      if (via == "n2") {
        EXPECT_EQ(r->status, 403) << r->body;
        EXPECT_EQ(CodeOf(r), "operator_only");
      } else {
        EXPECT_EQ(r->status, 401) << r->body;
      }
    }
  }
  // The key works where it is meant to: the operator's refusal is not a broken key.
  EXPECT_EQ(Node("n1").Get("/admin/v1/tenants/beta/apikeys", admin_key)->status, 200);
}

// A node filter reads on over tenants it skips, but one call reads at most
// 10,000 directory keys: then it stops, with `next` the last id read, and
// the caller goes on from there.
TEST_F(ClusterTenantsTest, ANodeFilterReadsAtMostTenThousandKeysACall) {
  Create("n2", "aaa", "n1");
  Create("n3", "zzz", "n1");
  std::vector<server::cluster::DirectoryEntry> ghosts;
  for (int i = 0; i < 10'050; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "ghost-%05d", i);
    ghosts.push_back({id, "n9", "pooled", 1, "active", 0, std::nullopt, ""});
  }
  WriteEntries(ghosts);
  auto [status, first] = List("n2", "?node=n1");
  ASSERT_EQ(status, 200) << first.dump();
  EXPECT_EQ(IdsOf(first), std::vector<std::string>{"aaa"});
  // aaa and ghost-00000..ghost-09998: 10,000 keys read.
  EXPECT_EQ(first["next"], "ghost-09998");
  auto [status2, second] = List("n2", "?node=n1&start_after=ghost-09998");
  ASSERT_EQ(status2, 200);
  EXPECT_EQ(IdsOf(second), std::vector<std::string>{"zzz"});
  EXPECT_TRUE(second["next"].is_null());
  // Without a filter a page reads only its own size.
  auto [status3, page] = List("n1", "?start_after=ghost-10040&limit=20");
  ASSERT_EQ(status3, 200);
  EXPECT_EQ(page["tenants"].size(), 10u);
  EXPECT_EQ(page["tenants"].back()["id"], "zzz");
  EXPECT_TRUE(page["next"].is_null());
  EXPECT_EQ(List("n1", "?limit=1000").second["next"], "ghost-00998");
}

TEST_F(ClusterTenantsTest, EtcdOutOfReachIs503ClusterUnavailable) {
  Create("n1", "acme", "n1");
  etcd_.Stop();
  auto r = Node("n2").Get(kList, kToken);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/problem+json");
  EXPECT_EQ(CodeOf(r), "cluster_unavailable");
  // Bad parameters are still judged first.
  EXPECT_EQ(Node("n2").Get(std::string(kList) + "?limit=0", kToken)->status, 400);
  etcd_.Start();
  EXPECT_TRUE(WaitFor([&] { return List("n2").first == 200; }, 15));
  EXPECT_EQ(IdsOf(List("n3").second), std::vector<std::string>{"acme"});
}

// Standalone, the same call lists this node's live tenants as a cluster of one.
TEST(ClusterTenantsStandalone, ListsThisNodesTenantsInTheSameShape) {
  TestServer server;
  server.Start();
  const std::string& op = server.operator_token();
  server.CreateTenant("s-b", "pooled");
  server.CreateTenant("s-a");
  server.CreateTenant("other");
  server.CreateTenant("gone");
  ASSERT_EQ(server.Delete("/admin/v1/tenants/gone", op)->status, 204);
  auto r = server.Get(kList, op);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Cache-Control"), "no-store");
  const json body = json::parse(r->body);
  EXPECT_EQ(IdsOf(body), (std::vector<std::string>{"other", "s-a", "s-b"}));
  EXPECT_TRUE(body["next"].is_null());
  for (const json& t : body["tenants"]) {
    const std::string id = t["id"];
    EXPECT_EQ(t["node"], "local");
    EXPECT_EQ(t["state"], "active");
    EXPECT_EQ(t["epoch"], 1);
    EXPECT_EQ(t["tier"], json::parse(server.Get("/admin/v1/tenants/" + id, op)->body)["tier"]) << id;
  }
  EXPECT_EQ(body["tenants"][2]["tier"], "pooled");
  auto page = json::parse(server.Get(std::string(kList) + "?limit=2", op)->body);
  EXPECT_EQ(IdsOf(page), (std::vector<std::string>{"other", "s-a"}));
  EXPECT_EQ(page["next"], "s-a");
  auto rest = json::parse(server.Get(std::string(kList) + "?limit=2&start_after=s-a", op)->body);
  EXPECT_EQ(IdsOf(rest), std::vector<std::string>{"s-b"});
  EXPECT_TRUE(rest["next"].is_null());
  EXPECT_EQ(IdsOf(json::parse(server.Get(std::string(kList) + "?prefix=s-", op)->body)),
            (std::vector<std::string>{"s-a", "s-b"}));
  EXPECT_EQ(IdsOf(json::parse(server.Get(std::string(kList) + "?prefix=s-&limit=1&start_after=s-a", op)->body)),
            std::vector<std::string>{"s-b"});
  EXPECT_EQ(IdsOf(json::parse(server.Get(std::string(kList) + "?node=local&prefix=o", op)->body)),
            std::vector<std::string>{"other"});
  const json none = json::parse(server.Get(std::string(kList) + "?node=n2", op)->body);
  EXPECT_TRUE(none["tenants"].empty());
  EXPECT_TRUE(none["next"].is_null());
  EXPECT_EQ(server.Get(std::string(kList) + "?limit=0", op)->status, 400);
  EXPECT_EQ(server.Get(std::string(kList) + "?tier=pooled", op)->status, 400);
  const std::string admin_key = server.CreateKey("s-a", "admin");
  EXPECT_EQ(server.Get(kList, admin_key)->status, 403);
  EXPECT_EQ(server.Get(kList, "")->status, 401);
}

}  // namespace
}  // namespace tenantkv::testing

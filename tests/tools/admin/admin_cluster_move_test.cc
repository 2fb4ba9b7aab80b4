// tenantkv-admin's moves between nodes against a real cluster (etcd and
// three nodes on loopback): `tenants move --wait` follows a move to its
// end, and `cluster rebalance` plans from the nodes' real bytes and, with
// --apply, carries the plan out with real moves.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/testing/cluster_nodes.h"
#include "tests/testing/test_server.h"

#ifndef TENANTKV_ADMIN_BIN
#error "TENANTKV_ADMIN_BIN must name the tenantkv-admin binary"
#endif

namespace tenantkv::testing {
namespace {

using json = nlohmann::json;

class AdminClusterMoveTest : public ClusterNodesTest {
 protected:
  struct Run {
    int exit_code = -1;
    std::string out;
  };
  // tenantkv-admin against node `via` with the cluster's token; stderr joins stdout.
  Run Admin(const std::string& via, const std::string& args) {
    const std::string cmd = "env -u TENANTKV_TOKEN -u TENANTKV_SERVER " + std::string(TENANTKV_ADMIN_BIN) +
                            " --server http://127.0.0.1:" + std::to_string(Node(via).port()) + " --token-file " +
                            token_file_ + " " + args + " 2>&1";
    Run r;
    FILE* p = popen(cmd.c_str(), "r");
    std::array<char, 4096> buf;
    size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
    const int status = pclose(p);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
  }
  // Tenant `id` on node `on` with `values` values of 1 KiB.
  void Make(const std::string& id, const std::string& on, int values) {
    auto r = Node("n1").Post("/admin/v1/tenants", json{{"id", id}, {"node", on}}.dump(), kClusterToken);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 201) << r->body;
    auto k = Node("n1").Post("/admin/v1/tenants/" + id + "/apikeys", json{{"role", "write"}}.dump(), kClusterToken);
    ASSERT_TRUE(k);
    ASSERT_EQ(k->status, 201) << k->body;
    const std::string token = json::parse(k->body, nullptr, false).value("token", "");
    for (int i = 0; i < values; ++i) {
      auto put = Node(on).Put(KvPath("k" + std::to_string(i)), std::string(1024, 'x'), token);
      ASSERT_TRUE(put);
      ASSERT_EQ(put->status / 100, 2) << put->body;
    }
  }
  std::string OwnerOf(const std::string& id) {
    auto r = Node("n3").Get("/admin/v1/tenants/" + id, kClusterToken);
    return r && r->status == 200 ? json::parse(r->body, nullptr, false).value("node", "") : "";
  }
};

TEST_F(AdminClusterMoveTest, TenantsMoveWaitsForTheMoveToEnd) {
  Make("acme", "n1", 20);
  Run moved = Admin("n2", "tenants move acme --node n3 --wait --timeout 120");
  ASSERT_EQ(moved.exit_code, 0) << moved.out;
  EXPECT_EQ(OwnerOf("acme"), "n3");
  Run again = Admin("n1", "tenants move acme --node n3");
  EXPECT_EQ(again.exit_code, 0) << again.out;
  EXPECT_NE(again.out.find("already on n3"), std::string::npos) << again.out;
  Run unknown = Admin("n1", "tenants move acme --node n9");
  EXPECT_EQ(unknown.exit_code, 1) << unknown.out;
  EXPECT_NE(unknown.out.find("unknown_node"), std::string::npos) << unknown.out;
}

TEST_F(AdminClusterMoveTest, RebalancePlansFromRealBytesAndAppliesWithRealMoves) {
  // Everything on n1: four tenants of 40 KiB or so.
  for (const char* id : {"t1", "t2", "t3", "t4"}) Make(id, "n1", 40);
  Run plan = Admin("n2", "--json cluster rebalance --dry-run");
  ASSERT_EQ(plan.exit_code, 0) << plan.out;
  const json planned = json::parse(plan.out, nullptr, false);
  ASSERT_FALSE(planned.is_discarded()) << plan.out;
  const json moves = planned.value("moves", json::array());
  ASSERT_GE(moves.size(), 2u) << plan.out;
  for (const json& m : moves) EXPECT_EQ(m.value("from", ""), "n1") << m.dump();
  // A dry run moves nothing.
  for (const char* id : {"t1", "t2", "t3", "t4"}) EXPECT_EQ(OwnerOf(id), "n1");

  Run applied = Admin("n3", "cluster rebalance --apply --max-concurrent 2");
  ASSERT_EQ(applied.exit_code, 0) << applied.out;
  std::map<std::string, int> per_node;
  for (const char* id : {"t1", "t2", "t3", "t4"}) ++per_node[OwnerOf(id)];
  EXPECT_GE(per_node.size(), 3u) << "n1, n2 and n3 each hold some now";
  for (const json& m : moves) EXPECT_EQ(OwnerOf(m.value("tenant", "")), m.value("to", "")) << m.dump();
}

}  // namespace
}  // namespace tenantkv::testing

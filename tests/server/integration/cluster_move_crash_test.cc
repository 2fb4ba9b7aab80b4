// kill -9 at each step of a move between nodes (server/api/node_moves.h),
// of the source and of the target (which is the mover), under a steady
// writer: the crashed node restarts, the move rolls back (before the
// switch) or forward (after it), every acknowledged write reads back
// through every node, the tokens still work, and exactly one node serves
// the tenant. The kill is the process's own SIGKILL at a named crash point
// (server/cluster/crash_point.h), so it lands exactly at that step.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "cluster_move_support.h"

namespace tenantkv::testing {
namespace {

using json = nlohmann::json;

class ClusterMoveCrashTest : public ClusterMoveFixture, public ::testing::WithParamInterface<std::string> {
 protected:
  void BeforeStart(const std::string& /*id*/, TestServer& server) override {
    // Every node is armed; only the move's source or target reaches a point.
    server.SetEnv("TENANTKV_CRASH_AT", GetParam());
  }
  // Until the cluster lists `n` alive nodes.
  void WaitForNodes(size_t n) {
    ASSERT_TRUE(WaitFor(
        [&] {
          auto r = Node("n3").Get("/admin/v1/cluster", kClusterToken);
          if (!r || r->status != 200) return false;
          const json listed = json::parse(r->body, nullptr, false);
          return listed.value("nodes", json::array()).size() == n;
        },
        30));
  }
  bool SourcePoint() const { return GetParam().rfind("move.source.", 0) == 0; }
};

TEST_P(ClusterMoveCrashTest, TheMoveRollsBackOrForwardAndLosesNothing) {
  const std::string victim = SourcePoint() ? "n1" : "n2";
  const std::string owner = GetParam() == "move.target.switched" ? "n2" : "n1";
  const std::string token = Populated("cr", 1000);
  MoveWriter writer(Node("n3"), token, "w-");
  writer.Start();
  WaitForAcks(writer, 30);
  // The answer is lost when the source dies before giving it.
  auto asked = Node("n1").Post("/admin/v1/tenants/cr/move", json{{"node", "n2"}}.dump(), kClusterToken);
  if (!SourcePoint()) {
    ASSERT_TRUE(asked);
    ASSERT_EQ(asked->status, 202) << asked->body;
  }
  ASSERT_TRUE(WaitFor([&] { return Node(victim).Exited(); }, 60)) << victim << " did not reach " << GetParam();
  // Its node record lapses with its lease (5 s) before it may join again.
  WaitForNodes(2);
  Node(victim).SetEnv("TENANTKV_CRASH_AT", "");
  Node(victim).Start();
  WaitForOwner("cr", owner);
  // Writes are taken again, by the owner.
  WaitForAcks(writer, writer.acked() + 30);
  writer.Stop();
  EXPECT_EQ(writer.unexpected(), 0) << writer.last_unexpected();
  for (const char* via : {"n1", "n2", "n3"}) {
    ExpectValues(via, token, writer.values());
    ExpectBase(via, token, "base-", 1000);
    auto r = Node(via).Get(KvPath("base-1"), token);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->get_header_value("Tenantkv-Node"), owner) << "via " << via;
  }
  // The other node holds no copy that it serves or lists.
  const std::string other = owner == "n1" ? "n2" : "n1";
  EXPECT_TRUE(WaitFor([&] { return !ListsTenant(other, "cr"); }, 30));
  // And the tenant can still move (nothing of the cut move is left). The
  // target must not stop at this test's crash point: n2 is safe when n1
  // owns it (restarted unarmed, or armed with a source point only); from
  // n2, the target n1 is restarted unarmed first.
  const std::string to = owner == "n1" ? "n2" : "n1";
  if (to == "n1") {
    Node("n1").Kill9();
    WaitForNodes(2);
    Node("n1").SetEnv("TENANTKV_CRASH_AT", "");
    Node("n1").Start();
  }
  auto again = Node("n3").Post("/admin/v1/tenants/cr/move", json{{"node", to}}.dump(), kClusterToken);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 202) << again->body;
  WaitForOwner("cr", to);
  ExpectBase("n3", token, "base-", 1000);
}

INSTANTIATE_TEST_SUITE_P(Steps, ClusterMoveCrashTest,
                         ::testing::Values("move.source.requested", "move.source.begun", "move.source.frozen",
                                           "move.source.counters", "move.target.taken", "move.target.staged",
                                           "move.target.copied", "move.target.frozen", "move.target.committed",
                                           "move.target.switched"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& c : name) c = c == '.' ? '_' : c;
                           return name;
                         });

}  // namespace
}  // namespace tenantkv::testing

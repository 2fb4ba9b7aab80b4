// Online moves of a tenant between nodes (server/api/node_moves.h), with a
// real etcd and three real nodes on loopback: a move under a concurrent
// writer keeps every acknowledged write and every token, the tenant is
// then served by its new node from every node, the old copy goes after
// the grace period, other tenants are untouched, and bad requests change
// nothing. The kill -9 cases are in cluster_move_crash_test.cc.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cluster_move_support.h"

namespace tenantkv::testing {
namespace {

using json = nlohmann::json;

class ClusterMoveTest : public ClusterMoveFixture {};

TEST_F(ClusterMoveTest, MoveUnderAWriterKeepsEveryAcknowledgedWriteAndToken) {
  const std::string token = Populated("mv", 1500);
  const std::string reader = Key("n1", "mv", "read");
  MoveWriter writer(Node("n3"), token, "w-");
  writer.Start();
  WaitForAcks(writer, 50);
  auto started = Node("n3").Post("/admin/v1/tenants/mv/move", json{{"node", "n2"}}.dump(), kClusterToken);
  ASSERT_TRUE(started);
  ASSERT_EQ(started->status, 202) << started->body;
  const json moving = json::parse(started->body, nullptr, false);
  EXPECT_EQ(moving.value("node", ""), "n1");
  EXPECT_EQ(moving["node_move"].value("to", ""), "n2");
  // The target may have taken the move already when the answer is written.
  const std::string state = moving["node_move"].value("state", "");
  EXPECT_TRUE(state == "requested" || state == "copying") << state;
  const json done = WaitForOwner("mv", "n2");
  EXPECT_EQ(done["node_move"].value("state", ""), "done") << done.dump();
  EXPECT_GE(done["node_move"].value("copied_keys", 0), 1500);
  WaitForAcks(writer, writer.acked() + 50);  // writes go on after the switch
  writer.Stop();
  EXPECT_EQ(writer.unexpected(), 0) << writer.last_unexpected();
  EXPECT_GT(writer.acked(), 100);

  // Every acknowledged write, and the values from before, through every
  // node, with the tokens made before the move.
  for (const char* via : {"n1", "n2", "n3"}) {
    ExpectValues(via, reader, writer.values());
    ExpectBase(via, reader, "base-", 1500);
  }
  auto direct = Node("n1").Get(KvPath("base-7"), reader);
  ASSERT_TRUE(direct);
  EXPECT_EQ(direct->get_header_value("Tenantkv-Node"), "n2");
  // The listing of n1 no longer shows it (once n1 has settled: told by
  // the target, or by its own watchdog if that call failed); n2's does.
  EXPECT_TRUE(WaitFor([&] { return !ListsTenant("n1", "mv"); }, 10));
  EXPECT_TRUE(ListsTenant("n2", "mv"));
  // The directory: owner n2, epoch 2.
  auto dir = Node("n3").Get("/admin/v1/cluster/tenants?prefix=mv", kClusterToken);
  ASSERT_TRUE(dir);
  const json tenants = json::parse(dir->body, nullptr, false)["tenants"];
  ASSERT_EQ(tenants.size(), 1u) << dir->body;
  EXPECT_EQ(tenants[0].value("node", ""), "n2");
  EXPECT_EQ(tenants[0].value("epoch", 0), 2);
  // The old copy goes after the grace period (2 s here).
  EXPECT_TRUE(WaitFor([&] { return Node("n1").ReadLog().find("given away is deleted") != std::string::npos; },
                      30));
  for (const char* via : {"n1", "n3"}) ExpectBase(via, reader, "base-", 1500);
}

TEST_F(ClusterMoveTest, MovesBackAndForthAndOtherTenantsAreUntouched) {
  Create("n1", "hop", "n1");
  Create("n1", "stay", "n1");
  const std::string hop = Key("n1", "hop", "write");
  const std::string stay = Key("n1", "stay", "write");
  const std::string stay_admin = Key("n1", "stay", "admin");
  Fill("n1", hop, "k", 200);
  Fill("n1", stay, "k", 200, "stay-");
  for (const char* to : {"n2", "n3", "n1"}) {
    auto r = Node("n2").Post("/admin/v1/tenants/hop/move", json{{"node", to}}.dump(), kClusterToken);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 202) << to << ": " << r->body;
    // Back to n1 too, whose given-away copy (kept 2 s) goes first.
    WaitForOwner("hop", to);
  }
  for (const char* via : {"n1", "n2", "n3"}) {
    ExpectBase(via, hop, "k", 200);
    ExpectBase(via, stay, "k", 200, "stay-");
    // The other tenant's keys reach nothing of the moved one, and back.
    auto other = Node(via).Get(KvPath("k1"), stay);
    ASSERT_TRUE(other);
    EXPECT_EQ(other->body, "stay-1");
    auto denied = Node(via).Post("/admin/v1/tenants/hop/move", json{{"node", "n2"}}.dump(), stay_admin);
    ASSERT_TRUE(denied);
    EXPECT_EQ(denied->status, 403) << denied->body;
  }
}

TEST_F(ClusterMoveTest, BadRequestsAreRefusedAndChangeNothing) {
  Create("n1", "bad", "n1");
  const std::string admin = Key("n1", "bad", "admin");
  auto post = [&](const std::string& via, const std::string& tenant, const std::string& body,
                  const std::string& token = kClusterToken) {
    return Node(via).Post("/admin/v1/tenants/" + tenant + "/move", body, token);
  };
  struct Case {
    std::string tenant, body;
    int status;
    std::string code;
  };
  const std::vector<Case> cases = {
      {"bad", R"({"node":"n9"})", 400, "unknown_node"},
      {"bad", R"({"node":""})", 400, "invalid_field"},
      {"bad", R"({"node":7})", 400, "invalid_field"},
      {"bad", R"({"node":"n2","x":1})", 400, "unknown_field"},
      {"bad", R"({"node":"n2")", 400, "malformed_json"},
      {"bad", R"([])", 400, "malformed_json"},
      {"nosuch", R"({"node":"n2"})", 404, "tenant_not_found"},
  };
  for (const Case& c : cases) {
    for (const char* via : {"n1", "n2"}) {
      auto r = post(via, c.tenant, c.body);
      ASSERT_TRUE(r);
      EXPECT_EQ(r->status, c.status) << c.body << " via " << via << ": " << r->body;
      EXPECT_EQ(CodeOf(r), c.code) << c.body << ": " << r->body;
    }
  }
  // A tenant's own admin key is not the operator.
  auto own = post("n1", "bad", R"({"node":"n2"})", admin);
  ASSERT_TRUE(own);
  EXPECT_EQ(own->status, 403);
  // Where it is already: 200, nothing started.
  auto here = post("n3", "bad", R"({"node":"n1"})");
  ASSERT_TRUE(here);
  EXPECT_EQ(here->status, 200) << here->body;
  EXPECT_FALSE(json::parse(here->body, nullptr, false).contains("node_move"));
  // A dedicated tenant moves from the column_family tier only.
  auto made = Node("n1").Post("/admin/v1/tenants", json{{"id", "ded"}, {"node", "n1"}, {"tier", "dedicated"}}.dump(),
                              kClusterToken);
  ASSERT_TRUE(made);
  ASSERT_EQ(made->status, 201) << made->body;
  auto dedicated = post("n2", "ded", R"({"node":"n2"})");
  ASSERT_TRUE(dedicated);
  EXPECT_EQ(dedicated->status, 409);
  EXPECT_EQ(CodeOf(dedicated), "tier_not_movable");
  // Nothing moved.
  auto shown = Node("n2").Get("/admin/v1/tenants/bad", kClusterToken);
  ASSERT_TRUE(shown);
  EXPECT_EQ(json::parse(shown->body, nullptr, false).value("node", ""), "n1");
}

TEST_F(ClusterMoveTest, InternalRoutesNeedTheMoversSecret) {
  Create("n1", "sec", "n1");
  const std::string token = Key("n1", "sec", "write");
  // No move recorded: no transfer begins, whatever the bearer.
  for (const std::string& bearer :
       {std::string(), std::string(kClusterToken), token, "tkvm_" + std::string(64, 'a')}) {
    httplib::Headers h;
    auto client = Node("n1").Client();
    if (!bearer.empty()) h.emplace("Authorization", "Bearer " + bearer);
    auto begin = client->Post("/internal/v1/transfers", h,
                              json{{"tenant", "sec"}, {"public_key", std::string(64, 'b')}}.dump(),
                              "application/json");
    ASSERT_TRUE(begin);
    EXPECT_EQ(begin->status, 404) << begin->body;
    EXPECT_EQ(CodeOf(begin), "no_move");
    auto records = client->Get("/internal/v1/transfers/xfer-1/records", h);
    ASSERT_TRUE(records);
    EXPECT_EQ(records->status, 404);
    EXPECT_EQ(CodeOf(records), "transfer_not_found");
    auto freeze = client->Post("/internal/v1/transfers/xfer-1/freeze", h, "", "application/json");
    ASSERT_TRUE(freeze);
    EXPECT_EQ(freeze->status, 404);
  }
  // A node told of a move that the directory does not hold starts nothing.
  auto take = Node("n2").Post("/internal/v1/moves/sec", "", "");
  ASSERT_TRUE(take);
  EXPECT_EQ(take->status, 412) << take->body;
  EXPECT_EQ(CodeOf(take), "no_move");
  // The tenant still takes writes on n1.
  auto put = Node("n1").Put(KvPath("after"), "v", token);
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 201) << put->body;
}

}  // namespace
}  // namespace tenantkv::testing

// Quota plans are cluster-wide (server/api/plan_mirror.h): a plan made or
// changed on one node applies on every node, changes made on two nodes
// both hold, a tenant of a new plan can be made on and moved to any node,
// and with etcd out of reach a change is refused and changes nothing.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "tests/testing/cluster_nodes.h"
#include "tests/testing/wait_for.h"

namespace tenantkv::testing {
namespace {

using json = nlohmann::json;

class ClusterPlansTest : public ClusterNodesTest {
 protected:
  json Plan(const std::string& node, const std::string& name) {
    auto r = Node(node).Get("/admin/v1/plans/" + name, kClusterToken);
    return r && r->status == 200 ? json::parse(r->body, nullptr, false) : json();
  }
  int64_t Default(const std::string& node, const std::string& name, const std::string& field) {
    const json p = Plan(node, name);
    return p.is_object() ? p["defaults"].value(field, int64_t{-1}) : -1;
  }
};

TEST_F(ClusterPlansTest, APlanMadeOnOneNodeAppliesOnEveryNode) {
  auto made = Node("n1").Put("/admin/v1/plans/gold", R"({"defaults":{"weight":2},"max":{"weight":8}})", kClusterToken);
  ASSERT_TRUE(made);
  ASSERT_EQ(made->status, 201) << made->body;
  for (const char* node : {"n2", "n3"}) {
    EXPECT_TRUE(WaitFor([&] { return Default(node, "gold", "weight") == 2; }, 15)) << node;
  }
  // A change on another node is made on the cluster's plan: both hold.
  auto changed = Node("n2").Put("/admin/v1/plans/gold", R"({"defaults":{"max_concurrent":7},"min":{"max_concurrent":1}})", kClusterToken);
  ASSERT_TRUE(changed);
  ASSERT_EQ(changed->status, 200) << changed->body;
  for (const char* node : {"n1", "n2", "n3"}) {
    EXPECT_TRUE(WaitFor([&] { return Default(node, "gold", "max_concurrent") == 7; }, 15)) << node;
    EXPECT_EQ(Default(node, "gold", "weight"), 2) << node;
  }
  // A tenant of the plan on n3, then moved to n2: the plan is there.
  auto t = Node("n1").Post("/admin/v1/tenants", json{{"id", "au"}, {"plan", "gold"}, {"node", "n3"}}.dump(),
                           kClusterToken);
  ASSERT_TRUE(t);
  ASSERT_EQ(t->status, 201) << t->body;
  auto moved = Node("n1").Post("/admin/v1/tenants/au/move", json{{"node", "n2"}}.dump(), kClusterToken);
  ASSERT_TRUE(moved);
  ASSERT_EQ(moved->status, 202) << moved->body;
  json shown;
  EXPECT_TRUE(WaitFor(
      [&] {
        auto r = Node("n1").Get("/admin/v1/tenants/au", kClusterToken);
        shown = r && r->status == 200 ? json::parse(r->body, nullptr, false) : json();
        return shown.is_object() && shown.value("node", "") == "n2";
      },
      30))
      << shown.dump();
  EXPECT_EQ(shown.value("plan", ""), "gold");
  EXPECT_EQ(shown["quota"].value("max_concurrent", 0), 7);
}

TEST_F(ClusterPlansTest, WithEtcdDownAChangeIsRefusedAndChangesNothing) {
  auto made = Node("n1").Put("/admin/v1/plans/silver", R"({"defaults":{"weight":2}})", kClusterToken);
  ASSERT_TRUE(made);
  ASSERT_EQ(made->status, 201) << made->body;
  etcd_.Stop();
  auto refused = Node("n1").Put("/admin/v1/plans/silver", R"({"defaults":{"weight":1}})", kClusterToken);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503) << refused->body;
  EXPECT_EQ(json::parse(refused->body, nullptr, false).value("code", ""), "cluster_unavailable");
  EXPECT_EQ(Default("n1", "silver", "weight"), 2);
  // A bad change is still a 400, never a 5xx, and changes nothing.
  auto bad = Node("n1").Put("/admin/v1/plans/silver", R"({"defaults":{"weight":"x"}})", kClusterToken);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status / 100, 4) << bad->body;
  etcd_.Start();
}

}  // namespace
}  // namespace tenantkv::testing

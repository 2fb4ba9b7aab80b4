// The rebalance planner on made-up clusters: when it moves nothing, which
// tenant it picks, and the limits it keeps.
#include "tools/admin/rebalance_plan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace tenantkv::tools {
namespace {

// Node loads as the sum of their tenants, as the CLI computes them.
std::vector<NodeLoad> LoadsOf(const std::vector<TenantSize>& tenants, const std::vector<std::string>& nodes,
                              const std::vector<std::string>& dead = {}) {
  std::vector<NodeLoad> out;
  for (const std::string& id : nodes) {
    NodeLoad n{id, std::find(dead.begin(), dead.end(), id) == dead.end(), 0};
    for (const TenantSize& t : tenants) {
      if (t.node == id) n.bytes += t.bytes;
    }
    out.push_back(n);
  }
  return out;
}

std::string Describe(const RebalancePlan& plan) {
  std::string out;
  for (const PlannedMove& m : plan.moves) {
    out += m.tenant + ":" + m.from + "->" + m.to + "(" + std::to_string(m.bytes) + ") ";
  }
  return out + PlanStopName(plan.stop);
}

TEST(RebalancePlan, BalancedClusterGivesAnEmptyPlan) {
  const std::vector<TenantSize> tenants = {{"a", "n1", 100}, {"b", "n2", 95}, {"c", "n3", 105}};
  const RebalancePlan plan = PlanRebalance(LoadsOf(tenants, {"n1", "n2", "n3"}), tenants, {});
  EXPECT_TRUE(plan.moves.empty());
  EXPECT_EQ(plan.stop, PlanStop::kBalanced);
  EXPECT_NEAR(plan.spread_before_pct, 100.0 * 10 / 105, 1e-9);
  EXPECT_EQ(plan.spread_after_pct, plan.spread_before_pct);
}

TEST(RebalancePlan, EmptyClusterAndSingleNodeNeedNothing) {
  EXPECT_TRUE(PlanRebalance({}, {}, {}).moves.empty());
  EXPECT_TRUE(PlanRebalance({{"n1", true, 0}, {"n2", true, 0}}, {}, {}).moves.empty());
  const std::vector<TenantSize> one = {{"a", "local", 500}, {"b", "local", 300}};
  const RebalancePlan plan = PlanRebalance(LoadsOf(one, {"local"}), one, {});
  EXPECT_TRUE(plan.moves.empty());
  EXPECT_EQ(plan.spread_before_pct, 0);
}

TEST(RebalancePlan, OneHeavyNodeSendsTenantsToTheLightOnes) {
  const std::vector<TenantSize> tenants = {{"a", "n1", 400}, {"b", "n1", 300}, {"c", "n1", 200},
                                           {"d", "n1", 100}, {"e", "n2", 100}, {"f", "n3", 100}};
  const RebalancePlan plan = PlanRebalance(LoadsOf(tenants, {"n1", "n2", "n3"}), tenants, {});
  // n1 1000, n2 100, n3 100. Gap 900 to n2 (the lower id of the two
  // lightest): 400 comes closest to 450. Then n1 600 against n3 100: gap
  // 500, 300 and 200 are both 50 from 250, the lower id "b" wins. Then n2
  // (500) is the heaviest and n1 (300) the lightest: of n2's tenants only e
  // has not moved yet, and its 100 halves the gap of 200.
  EXPECT_EQ(Describe(plan), "a:n1->n2(400) b:n1->n3(300) e:n2->n1(100) balanced");
  EXPECT_EQ(plan.bytes_after.at("n1"), 400u);
  EXPECT_EQ(plan.bytes_after.at("n2"), 400u);
  EXPECT_EQ(plan.bytes_after.at("n3"), 400u);
  EXPECT_NEAR(plan.spread_before_pct, 90.0, 1e-9);
  EXPECT_EQ(plan.spread_after_pct, 0);
}

TEST(RebalancePlan, ToleranceDecidesWhenToStop) {
  const std::vector<TenantSize> tenants = {{"a", "n1", 60}, {"b", "n1", 25}, {"c", "n1", 15}, {"d", "n2", 10}};
  const std::vector<NodeLoad> nodes = LoadsOf(tenants, {"n1", "n2"});
  // n1 100, n2 10: spread 90%. A tolerance above it plans nothing.
  EXPECT_TRUE(PlanRebalance(nodes, tenants, {95, 10}).moves.empty());
  // Gap 90, half 45: b (25) is 20 off, a (60) 15 off → a. Then n1 40, n2 70:
  // spread 42.9% ≤ 50: done.
  EXPECT_EQ(Describe(PlanRebalance(nodes, tenants, {50, 10})), "a:n1->n2(60) balanced");
  // With 10%: n2 70 vs n1 40, gap 30: n2 holds d (10) and a (moved): d →
  // 50/60, spread 16.7%; then gap 10: nothing under 10 helps.
  const RebalancePlan tight = PlanRebalance(nodes, tenants, {10, 10});
  EXPECT_EQ(Describe(tight), "a:n1->n2(60) d:n2->n1(10) no_move_helps");
  EXPECT_NEAR(tight.spread_after_pct, 100.0 * 10 / 60, 1e-9);
}

TEST(RebalancePlan, MaxMovesBoundsThePlan) {
  std::vector<TenantSize> tenants;
  for (int i = 0; i < 20; ++i) tenants.push_back({"t" + std::to_string(10 + i), "n1", 10});
  const std::vector<NodeLoad> nodes = LoadsOf(tenants, {"n1", "n2"});
  const RebalancePlan plan = PlanRebalance(nodes, tenants, {0, 3});
  EXPECT_EQ(Describe(plan), "t10:n1->n2(10) t11:n1->n2(10) t12:n1->n2(10) max_moves");
  EXPECT_EQ(plan.bytes_after.at("n1"), 170u);
  EXPECT_EQ(plan.bytes_after.at("n2"), 30u);
  // Without the bound it evens out: 10 moves of 10 bytes.
  EXPECT_EQ(PlanRebalance(nodes, tenants, {0, 100}).moves.size(), 10u);
}

TEST(RebalancePlan, DeadNodesAreNeitherSourcesNorTargets) {
  const std::vector<TenantSize> tenants = {{"a", "n1", 500}, {"b", "n1", 400}, {"c", "n2", 100},
                                           {"d", "n3", 50}};
  // n3 is dead and the lightest: nothing goes there. n1 is dead and the
  // heaviest: its tenants stay.
  RebalancePlan plan = PlanRebalance(LoadsOf(tenants, {"n1", "n2", "n3"}, {"n3"}), tenants, {});
  EXPECT_EQ(Describe(plan), "b:n1->n2(400) balanced");
  EXPECT_EQ(plan.bytes_after.count("n3"), 0u);
  plan = PlanRebalance(LoadsOf(tenants, {"n1", "n2", "n3"}, {"n1"}), tenants, {});
  EXPECT_EQ(Describe(plan), "no_move_helps") << "c (100) is the whole gap of 50..100";
  EXPECT_NEAR(plan.spread_before_pct, 50.0, 1e-9);
  // A tenant naming a node the list does not have stays too.
  const std::vector<TenantSize> stray = {{"x", "gone", 1000}, {"y", "n1", 10}};
  EXPECT_TRUE(PlanRebalance({{"n1", true, 10}, {"n2", true, 0}}, stray, {}).moves.empty());
}

TEST(RebalancePlan, ATenantOfTheWholeGapOrMoreIsNotMoved) {
  // n1 1000 in one tenant, n2 0: moving it would only swap the nodes.
  std::vector<TenantSize> tenants = {{"big", "n1", 1000}};
  RebalancePlan plan = PlanRebalance(LoadsOf(tenants, {"n1", "n2"}), tenants, {});
  EXPECT_EQ(Describe(plan), "no_move_helps");
  // With a small one beside it, the small one goes, the big one stays.
  tenants = {{"big", "n1", 900}, {"small", "n1", 100}, {"z", "n2", 50}};
  plan = PlanRebalance(LoadsOf(tenants, {"n1", "n2"}), tenants, {});
  EXPECT_EQ(Describe(plan), "small:n1->n2(100) no_move_helps");
  // n1 holds one huge tenant, n2 some, n3 none: n2 gives to n3 instead.
  tenants = {{"huge", "n1", 100}, {"p", "n2", 30}, {"q", "n2", 30}};
  plan = PlanRebalance(LoadsOf(tenants, {"n1", "n2", "n3"}), tenants, {});
  EXPECT_EQ(Describe(plan), "p:n2->n3(30) no_move_helps");
  // Zero-byte tenants never help.
  tenants = {{"a", "n1", 0}, {"b", "n1", 0}, {"c", "n1", 10}};
  EXPECT_EQ(Describe(PlanRebalance(LoadsOf(tenants, {"n1", "n2"}), tenants, {})), "no_move_helps");
}

TEST(RebalancePlan, TargetNeverEndsHeavierThanTheSourceWas) {
  const std::vector<TenantSize> tenants = {{"a", "n1", 70}, {"b", "n1", 50}, {"c", "n2", 20}, {"d", "n3", 60}};
  const std::vector<NodeLoad> nodes = LoadsOf(tenants, {"n1", "n2", "n3"});
  const RebalancePlan plan = PlanRebalance(nodes, tenants, {0, 100});
  std::map<std::string, std::uint64_t> loads;
  for (const NodeLoad& n : nodes) loads[n.id] = n.bytes;
  for (const PlannedMove& m : plan.moves) {
    SCOPED_TRACE(m.tenant);
    EXPECT_LE(loads[m.to] + m.bytes, loads[m.from]);
    loads[m.from] -= m.bytes;
    loads[m.to] += m.bytes;
  }
  EXPECT_EQ(loads, plan.bytes_after);
  EXPECT_LT(plan.spread_after_pct, plan.spread_before_pct);
}

TEST(RebalancePlan, TheSameClusterInAnyOrderGivesTheSamePlan) {
  std::vector<TenantSize> tenants = {{"m", "n2", 30}, {"k", "n2", 30}, {"a", "n2", 30}, {"z", "n1", 5},
                                     {"b", "n3", 10}, {"c", "n3", 20}};
  std::vector<NodeLoad> nodes = LoadsOf(tenants, {"n3", "n1", "n2", "n4"});
  const RebalancePlan first = PlanRebalance(nodes, tenants, {});
  // n2 (90) gives to n4 (0), then to n1 (5); of its three equal tenants the
  // lower id goes first: a, then k.
  EXPECT_EQ(Describe(first).substr(0, 14), "a:n2->n4(30) k");
  std::reverse(tenants.begin(), tenants.end());
  std::reverse(nodes.begin(), nodes.end());
  tenants.push_back(tenants.front());  // a repeated entry counts once
  const RebalancePlan second = PlanRebalance(nodes, tenants, {});
  EXPECT_EQ(Describe(first), Describe(second));
  // Equal nodes: the lower id is the source and the target.
  const std::vector<TenantSize> twins = {{"x", "n2", 10}, {"y", "n1", 10}, {"w", "n1", 30}, {"v", "n2", 30}};
  EXPECT_EQ(Describe(PlanRebalance(LoadsOf(twins, {"n1", "n2", "n3", "n4"}), twins, {0, 1})),
            "w:n1->n3(30) max_moves");
}

}  // namespace
}  // namespace tenantkv::tools

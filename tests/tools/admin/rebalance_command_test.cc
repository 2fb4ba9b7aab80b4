// tenantkv-admin cluster rebalance against a fake cluster: what it reads
// and from where, the plan it prints, --apply's moves (never more in flight
// than --max-concurrent, a failed one reported and the others still run),
// --json, and its usage errors.
#include "tools/admin/rebalance_command.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "fake_cluster_run.h"
#include "tests/testing/fake_admin_cluster.h"
#include "tools/admin/cli_errors.h"
#include "tools/admin/command_line.h"
#include "tools/admin/invocation.h"

namespace tenantkv::tools {
namespace {

using tenantkv::testing::FakeCluster;

ParsedArgs ParseRebalanceArgs(std::vector<const char*> args) {
  args.insert(args.begin(), {"tenantkv-admin", "--server", "http://h:1", "cluster", "rebalance"});
  return ParseArgs(static_cast<int>(args.size()), args.data());
}

RebalanceOptions Options(std::ostream& out, bool apply, int max_concurrent = 1) {
  RebalanceOptions o;
  o.apply = apply;
  o.max_concurrent = max_concurrent;
  o.poll_interval = std::chrono::milliseconds(5);
  o.out = &out;
  return o;
}

// n1 holds 1000 bytes in four tenants, n2 and n3 100 each; n1 answers.
void OneHeavyNode(FakeCluster& cluster) {
  cluster.AddNode("n1");
  cluster.AddNode("n2");
  cluster.AddNode("n3");
  cluster.AddTenant("a", "n1", 400);
  cluster.AddTenant("b", "n1", 300);
  cluster.AddTenant("c", "n1", 200);
  cluster.AddTenant("d", "n1", 100);
  cluster.AddTenant("e", "n2", 100);
  cluster.AddTenant("f", "n3", 100);
  cluster.AddTenant("gone", "n1", 90000, "deleting");  // counts for nothing
}

const char kPlanText[] =
    "TENANT  FROM  TO  BYTES\n"
    "a       n1    n2  400\n"
    "b       n1    n3  300\n"
    "e       n2    n1  100\n"
    "spread: 90.0% before, 0.0% after (tolerance 10%)\n";

TEST(ClusterRebalance, DryRunReadsEachNodesListAndPrintsThePlan) {
  FakeCluster cluster;
  OneHeavyNode(cluster);
  cluster.SetPageSize(2);  // n1's list takes three pages
  std::ostringstream out;
  Result<CommandOutput> result = RunAgainst(cluster, ClusterRebalance(Options(out, false)));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->text, kPlanText);
  EXPECT_EQ(result->exit_code, kExitOk);
  EXPECT_EQ(out.str(), "");
  // Each node's own list at its URL, the one --server names too.
  EXPECT_EQ(cluster.requests(), (std::vector<std::string>{
                                    "GET /admin/v1/cluster",
                                    "GET /n1/admin/v1/tenants?limit=1000",
                                    "GET /n1/admin/v1/tenants?limit=1000&start_after=b",
                                    "GET /n1/admin/v1/tenants?limit=1000&start_after=d",
                                    "GET /n2/admin/v1/tenants?limit=1000",
                                    "GET /n3/admin/v1/tenants?limit=1000",
                                }));
}

TEST(ClusterRebalance, DryRunJsonIsThePlanDocument) {
  FakeCluster cluster;
  OneHeavyNode(cluster);
  std::ostringstream out;
  Result<CommandOutput> result = RunAgainst(cluster, ClusterRebalance(Options(out, false)), /*json=*/true);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const Json doc = Json::parse(result->text);
  EXPECT_EQ(doc["moves"].dump(),
            R"([{"tenant":"a","from":"n1","to":"n2","bytes":400},{"tenant":"b","from":"n1","to":"n3","bytes":300},)"
            R"({"tenant":"e","from":"n2","to":"n1","bytes":100}])");
  EXPECT_EQ(doc["nodes"][0].dump(), R"({"id":"n1","alive":true,"bytes":1000,"bytes_after":400})");
  EXPECT_EQ(doc["spread_before_pct"], 90.0);
  EXPECT_EQ(doc["spread_after_pct"], 0.0);
  EXPECT_EQ(doc["tolerance_pct"], 10.0);
  EXPECT_EQ(doc["stopped"], "balanced");
  EXPECT_FALSE(doc.contains("outcomes"));
}

TEST(ClusterRebalance, BalancedClusterPlansAndMovesNothing) {
  FakeCluster cluster;
  cluster.AddNode("n1");
  cluster.AddNode("n2");
  cluster.AddTenant("a", "n1", 100);
  cluster.AddTenant("b", "n2", 95);
  std::ostringstream out;
  Result<CommandOutput> result = RunAgainst(cluster, ClusterRebalance(Options(out, true)));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(out.str(),
            "no moves: the spread is within the tolerance of 10%\n"
            "spread: 5.0% before, 5.0% after (tolerance 10%)\n\n"
            "moves: 0 done, 0 not done\n");
  EXPECT_TRUE(cluster.RequestsStartingWith("POST").empty());
}

TEST(ClusterRebalance, ApplyKeepsToTheConcurrencyBoundAndReportsAFailure) {
  FakeCluster cluster;
  OneHeavyNode(cluster);
  FakeCluster::MoveScript fails;
  fails.states = {"copying", "failed"};
  cluster.Script("b", fails);
  std::ostringstream out;
  Result<CommandOutput> result = RunAgainst(cluster, ClusterRebalance(Options(out, true, 2)));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(ErrorLine(result.status()), "error: 1 of 3 moves did not complete");
  EXPECT_EQ(ExitCodeFor(result.status()), kExitFailure);
  // a and b start together; e takes b's place once b has failed.
  EXPECT_EQ(out.str(), std::string(kPlanText) +
                           "\n"
                           "started a: n1 -> n2 (400 bytes)\n"
                           "started b: n1 -> n3 (300 bytes)\n"
                           "failed b: n1 -> n3: copy failed: disk full\n"
                           "started e: n2 -> n1 (100 bytes)\n"
                           "done a: n1 -> n2 (300 keys copied)\n"
                           "done e: n2 -> n1 (300 keys copied)\n"
                           "moves: 2 done, 1 not done\n");
  EXPECT_EQ(cluster.max_in_flight(), 2);
  EXPECT_EQ(cluster.RequestsStartingWith("POST"),
            (std::vector<std::string>{"POST /admin/v1/tenants/a/move", "POST /admin/v1/tenants/b/move",
                                      "POST /admin/v1/tenants/e/move"}));
  EXPECT_EQ(cluster.NodeOf("a"), "n2");
  EXPECT_EQ(cluster.NodeOf("b"), "n1");
  EXPECT_EQ(cluster.NodeOf("e"), "n1");
}

TEST(ClusterRebalance, ApplyOneAtATimeWaitsForEachMove) {
  FakeCluster cluster;
  OneHeavyNode(cluster);
  FakeCluster::MoveScript slow;
  slow.states = {"copying", "copying", "switching", "done"};
  slow.unavailable_reads = 2;  // unreachable for a moment at the switch: waited out
  cluster.Script("a", slow);
  std::ostringstream out;
  Result<CommandOutput> result = RunAgainst(cluster, ClusterRebalance(Options(out, true, 1)));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->exit_code, kExitOk);
  EXPECT_EQ(cluster.max_in_flight(), 1);
  // Each POST comes after the read that showed the previous move done.
  std::vector<std::string> moves_and_reads;
  for (const std::string& r : cluster.requests()) {
    if (r.find("/move") != std::string::npos || r.rfind("GET /admin/v1/tenants/", 0) == 0) {
      moves_and_reads.push_back(r);
    }
  }
  const std::vector<std::string> expected = {
      "POST /admin/v1/tenants/a/move", "GET /admin/v1/tenants/a", "GET /admin/v1/tenants/a",
      "GET /admin/v1/tenants/a",       "GET /admin/v1/tenants/a", "GET /admin/v1/tenants/a",
      "GET /admin/v1/tenants/a",       "POST /admin/v1/tenants/b/move", "GET /admin/v1/tenants/b",
      "GET /admin/v1/tenants/b",       "GET /admin/v1/tenants/b", "POST /admin/v1/tenants/e/move",
      "GET /admin/v1/tenants/e",       "GET /admin/v1/tenants/e", "GET /admin/v1/tenants/e"};
  EXPECT_EQ(moves_and_reads, expected);
  EXPECT_NE(out.str().find("moves: 3 done, 0 not done\n"), std::string::npos) << out.str();
}

TEST(ClusterRebalance, ApplyJsonAddsTheOutcomes) {
  FakeCluster cluster;
  OneHeavyNode(cluster);
  cluster.Script("e", {503, "too_many_moves"});
  std::ostringstream out;
  Result<CommandOutput> result = RunAgainst(cluster, ClusterRebalance(Options(out, true, 3)), /*json=*/true);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(ExitCodeFor(result.status()), kExitFailure);
  const Json doc = Json::parse(out.str());
  ASSERT_EQ(doc["outcomes"].size(), 3u);
  EXPECT_EQ(doc["outcomes"][0].dump(),
            R"({"tenant":"a","from":"n1","to":"n2","bytes":400,"outcome":"done","copied_keys":300})");
  EXPECT_EQ(doc["outcomes"][2].dump(),
            R"({"tenant":"e","from":"n2","to":"n1","bytes":100,"outcome":"failed",)"
            R"("error":"503 too_many_moves: scripted refusal"})");
  EXPECT_EQ(cluster.max_in_flight(), 2) << "e was refused, so two ran";
}

TEST(ClusterRebalance, AMoveThatDoesNotEndStopsFurtherStarts) {
  FakeCluster cluster;
  OneHeavyNode(cluster);
  FakeCluster::MoveScript stuck;
  stuck.states = {"copying"};
  cluster.Script("a", stuck);
  std::ostringstream out;
  RebalanceOptions options = Options(out, true, 1);
  options.move_timeout_seconds = 0.05;
  Result<CommandOutput> result = RunAgainst(cluster, ClusterRebalance(options), /*json=*/true);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(ErrorLine(result.status()), "error: 3 of 3 moves did not complete");
  const Json doc = Json::parse(out.str());
  EXPECT_EQ(doc["outcomes"][0]["outcome"], "timed_out");
  EXPECT_EQ(doc["outcomes"][0]["error"], "not ended after 0.05 s; no further move started");
  EXPECT_EQ(doc["outcomes"][1]["outcome"], "not_started");
  EXPECT_EQ(doc["outcomes"][2]["outcome"], "not_started");
  EXPECT_EQ(cluster.RequestsStartingWith("POST").size(), 1u);
}

TEST(ClusterRebalance, DeadNodesAreLeftOutAndAnUnreachableNodeIsReadThroughTheServer) {
  FakeCluster cluster;
  cluster.AddNode("n1");
  cluster.AddNode("n2", true, "http://127.0.0.1:1");  // nothing listens there
  cluster.AddNode("n3", false);
  cluster.AddTenant("t1", "n1", 600);
  cluster.AddTenant("t2", "n1", 200);
  cluster.AddTenant("u", "n2", 100);
  cluster.AddTenant("z", "n3", 5000);
  std::ostringstream out;
  Result<CommandOutput> result = RunAgainst(cluster, ClusterRebalance(Options(out, false)));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->text.rfind("note: node n2: tenants read one by one through --server (cannot reach "
                               "http://127.0.0.1:1",
                               0),
            0u)
      << result->text;
  EXPECT_NE(result->text.find("TENANT  FROM  TO  BYTES\n"
                              "t2      n1    n2  200\n"
                              "(stopped: no tenant can move without overshooting)\n"
                              "spread: 87.5% before, 50.0% after (tolerance 10%)\n"),
            std::string::npos)
      << result->text;
  const std::vector<std::string> requests = cluster.requests();
  EXPECT_NE(std::find(requests.begin(), requests.end(), "GET /admin/v1/cluster/tenants?limit=1000&node=n2"),
            requests.end());
  EXPECT_NE(std::find(requests.begin(), requests.end(), "GET /admin/v1/tenants/u"), requests.end());
  EXPECT_TRUE(cluster.RequestsStartingWith("GET /n3/").empty()) << "a dead node is not read";
}

TEST(ClusterRebalance, OneAliveNodeNeedsNoTenantReads) {
  FakeCluster cluster;
  cluster.AddNode("local", true, "");
  cluster.AddNode("n2", false);
  cluster.AddTenant("a", "local", 100);
  std::ostringstream out;
  Result<CommandOutput> result = RunAgainst(cluster, ClusterRebalance(Options(out, false)));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->text,
            "no moves: the spread is within the tolerance of 10%\n"
            "spread: 0.0% before, 0.0% after (tolerance 10%)\n");
  EXPECT_EQ(cluster.requests(), std::vector<std::string>{"GET /admin/v1/cluster"});
}

TEST(ClusterRebalance, CommandLineNeedsExactlyOneModeAndSaneBounds) {
  for (const std::vector<const char*>& args : std::vector<std::vector<const char*>>{
           {},
           {"--dry-run", "--apply"},
           {"--apply", "--max-concurrent", "0"},
           {"--apply", "--max-concurrent", "17"},
           {"--dry-run", "--max-moves", "0"},
           {"--dry-run", "--tolerance", "101"},
           {"--dry-run", "--tolerance", "x"},
       }) {
    ParsedArgs p = ParseRebalanceArgs(args);
    EXPECT_FALSE(p.invocation) << args.size();
    EXPECT_EQ(p.exit_code, kExitUsage) << p.output;
    EXPECT_EQ(p.output.rfind("error: ", 0), 0u) << p.output;
  }
  EXPECT_EQ(ParseRebalanceArgs({}).output, "error: cluster rebalance: give --dry-run or --apply\n");
  for (const std::vector<const char*>& args : std::vector<std::vector<const char*>>{
           {"--dry-run"},
           {"--apply", "--max-concurrent", "16", "--max-moves", "3", "--tolerance", "2.5"},
           {"--dry-run", "--json"},
       }) {
    ParsedArgs p = ParseRebalanceArgs(args);
    ASSERT_TRUE(p.invocation) << p.output;
    EXPECT_TRUE(p.invocation->command.program);
  }
  EXPECT_TRUE(ParseRebalanceArgs({"--dry-run", "--json"}).invocation->globals.json);
}

}  // namespace
}  // namespace tenantkv::tools

// tenantkv-admin tenants move: the request it sends, what it prints for a
// started move, one already there and a refused one, and --wait following
// a move to its end (done, failed, or still running at --timeout).
#include "tools/admin/tenant_move.h"

#include <gtest/gtest.h>

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

ParsedArgs ParseMoveArgs(std::vector<const char*> args) {
  args.insert(args.begin(), {"tenantkv-admin", "--server", "http://h:1"});
  return ParseArgs(static_cast<int>(args.size()), args.data());
}

// Two nodes, acme on n1.
void TwoNodes(FakeCluster& cluster) {
  cluster.AddNode("n1");
  cluster.AddNode("n2");
  cluster.AddTenant("acme", "n1", 5000);
}

MoveWaitOptions Waiting(std::ostream& progress, double timeout_seconds = 5) {
  MoveWaitOptions o;
  o.wait = true;
  o.timeout_seconds = timeout_seconds;
  o.poll_interval = std::chrono::milliseconds(5);
  o.progress = &progress;
  return o;
}

TEST(TenantMove, CommandLineBuildsTheMoveRequest) {
  ParsedArgs p = ParseMoveArgs({"tenants", "move", "a b", "--node", "n2"});
  ASSERT_TRUE(p.invocation) << p.output;
  const HttpRequest& request = p.invocation->command.request;
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.path, "/admin/v1/tenants/a%20b/move");
  EXPECT_EQ(request.body->dump(), R"({"node":"n2"})");
  EXPECT_FALSE(p.invocation->command.program) << "without --wait it is one request";

  p = ParseMoveArgs({"tenants", "move", "acme", "--node", "n2", "--wait", "--timeout", "5"});
  ASSERT_TRUE(p.invocation) << p.output;
  EXPECT_TRUE(p.invocation->command.program);
  EXPECT_EQ(p.invocation->globals.timeout_seconds, 30) << "--timeout after `move` is the wait's";
  p = ParseMoveArgs({"--timeout", "7", "tenants", "move", "acme", "--node", "n2", "--wait"});
  ASSERT_TRUE(p.invocation) << p.output;
  EXPECT_EQ(p.invocation->globals.timeout_seconds, 7);
}

TEST(TenantMove, UsageErrorsExitTwo) {
  for (const std::vector<const char*>& args : std::vector<std::vector<const char*>>{
           {"tenants", "move", "acme"},                                    // no --node
           {"tenants", "move", "--node", "n2"},                            // no id
           {"tenants", "move", "acme", "--node", "n2", "--timeout", "5"},  // --timeout without --wait
           {"tenants", "move", "acme", "--node", "n2", "--wait", "--timeout", "0"},
       }) {
    ParsedArgs p = ParseMoveArgs(args);
    EXPECT_FALSE(p.invocation) << args.size();
    EXPECT_EQ(p.exit_code, kExitUsage) << p.output;
    EXPECT_EQ(p.output.rfind("error: ", 0), 0u) << p.output;
  }
}

TEST(TenantMove, StartedMovePrintsOneLine) {
  FakeCluster cluster;
  TwoNodes(cluster);
  Result<CommandOutput> out = RunAgainst(cluster, TenantsMove("acme", "n2"));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->text, "moving tenant 'acme' from n1 to n2: requested, 0 keys copied\n");
  EXPECT_EQ(out->exit_code, kExitOk);
  EXPECT_EQ(cluster.requests(), std::vector<std::string>{"POST /admin/v1/tenants/acme/move"});
}

TEST(TenantMove, AlreadyThereIsNotAnError) {
  FakeCluster cluster;
  TwoNodes(cluster);
  Result<CommandOutput> out = RunAgainst(cluster, TenantsMove("acme", "n1"));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->text, "tenant 'acme' is already on n1\n");
  std::ostringstream progress;
  out = RunAgainst(cluster, TenantsMove("acme", "n1", Waiting(progress)));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->text, "tenant 'acme' is already on n1\n");
  EXPECT_EQ(progress.str(), "");
  EXPECT_EQ(cluster.RequestsStartingWith("GET").size(), 0u) << "nothing to wait for";
}

TEST(TenantMove, RefusalsAreRenderedLikeEveryError) {
  FakeCluster cluster;
  TwoNodes(cluster);
  cluster.Script("acme", {409, "move_in_progress"});
  for (bool wait : {false, true}) {
    std::ostringstream progress;
    Result<CommandOutput> out =
        RunAgainst(cluster, TenantsMove("acme", "n2", wait ? Waiting(progress) : MoveWaitOptions{}));
    ASSERT_FALSE(out.ok());
    EXPECT_EQ(ErrorLine(out.status()), "error: 409 move_in_progress: scripted refusal");
    EXPECT_EQ(ExitCodeFor(out.status()), kExitFailure);
  }
  Result<CommandOutput> out = RunAgainst(cluster, TenantsMove("nope", "n2"));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(ErrorLine(out.status()), "error: 404 tenant_not_found: tenant 'nope' does not exist");
}

TEST(TenantMove, WaitFollowsTheMoveToDone) {
  FakeCluster cluster;
  TwoNodes(cluster);
  FakeCluster::MoveScript script;
  script.states = {"copying", "copying", "catching_up", "switching", "done"};
  script.unavailable_reads = 1;  // the tenant is briefly unreachable: waited out
  cluster.Script("acme", script);
  std::ostringstream progress;
  Result<CommandOutput> out = RunAgainst(cluster, TenantsMove("acme", "n2", Waiting(progress)));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(progress.str(),
            "moving tenant 'acme' from n1 to n2: requested, 0 keys copied\n"
            "acme: copying, 100 keys copied\n"
            "acme: copying, 200 keys copied\n"
            "acme: catching_up, 300 keys copied\n"
            "acme: switching, 400 keys copied\n");
  EXPECT_EQ(out->text, "tenant 'acme' moved to n2 (500 keys copied)\n");
  EXPECT_EQ(out->exit_code, kExitOk);
  EXPECT_EQ(cluster.NodeOf("acme"), "n2");
  EXPECT_EQ(cluster.RequestsStartingWith("GET /admin/v1/tenants/acme").size(), 6u);
}

TEST(TenantMove, WaitWithJsonPrintsOnlyTheLastTenant) {
  FakeCluster cluster;
  TwoNodes(cluster);
  std::ostringstream progress;
  Result<CommandOutput> out = RunAgainst(cluster, TenantsMove("acme", "n2", Waiting(progress)), /*json=*/true);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(progress.str(), "");
  const Json tenant = Json::parse(out->text);
  EXPECT_EQ(tenant["node"], "n2");
  EXPECT_EQ(tenant["node_move"]["state"], "done");
}

TEST(TenantMove, WaitReportsAFailedMove) {
  FakeCluster cluster;
  TwoNodes(cluster);
  FakeCluster::MoveScript script;
  script.states = {"copying", "failed"};
  cluster.Script("acme", script);
  std::ostringstream progress;
  Result<CommandOutput> out = RunAgainst(cluster, TenantsMove("acme", "n2", Waiting(progress)));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(ErrorLine(out.status()), "error: move of tenant 'acme' to n2 failed: copy failed: disk full");
  EXPECT_EQ(ExitCodeFor(out.status()), kExitFailure);
  EXPECT_EQ(cluster.NodeOf("acme"), "n1");
}

TEST(TenantMove, WaitGivesUpAtTheTimeout) {
  FakeCluster cluster;
  TwoNodes(cluster);
  FakeCluster::MoveScript script;
  script.states = {"copying"};
  cluster.Script("acme", script);
  std::ostringstream progress;
  const auto start = std::chrono::steady_clock::now();
  Result<CommandOutput> out = RunAgainst(cluster, TenantsMove("acme", "n2", Waiting(progress, 0.1)));
  ASSERT_FALSE(out.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(ErrorLine(out.status()),
            "error: tenant 'acme' is still moving to n2 (copying, 100 keys copied) after 0.1 s; "
            "follow it with `tenants show acme`");
  EXPECT_EQ(ExitCodeFor(out.status()), kExitFailure);
}

TEST(TenantMove, JudgeMoveReadsTheTenant) {
  EXPECT_EQ(JudgeMove(Json::parse(R"({"node":"n2"})"), "n2").phase, MovePhase::kDone);
  EXPECT_EQ(JudgeMove(Json::parse(R"({"node":"n1"})"), "n2").phase, MovePhase::kRunning);
  EXPECT_EQ(JudgeMove(Json::parse(R"({"node":"n2","node_move":{"to":"n2","state":"switching"}})"), "n2").phase,
            MovePhase::kRunning);
  const MoveProgress failed =
      JudgeMove(Json::parse(R"({"node":"n1","node_move":{"to":"n2","state":"failed","error":"x"}})"), "n2");
  EXPECT_EQ(failed.phase, MovePhase::kFailed);
  EXPECT_EQ(failed.error, "x");
  // An older move's record (to another node) is not this move's outcome.
  EXPECT_EQ(JudgeMove(Json::parse(R"({"node":"n2","node_move":{"to":"n3","state":"failed"}})"), "n2").phase,
            MovePhase::kDone);
}

}  // namespace
}  // namespace tenantkv::tools

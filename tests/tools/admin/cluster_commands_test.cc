// tenantkv-admin cluster status: the request it sends, the table it prints,
// --json, and a 503 from a node that cannot reach etcd.
#include "tools/admin/cluster_commands.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tools/admin/cli_errors.h"
#include "tools/admin/command_line.h"

namespace tenantkv::tools {
namespace {

class CannedTransport final : public HttpTransport {
 public:
  explicit CannedTransport(HttpResponse answer) : answer_(std::move(answer)) {}
  Result<HttpResponse> Send(const HttpRequest& request) override {
    requests.push_back(request);
    return answer_;
  }
  std::vector<HttpRequest> requests;

 private:
  HttpResponse answer_;
};

const char kClusterJson[] =
    R"({"lease_alive":true,"mode":"cluster","node":"n1","nodes":[)"
    R"({"alive":true,"bytes":2048,"id":"n1","started_at":"2026-12-07T07:00:00Z","tenants":3,"url":"http://10.0.0.1:8080","version":"0.1.0"},)"
    R"({"alive":false,"bytes":0,"id":"n2","started_at":"2026-12-07T07:00:01Z","tenants":0,"url":"http://10.0.0.2:8080","version":"0.1.0"}]})";

TEST(ClusterCommands, StatusIsOneGetOfTheClusterRoute) {
  const char* args[] = {"tenantkv-admin", "--server", "http://h:1", "cluster", "status"};
  ParsedArgs p = ParseArgs(5, args);
  ASSERT_TRUE(p.invocation) << p.output;
  EXPECT_EQ(p.invocation->command.request.method, "GET");
  EXPECT_EQ(p.invocation->command.request.path, "/admin/v1/cluster");
  EXPECT_FALSE(p.invocation->command.request.body);
  const char* bare[] = {"tenantkv-admin", "--server", "http://h:1", "cluster"};
  EXPECT_FALSE(ParseArgs(4, bare).invocation) << "a subcommand is required";
}

TEST(ClusterCommands, StatusPrintsTheNodesTable) {
  CannedTransport transport({200, "application/json", kClusterJson});
  Result<std::string> out = RunCommand(ClusterStatus(), transport, false);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out,
            "mode: cluster\nnode: n1\nlease alive: true\n\n"
            "ID  ALIVE  TENANTS  BYTES  URL                   STARTED_AT            VERSION\n"
            "n1  true   3        2048   http://10.0.0.1:8080  2026-12-07T07:00:00Z  0.1.0\n"
            "n2  false  0        0      http://10.0.0.2:8080  2026-12-07T07:00:01Z  0.1.0\n");
  ASSERT_EQ(transport.requests.size(), 1u);
  EXPECT_TRUE(transport.requests[0].authenticated);
}

TEST(ClusterCommands, JsonPrintsTheAnswer) {
  CannedTransport transport({200, "application/json", kClusterJson});
  Result<std::string> out = RunCommand(ClusterStatus(), transport, true);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(Json::parse(*out), Json::parse(kClusterJson));
}

TEST(ClusterCommands, EtcdOutOfReachIsTheProblemLine) {
  CannedTransport transport({503, "application/problem+json",
                             R"({"status":503,"code":"cluster_unavailable","detail":"the cluster's etcd cannot be read"})"});
  Result<std::string> out = RunCommand(ClusterStatus(), transport, false);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(ErrorLine(out.status()).find("503 cluster_unavailable"), std::string::npos) << ErrorLine(out.status());
  EXPECT_EQ(ExitCodeFor(out.status()), kExitFailure);
}

}  // namespace
}  // namespace tenantkv::tools

// docs/openapi.yaml against the server's route table, both ways: every
// (method, pattern) the route tables of server/api/ register is a path and
// operation of the spec, and every operation of the spec is a route. The
// tables are run for real (their handlers are never called, so no engine is
// needed); the few routes Api's constructor adds itself, and the list of
// table functions, are read from the sources so that a new one cannot slip
// past this test.
#include <gtest/gtest.h>

#include <cctype>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>

#include "server/api/api.h"

namespace tenantkv::server {
namespace {

using RouteSet = std::set<std::pair<std::string, std::string>>;  // (METHOD, spec path)

std::string ReadSource(const std::string& rel) {
  std::ifstream in(std::string(TENANTKV_SOURCE_DIR) + "/" + rel);
  EXPECT_TRUE(in.good()) << rel;
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

// The router's "{*key}" (the rest of the path) is the spec's "{key}".
std::string SpecPath(std::string pattern) {
  const std::string rest = "{*";
  for (size_t at = pattern.find(rest); at != std::string::npos; at = pattern.find(rest)) {
    pattern.erase(at + 1, 1);
  }
  return pattern;
}

// Paths and their operations from the spec's `paths:` block: a path is
// indented two spaces, its operations four.
RouteSet SpecRoutes() {
  RouteSet out;
  std::istringstream in(ReadSource("docs/openapi.yaml"));
  const std::regex path_re(R"(^  (/\S*):\s*$)");
  const std::regex op_re(R"(^    (get|put|post|delete|patch|head|options):.*$)");
  bool in_paths = false;
  std::string path;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != ' ' && line[0] != '#') in_paths = line == "paths:";
    if (!in_paths) continue;
    std::smatch m;
    if (std::regex_match(line, m, path_re)) {
      path = m[1];
    } else if (!path.empty() && std::regex_match(line, m, op_re)) {
      std::string method = m[1];
      for (auto& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      out.insert({method, path});
    }
  }
  return out;
}

TEST(OpenApiRoutes, TheSpecListsExactlyTheServersRoutes) {
  // The table functions api.h declares are the ones run here.
  const std::string header = ReadSource("server/api/api.h");
  std::set<std::string> declared;
  const std::regex decl_re(R"(void (Add\w+Routes)\()");
  for (std::sregex_iterator it(header.begin(), header.end(), decl_re), end; it != end; ++it) {
    declared.insert((*it)[1]);
  }
  EXPECT_EQ(declared, (std::set<std::string>{"AddDataRoutes", "AddAdminRoutes", "AddQuotaRoutes",
                                             "AddBackupRoutes", "AddAuditRoutes", "AddMasterKeyRoutes",
                                             "AddKeyRoutes", "AddConsoleRoutes", "AddUsageHistoryRoutes",
                                             "AddOperatorKeyRoutes", "AddAddonRoutes", "AddQuotaRequestRoutes",
                                             "AddWebhookRoutes", "AddClusterRoutes", "AddNodeMoveRoutes"}))
      << "a route table was added or renamed: run it below too";

  ApiRouter router;
  AddDataRoutes(router, nullptr, 1 << 20);
  AddAdminRoutes(router, nullptr, nullptr);
  AddQuotaRoutes(router, nullptr, nullptr);
  AddBackupRoutes(router, nullptr, nullptr);
  AddAuditRoutes(router, nullptr);
  AddMasterKeyRoutes(router, nullptr);
  AddKeyRoutes(router, nullptr, nullptr);
  AddConsoleRoutes(router);
  AddUsageHistoryRoutes(router, nullptr);
  AddOperatorKeyRoutes(router, nullptr);
  AddAddonRoutes(router, nullptr);
  AddQuotaRequestRoutes(router, nullptr);
  AddWebhookRoutes(router, nullptr, {});
  AddClusterRoutes(router, nullptr, nullptr);
  AddNodeMoveRoutes(router, nullptr);
  RouteSet server;
  router.ForEachRoute([&server](const std::string& method, const std::string& pattern, Route&) {
    server.insert({method, SpecPath(pattern)});
  });
  // The routes Api's constructor registers itself, read from its source.
  const std::string api_cc = ReadSource("server/api/api.cc");
  const std::regex inline_re(R"re(router_\.Add\("([A-Z]+)", "([^"]+)")re");
  size_t inline_routes = 0;
  for (std::sregex_iterator it(api_cc.begin(), api_cc.end(), inline_re), end; it != end; ++it) {
    server.insert({(*it)[1], SpecPath((*it)[2])});
    ++inline_routes;
  }
  EXPECT_GE(inline_routes, 3u) << "healthz, readyz and metrics are registered in api.cc";
  ASSERT_GE(server.size(), 30u);

  const RouteSet spec = SpecRoutes();
  for (const auto& [method, path] : server) {
    EXPECT_TRUE(spec.count({method, path})) << "served but not in docs/openapi.yaml: " << method << " " << path;
  }
  for (const auto& [method, path] : spec) {
    // The router serves HEAD wherever it serves GET; the spec documents HEAD where it matters.
    const std::string served_as = method == "HEAD" ? "GET" : method;
    EXPECT_TRUE(server.count({served_as, path})) << "in docs/openapi.yaml but not served: " << method << " " << path;
  }
}

}  // namespace
}  // namespace tenantkv::server

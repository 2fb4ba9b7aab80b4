// Named operator keys in a cluster, end to end: a real etcd and three real
// nodes (ClusterNodesTest). A key made on one node is accepted on every
// node and audited there under its name; revoked on another node it is
// refused everywhere within a bounded wait; names are unique cluster-wide;
// with etcd down a create is 503 and the known keys still work; a tenant
// token is never taken for an operator key. Every wait is bounded.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "tests/testing/cluster_nodes.h"
#include "tests/testing/wait_for.h"

namespace tenantkv::testing {
namespace {

using json = nlohmann::json;

constexpr const char* kToken = kClusterToken;
constexpr char kKeys[] = "/admin/v1/operator-keys";
const char* const kNodes[] = {"n1", "n2", "n3"};

std::string CodeOf(const httplib::Result& r) { return r ? json::parse(r->body, nullptr, false).value("code", "") : ""; }
int StatusOf(const httplib::Result& r) { return r ? r->status : 0; }

class ClusterOperatorKeysTest : public ClusterNodesTest {
 protected:
  // Makes a key named `name` through node `via`: the 201's body.
  json Create(const std::string& via, const std::string& name, const std::string& as = kToken) {
    auto r = Node(via).Post(kKeys, json{{"name", name}}.dump(), as);
    EXPECT_EQ(StatusOf(r), 201) << (r ? r->body : "no answer");
    return r ? json::parse(r->body, nullptr, false) : json();
  }
  // The status of an operator-only call with `token` on `node` (served there: no tenant in it).
  int AdminCall(const std::string& node, const std::string& token) { return StatusOf(Node(node).Get(kKeys, token)); }
  bool AcceptedEverywhere(const std::string& token) {
    for (const char* n : kNodes) {
      if (AdminCall(n, token) != 200) return false;
    }
    return true;
  }
  bool RefusedEverywhere(const std::string& token) {
    for (const char* n : kNodes) {
      if (AdminCall(n, token) != 401) return false;
    }
    return true;
  }
};

TEST_F(ClusterOperatorKeysTest, AKeyMadeOnOneNodeWorksOnAllAndARevocationReachesAll) {
  const json alice = Create("n1", "alice");
  const std::string token = alice.value("token", "");
  ASSERT_FALSE(token.empty());
  EXPECT_TRUE(WaitFor([&] { return AcceptedEverywhere(token); }, 15));
  // Every node lists the cluster's key.
  for (const char* n : kNodes) {
    auto r = Node(n).Get(kKeys, kToken);
    ASSERT_EQ(StatusOf(r), 200);
    const json keys = json::parse(r->body)["keys"];
    ASSERT_EQ(keys.size(), 1u) << n << ": " << r->body;
    EXPECT_EQ(keys[0]["key_id"], alice["key_id"]);
    EXPECT_EQ(keys[0]["name"], "alice");
    EXPECT_EQ(r->body.find(token), std::string::npos);
  }
  // The audit of n3 names the operator who acted there.
  const json bob = Create("n3", "bob", token);
  auto audit = Node("n3").Get("/admin/v1/audit", kToken);
  ASSERT_EQ(StatusOf(audit), 200);
  bool found = false;
  const json entries = json::parse(audit->body)["entries"];
  for (const auto& e : entries) {
    if (e["action"] == "operator_key.create" && e["details"]["name"] == "bob") {
      EXPECT_EQ(e["actor"], "operator:alice");
      found = true;
    }
  }
  EXPECT_TRUE(found) << audit->body;

  // Revoked on n2: refused there at once, and everywhere within the refresh.
  auto revoked = Node("n2").Delete(std::string(kKeys) + "/" + alice["key_id"].get<std::string>(), kToken);
  ASSERT_EQ(StatusOf(revoked), 204) << (revoked ? revoked->body : "");
  EXPECT_EQ(AdminCall("n2", token), 401);
  EXPECT_TRUE(WaitFor([&] { return RefusedEverywhere(token); }, 10));
  // Bob's key is untouched.
  EXPECT_TRUE(WaitFor([&] { return AcceptedEverywhere(bob.value("token", "")); }, 15));
  // An unknown id is 404 on any node.
  EXPECT_EQ(StatusOf(Node("n3").Delete(std::string(kKeys) + "/0123456789abcdef", kToken)), 404);
}

TEST_F(ClusterOperatorKeysTest, NamesAreUniqueAcrossTheCluster) {
  const json ops = Create("n1", "ops");
  auto dup = Node("n2").Post(kKeys, json{{"name", "ops"}}.dump(), kToken);
  EXPECT_EQ(StatusOf(dup), 409) << (dup ? dup->body : "");
  EXPECT_EQ(CodeOf(dup), "operator_exists");
  // Free again once revoked (through a third node).
  ASSERT_EQ(StatusOf(Node("n3").Delete(std::string(kKeys) + "/" + ops["key_id"].get<std::string>(), kToken)), 204);
  Create("n2", "ops");
}

TEST_F(ClusterOperatorKeysTest, WithEtcdDownACreateIs503AndKnownKeysStillWork) {
  const std::string token = Create("n1", "alice").value("token", "");
  ASSERT_TRUE(WaitFor([&] { return AcceptedEverywhere(token); }, 15));
  etcd_.Stop();
  auto refused = Node("n2").Post(kKeys, json{{"name", "bob"}}.dump(), kToken);
  EXPECT_EQ(StatusOf(refused), 503) << (refused ? refused->body : "");
  EXPECT_EQ(CodeOf(refused), "cluster_unavailable");
  EXPECT_EQ(refused->get_header_value("Content-Type"), "application/problem+json");
  EXPECT_TRUE(AcceptedEverywhere(token));
  // Nothing was made: bob is listed nowhere.
  for (const char* n : kNodes) {
    auto r = Node(n).Get(kKeys, token);
    ASSERT_EQ(StatusOf(r), 200);
    EXPECT_EQ(json::parse(r->body)["keys"].size(), 1u) << n << ": " << r->body;
  }
}

TEST_F(ClusterOperatorKeysTest, ATenantTokenIsNeverAnOperatorKey) {
  const std::string alice = Create("n1", "alice").value("token", "");
  ASSERT_TRUE(WaitFor([&] { return AcceptedEverywhere(alice); }, 15));
  ASSERT_EQ(StatusOf(Node("n1").Post("/admin/v1/tenants", json{{"id", "acme"}, {"node", "n1"}}.dump(), kToken)), 201);
  const std::string tenant_token = Node("n1").CreateKey("acme", "admin", kToken);
  ASSERT_EQ(tenant_token.rfind("tkv_", 0), 0u);
  // Its id and secret in an operator key's shape.
  const std::string disguised = "tkvo_" + tenant_token.substr(4);
  for (const char* n : kNodes) {
    const int as_tenant = AdminCall(n, tenant_token);
    EXPECT_TRUE(as_tenant == 401 || as_tenant == 403) << n << ": " << as_tenant;
    EXPECT_EQ(AdminCall(n, disguised), 401) << n;
    EXPECT_EQ(StatusOf(Node(n).Post(kKeys, json{{"name", "mallory"}}.dump(), tenant_token)) / 100, 4) << n;
  }
}

}  // namespace
}  // namespace tenantkv::testing

// A tenant import in a cluster claims its id in the directory, as a
// create does: an export's id, or the one asked for, held by any node is
// refused (409 tenant_exists) and nothing is made; an import under a free
// id is then routed from every node to the node that made it. A dry run
// claims nothing. Etcd and three nodes on loopback (cluster_nodes.h).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/testing/cluster_nodes.h"

namespace tenantkv::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr char kPass[] = "carry acme across the cluster";

std::string CodeOf(const httplib::Result& r) { return r ? json::parse(r->body, nullptr, false).value("code", "") : ""; }

class ClusterImportTest : public ClusterNodesTest {
 protected:
  void SetUp() override {
    ClusterNodesTest::SetUp();
    char tmpl[] = "/tmp/tenantkv-cluster-import-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    scratch_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(scratch_, ec);
    ClusterNodesTest::TearDown();
  }

  // Tenant `id` made on `node`, with one value, exported there, and a
  // handover of its key: the import body that opens the export elsewhere.
  json ExportFrom(const std::string& node, const std::string& id) {
    TestServer& n = Node(node);
    auto made = n.Post("/admin/v1/tenants", json{{"id", id}, {"node", node}}.dump(), kClusterToken);
    EXPECT_TRUE(made && made->status == 201) << (made ? made->body : "no answer");
    const std::string token = n.CreateKey(id, "write");
    auto put = n.Put("/v1/kv/greeting", "hello", token);
    EXPECT_TRUE(put && put->status / 100 == 2);
    const std::string dir = scratch_ + "/" + id;
    auto e = n.Post("/admin/v1/tenants/" + id + "/export", json{{"dir", dir}}.dump(), kClusterToken);
    EXPECT_TRUE(e && e->status == 201) << (e ? e->body : "no answer");
    auto h = n.Post("/admin/v1/tenants/" + id + "/handover", json{{"passphrase", kPass}}.dump(), kClusterToken);
    EXPECT_TRUE(h && h->status == 200) << (h ? h->body : "no answer");
    if (!h || h->status != 200) return json();
    return {{"dir", dir}, {"handover", json::parse(h->body)["handover"]}, {"passphrase", kPass}};
  }

  httplib::Result Import(const std::string& node, const json& body) {
    return Node(node).Post("/admin/v1/tenants/import", body.dump(), kClusterToken);
  }

  std::string scratch_;
};

TEST_F(ClusterImportTest, AnImportUnderAnIdAnotherNodeHoldsIsRefusedAndMakesNothing) {
  const json body = ExportFrom("n1", "acme");
  ASSERT_FALSE(body.is_null());
  // The export's own id: n1 holds it.
  auto same = Import("n2", body);
  ASSERT_TRUE(same);
  EXPECT_EQ(same->status, 409) << same->body;
  EXPECT_EQ(CodeOf(same), "tenant_exists");
  // Nothing was made on n2: its own tenant list (served here, not routed) has no acme.
  auto listed = Node("n2").Get("/admin/v1/tenants", kClusterToken);
  ASSERT_TRUE(listed && listed->status == 200);
  const json tenants = json::parse(listed->body)["tenants"];
  for (const auto& t : tenants) EXPECT_NE(t.value("id", ""), "acme");
  // The directory still gives acme to n1, from every node.
  for (const char* via : {"n1", "n2", "n3"}) {
    auto got = Node(via).Get("/admin/v1/tenants/acme", kClusterToken);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->status, 200) << via;
    EXPECT_EQ(got->get_header_value("Tenantkv-Node"), "n1") << via;
  }
}

TEST_F(ClusterImportTest, AnImportUnderAFreeIdIsClaimedForItsNodeAndRoutedFromEveryNode) {
  json body = ExportFrom("n1", "acme");
  ASSERT_FALSE(body.is_null());
  body["id"] = "acme-copy";
  json dry_body = body;
  dry_body["dry_run"] = true;
  auto dry = Import("n3", dry_body);
  ASSERT_TRUE(dry);
  EXPECT_EQ(dry->status, 200) << dry->body;  // a dry run claims nothing
  auto made = Import("n2", body);
  ASSERT_TRUE(made);
  ASSERT_EQ(made->status, 201) << made->body;
  EXPECT_EQ(json::parse(made->body).value("tenant", ""), "acme-copy");
  for (const char* via : {"n1", "n2", "n3"}) {
    auto got = Node(via).Get("/admin/v1/tenants/acme-copy", kClusterToken);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->status, 200) << via << ": " << got->body;
    EXPECT_EQ(got->get_header_value("Tenantkv-Node"), "n2") << via;
    EXPECT_EQ(json::parse(got->body).value("node", ""), "n2") << via;
  }
  // Its data came along, and reads through another node.
  const std::string token = Node("n2").CreateKey("acme-copy", "read");
  auto value = Node("n3").Get("/v1/kv/greeting", token);
  ASSERT_TRUE(value);
  EXPECT_EQ(value->status, 200);
  EXPECT_EQ(value->body, "hello");
  // A second import of that id on a third node is refused.
  auto again = Import("n3", body);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 409) << again->body;
  EXPECT_EQ(CodeOf(again), "tenant_exists");
}

TEST_F(ClusterImportTest, AFailedImportReleasesItsClaim) {
  json body = ExportFrom("n1", "acme");
  ASSERT_FALSE(body.is_null());
  body["id"] = "acme-copy";
  body["passphrase"] = "not the passphrase at all";
  auto bad = Import("n2", body);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400) << bad->body;
  EXPECT_EQ(CodeOf(bad), "handover_undecryptable");
  // The id is free again: an import of it on another node succeeds.
  body["passphrase"] = kPass;
  auto made = Import("n3", body);
  ASSERT_TRUE(made);
  EXPECT_EQ(made->status, 201) << made->body;
}

}  // namespace
}  // namespace tenantkv::testing

// ClusterMoveFixture: three nodes and etcd (cluster_nodes.h) with a short
// grace period for given-away copies, and the helpers of the move tests:
// a steady writer keeping a ledger of what was acknowledged, and checks
// that every acknowledged write reads back through a node.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing/cluster_nodes.h"
#include "tests/testing/test_server.h"
#include "tests/testing/wait_for.h"

namespace tenantkv::testing {

// Writes key <prefix><i> = "v<i>" through one node, i = 0, 1, ...; a write
// is acknowledged on a 2xx. Refusals a move may give (503 tenant_moving or
// tenant_unavailable) are expected; anything else is counted.
class MoveWriter {
 public:
  MoveWriter(const TestServer& via, std::string token, std::string prefix)
      : via_(via), token_(std::move(token)), prefix_(std::move(prefix)) {}
  ~MoveWriter() { Stop(); }

  void Start() {
    thread_ = std::thread([this] {
      auto client = via_.Client();
      client->set_read_timeout(10, 0);
      for (int i = 0; !stop_; ++i) {
        const std::string key = prefix_ + std::to_string(i);
        const std::string value = "v" + std::to_string(i);
        auto r = client->Put(KvPath(key).c_str(), {{"Authorization", "Bearer " + token_}}, value, "text/plain");
        if (r && r->status / 100 == 2) {
          std::lock_guard<std::mutex> lock(mu_);
          values_[key] = value;
          ++acked_;
        } else if (r && r->status == 503) {
          const std::string code = nlohmann::json::parse(r->body, nullptr, false).value("code", "");
          if (code != "tenant_moving" && code != "tenant_unavailable") Unexpected(key, r->status, r->body);
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        } else {
          Unexpected(key, r ? r->status : -1, r ? r->body : httplib::to_string(r.error()));
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    });
  }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int64_t acked() const { return acked_; }
  int64_t unexpected() const { return unexpected_; }
  std::string last_unexpected() const {
    std::lock_guard<std::mutex> lock(mu_);
    return last_unexpected_;
  }
  std::map<std::string, std::string> values() const {
    std::lock_guard<std::mutex> lock(mu_);
    return values_;
  }

 private:
  void Unexpected(const std::string& key, int status, const std::string& body) {
    ++unexpected_;
    std::lock_guard<std::mutex> lock(mu_);
    last_unexpected_ = key + ": " + std::to_string(status) + " " + body;
  }
  const TestServer& via_;
  const std::string token_;
  const std::string prefix_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> acked_{0};
  std::atomic<int64_t> unexpected_{0};
  mutable std::mutex mu_;
  std::map<std::string, std::string> values_;
  std::string last_unexpected_;
  std::thread thread_;
};

class ClusterMoveFixture : public ClusterNodesTest {
 protected:
  using json = nlohmann::json;

  std::vector<std::string> NodeArgs() const override { return {"--cluster-move-grace", "2"}; }

  void Create(const std::string& via, const std::string& tenant, const std::string& on) {
    auto r = Node(via).Post("/admin/v1/tenants", json{{"id", tenant}, {"node", on}}.dump(), kClusterToken);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 201) << r->body;
    // Throttling is not under test: the request-rate limits lifted (the
    // quota moves with the tenant).
    auto q = Node(via).Put("/admin/v1/tenants/" + tenant + "/quota",
                           json{{"requests_per_sec", 1000000}, {"burst_requests", 1000000}}.dump(), kClusterToken);
    ASSERT_TRUE(q);
    ASSERT_EQ(q->status, 200) << q->body;
  }
  std::string Key(const std::string& via, const std::string& tenant, const std::string& role) {
    auto r = Node(via).Post("/admin/v1/tenants/" + tenant + "/apikeys", json{{"role", role}}.dump(), kClusterToken);
    EXPECT_TRUE(r);
    if (!r) return "";
    EXPECT_EQ(r->status, 201) << r->body;
    return json::parse(r->body, nullptr, false).value("token", "");
  }
  // Keys <prefix><i> = <value_prefix or prefix><i>, i < n.
  void Fill(const std::string& via, const std::string& token, const std::string& prefix, int n,
            const std::string& value_prefix = "") {
    auto client = Node(via).Client();
    for (int i = 0; i < n; ++i) {
      const std::string value = (value_prefix.empty() ? prefix : value_prefix) + std::to_string(i);
      auto r = client->Put(KvPath(prefix + std::to_string(i)).c_str(), {{"Authorization", "Bearer " + token}}, value,
                           "text/plain");
      ASSERT_TRUE(r);
      ASSERT_EQ(r->status / 100, 2) << r->body;
    }
  }
  // Tenant `tenant` on n1 holding base-0..base-<values-1>; its write key.
  std::string Populated(const std::string& tenant, int values) {
    Create("n1", tenant, "n1");
    const std::string token = Key("n1", tenant, "write");
    Fill("n1", token, "base-", values);
    return token;
  }
  void ExpectBase(const std::string& via, const std::string& token, const std::string& prefix, int n,
                  const std::string& value_prefix = "") {
    auto client = Node(via).Client();
    int wrong = 0;
    for (int i = 0; i < n; ++i) {
      const std::string value = (value_prefix.empty() ? prefix : value_prefix) + std::to_string(i);
      auto r = client->Get(KvPath(prefix + std::to_string(i)).c_str(), {{"Authorization", "Bearer " + token}});
      if (!r || r->status != 200 || r->body != value) {
        if (++wrong <= 3) ADD_FAILURE() << via << " " << prefix << i << ": " << (r ? r->status : -1);
      }
    }
    EXPECT_EQ(wrong, 0) << "via " << via;
  }
  void ExpectValues(const std::string& via, const std::string& token, const std::map<std::string, std::string>& values) {
    auto client = Node(via).Client();
    int wrong = 0;
    for (const auto& [key, value] : values) {
      auto r = client->Get(KvPath(key).c_str(), {{"Authorization", "Bearer " + token}});
      if (!r || r->status != 200 || r->body != value) {
        if (++wrong <= 3) {
          ADD_FAILURE() << "acknowledged write " << key << " via " << via << ": " << (r ? r->status : -1) << " "
                        << (r ? r->body : "");
        }
      }
    }
    EXPECT_EQ(wrong, 0) << "of " << values.size() << " acknowledged writes, via " << via;
  }
  void WaitForAcks(const MoveWriter& w, int64_t n) {
    ASSERT_TRUE(WaitFor([&] { return w.acked() >= n; }, 60)) << "acked " << w.acked() << " of " << n;
  }
  // The tenant JSON once its owner is `node` and no move runs, read through n3.
  json WaitForOwner(const std::string& tenant, const std::string& node, int seconds = 90) {
    json last;
    const bool ok = WaitFor(
        [&] {
          auto r = Node("n3").Get("/admin/v1/tenants/" + tenant, kClusterToken);
          if (!r || r->status != 200) return false;
          last = json::parse(r->body, nullptr, false);
          if (last.value("node", "") != node) return false;
          return !last.contains("node_move") || last["node_move"].value("state", "") == "done" ||
                 last["node_move"].value("state", "") == "failed";
        },
        seconds);
    EXPECT_TRUE(ok) << "tenant " << tenant << " not on " << node << ": " << last.dump();
    return last;
  }
  // Whether node `node`'s own tenant list shows `tenant`.
  bool ListsTenant(const std::string& node, const std::string& tenant) {
    auto r = Node(node).Get("/admin/v1/tenants?limit=1000", kClusterToken);
    EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
    if (!r || r->status != 200) return false;
    const json listed = json::parse(r->body, nullptr, false);
    for (const json& t : listed.value("tenants", json::array())) {
      if (t.value("id", "") == tenant) return true;
    }
    return false;
  }
  static std::string CodeOf(const httplib::Result& r) {
    return r ? nlohmann::json::parse(r->body, nullptr, false).value("code", "") : "";
  }
};

}  // namespace tenantkv::testing

// ClusterNodesTest: a fixture with a real etcd and three tenantkv nodes
// (n1, n2, n3) on loopback, sharing one operator token (kClusterToken)
// through --operator-token-file, with a 5 s lease. For the cluster's
// integration tests; every node is killed by its pid when the test ends.
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/testing/etcd_process.h"
#include "tests/testing/test_server.h"

namespace tenantkv::testing {

inline constexpr char kClusterToken[] = "cluster-operator-token-0123456789abcdef0123456789";

class ClusterNodesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    etcd_.Start();
    char dir[] = "/tmp/tenantkv-cluster-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    token_file_ = dir_ + "/operator.token";
    std::ofstream(token_file_) << kClusterToken << "\n";
    ASSERT_EQ(chmod(token_file_.c_str(), 0600), 0);
    for (const char* id : {"n1", "n2", "n3"}) {
      const int port = FreeLoopbackPort();
      const std::string addr = "127.0.0.1:" + std::to_string(port);
      std::vector<std::string> args = {"--listen", addr, "--cluster-etcd", etcd_.url(), "--node-id", id,
                                        "--advertise-url", "http://" + addr, "--cluster-lease-ttl", "5",
                                        "--operator-token-file", token_file_};
      for (std::string& a : NodeArgs()) args.push_back(std::move(a));
      auto server = std::make_unique<TestServer>(std::move(args));
      BeforeStart(id, *server);
      server->Start();
      ASSERT_EQ(server->port(), port);
      nodes_[id] = std::move(server);
    }
  }
  void TearDown() override {
    nodes_.clear();
    std::remove(token_file_.c_str());
    ::rmdir(dir_.c_str());
  }

  TestServer& Node(const std::string& id) { return *nodes_.at(id); }

  // More command-line arguments for every node, and a hook before each
  // node's first start (SetEnv, say).
  virtual std::vector<std::string> NodeArgs() const { return {}; }
  virtual void BeforeStart(const std::string& /*id*/, TestServer& /*server*/) {}

  EtcdProcess etcd_;
  std::string dir_;
  std::string token_file_;
  std::map<std::string, std::unique_ptr<TestServer>> nodes_;
};

}  // namespace tenantkv::testing

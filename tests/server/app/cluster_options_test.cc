// The cluster-mode settings: all three or none, each checked, and the same
// keys in the config file.
#include "server/app/cluster_options.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "server/app/server_options.h"

namespace tenantkv::server {
namespace {

Result<ServerOptions> Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "tenantkv-server");
  std::vector<const char*> argv;
  for (auto& a : args) argv.push_back(a.c_str());
  int code = 0;
  std::string msg;
  return ParseServerArgs(static_cast<int>(argv.size()), argv.data(), &code, &msg);
}

TEST(ClusterOptions, StandaloneByDefault) {
  auto o = Parse({});
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_FALSE(o->cluster_mode());
  EXPECT_EQ(o->cluster_lease_ttl, 10);
}

TEST(ClusterOptions, AllThreeOrNoneEachChecked) {
  const std::string etcd = "http://127.0.0.1:2379,http://127.0.0.1:2380";
  struct Case {
    std::vector<std::string> args;
    const char* error;  // nullptr: accepted
  };
  const std::vector<Case> cases = {
      {{"--cluster-etcd", etcd, "--node-id", "n1", "--advertise-url", "http://127.0.0.1:8080"}, nullptr},
      {{"--cluster-etcd", etcd, "--node-id", "n1", "--advertise-url", "http://localhost:8080",
        "--cluster-lease-ttl", "300"},
       nullptr},
      // Off loopback, nodes talk mutual TLS: forwarded requests carry tokens.
      {{"--cluster-etcd", etcd, "--node-id", "n1", "--advertise-url", "https://n1.example.com", "--tls-cert",
        "s.crt", "--tls-key", "s.key", "--tls-client-ca", "ca.crt", "--cluster-tls-cert", "c.crt",
        "--cluster-tls-key", "c.key", "--cluster-tls-ca", "ca.crt"},
       nullptr},
      {{"--cluster-etcd", etcd, "--node-id", "n1", "--advertise-url", "http://10.0.0.1:8080"}, "mutual TLS"},
      {{"--cluster-etcd", etcd, "--node-id", "n1", "--advertise-url", "https://10.0.0.1:8443"}, "mutual TLS"},
      {{"--cluster-etcd", etcd, "--node-id", "n1", "--advertise-url", "http://10.0.0.1:8080", "--cluster-tls-cert",
        "c.crt", "--cluster-tls-key", "c.key"},
       "mutual TLS"},
      {{"--cluster-etcd", etcd, "--node-id", "n1", "--advertise-url", "https://n1.example.com",
        "--cluster-tls-cert", "c.crt", "--cluster-tls-key", "c.key"},
       "--tls-client-ca"},
      {{"--cluster-etcd", etcd, "--node-id", "n1", "--advertise-url", "http://127.0.0.1:1", "--cluster-tls-cert",
        "c.crt"},
       "go together"},
      {{"--cluster-tls-ca", "ca.crt"}, "need --cluster-etcd"},
      {{"--node-id", "n1"}, "needs all of"},
      {{"--cluster-etcd", etcd}, "needs all of"},
      {{"--cluster-etcd", etcd, "--node-id", "n1"}, "needs all of"},
      {{"--advertise-url", "http://a:1", "--node-id", "n1"}, "needs all of"},
      {{"--cluster-etcd", "127.0.0.1:2379", "--node-id", "n1", "--advertise-url", "http://a:1"}, "--cluster-etcd"},
      {{"--cluster-etcd", "http://e:1/v3", "--node-id", "n1", "--advertise-url", "http://a:1"}, "--cluster-etcd"},
      {{"--cluster-etcd", etcd, "--node-id", "N1", "--advertise-url", "http://a:1"}, "--node-id"},
      {{"--cluster-etcd", etcd, "--node-id", "-n1", "--advertise-url", "http://a:1"}, "--node-id"},
      {{"--cluster-etcd", etcd, "--node-id", std::string(64, 'n'), "--advertise-url", "http://a:1"}, "--node-id"},
      {{"--cluster-etcd", etcd, "--node-id", "n1", "--advertise-url", "a:1"}, "--advertise-url"},
      {{"--cluster-etcd", etcd, "--node-id", "n1", "--advertise-url", "http://a:99999"}, "--advertise-url"},
      {{"--cluster-etcd", etcd, "--node-id", "n1", "--advertise-url", "http://a:1", "--cluster-lease-ttl", "0"},
       "--cluster-lease-ttl"},
      {{"--cluster-etcd", etcd, "--node-id", "n1", "--advertise-url", "http://a:1", "--cluster-lease-ttl", "301"},
       "--cluster-lease-ttl"},
      {{"--cluster-etcd-ca-file", "/etc/ssl/ca.pem"}, "needs --cluster-etcd"},
  };
  for (const Case& c : cases) {
    std::string line;
    for (const auto& a : c.args) line += a + " ";
    SCOPED_TRACE(line);
    auto o = Parse(c.args);
    if (c.error == nullptr) {
      ASSERT_TRUE(o.ok()) << o.status().ToString();
      EXPECT_TRUE(o->cluster_mode());
    } else {
      ASSERT_FALSE(o.ok());
      EXPECT_EQ(o.status().code(), Code::kInvalidArgument);
      EXPECT_NE(o.status().message().find(c.error), std::string::npos) << o.status().message();
    }
  }
}

TEST(ClusterOptions, ConfigFileKeysMatchTheFlags) {
  char path[] = "/tmp/tenantkv-cluster-conf-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << "cluster-etcd = \"http://127.0.0.1:2379\"\nnode-id = \"n7\"\n"
                         "advertise-url = \"http://127.0.0.1:8087\"\ncluster-lease-ttl = 4\n";
  auto o = Parse({"--config", path});
  std::remove(path);
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->cluster_etcd, "http://127.0.0.1:2379");
  EXPECT_EQ(o->node_id, "n7");
  EXPECT_EQ(o->advertise_url, "http://127.0.0.1:8087");
  EXPECT_EQ(o->cluster_lease_ttl, 4);
}

}  // namespace
}  // namespace tenantkv::server

// TenantDirectory::Peek and PeekKey: the cache alone, never etcd, so that a
// node's I/O thread can route a request without blocking.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>

#include "server/cluster/tenant_directory.h"
#include "tests/testing/etcd_process.h"

namespace tenantkv::server::cluster {
namespace {

TEST(TenantDirectoryPeek, AnswersOnlyWhatAFreshLookupLeftInTheCache) {
  testing::EtcdProcess etcd;
  etcd.Start();
  EtcdClientOptions o;
  o.endpoints = {*ParseHttpEndpoint(etcd.url())};
  auto client = std::move(EtcdClient::Create(std::move(o)).value());
  TenantDirectory writer(client.get());
  TenantDirectory dir(client.get(), TenantDirectoryOptions{300, 100});
  ASSERT_TRUE(writer.Claim("acme", "n2", "column_family", "active").ok());
  ASSERT_TRUE(writer.PublishKey("0123456789abcdef", "acme").ok());

  // Nothing looked up yet: nothing to peek at, though etcd has it.
  EXPECT_FALSE(dir.Peek("acme").has_value());
  EXPECT_FALSE(dir.PeekKey("0123456789abcdef").has_value());
  EXPECT_FALSE(dir.Peek("nobody").has_value());

  ASSERT_TRUE(dir.Lookup("acme").ok());
  ASSERT_TRUE(dir.LookupKey("0123456789abcdef").ok());
  ASSERT_TRUE(dir.Lookup("nobody").ok());
  etcd.Kill9();  // from here on, etcd cannot answer: Peek never asks it
  auto entry = dir.Peek("acme");
  ASSERT_TRUE(entry.has_value() && entry->has_value());
  EXPECT_EQ((*entry)->node, "n2");
  auto route = dir.PeekKey("0123456789abcdef");
  ASSERT_TRUE(route.has_value() && route->has_value());
  EXPECT_EQ(**route, "acme");
  auto none = dir.Peek("nobody");
  ASSERT_TRUE(none.has_value()) << "an absence looked up is known too";
  EXPECT_FALSE(none->has_value());

  // Forgotten, or older than the TTL: nothing, even though a lookup would
  // still answer from the cache while etcd is down.
  dir.Forget("acme");
  EXPECT_FALSE(dir.Peek("acme").has_value());
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_FALSE(dir.PeekKey("0123456789abcdef").has_value());
  EXPECT_FALSE(dir.Peek("nobody").has_value());
  EXPECT_TRUE(dir.LookupKey("0123456789abcdef").ok()) << "the degraded lookup still answers from the cache";
}

}  // namespace
}  // namespace tenantkv::server::cluster

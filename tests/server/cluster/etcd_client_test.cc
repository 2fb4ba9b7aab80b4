// EtcdClient against a real etcd (tests/testing/etcd_process.h).
#include "server/cluster/etcd_client.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "crypto/loopback_host.h"
#include "tests/testing/etcd_process.h"

namespace tenantkv::server::cluster {
namespace {

using testing::EtcdProcess;

std::unique_ptr<EtcdClient> ClientFor(const std::vector<std::string>& urls, size_t max_response = 4 << 20) {
  EtcdClientOptions o;
  for (const auto& u : urls) o.endpoints.push_back(*ParseHttpEndpoint(u));
  o.request_timeout_ms = 2000;
  o.max_response_bytes = max_response;
  return std::move(EtcdClient::Create(std::move(o)).value());
}

class EtcdClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    etcd_.Start();
    client_ = ClientFor({etcd_.url()});
  }
  EtcdProcess etcd_;
  std::unique_ptr<EtcdClient> client_;
};

TEST_F(EtcdClientTest, PutThenGetReturnsValueAndRevisions) {
  ASSERT_EQ(client_->Get("/t/a").value(), std::nullopt);
  const std::string binary("v\0\xff\n", 4);
  Result<int64_t> rev = client_->Put("/t/a", binary);
  ASSERT_TRUE(rev.ok()) << rev.status().ToString();
  auto got = client_->Get("/t/a");
  ASSERT_TRUE(got.ok() && got->has_value()) << got.status().ToString();
  EXPECT_EQ((*got)->value, binary);
  EXPECT_EQ((*got)->create_revision, *rev);
  EXPECT_EQ((*got)->mod_revision, *rev);
  EXPECT_EQ((*got)->version, 1);
  ASSERT_TRUE(client_->Put("/t/a", "two").ok());
  EXPECT_EQ(client_->Get("/t/a").value()->version, 2);
}

TEST_F(EtcdClientTest, PrefixRangeListsOnlyThePrefixInOrderWithLimit) {
  for (const char* k : {"/p/b", "/p/a", "/p/c", "/q/a", "/p"}) ASSERT_TRUE(client_->Put(k, k).ok());
  bool more = true;
  auto all = client_->GetPrefix("/p/", 1000, &more);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].key, "/p/a");
  EXPECT_EQ((*all)[2].key, "/p/c");
  EXPECT_FALSE(more);
  auto two = client_->GetPrefix("/p/", 2, &more);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->size(), 2u);
  EXPECT_TRUE(more);
  EXPECT_FALSE(client_->GetPrefix("", 10).ok());
}

TEST_F(EtcdClientTest, RangeFromAStartKeyPagesThroughARangeInOrder) {
  for (const char* k : {"/r/d", "/r/a", "/r/c", "/r/b", "/r/e", "/r", "/s/a"}) ASSERT_TRUE(client_->Put(k, k).ok());
  // Pages of two from the start, each starting just after the last key read.
  std::vector<std::string> seen;
  std::string start = "/r/";
  bool more = true;
  for (int pages = 0; more; ++pages) {
    ASSERT_LT(pages, 5) << "the walk does not end";
    auto page = client_->GetRange(start, PrefixRangeEnd("/r/"), 2, &more);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    ASSERT_LE(page->size(), 2u);
    ASSERT_FALSE(page->empty());
    for (const auto& kv : *page) {
      EXPECT_EQ(kv.value, kv.key);
      EXPECT_GT(kv.mod_revision, 0);
      seen.push_back(kv.key);
    }
    start = page->back().key + std::string(1, '\0');
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"/r/a", "/r/b", "/r/c", "/r/d", "/r/e"}));
  // The start is inclusive, the end exclusive; the last page says so.
  auto mid = client_->GetRange("/r/b", "/r/d", 10, &more);
  ASSERT_TRUE(mid.ok()) << mid.status().ToString();
  ASSERT_EQ(mid->size(), 2u);
  EXPECT_EQ((*mid)[0].key, "/r/b");
  EXPECT_EQ((*mid)[1].key, "/r/c");
  EXPECT_FALSE(more);
  auto exact = client_->GetRange("/r/b", "/r/d", 2, &more);
  ASSERT_TRUE(exact.ok());
  EXPECT_FALSE(more) << "no key of the range follows the page";
  auto none = client_->GetRange("/r/f", "/r/z", 10, &more);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  EXPECT_FALSE(more);
  // A start past a binary key, and keys with bytes above 0x7f.
  const std::string high = std::string("/r/") + static_cast<char>(0xc3) + "x";
  ASSERT_TRUE(client_->Put(high, "high").ok());
  auto tail = client_->GetRange("/r/e" + std::string(1, '\0'), PrefixRangeEnd("/r/"), 10, &more);
  ASSERT_TRUE(tail.ok());
  ASSERT_EQ(tail->size(), 1u);
  EXPECT_EQ((*tail)[0].key, high);
  // Judged before etcd is asked.
  EXPECT_EQ(client_->GetRange("", "/r/z", 10).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(client_->GetRange("/r/b", "/r/b", 10).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(client_->GetRange("/r/c", "/r/b", 10).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(client_->GetRange("/r/a", "/r/b", 0).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(client_->GetRange("/r/a", "/r/b", 10001).status().code(), Code::kInvalidArgument);
}

TEST_F(EtcdClientTest, TxnAppliesOnlyWhenEveryGuardHolds) {
  const std::string key = "/t/guarded";
  EtcdTxn create;
  create.compare.push_back({key, EtcdCompare::Target::kCreateRevision, EtcdCompare::Op::kEqual, 0});
  create.success.push_back(EtcdOp::Put(key, "first"));
  create.failure.push_back(EtcdOp::Put("/t/lost", "x"));
  auto r1 = client_->Txn(create);
  ASSERT_TRUE(r1.ok()) << r1.status().ToString();
  EXPECT_TRUE(r1->succeeded);
  auto r2 = client_->Txn(create);  // the key exists now
  ASSERT_TRUE(r2.ok());
  EXPECT_FALSE(r2->succeeded);
  EXPECT_EQ(client_->Get(key).value()->value, "first");
  EXPECT_TRUE(client_->Get("/t/lost").value().has_value()) << "the failure branch ran";

  // An epoch-style guard: change only if nobody wrote since we read.
  const int64_t read_mod = client_->Get(key).value()->mod_revision;
  EtcdTxn update;
  update.compare.push_back({key, EtcdCompare::Target::kModRevision, EtcdCompare::Op::kEqual, read_mod});
  update.compare.push_back({key, EtcdCompare::Target::kVersion, EtcdCompare::Op::kEqual, 1});
  update.success.push_back(EtcdOp::Put(key, "second"));
  update.success.push_back(EtcdOp::Delete("/t/lost"));
  ASSERT_TRUE(client_->Txn(update).value().succeeded);
  EXPECT_EQ(client_->Get(key).value()->value, "second");
  EXPECT_FALSE(client_->Get("/t/lost").value().has_value());
  EXPECT_FALSE(client_->Txn(update).value().succeeded) << "the mod_revision moved on";
  EXPECT_EQ(client_->Get(key).value()->value, "second");
}

TEST_F(EtcdClientTest, DeleteOneKeyOrAPrefix) {
  for (const char* k : {"/d/a", "/d/b", "/d/c", "/e"}) ASSERT_TRUE(client_->Put(k, "v").ok());
  EXPECT_EQ(client_->Delete("/d/a").value(), 1);
  EXPECT_EQ(client_->Delete("/d/a").value(), 0);
  EXPECT_EQ(client_->Delete("/d/", true).value(), 2);
  EXPECT_TRUE(client_->Get("/e").value().has_value());
}

TEST_F(EtcdClientTest, LeaseKeepsItsKeysUntilRevoked) {
  auto lease = client_->LeaseGrant(30);
  ASSERT_TRUE(lease.ok()) << lease.status().ToString();
  EXPECT_NE(lease->id, 0);
  EXPECT_GE(lease->ttl_seconds, 30);
  ASSERT_TRUE(client_->Put("/l/k", "v", lease->id).ok());
  EXPECT_EQ(client_->Get("/l/k").value()->lease, lease->id);
  auto ttl = client_->LeaseKeepAliveOnce(lease->id);
  ASSERT_TRUE(ttl.ok()) << ttl.status().ToString();
  EXPECT_GT(*ttl, 0);
  ASSERT_TRUE(client_->LeaseRevoke(lease->id).ok());
  EXPECT_FALSE(client_->Get("/l/k").value().has_value()) << "revoking deletes the lease's keys";
  EXPECT_EQ(client_->LeaseKeepAliveOnce(lease->id).status().reason(), "lease_expired");
  const Status again = client_->LeaseRevoke(lease->id);
  EXPECT_TRUE(again.ok()) << "an unknown lease is gone already: " << again.ToString();
  EXPECT_FALSE(client_->Put("/l/k", "v", lease->id).ok()) << "a put under a dead lease is refused";
}

TEST_F(EtcdClientTest, LeaseExpiresWithoutKeepAlive) {
  auto lease = client_->LeaseGrant(1);
  ASSERT_TRUE(lease.ok());
  ASSERT_TRUE(client_->Put("/l/short", "v", lease->id).ok());
  bool gone = false;
  for (int i = 0; i < 60 && !gone; ++i) {  // etcd's minimum TTL is a few seconds at most
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    gone = !client_->Get("/l/short").value().has_value();
  }
  EXPECT_TRUE(gone);
}

TEST_F(EtcdClientTest, FailsOverToTheNextEndpointWhenOneIsDown) {
  const std::string dead = "http://127.0.0.1:" + std::to_string(testing::FreeLoopbackPort());
  auto client = ClientFor({dead, etcd_.url()});
  ASSERT_TRUE(client->Put("/f/k", "v").ok());
  EXPECT_EQ(client->Get("/f/k").value()->value, "v");
}

TEST_F(EtcdClientTest, NoReachableEndpointIsUnavailable) {
  etcd_.Stop();
  auto got = client_->Get("/x");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Code::kUnavailable);
  EXPECT_EQ(got.status().reason(), "etcd_unavailable");
}

TEST_F(EtcdClientTest, AnswerLargerThanTheBoundIsRefused) {
  ASSERT_TRUE(client_->Put("/big/k", std::string(8000, 'x')).ok());
  auto small = ClientFor({etcd_.url()}, 4096);
  auto got = small->Get("/big/k");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().reason(), "etcd_bad_response");
}

TEST(EtcdClient, CreateRefusesBadOptions) {
  EXPECT_FALSE(EtcdClient::Create({}).ok());
  EtcdClientOptions o;
  o.endpoints.push_back(*ParseHttpEndpoint("http://127.0.0.1:2379"));
  o.request_timeout_ms = 0;
  EXPECT_FALSE(EtcdClient::Create(o).ok());
}

TEST(EtcdClient, PrefixRangeEnd) {
  EXPECT_EQ(PrefixRangeEnd("/a/"), "/a0");
  EXPECT_EQ(PrefixRangeEnd(std::string("a\xff", 2)), "b");
  EXPECT_EQ(PrefixRangeEnd(std::string("\xff\xff", 2)), "");
}

TEST(HttpEndpoint, ParsesServerUrlsAndRefusesTheRest) {
  struct Case {
    const char* url;
    bool ok;
    const char* origin;
  };
  const Case cases[] = {
      {"http://127.0.0.1:2379", true, "http://127.0.0.1:2379"},
      {"http://etcd-1.internal:2379/", true, "http://etcd-1.internal:2379"},
      {"https://node", true, "https://node:443"},
      {"http://[::1]:8080", true, "http://[::1]:8080"},
      {"ftp://x:1", false, ""},
      {"127.0.0.1:2379", false, ""},
      {"http://", false, ""},
      {"http://h:0", false, ""},
      {"http://h:65536", false, ""},
      {"http://h:12a", false, ""},
      {"http://h:", false, ""},
      {"http://h:1/v3", false, ""},
      {"http://u@h:1", false, ""},
      {"http://h h:1", false, ""},
      {"http://[::1", false, ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.url);
    auto e = ParseHttpEndpoint(c.url);
    EXPECT_EQ(e.ok(), c.ok) << e.status().ToString();
    if (c.ok && e.ok()) {
      EXPECT_EQ(e->Origin(), c.origin);
    }
  }
  EXPECT_EQ(ParseHttpEndpoints("http://a:1,http://b:2").value().size(), 2u);
  EXPECT_FALSE(ParseHttpEndpoints("http://a:1,").ok());
  EXPECT_FALSE(ParseHttpEndpoints("").ok());
}

TEST(HttpEndpoint, LoopbackHostsAreLocalhost127And1) {
  for (const char* h : {"localhost", "::1", "127.0.0.1", "127.1.2.3", "127.255.255.255", "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(net::IsLoopbackHost(h)) << h;
  }
  for (const char* h : {"10.0.0.1", "127.", "127", "127.0.0", "127..0.1", "127.0.0.1.", "1127.0.0.1", "127.0.0.x",
                        "localhost.example.com", "::2", "", "0.0.0.0", "::ffff:10.0.0.1"}) {
    EXPECT_FALSE(net::IsLoopbackHost(h)) << h;
  }
}

}  // namespace
}  // namespace tenantkv::server::cluster

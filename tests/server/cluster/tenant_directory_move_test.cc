// The directory's record of moves between nodes (tenant_directory.h:
// DirectoryEntry::move, moved_from, and the /tenantkv/moves/ index kept in
// the same transaction as the entry).
#include <gtest/gtest.h>

#include <string>

#include "server/cluster/etcd_keys.h"
#include "server/cluster/tenant_directory.h"
#include "tests/testing/etcd_process.h"

namespace tenantkv::server::cluster {
namespace {

const std::string kHex(64, 'a');

DirectoryEntry Moving(const std::string& state) {
  DirectoryEntry e{"acme", "n1", "column_family", 3, "active", 0, std::nullopt, ""};
  e.move = DirectoryMove{"n2", "n1", state, 1765000000000, "", ""};
  if (state == "copying") {
    e.move->target_public = kHex;
    e.move->secret_sha256 = std::string(64, 'b');
  }
  return e;
}

TEST(TenantDirectoryMoveJson, AMoveAndItsOriginRoundTrip) {
  for (const char* state : {"requested", "copying"}) {
    DirectoryEntry e = Moving(state);
    e.moved_from = "n3";
    auto back = ParseDirectoryEntry("acme", DirectoryEntryJson(e));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    ASSERT_TRUE(back->move.has_value());
    EXPECT_EQ(back->move->to, "n2");
    EXPECT_EQ(back->move->from, "n1");
    EXPECT_EQ(back->move->state, state);
    EXPECT_EQ(back->move->started_ms, 1765000000000);
    EXPECT_EQ(back->move->target_public, e.move->target_public);
    EXPECT_EQ(back->move->secret_sha256, e.move->secret_sha256);
    EXPECT_EQ(back->moved_from, "n3");
  }
  // Without a move, neither member is written (an entry as before).
  const DirectoryEntry plain{"acme", "n1", "pooled", 1, "active", 0, std::nullopt, ""};
  EXPECT_EQ(DirectoryEntryJson(plain), R"({"epoch":1,"node":"n1","state":"active","tier":"pooled"})");
}

TEST(TenantDirectoryMoveJson, AMalformedMoveIsRefused) {
  const std::string base = R"({"node":"n1","tier":"pooled","epoch":1,"state":"active",)";
  for (const std::string& tail : {
           std::string(R"("move":[]})"),
           std::string(R"("move":{"to":"n2","from":"n1","state":"requested"}})"),  // no started_ms
           std::string(R"("move":{"to":"n2","from":"n1","state":"switching","started_ms":1}})"),
           std::string(R"("move":{"to":"n1","from":"n1","state":"requested","started_ms":1}})"),
           std::string(R"("move":{"to":"","from":"n1","state":"requested","started_ms":1}})"),
           std::string(R"("move":{"to":"n2","from":"n1","state":"requested","started_ms":-1}})"),
           std::string(R"("move":{"to":"n2","from":"n1","state":"copying","started_ms":1}})"),  // no keys
           std::string(R"("move":{"to":"n2","from":"n1","state":"requested","started_ms":1,"secret_sha256":")") +
               kHex + "\"}}",  // a key before it is taken
           std::string(R"("move":{"to":"n2","from":"n1","state":"copying","started_ms":1,"target_public":"xyz",)") +
               R"("secret_sha256":")" + kHex + "\"}}",
           std::string(R"("move":{"to":2,"from":"n1","state":"requested","started_ms":1}})"),
           std::string(R"("moved_from":"N 1"})"),
           std::string(R"("moved_from":7})"),
       }) {
    auto r = ParseDirectoryEntry("acme", base + tail);
    ASSERT_FALSE(r.ok()) << tail;
    EXPECT_EQ(r.status().reason(), "bad_directory_entry") << tail;
  }
}

TEST(TenantDirectoryMoveEtcd, TheMoveIndexFollowsTheEntry) {
  testing::EtcdProcess etcd;
  etcd.Start();
  EtcdClientOptions o;
  o.endpoints.push_back(*ParseHttpEndpoint(etcd.url()));
  o.request_timeout_ms = 2000;
  auto client = std::move(EtcdClient::Create(std::move(o)).value());
  TenantDirectory dir(client.get());
  auto claimed = dir.Claim("acme", "n1", "column_family", "active");
  ASSERT_TRUE(claimed.ok()) << claimed.status().ToString();
  auto none = dir.ListMoving();
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());

  DirectoryEntry next = *claimed;
  next.move = DirectoryMove{"n2", "n1", "requested", 1, "", ""};
  auto moving = dir.Update(*claimed, next);
  ASSERT_TRUE(moving.ok()) << moving.status().ToString();
  auto listed = dir.ListMoving();
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(*listed, std::vector<std::string>{"acme"});
  // A stale writer cannot clear it (guarded by what it read).
  DirectoryEntry stale = *claimed;
  EXPECT_EQ(dir.Update(*claimed, stale).status().reason(), "directory_changed");
  EXPECT_EQ(dir.ListMoving()->size(), 1u);

  // The switch: owner n2, epoch + 1, the move gone from entry and index.
  DirectoryEntry switched = *moving;
  switched.node = "n2";
  switched.epoch = moving->epoch + 1;
  switched.move.reset();
  switched.moved_from = "n1";
  auto done = dir.Update(*moving, switched);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_TRUE(dir.ListMoving()->empty());
  auto read = dir.Lookup("acme", true);
  ASSERT_TRUE(read.ok() && read->has_value());
  EXPECT_EQ((*read)->node, "n2");
  EXPECT_EQ((*read)->epoch, 2);
  EXPECT_EQ((*read)->moved_from, "n1");
  EXPECT_FALSE((*read)->move.has_value());

  // A release of an entry that holds a move drops its index key too.
  DirectoryEntry again = **read;
  again.move = DirectoryMove{"n3", "n2", "requested", 1, "", ""};
  auto moving_again = dir.Update(**read, again);
  ASSERT_TRUE(moving_again.ok());
  ASSERT_TRUE(dir.Release(*moving_again).ok());
  EXPECT_TRUE(dir.ListMoving()->empty());
  EXPECT_FALSE(client->Get(MoveIndexKey("acme"))->has_value());

  // With etcd gone, a lookup answers from the cache (degraded mode), but
  // the read a move's decision rests on never does.
  ASSERT_TRUE(dir.Claim("beta", "n1", "pooled", "active").ok());
  ASSERT_TRUE(dir.Lookup("beta", true).ok());
  etcd.Stop();
  auto cached = dir.Lookup("beta", true);
  ASSERT_TRUE(cached.ok()) << cached.status().ToString();
  EXPECT_TRUE(cached->has_value());
  auto read_now = dir.ReadFromEtcd("beta");
  ASSERT_FALSE(read_now.ok());
  EXPECT_EQ(read_now.status().reason(), "cluster_unavailable");
}

}  // namespace
}  // namespace tenantkv::server::cluster

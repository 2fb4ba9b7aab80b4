// The named operator keys shared through etcd, against a real etcd: the
// registry's guarded writes (ids and active names unique cluster-wide, the
// cap, revocations that drop the name) and the mirrors of two "nodes"
// (two engines): a key made on one is accepted by the other after a
// refresh, a revocation too, a revocation is never undone by etcd, etcd
// out of reach changes nothing, pokes are rate-limited, and the keys a
// node made before joining are published (or kept local on a conflict).
#include "server/api/operator_key_mirror.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>

#include "server/cluster/etcd_keys.h"
#include "server/cluster/operator_key_registry.h"
#include "tests/testing/etcd_process.h"
#include "tests/testing/test_util.h"
#include "tests/testing/wait_for.h"

namespace tenantkv::server {
namespace {

using cluster::ClusterOperatorKey;
using cluster::EtcdClient;
using cluster::OperatorKeyRegistry;
using engine::testutil::EngineHarness;
using testing::EtcdProcess;
using testing::WaitFor;

class OperatorKeyMirrorEtcdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    etcd_.Start();
    raw_ = Client();
    ASSERT_TRUE(a_.Open());
    ASSERT_TRUE(b_.Open());
  }
  void TearDown() override {
    mirrors_.clear();
    a_.Close();
    b_.Close();
  }

  std::unique_ptr<EtcdClient> Client() {
    cluster::EtcdClientOptions o;
    o.endpoints.push_back(*cluster::ParseHttpEndpoint(etcd_.url()));
    o.request_timeout_ms = 2000;
    o.connect_timeout_ms = 1000;
    return std::move(EtcdClient::Create(std::move(o)).value());
  }

  OperatorKeyMirror& Mirror(EngineHarness& h, OperatorKeyMirrorOptions o = {}) {
    clients_.push_back(Client());
    mirrors_.push_back(
        std::make_unique<OperatorKeyMirror>(clients_.back().get(), &h->operator_keys(), &h.clock(), o));
    return *mirrors_.back();
  }

  static bool Accepts(EngineHarness& h, const std::string& token) {
    return h->operator_keys().Authenticate(token).ok();
  }

  ClusterOperatorKey Key(const std::string& id, const std::string& name) {
    ClusterOperatorKey k;
    k.key_id = id;
    k.name = name;
    k.created_at_ms = 1000;
    k.secret_sha256 = std::string(32, 'x');
    return k;
  }

  EtcdProcess etcd_;
  std::unique_ptr<EtcdClient> raw_;
  std::vector<std::unique_ptr<EtcdClient>> clients_;
  EngineHarness a_, b_;
  std::vector<std::unique_ptr<OperatorKeyMirror>> mirrors_;
};

TEST_F(OperatorKeyMirrorEtcdTest, RegistryKeepsIdsAndActiveNamesUniqueAndNoSecret) {
  OperatorKeyRegistry reg(raw_.get());
  ASSERT_TRUE(reg.Create(Key("00000000000000a1", "alice"), 256).ok());
  Status again = reg.Create(Key("00000000000000a2", "alice"), 256);
  EXPECT_EQ(again.reason(), "operator_exists") << again.ToString();
  ClusterOperatorKey other = Key("00000000000000a1", "bob");
  other.secret_sha256 = std::string(32, 'y');
  EXPECT_EQ(reg.Create(other, 256).reason(), "key_id_taken");
  // Publishing the very same key again is no conflict.
  EXPECT_TRUE(reg.Publish(Key("00000000000000a1", "alice")).ok());
  auto stored = raw_->Get(cluster::OperatorKeyKey("00000000000000a1")).value();
  ASSERT_TRUE(stored.has_value());
  std::string hex_of_x;
  for (int i = 0; i < 32; ++i) hex_of_x += "78";  // 'x' is 0x78
  EXPECT_NE(stored->value.find("\"secret_sha256\":\"" + hex_of_x + "\""), std::string::npos) << stored->value;
  EXPECT_EQ(raw_->Get(cluster::OperatorKeyNameKey("alice")).value()->value, "00000000000000a1");

  auto revoked = reg.Revoke("00000000000000a1", 5000);
  ASSERT_TRUE(revoked.ok() && revoked->has_value()) << revoked.status().ToString();
  EXPECT_EQ((*revoked)->revoked_at_ms, 5000);
  EXPECT_FALSE(raw_->Get(cluster::OperatorKeyNameKey("alice")).value().has_value());
  // Revoked again: as it was; the name is free for a new key.
  EXPECT_EQ((*reg.Revoke("00000000000000a1", 9000))->revoked_at_ms, 5000);
  EXPECT_TRUE(reg.Create(Key("00000000000000a2", "alice"), 256).ok());
  EXPECT_FALSE(reg.Revoke("00000000000000ff", 1).value().has_value());
  auto listed = reg.List();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->keys.size(), 2u);
  EXPECT_TRUE(listed->keys[0].revoked());
  EXPECT_FALSE(listed->keys[1].revoked());
}

TEST_F(OperatorKeyMirrorEtcdTest, TheCapCountsTheClustersActiveKeys) {
  OperatorKeyRegistry reg(raw_.get());
  ASSERT_TRUE(reg.Create(Key("00000000000000b1", "one"), 2).ok());
  ASSERT_TRUE(reg.Create(Key("00000000000000b2", "two"), 2).ok());
  EXPECT_EQ(reg.Create(Key("00000000000000b3", "three"), 2).reason(), "operator_key_limit");
  ASSERT_TRUE(reg.Revoke("00000000000000b1", 10).ok());
  EXPECT_TRUE(reg.Create(Key("00000000000000b3", "three"), 2).ok());
}

TEST_F(OperatorKeyMirrorEtcdTest, AKeyMadeOnOneNodeIsAcceptedByAnotherAndRevokedEverywhere) {
  OperatorKeyMirror& ma = Mirror(a_);
  OperatorKeyMirror& mb = Mirror(b_);
  ASSERT_TRUE(ma.Reconcile().ok());
  ASSERT_TRUE(mb.Reconcile().ok());
  auto made = ma.Create("alice");
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_TRUE(Accepts(a_, made->token));
  EXPECT_FALSE(Accepts(b_, made->token));  // not read yet: no I/O when authenticating
  EXPECT_EQ(mb.Create("alice").status().reason(), "operator_exists");
  ASSERT_TRUE(mb.Refresh().ok());
  auto who = b_->operator_keys().Authenticate(made->token);
  ASSERT_TRUE(who.ok());
  EXPECT_EQ(who->name, "alice");
  // Persisted: a reopened engine knows it before any refresh.
  mirrors_.clear();
  ASSERT_TRUE(b_.Open());
  EXPECT_TRUE(Accepts(b_, made->token));

  OperatorKeyMirror& mb2 = Mirror(b_);
  ASSERT_TRUE(mb2.Revoke(made->info.key_id).ok());
  EXPECT_FALSE(Accepts(b_, made->token));  // at once where revoked
  EXPECT_TRUE(Accepts(a_, made->token));
  OperatorKeyMirror& ma2 = Mirror(a_);
  ASSERT_TRUE(ma2.Refresh().ok());
  EXPECT_FALSE(Accepts(a_, made->token));
  EXPECT_EQ(mb2.Revoke("0123456789abcdef").reason(), "operator_key_not_found");
  // The name is free again, cluster-wide.
  EXPECT_TRUE(ma2.Create("alice").ok());
}

TEST_F(OperatorKeyMirrorEtcdTest, ARevocationIsNeverUndoneByEtcd) {
  OperatorKeyMirror& ma = Mirror(a_);
  ASSERT_TRUE(ma.Reconcile().ok());
  auto made = ma.Create("alice");
  ASSERT_TRUE(made.ok());
  ASSERT_TRUE(ma.Revoke(made->info.key_id).ok());
  // etcd made to say it is active again (a restored backup, a hand edit).
  ClusterOperatorKey active = *OperatorKeyRegistry(raw_.get()).Get(made->info.key_id).value();
  active.revoked_at_ms = 0;
  ASSERT_TRUE(raw_->Put(cluster::OperatorKeyKey(active.key_id), cluster::OperatorKeyRecordJson(active)).ok());
  ASSERT_TRUE(ma.Refresh(true).ok());
  EXPECT_FALSE(Accepts(a_, made->token));
  // And at the next start the revocation goes back to etcd.
  ASSERT_TRUE(Mirror(a_).Reconcile().ok());
  EXPECT_TRUE(OperatorKeyRegistry(raw_.get()).Get(made->info.key_id).value()->revoked());
}

TEST_F(OperatorKeyMirrorEtcdTest, EtcdOutOfReachChangesNothingAndTheKnownKeysStay) {
  OperatorKeyMirror& ma = Mirror(a_);
  ASSERT_TRUE(ma.Reconcile().ok());
  auto made = ma.Create("alice");
  ASSERT_TRUE(made.ok());
  etcd_.Stop();
  auto refused = ma.Create("bob");
  EXPECT_EQ(refused.status().code(), Code::kUnavailable);
  EXPECT_EQ(refused.status().reason(), "cluster_unavailable");
  EXPECT_EQ(ma.Revoke(made->info.key_id).reason(), "cluster_unavailable");
  EXPECT_FALSE(ma.Refresh(true).ok());
  EXPECT_TRUE(Accepts(a_, made->token));
  EXPECT_EQ(ma.List().size(), 1u);  // the mirror as it was
  EXPECT_EQ(a_->operator_keys().List().size(), 1u);  // bob was never stored
}

TEST_F(OperatorKeyMirrorEtcdTest, TheBackgroundRefreshAndRateLimitedPokes) {
  OperatorKeyMirrorOptions slow;
  slow.refresh_ms = 60'000;  // the period alone would not refresh during the test
  slow.poke_gap_ms = 200;
  OperatorKeyMirror& ma = Mirror(a_);
  OperatorKeyMirror& mb = Mirror(b_, slow);
  ASSERT_TRUE(ma.Reconcile().ok());
  ASSERT_TRUE(mb.Reconcile().ok());
  mb.Start();
  auto made = ma.Create("alice");
  ASSERT_TRUE(made.ok());
  const uint64_t before = mb.refreshes();
  for (int i = 0; i < 10000; ++i) mb.Poke();  // a flood: one refresh
  EXPECT_TRUE(WaitFor([&] { return Accepts(b_, made->token); }, 10));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_LE(mb.refreshes() - before, 2u);
  mb.Stop();
  mb.Stop();  // idempotent

  OperatorKeyMirrorOptions fast;
  fast.refresh_ms = 100;
  OperatorKeyMirror& mb2 = Mirror(b_, fast);
  mb2.Start();
  ASSERT_TRUE(ma.Revoke(made->info.key_id).ok());
  EXPECT_TRUE(WaitFor([&] { return !Accepts(b_, made->token); }, 10));
}

TEST_F(OperatorKeyMirrorEtcdTest, KeysMadeBeforeJoiningArePublishedOrKeptLocal) {
  // Made standalone on both nodes, before either joined.
  auto alice = a_->operator_keys().Create("alice");
  auto carol = a_->operator_keys().Create("carol");
  auto other_alice = b_->operator_keys().Create("alice");
  auto dave = b_->operator_keys().Create("dave");
  ASSERT_TRUE(alice.ok() && carol.ok() && other_alice.ok() && dave.ok());
  ASSERT_TRUE(a_->operator_keys().Revoke(carol->info.key_id).ok());
  OperatorKeyMirror& ma = Mirror(a_);
  OperatorKeyMirror& mb = Mirror(b_);
  ASSERT_TRUE(ma.Reconcile().ok());
  ASSERT_TRUE(mb.Reconcile().ok());  // "alice" is the cluster's (a's) now
  ASSERT_TRUE(ma.Refresh().ok());
  EXPECT_TRUE(Accepts(b_, alice->token));
  EXPECT_TRUE(Accepts(a_, dave->token));
  EXPECT_FALSE(Accepts(b_, carol->token));  // published revoked
  EXPECT_TRUE(b_->operator_keys().Find(carol->info.key_id).has_value());
  // b's own "alice" stays valid on b alone.
  EXPECT_TRUE(Accepts(b_, other_alice->token));
  EXPECT_FALSE(Accepts(a_, other_alice->token));
  EXPECT_TRUE(b_->operator_keys().Find(other_alice->info.key_id)->local_only);
  // Revoking it on b works, and never reaches the cluster's "alice".
  ASSERT_TRUE(mb.Revoke(other_alice->info.key_id).ok());
  EXPECT_FALSE(Accepts(b_, other_alice->token));
  EXPECT_TRUE(Accepts(b_, alice->token));
  // A restart reconciles again without changing anything.
  ASSERT_TRUE(Mirror(b_).Reconcile().ok());
  EXPECT_TRUE(Accepts(b_, alice->token));
}

}  // namespace
}  // namespace tenantkv::server

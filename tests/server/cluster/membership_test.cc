// Membership against a real etcd: registration, the refusal of a taken
// id, leaving, losing etcd and coming back.
#include "server/cluster/membership.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "server/cluster/etcd_keys.h"
#include "tests/testing/etcd_process.h"
#include "tests/testing/wait_for.h"

namespace tenantkv::server::cluster {
namespace {

using testing::EtcdProcess;
using testing::WaitFor;

class MembershipTest : public ::testing::Test {
 protected:
  void SetUp() override { etcd_.Start(); }

  std::unique_ptr<EtcdClient> Client() {
    EtcdClientOptions o;
    o.endpoints.push_back(*ParseHttpEndpoint(etcd_.url()));
    o.request_timeout_ms = 2000;  // etcd fsyncs each write: slow on a loaded machine
    o.connect_timeout_ms = 1000;
    return std::move(EtcdClient::Create(std::move(o)).value());
  }

  Result<std::unique_ptr<Membership>> Join(const std::string& id, NodeLoad load = {}) {
    MembershipOptions o;
    o.node_id = id;
    o.advertise_url = "http://127.0.0.1:1" + std::to_string(id.size());
    o.lease_ttl_sec = 2;
    o.version = "test";
    o.started_at = "2026-01-01T00:00:00Z";
    return Membership::Join(Client(), o, [load] { return load; });
  }

  // Node n1 at the given lease TTL, its tenant count read from `tenants`.
  Result<std::unique_ptr<Membership>> JoinCounting(int ttl, const std::atomic<int64_t>& tenants) {
    MembershipOptions o;
    o.node_id = "n1";
    o.advertise_url = "http://127.0.0.1:9";
    o.lease_ttl_sec = ttl;
    return Membership::Join(Client(), o, [&tenants] { return NodeLoad{tenants.load(), 0}; });
  }

  EtcdProcess etcd_;
};

TEST_F(MembershipTest, JoinWritesTheRecordUnderALease) {
  auto m = Join("n1", {3, 4096});
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_TRUE((*m)->lease_alive());
  auto held = Client()->Get(NodeKey("n1"));
  ASSERT_TRUE(held.ok() && held->has_value());
  EXPECT_EQ((*held)->lease, (*m)->lease_id());
  auto record = ParseNodeRecord((*held)->value);
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->id, "n1");
  EXPECT_EQ(record->url, "http://127.0.0.1:12");
  EXPECT_EQ(record->load.tenants, 3);
  EXPECT_EQ(record->load.bytes, 4096);
  auto nodes = (*m)->ListNodes();
  ASSERT_TRUE(nodes.ok());
  ASSERT_EQ(nodes->size(), 1u);
  EXPECT_TRUE((*nodes)[0].alive);
}

TEST_F(MembershipTest, ALiveNodesIdCannotBeTaken) {
  auto first = Join("n1");
  ASSERT_TRUE(first.ok());
  auto second = Join("n1");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Code::kAlreadyExists);
  EXPECT_EQ(second.status().reason(), "node_id_taken");
  auto held = Client()->Get(NodeKey("n1"));
  EXPECT_EQ((*held)->lease, (*first)->lease_id()) << "the holder's record is untouched";
}

TEST_F(MembershipTest, LeaveRemovesTheRecordAtOnceAndFreesTheId) {
  auto a = Join("n1");
  auto b = Join("n2");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ((*b)->ListNodes().value().size(), 2u);
  (*a)->Leave();
  EXPECT_FALSE((*a)->lease_alive());
  auto nodes = (*b)->ListNodes();
  ASSERT_EQ(nodes->size(), 1u);
  EXPECT_EQ((*nodes)[0].id, "n2");
  EXPECT_TRUE(Join("n1").ok());
}

TEST_F(MembershipTest, RenewalKeepsTheRecordPastItsTtlAndRefreshesTheLoad) {
  std::atomic<int64_t> tenants{1};
  auto m = JoinCounting(/*ttl=*/2, tenants);
  ASSERT_TRUE(m.ok());
  tenants = 7;
  EXPECT_TRUE(WaitFor([&] {
    auto held = Client()->Get(NodeKey("n1"));
    return held.ok() && held->has_value() && ParseNodeRecord((*held)->value)->load.tenants == 7;
  }, 5));
  std::this_thread::sleep_for(std::chrono::milliseconds(3000));  // past the TTL
  EXPECT_TRUE((*m)->lease_alive());
  EXPECT_TRUE(Client()->Get(NodeKey("n1")).value().has_value());
}

TEST_F(MembershipTest, EtcdDownListsUnavailableAndTheLeaseLapsesLocally) {
  auto m = Join("n1");
  ASSERT_TRUE(m.ok());
  etcd_.Stop();
  auto nodes = (*m)->ListNodes();
  ASSERT_FALSE(nodes.ok());
  EXPECT_EQ(nodes.status().reason(), "cluster_unavailable");
  EXPECT_TRUE(WaitFor([&] { return !(*m)->lease_alive(); }, 5)) << "no renewal for a TTL: not alive";
  EXPECT_GT((*m)->etcd_errors(), 0u);
}

TEST_F(MembershipTest, RegistersAgainUnderANewLeaseWhenEtcdForgotIt) {
  auto m = Join("n1");
  ASSERT_TRUE(m.ok());
  const int64_t first_lease = (*m)->lease_id();
  etcd_.Wipe();  // a new, empty etcd on the same URL
  etcd_.Start();
  ASSERT_TRUE(WaitFor([&] {
    auto held = Client()->Get(NodeKey("n1"));
    return held.ok() && held->has_value();
  }, 10)) << "the node registered again";
  EXPECT_TRUE(WaitFor([&] { return (*m)->lease_alive(); }, 5));
  EXPECT_NE((*m)->lease_id(), first_lease);
  EXPECT_EQ(Client()->Get(NodeKey("n1")).value()->lease, (*m)->lease_id());
  EXPECT_GE((*m)->reregistrations(), 1u);
}

TEST_F(MembershipTest, RegistersAgainAfterEtcdWasDownLongerThanTheTtl) {
  auto m = Join("n1");
  ASSERT_TRUE(m.ok());
  const int64_t first_lease = (*m)->lease_id();
  etcd_.Stop();
  ASSERT_TRUE(WaitFor([&] { return !(*m)->lease_alive(); }, 5));
  etcd_.Start();  // etcd kept the old lease (and renewed it at its restart)
  ASSERT_TRUE(WaitFor([&] { return (*m)->lease_alive(); }, 10));
  EXPECT_NE((*m)->lease_id(), first_lease) << "a lease given up here is never used again";
  auto held = Client()->Get(NodeKey("n1"));
  ASSERT_TRUE(held.ok() && held->has_value());
  EXPECT_EQ((*held)->lease, (*m)->lease_id());
}

TEST_F(MembershipTest, ARecordReplacedByAnotherProcessEndsThisNodesClaim) {
  std::atomic<int64_t> tenants{1};
  auto m = JoinCounting(/*ttl=*/2, tenants);
  ASSERT_TRUE(m.ok());
  // Another process deletes the record and writes its own under its lease.
  auto other = Client()->LeaseGrant(30);
  ASSERT_TRUE(other.ok());
  ASSERT_EQ(Client()->Delete(NodeKey("n1")).value(), 1);
  ASSERT_TRUE(Client()->Put(NodeKey("n1"), R"({"id":"n1","url":"http://other:1"})", other->id).ok());
  tenants = 2;  // the next refresh finds the record is not its own
  EXPECT_TRUE(WaitFor([&] { return !(*m)->lease_alive(); }, 5));
  auto held = Client()->Get(NodeKey("n1"));
  ASSERT_TRUE(held.ok() && held->has_value());
  EXPECT_EQ((*held)->lease, other->id) << "the other process's record is untouched";
  EXPECT_EQ(ParseNodeRecord((*held)->value)->url, "http://other:1");
}

TEST(NodeRecord, ParseRefusesWhatIsNotARecord) {
  EXPECT_FALSE(ParseNodeRecord("").ok());
  EXPECT_FALSE(ParseNodeRecord("[]").ok());
  EXPECT_FALSE(ParseNodeRecord("{\"url\":\"x\"}").ok());
  auto r = ParseNodeRecord(R"({"id":"n1","tenants":"many","bytes":5})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->load.tenants, 0);
  EXPECT_EQ(r->load.bytes, 5);
}

}  // namespace
}  // namespace tenantkv::server::cluster

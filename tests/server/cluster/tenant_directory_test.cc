// TenantDirectory against a real etcd: guarded claims, updates and
// releases, key routes, the cache (TTL, bound, degraded mode when etcd is
// down), the refusal of odd ids, and the entry's JSON.
#include "server/cluster/tenant_directory.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <thread>
#include <utility>

#include "server/cluster/etcd_keys.h"
#include "tests/testing/etcd_process.h"
#include "tests/testing/wait_for.h"

namespace tenantkv::server::cluster {
namespace {

using testing::EtcdProcess;
using testing::WaitFor;

std::string KeyId(int i) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016x", i);
  return buf;
}

class TenantDirectoryEtcdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    etcd_.Start();
    raw_ = Client();
  }

  std::unique_ptr<EtcdClient> Client() {
    EtcdClientOptions o;
    o.endpoints.push_back(*ParseHttpEndpoint(etcd_.url()));
    o.request_timeout_ms = 2000;  // etcd fsyncs each write: slow on a loaded machine
    o.connect_timeout_ms = 1000;
    return std::move(EtcdClient::Create(std::move(o)).value());
  }

  // A directory of its own (another node, as far as the cache goes).
  std::unique_ptr<TenantDirectory> Directory(int ttl_ms = 1000, size_t max_cached = 1000) {
    clients_.push_back(Client());
    return std::make_unique<TenantDirectory>(clients_.back().get(), TenantDirectoryOptions{ttl_ms, max_cached});
  }

  // Writes `kvs` straight into etcd, 100 keys a txn.
  void WriteRaw(const std::vector<std::pair<std::string, std::string>>& kvs) {
    for (size_t at = 0; at < kvs.size(); at += 100) {
      EtcdTxn txn;
      for (size_t i = at; i < kvs.size() && i < at + 100; ++i) {
        txn.success.push_back(EtcdOp::Put(kvs[i].first, kvs[i].second));
      }
      auto r = raw_->Txn(txn);
      ASSERT_TRUE(r.ok() && r->succeeded) << r.status().ToString();
    }
  }

  // Moves `tenant`'s entry to `node` behind the directory's back.
  void MoveRaw(const std::string& tenant, const std::string& node) {
    DirectoryEntry e{tenant, node, "pooled", 2, "active", 0, std::nullopt, ""};
    ASSERT_TRUE(raw_->Put(TenantKey(tenant), DirectoryEntryJson(e)).ok());
  }

  size_t Count(const std::string& prefix) { return raw_->GetPrefix(prefix, 10000).value().size(); }

  EtcdProcess etcd_;
  std::unique_ptr<EtcdClient> raw_;
  std::vector<std::unique_ptr<EtcdClient>> clients_;
};

TEST_F(TenantDirectoryEtcdTest, ATenantIsClaimedOnceClusterWide) {
  auto a = Directory();
  auto b = Directory();  // another node
  auto claimed = a->Claim("acme", "n1", "pooled", "creating");
  ASSERT_TRUE(claimed.ok()) << claimed.status().ToString();
  EXPECT_EQ(claimed->tenant, "acme");
  EXPECT_EQ(claimed->epoch, 1);
  EXPECT_EQ(claimed->state, "creating");
  auto held = raw_->Get(TenantKey("acme"));
  ASSERT_TRUE(held.ok() && held->has_value());
  EXPECT_EQ(claimed->mod_revision, (*held)->mod_revision) << "the txn's revision is the put's";
  auto stored = ParseDirectoryEntry("acme", (*held)->value);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->node, "n1");
  EXPECT_EQ(stored->tier, "pooled");

  for (auto* dir : {a.get(), b.get()}) {
    auto again = dir->Claim("acme", "n2", "dedicated", "active");
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.status().code(), Code::kAlreadyExists);
    EXPECT_EQ(again.status().reason(), "tenant_exists");
  }
  EXPECT_EQ(ParseDirectoryEntry("acme", raw_->Get(TenantKey("acme")).value()->value)->node, "n1");
  auto seen = b->Lookup("acme");
  ASSERT_TRUE(seen.ok() && seen->has_value());
  EXPECT_EQ((*seen)->node, "n1");
  EXPECT_EQ((*seen)->mod_revision, claimed->mod_revision);
}

TEST_F(TenantDirectoryEtcdTest, AnUpdateIsGuardedByWhatWasRead) {
  auto a = Directory();
  auto b = Directory();
  auto read = a->Claim("acme", "n1", "pooled", "creating");
  ASSERT_TRUE(read.ok());
  DirectoryEntry next = *read;
  next.state = "active";
  auto updated = a->Update(*read, next);
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_GT(updated->mod_revision, read->mod_revision);
  EXPECT_EQ(raw_->Get(TenantKey("acme")).value()->mod_revision, updated->mod_revision);

  // `read` is stale now, whoever holds it.
  for (auto* dir : {a.get(), b.get()}) {
    next.node = "n2";
    next.epoch = 2;
    auto stale = dir->Update(*read, next);
    ASSERT_FALSE(stale.ok());
    EXPECT_EQ(stale.status().code(), Code::kFailedPrecondition);
    EXPECT_EQ(stale.status().reason(), "directory_changed");
  }
  auto now = b->Lookup("acme", /*fresh=*/true);
  ASSERT_TRUE(now.ok() && now->has_value());
  EXPECT_EQ((*now)->node, "n1");
  EXPECT_EQ((*now)->state, "active");

  // Two movers from one read: exactly one wins.
  const DirectoryEntry base = **now;
  std::atomic<int> wins{0}, changed{0};
  std::vector<std::thread> movers;
  for (auto* dir : {a.get(), b.get()}) {
    movers.emplace_back([&, dir, node = dir == a.get() ? "n2" : "n3"] {
      DirectoryEntry to = base;
      to.node = node;
      to.epoch = base.epoch + 1;
      auto r = dir->Update(base, to);
      if (r.ok()) wins.fetch_add(1);
      if (!r.ok() && r.status().reason() == "directory_changed") changed.fetch_add(1);
    });
  }
  for (auto& t : movers) t.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(changed.load(), 1);
  EXPECT_EQ(ParseDirectoryEntry("acme", raw_->Get(TenantKey("acme")).value()->value)->epoch, 2);

  // What an update may not do.
  DirectoryEntry gone = base;
  gone.epoch = 0;
  EXPECT_EQ(a->Update(base, gone).status().reason(), "bad_directory_entry");
  DirectoryEntry other = base;
  other.tenant = "globex";
  EXPECT_EQ(a->Update(base, other).status().reason(), "bad_directory_entry");
  DirectoryEntry unread = base;
  unread.mod_revision = 0;  // would match an absent key: never sent
  EXPECT_EQ(a->Update(unread, base).status().reason(), "bad_directory_entry");
}

TEST_F(TenantDirectoryEtcdTest, ReleaseDropsTheEntryAndItsKeyRoutes) {
  auto a = Directory();
  auto acme = a->Claim("acme", "n1", "pooled", "active");
  ASSERT_TRUE(acme.ok() && a->Claim("acme-2", "n1", "pooled", "active").ok());
  ASSERT_TRUE(a->PublishKey(KeyId(1), "acme").ok());
  ASSERT_TRUE(a->PublishKey(KeyId(2), "acme").ok());
  ASSERT_TRUE(a->PublishKey(KeyId(3), "acme-2").ok());
  ASSERT_EQ(a->LookupKey(KeyId(1)).value(), std::optional<std::string>("acme"));

  DirectoryEntry stale = *acme;
  DirectoryEntry moved = *acme;
  moved.node = "n2";
  moved.epoch = 2;
  auto current = a->Update(*acme, moved);
  ASSERT_TRUE(current.ok());
  auto refused = a->Release(stale);
  EXPECT_EQ(refused.reason(), "directory_changed");
  EXPECT_TRUE(raw_->Get(TenantKey("acme")).value().has_value());

  ASSERT_TRUE(a->Release(*current).ok());
  EXPECT_FALSE(raw_->Get(TenantKey("acme")).value().has_value());
  EXPECT_FALSE(raw_->Get(ApiKeyRouteKey(KeyId(1))).value().has_value());
  EXPECT_FALSE(raw_->Get(ApiKeyRouteKey(KeyId(2))).value().has_value());
  EXPECT_EQ(Count(TenantApiKeysPrefix("acme")), 0u);
  EXPECT_FALSE(a->Lookup("acme").value().has_value());
  EXPECT_FALSE(a->LookupKey(KeyId(1)).value().has_value()) << "the cache forgot the route too";
  // "acme-2" shares the start of the id, not the routes.
  EXPECT_EQ(a->LookupKey(KeyId(3), /*fresh=*/true).value(), std::optional<std::string>("acme-2"));
  EXPECT_EQ(a->Release(*current).reason(), "directory_changed") << "released already";
}

TEST_F(TenantDirectoryEtcdTest, AReleaseWithMoreRoutesThanATxnTakesThemAll) {
  auto a = Directory();
  auto acme = a->Claim("acme", "n1", "pooled", "active");
  ASSERT_TRUE(acme.ok());
  std::vector<std::pair<std::string, std::string>> routes;  // 150: three batches after the entry
  for (int i = 0; i < 150; ++i) {
    routes.emplace_back(ApiKeyRouteKey(KeyId(i)), R"({"tenant":"acme"})");
    routes.emplace_back(TenantApiKeyIndexKey("acme", KeyId(i)), "");
  }
  WriteRaw(routes);
  ASSERT_TRUE(a->PublishKey(KeyId(1000), "acme").ok());
  ASSERT_EQ(Count(std::string(kApiKeysPrefix)), 151u);
  ASSERT_TRUE(a->Release(*acme).ok());
  EXPECT_FALSE(raw_->Get(TenantKey("acme")).value().has_value());
  EXPECT_EQ(Count(std::string(kApiKeysPrefix)), 0u);
  EXPECT_EQ(Count(std::string(kTenantApiKeysPrefix)), 0u);
}

TEST_F(TenantDirectoryEtcdTest, AClaimDropsRoutesLeftOverByAFormerTenant) {
  // A release that could not finish left key routes of an id with no entry.
  WriteRaw({{ApiKeyRouteKey(KeyId(7)), R"({"tenant":"acme"})"}, {TenantApiKeyIndexKey("acme", KeyId(7)), ""}});
  auto a = Directory();
  EXPECT_EQ(a->PublishKey(KeyId(8), "acme").reason(), "tenant_not_found") << "no route for a tenant with no entry";
  EXPECT_EQ(a->PublishKey(KeyId(7), "acme").reason(), "tenant_not_found");
  ASSERT_TRUE(a->Claim("acme", "n1", "pooled", "active").ok());
  EXPECT_FALSE(raw_->Get(ApiKeyRouteKey(KeyId(7))).value().has_value());
  EXPECT_EQ(Count(TenantApiKeysPrefix("acme")), 0u);
}

TEST_F(TenantDirectoryEtcdTest, KeyRoutesArePublishedLookedUpAndRetracted) {
  auto a = Directory();
  auto b = Directory();
  ASSERT_TRUE(a->Claim("acme", "n1", "pooled", "active").ok());
  ASSERT_TRUE(a->Claim("globex", "n2", "pooled", "active").ok());
  ASSERT_TRUE(a->PublishKey(KeyId(1), "acme").ok());
  EXPECT_TRUE(a->PublishKey(KeyId(1), "acme").ok()) << "published again: the same route";
  auto taken = b->PublishKey(KeyId(1), "globex");
  EXPECT_EQ(taken.code(), Code::kAlreadyExists);
  EXPECT_EQ(taken.reason(), "key_id_taken");
  EXPECT_EQ(b->LookupKey(KeyId(1)).value(), std::optional<std::string>("acme"));
  EXPECT_TRUE(raw_->Get(TenantApiKeyIndexKey("acme", KeyId(1))).value().has_value());
  EXPECT_FALSE(b->LookupKey(KeyId(2)).value().has_value());
  auto stored = raw_->Get(ApiKeyRouteKey(KeyId(1))).value();
  EXPECT_EQ(stored->value, R"({"tenant":"acme"})") << "a key id and its tenant, nothing else";

  EXPECT_TRUE(b->RetractKey(KeyId(1), "globex").ok()) << "not globex's: nothing to drop";
  EXPECT_EQ(b->LookupKey(KeyId(1), /*fresh=*/true).value(), std::optional<std::string>("acme"));
  ASSERT_TRUE(a->RetractKey(KeyId(1), "acme").ok());
  EXPECT_FALSE(raw_->Get(ApiKeyRouteKey(KeyId(1))).value().has_value());
  EXPECT_FALSE(raw_->Get(TenantApiKeyIndexKey("acme", KeyId(1))).value().has_value());
  EXPECT_FALSE(a->LookupKey(KeyId(1)).value().has_value());
  EXPECT_TRUE(a->RetractKey(KeyId(1), "acme").ok()) << "absent is OK";
  EXPECT_TRUE(b->PublishKey(KeyId(1), "globex").ok()) << "a retracted id is free";

  ASSERT_TRUE(raw_->Put(ApiKeyRouteKey(KeyId(9)), "{\"tenant\":5}").ok());
  EXPECT_EQ(a->LookupKey(KeyId(9)).status().code(), Code::kDataLoss);
  EXPECT_EQ(a->LookupKey(KeyId(9)).status().reason(), "bad_key_route");
}

TEST_F(TenantDirectoryEtcdTest, TheCacheAnswersWithinItsTtlAndFreshReadsEtcd) {
  auto slow = Directory(/*ttl_ms=*/60000);
  auto quick = Directory(/*ttl_ms=*/200);
  auto other = Directory();
  auto read = other->Claim("acme", "n1", "pooled", "active");
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(slow->Lookup("acme").value()->node, "n1");
  ASSERT_EQ(quick->Lookup("acme").value()->node, "n1");
  ASSERT_FALSE(slow->Lookup("ghost").value().has_value());  // none: cached too

  DirectoryEntry moved = *read;
  moved.node = "n2";
  moved.epoch = 2;
  ASSERT_TRUE(other->Update(*read, moved).ok());
  ASSERT_TRUE(other->Claim("ghost", "n3", "dedicated", "creating").ok());

  EXPECT_EQ(slow->Lookup("acme").value()->node, "n1") << "within the TTL: the cached entry";
  EXPECT_FALSE(slow->Lookup("ghost").value().has_value()) << "within the TTL: the cached absence";
  EXPECT_TRUE(WaitFor([&] { return quick->Lookup("acme").value()->node == "n2"; }, 5)) << "after the TTL: etcd";
  EXPECT_EQ(slow->Lookup("acme", /*fresh=*/true).value()->node, "n2");
  EXPECT_EQ(slow->Lookup("acme").value()->node, "n2") << "the fresh read refreshed the cache";
  EXPECT_EQ(slow->Lookup("ghost", /*fresh=*/true).value()->node, "n3");

  // Forget drops the cached entry: the next lookup reads etcd.
  MoveRaw("acme", "n4");
  EXPECT_EQ(slow->Lookup("acme").value()->node, "n2");
  slow->Forget("acme");
  EXPECT_EQ(slow->Lookup("acme").value()->node, "n4");

  // A failed update forgets what it read.
  auto stale = slow->Lookup("acme").value();
  MoveRaw("acme", "n5");
  DirectoryEntry next = *stale;
  next.state = "creating";
  EXPECT_EQ(slow->Update(*stale, next).status().reason(), "directory_changed");
  EXPECT_EQ(slow->Lookup("acme").value()->node, "n5");

  // A zero TTL reads etcd every time.
  auto none = Directory(/*ttl_ms=*/0);
  EXPECT_EQ(none->Lookup("acme").value()->node, "n5");
  MoveRaw("acme", "n6");
  EXPECT_EQ(none->Lookup("acme").value()->node, "n6");
}

TEST_F(TenantDirectoryEtcdTest, WithEtcdDownLookupsAnswerFromTheCache) {
  auto a = Directory(/*ttl_ms=*/0);  // stale at once: every lookup tries etcd first
  ASSERT_TRUE(a->Claim("acme", "n1", "pooled", "active").ok());
  ASSERT_TRUE(a->PublishKey(KeyId(1), "acme").ok());
  ASSERT_FALSE(a->Lookup("ghost").value().has_value());
  ASSERT_EQ(a->etcd_errors(), 0u);
  etcd_.Kill9();

  auto acme = a->Lookup("acme");
  ASSERT_TRUE(acme.ok()) << acme.status().ToString();
  EXPECT_EQ((*acme)->node, "n1");
  EXPECT_EQ(a->Lookup("acme", /*fresh=*/true).value()->node, "n1");
  auto ghost = a->Lookup("ghost");
  ASSERT_TRUE(ghost.ok());
  EXPECT_FALSE(ghost->has_value()) << "a cached absence is an answer too";
  EXPECT_EQ(a->LookupKey(KeyId(1)).value(), std::optional<std::string>("acme"));

  auto unknown = a->Lookup("globex");
  EXPECT_EQ(unknown.status().code(), Code::kUnavailable);
  EXPECT_EQ(unknown.status().reason(), "cluster_unavailable");
  EXPECT_EQ(a->List().status().reason(), "cluster_unavailable");
  EXPECT_EQ(a->ListPage("", "", 10).status().reason(), "cluster_unavailable");
  EXPECT_EQ(a->Claim("globex", "n1", "pooled", "active").status().reason(), "cluster_unavailable");
  EXPECT_EQ(a->PublishKey(KeyId(2), "acme").reason(), "cluster_unavailable");
  a->Forget("acme");
  EXPECT_EQ(a->Lookup("acme").status().reason(), "cluster_unavailable") << "forgotten: nothing to answer from";
  EXPECT_GE(a->etcd_errors(), 8u);

  etcd_.Start();
  EXPECT_EQ(a->Lookup("acme").value()->node, "n1");
}

TEST_F(TenantDirectoryEtcdTest, OddIdsAreRefusedBeforeEtcd) {
  auto a = Directory();
  const std::vector<std::string> bad_tenants = {"", "-acme", "Acme", "ac/me", "ac me", std::string(64, 'a'),
                                                "acme\n", "é"};
  for (const std::string& bad : bad_tenants) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(a->Claim(bad, "n1", "pooled", "active").status().reason(), "invalid_tenant_id");
    EXPECT_EQ(a->Lookup(bad).status().reason(), "invalid_tenant_id");
    EXPECT_EQ(a->PublishKey(KeyId(1), bad).reason(), "invalid_tenant_id");
    EXPECT_EQ(a->RetractKey(KeyId(1), bad).reason(), "invalid_tenant_id");
    EXPECT_EQ(a->Release(DirectoryEntry{bad, "n1", "pooled", 1, "active", 5, std::nullopt, ""}).reason(),
              "invalid_tenant_id");
  }
  const std::vector<std::string> bad_keys = {"", "00000000000000001", "000000000000000", "ABCDEF0123456789",
                                             "../../nodes/n1x", "0000000000000g00"};
  for (const std::string& bad : bad_keys) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(a->PublishKey(bad, "acme").reason(), "invalid_key_id");
    EXPECT_EQ(a->RetractKey(bad, "acme").reason(), "invalid_key_id");
    EXPECT_EQ(a->LookupKey(bad).status().reason(), "invalid_key_id");
  }
  EXPECT_TRUE(a->Claim(std::string(63, 'a'), "n1", "pooled", "active").ok());
  EXPECT_EQ(a->Claim("acme", "", "pooled", "active").status().reason(), "bad_directory_entry");
  EXPECT_EQ(a->Claim("acme", "n1", "shared", "active").status().reason(), "bad_directory_entry");
  EXPECT_EQ(a->Claim("acme", "n1", "pooled", "moving").status().reason(), "bad_directory_entry");
  EXPECT_EQ(Count(std::string(kEtcdRoot)), 1u) << "only the valid claim reached etcd";
  EXPECT_EQ(a->etcd_errors(), 0u);
}

TEST_F(TenantDirectoryEtcdTest, TheCacheIsBoundedAndWhatItDroppedIsReadAgain) {
  auto writer = Directory();
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(writer->Claim("t" + std::to_string(i), "n1", "pooled", "active").ok());
  auto a = Directory(/*ttl_ms=*/60000, /*max_cached=*/4);
  ASSERT_EQ(a->Lookup("t0").value()->node, "n1");
  MoveRaw("t0", "n2");
  EXPECT_EQ(a->Lookup("t0").value()->node, "n1") << "cached";
  for (int i = 1; i < 12; ++i) ASSERT_TRUE(a->Lookup("t" + std::to_string(i)).ok());
  EXPECT_EQ(a->Lookup("t0").value()->node, "n2") << "dropped from the full cache, then read from etcd";
  // What was looked up last is still held.
  MoveRaw("t11", "n2");
  EXPECT_EQ(a->Lookup("t11").value()->node, "n1");

  // Key routes likewise, in a bound of their own.
  ASSERT_TRUE(writer->PublishKey(KeyId(0), "t0").ok());
  ASSERT_TRUE(writer->PublishKey(KeyId(1), "t1").ok());
  ASSERT_EQ(a->LookupKey(KeyId(0)).value(), std::optional<std::string>("t0"));
  ASSERT_TRUE(raw_->Put(ApiKeyRouteKey(KeyId(0)), R"({"tenant":"t5"})").ok());
  EXPECT_EQ(a->LookupKey(KeyId(0)).value(), std::optional<std::string>("t0")) << "cached";
  for (int i = 1; i < 10; ++i) ASSERT_TRUE(a->LookupKey(KeyId(i)).ok());
  EXPECT_EQ(a->LookupKey(KeyId(0)).value(), std::optional<std::string>("t5")) << "dropped, then read again";
}

TEST_F(TenantDirectoryEtcdTest, ConcurrentLookupsForgetsAndEvictionsAgree) {
  auto writer = Directory();
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(writer->Claim("t" + std::to_string(i), "n" + std::to_string(i), "pooled", "active").ok());
  }
  auto a = Directory(/*ttl_ms=*/60000, /*max_cached=*/3);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 60; ++i) {
        const int n = (i * 3 + t) % 8;
        auto e = a->Lookup("t" + std::to_string(n), /*fresh=*/i % 7 == 0);
        if (!e.ok() || !e->has_value() || (*e)->node != "n" + std::to_string(n)) wrong.fetch_add(1);
        if (i % 5 == t) a->Forget("t" + std::to_string(n));
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(a->etcd_errors(), 0u);
}

TEST_F(TenantDirectoryEtcdTest, AMalformedEntryIsDataLossForLookupAndSkippedByList) {
  auto a = Directory();
  ASSERT_TRUE(a->Claim("acme", "n1", "pooled", "active").ok());
  ASSERT_TRUE(a->Claim("zeta", "n1", "pooled", "active").ok());
  ASSERT_TRUE(raw_->Put(TenantKey("bad"), R"({"node":"n1","tier":"pooled","epoch":0,"state":"active"})").ok());
  ASSERT_TRUE(
      raw_->Put(TenantKey("Odd_Id"), DirectoryEntryJson({"", "n1", "pooled", 1, "active", 0, std::nullopt, ""})).ok());
  auto bad = a->Lookup("bad");
  EXPECT_EQ(bad.status().code(), Code::kDataLoss);
  EXPECT_EQ(bad.status().reason(), "bad_directory_entry");
  auto all = a->List();
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].tenant, "acme");
  EXPECT_EQ((*all)[1].tenant, "zeta");
  EXPECT_EQ((*all)[1].mod_revision, raw_->Get(TenantKey("zeta")).value()->mod_revision);
}

TEST_F(TenantDirectoryEtcdTest, ListReadsMoreThanAPageInTenantOrder) {
  // 1,100 entries sharing a long start ("tenant-"), so that the reading
  // splits ranges several characters deep; and one whose id is a prefix
  // of others.
  std::vector<std::pair<std::string, std::string>> kvs;
  std::vector<std::string> ids = {"tenant"};
  for (int i = 0; i < 1100; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "tenant-%04d", i);
    ids.push_back(id);
  }
  for (const auto& id : ids) {
    kvs.emplace_back(TenantKey(id), DirectoryEntryJson({id, "n1", "pooled", 1, "active", 0, std::nullopt, ""}));
  }
  WriteRaw(kvs);
  auto a = Directory();
  ASSERT_TRUE(a->Claim("9lives", "n2", "dedicated", "creating").ok());
  ids.insert(ids.begin(), "9lives");
  auto all = a->List();
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), ids.size());
  for (size_t i = 0; i < ids.size(); ++i) ASSERT_EQ((*all)[i].tenant, ids[i]) << i;
  EXPECT_EQ(all->front().tier, "dedicated");
}

// The tenant ids of a page, in its order.
std::vector<std::string> IdsOf(const DirectoryPage& page) {
  std::vector<std::string> out;
  for (const auto& e : page.entries) out.push_back(e.tenant);
  return out;
}

TEST_F(TenantDirectoryEtcdTest, ListPageReadsOnePageAfterACursorWithinAPrefix) {
  auto a = Directory();
  for (const char* id : {"ab", "abc", "abd", "b", "b-1", "c"}) ASSERT_TRUE(a->Claim(id, "n1", "pooled", "active").ok());
  ASSERT_TRUE(raw_->Put(TenantKey("abb"), "not json").ok());  // malformed: skipped, but read
  ASSERT_TRUE(raw_->Put("/tenantkv/tenantsx", "{}").ok());     // beside the directory's range
  ASSERT_TRUE(raw_->Put(std::string(kTenantsPrefix), "{}").ok());  // the bare prefix: no id

  auto first = a->ListPage("", "", 2);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(IdsOf(*first), std::vector<std::string>{"ab"}) << "abb is malformed";
  EXPECT_EQ(first->last, "abb");
  EXPECT_EQ(first->read, 2u);
  EXPECT_TRUE(first->more);
  EXPECT_EQ(first->entries[0].node, "n1");
  EXPECT_EQ(first->entries[0].mod_revision, raw_->Get(TenantKey("ab")).value()->mod_revision);

  // A walk page by page: every valid entry once, in order.
  std::vector<std::string> walked;
  std::string after;
  for (int pages = 0;; ++pages) {
    ASSERT_LT(pages, 10);
    auto page = a->ListPage(after, "", 2);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    for (const auto& id : IdsOf(*page)) walked.push_back(id);
    if (!page->more) break;
    after = page->last;
  }
  EXPECT_EQ(walked, (std::vector<std::string>{"ab", "abc", "abd", "b", "b-1", "c"}));

  // A prefix; a cursor within it, before it (any string) and past it.
  EXPECT_EQ(IdsOf(a->ListPage("", "ab", 10).value()), (std::vector<std::string>{"ab", "abc", "abd"}));
  EXPECT_EQ(IdsOf(a->ListPage("abb", "ab", 10).value()), (std::vector<std::string>{"abc", "abd"}));
  EXPECT_EQ(IdsOf(a->ListPage("a", "b", 10).value()), (std::vector<std::string>{"b", "b-1"}));
  EXPECT_EQ(IdsOf(a->ListPage("aa", "", 1).value()), (std::vector<std::string>{"ab"}));
  auto past = a->ListPage("abd", "ab", 10);
  ASSERT_TRUE(past.ok());
  EXPECT_TRUE(past->entries.empty());
  EXPECT_FALSE(past->more);
  EXPECT_EQ(past->last, "");
  auto beyond = a->ListPage("zz", "ab", 10);
  ASSERT_TRUE(beyond.ok());
  EXPECT_TRUE(beyond->entries.empty());
  EXPECT_EQ(beyond->read, 0u);
  // A page that holds the range's last key exactly: nothing more.
  auto exact = a->ListPage("b-1", "", 1);
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(IdsOf(*exact), std::vector<std::string>{"c"});
  EXPECT_FALSE(exact->more);

  EXPECT_EQ(a->ListPage("", "", 0).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(a->ListPage("", "", 10001).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(a->etcd_errors(), 0u);
}

TEST(TenantDirectoryJson, AnEntryRoundTrips) {
  const DirectoryEntry e{"acme", "node-1", "column_family", 7, "creating", 99, std::nullopt, ""};
  const std::string text = DirectoryEntryJson(e);
  EXPECT_EQ(text, R"({"epoch":7,"node":"node-1","state":"creating","tier":"column_family"})");
  auto back = ParseDirectoryEntry("acme", text);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->tenant, "acme");
  EXPECT_EQ(back->node, "node-1");
  EXPECT_EQ(back->tier, "column_family");
  EXPECT_EQ(back->epoch, 7);
  EXPECT_EQ(back->state, "creating");
  EXPECT_EQ(back->mod_revision, 0) << "not in the JSON: etcd's";
  EXPECT_TRUE(ParseDirectoryEntry("acme", R"({"node":"n","tier":"dedicated","epoch":1,"state":"active","x":1})").ok())
      << "a field a later version adds is ignored";
}

TEST(TenantDirectoryJson, WhatIsNotAnEntryIsRefused) {
  for (const char* text : {
           "", "null", "[]", "\"x\"", "{", R"({"tier":"pooled","epoch":1,"state":"active"})",
           R"({"node":"","tier":"pooled","epoch":1,"state":"active"})",
           R"({"node":5,"tier":"pooled","epoch":1,"state":"active"})",
           R"({"node":"n","tier":"shared","epoch":1,"state":"active"})",
           R"({"node":"n","tier":"pooled","epoch":1,"state":"moving"})",
           R"({"node":"n","tier":"pooled","epoch":0,"state":"active"})",
           R"({"node":"n","tier":"pooled","epoch":-3,"state":"active"})",
           R"({"node":"n","tier":"pooled","epoch":1.5,"state":"active"})",
           R"({"node":"n","tier":"pooled","epoch":"1","state":"active"})",
           R"({"node":"n","tier":"pooled","epoch":18446744073709551615,"state":"active"})",
           R"({"node":"n","tier":"pooled","state":"active"})",
           R"({"node":"n","tier":null,"epoch":1,"state":"active"})",
       }) {
    auto r = ParseDirectoryEntry("acme", text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << text;
    EXPECT_EQ(r.status().reason(), "bad_directory_entry") << text;
  }
}

}  // namespace
}  // namespace tenantkv::server::cluster

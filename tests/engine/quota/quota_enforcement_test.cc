// Quota enforcement: a tenant's manifest applied to its store (storage and
// value limits) and its live limits (token buckets), at once and at reopen.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine/quota/quota.h"
#include "tests/testing/test_util.h"

namespace tenantkv::engine::testutil {
namespace {

Plan BuiltIn(const std::string& name) {
  for (auto& p : BuiltInPlans()) {
    if (p.name == name) return p;
  }
  ADD_FAILURE() << "no built-in plan " << name;
  return Plan{};
}

class QuotaEnforcement : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(h_.Open());
    ASSERT_TRUE(h_->CreateTenant("acme", "standard").ok());
  }

  std::shared_ptr<Tenant> tenant(const std::string& id = "acme") {
    auto t = h_->tenants().Get(id);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? *t : nullptr;
  }
  TenantStore& store() { return h_.Store("acme"); }

  // An operator's update of the tenant's current quota.
  void SetQuota(const std::function<void(Quota&)>& change, const std::string& id = "acme") {
    h_.ChangeQuota(id, change);
  }
  void SetStorageBytes(int64_t n) {
    SetQuota([n](Quota& q) { q.storage_bytes = n; });
  }

  Status Put(const std::string& key, const std::string& value) {
    return store().Put(key, value, PutOptions()).status();
  }

  // Live keys and logical bytes, recounted from a full listing.
  Usage Recount(TenantStore& s) {
    Usage u;
    ListRequest req;
    req.limit = kMaxListLimit;
    for (int pages = 0; pages < 1000; ++pages) {
      auto page = s.List(req);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok()) break;
      for (const auto& item : page->items) {
        u.keys += 1;
        u.logical_bytes += static_cast<int64_t>(item.key.size() + item.size);
      }
      if (!page->next) break;
      req.start_after = page->next;
    }
    return u;
  }

  void ExpectUsage(int64_t keys, int64_t bytes) {
    const Usage u = store().GetUsage();
    EXPECT_EQ(u.keys, keys);
    EXPECT_EQ(u.logical_bytes, bytes);
    const Usage r = Recount(store());
    EXPECT_EQ(r.keys, keys);
    EXPECT_EQ(r.logical_bytes, bytes);
  }

  void ExpectValue(const std::string& key, const std::string& value) {
    auto r = store().Get(key);
    ASSERT_TRUE(r.ok()) << key << ": " << r.status().ToString();
    EXPECT_EQ(r->value, value);
  }
  void ExpectAbsent(const std::string& key) { EXPECT_EQ(store().Get(key).status().code(), Code::kNotFound) << key; }

  EngineHarness h_;
};

void ExpectStorageQuota(const Status& s) {
  EXPECT_EQ(s.code(), Code::kStorageExhausted) << s.ToString();
  EXPECT_EQ(s.reason(), "storage_quota") << s.ToString();
}

TEST_F(QuotaEnforcement, PutsPastStorageBytesFailAndChangeNothing) {
  SetStorageBytes(100);
  ASSERT_TRUE(Put("k1", std::string(48, 'a')).ok());  // 50
  ASSERT_TRUE(Put("k2", std::string(48, 'b')).ok());  // 100: at the limit is allowed
  ExpectUsage(2, 100);

  ExpectStorageQuota(Put("k3", "x"));
  ExpectAbsent("k3");
  ExpectStorageQuota(Put("k1", std::string(49, 'c')));  // growing overwrite
  ExpectValue("k1", std::string(48, 'a'));
  ExpectUsage(2, 100);
}

TEST_F(QuotaEnforcement, TableOfWritesAgainstTheLimit) {
  SetStorageBytes(100);
  struct Case {
    std::string name;
    std::string key;
    size_t value_size;
    bool ok;
  };
  // Each case starts from "base" = 60 logical bytes.
  const std::vector<Case> cases = {
      {"new key up to the limit", "new", 37, true},  // 60 + 40 = 100
      {"new key one past", "new", 38, false},        // 101
      {"grow to the limit", "base", 96, true},       // 100
      {"grow one past", "base", 97, false},          // 101
      {"same size", "base", 56, true},
      {"shrink", "base", 1, true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    ASSERT_TRUE(Put("base", std::string(56, 'z')).ok());
    ExpectUsage(1, 60);
    Status s = Put(c.key, std::string(c.value_size, 'v'));
    if (c.ok) {
      EXPECT_TRUE(s.ok()) << s.ToString();
      ExpectValue(c.key, std::string(c.value_size, 'v'));
    } else {
      ExpectStorageQuota(s);
      if (c.key == "base") ExpectValue("base", std::string(56, 'z'));
      ExpectUsage(1, 60);
    }
    if (c.key == "new" && c.ok) {
      ASSERT_TRUE(store().Delete("new", WriteCondition()).ok());
    }
  }
}

TEST_F(QuotaEnforcement, DeletesAndShrinkingWritesPassWhenOverTheLimit) {
  ASSERT_TRUE(Put("k1", std::string(98, 'a')).ok());
  ASSERT_TRUE(Put("k2", std::string(98, 'b')).ok());
  ASSERT_TRUE(Put("k3", std::string(98, 'c')).ok());
  SetStorageBytes(100);  // 300 stored: over the new limit
  ExpectUsage(3, 300);

  ExpectStorageQuota(Put("k4", "x"));
  ExpectStorageQuota(Put("k1", std::string(99, 'a')));
  EXPECT_TRUE(Put("k1", std::string(98, 'A')).ok());  // same size
  EXPECT_TRUE(Put("k2", std::string(8, 'b')).ok());   // shrinks by 90
  ExpectUsage(3, 210);
  EXPECT_TRUE(store().Delete("k3", WriteCondition()).ok());
  ExpectUsage(2, 110);
  ExpectStorageQuota(Put("k4", "x"));  // still over
  EXPECT_TRUE(store().Delete("k1", WriteCondition()).ok());
  ExpectUsage(1, 10);
  EXPECT_TRUE(Put("k4", std::string(88, 'd')).ok());  // 100 again
  ExpectUsage(2, 100);
  ExpectValue("k2", std::string(8, 'b'));
}

TEST_F(QuotaEnforcement, ShrinkingBatchPassesWhenOverTheLimit) {
  ASSERT_TRUE(Put("k1", std::string(98, 'a')).ok());
  ASSERT_TRUE(Put("k2", std::string(98, 'b')).ok());
  SetStorageBytes(100);
  auto r = store().Batch({{BatchOpType::kDelete, "k1", ""}, {BatchOpType::kPut, "k2", std::string(148, 'B')}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();  // 200 -> 150: still over, but smaller
  ExpectUsage(1, 150);
}

TEST_F(QuotaEnforcement, BatchesThatWouldGrowPastTheLimitFailAtomically) {
  SetStorageBytes(100);
  ASSERT_TRUE(Put("k1", std::string(48, 'a')).ok());  // 50

  struct Case {
    std::string name;
    std::vector<BatchOp> ops;
  };
  const std::vector<Case> failing = {
      {"two puts, 50 + 60", {{BatchOpType::kPut, "a", std::string(29, 'x')},
                             {BatchOpType::kPut, "b", std::string(29, 'y')}}},
      {"a delete does not pay for more than it frees",
       {{BatchOpType::kDelete, "k1", ""}, {BatchOpType::kPut, "c", std::string(100, 'c')}}},  // 101
      {"growing overwrite", {{BatchOpType::kPut, "k1", std::string(99, 'a')}}},               // 101
  };
  for (const auto& c : failing) {
    SCOPED_TRACE(c.name);
    auto r = store().Batch(c.ops);
    ExpectStorageQuota(r.status());
    ExpectValue("k1", std::string(48, 'a'));
    ExpectAbsent("a");
    ExpectAbsent("b");
    ExpectAbsent("c");
    ExpectUsage(1, 50);
  }

  // Growth before a shrink in the same batch is judged on the batch's net.
  auto ok = store().Batch({{BatchOpType::kPut, "a", std::string(29, 'x')},
                           {BatchOpType::kPut, "b", std::string(29, 'y')},
                           {BatchOpType::kDelete, "k1", ""}});
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  ExpectUsage(2, 60);
  auto to_limit = store().Batch({{BatchOpType::kPut, "c", std::string(39, 'c')}});
  ASSERT_TRUE(to_limit.ok()) << to_limit.status().ToString();
  ExpectUsage(3, 100);
}

TEST_F(QuotaEnforcement, RaisingStorageBytesTakesEffectAtOnce) {
  SetStorageBytes(10);
  ExpectStorageQuota(Put("k", std::string(10, 'v')));
  SetStorageBytes(11);
  EXPECT_TRUE(Put("k", std::string(10, 'v')).ok());
}

TEST_F(QuotaEnforcement, MaxValueBytes) {
  SetQuota([](Quota& q) { q.max_value_bytes = 10; });
  Status s = Put("k", std::string(11, 'v'));
  EXPECT_EQ(s.code(), Code::kTooLarge) << s.ToString();
  EXPECT_EQ(s.reason(), "value_too_large");
  ExpectAbsent("k");
  EXPECT_TRUE(Put("k", std::string(10, 'v')).ok());
  ExpectValue("k", std::string(10, 'v'));

  auto batch = store().Batch({{BatchOpType::kPut, "a", "1"}, {BatchOpType::kPut, "b", std::string(11, 'v')}});
  EXPECT_EQ(batch.status().code(), Code::kTooLarge) << batch.status().ToString();
  EXPECT_EQ(batch.status().reason(), "value_too_large");
  ExpectAbsent("a");

  SetQuota([](Quota& q) { q.max_value_bytes = 11; });
  EXPECT_TRUE(Put("k", std::string(11, 'v')).ok());
}

TEST_F(QuotaEnforcement, MaxValueBytesNeverExceedsTheServerLimit) {
  // The harness's server-wide limit is 1 MiB; a tenant quota cannot raise it.
  SetQuota([](Quota& q) { q.max_value_bytes = 2 << 20; });
  EXPECT_EQ(Put("k", std::string((1 << 20) + 1, 'v')).code(), Code::kTooLarge);
  EXPECT_TRUE(Put("k", std::string(1 << 20, 'v')).ok());
}

TEST_F(QuotaEnforcement, LimitsAreReconfiguredAtOnce) {
  SetQuota([](Quota& q) {
    q.requests_per_sec = 3;
    q.burst_requests = 7;
    q.read_bytes_per_sec = 2048;
    q.burst_read_bytes = 4096;
    q.write_bytes_per_sec = 1024;
    q.burst_write_bytes = 3072;
    q.max_concurrent = 2;
  });
  auto t = tenant();
  ASSERT_NE(t, nullptr);
  TenantLimits& l = t->limits();
  EXPECT_EQ(l.requests().capacity(), 7.0);
  EXPECT_EQ(l.requests().rate(), 3.0);
  EXPECT_EQ(l.read_bytes().capacity(), 4096.0);
  EXPECT_EQ(l.read_bytes().rate(), 2048.0);
  EXPECT_EQ(l.write_bytes().capacity(), 3072.0);
  EXPECT_EQ(l.write_bytes().rate(), 1024.0);
  EXPECT_EQ(l.quota().max_concurrent, 2);
  EXPECT_LE(l.requests().Available(h_.clock().NowMonotonicMicros()), 7.0);

  auto reverted = h_->RevertQuota("acme", 1, "operator");
  ASSERT_TRUE(reverted.ok()) << reverted.status().ToString();
  const Quota standard = BuiltIn("standard").defaults;
  EXPECT_EQ(l.requests().capacity(), static_cast<double>(standard.burst_requests));
  EXPECT_EQ(l.requests().rate(), static_cast<double>(standard.requests_per_sec));
  EXPECT_EQ(l.quota().max_concurrent, standard.max_concurrent);
}

TEST_F(QuotaEnforcement, RejectedUpdateChangesNoLimit) {
  auto t = tenant();
  ASSERT_NE(t, nullptr);
  const Quota before = t->limits().quota();
  Quota next = before;
  next.burst_requests = BuiltIn("standard").max.burst_requests + 1;
  next.storage_bytes = 10;
  EXPECT_EQ(h_->UpdateQuota("acme", next, "key-admin", true).status().reason(), "outside_plan_range");
  EXPECT_EQ(t->limits().requests().capacity(), static_cast<double>(before.burst_requests));
  EXPECT_TRUE(Put("k", std::string(100, 'v')).ok());  // storage_bytes = 10 was not applied
}

TEST_F(QuotaEnforcement, NewTenantStartsWithAFullBurst) {
  // TokenBucket starts full; a tenant's buckets should too, after create and
  // after a restart, or its first requests are refused for lack of tokens.
  const Quota standard = BuiltIn("standard").defaults;
  {
    auto t = tenant();  // released before the reopen below
    ASSERT_NE(t, nullptr);
    const int64_t now = h_.clock().NowMonotonicMicros();
    EXPECT_EQ(t->limits().requests().Available(now), static_cast<double>(standard.burst_requests));
    EXPECT_EQ(t->limits().read_bytes().Available(now), static_cast<double>(standard.burst_read_bytes));
    EXPECT_EQ(t->limits().write_bytes().Available(now), static_cast<double>(standard.burst_write_bytes));
    EXPECT_TRUE(t->limits().requests().TryTake(1, now));
  }

  ASSERT_TRUE(h_.Open());
  auto again = tenant();
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->limits().requests().Available(h_.clock().NowMonotonicMicros()),
            static_cast<double>(standard.burst_requests));
}

TEST_F(QuotaEnforcement, UpdateKeepsTheBucketLevel) {
  // Only the first manifest fills the buckets: an update must not hand out
  // a fresh burst (or a tenant admin could refill by re-saving its quota).
  auto t = tenant();
  ASSERT_NE(t, nullptr);
  TokenBucket& requests = t->limits().requests();
  const int64_t now = h_.clock().NowMonotonicMicros();
  const double burst = requests.capacity();
  ASSERT_TRUE(requests.TryTake(burst - 10, now));
  SetQuota([](Quota& q) { q.burst_requests += 100; });
  EXPECT_EQ(requests.capacity(), burst + 100);
  EXPECT_EQ(requests.Available(now), 10.0);
  SetQuota([](Quota& q) { q.burst_requests = 4; });
  EXPECT_EQ(requests.Available(now), 4.0);
  auto reverted = h_->RevertQuota("acme", 1, "operator");
  ASSERT_TRUE(reverted.ok()) << reverted.status().ToString();
  EXPECT_EQ(requests.Available(now), 4.0);
}

TEST_F(QuotaEnforcement, ReopenReappliesLimits) {
  SetQuota([](Quota& q) {
    q.storage_bytes = 100;
    q.max_value_bytes = 60;
    q.burst_requests = 9;
    q.requests_per_sec = 4;
  });
  ASSERT_TRUE(Put("k1", std::string(58, 'a')).ok());  // 60
  ASSERT_TRUE(Put("k2", std::string(38, 'b')).ok());  // 100

  ASSERT_TRUE(h_.Open());
  ExpectUsage(2, 100);
  ExpectStorageQuota(Put("k3", "x"));
  ExpectAbsent("k3");
  EXPECT_TRUE(store().Delete("k2", WriteCondition()).ok());
  EXPECT_EQ(Put("k3", std::string(61, 'c')).code(), Code::kTooLarge);
  EXPECT_TRUE(Put("k3", std::string(38, 'c')).ok());  // 100 again
  auto t = tenant();
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->limits().requests().capacity(), 9.0);
  EXPECT_EQ(t->limits().requests().rate(), 4.0);
  EXPECT_EQ(t->limits().quota().storage_bytes, 100);
}

TEST_F(QuotaEnforcement, TenantWithoutManifestGetsOneAtReopen) {
  // As after a crash between creating a tenant and its manifest.
  ASSERT_TRUE(h_->tenants().Create("raw", "free").ok());
  ASSERT_TRUE(h_->tenants().Create("raw-default", "").ok());
  EXPECT_EQ(h_->quotas().Current("raw").status().reason(), "quota_not_found");

  ASSERT_TRUE(h_.Open());
  for (const auto& [id, plan] : std::map<std::string, std::string>{{"raw", "free"}, {"raw-default", "standard"}}) {
    SCOPED_TRACE(id);
    auto m = h_->quotas().Current(id);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    EXPECT_EQ(m->version, 1);
    EXPECT_EQ(m->updated_by, "operator");
    EXPECT_EQ(m->quota.requests_per_sec, BuiltIn(plan).defaults.requests_per_sec);
    EXPECT_EQ(m->quota.storage_bytes, BuiltIn(plan).defaults.storage_bytes);
    auto t = tenant(id);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->limits().requests().capacity(), static_cast<double>(BuiltIn(plan).defaults.burst_requests));
    EXPECT_EQ(t->limits().quota().max_value_bytes, BuiltIn(plan).defaults.max_value_bytes);
  }
  // The existing tenant keeps its manifest.
  auto acme = h_->quotas().History("acme");
  ASSERT_TRUE(acme.ok());
  EXPECT_EQ(acme->size(), 1u);
}

TEST_F(QuotaEnforcement, ReopenRemovesManifestsOfTenantsThatAreGone) {
  // As after a crash inside Engine::DeleteTenant, between dropping the
  // tenant and removing its manifests.
  ASSERT_TRUE(h_->CreateTenant("gone", "free").ok());
  ASSERT_TRUE(h_->tenants().Delete("gone").ok());
  ASSERT_TRUE(h_->quotas().Current("gone").ok());

  ASSERT_TRUE(h_.Open());
  EXPECT_EQ(h_->quotas().Current("gone").status().reason(), "quota_not_found");
  EXPECT_EQ(h_->quotas().History("gone").status().code(), Code::kNotFound);
}

TEST_F(QuotaEnforcement, ConcurrentPutsNeverOvershootStorageBytes) {
  SetStorageBytes(1000);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 60;  // 240 puts of 10 bytes: at most 100 fit
  std::atomic<int> stored{0};
  std::atomic<int> unexpected{0};
  TenantStore& s = store();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        char key[8];
        std::snprintf(key, sizeof(key), "t%d-%02d", t, i);  // 5 bytes
        Status st = s.Put(key, "vvvvv", PutOptions()).status();  // + 5 = 10
        if (st.ok()) {
          ++stored;
        } else if (st.code() != Code::kStorageExhausted) {
          ++unexpected;
        }
      }
    });
  }
  for (auto& th : threads) th.join();

  EXPECT_EQ(unexpected.load(), 0);
  const Usage u = store().GetUsage();
  EXPECT_LE(u.logical_bytes, 1000);
  EXPECT_EQ(u.logical_bytes, stored.load() * 10);
  EXPECT_EQ(u.keys, stored.load());
  const Usage r = Recount(store());
  EXPECT_EQ(r.logical_bytes, u.logical_bytes);
  EXPECT_EQ(r.keys, u.keys);

  // No reservation leaked: the remaining room is exactly usable.
  int more = 0;
  for (; more < 200; ++more) {
    Status st = Put("m" + std::to_string(1000 + more), "vvvvv");  // 10 bytes
    if (!st.ok()) {
      ExpectStorageQuota(st);
      break;
    }
  }
  EXPECT_EQ(store().GetUsage().logical_bytes, 1000);
  EXPECT_EQ(Recount(store()).logical_bytes, 1000);
}

}  // namespace
}  // namespace tenantkv::engine::testutil

// Lazy start-up (movable_tenant_store.h): after a restart an idle pooled
// tenant has no store until it is first used, yet reports its usage, keeps
// the limits set meanwhile, can be deleted, moved, and resumes a storage
// grace period; a column-family tenant's store is opened at start.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "tests/testing/test_util.h"

namespace tenantkv::engine::testutil {
namespace {

bool Opened(EngineHarness& h, const std::string& id) {
  auto t = h.TenantOf(id);
  return t != nullptr && t->movable_store().opened();
}

class LazyOpen : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(h_.Open());
    ASSERT_TRUE(h_->CreateTenant("idle", "", Tier::kPooled).ok());
    ASSERT_TRUE(h_->CreateTenant("neighbour", "", Tier::kPooled).ok());
    ASSERT_TRUE(h_->CreateTenant("paid", "", Tier::kColumnFamily).ok());
    for (const char* id : {"idle", "neighbour", "paid"}) {
      for (int i = 0; i < 10; ++i) {
        ASSERT_TRUE(h_.Store(id).Put("k" + std::to_string(i), std::string(id) + "-" + std::to_string(i), {}).ok());
      }
      // Built at create: a new tenant is about to be used.
      EXPECT_TRUE(Opened(h_, id)) << id;
    }
    usage_ = h_.Store("idle").GetUsage();
    ASSERT_EQ(usage_.keys, 10);
  }

  EngineHarness h_;
  Usage usage_;
};

TEST_F(LazyOpen, AnIdlePooledTenantHasNoStoreUntilItsFirstOperation) {
  ASSERT_TRUE(h_.Open());
  EXPECT_FALSE(Opened(h_, "idle"));
  EXPECT_FALSE(Opened(h_, "neighbour"));
  EXPECT_TRUE(Opened(h_, "paid")) << "a column family tenant is opened at start";
  // Its usage, as persisted, without a store.
  EXPECT_EQ(h_.Store("idle").GetUsage().keys, usage_.keys);
  EXPECT_EQ(h_.Store("idle").GetUsage().logical_bytes, usage_.logical_bytes);
  EXPECT_EQ(h_.Store("idle").Grace().started_ms, 0);
  h_.Store("idle").WriteBarrier();
  EXPECT_FALSE(Opened(h_, "idle")) << "usage, grace and a barrier need no store";

  auto v = h_.Store("idle").Get("k3");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->value, "idle-3");
  EXPECT_TRUE(Opened(h_, "idle"));
  EXPECT_FALSE(Opened(h_, "neighbour")) << "one tenant's use opens no other";
  EXPECT_EQ(h_.Store("idle").GetUsage().keys, usage_.keys);
  ASSERT_TRUE(h_.Store("idle").Put("k10", "new", {}).ok());
  EXPECT_EQ(h_.Store("idle").GetUsage().keys, usage_.keys + 1);
}

TEST_F(LazyOpen, LimitsSetBeforeTheFirstOperationHoldOnceTheStoreIsBuilt) {
  ASSERT_TRUE(h_.Open());
  ASSERT_FALSE(Opened(h_, "idle"));
  h_.ChangeQuota("idle", [&](Quota& q) {
    q.storage_bytes = usage_.logical_bytes + 10;
    q.max_value_bytes = 64;
  });
  ASSERT_FALSE(Opened(h_, "idle")) << "a quota change builds no store";
  EXPECT_EQ(h_.Store("idle").Put("big", std::string(100, 'x'), {}).status().reason(), "value_too_large");
  EXPECT_TRUE(Opened(h_, "idle"));
  EXPECT_EQ(h_.Store("idle").Put("grow", std::string(40, 'x'), {}).status().code(), Code::kStorageExhausted);
  EXPECT_TRUE(h_.Store("idle").Put("g", "x", {}).ok());
}

TEST_F(LazyOpen, AnUnopenedTenantIsDeletedAndItsIdStartsEmpty) {
  ASSERT_TRUE(h_.Open());
  ASSERT_FALSE(Opened(h_, "idle"));
  auto deleted = h_->DeleteTenant("idle");
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  ASSERT_TRUE(h_->CreateTenant("idle", "", Tier::kPooled).ok());
  EXPECT_EQ(h_.Store("idle").GetUsage().keys, 0);
  EXPECT_EQ(h_.Store("idle").Get("k3").status().reason(), "not_found");
  auto v = h_.Store("neighbour").Get("k3");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->value, "neighbour-3");
}

TEST_F(LazyOpen, AMoveOfAnUnopenedTenantBuildsItsStoreFirst) {
  ASSERT_TRUE(h_.Open());
  ASSERT_FALSE(Opened(h_, "idle"));
  auto started = h_->tenants().MoveTier("idle", Tier::kColumnFamily);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  ASSERT_TRUE(*started);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (h_->tenants().TierMoveProgress("idle").has_value() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const TenantInfo info = h_.TenantOf("idle")->Info();
  ASSERT_TRUE(info.tier_move.has_value());
  EXPECT_EQ(info.tier_move->state, "done") << info.tier_move->error;
  EXPECT_EQ(TierOfPlacement(info.placement), Tier::kColumnFamily);
  for (int i = 0; i < 10; ++i) {
    auto v = h_.Store("idle").Get("k" + std::to_string(i));
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    EXPECT_EQ(v->value, "idle-" + std::to_string(i));
  }
  EXPECT_EQ(h_.Store("idle").GetUsage().keys, usage_.keys);
}

TEST_F(LazyOpen, ARunningStorageGracePeriodOpensTheStoreAtStart) {
  h_.ChangeQuota("idle", [&](Quota& q) {
    q.storage_bytes = usage_.logical_bytes + 10;
    q.storage_grace_pct = 50;
    q.storage_grace_seconds = 3600;
  });
  ASSERT_TRUE(h_.Store("idle").Put("over", std::string(20, 'x'), {}).ok());  // past the limit, in grace
  const GraceState before = h_.Store("idle").Grace();
  ASSERT_NE(before.started_ms, 0);

  ASSERT_TRUE(h_.Open());
  EXPECT_TRUE(Opened(h_, "idle")) << "its period is checked on every write and expires on its own";
  EXPECT_FALSE(Opened(h_, "neighbour"));
  const GraceState after = h_.Store("idle").Grace();
  EXPECT_EQ(after.started_ms, before.started_ms);
  EXPECT_EQ(after.ends_ms, before.ends_ms);
  EXPECT_FALSE(after.expired);
}

}  // namespace
}  // namespace tenantkv::engine::testutil

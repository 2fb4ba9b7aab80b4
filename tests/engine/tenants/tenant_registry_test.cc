#include "engine/tenants/tenant_registry.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <algorithm>
#include <string>
#include <vector>

#include "engine/kv/value_envelope.h"
#include "tests/testing/test_util.h"

namespace tenantkv::engine::testutil {
namespace {

std::vector<std::string> Ids(const TenantRegistry& r) {
  std::vector<std::string> ids;
  for (const auto& t : r.List()) ids.push_back(t->id());
  std::sort(ids.begin(), ids.end());
  return ids;
}

void ExpectCode(const Status& s, Code code, const std::string& reason = "") {
  EXPECT_EQ(s.code(), code) << s.ToString();
  if (!reason.empty()) {
    EXPECT_EQ(s.reason(), reason) << s.ToString();
  }
}

TEST(TenantRegistry, CreateListGet) {
  EngineHarness h;
  ASSERT_TRUE(h.Open());
  EXPECT_TRUE(h->tenants().List().empty());
  const int64_t now = h.clock().NowUnixMillis();
  auto a = h->tenants().Create("acme", "premium");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto b = h->tenants().Create("globex", "");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(Ids(h->tenants()), (std::vector<std::string>{"acme", "globex"}));

  TenantInfo info = (*a)->Info();
  EXPECT_EQ(info.id, "acme");
  EXPECT_EQ(info.plan, "premium");
  EXPECT_EQ(info.state, TenantState::kActive);
  EXPECT_EQ(info.created_at_ms, now);
  EXPECT_EQ(info.placement.rfind("cf:t.", 0), 0u) << info.placement;
  ASSERT_EQ(info.data_keys.size(), 1u);
  EXPECT_EQ(info.data_keys[0].version, 1u);
  EXPECT_EQ(info.data_keys[0].state, "active");
  EXPECT_EQ(info.data_keys[0].master_version, 1u);
  EXPECT_EQ((*b)->Info().plan, "standard");  // the default plan

  auto got = h->tenants().Get("acme");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->get(), a->get());
  ExpectCode(h->tenants().Get("nobody").status(), Code::kNotFound, "tenant_not_found");
  EXPECT_EQ((*a)->store().GetUsage().keys, 0);
}

TEST(TenantRegistry, RejectsDuplicatesBadIdsAndUnknownPlans) {
  EngineHarness h;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->tenants().Create("acme", "").ok());
  ExpectCode(h->tenants().Create("acme", "").status(), Code::kAlreadyExists);
  ExpectCode(h->tenants().Create("acme", "free").status(), Code::kAlreadyExists);
  for (const std::string& id : std::vector<std::string>{"", "Acme", "-x", "a_b", std::string(64, 'a')}) {
    SCOPED_TRACE(id);
    ExpectCode(h->tenants().Create(id, "").status(), Code::kInvalidArgument, "invalid_tenant_id");
  }
  ExpectCode(h->tenants().Create("newco", "platinum").status(), Code::kInvalidArgument);
  ExpectCode(h->tenants().Get("newco").status(), Code::kNotFound);
  EXPECT_EQ(Ids(h->tenants()), (std::vector<std::string>{"acme"}));
}

TEST(TenantRegistry, SuspendAndResume) {
  EngineHarness h;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->tenants().Create("acme", "").ok());
  {
    // Tenants hold column family handles: release them before reopening.
    auto s = h->tenants().SetSuspended("acme", true);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_EQ((*s)->state(), TenantState::kSuspended);
  }
  EXPECT_EQ(h->tenants().Get("acme").value()->Info().state, TenantState::kSuspended);

  ASSERT_TRUE(h.Open());
  EXPECT_EQ(h->tenants().Get("acme").value()->state(), TenantState::kSuspended);
  ASSERT_TRUE(h->tenants().SetSuspended("acme", false).ok());
  EXPECT_EQ(h->tenants().Get("acme").value()->state(), TenantState::kActive);

  ASSERT_TRUE(h.Open());
  EXPECT_EQ(h->tenants().Get("acme").value()->state(), TenantState::kActive);
  ExpectCode(h->tenants().SetSuspended("nobody", true).status(), Code::kNotFound);
}

TEST(TenantRegistry, StatePersistsAcrossReopen) {
  EngineHarness h;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->tenants().Create("acme", "free").ok());
  ASSERT_TRUE(h->tenants().Create("globex", "premium").ok());
  ASSERT_TRUE(h.Store("acme").Put("k", "acme value", {}).ok());
  const TenantInfo before = h->tenants().Get("acme").value()->Info();

  ASSERT_TRUE(h.Open());
  EXPECT_EQ(Ids(h->tenants()), (std::vector<std::string>{"acme", "globex"}));
  const TenantInfo after = h->tenants().Get("acme").value()->Info();
  EXPECT_EQ(after.plan, "free");
  EXPECT_EQ(after.placement, before.placement);
  EXPECT_EQ(after.created_at_ms, before.created_at_ms);
  EXPECT_EQ(after.data_keys.size(), before.data_keys.size());
  EXPECT_EQ(h->tenants().Get("globex").value()->Info().plan, "premium");
  auto v = h.Store("acme").Get("k");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->value, "acme value");
}

TEST(TenantRegistry, OpenFailsUnderOtherMasterKeys) {
  EngineHarness h;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->tenants().Create("acme", "").ok());
  h.Close();
  EngineOptions o;
  o.data_dir = h.data_dir();
  o.clock = &h.clock();
  auto e = Engine::Open(o, std::make_unique<crypto::MemoryKeyProvider>());
  ASSERT_FALSE(e.ok());
  ExpectCode(e.status(), Code::kDataLoss);
}

TEST(TenantRegistry, DeleteThenRecreateStartsEmpty) {
  EngineHarness h;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->tenants().Create("acme", "").ok());
  ASSERT_TRUE(h.Store("acme").Put("k", "old", {}).ok());
  const std::string old_placement = h->tenants().Get("acme").value()->Info().placement;

  ASSERT_TRUE(h->DeleteTenant("acme").ok());
  ExpectCode(h->tenants().Get("acme").status(), Code::kNotFound, "tenant_not_found");
  ExpectCode(h->DeleteTenant("acme").status(), Code::kNotFound);
  EXPECT_TRUE(h->tenants().List().empty());

  {
    auto again = h->tenants().Create("acme", "free");
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_NE((*again)->Info().placement, old_placement);
  }
  ExpectCode(h.Store("acme").Get("k").status(), Code::kNotFound);
  EXPECT_EQ(h.Store("acme").GetUsage().keys, 0);
  EXPECT_EQ(h.Store("acme").GetUsage().logical_bytes, 0);
  ASSERT_TRUE(h.Store("acme").Put("k2", "new", {}).ok());

  ASSERT_TRUE(h.Open());
  ExpectCode(h.Store("acme").Get("k").status(), Code::kNotFound);
  EXPECT_EQ(h.Store("acme").Get("k2")->value, "new");
  EXPECT_EQ(h.Store("acme").GetUsage().keys, 1);
  EXPECT_EQ(h->tenants().Get("acme").value()->Info().plan, "free");
}

// Writes `key` through tenant `from`, then copies its raw stored bytes to
// `to_key` in tenant `to`'s column family, with the engine closed.
void CopyRawValue(EngineHarness& h, const std::string& from, const std::string& key,
                  const std::string& to, const std::string& to_key) {
  h.Close();
  RawDb raw(h.db_dir());
  ASSERT_TRUE(raw.ok());
  rocksdb::ColumnFamilyHandle* src = raw.TenantCf(from);
  rocksdb::ColumnFamilyHandle* dst = raw.TenantCf(to);
  ASSERT_NE(src, nullptr);
  ASSERT_NE(dst, nullptr);
  std::string bytes;
  ASSERT_TRUE(raw.db()->Get(rocksdb::ReadOptions(), src, key, &bytes).ok());
  ASSERT_GT(bytes.size(), kEnvelopeOverheadBytes);
  ASSERT_TRUE(raw.db()->Put(rocksdb::WriteOptions(), dst, to_key, bytes).ok());
}

TEST(TenantRegistry, ValueCopiedIntoAnotherTenantFailsToOpen) {
  EngineHarness h;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->tenants().Create("alpha", "").ok());
  ASSERT_TRUE(h->tenants().Create("beta", "").ok());
  ASSERT_TRUE(h.Store("alpha").Put("secret", "alpha's data", {}).ok());
  ASSERT_TRUE(h.Store("beta").Put("secret", "beta's data", {}).ok());
  ASSERT_TRUE(h->Flush().ok());
  CopyRawValue(h, "alpha", "secret", "beta", "secret");
  ASSERT_TRUE(h.Open());
  auto got = h.Store("beta").Get("secret");
  ASSERT_FALSE(got.ok()) << "opened as: " << got->value;
  ExpectCode(got.status(), Code::kDataLoss);
  EXPECT_EQ(h.Store("alpha").Get("secret")->value, "alpha's data");
}

TEST(TenantRegistry, ValueCopiedUnderAnotherKeyFailsToOpen) {
  EngineHarness h;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->tenants().Create("alpha", "").ok());
  ASSERT_TRUE(h.Store("alpha").Put("mine", "private", {}).ok());
  ASSERT_TRUE(h.Store("alpha").Put("yours", "public", {}).ok());
  ASSERT_TRUE(h->Flush().ok());
  CopyRawValue(h, "alpha", "mine", "alpha", "yours");
  ASSERT_TRUE(h.Open());
  auto got = h.Store("alpha").Get("yours");
  ASSERT_FALSE(got.ok()) << "opened as: " << got->value;
  ExpectCode(got.status(), Code::kDataLoss);
  EXPECT_EQ(h.Store("alpha").Get("mine")->value, "private");
  ListRequest req;
  req.with_values = true;
  ExpectCode(h.Store("alpha").List(req).status(), Code::kDataLoss);
}

}  // namespace
}  // namespace tenantkv::engine::testutil

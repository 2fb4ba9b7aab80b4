// Tenant transfers between two engines of one process, with different
// master keys (backup/tenant_transfer.h).
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "engine/backup/transfer_pages.h"
#include "engine/storage/system_keys.h"
#include "tests/testing/test_util.h"

namespace tenantkv::engine::testutil {
namespace {

crypto::SecretBytes TransferKey() { return std::move(crypto::SecretBytes::Random(kTransferKeyBytes)).value(); }

// Every system-CF key that names tenant `id`.
std::vector<std::string> SystemKeysOf(Engine& e, const std::string& id) {
  std::vector<std::string> out;
  for (const char* p : {kTenantPrefix, kUsagePrefix, kDataKeyPrefix, kKeyStatsPrefix, kQuotaPrefix, kUsageHistoryPrefix,
                        kAddonPrefix, kGracePrefix, kTransferInPrefix}) {
    const std::string prefix = std::string(p) + id;
    auto it = e.RawSystemIteratorForTest();
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      const std::string k = it->key().ToString();
      if (k.size() == prefix.size() || k[prefix.size()] == '/') out.push_back(k);
    }
  }
  return out;
}

// Copies the snapshot, then deltas until small.
void CopyAll(TenantTransferSource& src, TenantTransferSink& dst, const std::string& xid, const std::string& tenant) {
  std::string after;
  for (;;) {
    auto page = src.Entries(xid, after, 100, 1 << 20);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    auto decoded = DecodeEntries(EncodeEntries(*page));  // through the wire form
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    ASSERT_TRUE(dst.ApplyEntries(tenant, *decoded).ok());
    after = decoded->next;
    if (decoded->done) break;
  }
}

void Deltas(TenantTransferSource& src, TenantTransferSink& dst, const std::string& xid, const std::string& tenant,
            size_t until_below) {
  for (int round = 0; round < 1000; ++round) {
    auto page = src.Delta(xid, 200);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    ASSERT_FALSE(page->overflowed);
    auto decoded = DecodeDelta(EncodeDelta(*page));
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    ASSERT_TRUE(dst.ApplyDelta(tenant, *decoded).ok());
    if (!decoded->more && decoded->items.size() < until_below) return;
  }
}

TEST(TenantTransfer, MovesATenantWhileItIsWritten) {
  EngineHarness a, b;
  ASSERT_TRUE(a.Open());
  ASSERT_TRUE(b.Open());
  ASSERT_TRUE(a->CreateTenant("acme", "").ok());
  auto ta = a.TenantOf("acme");
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(ta->store().Put("k" + std::to_string(i), "v1-" + std::to_string(i), {}).ok());
  ASSERT_TRUE(a->key_lifecycle().Rotate("acme").ok());
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(ta->store().Put("k" + std::to_string(i), "v2-" + std::to_string(i), {}).ok());
  auto token = a->api_keys().Create("acme", Role::kWrite);
  ASSERT_TRUE(token.ok());
  a.ChangeQuota("acme", [](Quota& q) { q.requests_per_sec = 777; });
  Addon addon;
  addon.fields = {{"requests_per_sec", 900}};
  addon.starts_at_ms = a.clock().NowUnixMillis() + 60'000;
  addon.ends_at_ms = a.clock().NowUnixMillis() + 120'000;
  addon.reason = "launch";
  addon.created_by = "operator:alice";
  ASSERT_TRUE(a->CreateAddon("acme", addon).ok());

  // A writer that keeps writing to A; what A acknowledged is recorded.
  std::mutex mu;
  std::map<std::string, std::string> acked;
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; !stop.load(); ++i) {
      const std::string k = "w" + std::to_string(i % 500), v = "x" + std::to_string(i);
      auto r = ta->store().Put(k, v, {});
      if (r.ok()) {
        std::lock_guard<std::mutex> l(mu);
        acked[k] = v;
      } else {
        ASSERT_EQ(r.status().reason(), "tenant_moving") << r.status().ToString();
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
  });

  auto& src = a->transfer_source();
  auto& dst = b->transfer_sink();
  const crypto::SecretBytes k = TransferKey();
  auto xid = src.Begin("acme");
  ASSERT_TRUE(xid.ok()) << xid.status().ToString();
  EXPECT_EQ(src.Begin("acme").status().reason(), "move_in_progress");
  EXPECT_EQ(a->tenants().MoveTier("acme", Tier::kPooled).status().reason(), "move_in_progress");
  auto records = src.Records(*xid, k);
  ASSERT_TRUE(records.ok()) << records.status().ToString();
  auto staged = dst.Stage(*records, k, Tier::kColumnFamily);
  ASSERT_TRUE(staged.ok()) << staged.status().ToString();
  EXPECT_FALSE(b->tenants().Get("acme").ok());  // hidden
  EXPECT_FALSE(b->api_keys().Authenticate(token->token).ok());
  CopyAll(src, dst, *xid, "acme");
  Deltas(src, dst, *xid, "acme", 20);
  ASSERT_TRUE(src.Freeze(*xid).ok());
  EXPECT_EQ(ta->store().Put("frozen", "x", {}).status().reason(), "tenant_moving");
  Deltas(src, dst, *xid, "acme", 1);
  auto final_records = src.Records(*xid, k);
  ASSERT_TRUE(final_records.ok());
  auto counters = src.Counters(*xid);
  ASSERT_TRUE(counters.ok()) << counters.status().ToString();
  auto wire = TransferCounters::FromJson(counters->ToJson());
  ASSERT_TRUE(wire.ok());
  auto tb = b->CommitTransferIn("acme", *final_records, k, *wire);
  ASSERT_TRUE(tb.ok()) << tb.status().ToString();
  stop = true;
  writer.join();
  ASSERT_TRUE(src.End(*xid).ok());

  // Everything A holds (every acknowledged write included) is on B.
  const auto on_a = ReadAll(a.engine(), "acme");
  const auto on_b = ReadAll(b.engine(), "acme");
  EXPECT_EQ(on_a, on_b);
  for (const auto& [key, v] : acked) EXPECT_EQ(on_b.at(key), v) << key;
  EXPECT_EQ(on_b.at("k5"), "v2-5");
  EXPECT_EQ(on_b.at("k200"), "v1-200");
  EXPECT_EQ((*tb)->store().GetUsage().keys, ta->store().GetUsage().keys);
  EXPECT_EQ((*tb)->store().GetUsage().logical_bytes, ta->store().GetUsage().logical_bytes);
  EXPECT_EQ((*tb)->incarnation(), ta->incarnation());
  // The same token, quota history and add-on.
  auto auth = b->api_keys().Authenticate(token->token);
  ASSERT_TRUE(auth.ok()) << auth.status().ToString();
  EXPECT_EQ(auth->tenant, "acme");
  auto ha = a->quotas().History("acme"), hb = b->quotas().History("acme");
  ASSERT_TRUE(ha.ok() && hb.ok());
  ASSERT_EQ(ha->size(), hb->size());
  EXPECT_EQ(hb->back().quota.requests_per_sec, 777);
  EXPECT_EQ((*tb)->limits().quota().requests_per_sec, 777);
  EXPECT_EQ(b->addons().List("acme").size(), 1u);
  // Seals continue from A's count when frozen, never below it (writes
  // refused while frozen sealed too, but their ciphertexts were dropped).
  const uint32_t current = (*tb)->keyring().Current().first;
  EXPECT_EQ(current, 2u);
  const uint64_t a_seals = counters->seals.at(current);
  EXPECT_GE(a_seals, 100u);
  EXPECT_GE((*tb)->seals().Seals(current), a_seals);
  ASSERT_TRUE((*tb)->store().Put("after", "on-b", {}).ok());
  EXPECT_GT((*tb)->seals().Seals(current), a_seals);
  EXPECT_EQ((*tb)->store().Get("after")->value, "on-b");
  // A rotation on B works, and B's values open.
  auto rotated = b->key_lifecycle().Rotate("acme");
  ASSERT_TRUE(rotated.ok()) << rotated.status().ToString();
  EXPECT_EQ(rotated->version, 3u);
  ASSERT_TRUE((*tb)->store().Put("after2", "v3", {}).ok());
  EXPECT_EQ((*tb)->store().Get("k7")->value, "v2-7");
  // And it survives a restart of B.
  { auto release = std::move(tb); }  // no handle of the old engine may outlive it
  ASSERT_TRUE(b.Open());
  EXPECT_EQ(ReadAll(b.engine(), "acme").at("after2"), "v3");
  EXPECT_TRUE(b->api_keys().Authenticate(token->token).ok());
}

TEST(TenantTransfer, WrongTransferKeyChangesNothing) {
  EngineHarness a, b;
  ASSERT_TRUE(a.Open());
  ASSERT_TRUE(b.Open());
  ASSERT_TRUE(a->CreateTenant("acme", "").ok());
  auto xid = a->transfer_source().Begin("acme");
  ASSERT_TRUE(xid.ok());
  auto records = a->transfer_source().Records(*xid, TransferKey());
  ASSERT_TRUE(records.ok());
  auto staged = b->transfer_sink().Stage(*records, TransferKey(), Tier::kColumnFamily);
  EXPECT_EQ(staged.status().reason(), "transfer_undecryptable");
  EXPECT_TRUE(SystemKeysOf(b.engine(), "acme").empty());
  EXPECT_TRUE(b->CreateTenant("acme", "").ok());  // the id is still free
  EXPECT_EQ(b->transfer_sink().Stage("{nope", TransferKey(), Tier::kColumnFamily).status().reason(), "bad_transfer");
}

TEST(TenantTransfer, GarbagePagesAreRefused) {
  for (const std::string& bad : {std::string(), std::string("tkE1"), std::string("tkE1\x00\xff\xff\xff\xff", 9),
                                 std::string("tkD1\x00\x01\x00\x00\x00\x00", 10), std::string("junkjunkjunk")}) {
    EXPECT_EQ(DecodeEntries(bad).status().code(), Code::kInvalidArgument);
    EXPECT_EQ(DecodeDelta(bad).status().code(), Code::kInvalidArgument);
  }
  EntryPage p;
  p.entries.push_back({"b", std::string(40, 'x')});  // not an envelope
  EXPECT_EQ(DecodeEntries(EncodeEntries(p)).status().reason(), "bad_transfer_page");
  DeltaPage d;
  d.items.push_back({"k", true, ""});
  auto back = DecodeDelta(EncodeDelta(d));
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->items[0].deleted);
  std::string enc = EncodeDelta(d);
  for (size_t cut = 0; cut < enc.size(); ++cut) EXPECT_FALSE(DecodeDelta(enc.substr(0, cut)).ok());
}

class StagedTransfer : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(a.Open());
    ASSERT_TRUE(b.Open());
    ASSERT_TRUE(a->CreateTenant("acme", "").ok());
    auto ta = a.TenantOf("acme");
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(ta->store().Put("k" + std::to_string(i), "v", {}).ok());
    ASSERT_TRUE(a->api_keys().Create("acme", Role::kRead).ok());
    auto id = a->transfer_source().Begin("acme");
    ASSERT_TRUE(id.ok());
    xid = *id;
    auto records = a->transfer_source().Records(xid, key);
    ASSERT_TRUE(records.ok());
    ASSERT_TRUE(b->transfer_sink().Stage(*records, key, Tier::kPooled).ok());
    CopyAll(a->transfer_source(), b->transfer_sink(), xid, "acme");
  }
  EngineHarness a, b;
  crypto::SecretBytes key = TransferKey();
  std::string xid;
};

TEST_F(StagedTransfer, AbortLeavesNothing) {
  EXPECT_FALSE(SystemKeysOf(b.engine(), "acme").empty());  // the marker
  ASSERT_TRUE(b->transfer_sink().Abort("acme").ok());
  EXPECT_TRUE(SystemKeysOf(b.engine(), "acme").empty());
  auto t = b->CreateTenant("acme", "", Tier::kPooled);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(ReadAll(b.engine(), "acme").empty());
}

TEST_F(StagedTransfer, ACrashMidStageIsRemovedAtStart) {
  b.Close();
  ASSERT_TRUE(b.Open());
  EXPECT_TRUE(SystemKeysOf(b.engine(), "acme").empty());
  EXPECT_FALSE(b->tenants().Get("acme").ok());
  ASSERT_TRUE(b->CreateTenant("acme", "", Tier::kPooled).ok());
  EXPECT_TRUE(ReadAll(b.engine(), "acme").empty());
}

TEST_F(StagedTransfer, EndReleasesAndResumesWrites) {
  auto& src = a->transfer_source();
  ASSERT_TRUE(src.Freeze(xid).ok());
  EXPECT_EQ(a.TenantOf("acme")->store().Put("x", "y", {}).status().reason(), "tenant_moving");
  EXPECT_EQ(src.Begin("acme").status().reason(), "move_in_progress");
  ASSERT_TRUE(src.End(xid).ok());
  EXPECT_EQ(src.Running(), 0u);
  EXPECT_EQ(src.Entries(xid, "", 10, 1000).status().reason(), "transfer_not_found");
  EXPECT_TRUE(a.TenantOf("acme")->store().Put("x", "y", {}).ok());
  auto again = src.Begin("acme");
  EXPECT_TRUE(again.ok()) << again.status().ToString();
}

TEST_F(StagedTransfer, RecordsNotFrozenCannotCommit) {
  auto records = a->transfer_source().Records(xid, key);
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(b->CommitTransferIn("acme", *records, key, TransferCounters{}).status().reason(), "records_not_frozen");
  EXPECT_EQ(a->transfer_source().Counters(xid).status().reason(), "not_frozen");
}

TEST(TenantTransfer, IdleTransfersEndOnTheirOwn) {
  EngineHarness a;
  a.options().transfers.idle_timeout = std::chrono::milliseconds(50);
  ASSERT_TRUE(a.Open());
  ASSERT_TRUE(a->CreateTenant("acme", "").ok());
  auto xid = a->transfer_source().Begin("acme");
  ASSERT_TRUE(xid.ok());
  ASSERT_TRUE(a->transfer_source().Freeze(*xid).ok());
  for (int i = 0; i < 200 && a->transfer_source().Running() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(a->transfer_source().Running(), 0u);
  EXPECT_TRUE(a.TenantOf("acme")->store().Put("x", "y", {}).ok());
}

}  // namespace
}  // namespace tenantkv::engine::testutil

namespace tenantkv::engine::testutil {
namespace {

// Quota change requests move with the tenant, under new ids of the
// target's sequence (ids are per node: the target has its own already).
TEST(TenantTransfer, QuotaRequestsMoveUnderTheTargetsIds) {
  EngineHarness a, b;
  ASSERT_TRUE(a.Open());
  ASSERT_TRUE(b.Open());
  ASSERT_TRUE(a->CreateTenant("acme", "").ok());
  ASSERT_TRUE(b->CreateTenant("other", "").ok());
  auto theirs = b->FileQuotaRequest("other", {{"requests_per_sec", 400}}, "b's own", 0, "key:b");
  ASSERT_TRUE(theirs.ok()) << theirs.status().ToString();
  auto first = a->FileQuotaRequest("acme", {{"requests_per_sec", 500}}, "more traffic", 0, "key:1");
  auto second = a->FileQuotaRequest("acme", {{"max_concurrent", 100}}, "batch jobs", 0, "key:2");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->id, theirs->id) << "both nodes count from one: the ids collide";
  ASSERT_TRUE(a->quota_requests().Decide(second->id, QuotaRequestState::kRejected, {"operator:bob", 1, "no"}, 0).ok());

  auto& src = a->transfer_source();
  auto& dst = b->transfer_sink();
  const crypto::SecretBytes k = TransferKey();
  auto xid = src.Begin("acme");
  ASSERT_TRUE(xid.ok());
  auto records = src.Records(*xid, k);
  ASSERT_TRUE(records.ok());
  ASSERT_TRUE(dst.Stage(*records, k, Tier::kColumnFamily).ok());
  CopyAll(src, dst, *xid, "acme");
  ASSERT_TRUE(src.Freeze(*xid).ok());
  Deltas(src, dst, *xid, "acme", 1);
  auto frozen = src.Records(*xid, k);
  auto counters = src.Counters(*xid);
  ASSERT_TRUE(frozen.ok() && counters.ok());
  auto committed = b->CommitTransferIn("acme", *frozen, k, *counters);
  ASSERT_TRUE(committed.ok()) << committed.status().ToString();

  QuotaRequestFilter mine;
  mine.tenant = "acme";
  const QuotaRequestPage moved = b->quota_requests().List(mine, "", 100);
  ASSERT_EQ(moved.requests.size(), 2u);
  EXPECT_EQ(moved.requests[0].reason, "more traffic") << "oldest first, as on the source";
  EXPECT_EQ(moved.requests[0].state, QuotaRequestState::kPending);
  EXPECT_EQ(moved.requests[0].fields.at("requests_per_sec"), 500);
  EXPECT_EQ(moved.requests[1].reason, "batch jobs");
  EXPECT_EQ(moved.requests[1].state, QuotaRequestState::kRejected);
  EXPECT_EQ(moved.requests[1].decided_by, "operator:bob");
  for (const QuotaRequest& r : moved.requests) EXPECT_NE(r.id, theirs->id);
  EXPECT_EQ(b->quota_requests().Get(theirs->id)->tenant, "other") << "the target's own request is untouched";
  // The moved pending request can be decided on the target, and survives its restart.
  ASSERT_TRUE(b->ApproveQuotaRequest(moved.requests[0].id, "operator:carol", "ok").ok());
  { auto release = std::move(committed); }
  ASSERT_TRUE(b.Open());
  EXPECT_EQ(b->quota_requests().List(mine, "", 100).requests.size(), 2u);
  EXPECT_EQ(b->quota_requests().Get(moved.requests[0].id)->state, QuotaRequestState::kApproved);
  ASSERT_TRUE(src.End(*xid).ok());
}

}  // namespace
}  // namespace tenantkv::engine::testutil

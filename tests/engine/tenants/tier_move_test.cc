// Online tier moves (tier_mover.h): a tenant moved pooled -> column_family
// (-> dedicated)
// -> pooled while a writer runs keeps every acknowledged write and exact
// counters, and its old place is emptied; writes in the switch are refused
// with tenant_moving while reads go on; a second move is refused; a stop at
// any step rolls back at the next start; a delete during a move releases
// both places. (The server's route, and kill -9 at each step, are in
// tests/server.)
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing/test_util.h"

namespace tenantkv::engine::testutil {
namespace {

// Waits (bounded) until the tenant's move has ended; its record's outcome.
TierMoveInfo WaitForMove(EngineHarness& h, const std::string& id) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    auto t = h.TenantOf(id);
    if (t == nullptr) return {};
    const TenantInfo info = t->Info();
    if (!h->tenants().TierMoveProgress(id).has_value() && info.tier_move.has_value() &&
        !info.tier_move->running()) {
      return *info.tier_move;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ADD_FAILURE() << "the move of " << id << " did not end";
  return {};
}

// Waits (bounded) until the running move of `id` is in `state`.
bool WaitForState(EngineHarness& h, const std::string& id, const std::string& state) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    auto p = h->tenants().TierMoveProgress(id);
    if (p.has_value() && p->state == state) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ADD_FAILURE() << "the move of " << id << " never reached " << state;
  return false;
}

// Every key and value of the tenant, through its store (pages of 1,000).
std::map<std::string, std::string> Contents(TenantStore& store) {
  std::map<std::string, std::string> out;
  ListRequest req;
  req.limit = kMaxListLimit;
  req.with_values = true;
  for (;;) {
    auto page = store.List(req);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    if (!page.ok()) return out;
    for (auto& item : page->items) out[item.key] = item.value.value_or("");
    if (!page->next) return out;
    req.start_after = page->next;
  }
}

// "pool:p.0/000000000000002a" -> column family "p.0" and its 8-byte prefix.
std::pair<std::string, std::string> PooledRange(const std::string& place) {
  const size_t slash = place.rfind('/');
  return {place.substr(5, slash - 5), PrefixBytes(CounterOf(place))};
}

// A writer of its own keys: puts and deletes, retrying the ones refused
// while the tenant switches; `acked` is what each key holds once the
// writer stops (nullopt: deleted).
class Writer {
 public:
  explicit Writer(TenantStore* store) : store_(store), thread_([this] { Loop(); }) {}
  ~Writer() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  const std::map<std::string, std::optional<std::string>>& acked() const { return acked_; }
  int64_t refused() const { return refused_.load(); }
  int64_t writes() const { return writes_.load(); }

 private:
  void Loop() {
    for (int64_t seq = 0; !stop_.load(); ++seq) {
      const std::string key = "w" + std::to_string(seq % 300);
      const bool del = seq % 7 == 3;
      for (;;) {
        Status s = del ? store_->Delete(key, {}) : store_->Put(key, "v" + std::to_string(seq), {}).status();
        if (s.ok() || (del && s.reason() == "not_found")) {
          acked_[key] = del ? std::nullopt : std::optional<std::string>("v" + std::to_string(seq));
          ++writes_;
          break;
        }
        if (s.reason() != "tenant_moving") {
          ADD_FAILURE() << "write failed: " << s.ToString();
          return;
        }
        ++refused_;
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    }
  }

  TenantStore* const store_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> refused_{0}, writes_{0};
  std::map<std::string, std::optional<std::string>> acked_;
  std::thread thread_;
};

// `max_noted`: the bytes of keys written during the copy that the switch
// catches up one by one; past it, it compares the two ranges whole. The
// tenant starts pooled and goes through `tiers` in turn (the last one
// pooled again).
void MoveThereAndBackUnderAWriter(size_t max_noted, const std::vector<Tier>& tiers = {Tier::kColumnFamily,
                                                                                      Tier::kPooled}) {
  EngineHarness h;
  h.options().pooled_column_families = 1;
  h.options().tier_moves.max_noted_key_bytes = max_noted;
  h.options().tier_moves.batch_keys = 64;
  h.options().tier_moves.copy_keys_per_second = 20000;  // the copy takes a while: writes land during it
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->CreateTenant("mover", "", Tier::kPooled).ok());
  ASSERT_TRUE(h->CreateTenant("neighbour", "", Tier::kPooled).ok());
  for (int i = 0; i < 2000; ++i) {
    ASSERT_TRUE(h.Store("mover").Put("base" + std::to_string(i), "b" + std::to_string(i), {}).ok());
    if (i < 200) {
      ASSERT_TRUE(h.Store("neighbour").Put("base" + std::to_string(i), "n" + std::to_string(i), {}).ok());
    }
  }
  const std::string pooled_place = h.TenantOf("mover")->Info().placement;

  Writer writer(&h.Store("mover"));
  std::vector<std::string> dedicated_dirs;  // of the dedicated places it left
  for (size_t step = 0; step < tiers.size(); ++step) {
    SCOPED_TRACE(TierName(tiers[step]));
    const std::string from = h.TenantOf("mover")->Info().placement;
    const int64_t writes_before = writer.writes();
    auto started = h->tenants().MoveTier("mover", tiers[step]);
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    EXPECT_TRUE(*started);
    TierMoveInfo moved = WaitForMove(h, "mover");
    EXPECT_EQ(moved.state, "done") << moved.error;
    EXPECT_EQ(moved.to, TierName(tiers[step]));
    EXPECT_GE(moved.copied_keys, 2000);
    EXPECT_EQ(TierOfPlacement(h.TenantOf("mover")->Info().placement), tiers[step]);
    if (TierOfPlacement(from) == Tier::kDedicated) {
      dedicated_dirs.push_back(h.data_dir() + "/dedicated/" + from.substr(from.find(':') + 1));
    }
    // The writer ran during the move (it needs the CPU the copy leaves).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (writer.writes() == writes_before && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_GT(writer.writes(), writes_before);
  }
  writer.Stop();
  const std::string back_place = h.TenantOf("mover")->Info().placement;
  EXPECT_EQ(TierOfPlacement(back_place), Tier::kPooled);
  EXPECT_NE(back_place, pooled_place) << "a prefix is never reused";
  for (const auto& dir : dedicated_dirs) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::filesystem::exists(dir) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_FALSE(std::filesystem::exists(dir)) << "the dedicated database it left is removed: " << dir;
  }

  // Every acknowledged write, and nothing else.
  std::map<std::string, std::string> want;
  for (int i = 0; i < 2000; ++i) want["base" + std::to_string(i)] = "b" + std::to_string(i);
  for (const auto& [k, v] : writer.acked()) {
    if (v) want[k] = *v;
  }
  {
    const auto got = Contents(h.Store("mover"));
    for (const auto& [k, v] : want) {
      auto it = got.find(k);
      if (it == got.end()) ADD_FAILURE() << "missing " << k << " = " << v;
      else if (it->second != v) ADD_FAILURE() << k << ": got " << it->second << ", want " << v;
    }
    for (const auto& [k, v] : got) {
      if (want.count(k) == 0) ADD_FAILURE() << "extra " << k << " = " << v;
    }
  }
  // Counters exact: they equal a recount.
  int64_t bytes = 0;
  for (const auto& [k, v] : want) bytes += static_cast<int64_t>(k.size() + v.size());
  EXPECT_EQ(h.Store("mover").GetUsage().keys, static_cast<int64_t>(want.size()));
  EXPECT_EQ(h.Store("mover").GetUsage().logical_bytes, bytes);
  EXPECT_EQ(Contents(h.Store("neighbour")).size(), 200u);
  EXPECT_EQ(Contents(h.Store("neighbour")).at("base7"), "n7");

  // After a restart, the same.
  h.Close();
  const auto [old_cf, old_prefix] = PooledRange(pooled_place);
  EXPECT_EQ(EntriesUnder(h.db_dir(), old_cf, old_prefix), 0u) << "the old pooled range was emptied";
  ASSERT_TRUE(h.Open());
  EXPECT_EQ(Contents(h.Store("mover")), want);
  EXPECT_EQ(h.Store("mover").GetUsage().keys, static_cast<int64_t>(want.size()));
  EXPECT_EQ(h.TenantOf("mover")->Info().tier_move->state, "done");
}

TEST(TierMove, PooledToColumnFamilyAndBackWhileAWriterRunsKeepsEveryAcknowledgedWrite) {
  MoveThereAndBackUnderAWriter(TierMoverOptions().max_noted_key_bytes);
}

TEST(TierMove, PastTheBoundOnNotedKeysTheSwitchComparesTheRangesWhole) { MoveThereAndBackUnderAWriter(16); }

// The round: pooled -> column_family -> dedicated -> pooled, the
// counters following the data into the tenant's own database and back.
TEST(TierMove, ThroughEveryTierWhileAWriterRunsKeepsEveryAcknowledgedWrite) {
  MoveThereAndBackUnderAWriter(TierMoverOptions().max_noted_key_bytes,
                               {Tier::kColumnFamily, Tier::kDedicated, Tier::kPooled});
}

TEST(TierMove, IntoAndOutOfDedicatedComparingTheRangesWhole) {
  MoveThereAndBackUnderAWriter(16, {Tier::kDedicated, Tier::kPooled});
}

TEST(TierMove, ASecondMoveIsRefusedAndTheSameTierIsNothingToDo) {
  EngineHarness h;
  h.options().tier_moves.hold_at_for_test = "copying";
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->CreateTenant("acme", "", Tier::kColumnFamily).ok());
  auto same = h->tenants().MoveTier("acme", Tier::kColumnFamily);
  ASSERT_TRUE(same.ok());
  EXPECT_FALSE(*same);
  EXPECT_FALSE(h.TenantOf("acme")->Info().tier_move.has_value());
  ASSERT_TRUE(h->tenants().MoveTier("acme", Tier::kPooled).ok());
  EXPECT_EQ(h->tenants().MoveTier("acme", Tier::kPooled).status().reason(), "move_in_progress");
  EXPECT_EQ(h->tenants().MoveTier("nobody", Tier::kPooled).status().reason(), "tenant_not_found");
  auto p = h->tenants().TierMoveProgress("acme");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->state, "copying");
  EXPECT_EQ(p->to, "pooled");
}

TEST(TierMove, TooManyMovesAtOnceAreRefused) {
  EngineHarness h;
  h.options().tier_moves.hold_at_for_test = "copying";
  h.options().tier_moves.max_concurrent = 1;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->CreateTenant("a", "", Tier::kPooled).ok());
  ASSERT_TRUE(h->CreateTenant("b", "", Tier::kPooled).ok());
  ASSERT_TRUE(h->tenants().MoveTier("a", Tier::kColumnFamily).ok());
  auto second = h->tenants().MoveTier("b", Tier::kColumnFamily);
  EXPECT_EQ(second.status().reason(), "too_many_moves");
  EXPECT_FALSE(h.TenantOf("b")->Info().tier_move.has_value()) << "a refused move leaves no trace";
}

// The copy is paid from the moved tenant's share of the fair scheduler,
// a batch at a time, and from nobody else's.
TEST(TierMove, TheCopyIsTheTenantsOwnWorkInTheFairScheduler) {
  EngineHarness h;
  h.options().tier_moves.batch_keys = 50;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->CreateTenant("mover", "", Tier::kPooled).ok());
  ASSERT_TRUE(h->CreateTenant("other", "", Tier::kPooled).ok());
  for (int i = 0; i < 500; ++i) {
    ASSERT_TRUE(h.Store("mover").Put("k" + std::to_string(i), "v", {}).ok());
    ASSERT_TRUE(h.Store("other").Put("k" + std::to_string(i), "v", {}).ok());
  }
  const SchedulerTenantStats before = h->scheduler().Stats("mover");
  ASSERT_TRUE(h->tenants().MoveTier("mover", Tier::kColumnFamily).ok());
  EXPECT_EQ(WaitForMove(h, "mover").state, "done");
  const SchedulerTenantStats after = h->scheduler().Stats("mover");
  EXPECT_EQ(after.served - before.served, 10u) << "one scheduled operation per batch of 50";
  EXPECT_DOUBLE_EQ(after.served_cost - before.served_cost, 500.0) << "a batch costs its entries";
  EXPECT_EQ(h->scheduler().Stats("other").served, 0u);
}

// In the switch, writes are refused with tenant_moving and reads go on; a
// stop there (or once the new store serves, before the record names it)
// rolls back at the next start, with every value where it was.
void StopAtAndRollBack(const std::string& step, Tier from, Tier to) {
  SCOPED_TRACE(step);
  EngineHarness h;
  h.options().pooled_column_families = 1;
  h.options().tier_moves.hold_at_for_test = step;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->CreateTenant("acme", "", from).ok());
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(h.Store("acme").Put("k" + std::to_string(i), "v", {}).ok());
  const std::string place = h.TenantOf("acme")->Info().placement;
  ASSERT_TRUE(h->tenants().MoveTier("acme", to).ok());
  const std::string target = h.TenantOf("acme")->Info().tier_move->place;
  ASSERT_TRUE(WaitForState(h, "acme", step == "copying" ? "copying" : "switching"));
  if (step != "copying") {
    auto refused = h.Store("acme").Put("k1", "new", {});
    EXPECT_EQ(refused.status().reason(), "tenant_moving");
    EXPECT_EQ(h.Store("acme").Delete("k2", {}).reason(), "tenant_moving");
    // Reads go on, from the old store or (switched) the new one.
    if (step == "switched") std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the swap has happened
    auto v = h.Store("acme").Get("k1");
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    EXPECT_EQ(v->value, "v");
  } else {
    ASSERT_TRUE(h.Store("acme").Put("k1", "during the copy", {}).ok());
  }
  h.Close();  // the move stops where it is, as at a crash of the process
  h.options().tier_moves.hold_at_for_test.clear();
  ASSERT_TRUE(h.Open());
  const TenantInfo info = h.TenantOf("acme")->Info();
  EXPECT_EQ(info.placement, place) << "rolled back: still in its old place";
  ASSERT_TRUE(info.tier_move.has_value());
  EXPECT_EQ(info.tier_move->state, "failed");
  EXPECT_EQ(Contents(h.Store("acme")).size(), 100u);
  EXPECT_EQ(h.Store("acme").Get("k1")->value, step == "copying" ? "during the copy" : "v");
  EXPECT_TRUE(h.Store("acme").Put("k1", "after", {}).ok()) << "writes work again";
  EXPECT_EQ(h.Store("acme").GetUsage().keys, 100);
  // A new move now runs to the end.
  ASSERT_TRUE(h->tenants().MoveTier("acme", to).ok());
  EXPECT_EQ(WaitForMove(h, "acme").state, "done");
  EXPECT_EQ(h.Store("acme").Get("k1")->value, "after");
  h.Close();
  if (TierOfPlacement(target) == Tier::kPooled) {
    const auto [cf, prefix] = PooledRange(target);
    EXPECT_EQ(EntriesUnder(h.db_dir(), cf, prefix), 0u) << "the abandoned target was emptied";
  }
  if (TierOfPlacement(target) == Tier::kDedicated) {
    EXPECT_FALSE(std::filesystem::exists(h.data_dir() + "/dedicated/" + target.substr(4)))
        << "the abandoned database was removed";
  }
}

TEST(TierMove, AStopWhileCopyingRollsBackAtStart) {
  StopAtAndRollBack("copying", Tier::kColumnFamily, Tier::kPooled);
  StopAtAndRollBack("copying", Tier::kPooled, Tier::kColumnFamily);
  StopAtAndRollBack("copying", Tier::kPooled, Tier::kDedicated);
  StopAtAndRollBack("copying", Tier::kDedicated, Tier::kColumnFamily);
}

TEST(TierMove, WritesInTheSwitchAreRefusedAndAStopThereRollsBack) {
  StopAtAndRollBack("switching", Tier::kColumnFamily, Tier::kPooled);
  StopAtAndRollBack("switching", Tier::kPooled, Tier::kColumnFamily);
  StopAtAndRollBack("switching", Tier::kColumnFamily, Tier::kDedicated);
  StopAtAndRollBack("switching", Tier::kDedicated, Tier::kPooled);
}

TEST(TierMove, AStopAfterTheNewStoreServesButBeforeTheRecordRollsBack) {
  StopAtAndRollBack("switched", Tier::kColumnFamily, Tier::kPooled);
  StopAtAndRollBack("switched", Tier::kPooled, Tier::kColumnFamily);
  StopAtAndRollBack("switched", Tier::kPooled, Tier::kDedicated);
  StopAtAndRollBack("switched", Tier::kDedicated, Tier::kColumnFamily);
}

TEST(TierMove, ADeleteDuringAMoveReleasesBothPlaces) {
  EngineHarness h;
  h.options().pooled_column_families = 1;
  h.options().tier_moves.hold_at_for_test = "copying";
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->CreateTenant("gone", "", Tier::kColumnFamily).ok());
  ASSERT_TRUE(h->CreateTenant("stays", "", Tier::kPooled).ok());
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(h.Store("gone").Put("k" + std::to_string(i), "secret", {}).ok());
    ASSERT_TRUE(h.Store("stays").Put("k" + std::to_string(i), "mine", {}).ok());
  }
  ASSERT_TRUE(h->tenants().MoveTier("gone", Tier::kPooled).ok());
  const std::string target = h.TenantOf("gone")->Info().tier_move->place;
  ASSERT_TRUE(h->DeleteTenant("gone").ok());
  EXPECT_FALSE(h->tenants().Get("gone").ok());
  EXPECT_EQ(Contents(h.Store("stays")).size(), 50u);
  h.Close();
  const auto [cf, prefix] = PooledRange(target);
  EXPECT_EQ(EntriesUnder(h.db_dir(), cf, prefix), 0u);
  h.options().tier_moves.hold_at_for_test.clear();
  ASSERT_TRUE(h.Open());
  EXPECT_FALSE(h->tenants().Get("gone").ok());
  EXPECT_EQ(Contents(h.Store("stays")).size(), 50u);
}

}  // namespace
}  // namespace tenantkv::engine::testutil

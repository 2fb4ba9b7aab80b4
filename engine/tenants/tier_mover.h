// TierMover: moves a tenant's data to another tier while it is served.
//
// A move, on a thread of its own:
//   1. start: a place of the new tier is taken, and claimed in the same
//      synced batch as the tenant record that names it (tier_move, state
//      "copying"), so a crash never leaves it to nobody or to two owners;
//   2. copying: the store's write gate (write_gate.h) begins to note the
//      user keys of every write; then every entry of a snapshot is copied,
//      sealed bytes as they are (a value is bound to its tenant and user
//      key, not to its place), into the new place. Reads and writes go on;
//   3. switching: writes are paused (they get 503 tenant_moving) and the
//      ones in flight finish; the keys written since the snapshot are
//      copied again from the current data (past a bound on how many were
//      noted, the two ranges are compared whole); a store of the new place
//      becomes the tenant's (reads never stop: one that met the old store
//      closing is run on the new one); then one synced batch names the new
//      place in the record (state "done") and empties the old one;
//   4. writes resume.
// Between two databases (into or out of a dedicated one), the tenant's
// usage and value counts, which live with its data, are written into the
// new place's database in the switch: synced with the copy before the
// record names a dedicated target, in the record's own batch for the
// node's DB.
// A failure before that batch empties the new place and records "failed";
// the tenant stays where it was. A crash before it is rolled back at start
// (TenantRegistry: the record still names the old place, and the new one
// is emptied). Nothing acknowledged is lost: every write commits in the old
// place before the switch, or in the new one after it.
//
// A delete during a move owns both places: it closes the tenant's store
// first (the mover writes into the new place only while it is open), and
// its shredding releases the place being filled too.
// Thread-safe.
#pragma once

#include <rocksdb/write_batch.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "crypto/mutex.h"
#include "engine/clock.h"
#include "engine/kv/cf_tenant_store.h"
#include "engine/storage/storage.h"
#include "engine/tenants/tenant.h"
#include "engine/tenants/tenant_directory.h"
#include "engine/tenants/tenant_placement.h"

namespace tenantkv::engine {

struct TierMoverOptions {
  size_t max_concurrent = 2;        // moves running at once; more get Unavailable("too_many_moves")
  size_t batch_keys = 512;          // entries per copy batch
  size_t batch_bytes = 1 << 20;     // bytes per copy batch
  int64_t copy_keys_per_second = 0;  // the copy's pace; 0 = as fast as it goes
  // Bytes of user keys noted during the copy; past it, the switch compares
  // the two ranges whole instead.
  size_t max_noted_key_bytes = 64 << 20;
  // Told when a move ends, done or failed (not when a shutdown cuts it).
  std::function<void(const std::string& tenant, const std::string& from, const TierMoveInfo& move)> on_end;
  // Runs `work`, the write of one batch of the copy, as tenant `t`'s own
  // storage work of `cost` (the batch's entries), and returns whether it
  // was admitted: the engine runs it through the fair scheduler under the
  // tenant's share, so a move's copy cannot take its neighbours' turns.
  // Unavailable (the tenant's queue full, or its wait past the budget) is
  // retried after a pause. Empty: run at once. The catch-up in the switch
  // is not scheduled (writes are paused then; it is kept short).
  std::function<Status(const Tenant& t, double cost, const std::function<void()>& work)> run_batch;
  // Test only: the mover waits at this step ("copying": before the first
  // copy; "switching": writes paused, before the catch-up; "switched": the
  // new store serves, before the record names it) until it is destroyed.
  std::string hold_at_for_test;
};

class TierMover {
 public:
  // A store of tenant `t` in `place`, starting from `usage`.
  using StoreFactory =
      std::function<Result<std::unique_ptr<CfTenantStore>>(Tenant& t, const Place& place, const Usage& usage)>;

  // All pointers must outlive the mover.
  TierMover(Storage* storage, TenantPlacement* placement, TenantDirectory* directory, const Clock* clock,
            StoreFactory make_store, TierMoverOptions options);
  // Stops the running moves where they are (the next start rolls them
  // back) and waits for their threads.
  ~TierMover();
  // The same, at once: later Starts get Unavailable("stopping"). For an
  // owner whose run_batch goes away before the mover does.
  void Stop() EXCLUDES(mu_);
  TierMover(const TierMover&) = delete;
  TierMover& operator=(const TierMover&) = delete;

  // Starts moving `t` to `to`: false if it is there already (nothing to
  // do). AlreadyExists("move_in_progress") while a move of it runs,
  // Unavailable("too_many_moves") when max_concurrent run,
  // NotFound("tenant_not_found") once its delete has begun.
  Result<bool> Start(const std::shared_ptr<Tenant>& t, Tier to) EXCLUDES(mu_);
  // The running move of tenant `id` as it stands now (its record holds the
  // state at the start and the outcome), or nullopt.
  std::optional<TierMoveInfo> Progress(const std::string& id) const EXCLUDES(mu_);

  // The record of a move a crash interrupted (running(), read at start):
  // marks it failed and stages that, with the release of the pooled place
  // it was filling, in `batch`. A column family it was filling is not the
  // tenant's (TenantPlacement::Open takes it back).
  static Status StageRollBack(const TenantPlacement& placement, const TenantDirectory& directory, int64_t now_ms,
                              TenantInfo& info, rocksdb::WriteBatch* batch);

 private:
  struct Move;
  void Run(const std::shared_ptr<Move>& m);
  Status Copy(Move& m);
  // SwitchLocked, holding off a node backup when the target is dedicated.
  Status Switch(Move& m);
  Status SwitchLocked(Move& m);
  // Copies the noted keys (or, past the bound, every difference) from the
  // source range into the target, writes paused.
  Status CatchUp(Move& m);
  Status CompareWhole(Move& m);
  // Stages into `batch` the tenant's usage and value counts, as the source
  // store has them, in the system column family of `to` (writes paused).
  Status StageCounters(Move& m, const Usage& usage, Storage& to, rocksdb::WriteBatch* batch);
  // Writes `batch` into the target place if the tenant's store is still open.
  Status WriteTarget(Move& m, rocksdb::WriteBatch* batch);
  // WriteTarget through options_.run_batch.
  Status WriteScheduled(Move& m, rocksdb::WriteBatch* batch);
  void Fail(Move& m, const Status& why);
  // Waits at `step` if a test asked to; false if the mover is stopping.
  bool Continue(const char* step);
  void Reap() REQUIRES(mu_);

  Storage* const storage_;
  TenantPlacement* const placement_;
  TenantDirectory* const directory_;
  const Clock* const clock_;
  const StoreFactory make_store_;
  const TierMoverOptions options_;
  std::atomic<bool> stopping_{false};
  mutable Mutex mu_;
  // By tenant: at most one not ended (its record names its target), and
  // ended ones whose threads are finishing (compacting the old place).
  std::multimap<std::string, std::shared_ptr<Move>> moves_ GUARDED_BY(mu_);
  // The not-ended move of tenant `id`, or nullptr.
  Move* Running(const std::string& id) const REQUIRES(mu_);
  size_t RunningCount() const REQUIRES(mu_);
};

}  // namespace tenantkv::engine

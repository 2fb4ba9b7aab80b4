#include "engine/tenants/tier_mover.h"

#include <chrono>
#include <vector>

#include "engine/kv/write_key_noter.h"
#include "engine/storage/rocks_status.h"
#include "engine/storage/system_keys.h"

namespace tenantkv::engine {
namespace {

Status MoveInProgress(const std::string& id) {
  return Status::AlreadyExists("tenant '" + id + "' is already moving to another tier", "move_in_progress");
}

Status Stopping() { return Status::Unavailable("the server is stopping", "stopping"); }

// Read options of a scan of one tenant's range in `place`.
struct RangeScan {
  explicit RangeScan(const Place& place) : upper(KeyPrefixSuccessor(place.key_prefix)), upper_slice(upper) {
    options.fill_cache = false;  // a move must not evict the tenants' working sets
    if (place.key_prefix.empty()) {
      options.total_order_seek = true;
    } else {
      options.prefix_same_as_start = true;
      options.iterate_upper_bound = &upper_slice;
    }
  }
  RangeScan(const RangeScan&) = delete;
  RangeScan& operator=(const RangeScan&) = delete;
  const std::string upper;
  const rocksdb::Slice upper_slice;
  rocksdb::ReadOptions options;
};

}  // namespace

struct TierMover::Move final : public WriteGate {
  std::shared_ptr<Tenant> tenant;
  Tier to = Tier::kColumnFamily;
  Place target;
  Place source;                          // set when the copy begins
  CfTenantStore* source_store = nullptr;  // the store the move began with
  CfTenantStore* target_store = nullptr;  // the store of the target, once made
  int64_t started_at_ms = 0;
  size_t max_noted_bytes = 0;
  std::atomic<int64_t> copied{0};
  std::atomic<bool> switching{false};
  std::atomic<bool> paused{false};  // writes are refused (tenant_moving)
  std::atomic<bool> ended{false};     // done or failed: the record says so
  std::atomic<bool> finished{false};  // its thread has returned
  std::thread thread;

  Mutex mu;
  NotedKeys noted GUARDED_BY(mu);  // overflowed: compare whole

  Status Admit(const rocksdb::WriteBatch& batch, uint32_t cf_id, std::string_view key_prefix) override {
    if (paused.load()) {
      return Status::Unavailable("tenant '" + tenant->id() + "' is switching to another tier; retry shortly",
                                 "tenant_moving");
    }
    WriteKeyNoter noter(cf_id, key_prefix);
    const bool readable = batch.Iterate(&noter).ok();
    MutexLock lock(mu);
    noted.Add(noter, readable, max_noted_bytes);
    return Status::Ok();
  }
};

TierMover::TierMover(Storage* storage, TenantPlacement* placement, TenantDirectory* directory, const Clock* clock,
                     StoreFactory make_store, TierMoverOptions options)
    : storage_(storage), placement_(placement), directory_(directory), clock_(clock),
      make_store_(std::move(make_store)), options_(std::move(options)) {}

TierMover::~TierMover() { Stop(); }

void TierMover::Stop() {
  stopping_ = true;  // before the lock: a Start that takes it later refuses
  std::vector<std::shared_ptr<Move>> moves;
  {
    MutexLock lock(mu_);
    for (auto& [id, m] : moves_) moves.push_back(m);
    moves_.clear();
  }
  for (auto& m : moves) {
    if (m->thread.joinable()) m->thread.join();
  }
}

void TierMover::Reap() {
  for (auto it = moves_.begin(); it != moves_.end();) {
    if (!it->second->finished.load()) {
      ++it;
      continue;
    }
    if (it->second->thread.joinable()) it->second->thread.join();  // it has returned
    it = moves_.erase(it);
  }
}

TierMover::Move* TierMover::Running(const std::string& id) const {
  auto [from, to] = moves_.equal_range(id);
  for (auto it = from; it != to; ++it) {
    if (!it->second->ended.load()) return it->second.get();
  }
  return nullptr;
}

size_t TierMover::RunningCount() const {
  size_t n = 0;
  for (const auto& [id, m] : moves_) n += m->ended.load() ? 0 : 1;
  return n;
}

Result<bool> TierMover::Start(const std::shared_ptr<Tenant>& t, Tier to) {
  MutexLock lock(mu_);
  if (stopping_.load()) return Stopping();
  Reap();
  if (Running(t->id()) != nullptr) return MoveInProgress(t->id());
  const TenantInfo info = t->Info();
  if (info.state == TenantState::kDeleting) return TenantNotFound(t->id());
  if (info.tier_move.has_value() && info.tier_move->running()) return MoveInProgress(t->id());
  if (TierOfPlacement(info.placement) == to) return false;
  if (const size_t running = RunningCount(); running >= options_.max_concurrent) {
    return Status::Unavailable("already " + std::to_string(running) + " tier moves running; retry later",
                               "too_many_moves");
  }
  auto m = std::make_shared<Move>();
  m->tenant = t;
  m->to = to;
  m->started_at_ms = clock_->NowUnixMillis();
  m->max_noted_bytes = options_.max_noted_key_bytes;
  TKV_ASSIGN_OR_RETURN(m->target, placement_->Take(to));
  Status s = t->ChangeInfo([&](TenantInfo& next) -> Status {
    if (next.state == TenantState::kDeleting) return TenantNotFound(t->id());
    TierMoveInfo move;
    move.to = TierName(to);
    move.place = m->target.name;
    move.state = "copying";
    move.started_at_ms = m->started_at_ms;
    next.tier_move = move;
    rocksdb::WriteBatch batch;
    placement_->StageClaim(m->target, &batch);
    TKV_RETURN_IF_ERROR(directory_->StageRecord(next, &batch));
    return FromRocks(storage_->db()->Write(storage_->meta_write_options(), &batch), "start tier move");
  });
  if (!s.ok()) {
    placement_->Return(std::move(m->target));
    return s;
  }
  m->thread = std::thread([this, m] { Run(m); });
  moves_.emplace(t->id(), m);
  return true;
}

std::optional<TierMoveInfo> TierMover::Progress(const std::string& id) const {
  MutexLock lock(mu_);
  const Move* running = Running(id);
  if (running == nullptr) return std::nullopt;
  const Move& m = *running;
  TierMoveInfo p;
  p.to = TierName(m.to);
  p.place = m.target.name;
  p.state = m.switching.load() ? "switching" : "copying";
  p.copied_keys = m.copied.load();
  p.started_at_ms = m.started_at_ms;
  return p;
}

bool TierMover::Continue(const char* step) {
  if (options_.hold_at_for_test == step) {
    while (!stopping_.load()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return !stopping_.load();
}

void TierMover::Run(const std::shared_ptr<Move>& m) {
  Status s = Copy(*m);
  if (s.ok()) s = Switch(*m);
  if (!s.ok()) Fail(*m, s);
  // Its handles let go: a dedicated database released by the move closes
  // (and its directory goes) once no store holds it either.
  m->source = Place{};
  m->target.cf.reset();
  m->target.db = nullptr;
  m->ended = true;
  m->finished = true;
}

Status TierMover::WriteTarget(Move& m, rocksdb::WriteBatch* batch) {
  if (batch->Count() == 0) return Status::Ok();
  // Not synced: the synced batch of the switch makes the log durable up
  // to it, and a crash before it discards the target anyway.
  Storage& target = *m.target.DbOr(storage_);
  Status s = m.tenant->movable_store().WhileOpen(
      [&] { return FromRocks(target.db()->Write(rocksdb::WriteOptions(), batch), "copy to the new tier"); });
  batch->Clear();
  return s;
}

Status TierMover::WriteScheduled(Move& m, rocksdb::WriteBatch* batch) {
  if (!options_.run_batch || batch->Count() == 0) return WriteTarget(m, batch);
  const double cost = static_cast<double>(batch->Count());
  for (;;) {
    bool ran = false;
    Status written;
    const Status admitted = options_.run_batch(*m.tenant, cost, [&] {
      ran = true;
      written = WriteTarget(m, batch);
    });
    if (ran) return written;
    if (admitted.ok()) return Status::Internal("the tier move's batch was admitted but not run");
    if (admitted.code() != Code::kUnavailable) return admitted;
    // The tenant's queue was full, or the batch waited past the tenant's
    // budget: its own requests go first, and the copy tries again.
    if (stopping_.load()) return Stopping();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

Status TierMover::Copy(Move& m) {
  TKV_ASSIGN_OR_RETURN(CfTenantStore* const opened, m.tenant->movable_store().Current());
  CfTenantStore& src = *opened;
  m.source_store = &src;
  // The place as the record names it, with handles that keep it open (a
  // dedicated database) while the move may still go back to it.
  TKV_ASSIGN_OR_RETURN(m.source, placement_->Find(m.tenant->Info()));
  // Every write that commits from here on is noted; every one before is in
  // the snapshot taken next.
  src.SetWriteGate(&m);
  if (!Continue("copying")) return Stopping();
  TKV_ASSIGN_OR_RETURN(std::unique_ptr<StoreSnapshot> snap, src.Snapshot());
  rocksdb::WriteBatch batch;
  size_t bytes = 0;
  int64_t copied = 0;
  const auto began = std::chrono::steady_clock::now();
  auto flush = [&]() -> Status {
    const int64_t n = batch.Count();
    TKV_RETURN_IF_ERROR(WriteScheduled(m, &batch));
    copied += n;
    m.copied = copied;
    bytes = 0;
    if (options_.copy_keys_per_second > 0) {
      const auto due = began + std::chrono::microseconds(copied * 1'000'000 / options_.copy_keys_per_second);
      while (!stopping_.load() && std::chrono::steady_clock::now() < due) {
        std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
            due - std::chrono::steady_clock::now(), std::chrono::milliseconds(20)));
      }
    }
    return Status::Ok();
  };
  std::string key;
  for (; snap->Valid(); snap->Next()) {
    if (stopping_.load()) return Stopping();
    key.assign(m.target.key_prefix).append(snap->key());
    TKV_RETURN_IF_ERROR(FromRocks(batch.Put(m.target.cf.get(), key, rocksdb::Slice(snap->sealed().data(),
                                                                                    snap->sealed().size())),
                                  "stage copy"));
    bytes += key.size() + snap->sealed().size();
    if (static_cast<size_t>(batch.Count()) >= options_.batch_keys || bytes >= options_.batch_bytes) {
      TKV_RETURN_IF_ERROR(flush());
    }
  }
  TKV_RETURN_IF_ERROR(snap->status());
  return flush();
}

Status TierMover::CatchUp(Move& m) {
  std::set<std::string> keys;
  bool whole = false;
  {
    MutexLock lock(m.mu);
    keys = m.noted.TakeAll();
    whole = m.noted.overflowed;
  }
  if (whole) return CompareWhole(m);
  rocksdb::WriteBatch batch;
  std::string from, to, value;
  for (const std::string& k : keys) {
    from.assign(m.source.key_prefix).append(k);
    to.assign(m.target.key_prefix).append(k);
    rocksdb::ReadOptions ro;
    ro.fill_cache = false;
    rocksdb::Status s = m.source.DbOr(storage_)->db()->Get(ro, m.source.cf.get(), from, &value);
    if (s.IsNotFound()) {
      TKV_RETURN_IF_ERROR(FromRocks(batch.Delete(m.target.cf.get(), to), "stage catch-up"));
    } else {
      TKV_RETURN_IF_ERROR(FromRocks(s, "read for catch-up"));
      TKV_RETURN_IF_ERROR(FromRocks(batch.Put(m.target.cf.get(), to, value), "stage catch-up"));
    }
    if (static_cast<size_t>(batch.Count()) >= options_.batch_keys) TKV_RETURN_IF_ERROR(WriteTarget(m, &batch));
  }
  return WriteTarget(m, &batch);
}

Status TierMover::CompareWhole(Move& m) {
  RangeScan src_scan(m.source), dst_scan(m.target);
  std::unique_ptr<rocksdb::Iterator> src(
      m.source.DbOr(storage_)->db()->NewIterator(src_scan.options, m.source.cf.get()));
  std::unique_ptr<rocksdb::Iterator> dst(
      m.target.DbOr(storage_)->db()->NewIterator(dst_scan.options, m.target.cf.get()));
  src->Seek(m.source.key_prefix);
  dst->Seek(m.target.key_prefix);
  const size_t sp = m.source.key_prefix.size(), dp = m.target.key_prefix.size();
  rocksdb::WriteBatch batch;
  std::string key;
  auto put = [&](std::string_view user_key, const rocksdb::Slice& value) {
    key.assign(m.target.key_prefix).append(user_key);
    return FromRocks(batch.Put(m.target.cf.get(), key, value), "stage comparison");
  };
  while (src->Valid() || dst->Valid()) {
    if (stopping_.load()) return Stopping();
    const std::string_view s = src->Valid() ? src->key().ToStringView().substr(sp) : std::string_view();
    const std::string_view d = dst->Valid() ? dst->key().ToStringView().substr(dp) : std::string_view();
    if (src->Valid() && (!dst->Valid() || s < d)) {
      TKV_RETURN_IF_ERROR(put(s, src->value()));
      src->Next();
    } else if (!src->Valid() || d < s) {
      TKV_RETURN_IF_ERROR(FromRocks(batch.Delete(m.target.cf.get(), dst->key()), "stage comparison"));
      dst->Next();
    } else {
      if (src->value() != dst->value()) TKV_RETURN_IF_ERROR(put(s, src->value()));
      src->Next();
      dst->Next();
    }
    if (static_cast<size_t>(batch.Count()) >= options_.batch_keys) TKV_RETURN_IF_ERROR(WriteTarget(m, &batch));
  }
  TKV_RETURN_IF_ERROR(FromRocks(src->status(), "compare source"));
  TKV_RETURN_IF_ERROR(FromRocks(dst->status(), "compare target"));
  return WriteTarget(m, &batch);
}

Status TierMover::Switch(Move& m) {
  if (m.to != Tier::kDedicated) return SwitchLocked(m);
  // A node backup copies the dedicated databases, then the node's DB: the
  // record must not come to name a database in between. Taken before
  // writes pause, so a running backup delays the switch, not the writes.
  ReaderLock no_backup(placement_->backup_gate());
  return SwitchLocked(m);
}

Status TierMover::SwitchLocked(Move& m) {
  m.switching = true;
  m.paused = true;
  m.source_store->DrainWrites();  // every later write is refused
  if (!Continue("switching")) return Stopping();
  TKV_RETURN_IF_ERROR(CatchUp(m));
  // Both stores are made before the switch, so that going back cannot fail.
  const Usage usage = m.source_store->GetUsage();  // exact: writes are paused
  // Between two databases, the counters the store keeps with the data go
  // too (exact: writes are paused). Into a dedicated database they are
  // written now, synced with the copy before the record names it; into the
  // node's, in the batch of the switch.
  Storage& from_db = *m.source.DbOr(storage_);
  Storage& to_db = *m.target.DbOr(storage_);
  rocksdb::WriteBatch counters;
  if (&from_db != &to_db) {
    TKV_RETURN_IF_ERROR(StageCounters(m, usage, to_db, &counters));
    if (&to_db != storage_) {
      TKV_RETURN_IF_ERROR(m.tenant->movable_store().WhileOpen([&] {
        TKV_RETURN_IF_ERROR(FromRocks(to_db.db()->Write(to_db.meta_write_options(), &counters), "copy counters"));
        return FromRocks(to_db.db()->FlushWAL(/*sync=*/true), "sync the new tier");
      }));
      counters.Clear();
    }
  }
  TKV_ASSIGN_OR_RETURN(std::unique_ptr<CfTenantStore> next, make_store_(*m.tenant, m.target, usage));
  TKV_ASSIGN_OR_RETURN(std::unique_ptr<CfTenantStore> back, make_store_(*m.tenant, m.source, usage));
  next->SetWriteGate(&m);  // still paused, until the record names the new place
  m.target_store = next.get();
  MovableTenantStore& store = m.tenant->movable_store();
  TKV_RETURN_IF_ERROR(store.Swap(std::move(next)));
  m.source_store->ClearWriteGate(&m);  // closed: it commits nothing more
  if (!Continue("switched")) return Stopping();
  std::string old_place;
  bool released = false;
  TierMoveInfo done;
  Status s = m.tenant->ChangeInfo([&](TenantInfo& next_info) -> Status {
    // Its delete releases both places.
    if (next_info.state == TenantState::kDeleting) return TenantNotFound(m.tenant->id());
    old_place = next_info.placement;
    rocksdb::WriteBatch batch = counters;
    if (&from_db == storage_ && &to_db != storage_) {
      // The node's copy of the counters would only go stale.
      batch.Delete(storage_->system(), TenantDirectory::UsageKey(m.tenant->id())).PermitUncheckedError();
      for (const auto& k : next_info.data_keys) {
        batch.Delete(storage_->system(), ValuesCountKey(m.tenant->id(), k.version)).PermitUncheckedError();
      }
    }
    TKV_RETURN_IF_ERROR(placement_->StageRelease(old_place, &batch, &released));
    done = next_info.tier_move.value_or(TierMoveInfo{});
    done.state = "done";
    done.copied_keys = m.copied.load();
    done.ended_at_ms = clock_->NowUnixMillis();
    next_info.tier_move = done;
    next_info.placement = m.target.name;
    TKV_RETURN_IF_ERROR(directory_->StageRecord(next_info, &batch));
    TKV_RETURN_IF_ERROR(FromRocks(storage_->db()->Write(storage_->meta_write_options(), &batch), "switch tier"));
    m.ended = true;  // before the record shows it: a new move may start once it does
    return Status::Ok();
  });
  if (!s.ok()) {
    // Back to the old place: its data is intact, as writes were paused.
    store.Swap(std::move(back)).IgnoreError();  // fails only once deleted
    m.target_store->ClearWriteGate(&m);
    return s;
  }
  if (options_.on_end) options_.on_end(m.tenant->id(), TierName(TierOfPlacement(old_place)), done);
  if (released) placement_->Released(old_place);
  m.paused = false;
  // Writes resume. Only this move's gate: the record says "done" already,
  // so the next move of the tenant may have set its own.
  m.target_store->ClearWriteGate(&m);
  if (TierOfPlacement(old_place) == Tier::kPooled) {
    // Its user keys and sealed values leave the files, as at a delete.
    placement_->Compact(old_place).IgnoreError();
  }
  return Status::Ok();
}

Status TierMover::StageCounters(Move& m, const Usage& usage, Storage& to, rocksdb::WriteBatch* batch) {
  const std::string& id = m.tenant->id();
  std::vector<uint32_t> versions;
  for (const auto& k : m.tenant->Info().data_keys) versions.push_back(k.version);
  TKV_ASSIGN_OR_RETURN(const std::vector<int64_t> values, m.source_store->ValueCounts(versions));
  TenantDirectory::StageUsageIn(to, id, usage, batch);
  for (size_t i = 0; i < versions.size(); ++i) {
    TKV_RETURN_IF_ERROR(FromRocks(batch->Put(to.system(), ValuesCountKey(id, versions[i]),
                                             EncodeUsageDelta(values[i], 0)),
                                  "stage value count"));
  }
  return Status::Ok();
}

void TierMover::Fail(Move& m, const Status& why) {
  m.paused = false;
  if (m.source_store != nullptr) m.source_store->ClearWriteGate(&m);
  if (stopping_.load()) return;  // the next start rolls it back
  std::string from;
  bool released = false;
  TierMoveInfo failed;
  Status s = m.tenant->ChangeInfo([&](TenantInfo& next) -> Status {
    if (next.state == TenantState::kDeleting) return TenantNotFound(m.tenant->id());
    from = TierName(TierOfPlacement(next.placement));
    rocksdb::WriteBatch batch;
    TKV_RETURN_IF_ERROR(placement_->StageRelease(m.target.name, &batch, &released));
    failed = next.tier_move.value_or(TierMoveInfo{});
    failed.state = "failed";
    failed.error = why.message();
    failed.copied_keys = m.copied.load();
    failed.ended_at_ms = clock_->NowUnixMillis();
    next.tier_move = failed;
    TKV_RETURN_IF_ERROR(directory_->StageRecord(next, &batch));
    TKV_RETURN_IF_ERROR(
        FromRocks(storage_->db()->Write(storage_->meta_write_options(), &batch), "record failed tier move"));
    m.ended = true;  // before the record shows it
    return Status::Ok();
  });
  if (!s.ok()) return;  // deleted (its delete releases the place), or the next start rolls it back
  if (released) placement_->Released(m.target.name);
  if (m.to == Tier::kPooled) placement_->Compact(m.target.name).IgnoreError();
  if (options_.on_end) options_.on_end(m.tenant->id(), from, failed);
}

Status TierMover::StageRollBack(const TenantPlacement& placement, const TenantDirectory& directory, int64_t now_ms,
                                TenantInfo& info, rocksdb::WriteBatch* batch) {
  TierMoveInfo& m = *info.tier_move;
  if (TierOfPlacement(m.place) == Tier::kPooled) {
    bool staged = false;
    TKV_RETURN_IF_ERROR(placement.StageRelease(m.place, batch, &staged));
  }
  m.state = "failed";
  m.error = "the server stopped during the move; rolled back at start";
  m.ended_at_ms = now_ms;
  return directory.StageRecord(info, batch);
}

}  // namespace tenantkv::engine

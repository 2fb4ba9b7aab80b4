// TenantTransferSource (tenant_transfer.h): the owner's side of a transfer.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <set>

#include "crypto/hash.h"
#include "crypto/key_wrap.h"
#include "crypto/random.h"
#include "engine/backup/tenant_transfer.h"
#include "engine/backup/transfer_records.h"
#include "engine/kv/write_key_noter.h"
#include "engine/storage/rocks_status.h"
#include "engine/storage/system_keys.h"

namespace tenantkv::engine {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

struct TenantTransferSource::Transfer final : public WriteGate {
  std::string id;
  std::shared_ptr<Tenant> tenant;
  CfTenantStore* store = nullptr;  // the tenant's store at Begin (no tier move while it runs)
  size_t max_noted_bytes = 0;
  std::atomic<bool> frozen{false};
  std::atomic<int64_t> last_used_ns{0};
  std::atomic<int> in_calls{0};

  Mutex op_mu;  // one call at a time on the snapshot
  std::unique_ptr<StoreSnapshot> snapshot GUARDED_BY(op_mu);

  Mutex mu;  // a leaf: Admit takes it under the store's gate lock
  NotedKeys noted GUARDED_BY(mu);

  void Touch() { last_used_ns = SteadyClock::now().time_since_epoch().count(); }

  Status Admit(const rocksdb::WriteBatch& batch, uint32_t cf_id, std::string_view key_prefix) override {
    if (frozen.load()) {
      return Status::Unavailable("tenant '" + tenant->id() + "' is moving to another node; retry shortly",
                                 "tenant_moving");
    }
    WriteKeyNoter noter(cf_id, key_prefix);
    const bool readable = batch.Iterate(&noter).ok();
    MutexLock lock(mu);
    noted.Add(noter, readable, max_noted_bytes);
    return Status::Ok();
  }
};

namespace {

Status TransferNotFound(const std::string& id) {
  return Status::NotFound("no transfer '" + id + "' is running", "transfer_not_found");
}

// Counts a call on `t` for as long as it lives (the reaper leaves it be).
struct InCall {
  explicit InCall(std::atomic<int>& n) : n_(n) { ++n_; }
  ~InCall() { --n_; }
  std::atomic<int>& n_;
};

}  // namespace

TenantTransferSource::TenantTransferSource(TransferStores stores, TransferSourceOptions options)
    : stores_(stores), options_(options) {
  reaper_ = std::thread([this] { Reap(); });
}

TenantTransferSource::~TenantTransferSource() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
    wake_.SignalAll();
    while (!transfers_.empty()) EndLocked(transfers_.begin()->second);
  }
  reaper_.join();
}

void TenantTransferSource::Reap() {
  const auto period = std::clamp<SteadyClock::duration>(options_.idle_timeout / 4, std::chrono::milliseconds(10),
                                                        std::chrono::seconds(1));
  MutexLock lock(mu_);
  while (!stopping_) {
    wake_.WaitUntil(mu_, SteadyClock::now() + period);
    const int64_t now = SteadyClock::now().time_since_epoch().count();
    const int64_t idle = std::chrono::duration_cast<SteadyClock::duration>(options_.idle_timeout).count();
    std::vector<std::shared_ptr<Transfer>> done;
    for (const auto& [id, t] : transfers_) {
      if (t->in_calls.load() == 0 && now - t->last_used_ns.load() > idle) done.push_back(t);
    }
    for (const auto& t : done) EndLocked(t);
  }
}

void TenantTransferSource::EndLocked(std::shared_ptr<Transfer> t) {
  transfers_.erase(t->id);
  t->frozen = false;
  t->store->ClearWriteGate(t.get());  // its writes resume; nothing notes them any more
  {
    MutexLock op(t->op_mu);
    t->snapshot.reset();
  }
  stores_.registry->UnmarkTransferOut(t->tenant->id());
}

size_t TenantTransferSource::Running() const {
  MutexLock lock(mu_);
  return transfers_.size();
}

Result<std::shared_ptr<TenantTransferSource::Transfer>> TenantTransferSource::Find(const std::string& id) {
  MutexLock lock(mu_);
  auto it = transfers_.find(id);
  if (it == transfers_.end()) return TransferNotFound(id);
  it->second->Touch();
  return it->second;
}

Result<std::string> TenantTransferSource::Begin(const std::string& tenant) {
  TKV_ASSIGN_OR_RETURN(std::shared_ptr<Tenant> t, stores_.registry->Get(tenant));
  MutexLock lock(mu_);
  if (stopping_) return Status::Unavailable("the server is stopping", "stopping");
  for (const auto& [id, other] : transfers_) {
    if (other->tenant->id() == tenant) {
      return Status::AlreadyExists("tenant '" + tenant + "' is already moving", "move_in_progress");
    }
  }
  if (transfers_.size() >= options_.max_transfers) {
    return Status::Unavailable("already " + std::to_string(transfers_.size()) + " transfers running",
                               "too_many_moves");
  }
  TKV_RETURN_IF_ERROR(stores_.registry->MarkTransferOut(tenant));
  auto x = std::make_shared<Transfer>();
  auto begin = [&]() -> Status {
    TKV_ASSIGN_OR_RETURN(x->id, crypto::RandomHex(16));
    x->tenant = t;
    x->max_noted_bytes = options_.max_noted_key_bytes;
    TKV_ASSIGN_OR_RETURN(x->store, t->movable_store().Current());
    // Every write committing from here on is noted; every earlier one is
    // in the snapshot taken next.
    x->store->SetWriteGate(x.get());
    auto snap = x->store->Snapshot();
    if (!snap.ok()) {
      x->store->ClearWriteGate(x.get());
      return snap.status();
    }
    MutexLock op(x->op_mu);
    x->snapshot = std::move(snap).value();
    return Status::Ok();
  };
  if (Status s = begin(); !s.ok()) {
    stores_.registry->UnmarkTransferOut(tenant);
    return s;
  }
  x->Touch();
  transfers_[x->id] = x;
  return x->id;
}

Result<EntryPage> TenantTransferSource::Entries(const std::string& id, const std::string& start_after,
                                                size_t max_entries, size_t max_bytes) {
  TKV_ASSIGN_OR_RETURN(auto t, Find(id));
  InCall call(t->in_calls);
  max_entries = std::clamp<size_t>(max_entries, 1, options_.max_page_entries);
  max_bytes = std::clamp<size_t>(max_bytes, 1, options_.max_page_bytes);
  MutexLock op(t->op_mu);
  if (t->snapshot == nullptr) return TransferNotFound(id);
  StoreSnapshot& snap = *t->snapshot;
  TKV_RETURN_IF_ERROR(snap.SeekAfter(start_after));
  EntryPage page;
  size_t bytes = 0;
  for (; snap.Valid() && page.entries.size() < max_entries && bytes < max_bytes; snap.Next()) {
    page.entries.push_back({std::string(snap.key()), std::string(snap.sealed())});
    bytes += snap.key().size() + snap.sealed().size();
  }
  TKV_RETURN_IF_ERROR(snap.status());
  page.done = !snap.Valid();
  page.next = page.entries.empty() ? start_after : page.entries.back().key;
  t->Touch();
  return page;
}

Result<DeltaPage> TenantTransferSource::Delta(const std::string& id, size_t max) {
  TKV_ASSIGN_OR_RETURN(auto t, Find(id));
  InCall call(t->in_calls);
  max = std::clamp<size_t>(max, 1, options_.max_page_entries);
  MutexLock op(t->op_mu);
  DeltaPage page;
  std::vector<std::string> keys;
  {
    MutexLock lock(t->mu);
    if (t->noted.overflowed) {
      page.overflowed = true;
      return page;
    }
    keys = t->noted.Take(max);
    page.more = !t->noted.keys.empty();
  }
  // Every write noted before the keys were taken has committed once this
  // returns; a later one notes its key again.
  t->store->DrainWrites();
  size_t bytes = 0, next = 0;
  for (; next < keys.size() && bytes < options_.max_page_bytes; ++next) {
    TKV_ASSIGN_OR_RETURN(std::optional<std::string> sealed, t->store->ReadSealed(keys[next]));
    DeltaItem d;
    d.key = std::move(keys[next]);
    d.deleted = !sealed.has_value();
    if (sealed) d.sealed = std::move(*sealed);
    bytes += d.key.size() + d.sealed.size();
    page.items.push_back(std::move(d));
  }
  if (next < keys.size()) {
    // Past the page's bytes: the rest wait for the next Delta (their
    // values are read then, current as of then).
    MutexLock lock(t->mu);
    page.more = true;
    for (; next < keys.size(); ++next) t->noted.PutBack(std::move(keys[next]));
  }
  t->Touch();
  return page;
}

Status TenantTransferSource::Rescan(const std::string& id) {
  TKV_ASSIGN_OR_RETURN(auto t, Find(id));
  InCall call(t->in_calls);
  MutexLock op(t->op_mu);
  {
    MutexLock lock(t->mu);
    t->noted.Reset();
  }
  t->store->DrainWrites();  // a write noted (and dropped) before is in the new snapshot
  TKV_ASSIGN_OR_RETURN(t->snapshot, t->store->Snapshot());
  return Status::Ok();
}

Status TenantTransferSource::Freeze(const std::string& id) {
  TKV_ASSIGN_OR_RETURN(auto t, Find(id));
  t->frozen = true;
  t->store->DrainWrites();
  return Status::Ok();
}

Status TenantTransferSource::Unfreeze(const std::string& id) {
  TKV_ASSIGN_OR_RETURN(auto t, Find(id));
  t->frozen = false;
  return Status::Ok();
}

Result<TransferCounters> TenantTransferSource::Counters(const std::string& id) {
  TKV_ASSIGN_OR_RETURN(auto t, Find(id));
  InCall call(t->in_calls);
  if (!t->frozen.load()) return Status::FailedPrecondition("the transfer is not frozen", "not_frozen");
  TransferCounters c;
  c.usage = t->store->GetUsage();
  std::vector<uint32_t> versions;
  for (const auto& k : t->tenant->Info().data_keys) versions.push_back(k.version);
  TKV_ASSIGN_OR_RETURN(const std::vector<int64_t> values, t->store->ValueCounts(versions));
  for (size_t i = 0; i < versions.size(); ++i) {
    c.values[versions[i]] = values[i];
    c.seals[versions[i]] = t->tenant->seals().Seals(versions[i]);
  }
  Storage& db = *stores_.storage;
  rocksdb::Status s = db.db()->Get(rocksdb::ReadOptions(), db.system(), ReencryptCursorKey(t->tenant->id()),
                                   &c.reencrypt_cursor);
  if (!s.IsNotFound()) TKV_RETURN_IF_ERROR(FromRocks(s, "read re-encryption cursor"));
  return c;
}

Status TenantTransferSource::End(const std::string& id) {
  MutexLock lock(mu_);
  auto it = transfers_.find(id);
  if (it == transfers_.end()) return TransferNotFound(id);
  EndLocked(it->second);
  return Status::Ok();
}

Result<std::string> TenantTransferSource::Records(const std::string& id, const crypto::SecretBytes& transfer_key) {
  TKV_ASSIGN_OR_RETURN(auto t, Find(id));
  InCall call(t->in_calls);
  if (transfer_key.size() != kTransferKeyBytes) {
    return Status::InvalidArgument("the transfer key must be 32 bytes", "bad_transfer_key");
  }
  Tenant& tenant = *t->tenant;
  const bool frozen = t->frozen.load();
  // The usage history as it is in memory now.
  stores_.registry->usage_histories().Flush({t->tenant}, stores_.clock->NowUnixMillis()).IgnoreError();
  return BuildTransferRecords(stores_, tenant, frozen, transfer_key, options_.max_records_bytes);
}

}  // namespace tenantkv::engine

#include "engine/kv/cf_tenant_store.h"

#include <rocksdb/write_batch.h>

#include <algorithm>
#include <functional>
#include <set>

#include "engine/kv/cf_tenant_store_parts.h"
#include "engine/kv/user_key.h"
#include "engine/storage/rocks_status.h"
#include "engine/storage/system_keys.h"

namespace tenantkv::engine {
namespace {

int64_t LogicalSize(std::string_view key, size_t value_size) {
  return static_cast<int64_t>(key.size() + value_size);
}

// A RocksDB snapshot of the whole DB: the tenant's column family and its
// usage record in the system column family are read at the same sequence
// number (data and usage change in one WriteBatch).
class CfSnapshot final : public StoreSnapshot {
 public:
  // `scan` bounds the iteration to the tenant's range; `prefix` is its key
  // prefix (stripped from the keys it gives).
  CfSnapshot(Storage* storage, std::shared_ptr<void> keep_open, CfHandle cf, rocksdb::ReadOptions scan,
             std::string prefix)
      : keep_open_(std::move(keep_open)), db_(storage->db()), cf_(std::move(cf)), snapshot_(storage->TakeSnapshot()), scan_(scan),
        prefix_(std::move(prefix)),
        upper_bound_(scan.iterate_upper_bound != nullptr ? scan.iterate_upper_bound->ToString() : std::string()),
        upper_bound_slice_(upper_bound_) {
    // Its own copy of the bound: the snapshot may outlive the store.
    if (scan_.iterate_upper_bound != nullptr) scan_.iterate_upper_bound = &upper_bound_slice_;
  }
  ~CfSnapshot() override { it_.reset(); }  // before the snapshot it reads

  Status Start(Storage* storage, const std::string& usage_key) {
    rocksdb::ReadOptions ro;
    ro.snapshot = snapshot_->get();
    std::string raw;
    rocksdb::Status s = db_->Get(ro, storage->system(), usage_key, &raw);
    if (s.ok() && !DecodeUsage(raw, &usage_.keys, &usage_.logical_bytes)) {
      return Status::DataLoss("usage record is malformed");
    }
    if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "read usage");
    scan_.snapshot = snapshot_->get();
    scan_.fill_cache = false;  // an export must not evict the tenants' working sets
    it_.reset(db_->NewIterator(scan_, cf_.get()));
    it_->Seek(prefix_);
    return Status::Ok();
  }

  Usage usage() const override { return usage_; }
  bool Valid() const override { return it_->Valid(); }
  void Next() override { it_->Next(); }
  std::string_view key() const override { return it_->key().ToStringView().substr(prefix_.size()); }
  std::string_view sealed() const override { return it_->value().ToStringView(); }
  Status status() const override { return FromRocks(it_->status(), "snapshot scan"); }
  Status SeekAfter(std::string_view key) override {
    const std::string target = prefix_ + std::string(key);
    for (it_->Seek(target); !key.empty() && it_->Valid() && it_->key() == rocksdb::Slice(target);) it_->Next();
    return status();
  }

 private:
  const std::shared_ptr<void> keep_open_;  // a dedicated database: kept open (first in, last out)
  rocksdb::DB* const db_;
  const CfHandle cf_;  // keeps the column family readable even if dropped meanwhile
  // Registered with the storage: a purge held back by it runs again when
  // it is released (Storage::PurgeSystemRange).
  const std::unique_ptr<Storage::Snapshot> snapshot_;
  rocksdb::ReadOptions scan_;
  const std::string prefix_;
  const std::string upper_bound_;
  const rocksdb::Slice upper_bound_slice_;
  std::unique_ptr<rocksdb::Iterator> it_;
  Usage usage_;
};

}  // namespace


rocksdb::ReadOptions CfTenantStore::ScanOptions() const {
  rocksdb::ReadOptions ro;
  ro.fill_cache = options_.scan_fill_cache;
  if (options_.key_prefix.empty()) {
    ro.total_order_seek = true;
  } else {
    // Every seek of the store targets a key of its own range, so the
    // prefix of the target is the tenant's: the prefix filters apply.
    ro.prefix_same_as_start = true;
    if (!upper_bound_.empty()) ro.iterate_upper_bound = &upper_bound_slice_;
  }
  return ro;
}

Result<std::unique_ptr<StoreSnapshot>> CfTenantStore::Snapshot() {
  // Counted while it is taken only: it reads at its own sequence number,
  // before the range delete that empties the column family, so it never
  // sees what a next owner writes.
  ScopedOp op(*this);
  TKV_RETURN_IF_ERROR(op.status());
  auto snap = std::make_unique<CfSnapshot>(storage_, keep_open_, options_.cf, ScanOptions(), options_.key_prefix);
  TKV_RETURN_IF_ERROR(snap->Start(storage_, options_.usage_key));
  return std::unique_ptr<StoreSnapshot>(std::move(snap));
}

CfTenantStore::CfTenantStore(Storage* storage, const Keyring* keyring, const Clock* clock,
                             CfTenantStoreOptions options)
    : storage_(storage),
      keyring_(keyring),
      clock_(clock),
      keep_open_(std::move(options.keep_open)),
      options_(std::move(options)),
      upper_bound_(KeyPrefixSuccessor(options_.key_prefix)),
      upper_bound_slice_(upper_bound_),
      stripe_count_(std::max<size_t>(1, options_.stripes)),
      stripes_(new Mutex[stripe_count_]),
      keys_(options_.initial_usage.keys),
      bytes_(options_.initial_usage.logical_bytes) {}

Mutex& CfTenantStore::StripeFor(std::string_view key) {
  return stripes_[std::hash<std::string_view>()(key) % stripe_count_];
}

Result<CfTenantStore::Stored> CfTenantStore::MakeStored(std::string sealed) {
  TKV_ASSIGN_OR_RETURN(EnvelopeHeader h, ParseEnvelope(sealed));
  Stored st;
  st.key_version = h.key_version;
  st.value_size = h.value_size;
  st.has_expiry = h.has_expiry();
  st.etag = EnvelopeEtag(h);
  st.sealed = std::move(sealed);
  return st;
}

Result<std::optional<CfTenantStore::Stored>> CfTenantStore::ReadStored(std::string_view key) {
  std::string sealed;
  rocksdb::Status s =
      storage_->db()->Get(rocksdb::ReadOptions(), options_.cf.get(), PhysKey(*this, key).slice(), &sealed);
  if (s.IsNotFound()) return std::optional<Stored>();
  TKV_RETURN_IF_ERROR(FromRocks(s, "read value"));
  TKV_ASSIGN_OR_RETURN(Stored st, StoredAt(key, std::move(sealed)));
  return std::optional<Stored>(std::move(st));
}

Result<CfTenantStore::Stored> CfTenantStore::StoredAt(std::string_view key, std::string sealed) {
  TKV_ASSIGN_OR_RETURN(Stored st, MakeStored(std::move(sealed)));
  if (st.has_expiry) {
    // The expiry is inside the ciphertext: opening is the only way to know it.
    std::string scratch;
    TKV_RETURN_IF_ERROR(Open(key, &st, &scratch));
  }
  return st;
}

template <typename Map, typename Fn>
Status CfTenantStore::ReadStoredSorted(Map& keys, Fn&& each) {
  // Sorted groups let RocksDB look their keys up level by level together;
  // groups are sized so that one reads at most about kReadAheadBytes ahead
  // of `each`, even if every value is as large as allowed (16 keys at
  // 1 MiB values, every key at once for small ones).
  constexpr size_t kReadAheadBytes = 16 << 20;
  const size_t group_size = std::max<size_t>(16, kReadAheadBytes / std::max<size_t>(1, MaxValueBytes()));
  std::vector<typename Map::iterator> group;
  std::vector<std::string> stored_keys;  // with the prefix, when there is one
  std::vector<rocksdb::Slice> slices;
  for (auto next = keys.begin(); next != keys.end();) {
    group.clear();
    stored_keys.clear();
    slices.clear();
    for (; next != keys.end() && group.size() < group_size; ++next) {
      group.push_back(next);
      if (!options_.key_prefix.empty()) stored_keys.push_back(options_.key_prefix + std::string(next->first));
    }
    for (size_t i = 0; i < group.size(); ++i) {
      slices.emplace_back(options_.key_prefix.empty() ? rocksdb::Slice(group[i]->first)
                                                      : rocksdb::Slice(stored_keys[i]));
    }
    std::vector<rocksdb::PinnableSlice> values(slices.size());
    std::vector<rocksdb::Status> statuses(slices.size());
    storage_->db()->MultiGet(rocksdb::ReadOptions(), options_.cf.get(), slices.size(), slices.data(),
                             values.data(), statuses.data(), /*sorted_input=*/true);
    for (size_t i = 0; i < group.size(); ++i) {
      std::optional<Stored> st;
      if (!statuses[i].IsNotFound()) {
        TKV_RETURN_IF_ERROR(FromRocks(statuses[i], "read value"));
        TKV_ASSIGN_OR_RETURN(st, StoredAt(group[i]->first, values[i].ToString()));
        values[i].Reset();
      }
      TKV_RETURN_IF_ERROR(each(*group[i], std::move(st)));
    }
  }
  return Status::Ok();
}

Status CfTenantStore::Open(std::string_view key, Stored* stored, std::string* value) {
  KeyPtr k = keyring_->Get(stored->key_version);
  if (k == nullptr) {
    if (keyring_->Knows(stored->key_version)) {  // evicted, and loading it again failed
      return Status::Unavailable("the value's data key cannot be loaded now", "key_unavailable");
    }
    return Status::DataLoss("value is sealed under a data key that no longer exists", "key_destroyed");
  }
  return OpenValue(*k, options_.tenant_id, key, stored->sealed, value, &stored->expires_at_ms);
}

Status CfTenantStore::OpenUnlocked(std::string_view key, Stored* stored, std::string* value) {
  Status s = Open(key, stored, value);
  if (s.ok() || s.reason() != "key_destroyed") return s;
  TKV_ASSIGN_OR_RETURN(auto again, ReadStored(key));
  if (!again) return Status::NotFound("no such key");
  *stored = std::move(*again);
  return Open(key, stored, value);
}

void CfTenantStore::CountMove(uint32_t old_version, uint32_t new_version, VersionDeltas* deltas) {
  if (old_version == new_version) return;
  if (old_version != 0) (*deltas)[old_version] -= 1;
  if (new_version != 0) (*deltas)[new_version] += 1;
}

Status CfTenantStore::StageVersionCounts(const VersionDeltas& deltas, rocksdb::WriteBatch* batch) {
  for (const auto& [version, delta] : deltas) {
    if (delta == 0) continue;
    TKV_RETURN_IF_ERROR(FromRocks(batch->Merge(storage_->system(), ValuesCountKey(options_.tenant_id, version),
                                               EncodeUsageDelta(delta, 0)),
                                  "stage value count"));
  }
  return Status::Ok();
}

Status CfTenantStore::Seal(std::string_view key, std::string_view value, int64_t expires_at_ms,
                           std::string* sealed) {
  auto [version, k] = keyring_->Current();
  if (k == nullptr) return Status::Unavailable("tenant has no active data key", "key_unavailable");
  if (options_.seals != nullptr) TKV_RETURN_IF_ERROR(options_.seals->Count(version));
  return SealValue(*k, version, options_.tenant_id, key, value, expires_at_ms, sealed);
}

Status CfTenantStore::CheckCondition(const WriteCondition& c,
                                     const std::optional<Stored>& current) const {
  const bool live = current.has_value() && current->live(clock_->NowUnixMillis());
  if (c.if_none_match_any && live) {
    return Status::FailedPrecondition("the key already exists (If-None-Match: *)");
  }
  if (c.if_match.has_value()) {
    if (!live) return Status::FailedPrecondition("the key does not exist (If-Match)");
    if (*c.if_match != "*" && *c.if_match != current->etag) {
      return Status::FailedPrecondition("the ETag does not match the current version (If-Match)");
    }
  }
  return Status::Ok();
}

Status CfTenantStore::Commit(rocksdb::WriteBatch* batch, int64_t delta_keys, int64_t delta_bytes) {
  if (delta_keys != 0 || delta_bytes != 0) {
    TKV_RETURN_IF_ERROR(FromRocks(batch->Merge(storage_->system(), options_.usage_key,
                                               EncodeUsageDelta(delta_keys, delta_bytes)),
                                  "stage usage"));
  }
  // Held to the end of the write: SetWriteGate and DrainWrites wait for it.
  WritersFirstReaderLock gate(gate_mu_);
  if (gate_ != nullptr) TKV_RETURN_IF_ERROR(gate_->Admit(*batch, options_.cf->GetID(), options_.key_prefix));
  // Growth is reserved before the write, so concurrent writers cannot
  // overshoot the storage quota together.
  const int64_t limit = storage_limit_.load();
  if (delta_bytes > 0) {
    const int64_t after = bytes_.fetch_add(delta_bytes) + delta_bytes;
    if (limit > 0 && after > limit && !AllowInGrace(after, limit)) {
      bytes_ -= delta_bytes;
      const bool grace = grace_pct_.load() > 0 && grace_seconds_.load() > 0;
      return Status(Code::kStorageExhausted, "storage_quota",
                    "the write would take stored bytes past storage_bytes (" + std::to_string(limit) + ")" +
                        (grace ? ", and past its grace (over the extra, or after the period)" : ""));
    }
  }
  // Every caller is an operation in flight (ScopedOp): the store is open.
  Status s = storage_->WriteData(batch);
  if (!s.ok()) {
    if (delta_bytes > 0) bytes_ -= delta_bytes;
    return s;
  }
  keys_ += delta_keys;
  if (delta_bytes <= 0) bytes_ += delta_bytes;
  if (grace_started_ms_.load(std::memory_order_relaxed) != 0) EndGraceIfBack(limit);
  return Status::Ok();
}

void CfTenantStore::Close() {
  closed_.store(true);
  if (in_flight_.load() != 0 && close_wait_hook_) close_wait_hook_();
  MutexLock lock(drain_mu_);
  while (in_flight_.load() != 0) drained_.Wait(drain_mu_);
  keep_open_.reset();  // nothing reads the place any more
}

Result<ValueRecord> CfTenantStore::Get(std::string_view key) { return Read(key, /*resident_only=*/false); }

Result<ValueRecord> CfTenantStore::GetResident(std::string_view key) { return Read(key, /*resident_only=*/true); }

Result<ValueRecord> CfTenantStore::Read(std::string_view key, bool resident_only) {
  auto would_block = [] { return Status::Unavailable("the value is not in memory", "would_block"); };
  TKV_RETURN_IF_ERROR(ValidateUserKey(key));
  ScopedOp op(*this);
  TKV_RETURN_IF_ERROR(op.status());
  if (read_hook_) {
    if (resident_only) return would_block();  // tests' hooks may block: they run in Get()
    read_hook_();
  }
  // Resident only: the memtables and the block cache, where RocksDB answers
  // Incomplete rather than read a file.
  rocksdb::ReadOptions ro;
  if (resident_only) ro.read_tier = rocksdb::kBlockCacheTier;
  std::string sealed;
  rocksdb::Status s = storage_->db()->Get(ro, options_.cf.get(), PhysKey(*this, key).slice(), &sealed);
  if (resident_only && s.IsIncomplete()) return would_block();
  if (s.IsNotFound()) return Status::NotFound("no such key");
  TKV_RETURN_IF_ERROR(FromRocks(s, "read value"));
  TKV_ASSIGN_OR_RETURN(Stored st, MakeStored(std::move(sealed)));
  ValueRecord rec;
  if (resident_only) {
    // A data key still to load (or unwrap) is a wait.
    KeyPtr k = keyring_->GetLoaded(st.key_version);
    if (k == nullptr) return would_block();
    TKV_RETURN_IF_ERROR(OpenValue(*k, options_.tenant_id, key, st.sealed, &rec.value, &st.expires_at_ms));
  } else {
    TKV_RETURN_IF_ERROR(OpenUnlocked(key, &st, &rec.value));
  }
  if (!st.live(clock_->NowUnixMillis())) {
    if (resident_only) return would_block();  // deleting it writes
    DeleteIfStillExpired(key).IgnoreError();  // best effort; the read finds nothing regardless
    return Status::NotFound("no such key");
  }
  rec.etag = std::move(st.etag);
  rec.expires_at_ms = st.expires_at_ms;
  return rec;
}

Status CfTenantStore::DeleteIfStillExpired(std::string_view key) {
  MutexLock lock(StripeFor(key));
  TKV_ASSIGN_OR_RETURN(auto current, ReadStored(key));
  if (!current || current->live(clock_->NowUnixMillis())) return Status::Ok();
  rocksdb::WriteBatch batch;
  TKV_RETURN_IF_ERROR(FromRocks(batch.Delete(options_.cf.get(), PhysKey(*this, key).slice()), "stage delete"));
  VersionDeltas deltas;
  CountMove(current->key_version, 0, &deltas);
  TKV_RETURN_IF_ERROR(StageVersionCounts(deltas, &batch));
  return Commit(&batch, -1, -LogicalSize(key, current->value_size));
}

Result<PutResult> CfTenantStore::Put(std::string_view key, std::string_view value,
                                     const PutOptions& options) {
  TKV_RETURN_IF_ERROR(ValidateUserKey(key));
  if (value.size() > MaxValueBytes()) {
    return Status::TooLarge("value is larger than max_value_bytes (" + std::to_string(MaxValueBytes()) + ")",
                            "value_too_large");
  }
  if (options.ttl_seconds < 0 || options.ttl_seconds > kMaxTtlSeconds) {
    return Status::InvalidArgument("TTL must be between 0 and 315360000 seconds (10 years)",
                                   "invalid_ttl");
  }
  const int64_t expires =
      options.ttl_seconds > 0 ? clock_->NowUnixMillis() + options.ttl_seconds * 1000 : 0;

  ScopedOp op(*this);
  TKV_RETURN_IF_ERROR(op.status());
  MutexLock lock(StripeFor(key));
  TKV_ASSIGN_OR_RETURN(auto current, ReadStored(key));
  TKV_RETURN_IF_ERROR(CheckCondition(options.condition, current));
  std::string sealed;
  TKV_RETURN_IF_ERROR(Seal(key, value, expires, &sealed));
  TKV_ASSIGN_OR_RETURN(Stored written, MakeStored(std::move(sealed)));
  rocksdb::WriteBatch batch;
  TKV_RETURN_IF_ERROR(
      FromRocks(batch.Put(options_.cf.get(), PhysKey(*this, key).slice(), written.sealed), "stage put"));
  VersionDeltas deltas;
  CountMove(current ? current->key_version : 0, written.key_version, &deltas);
  TKV_RETURN_IF_ERROR(StageVersionCounts(deltas, &batch));
  const int64_t old_size = current ? LogicalSize(key, current->value_size) : 0;
  TKV_RETURN_IF_ERROR(Commit(&batch, current ? 0 : 1, LogicalSize(key, value.size()) - old_size));
  PutResult r;
  r.created = !current || !current->live(clock_->NowUnixMillis());
  r.etag = std::move(written.etag);
  return r;
}

Status CfTenantStore::Delete(std::string_view key, const WriteCondition& condition) {
  TKV_RETURN_IF_ERROR(ValidateUserKey(key));
  ScopedOp op(*this);
  TKV_RETURN_IF_ERROR(op.status());
  MutexLock lock(StripeFor(key));
  TKV_ASSIGN_OR_RETURN(auto current, ReadStored(key));
  if (!current) return Status::NotFound("no such key");
  const bool live = current->live(clock_->NowUnixMillis());
  if (live) TKV_RETURN_IF_ERROR(CheckCondition(condition, current));
  rocksdb::WriteBatch batch;
  TKV_RETURN_IF_ERROR(FromRocks(batch.Delete(options_.cf.get(), PhysKey(*this, key).slice()), "stage delete"));
  VersionDeltas deltas;
  CountMove(current->key_version, 0, &deltas);
  TKV_RETURN_IF_ERROR(StageVersionCounts(deltas, &batch));
  TKV_RETURN_IF_ERROR(Commit(&batch, -1, -LogicalSize(key, current->value_size)));
  return live ? Status::Ok() : Status::NotFound("no such key");
}

Result<ListPage> CfTenantStore::List(const ListRequest& req) {
  if (req.limit == 0 || req.limit > kMaxListLimit) {
    return Status::InvalidArgument("limit must be between 1 and 1000", "invalid_limit");
  }
  ScopedOp op(*this);
  TKV_RETURN_IF_ERROR(op.status());
  if (read_hook_) read_hook_();
  std::unique_ptr<rocksdb::Iterator> it(storage_->db()->NewIterator(ScanOptions(), options_.cf.get()));
  const PhysKey stored_prefix(*this, req.prefix);
  if (req.start_after && *req.start_after >= req.prefix) {
    const PhysKey from(*this, *req.start_after);
    it->Seek(from.slice());
    if (it->Valid() && it->key() == from.slice()) it->Next();
  } else {
    it->Seek(stored_prefix.slice());
  }
  const int64_t now = clock_->NowUnixMillis();
  ListPage page;
  uint64_t value_bytes = 0;  // of the items so far, with values
  std::string value;
  for (; it->Valid() && it->key().starts_with(stored_prefix.slice()); it->Next()) {
    if (page.items.size() == req.limit) {
      page.next = page.items.back().key;
      break;
    }
    std::string_view key = UserKey(it->key().ToStringView());
    if (req.with_values && req.max_value_bytes > 0 && !page.items.empty()) {
      // Sized from the envelope's header, before anything is copied or opened.
      TKV_ASSIGN_OR_RETURN(EnvelopeHeader h, ParseEnvelope(it->value().ToStringView()));
      if (value_bytes + h.value_size > req.max_value_bytes) {
        page.next = page.items.back().key;
        break;
      }
    }
    TKV_ASSIGN_OR_RETURN(Stored st, MakeStored(it->value().ToString()));
    page.scanned_bytes += key.size() + st.sealed.size();
    if (req.with_values || st.has_expiry) {
      Status opened = OpenUnlocked(key, &st, &value);
      if (opened.code() == Code::kNotFound) continue;  // deleted meanwhile
      TKV_RETURN_IF_ERROR(opened);
      if (!st.live(now)) continue;
    }
    ListItem item;
    item.key.assign(key);
    item.size = st.value_size;
    item.etag = std::move(st.etag);
    if (req.with_values) {
      value_bytes += value.size();
      item.value = std::move(value);
    }
    page.items.push_back(std::move(item));
  }
  TKV_RETURN_IF_ERROR(FromRocks(it->status(), "list"));
  return page;
}

Result<std::vector<BatchOpResult>> CfTenantStore::Batch(const std::vector<BatchOp>& ops,
                                                         const BatchLimits& limits) {
  if (ops.empty() || ops.size() > kMaxBatchOps) {
    return Status::InvalidArgument("a batch holds 1 to 1000 ops", "invalid_batch");
  }
  std::set<size_t> stripe_ids;
  for (size_t i = 0; i < ops.size(); ++i) {
    Status s = ValidateUserKey(ops[i].key);
    if (s.ok() && ops[i].type == BatchOpType::kPut && ops[i].value.size() > MaxValueBytes()) {
      s = Status::TooLarge("value is larger than max_value_bytes", "value_too_large");
    }
    if (!s.ok()) return Status(s.code(), s.reason(), "op " + std::to_string(i) + ": " + s.message());
    stripe_ids.insert(&StripeFor(ops[i].key) - stripes_.get());
  }
  ScopedOp op(*this);
  TKV_RETURN_IF_ERROR(op.status());
  // Lock stripes in index order: no deadlock with other batches.
  StripeLocks locks(stripes_.get(), stripe_ids);

  const int64_t now = clock_->NowUnixMillis();
  struct KeyState {
    int64_t initial_size = -1;  // logical size stored before the batch; -1 absent
    uint32_t initial_version = 0;  // data-key version stored before the batch
    std::optional<Stored> current;  // live value as the batch sees it
    bool dirty = false;
    size_t stored_gets = 0;  // gets that read the value stored before the batch
  };
  std::map<std::string, KeyState, std::less<>> state;
  // The bytes the gets will return, bounded before any value is opened: a
  // get after a put or delete of its key in this batch answers that put's
  // value (or nothing), known now; the others answer the stored value,
  // counted as it is read, so reading stops at the bound.
  uint64_t get_bytes = 0;
  {
    std::map<std::string_view, std::optional<size_t>> written;  // nullopt: deleted
    for (const BatchOp& op : ops) {
      KeyState& ks = state.try_emplace(op.key).first->second;
      auto w = written.find(op.key);
      if (op.type != BatchOpType::kGet) {
        written[op.key] = op.type == BatchOpType::kPut ? std::optional<size_t>(op.value.size()) : std::nullopt;
      } else if (w == written.end()) {
        ++ks.stored_gets;
      } else {
        get_bytes += w->second.value_or(0);
      }
    }
  }
  const uint64_t bound = limits.max_get_bytes;
  auto past_bound = [&]() -> Status {
    if (bound == 0 || get_bytes <= bound) return Status::Ok();
    return Status::TooLarge("the batch's gets would return more than " + std::to_string(bound) +
                                " bytes of values, the bound of one answer",
                            "response_too_large");
  };
  TKV_RETURN_IF_ERROR(past_bound());
  TKV_RETURN_IF_ERROR(ReadStoredSorted(state, [&](auto& entry, std::optional<Stored> st) -> Status {
    KeyState& ks = entry.second;
    if (!st) return Status::Ok();
    ks.initial_size = LogicalSize(entry.first, st->value_size);
    ks.initial_version = st->key_version;
    if (!st->live(now)) return Status::Ok();
    if (ks.stored_gets > 0) {
      get_bytes += ks.stored_gets * st->value_size;
      TKV_RETURN_IF_ERROR(past_bound());
    } else {
      // Only a get opens a stored value; a put or delete of the key needs
      // its header alone, so the sealed bytes need not stay in memory.
      std::string().swap(st->sealed);
    }
    ks.current = std::move(st);
    return Status::Ok();
  }));
  auto load = [&](const std::string& key) -> KeyState* { return &state.find(key)->second; };

  std::vector<BatchOpResult> results(ops.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    const BatchOp& op = ops[i];
    KeyState* ks = load(op.key);
    BatchOpResult& r = results[i];
    if (op.type == BatchOpType::kGet) {
      if (!ks->current) {
        r.outcome = BatchOutcome::kAbsent;
        continue;
      }
      std::string value;
      TKV_RETURN_IF_ERROR(Open(op.key, &*ks->current, &value));
      r.outcome = BatchOutcome::kFound;
      r.value = std::move(value);
      r.etag = ks->current->etag;
    } else if (op.type == BatchOpType::kDelete) {
      r.outcome = ks->current ? BatchOutcome::kDeleted : BatchOutcome::kAbsent;
      if (ks->current) ks->dirty = true;
      ks->current.reset();
    } else {
      r.outcome = ks->current ? BatchOutcome::kReplaced : BatchOutcome::kCreated;
      std::string sealed;
      TKV_RETURN_IF_ERROR(Seal(op.key, op.value, 0, &sealed));
      TKV_ASSIGN_OR_RETURN(ks->current, MakeStored(std::move(sealed)));
      r.etag = ks->current->etag;
      ks->dirty = true;
    }
  }

  rocksdb::WriteBatch batch;
  int64_t delta_keys = 0, delta_bytes = 0;
  VersionDeltas deltas;
  for (auto& [key, ks] : state) {
    if (!ks.dirty) continue;
    const int64_t before = ks.initial_size;
    CountMove(before >= 0 ? ks.initial_version : 0, ks.current ? ks.current->key_version : 0, &deltas);
    if (ks.current) {
      TKV_RETURN_IF_ERROR(
          FromRocks(batch.Put(options_.cf.get(), PhysKey(*this, key).slice(), ks.current->sealed), "stage put"));
      const int64_t after = LogicalSize(key, ks.current->value_size);
      delta_keys += before < 0 ? 1 : 0;
      delta_bytes += after - std::max<int64_t>(before, 0);
    } else if (before >= 0) {
      TKV_RETURN_IF_ERROR(FromRocks(batch.Delete(options_.cf.get(), PhysKey(*this, key).slice()), "stage delete"));
      delta_keys -= 1;
      delta_bytes -= before;
    }
  }
  if (batch.Count() > 0) {
    TKV_RETURN_IF_ERROR(StageVersionCounts(deltas, &batch));
    TKV_RETURN_IF_ERROR(Commit(&batch, delta_keys, delta_bytes));
  }
  return results;
}

Usage CfTenantStore::GetUsage() const {
  Usage u;
  u.keys = keys_.load();
  u.logical_bytes = bytes_.load();
  return u;
}

}  // namespace tenantkv::engine

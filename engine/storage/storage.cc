#include "engine/storage/storage.h"

#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/rate_limiter.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/write_buffer_manager.h>

#include <cstring>
#include <limits>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "engine/storage/charged_cache.h"
#include "engine/storage/rocks_status.h"
#include "engine/storage/system_keys.h"

namespace tenantkv::engine {
namespace {

constexpr char kSystemCf[] = "tenantkv.system";

// A purge waiting for a snapshot, persisted in the system column family:
// purge/<length of begin, decimal>:<begin><end> = "" (the two bounds may
// hold any byte, '\0' included).
std::string PendingPurgeKey(const std::string& begin, const std::string& end) {
  return kPendingPurgePrefix + std::to_string(begin.size()) + ":" + begin + end;
}

bool ParsePendingPurgeKey(std::string_view key, std::string* begin, std::string* end) {
  key.remove_prefix(sizeof(kPendingPurgePrefix) - 1);
  const size_t colon = key.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 9) return false;
  size_t length = 0;
  for (char c : key.substr(0, colon)) {
    if (c < '0' || c > '9') return false;
    length = length * 10 + static_cast<size_t>(c - '0');
  }
  key.remove_prefix(colon + 1);
  if (length > key.size()) return false;
  begin->assign(key.substr(0, length));
  end->assign(key.substr(length));
  return true;
}

// Creating a column family makes RocksDB rewrite and re-parse its OPTIONS
// file, which lists every column family: megabytes of short-lived
// allocations with thousands of tenants. glibc keeps the freed pages, so
// the server's resident memory would grow by far more than the column
// family itself. Given back after each create (a few ms, next to the
// create's own cost).
void ReturnFreedMemory() {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

class UsageAddOperator final : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice&, const rocksdb::Slice* existing, const rocksdb::Slice& value,
             std::string* new_value, rocksdb::Logger*) const override {
    int64_t k0 = 0, b0 = 0, k1 = 0, b1 = 0;
    if (existing != nullptr && !DecodeUsage(existing->ToStringView(), &k0, &b0)) return false;
    if (!DecodeUsage(value.ToStringView(), &k1, &b1)) return false;
    *new_value = EncodeUsageDelta(k0 + k1, b0 + b1);
    return true;
  }
  const char* Name() const override { return "tenantkv.UsageAdd"; }
};

}  // namespace

std::shared_ptr<rocksdb::MergeOperator> NewUsageMergeOperator() {
  return std::make_shared<UsageAddOperator>();
}

std::string EncodeUsageDelta(int64_t keys, int64_t bytes) {
  std::string out(16, '\0');
  std::memcpy(out.data(), &keys, 8);
  std::memcpy(out.data() + 8, &bytes, 8);
  return out;
}

bool DecodeUsage(std::string_view v, int64_t* keys, int64_t* bytes) {
  if (v.size() != 16) return false;
  std::memcpy(keys, v.data(), 8);
  std::memcpy(bytes, v.data() + 8, 8);
  return true;
}

rocksdb::ColumnFamilyOptions Storage::TenantCfOptions() const {
  rocksdb::ColumnFamilyOptions cf;
  cf.write_buffer_size = options_.tenant_write_buffer_bytes;
  cf.max_write_buffer_number = 3;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = block_cache_;
  table.cache_index_and_filter_blocks = true;
  // A read of a key a table file does not hold (a GET of a missing key, the
  // current-value read of a PUT creating one) skips the file on its filter
  // instead of searching its index and a data block. 10 bits a key: about
  // 1 % false positives. The filters live in the block cache, as the indexes do.
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return cf;
}

rocksdb::ColumnFamilyOptions Storage::PooledCfOptions() const {
  rocksdb::ColumnFamilyOptions cf;
  // Shared by many tenants: a larger memtable than one tenant's.
  cf.write_buffer_size = options_.tenant_write_buffer_bytes * 4;
  cf.max_write_buffer_number = 3;
  // Every key starts with its tenant's fixed-width prefix: the filters then
  // hold the prefixes too, so a tenant's scan skips the files (and the
  // memtable lookups) that hold only its neighbours.
  cf.prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(kPooledKeyPrefixBytes));
  cf.memtable_prefix_bloom_size_ratio = 0.05;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = block_cache_;
  table.cache_index_and_filter_blocks = true;
  table.whole_key_filtering = true;  // point reads, as in a tenant column family
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return cf;
}

rocksdb::ColumnFamilyOptions Storage::CfOptionsFor(const std::string& name) const {
  return name.rfind(kPooledCfNamePrefix, 0) == 0 ? PooledCfOptions() : TenantCfOptions();
}

Result<std::unique_ptr<Storage>> Storage::Open(const StorageOptions& options) {
  // Before anything opens the DB for writing: a newer directory must stay
  // as it is.
  TKV_ASSIGN_OR_RETURN(const int found, ProbeFormatVersion(options.path, kSystemCf));
  TKV_RETURN_IF_ERROR(CheckFormatVersion(options.path, found));
  std::unique_ptr<Storage> s(new Storage());
  s->options_ = options;
  // One LRU cache: the tables read through the charged wrapper (what each
  // tenant holds in it), the memtable budget reserves in it directly.
  std::shared_ptr<rocksdb::Cache> lru = NewBlockCache(options.block_cache_bytes);
  s->block_cache_ = NewChargedCache(lru);
  s->data_wo_.sync = options.sync_writes;
  s->meta_wo_.sync = true;

  rocksdb::DBOptions db_opts;
  db_opts.create_if_missing = true;
  db_opts.create_missing_column_families = true;
  db_opts.write_buffer_manager =
      std::make_shared<rocksdb::WriteBufferManager>(options.memtable_budget_bytes, lru);
  db_opts.rate_limiter.reset(rocksdb::NewGenericRateLimiter(options.compaction_rate_bytes_per_sec));
  db_opts.max_background_jobs = 2;
  db_opts.keep_log_file_num = 5;
  db_opts.max_total_wal_size = 256 << 20;
  // RocksDB loads each column family's table files at open with up to this
  // many threads, made afresh per column family: with thousands of column
  // families (one per column_family-tier tenant, each with few files)
  // creating the threads costs more than the loading.
  db_opts.max_file_opening_threads = 1;
  // A writer waiting for its write group's leader blocks at once instead of
  // spinning on sched_yield for up to 100 us first: with two cores and a
  // thread per connection, the spinning takes the CPU the leader and the
  // serving threads need (A/B, 6 runs each: PUT p99 about 9 % lower, 4 % more
  // PUT/s).
  db_opts.enable_write_thread_adaptive_yield = false;
  // The write group's leader inserts every member's batch into the
  // memtables itself, instead of waking each member to insert its own in
  // parallel and waiting for them all. On two cores the parallel inserts
  // cost more in wake-ups and context switches than they save, most with
  // --sync-writes, whose groups are large (A/B, 8 runs each: durable PUT/s
  // +24 to +35 %; PUT, GET and batch without fsync unchanged or better).
  db_opts.allow_concurrent_memtable_write = false;

  std::vector<std::string> names;
  rocksdb::Status ls = rocksdb::DB::ListColumnFamilies(db_opts, options.path, &names);
  if (!ls.ok()) names.clear();  // a new DB: nothing listed yet

  rocksdb::ColumnFamilyOptions system_opts = s->TenantCfOptions();
  system_opts.merge_operator = NewUsageMergeOperator();
  // Small records only; stored uncompressed so that a purge of wrapped keys
  // can be checked by scanning the files (compression hides the bytes).
  system_opts.compression = rocksdb::kNoCompression;
  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  descs.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
  descs.emplace_back(kSystemCf, system_opts);
  for (const auto& n : names) {
    if (n != rocksdb::kDefaultColumnFamilyName && n != kSystemCf) {
      descs.emplace_back(n, s->CfOptionsFor(n));
    }
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  TKV_RETURN_IF_ERROR(FromRocks(rocksdb::DB::Open(db_opts, options.path, descs, &handles, &raw),
                                "open RocksDB at " + options.path));
  s->db_.reset(raw);
  if (options.sync_writes) {
    s->group_commit_ = std::make_unique<GroupCommit>(raw, s->data_wo_, options.group_commit_max_delay_us);
  }
  // The default column family is unused; RocksDB requires it to exist.
  s->Wrap(handles[0]);
  s->system_ = s->Wrap(handles[1]);
  {
    MutexLock lock(s->mu_);  // uncontended (nobody else has `s` yet), taken for the analysis
    for (size_t i = 2; i < handles.size(); ++i) s->live_[descs[i].name] = s->Wrap(handles[i]);
  }
  TKV_ASSIGN_OR_RETURN(s->format_, MigrateFormat(s->db_.get(), s->system_.get(), found,
                                                  options.after_migration_step_for_test));
  TKV_RETURN_IF_ERROR(s->LoadPendingPurges());
  return s;
}

Status Storage::WriteData(rocksdb::WriteBatch* batch) {
  if (group_commit_) return group_commit_->Write(batch);
  return FromRocks(db()->Write(data_wo_, batch), "write");
}

Storage::~Storage() {
  group_commit_.reset();
  {
    MutexLock lock(mu_);
    live_.clear();
  }
  system_.reset();
  if (db_) db_->Close().PermitUncheckedError();
}

CfHandle Storage::Wrap(rocksdb::ColumnFamilyHandle* h) {
  rocksdb::DB* db = db_.get();
  return CfHandle(h, [db](rocksdb::ColumnFamilyHandle* p) {
    db->DestroyColumnFamilyHandle(p).PermitUncheckedError();
  });
}

CfHandle Storage::Find(const std::string& name) const {
  MutexLock lock(mu_);
  auto it = live_.find(name);
  return it == live_.end() ? nullptr : it->second;
}

std::vector<std::string> Storage::ColumnFamilyNames() const {
  MutexLock lock(mu_);
  std::vector<std::string> out;
  for (const auto& [name, handle] : live_) out.push_back(name);
  return out;
}

Result<CfHandle> Storage::CreateColumnFamily(const std::string& name) {
  rocksdb::ColumnFamilyHandle* h = nullptr;
  TKV_RETURN_IF_ERROR(FromRocks(db_->CreateColumnFamily(CfOptionsFor(name), name, &h),
                                "create column family"));
  CfHandle handle = Wrap(h);
  {
    MutexLock lock(mu_);
    live_[name] = handle;
  }
  ReturnFreedMemory();
  return handle;
}

Status Storage::CreateColumnFamilies(const std::vector<std::string>& names) {
  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  for (const auto& n : names) descs.emplace_back(n, CfOptionsFor(n));
  std::vector<rocksdb::ColumnFamilyHandle*> hs;
  rocksdb::Status rs = db_->CreateColumnFamilies(descs, &hs);
  // On failure RocksDB may still have made some of them: keep those too.
  {
    MutexLock lock(mu_);
    for (auto* h : hs) live_[h->GetName()] = Wrap(h);
  }
  ReturnFreedMemory();
  return FromRocks(rs, "create column families");
}

Status Storage::IngestFiles(const CfHandle& cf, const std::vector<std::string>& sst_files) {
  if (sst_files.empty()) return Status::Ok();
  rocksdb::IngestExternalFileOptions io;
  io.move_files = true;
  io.verify_checksums_before_ingest = true;
  return FromRocks(db_->IngestExternalFile(cf.get(), sst_files, io), "ingest imported files");
}

Status Storage::DropColumnFamily(const CfHandle& handle) {
  {
    MutexLock lock(mu_);
    live_.erase(handle->GetName());
  }
  return FromRocks(db_->DropColumnFamily(handle.get()), "drop column family");
}

Status Storage::CompactRange(const CfHandle& cf, const std::string& begin, const std::string& end) {
  rocksdb::CompactRangeOptions co;
  co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  rocksdb::Slice b(begin), e(end);
  return FromRocks(db_->CompactRange(co, cf.get(), &b, &e), "compact range");
}

std::unique_ptr<Storage::Snapshot> Storage::TakeSnapshot() {
  // Taken and registered under the lock, so a purge that finds no older
  // snapshot registered can rely on every later one being newer than it.
  MutexLock lock(snapshot_mu_);
  const rocksdb::Snapshot* s = db_->GetSnapshot();
  snapshots_.insert(s->GetSequenceNumber());
  return std::unique_ptr<Snapshot>(new Snapshot(this, s));
}

Storage::Snapshot::~Snapshot() { storage_->Release(snapshot_); }

void Storage::Release(const rocksdb::Snapshot* snapshot) {
  const rocksdb::SequenceNumber seq = snapshot->GetSequenceNumber();
  db_->ReleaseSnapshot(snapshot);
  {
    MutexLock lock(snapshot_mu_);
    snapshots_.erase(snapshots_.find(seq));
  }
  if (pending_purge_count_.load() == 0) return;
  MutexLock purge(purge_mu_);
  // A failure stays pending: retried at the next release, purge or start.
  RunDuePurges().IgnoreError();
}

rocksdb::SequenceNumber Storage::OldestSnapshot() const {
  MutexLock lock(snapshot_mu_);
  return snapshots_.empty() ? std::numeric_limits<rocksdb::SequenceNumber>::max() : *snapshots_.begin();
}

Status Storage::CompactSystemRange(const std::string& begin, const std::string& end) {
  TKV_RETURN_IF_ERROR(Flush());
  rocksdb::CompactRangeOptions co;
  co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  rocksdb::Slice b(begin), e(end);
  TKV_RETURN_IF_ERROR(FromRocks(db_->CompactRange(co, system_.get(), &b, &e), "compact system range"));
  return FromRocks(db_->FlushWAL(true), "sync WAL");
}

Status Storage::PurgeSystemRange(const std::string& begin, const std::string& end) {
  MutexLock purge(purge_mu_);
  // The deletes committed before this call, so at or below this number.
  const rocksdb::SequenceNumber after = db_->GetLatestSequenceNumber();
  if (OldestSnapshot() < after) {
    TKV_RETURN_IF_ERROR(FromRocks(db_->Put(meta_wo_, system_.get(), PendingPurgeKey(begin, end), ""),
                                  "record pending purge"));
    pending_purges_.push_back({begin, end, after});
    pending_purge_count_ = pending_purges_.size();
  }
  // Now in any case: the flush takes the records out of the WAL.
  TKV_RETURN_IF_ERROR(CompactSystemRange(begin, end));
  return RunDuePurges();
}

Status Storage::RunDuePurges() {
  const rocksdb::SequenceNumber oldest = OldestSnapshot();
  Status first = Status::Ok();
  for (auto it = pending_purges_.begin(); it != pending_purges_.end();) {
    if (oldest < it->after) {
      ++it;
      continue;
    }
    Status s = CompactSystemRange(it->begin, it->end);
    if (s.ok()) {
      s = FromRocks(db_->Delete(meta_wo_, system_.get(), PendingPurgeKey(it->begin, it->end)),
                    "remove pending purge");
    }
    if (!s.ok()) {
      if (first.ok()) first = s;
      ++it;
      continue;
    }
    it = pending_purges_.erase(it);
  }
  pending_purge_count_ = pending_purges_.size();
  return first;
}

Status Storage::LoadPendingPurges() {
  MutexLock purge(purge_mu_);
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), system_.get()));
    for (it->Seek(kPendingPurgePrefix); it->Valid() && it->key().starts_with(kPendingPurgePrefix); it->Next()) {
      PendingPurge p;
      if (!ParsePendingPurgeKey(it->key().ToStringView(), &p.begin, &p.end)) {
        return Status::DataLoss("pending purge record is malformed");
      }
      pending_purges_.push_back(std::move(p));
    }
    TKV_RETURN_IF_ERROR(FromRocks(it->status(), "load pending purges"));
  }
  pending_purge_count_ = pending_purges_.size();
  return RunDuePurges();
}

StorageStats Storage::Stats() const {
  StorageStats st;
  uint64_t v = 0;
  if (db_->GetAggregatedIntProperty(rocksdb::DB::Properties::kCurSizeAllMemTables, &v)) st.memtable_bytes = v;
  if (db_->GetAggregatedIntProperty(rocksdb::DB::Properties::kEstimatePendingCompactionBytes, &v)) {
    st.pending_compaction_bytes = v;
  }
  if (db_->GetIntProperty(rocksdb::DB::Properties::kActualDelayedWriteRate, &v)) st.delayed_write_rate = v;
  if (db_->GetIntProperty(rocksdb::DB::Properties::kIsWriteStopped, &v)) st.write_stopped = v != 0;
  st.block_cache_usage_bytes = block_cache_ ? block_cache_->GetUsage() : 0;
  st.pending_purges = pending_purge_count_.load();
  if (group_commit_) st.durable_writes = group_commit_->stats();
  MutexLock lock(mu_);
  st.column_families = live_.size() + 2;  // + the default and the system column family
  return st;
}

Status Storage::Flush() {
  rocksdb::FlushOptions fo;
  std::vector<rocksdb::ColumnFamilyHandle*> all{system_.get()};
  {
    MutexLock lock(mu_);
    for (const auto& [name, h] : live_) all.push_back(h.get());
  }
  return FromRocks(db_->Flush(fo, all), "flush");
}

}  // namespace tenantkv::engine

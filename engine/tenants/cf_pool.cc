#include "engine/tenants/cf_pool.h"

#include <chrono>

#include "crypto/random.h"
#include "engine/kv/kv_types.h"
#include "engine/storage/rocks_status.h"
#include "engine/storage/system_keys.h"

namespace tenantkv::engine {
namespace {

constexpr char kSpare[] = "spare";
constexpr char kRecycling[] = "recycling";

std::string RecordKey(const std::string& name) { return kCfPoolPrefix + name; }

// Past every user key: keys are at most kMaxKeyBytes bytes, and a longer
// run of 0xff sorts after all of them under the bytewise comparator.
const std::string& EndOfKeys() {
  static const std::string end(kMaxKeyBytes + 1, '\xff');
  return end;
}

}  // namespace

Result<std::unique_ptr<ColumnFamilyPool>> ColumnFamilyPool::Open(Storage* storage, std::string prefix,
                                                                 const std::set<std::string>& owned,
                                                                 CfPoolOptions options) {
  if (options.low_water > options.target_spares) options.low_water = options.target_spares;
  std::unique_ptr<ColumnFamilyPool> pool(new ColumnFamilyPool(storage, std::move(prefix), options));
  TKV_RETURN_IF_ERROR(pool->Load(owned));
  // Start-up: nobody is served yet, so a batch of creations stalls no one.
  const size_t have = pool->stats().spares;
  if (have < options.target_spares) TKV_RETURN_IF_ERROR(pool->Refill(options.target_spares - have));
  if (options.background) pool->thread_ = std::thread([p = pool.get()] { p->Run(); });
  return pool;
}

ColumnFamilyPool::~ColumnFamilyPool() {
  {
    MutexLock lock(mu_);
    stop_ = true;
  }
  wake_.SignalAll();
  if (thread_.joinable()) thread_.join();
}

Status ColumnFamilyPool::Load(const std::set<std::string>& owned) {
  std::deque<std::string> spares;
  std::deque<std::string> recycling;
  std::set<std::string> pooled;
  rocksdb::WriteBatch stale;
  {
    std::unique_ptr<rocksdb::Iterator> it(
        storage_->db()->NewIterator(rocksdb::ReadOptions(), storage_->system()));
    for (it->Seek(kCfPoolPrefix); it->Valid() && it->key().starts_with(kCfPoolPrefix); it->Next()) {
      std::string name = it->key().ToString().substr(sizeof(kCfPoolPrefix) - 1);
      if (storage_->Find(name) == nullptr || owned.count(name) != 0) {
        // A record without its column family, or one a tenant owns: the
        // record is what is stale (the owner's batch removes it).
        TKV_RETURN_IF_ERROR(FromRocks(stale.Delete(storage_->system(), it->key()), "stage"));
        continue;
      }
      pooled.insert(name);
      if (it->value() == kSpare) {
        spares.push_back(name);
      } else {
        recycling.push_back(name);
      }
    }
    TKV_RETURN_IF_ERROR(FromRocks(it->status(), "load column family pool"));
  }
  if (stale.Count() > 0) {
    TKV_RETURN_IF_ERROR(FromRocks(storage_->db()->Write(storage_->meta_write_options(), &stale),
                                  "drop stale pool records"));
  }
  // A tenant column family nobody owns: a create that crashed before its
  // tenant record was written, or a delete that crashed before its range
  // delete. Either way its contents are not wanted.
  for (const auto& name : storage_->ColumnFamilyNames()) {
    if (name.rfind(prefix_, 0) != 0 || owned.count(name) != 0 || pooled.count(name) != 0) continue;
    rocksdb::WriteBatch batch;
    TKV_RETURN_IF_ERROR(StageRecycle(name, &batch));
    TKV_RETURN_IF_ERROR(FromRocks(storage_->db()->Write(storage_->meta_write_options(), &batch),
                                  "adopt column family"));
    recycling.push_back(name);
  }
  MutexLock lock(mu_);  // uncontended (Open runs it), taken for the analysis
  spares_ = std::move(spares);
  recycling_ = std::move(recycling);
  return Status::Ok();
}

Status ColumnFamilyPool::Refill(size_t want) {
  if (want == 0) return Status::Ok();
  std::vector<std::string> names;
  names.reserve(want);
  for (size_t i = 0; i < want; ++i) {
    TKV_ASSIGN_OR_RETURN(std::string suffix, crypto::RandomHex(8));
    names.push_back(prefix_ + "_" + suffix);
  }
  // One OPTIONS rewrite for the whole batch. A crash after this line leaves
  // column families without records: adopted at the next start.
  TKV_RETURN_IF_ERROR(storage_->CreateColumnFamilies(names));
  rocksdb::WriteBatch batch;
  for (const auto& n : names) {
    TKV_RETURN_IF_ERROR(FromRocks(batch.Put(storage_->system(), RecordKey(n), kSpare), "stage"));
  }
  TKV_RETURN_IF_ERROR(FromRocks(storage_->db()->Write(storage_->meta_write_options(), &batch),
                                "record spare column families"));
  MutexLock lock(mu_);
  for (auto& n : names) spares_.push_back(std::move(n));
  stats_.created += want;
  stats_.refills += 1;
  return Status::Ok();
}

Result<ColumnFamilyPool::Lease> ColumnFamilyPool::Take() {
  {
    MutexLock lock(mu_);
    if (!spares_.empty()) {
      Lease lease;
      lease.name = std::move(spares_.front());
      spares_.pop_front();
      if (spares_.size() < options_.low_water) {
        kick_ = true;
        wake_.SignalAll();
      }
      lease.cf = storage_->Find(lease.name);
      if (lease.cf == nullptr) return Status::Internal("pooled column family " + lease.name + " is gone");
      return lease;
    }
    stats_.sync_creates += 1;
    kick_ = true;
    wake_.SignalAll();
  }
  // The pool ran dry: make one now, on this caller's path.
  TKV_ASSIGN_OR_RETURN(std::string suffix, crypto::RandomHex(8));
  Lease lease;
  lease.name = prefix_ + "_" + suffix;
  TKV_RETURN_IF_ERROR(storage_->CreateColumnFamilies({lease.name}));
  lease.cf = storage_->Find(lease.name);
  MutexLock lock(mu_);
  stats_.created += 1;
  return lease;
}

void ColumnFamilyPool::Stage(const Lease& lease, rocksdb::WriteBatch* batch) const {
  batch->Delete(storage_->system(), RecordKey(lease.name)).PermitUncheckedError();
}

void ColumnFamilyPool::Return(Lease lease) {
  // The record may be missing (a lease made on the caller's path).
  Status s = FromRocks(storage_->db()->Put(storage_->meta_write_options(), storage_->system(),
                                           RecordKey(lease.name), kSpare),
                       "return spare column family");
  MutexLock lock(mu_);
  // Without its record it is adopted again at the next start.
  if (s.ok()) spares_.push_front(std::move(lease.name));
}

Status ColumnFamilyPool::StageRecycle(const std::string& name, rocksdb::WriteBatch* batch) const {
  CfHandle cf = storage_->Find(name);
  if (cf == nullptr) return Status::Internal("column family " + name + " is gone");
  TKV_RETURN_IF_ERROR(FromRocks(batch->DeleteRange(cf.get(), "", EndOfKeys()), "stage range delete"));
  return FromRocks(batch->Put(storage_->system(), RecordKey(name), kRecycling), "stage");
}

void ColumnFamilyPool::Recycling(const std::string& name) {
  MutexLock lock(mu_);
  recycling_.push_back(name);
  kick_ = true;
  wake_.SignalAll();
}

Status ColumnFamilyPool::FinishRecycle(const std::string& name) {
  CfHandle cf = storage_->Find(name);
  if (cf == nullptr) return Status::Internal("column family " + name + " is gone");
  rocksdb::CompactRangeOptions co;
  co.exclusive_manual_compaction = false;  // automatic compactions go on meanwhile
  co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  TKV_RETURN_IF_ERROR(FromRocks(storage_->db()->CompactRange(co, cf.get(), nullptr, nullptr),
                                "compact recycled column family"));
  // Belt and braces: the store is closed before its range delete, so
  // nothing should be left; if something is, delete and compact again.
  std::unique_ptr<rocksdb::Iterator> it(storage_->db()->NewIterator(rocksdb::ReadOptions(), cf.get()));
  it->SeekToFirst();
  TKV_RETURN_IF_ERROR(FromRocks(it->status(), "check recycled column family"));
  if (it->Valid()) {
    rocksdb::WriteBatch again;
    TKV_RETURN_IF_ERROR(StageRecycle(name, &again));
    TKV_RETURN_IF_ERROR(FromRocks(storage_->db()->Write(storage_->meta_write_options(), &again), "recycle"));
    return Status::Unavailable("column family " + name + " was written after its range delete; retrying");
  }
  TKV_RETURN_IF_ERROR(FromRocks(storage_->db()->Put(storage_->meta_write_options(), storage_->system(),
                                                    RecordKey(name), kSpare),
                                "record spare column family"));
  MutexLock lock(mu_);
  spares_.push_back(name);
  stats_.recycled += 1;
  return Status::Ok();
}

Status ColumnFamilyPool::Maintain() {
  MutexLock work(work_mu_);
  Status first = Status::Ok();
  for (;;) {
    std::string name;
    {
      MutexLock lock(mu_);
      if (recycling_.empty()) break;
      name = std::move(recycling_.front());
      recycling_.pop_front();
    }
    Status s = FinishRecycle(name);
    if (!s.ok()) {
      MutexLock lock(mu_);
      recycling_.push_back(name);  // tried again on the next round
      if (first.ok()) first = s;
      break;
    }
  }
  size_t spares;
  {
    MutexLock lock(mu_);
    spares = spares_.size();
  }
  if (spares < options_.low_water) {
    Status s = Refill(options_.target_spares - spares);
    if (first.ok()) first = s;
  }
  return first;
}

void ColumnFamilyPool::Run() {
  MutexLock lock(mu_);
  while (!stop_) {
    // Recycling left over from a failed round is retried every few seconds.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!stop_ && !kick_) {
      if (!wake_.WaitUntil(mu_, deadline)) break;
    }
    if (stop_) break;
    const bool work = kick_ || !recycling_.empty();
    kick_ = false;
    if (!work) continue;
    lock.Unlock();
    Maintain().IgnoreError();  // a failure stays queued; the pool reports it in stats
    lock.Lock();
  }
}

CfPoolStats ColumnFamilyPool::stats() const {
  MutexLock lock(mu_);
  CfPoolStats s = stats_;
  s.spares = spares_.size();
  s.recycling = recycling_.size();
  return s;
}

}  // namespace tenantkv::engine

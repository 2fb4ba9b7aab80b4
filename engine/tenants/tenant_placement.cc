#include "engine/tenants/tenant_placement.h"

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <system_error>
#include <utility>

#include "engine/storage/rocks_status.h"
#include "engine/storage/system_keys.h"

namespace tenantkv::engine {
namespace {

constexpr char kCfPrefix[] = "t.";
constexpr char kCfPlace[] = "cf:";
constexpr char kPoolPlace[] = "pool:";
constexpr char kDedicatedPlace[] = "ded:";
// The column family of a dedicated database that holds the tenant's data.
constexpr char kDedicatedCf[] = "t.data";
// Prefixes reserved by one synced write of the mark.
constexpr uint64_t kPrefixBlock = 256;

// The column family a place name names, or "" for another kind of place.
std::string CfNameOf(const std::string& place) {
  return place.rfind(kCfPlace, 0) == 0 ? place.substr(3) : std::string();
}

bool IsPooled(const std::string& place) { return place.rfind(kPoolPlace, 0) == 0; }
bool IsDedicated(const std::string& place) { return place.rfind(kDedicatedPlace, 0) == 0; }

std::string Hex16(uint64_t counter) {
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(counter));
  return hex;
}

// Creates `dir` (and missing parents) if it is missing, mode 0700: it holds
// tenants' databases, and may be outside the (0700) data directory.
Status MakePrivateDir(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return Status::Ok();
  if (!fs::create_directories(dir, ec) && ec) return Status::Internal("create " + dir + ": " + ec.message());
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  if (ec) return Status::Internal("make " + dir + " 0700: " + ec.message());
  return Status::Ok();
}

// "ded:<16 lowercase hex>".
bool WellFormedDedicated(const std::string& place) {
  const std::string hex = place.substr(sizeof(kDedicatedPlace) - 1);
  return IsDedicated(place) && hex.size() == 16 && hex.find_first_not_of("0123456789abcdef") == std::string::npos;
}

std::string PooledCfName(size_t index) { return kPooledCfNamePrefix + std::to_string(index); }

std::string EncodePrefix(uint64_t counter) {
  std::string out(kPooledKeyPrefixBytes, '\0');
  for (size_t i = 0; i < kPooledKeyPrefixBytes; ++i) {
    out[kPooledKeyPrefixBytes - 1 - i] = static_cast<char>((counter >> (8 * i)) & 0xff);
  }
  return out;
}

std::string PooledPlaceName(const std::string& cf_name, uint64_t counter) {
  return kPoolPlace + cf_name + "/" + Hex16(counter);
}

// "pool:<cf>/<16 hex>" -> column family name and key prefix.
Status ParsePooled(const std::string& place, std::string* cf_name, std::string* prefix) {
  const size_t slash = place.rfind('/');
  const size_t begin = sizeof(kPoolPlace) - 1;
  if (slash == std::string::npos || slash <= begin || place.size() - slash - 1 != 16) {
    return Status::DataLoss("malformed pooled placement '" + place + "'");
  }
  uint64_t counter = 0;
  for (char c : place.substr(slash + 1)) {
    int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (digit < 0) return Status::DataLoss("malformed pooled placement '" + place + "'");
    counter = counter << 4 | static_cast<uint64_t>(digit);
  }
  *cf_name = place.substr(begin, slash - begin);
  *prefix = EncodePrefix(counter);
  return Status::Ok();
}

ColumnFamilyPool::Lease LeaseOf(Place place) {
  return ColumnFamilyPool::Lease{CfNameOf(place.name), std::move(place.cf)};
}

}  // namespace

const char* TierName(Tier tier) {
  switch (tier) {
    case Tier::kPooled: return "pooled";
    case Tier::kDedicated: return "dedicated";
    case Tier::kColumnFamily: break;
  }
  return "column_family";
}

Result<Tier> ParseTier(std::string_view name) {
  if (name == "pooled") return Tier::kPooled;
  if (name == "column_family") return Tier::kColumnFamily;
  if (name == "dedicated") return Tier::kDedicated;
  return Status::InvalidArgument("unknown tier '" + std::string(name) + "' (pooled, column_family or dedicated)",
                                 "unknown_tier");
}

Tier TierOfPlacement(const std::string& placement) {
  if (IsPooled(placement)) return Tier::kPooled;
  return IsDedicated(placement) ? Tier::kDedicated : Tier::kColumnFamily;
}

// An open dedicated database and the handle of its data column family,
// which keeps the database open (Place::cf). Dropped from the placement's
// map when released: the database closes, and its directory is removed,
// when the last handle goes.
struct TenantPlacement::DedicatedDb {
  CfHandle data;
  Storage* storage = nullptr;
  std::shared_ptr<std::atomic<bool>> remove;  // set when released
};

Result<std::unique_ptr<TenantPlacement>> TenantPlacement::Open(Storage* storage,
                                                               const std::vector<TenantInfo>& records,
                                                               PlacementOptions options) {
  if (options.pooled_column_families == 0) {
    return Status::InvalidArgument("the pooled tier needs at least one column family");
  }
  std::set<std::string> owned_cfs, owned_dedicated;
  for (const auto& info : records) {
    if (info.state == TenantState::kDeleting || IsPooled(info.placement)) continue;
    if (IsDedicated(info.placement)) {
      owned_dedicated.insert(info.placement);
    } else {
      owned_cfs.insert(CfNameOf(info.placement));
    }
  }
  std::unique_ptr<TenantPlacement> p(new TenantPlacement(storage, std::move(options)));
  TKV_ASSIGN_OR_RETURN(p->pool_, ColumnFamilyPool::Open(storage, kCfPrefix, owned_cfs, p->options_.pool));
  TKV_RETURN_IF_ERROR(p->OpenPooled());
  // A database a moving tenant was filling is not its own yet (the move is
  // rolled back): removed too.
  TKV_RETURN_IF_ERROR(p->SweepDedicated(owned_dedicated));
  return p;
}

std::string TenantPlacement::DedicatedPath(const std::string& name) const {
  return options_.dedicated_dir + "/" + name.substr(sizeof(kDedicatedPlace) - 1);
}

Status TenantPlacement::SweepDedicated(const std::set<std::string>& owned) const {
  namespace fs = std::filesystem;
  if (options_.dedicated_dir.empty()) return Status::Ok();
  std::error_code ec;
  if (!fs::exists(options_.dedicated_dir, ec)) return Status::Ok();
  for (const auto& entry : fs::directory_iterator(options_.dedicated_dir, ec)) {
    const std::string place = kDedicatedPlace + entry.path().filename().string();
    if (!entry.is_directory(ec) || !WellFormedDedicated(place) || owned.count(place) != 0) continue;
    fs::remove_all(entry.path(), ec);
    if (ec) return Status::Internal("remove unowned dedicated database " + entry.path().string() + ": " + ec.message());
  }
  if (ec) return Status::Internal("list " + options_.dedicated_dir + ": " + ec.message());
  return Status::Ok();
}

Result<Place> TenantPlacement::Dedicated(const std::string& name, bool create) const {
  namespace fs = std::filesystem;
  if (!WellFormedDedicated(name)) return Status::DataLoss("malformed dedicated placement '" + name + "'");
  MutexLock lock(ded_mu_);
  std::shared_ptr<DedicatedDb>& slot = dedicated_[name];
  if (slot == nullptr) {
    const std::string path = DedicatedPath(name);
    std::error_code ec;
    Status s = Status::Ok();
    if (options_.dedicated_dir.empty()) {
      s = Status::FailedPrecondition("the dedicated tier has no directory on this node", "tier_not_supported");
    } else if (!create && !fs::exists(path + "/CURRENT", ec)) {
      s = Status::DataLoss("dedicated database " + path + " is missing");
    } else if (create) {
      s = MakePrivateDir(options_.dedicated_dir);
    }
    StorageOptions so = options_.dedicated;
    so.path = path;
    Result<std::unique_ptr<Storage>> opened = s.ok() ? Storage::Open(so) : Result<std::unique_ptr<Storage>>(s);
    CfHandle data;
    if (opened.ok()) {
      data = (*opened)->Find(kDedicatedCf);
      if (data == nullptr) {
        auto made = (*opened)->CreateColumnFamily(kDedicatedCf);
        if (made.ok()) data = *made;
        else opened = made.status();
      }
    }
    if (!opened.ok()) {
      dedicated_.erase(name);
      return opened.status();
    }
    auto remove = std::make_shared<std::atomic<bool>>(false);
    // Closed when the last handle goes; its directory removed then if the
    // place was released.
    std::shared_ptr<Storage> storage(opened->release(), [remove, path](Storage* st) {
      delete st;
      std::error_code rec;
      if (remove->load()) fs::remove_all(path, rec);
    });
    auto holder = std::make_shared<std::pair<std::shared_ptr<Storage>, CfHandle>>(storage, std::move(data));
    slot = std::make_shared<DedicatedDb>();
    slot->data = CfHandle(holder, holder->second.get());
    slot->storage = storage.get();
    slot->remove = std::move(remove);
  }
  Place place;
  place.name = name;
  place.cf = slot->data;
  place.db = slot->storage;
  return place;
}

std::vector<std::pair<std::string, std::shared_ptr<Storage>>> TenantPlacement::OpenDedicated() const {
  std::vector<std::pair<std::string, std::shared_ptr<Storage>>> out;
  MutexLock lock(ded_mu_);
  for (const auto& [name, db] : dedicated_) {
    // Shares the ownership of the data handle, which keeps the DB open.
    out.emplace_back(name, std::shared_ptr<Storage>(db->data, db->storage));
  }
  return out;
}

Status TenantPlacement::OpenPooled() {
  std::vector<std::string> missing;
  for (size_t i = 0; i < options_.pooled_column_families; ++i) {
    if (storage_->Find(PooledCfName(i)) == nullptr) missing.push_back(PooledCfName(i));
  }
  // One OPTIONS rewrite for all of them, before any tenant is served.
  if (!missing.empty()) TKV_RETURN_IF_ERROR(storage_->CreateColumnFamilies(missing));
  for (size_t i = 0; i < options_.pooled_column_families; ++i) {
    CfHandle cf = storage_->Find(PooledCfName(i));
    if (cf == nullptr) return Status::Internal("pooled column family " + PooledCfName(i) + " is missing");
    pooled_cfs_.push_back(std::move(cf));
  }
  std::string raw;
  rocksdb::Status s = storage_->db()->Get(rocksdb::ReadOptions(), storage_->system(), kPooledPrefixMarkKey, &raw);
  if (!s.IsNotFound()) TKV_RETURN_IF_ERROR(FromRocks(s, "read pooled prefix mark"));
  uint64_t mark = 0;
  if (s.ok()) {
    if (raw.empty() || raw.size() > 20 || raw.find_first_not_of("0123456789") != std::string::npos) {
      return Status::DataLoss("the pooled prefix mark is not a number");
    }
    mark = std::stoull(raw);
  }
  MutexLock lock(prefix_mu_);  // uncontended (not shared yet), taken for the analysis
  // Whatever was reserved before a restart may have been handed out.
  next_prefix_ = mark;
  reserved_prefixes_ = mark;
  return Status::Ok();
}

Result<uint64_t> TenantPlacement::NextPrefix() {
  MutexLock lock(prefix_mu_);
  if (next_prefix_ == reserved_prefixes_) {
    const uint64_t mark = reserved_prefixes_ + kPrefixBlock;
    TKV_RETURN_IF_ERROR(FromRocks(storage_->db()->Put(storage_->meta_write_options(), storage_->system(),
                                                      kPooledPrefixMarkKey, std::to_string(mark)),
                                  "reserve pooled prefixes"));
    reserved_prefixes_ = mark;
  }
  return next_prefix_++;
}

Result<Place> TenantPlacement::Find(const TenantInfo& info) const {
  if (IsDedicated(info.placement)) return Dedicated(info.placement, /*create=*/false);
  if (IsPooled(info.placement)) {
    Place place;
    std::string cf_name;
    TKV_RETURN_IF_ERROR(ParsePooled(info.placement, &cf_name, &place.key_prefix));
    place.cf = storage_->Find(cf_name);
    if (place.cf == nullptr) return Status::DataLoss("tenant '" + info.id + "' has no column family " + cf_name);
    place.name = info.placement;
    return place;
  }
  const std::string cf_name = CfNameOf(info.placement);
  CfHandle cf = storage_->Find(cf_name);
  if (cf == nullptr) return Status::DataLoss("tenant '" + info.id + "' has no column family " + cf_name);
  return Place{info.placement, std::move(cf), {}};
}

Result<Place> TenantPlacement::Take(Tier tier) {
  if (tier == Tier::kPooled) {
    TKV_ASSIGN_OR_RETURN(uint64_t counter, NextPrefix());
    const size_t index = counter % pooled_cfs_.size();
    return Place{PooledPlaceName(PooledCfName(index), counter), pooled_cfs_[index], EncodePrefix(counter)};
  }
  if (tier == Tier::kDedicated) {
    if (options_.dedicated_dir.empty()) {
      return Status::FailedPrecondition("the dedicated tier has no directory on this node", "tier_not_supported");
    }
    // The counter of the pooled prefixes: never reused, so neither is a
    // directory name.
    TKV_ASSIGN_OR_RETURN(uint64_t counter, NextPrefix());
    return Dedicated(kDedicatedPlace + Hex16(counter), /*create=*/true);
  }
  TKV_ASSIGN_OR_RETURN(ColumnFamilyPool::Lease lease, pool_->Take());
  return Place{kCfPlace + lease.name, std::move(lease.cf), {}};
}

void TenantPlacement::StageClaim(const Place& place, rocksdb::WriteBatch* batch) const {
  if (IsPooled(place.name) || IsDedicated(place.name)) return;  // the tenant record naming it is the claim
  pool_->Stage(ColumnFamilyPool::Lease{CfNameOf(place.name), place.cf}, batch);
}

void TenantPlacement::Return(Place place) {
  if (IsPooled(place.name)) return;  // its prefix is simply never used
  if (IsDedicated(place.name)) {
    Released(place.name);  // a database nobody else has: removed once `place` goes
    return;
  }
  pool_->Return(LeaseOf(std::move(place)));
}

Status TenantPlacement::Claim(Place& place) {
  rocksdb::WriteBatch taken;
  StageClaim(place, &taken);
  if (taken.Count() == 0) return Status::Ok();
  Status s = FromRocks(storage_->db()->Write(storage_->meta_write_options(), &taken), "take spare");
  if (!s.ok()) Return(std::move(place));
  return s;
}

Status TenantPlacement::Fill(const Place& place, const std::vector<std::string>& sst_files) {
  if (IsPooled(place.name)) {
    // Imported files hold user keys without a prefix and cannot be moved
    // into a shared column family as they are.
    return Status::FailedPrecondition("an import cannot fill a pooled place", "tier_not_supported");
  }
  return place.DbOr(storage_)->IngestFiles(place.cf, sst_files);
}

Status TenantPlacement::StageRelease(const std::string& name, rocksdb::WriteBatch* batch, bool* staged) const {
  if (IsDedicated(name)) {
    // Nothing in the node's DB: once the record no longer names it, the
    // directory is nobody's (removed by Released, or at the next open).
    *staged = true;
    return Status::Ok();
  }
  if (IsPooled(name)) {
    std::string cf_name, prefix;
    TKV_RETURN_IF_ERROR(ParsePooled(name, &cf_name, &prefix));
    CfHandle cf = storage_->Find(cf_name);
    *staged = cf != nullptr;
    if (cf == nullptr) return Status::Ok();
    return FromRocks(batch->DeleteRange(cf.get(), prefix, KeyPrefixSuccessor(prefix)), "stage range delete");
  }
  const std::string cf_name = CfNameOf(name);
  *staged = storage_->Find(cf_name) != nullptr;
  if (!*staged) return Status::Ok();
  return pool_->StageRecycle(cf_name, batch);
}

void TenantPlacement::Released(const std::string& name) {
  if (IsPooled(name)) return;
  if (IsDedicated(name)) {
    if (!WellFormedDedicated(name)) return;
    MutexLock lock(ded_mu_);
    auto it = dedicated_.find(name);
    if (it == dedicated_.end()) {
      std::error_code ec;
      std::filesystem::remove_all(DedicatedPath(name), ec);  // not open: nobody uses it
      return;
    }
    it->second->remove->store(true);
    dedicated_.erase(it);
    return;
  }
  pool_->Recycling(CfNameOf(name));
}

Status TenantPlacement::Compact(const std::string& name) {
  if (!IsPooled(name)) return Status::Ok();
  std::string cf_name, prefix;
  TKV_RETURN_IF_ERROR(ParsePooled(name, &cf_name, &prefix));
  CfHandle cf = storage_->Find(cf_name);
  if (cf == nullptr) return Status::Ok();
  return storage_->CompactRange(cf, prefix, KeyPrefixSuccessor(prefix));
}

void TenantPlacement::ReleaseNow(const std::string& name) {
  rocksdb::WriteBatch recycle;
  bool staged = false;
  if (StageRelease(name, &recycle, &staged).ok() && staged &&
      (recycle.Count() == 0 || storage_->db()->Write(storage_->meta_write_options(), &recycle).ok())) {
    Released(name);
  }
}

}  // namespace tenantkv::engine

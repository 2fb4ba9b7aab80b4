#include "server/cluster/tenant_directory.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "crypto/mutex.h"
#include "server/cluster/directory_entry.h"
#include "server/cluster/etcd_keys.h"

namespace tenantkv::server::cluster {
namespace {

using json = nlohmann::json;
using directory::BadEntry;
using directory::CheckEntry;
using directory::ValidTenantId;

// etcd refuses a txn of more than 128 operations (its --max-txn-ops
// default): a batch of key routes is 63 (the route and its index entry
// each), beside the one operation on the entry.
constexpr int64_t kRoutesPerTxn = 63;
// Entries read at once by List.
constexpr int64_t kListPage = 1000;
// A key route is written or deleted in a txn guarded by what was read;
// this many tries while other writers keep changing it.
constexpr int kRetries = 4;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool ValidKeyId(std::string_view id) {
  return id.size() == 16 &&
         std::all_of(id.begin(), id.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Status InvalidTenantId() {
  return Status::InvalidArgument("a tenant id is 1 to 63 of a-z, 0-9 and '-', starting with a letter or digit",
                                 "invalid_tenant_id");
}

Status InvalidKeyId() { return Status::InvalidArgument("a key id is 16 lowercase hex digits", "invalid_key_id"); }

Status Changed(const std::string& tenant) {
  return Status::FailedPrecondition("the directory entry of tenant '" + tenant + "' changed or is gone",
                                    "directory_changed");
}

std::string RouteJson(const std::string& tenant) { return json{{"tenant", tenant}}.dump(); }

Result<std::string> ParseRoute(const std::string& text) {
  const json j = json::parse(text, nullptr, false);
  if (j.is_object()) {
    auto it = j.find("tenant");
    if (it != j.end() && it->is_string() && ValidTenantId(it->get_ref<const std::string&>())) {
      return it->get<std::string>();
    }
  }
  return Status::InvalidArgument("not a key route", "bad_key_route");
}

// What the cache holds of one id: a value read from etcd (or written), or
// that there is none.
template <typename V>
struct Slot {
  // false: forgotten. The slot stays only so that a read begun before the
  // forgetting cannot bring the old value back (see `stamp`); it answers
  // nothing, not even when etcd is down.
  bool usable = false;
  std::optional<V> value;  // nullopt: etcd had none
  int64_t read_ns = 0;     // steady time of the read (its start: the conservative age)
  // The order in which slots were made: reads are stamped when they begin,
  // writes when they are done. A slot never replaces one stamped later, so
  // a slow read cannot undo a newer write or read. Also the age by which
  // the oldest half is dropped.
  uint64_t stamp = 0;
};

// A map of slots bounded to `max` (at least 1): when full, the oldest half
// (by stamp) goes, which keeps memory bounded and costs O(1) amortized.
template <typename V>
class BoundedCache {
 public:
  explicit BoundedCache(size_t max) : max_(std::max<size_t>(1, max)) {}

  const Slot<V>* Find(const std::string& id) const {
    auto it = map_.find(id);
    return it == map_.end() ? nullptr : &it->second;
  }

  void Set(const std::string& id, Slot<V> slot) {
    auto it = map_.find(id);
    if (it != map_.end()) {
      if (it->second.stamp < slot.stamp) it->second = std::move(slot);
      return;
    }
    if (map_.size() >= max_) DropOldestHalf();
    map_.emplace(id, std::move(slot));
  }

 private:
  void DropOldestHalf() {
    std::vector<uint64_t> stamps;
    stamps.reserve(map_.size());
    for (const auto& [id, slot] : map_) stamps.push_back(slot.stamp);
    const size_t drop = (stamps.size() + 1) / 2;
    std::nth_element(stamps.begin(), stamps.begin() + static_cast<std::ptrdiff_t>(drop - 1), stamps.end());
    const uint64_t cut = stamps[drop - 1];  // stamps are unique: exactly `drop` are at or below
    for (auto it = map_.begin(); it != map_.end();) it = it->second.stamp <= cut ? map_.erase(it) : std::next(it);
  }

  const size_t max_;
  std::unordered_map<std::string, Slot<V>> map_;
};

// One page of a tenant's key route index.
struct IndexPage {
  std::vector<std::string> index_keys;  // every index key read
  std::vector<std::string> key_ids;     // those whose suffix is a key id: each has a route to drop
  bool more = false;
};

void AddRouteDeletes(const IndexPage& page, std::vector<EtcdOp>* ops) {
  for (const std::string& id : page.key_ids) ops->push_back(EtcdOp::Delete(ApiKeyRouteKey(id)));
  for (const std::string& k : page.index_keys) ops->push_back(EtcdOp::Delete(k));
}

}  // namespace

struct TenantDirectory::State {
  State(EtcdClient* client, const TenantDirectoryOptions& o)
      : etcd(client),
        ttl_ns(int64_t{std::clamp(o.cache_ttl_ms, 0, 60000)} * 1'000'000),
        entries(o.max_cached),
        routes(o.max_cached) {}

  // Every failed etcd call, as the caller sees it.
  Status Unreachable(const Status& s) {
    etcd_errors.fetch_add(1);
    return Status::Unavailable("the cluster's etcd cannot be reached: " + s.message(), "cluster_unavailable");
  }

  BoundedCache<DirectoryEntry>& CacheOf(DirectoryEntry*) REQUIRES(mu) { return entries; }
  BoundedCache<std::string>& CacheOf(std::string*) REQUIRES(mu) { return routes; }

  // What a write (or a delete) left in etcd, known as of now.
  template <typename V>
  void Wrote(const std::string& id, std::optional<V> value) {
    MutexLock lock(mu);
    CacheOf(static_cast<V*>(nullptr)).Set(id, Slot<V>{true, std::move(value), NowNs(), ++clock});
  }

  template <typename V>
  void Forget(const std::string& id) {
    MutexLock lock(mu);
    CacheOf(static_cast<V*>(nullptr)).Set(id, Slot<V>{false, std::nullopt, 0, ++clock});
  }

  // The cached value of `id` while fresh; nothing when the cache has no
  // fresh value. Never etcd.
  template <typename V>
  std::optional<std::optional<V>> Peek(const std::string& id) {
    const int64_t now = NowNs();
    MutexLock lock(mu);
    const Slot<V>* slot = CacheOf(static_cast<V*>(nullptr)).Find(id);
    if (slot == nullptr || !slot->usable || now - slot->read_ns >= ttl_ns) return std::nullopt;
    return slot->value;
  }

  // The cached value of `id` while fresh (unless `fresh`), else etcd's
  // value of `etcd_key` as `parse` reads it; the cached value however old
  // when etcd cannot be read. `parse`: Result<V>(const EtcdKeyValue&).
  template <typename V, typename Parse>
  Result<std::optional<V>> Read(const std::string& id, const std::string& etcd_key, bool fresh, const Parse& parse,
                                const char* bad_reason, bool cache_when_down = true) {
    const int64_t started = NowNs();
    uint64_t stamp = 0;
    {
      MutexLock lock(mu);
      const Slot<V>* slot = CacheOf(static_cast<V*>(nullptr)).Find(id);
      if (!fresh && slot != nullptr && slot->usable && started - slot->read_ns < ttl_ns) return slot->value;
      stamp = ++clock;
    }
    Result<std::optional<EtcdKeyValue>> got = etcd->Get(etcd_key);
    if (!got.ok()) {
      Status down = Unreachable(got.status());
      if (!cache_when_down) return down;
      MutexLock lock(mu);
      const Slot<V>* slot = CacheOf(static_cast<V*>(nullptr)).Find(id);
      if (slot != nullptr && slot->usable) return slot->value;  // degraded mode: however old, even "none"
      return down;
    }
    std::optional<V> value;
    if (got->has_value()) {
      Result<V> parsed = parse(**got);
      if (!parsed.ok()) {
        // Not skipped: the caller would take a corrupt entry for none.
        Forget<V>(id);
        spdlog::error("cluster: {} in etcd is malformed: {}", etcd_key, parsed.status().message());
        return Status::DataLoss(etcd_key + " in etcd is malformed", bad_reason);
      }
      value = std::move(*parsed);
    }
    MutexLock lock(mu);
    CacheOf(static_cast<V*>(nullptr)).Set(id, Slot<V>{true, value, started, stamp});
    return value;
  }

  Result<IndexPage> ReadIndexPage(const std::string& tenant) {
    const std::string prefix = TenantApiKeysPrefix(tenant);
    IndexPage page;
    Result<std::vector<EtcdKeyValue>> kvs = etcd->GetPrefix(prefix, kRoutesPerTxn, &page.more);
    if (!kvs.ok()) return Unreachable(kvs.status());
    for (EtcdKeyValue& kv : *kvs) {
      std::string id = kv.key.substr(prefix.size());
      if (ValidKeyId(id)) page.key_ids.push_back(std::move(id));
      page.index_keys.push_back(std::move(kv.key));
    }
    return page;
  }

  // Deletes the key routes of `page` if `tenant` has no entry; whether it had none.
  Result<bool> DropRoutesIfUnclaimed(const std::string& tenant, const IndexPage& page) {
    EtcdTxn txn;
    txn.compare.push_back({TenantKey(tenant), EtcdCompare::Target::kCreateRevision, EtcdCompare::Op::kEqual, 0});
    AddRouteDeletes(page, &txn.success);
    Result<EtcdTxnResult> r = etcd->Txn(txn);
    if (!r.ok()) return Unreachable(r.status());
    if (r->succeeded) RoutesGone(page);
    return r->succeeded;
  }

  void RoutesGone(const IndexPage& page) {
    for (const std::string& id : page.key_ids) Wrote<std::string>(id, std::nullopt);
  }

  // A listed entry, or a warning when it is malformed: one bad entry must
  // not hide the whole directory from the operator (Lookup reports it).
  static void Append(const EtcdKeyValue& kv, std::vector<DirectoryEntry>* out) {
    const std::string tenant = kv.key.substr(kTenantsPrefix.size());
    Result<DirectoryEntry> e =
        ValidTenantId(tenant) ? ParseDirectoryEntry(tenant, kv.value) : Result<DirectoryEntry>(InvalidTenantId());
    if (!e.ok()) {
      spdlog::warn("cluster: skipping the malformed directory entry {}: {}", kv.key, e.status().message());
      return;
    }
    e->mod_revision = kv.mod_revision;
    out->push_back(std::move(*e));
  }

  EtcdClient* const etcd;
  const int64_t ttl_ns;
  std::atomic<uint64_t> etcd_errors{0};
  Mutex mu;
  uint64_t clock GUARDED_BY(mu) = 0;  // the last stamp given
  BoundedCache<DirectoryEntry> entries GUARDED_BY(mu);
  BoundedCache<std::string> routes GUARDED_BY(mu);  // key id -> tenant
};

TenantDirectory::TenantDirectory(EtcdClient* etcd, TenantDirectoryOptions options)
    : etcd_(etcd), options_(options), state_(std::make_unique<State>(etcd, options)) {}

TenantDirectory::~TenantDirectory() = default;

Result<DirectoryEntry> TenantDirectory::Claim(const std::string& tenant, const std::string& node,
                                              const std::string& tier, const std::string& state) {
  if (!ValidTenantId(tenant)) return InvalidTenantId();
  DirectoryEntry e{tenant, node, tier, 1, state, 0, std::nullopt, ""};
  TKV_RETURN_IF_ERROR(CheckEntry(e));
  // Key routes indexed under an id with no entry are leftovers of a
  // release that could not finish: the new tenant must not inherit them.
  // A route is published only while its tenant has an entry, so nothing
  // adds to them meanwhile. Usually there are none; many go first, in
  // batches, and the last page goes in the claim's own txn.
  IndexPage leftovers;
  for (;;) {
    TKV_ASSIGN_OR_RETURN(leftovers, state_->ReadIndexPage(tenant));
    if (!leftovers.more) break;
    TKV_ASSIGN_OR_RETURN(const bool unclaimed, state_->DropRoutesIfUnclaimed(tenant, leftovers));
    if (!unclaimed) break;  // the tenant exists: the claim below fails
  }
  EtcdTxn txn;
  const std::string key = TenantKey(tenant);
  txn.compare.push_back({key, EtcdCompare::Target::kCreateRevision, EtcdCompare::Op::kEqual, 0});
  txn.success.push_back(EtcdOp::Put(key, DirectoryEntryJson(e)));
  if (!leftovers.more) AddRouteDeletes(leftovers, &txn.success);
  Result<EtcdTxnResult> r = etcd_->Txn(txn);
  if (!r.ok()) return state_->Unreachable(r.status());
  if (!r->succeeded) {
    return Status::AlreadyExists("tenant '" + tenant + "' is already in the cluster's directory", "tenant_exists");
  }
  if (!leftovers.key_ids.empty()) {
    spdlog::info("cluster: dropped {} key routes left over from a former tenant '{}'", leftovers.key_ids.size(),
                 tenant);
    state_->RoutesGone(leftovers);
  }
  e.mod_revision = r->revision;  // the txn's only write: the put's mod_revision
  state_->Wrote<DirectoryEntry>(tenant, e);
  return e;
}

Result<DirectoryEntry> TenantDirectory::Update(const DirectoryEntry& read, DirectoryEntry next) {
  if (!ValidTenantId(read.tenant)) return InvalidTenantId();
  if (next.tenant != read.tenant) return BadEntry("an update cannot change the tenant");
  if (read.mod_revision <= 0) return BadEntry("an update needs the entry as read from the directory");
  TKV_RETURN_IF_ERROR(CheckEntry(next));
  if (next.epoch < read.epoch) return BadEntry("an epoch never goes back");
  const std::string key = TenantKey(read.tenant);
  EtcdTxn txn;
  txn.compare.push_back({key, EtcdCompare::Target::kModRevision, EtcdCompare::Op::kEqual, read.mod_revision});
  txn.success.push_back(EtcdOp::Put(key, DirectoryEntryJson(next)));
  if (next.move) {
    txn.success.push_back(EtcdOp::Put(MoveIndexKey(read.tenant), ""));
  } else if (read.move) {
    txn.success.push_back(EtcdOp::Delete(MoveIndexKey(read.tenant)));
  }
  Result<EtcdTxnResult> r = etcd_->Txn(txn);
  if (!r.ok()) return state_->Unreachable(r.status());
  if (!r->succeeded) {
    state_->Forget<DirectoryEntry>(read.tenant);
    return Changed(read.tenant);
  }
  next.mod_revision = r->revision;
  state_->Wrote<DirectoryEntry>(read.tenant, next);
  return next;
}

Status TenantDirectory::Release(const DirectoryEntry& read) {
  const std::string& tenant = read.tenant;
  if (!ValidTenantId(tenant)) return InvalidTenantId();
  if (read.mod_revision <= 0) return BadEntry("a release needs the entry as read from the directory");
  TKV_ASSIGN_OR_RETURN(IndexPage page, state_->ReadIndexPage(tenant));
  // One txn when the routes fit in it; else the entry alone, and the
  // routes after it (below).
  EtcdTxn txn;
  const std::string key = TenantKey(tenant);
  txn.compare.push_back({key, EtcdCompare::Target::kModRevision, EtcdCompare::Op::kEqual, read.mod_revision});
  txn.success.push_back(EtcdOp::Delete(key));
  if (read.move) txn.success.push_back(EtcdOp::Delete(MoveIndexKey(tenant)));
  if (!page.more) AddRouteDeletes(page, &txn.success);
  Result<EtcdTxnResult> r = etcd_->Txn(txn);
  if (!r.ok()) return state_->Unreachable(r.status());
  if (!r->succeeded) {
    state_->Forget<DirectoryEntry>(tenant);
    return Changed(tenant);
  }
  state_->Wrote<DirectoryEntry>(tenant, std::nullopt);
  if (!page.more) state_->RoutesGone(page);
  // The routes left (too many for the txn, or published between the read
  // and the txn) go now. They route nowhere meanwhile (their tenant has no
  // entry) and no new one can be published. The release is done whatever
  // happens here: a failure leaves them to the next Claim of the id.
  for (;;) {
    Result<IndexPage> rest = state_->ReadIndexPage(tenant);
    if (rest.ok() && rest->index_keys.empty()) break;
    Result<bool> dropped = rest.ok() ? state_->DropRoutesIfUnclaimed(tenant, *rest) : Result<bool>(rest.status());
    if (!dropped.ok()) {
      spdlog::warn("cluster: tenant '{}' released, but not all of its key routes dropped ({}); the next claim of "
                   "the id drops them",
                   tenant, dropped.status().ToString());
      break;
    }
    if (!*dropped) break;  // claimed again already, which dropped the leftovers: what is there is the new tenant's
  }
  return Status::Ok();
}

std::optional<std::optional<DirectoryEntry>> TenantDirectory::Peek(const std::string& tenant) const {
  return state_->Peek<DirectoryEntry>(tenant);
}

std::optional<std::optional<std::string>> TenantDirectory::PeekKey(const std::string& key_id) const {
  return state_->Peek<std::string>(key_id);
}

Result<std::optional<DirectoryEntry>> TenantDirectory::Lookup(const std::string& tenant, bool fresh) {
  if (!ValidTenantId(tenant)) return InvalidTenantId();
  auto parse = [&tenant](const EtcdKeyValue& kv) -> Result<DirectoryEntry> {
    TKV_ASSIGN_OR_RETURN(DirectoryEntry e, ParseDirectoryEntry(tenant, kv.value));
    e.mod_revision = kv.mod_revision;
    return e;
  };
  return state_->Read<DirectoryEntry>(tenant, TenantKey(tenant), fresh, parse, "bad_directory_entry");
}

Result<std::optional<DirectoryEntry>> TenantDirectory::ReadFromEtcd(const std::string& tenant) {
  if (!ValidTenantId(tenant)) return InvalidTenantId();
  auto parse = [&tenant](const EtcdKeyValue& kv) -> Result<DirectoryEntry> {
    TKV_ASSIGN_OR_RETURN(DirectoryEntry e, ParseDirectoryEntry(tenant, kv.value));
    e.mod_revision = kv.mod_revision;
    return e;
  };
  return state_->Read<DirectoryEntry>(tenant, TenantKey(tenant), true, parse, "bad_directory_entry", false);
}

Result<std::vector<std::string>> TenantDirectory::ListMoving(int64_t limit) {
  if (limit < 1 || limit > 10000) return Status::InvalidArgument("a page of moves is 1..10000 keys");
  Result<std::vector<EtcdKeyValue>> kvs = etcd_->GetPrefix(std::string(kMovesPrefix), limit);
  if (!kvs.ok()) return state_->Unreachable(kvs.status());
  std::vector<std::string> out;
  for (const EtcdKeyValue& kv : *kvs) {
    std::string tenant = kv.key.substr(kMovesPrefix.size());
    if (ValidTenantId(tenant)) out.push_back(std::move(tenant));
  }
  return out;
}

Result<std::vector<DirectoryEntry>> TenantDirectory::List() {
  std::vector<DirectoryEntry> out;
  std::string after;
  for (;;) {
    TKV_ASSIGN_OR_RETURN(DirectoryPage page, ListPage(after, "", kListPage));
    for (DirectoryEntry& e : page.entries) out.push_back(std::move(e));
    if (!page.more || page.last.empty()) break;
    after = std::move(page.last);
  }
  return out;
}

Result<DirectoryPage> TenantDirectory::ListPage(const std::string& start_after, const std::string& prefix,
                                                int64_t limit) {
  if (limit < 1 || limit > 10000) return Status::InvalidArgument("a directory page is 1..10000 keys");
  // The range of the ids with the prefix; it starts just after
  // `start_after` (its key with a 0 byte appended) when that is further
  // on. Never at the bare prefix key: an empty id is no tenant's, and a
  // page that read only it would have no id to go on after.
  const std::string first = std::string(kTenantsPrefix) + prefix;
  const std::string end = PrefixRangeEnd(first);
  std::string after = std::string(kTenantsPrefix) + start_after;
  after.push_back('\0');
  const std::string start = std::max(first, after);
  DirectoryPage page;
  if (start >= end) return page;  // the cursor is past the prefix's ids
  Result<std::vector<EtcdKeyValue>> kvs = etcd_->GetRange(start, end, limit, &page.more);
  if (!kvs.ok()) return state_->Unreachable(kvs.status());
  page.read = kvs->size();
  if (!kvs->empty()) page.last = kvs->back().key.substr(kTenantsPrefix.size());
  for (const EtcdKeyValue& kv : *kvs) State::Append(kv, &page.entries);
  if (page.read == 0) page.more = false;
  return page;
}

Status TenantDirectory::PublishKey(const std::string& key_id, const std::string& tenant) {
  if (!ValidKeyId(key_id)) return InvalidKeyId();
  if (!ValidTenantId(tenant)) return InvalidTenantId();
  const std::string route = ApiKeyRouteKey(key_id);
  // Only for a tenant in the directory (so that a release leaves no route
  // behind), and never over another route: a key id routes to one tenant.
  for (int attempt = 0; attempt < kRetries; ++attempt) {
    EtcdTxn txn;
    txn.compare.push_back({TenantKey(tenant), EtcdCompare::Target::kCreateRevision, EtcdCompare::Op::kGreater, 0});
    txn.compare.push_back({route, EtcdCompare::Target::kCreateRevision, EtcdCompare::Op::kEqual, 0});
    txn.success.push_back(EtcdOp::Put(route, RouteJson(tenant)));
    txn.success.push_back(EtcdOp::Put(TenantApiKeyIndexKey(tenant, key_id), ""));
    Result<EtcdTxnResult> r = etcd_->Txn(txn);
    if (!r.ok()) return state_->Unreachable(r.status());
    if (r->succeeded) {
      state_->Wrote<std::string>(key_id, tenant);
      return Status::Ok();
    }
    // Which guard failed: the route's, the entry's, or both.
    Result<std::optional<EtcdKeyValue>> held = etcd_->Get(route);
    if (!held.ok()) return state_->Unreachable(held.status());
    if (held->has_value()) {
      Result<std::string> to = ParseRoute((*held)->value);
      if (!to.ok() || *to != tenant) {
        return Status::AlreadyExists("key id " + key_id + " routes to another tenant", "key_id_taken");
      }
    }
    Result<std::optional<EtcdKeyValue>> entry = etcd_->Get(TenantKey(tenant));
    if (!entry.ok()) return state_->Unreachable(entry.status());
    if (!entry->has_value()) {
      return Status::NotFound("tenant '" + tenant + "' is not in the cluster's directory", "tenant_not_found");
    }
    if (held->has_value()) {  // published already (a route and its index entry are written together)
      state_->Wrote<std::string>(key_id, tenant);
      return Status::Ok();
    }
    // Both are there now, the route was not: it changed in between; again.
  }
  return Status::FailedPrecondition("the route of key id " + key_id + " kept changing", "directory_changed");
}

Status TenantDirectory::RetractKey(const std::string& key_id, const std::string& tenant) {
  if (!ValidKeyId(key_id)) return InvalidKeyId();
  if (!ValidTenantId(tenant)) return InvalidTenantId();
  const std::string route = ApiKeyRouteKey(key_id);
  for (int attempt = 0; attempt < kRetries; ++attempt) {
    Result<std::optional<EtcdKeyValue>> held = etcd_->Get(route);
    if (!held.ok()) return state_->Unreachable(held.status());
    // The route goes only if it is this tenant's, as read (never another
    // tenant's); this tenant's index entry goes in any case.
    bool ours = false;
    if (held->has_value()) {
      Result<std::string> to = ParseRoute((*held)->value);
      ours = to.ok() && *to == tenant;
    }
    EtcdTxn txn;
    txn.compare.push_back({route, EtcdCompare::Target::kModRevision, EtcdCompare::Op::kEqual,
                           held->has_value() ? (*held)->mod_revision : 0});
    if (ours) txn.success.push_back(EtcdOp::Delete(route));
    txn.success.push_back(EtcdOp::Delete(TenantApiKeyIndexKey(tenant, key_id)));
    Result<EtcdTxnResult> r = etcd_->Txn(txn);
    if (!r.ok()) return state_->Unreachable(r.status());
    if (r->succeeded) {
      if (ours) state_->Wrote<std::string>(key_id, std::nullopt);
      return Status::Ok();
    }
  }
  return Status::FailedPrecondition("the route of key id " + key_id + " kept changing", "directory_changed");
}

Result<std::optional<std::string>> TenantDirectory::LookupKey(const std::string& key_id, bool fresh) {
  if (!ValidKeyId(key_id)) return InvalidKeyId();
  auto parse = [](const EtcdKeyValue& kv) { return ParseRoute(kv.value); };
  return state_->Read<std::string>(key_id, ApiKeyRouteKey(key_id), fresh, parse, "bad_key_route");
}

void TenantDirectory::Forget(const std::string& tenant) { state_->Forget<DirectoryEntry>(tenant); }

uint64_t TenantDirectory::etcd_errors() const { return state_->etcd_errors.load(); }

}  // namespace tenantkv::server::cluster

#include "engine/quota/addon_store.h"

#include <nlohmann/json.hpp>
#include <rocksdb/write_batch.h>

#include <algorithm>

#include "engine/storage/rocks_status.h"
#include "engine/storage/system_keys.h"

namespace tenantkv::engine {
namespace {

using nlohmann::json;

constexpr const char* kStateNames[] = {"scheduled", "active", "ended", "cancelled"};

std::string TenantPrefix(const std::string& tenant) { return kAddonPrefix + tenant + "/"; }
std::string RecordKey(const Addon& a) { return TenantPrefix(a.tenant) + a.id; }

json ToJson(const Addon& a) {
  return {{"id", a.id},
          {"tenant", a.tenant},
          {"fields", a.fields},
          {"starts_at_ms", a.starts_at_ms},
          {"ends_at_ms", a.ends_at_ms},
          {"reason", a.reason},
          {"request", a.request},
          {"created_by", a.created_by},
          {"created_at_ms", a.created_at_ms},
          {"state", AddonStateName(a.state)},
          {"saved", a.saved},
          {"started_version", a.started_version},
          {"ended_version", a.ended_version},
          {"finished_at_ms", a.finished_at_ms},
          {"cancelled_by", a.cancelled_by}};
}

Result<Addon> FromJson(std::string_view key, std::string_view text) {
  const json j = json::parse(text, nullptr, false);
  try {
    Addon a;
    a.id = j.at("id").get<std::string>();
    a.tenant = j.at("tenant").get<std::string>();
    a.fields = j.at("fields").get<std::map<std::string, int64_t>>();
    a.starts_at_ms = j.at("starts_at_ms").get<int64_t>();
    a.ends_at_ms = j.at("ends_at_ms").get<int64_t>();
    a.reason = j.at("reason").get<std::string>();
    a.request = j.at("request").get<std::string>();
    a.created_by = j.at("created_by").get<std::string>();
    a.created_at_ms = j.at("created_at_ms").get<int64_t>();
    const std::string state = j.at("state").get<std::string>();
    auto* found = std::find(std::begin(kStateNames), std::end(kStateNames), state);
    if (found == std::end(kStateNames)) {
      return Status::DataLoss("add-on record '" + std::string(key) + "' has an unknown state");
    }
    a.state = static_cast<AddonState>(found - std::begin(kStateNames));
    a.saved = j.at("saved").get<std::map<std::string, int64_t>>();
    a.started_version = j.at("started_version").get<int64_t>();
    a.ended_version = j.at("ended_version").get<int64_t>();
    a.finished_at_ms = j.at("finished_at_ms").get<int64_t>();
    a.cancelled_by = j.at("cancelled_by").get<std::string>();
    return a;
  } catch (const json::exception&) {
    return Status::DataLoss("add-on record '" + std::string(key) + "' is malformed");
  }
}

bool SharesField(const Addon& a, const Addon& b) {
  for (const auto& [field, value] : a.fields) {
    if (b.fields.count(field)) return true;
  }
  return false;
}

// The moment an open add-on changes next.
int64_t DueAt(const Addon& a) { return a.state == AddonState::kScheduled ? a.starts_at_ms : a.ends_at_ms; }

}  // namespace

const char* AddonStateName(AddonState s) { return kStateNames[static_cast<int>(s)]; }

Result<std::unique_ptr<AddonStore>> AddonStore::Open(Storage* storage) {
  std::unique_ptr<AddonStore> s(new AddonStore(storage));
  TKV_RETURN_IF_ERROR(s->Load());
  return s;
}

Status AddonStore::Load() {
  std::map<std::string, std::map<std::string, Addon>> all;
  std::unique_ptr<rocksdb::Iterator> it(storage_->db()->NewIterator(rocksdb::ReadOptions(), storage_->system()));
  for (it->Seek(kAddonPrefix); it->Valid() && it->key().starts_with(kAddonPrefix); it->Next()) {
    TKV_ASSIGN_OR_RETURN(Addon a, FromJson(it->key().ToStringView(), it->value().ToStringView()));
    all[a.tenant][a.id] = std::move(a);
  }
  TKV_RETURN_IF_ERROR(FromRocks(it->status(), "read add-ons"));
  MutexLock lock(mu_);
  addons_ = std::move(all);
  return Status::Ok();
}

Status AddonStore::LoadTenant(const std::string& tenant) {
  const std::string prefix = TenantPrefix(tenant);
  std::map<std::string, Addon> mine;
  std::unique_ptr<rocksdb::Iterator> it(storage_->db()->NewIterator(rocksdb::ReadOptions(), storage_->system()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    TKV_ASSIGN_OR_RETURN(Addon a, FromJson(it->key().ToStringView(), it->value().ToStringView()));
    mine[a.id] = std::move(a);
  }
  TKV_RETURN_IF_ERROR(FromRocks(it->status(), "read add-ons"));
  MutexLock lock(mu_);
  if (!mine.empty()) addons_[tenant] = std::move(mine);
  return Status::Ok();
}

Status AddonStore::Write(const Addon& a) {
  return FromRocks(storage_->db()->Put(storage_->meta_write_options(), storage_->system(), RecordKey(a),
                                       ToJson(a).dump()),
                   "persist add-on");
}

Result<Addon> AddonStore::Add(Addon a) {
  MutexLock lock(mu_);
  static const std::map<std::string, Addon> kNone;
  auto t = addons_.find(a.tenant);
  const auto& mine = t == addons_.end() ? kNone : t->second;
  size_t open = 0;
  std::vector<const Addon*> finished;
  for (const auto& [id, other] : mine) {
    if (!other.open()) {
      finished.push_back(&other);
      continue;
    }
    ++open;
    const bool overlaps = a.starts_at_ms < other.ends_at_ms && other.starts_at_ms < a.ends_at_ms;
    if (overlaps && SharesField(a, other)) {
      return Status::AlreadyExists("add-on " + other.id + " already sets one of these fields in that period",
                                   "addon_overlap");
    }
  }
  if (open >= kMaxOpenAddonsPerTenant) {
    return Status::AlreadyExists(
        "a tenant may have at most " + std::to_string(kMaxOpenAddonsPerTenant) + " scheduled or active add-ons",
        "addon_limit");
  }
  if (mine.count(a.id)) return Status::AlreadyExists("add-on id collision", "addon_exists");
  // Make room in the history first: the oldest finished records go.
  rocksdb::WriteBatch batch;
  std::vector<std::string> dropped;
  if (finished.size() >= kMaxFinishedAddonsPerTenant) {
    std::sort(finished.begin(), finished.end(), [](const Addon* x, const Addon* y) {
      return x->finished_at_ms != y->finished_at_ms ? x->finished_at_ms < y->finished_at_ms : x->id < y->id;
    });
    for (size_t i = 0; i + kMaxFinishedAddonsPerTenant <= finished.size(); ++i) {
      TKV_RETURN_IF_ERROR(FromRocks(batch.Delete(storage_->system(), RecordKey(*finished[i])), "stage"));
      dropped.push_back(finished[i]->id);
    }
  }
  TKV_RETURN_IF_ERROR(FromRocks(batch.Put(storage_->system(), RecordKey(a), ToJson(a).dump()), "stage"));
  TKV_RETURN_IF_ERROR(FromRocks(storage_->db()->Write(storage_->meta_write_options(), &batch), "persist add-on"));
  auto& stored = addons_[a.tenant];
  for (const auto& id : dropped) stored.erase(id);
  stored[a.id] = a;
  return a;
}

Status AddonStore::Put(const Addon& a) {
  MutexLock lock(mu_);
  auto t = addons_.find(a.tenant);
  // A record whose tenant was removed meanwhile is not brought back.
  if (t == addons_.end() || !t->second.count(a.id)) return Status::NotFound("no such add-on", "addon_not_found");
  TKV_RETURN_IF_ERROR(Write(a));
  t->second[a.id] = a;
  return Status::Ok();
}

Result<Addon> AddonStore::Get(const std::string& tenant, const std::string& id) const {
  MutexLock lock(mu_);
  auto t = addons_.find(tenant);
  if (t != addons_.end()) {
    auto it = t->second.find(id);
    if (it != t->second.end()) return it->second;
  }
  return Status::NotFound("tenant '" + tenant + "' has no add-on '" + id + "'", "addon_not_found");
}

std::vector<Addon> AddonStore::List(const std::string& tenant) const {
  std::vector<Addon> out;
  {
    MutexLock lock(mu_);
    auto t = addons_.find(tenant);
    if (t == addons_.end()) return out;
    for (const auto& [id, a] : t->second) out.push_back(a);
  }
  std::sort(out.begin(), out.end(), [](const Addon& x, const Addon& y) {
    return x.starts_at_ms != y.starts_at_ms ? x.starts_at_ms < y.starts_at_ms : x.id < y.id;
  });
  return out;
}

std::vector<Addon> AddonStore::Due(int64_t now_ms) const {
  std::vector<Addon> out;
  {
    MutexLock lock(mu_);
    for (const auto& [tenant, mine] : addons_) {
      for (const auto& [id, a] : mine) {
        if (a.open() && DueAt(a) <= now_ms) out.push_back(a);
      }
    }
  }
  // Ends before starts at the same moment, so that a boost handing over to
  // the next one never has both applied.
  std::sort(out.begin(), out.end(), [](const Addon& x, const Addon& y) {
    if (DueAt(x) != DueAt(y)) return DueAt(x) < DueAt(y);
    if (x.state != y.state) return x.state == AddonState::kActive;
    return x.id < y.id;
  });
  return out;
}

std::vector<Addon> AddonStore::Active() const {
  std::vector<Addon> out;
  MutexLock lock(mu_);
  for (const auto& [tenant, mine] : addons_) {
    for (const auto& [id, a] : mine) {
      if (a.state == AddonState::kActive) out.push_back(a);
    }
  }
  return out;
}

std::optional<int64_t> AddonStore::NextChange() const {
  std::optional<int64_t> next;
  MutexLock lock(mu_);
  for (const auto& [tenant, mine] : addons_) {
    for (const auto& [id, a] : mine) {
      if (a.open() && (!next || DueAt(a) < *next)) next = DueAt(a);
    }
  }
  return next;
}

Status AddonStore::RemoveTenant(const std::string& tenant) {
  const std::string prefix = TenantPrefix(tenant);
  rocksdb::WriteBatch batch;
  TKV_RETURN_IF_ERROR(FromRocks(batch.DeleteRange(storage_->system(), prefix, PrefixEnd(prefix)), "stage"));
  MutexLock lock(mu_);
  TKV_RETURN_IF_ERROR(FromRocks(storage_->db()->Write(storage_->meta_write_options(), &batch), "remove add-ons"));
  addons_.erase(tenant);
  return Status::Ok();
}

std::vector<std::string> AddonStore::Tenants() const {
  MutexLock lock(mu_);
  std::vector<std::string> out;
  for (const auto& [tenant, mine] : addons_) out.push_back(tenant);
  return out;
}

}  // namespace tenantkv::engine

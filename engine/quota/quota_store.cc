#include "engine/quota/quota_store.h"

#include <nlohmann/json.hpp>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>

#include "engine/storage/rocks_status.h"
#include "engine/storage/system_keys.h"

namespace tenantkv::engine {
namespace {

using nlohmann::json;

std::string ManifestPrefix(const std::string& tenant) { return kQuotaPrefix + tenant + "/"; }
std::string ManifestKey(const std::string& tenant, int64_t version) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(version));
  return ManifestPrefix(tenant) + buf;
}

json QuotaJson(const Quota& q) {
  json j = json::object();
  for (const auto& f : QuotaFields()) j[f.name] = q.*f.member;
  return j;
}

Result<Quota> QuotaFromJson(const json& j) {
  Quota q;
  for (const auto& f : QuotaFields()) {
    auto it = j.find(f.name);
    if (it == j.end() && f.added_later) continue;  // written before the field existed
    if (it == j.end() || !it->is_number_integer()) {
      return Status::DataLoss(std::string("stored quota lacks ") + f.name);
    }
    q.*f.member = it->get<int64_t>();
  }
  return q;
}

json ManifestJson(const QuotaManifest& m) {
  json changes = json::object();
  for (const auto& [k, v] : m.changes) changes[k] = {v.first, v.second};
  json j = {{"version", m.version},
            {"quota", QuotaJson(m.quota)},
            {"updated_by", m.updated_by},
            {"updated_at_ms", m.updated_at_ms},
            {"changes", changes}};
  // Only when set, so that versions without one keep their stored shape.
  if (!m.request.empty()) j["request"] = m.request;
  return j;
}

// Without `with_changes`, m.changes stays empty (what is kept in memory).
Result<QuotaManifest> ManifestFromJson(std::string_view text, bool with_changes = true) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::DataLoss("quota manifest is not JSON");
  try {
    QuotaManifest m;
    m.version = j.at("version").get<int64_t>();
    TKV_ASSIGN_OR_RETURN(m.quota, QuotaFromJson(j.at("quota")));
    m.updated_by = j.at("updated_by").get<std::string>();
    m.updated_at_ms = j.at("updated_at_ms").get<int64_t>();
    m.request = j.value("request", "");
    if (!with_changes) return m;
    for (auto it = j.at("changes").begin(); it != j.at("changes").end(); ++it) {
      m.changes[it.key()] = {(*it)[0].get<int64_t>(), (*it)[1].get<int64_t>()};
    }
    return m;
  } catch (const json::exception& e) {
    return Status::DataLoss(std::string("quota manifest is malformed: ") + e.what());
  }
}

json PlanJson(const Plan& p) {
  return {{"name", p.name}, {"defaults", QuotaJson(p.defaults)}, {"min", QuotaJson(p.min)},
          {"max", QuotaJson(p.max)}};
}

constexpr char kCommonAuthor[] = "operator";

}  // namespace

QuotaStore::Kept QuotaStore::Keep(const QuotaManifest& m) {
  Kept k;
  k.version = m.version;
  k.quota = InternQuota(m.quota);
  k.updated_at_ms = m.updated_at_ms;
  if (m.updated_by != kCommonAuthor || !m.request.empty()) {
    k.by_and_request = std::make_unique<std::pair<std::string, std::string>>(m.updated_by, m.request);
  }
  return k;
}

QuotaManifest QuotaStore::ManifestOf(const Kept& k) {
  QuotaManifest m;
  m.version = k.version;
  m.quota = *k.quota;
  m.updated_at_ms = k.updated_at_ms;
  m.updated_by = k.by_and_request ? k.by_and_request->first : kCommonAuthor;
  if (k.by_and_request) m.request = k.by_and_request->second;
  return m;
}

Result<std::unique_ptr<QuotaStore>> QuotaStore::Open(Storage* storage, const Clock* clock) {
  std::unique_ptr<QuotaStore> s(new QuotaStore(storage, clock));
  TKV_RETURN_IF_ERROR(s->Load());
  return s;
}

Status QuotaStore::Load() {
  MutexLock lock(mu_);  // uncontended (Open runs it), taken for the analysis
  for (auto& p : BuiltInPlans()) plans_[p.name] = p;
  std::unique_ptr<rocksdb::Iterator> it(storage_->db()->NewIterator(ReadOnceOptions(), storage_->system()));
  for (it->Seek(kPlanPrefix); it->Valid() && it->key().starts_with(kPlanPrefix); it->Next()) {
    json j = json::parse(it->value().ToStringView(), nullptr, false);
    if (j.is_discarded() || !j.is_object()) return Status::DataLoss("stored plan is not JSON");
    Plan p;
    p.name = j.value("name", "");
    TKV_ASSIGN_OR_RETURN(p.defaults, QuotaFromJson(j["defaults"]));
    TKV_ASSIGN_OR_RETURN(p.min, QuotaFromJson(j["min"]));
    TKV_ASSIGN_OR_RETURN(p.max, QuotaFromJson(j["max"]));
    plans_[p.name] = std::move(p);
  }
  // The newest manifest of each tenant is the last one under its prefix:
  // only that one is parsed, and kept without its changes.
  std::map<std::string, Kept> loaded;
  std::string tenant, newest;
  auto keep = [&]() -> Status {
    if (tenant.empty()) return Status::Ok();
    TKV_ASSIGN_OR_RETURN(QuotaManifest m, ManifestFromJson(newest, /*with_changes=*/false));
    loaded[tenant] = Keep(m);
    return Status::Ok();
  };
  for (it->Seek(kQuotaPrefix); it->Valid() && it->key().starts_with(kQuotaPrefix); it->Next()) {
    const std::string_view key = it->key().ToStringView();
    const std::string_view id = key.substr(6, key.rfind('/') - 6);
    if (id != tenant) {
      TKV_RETURN_IF_ERROR(keep());
      tenant.assign(id);
    }
    newest.assign(it->value().ToStringView());
  }
  TKV_RETURN_IF_ERROR(keep());
  TKV_RETURN_IF_ERROR(FromRocks(it->status(), "load quotas"));
  current_ = std::move(loaded);
  return Status::Ok();
}

Status QuotaStore::LoadTenant(const std::string& tenant) {
  const std::string prefix = kQuotaPrefix + tenant + "/";
  rocksdb::ReadOptions ro;
  ro.total_order_seek = true;
  std::unique_ptr<rocksdb::Iterator> it(storage_->db()->NewIterator(ro, storage_->system()));
  it->SeekForPrev(prefix + "~");  // version suffixes are hex: '~' sorts after every one
  TKV_RETURN_IF_ERROR(FromRocks(it->status(), "read quota manifests"));
  if (!it->Valid() || !it->key().starts_with(prefix)) {
    return Status::NotFound("tenant '" + tenant + "' has no quota manifest", "quota_not_found");
  }
  TKV_ASSIGN_OR_RETURN(QuotaManifest m, ManifestFromJson(it->value().ToStringView(), /*with_changes=*/false));
  MutexLock lock(mu_);
  current_[tenant] = Keep(m);
  return Status::Ok();
}

std::vector<Plan> QuotaStore::Plans() const {
  MutexLock lock(mu_);
  std::vector<Plan> out;
  for (const auto& [name, p] : plans_) out.push_back(p);
  return out;
}

Result<Plan> QuotaStore::GetPlan(const std::string& name) const {
  MutexLock lock(mu_);
  auto it = plans_.find(name);
  if (it == plans_.end()) return Status::NotFound("no plan '" + name + "'", "plan_not_found");
  return it->second;
}

Status QuotaStore::PutPlan(const Plan& plan) {
  TKV_RETURN_IF_ERROR(ValidatePlan(plan));
  MutexLock lock(mu_);
  TKV_RETURN_IF_ERROR(FromRocks(storage_->db()->Put(storage_->meta_write_options(), storage_->system(),
                                                    kPlanPrefix + plan.name, PlanJson(plan).dump()),
                                "persist plan"));
  plans_[plan.name] = plan;
  return Status::Ok();
}

Status QuotaStore::Write(const std::string& tenant, const QuotaManifest& m) {
  return FromRocks(storage_->db()->Put(storage_->meta_write_options(), storage_->system(),
                                       ManifestKey(tenant, m.version), ManifestJson(m).dump()),
                   "persist quota manifest");
}

Result<QuotaManifest> QuotaStore::Initialize(const std::string& tenant, const std::string& plan_name,
                                             const std::string& author) {
  TKV_ASSIGN_OR_RETURN(Plan plan, GetPlan(plan_name));
  TKV_RETURN_IF_ERROR(RemoveTenant(tenant));
  QuotaManifest m;
  m.version = 1;
  m.quota = plan.defaults;
  m.updated_by = author;
  m.updated_at_ms = clock_->NowUnixMillis();
  m.changes = DiffQuota(Quota(), m.quota);
  MutexLock lock(mu_);
  TKV_RETURN_IF_ERROR(Write(tenant, m));
  current_[tenant] = Keep(m);
  return m;
}

Result<QuotaManifest> QuotaStore::Current(const std::string& tenant) const {
  MutexLock lock(mu_);
  auto it = current_.find(tenant);
  if (it == current_.end()) return Status::NotFound("tenant '" + tenant + "' has no quota", "quota_not_found");
  return ManifestOf(it->second);
}

Result<std::vector<QuotaManifest>> QuotaStore::History(const std::string& tenant) const {
  TKV_ASSIGN_OR_RETURN(QuotaHistoryPage all, HistoryPage(tenant, 0, SIZE_MAX));
  return std::move(all.versions);
}

Result<QuotaHistoryPage> QuotaStore::HistoryPage(const std::string& tenant, int64_t after_version,
                                                 size_t limit) const {
  TKV_RETURN_IF_ERROR(Current(tenant).status());
  QuotaHistoryPage page;
  if (after_version == INT64_MAX) return page;
  const std::string prefix = ManifestPrefix(tenant);
  std::unique_ptr<rocksdb::Iterator> it(storage_->db()->NewIterator(rocksdb::ReadOptions(), storage_->system()));
  for (it->Seek(ManifestKey(tenant, std::max<int64_t>(after_version, 0) + 1));
       it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (page.versions.size() == limit) {
      page.next = page.versions.back().version;
      break;
    }
    TKV_ASSIGN_OR_RETURN(QuotaManifest m, ManifestFromJson(it->value().ToStringView()));
    page.versions.push_back(std::move(m));
  }
  TKV_RETURN_IF_ERROR(FromRocks(it->status(), "read quota history"));
  return page;
}

Result<QuotaManifest> QuotaStore::Append(const std::string& tenant, const Quota& next,
                                         const std::string& author, const std::string& request) {
  return Modify(
      tenant,
      [&](Quota& q) {
        q = next;
        return Status::Ok();
      },
      author, request);
}

Result<QuotaManifest> QuotaStore::Modify(const std::string& tenant, const std::function<Status(Quota&)>& change,
                                         const std::string& author, const std::string& request) {
  MutexLock lock(mu_);
  auto it = current_.find(tenant);
  if (it == current_.end()) return Status::NotFound("tenant '" + tenant + "' has no quota", "quota_not_found");
  Quota next = *it->second.quota;
  TKV_RETURN_IF_ERROR(change(next));
  TKV_ASSIGN_OR_RETURN(QuotaManifest m,
                       AppendLocked(tenant, it->second.version, *it->second.quota, next, author, request));
  it->second = Keep(m);
  return m;
}

Result<QuotaManifest> QuotaStore::AppendLocked(const std::string& tenant, int64_t current_version,
                                               const Quota& current, const Quota& next, const std::string& author,
                                               const std::string& request) {
  TKV_RETURN_IF_ERROR(ValidateQuota(next));
  QuotaManifest m;
  m.version = current_version + 1;
  m.quota = next;
  m.updated_by = author;
  m.updated_at_ms = clock_->NowUnixMillis();
  m.changes = DiffQuota(current, next);
  m.request = request;
  TKV_RETURN_IF_ERROR(Write(tenant, m));
  return m;
}

Result<QuotaManifest> QuotaStore::Update(const std::string& tenant, const Quota& next,
                                         const std::string& author, const std::string& request) {
  return Append(tenant, next, author, request);
}

Result<QuotaManifest> QuotaStore::Revert(const std::string& tenant, int64_t version,
                                         const std::string& author) {
  std::string raw;
  rocksdb::Status s = storage_->db()->Get(rocksdb::ReadOptions(), storage_->system(),
                                          ManifestKey(tenant, version), &raw);
  if (s.IsNotFound()) {
    return Status::NotFound("no quota version " + std::to_string(version), "version_not_found");
  }
  TKV_RETURN_IF_ERROR(FromRocks(s, "read quota version"));
  TKV_ASSIGN_OR_RETURN(QuotaManifest old, ManifestFromJson(raw));
  return Append(tenant, old.quota, author, "");
}

std::vector<std::string> QuotaStore::Tenants() const {
  MutexLock lock(mu_);
  std::vector<std::string> out;
  for (const auto& [tenant, m] : current_) out.push_back(tenant);
  return out;
}

CapacityUse QuotaStore::Use(const std::string& except) const {
  MutexLock lock(mu_);
  CapacityUse use;
  for (const auto& [tenant, m] : current_) {
    if (tenant != except) use.Add(*m.quota);
  }
  return use;
}

Status QuotaStore::RemoveTenant(const std::string& tenant) {
  const std::string prefix = ManifestPrefix(tenant);
  rocksdb::WriteBatch batch;
  TKV_RETURN_IF_ERROR(FromRocks(batch.DeleteRange(storage_->system(), prefix, PrefixEnd(prefix)), "stage"));
  MutexLock lock(mu_);
  TKV_RETURN_IF_ERROR(FromRocks(storage_->db()->Write(storage_->meta_write_options(), &batch),
                                "remove quota manifests"));
  current_.erase(tenant);
  return Status::Ok();
}

}  // namespace tenantkv::engine

#include "engine/tenants/tenant_directory.h"
#include "engine/storage/system_keys.h"

#include <nlohmann/json.hpp>

#include "engine/storage/rocks_status.h"

namespace tenantkv::engine {
namespace {

using nlohmann::json;

std::string TenantKey(const std::string& id) { return std::string(kTenantPrefix) + id; }

TenantState StateFromName(const std::string& s) {
  if (s == "suspended") return TenantState::kSuspended;
  if (s == "deleting") return TenantState::kDeleting;
  return TenantState::kActive;
}

json InfoToJson(const TenantInfo& info) {
  json keys = json::array();
  for (const auto& k : info.data_keys) {
    keys.push_back({{"version", k.version},
                    {"state", k.state},
                    {"created_at_ms", k.created_at_ms},
                    {"master_version", k.master_version}});
  }
  json out = {{"id", info.id},
              {"plan", info.plan},
              {"state", TenantStateName(info.state)},
              {"created_at_ms", info.created_at_ms},
              {"placement", info.placement},
              {"data_keys", keys},
              {"incarnation", info.incarnation}};
  if (const auto& m = info.tier_move; m.has_value()) {
    out["tier_move"] = {{"to", m->to},
                        {"place", m->place},
                        {"state", m->state},
                        {"copied_keys", m->copied_keys},
                        {"started_at_ms", m->started_at_ms},
                        {"ended_at_ms", m->ended_at_ms},
                        {"error", m->error}};
  }
  return out;
}

Result<TenantInfo> InfoFromJson(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::DataLoss("tenant record is not JSON");
  try {
    TenantInfo info;
    info.id = j.at("id").get<std::string>();
    info.plan = j.at("plan").get<std::string>();
    info.state = StateFromName(j.at("state").get<std::string>());
    info.created_at_ms = j.at("created_at_ms").get<int64_t>();
    info.placement = j.at("placement").get<std::string>();
    for (const auto& k : j.at("data_keys")) {
      info.data_keys.push_back({k.at("version").get<uint32_t>(), k.at("state").get<std::string>(),
                                k.at("created_at_ms").get<int64_t>(),
                                k.at("master_version").get<uint32_t>()});
    }
    // Absent in records written before tenants had incarnations (the
    // registry gives such a tenant one at start).
    if (j.contains("incarnation")) info.incarnation = j.at("incarnation").get<std::string>();
    if (j.contains("tier_move")) {
      const json& m = j.at("tier_move");
      TierMoveInfo move;
      move.to = m.at("to").get<std::string>();
      move.place = m.at("place").get<std::string>();
      move.state = m.at("state").get<std::string>();
      move.copied_keys = m.at("copied_keys").get<int64_t>();
      move.started_at_ms = m.at("started_at_ms").get<int64_t>();
      move.ended_at_ms = m.at("ended_at_ms").get<int64_t>();
      move.error = m.at("error").get<std::string>();
      info.tier_move = std::move(move);
    }
    return info;
  } catch (const json::exception& e) {
    return Status::DataLoss(std::string("tenant record is malformed: ") + e.what());
  }
}

}  // namespace

const char* TenantStateName(TenantState s) {
  switch (s) {
    case TenantState::kActive: return "active";
    case TenantState::kSuspended: return "suspended";
    case TenantState::kDeleting: return "deleting";
  }
  return "active";
}

std::string TenantDirectory::UsageKey(const std::string& id) { return std::string(kUsagePrefix) + id; }

Result<std::vector<TenantInfo>> TenantDirectory::LoadRecords() const {
  std::vector<TenantInfo> infos;
  std::unique_ptr<rocksdb::Iterator> it(storage_->db()->NewIterator(ReadOnceOptions(), storage_->system()));
  for (it->Seek(kTenantPrefix); it->Valid() && it->key().starts_with(kTenantPrefix); it->Next()) {
    TKV_ASSIGN_OR_RETURN(TenantInfo info, InfoFromJson(it->value().ToStringView()));
    infos.push_back(std::move(info));
  }
  TKV_RETURN_IF_ERROR(FromRocks(it->status(), "load tenants"));
  return infos;
}

Status TenantDirectory::PersistRecord(const TenantInfo& info) {
  return FromRocks(storage_->db()->Put(storage_->meta_write_options(), storage_->system(), TenantKey(info.id),
                                       InfoToJson(info).dump()),
                   "persist tenant");
}

Status TenantDirectory::StageRecord(const TenantInfo& info, rocksdb::WriteBatch* batch) const {
  return FromRocks(batch->Put(storage_->system(), TenantKey(info.id), InfoToJson(info).dump()),
                   "stage tenant record");
}

Result<Usage> TenantDirectory::ReadUsageIn(const Storage& db, const std::string& id) {
  Usage usage;
  std::string raw;
  rocksdb::Status s = db.db()->Get(rocksdb::ReadOptions(), db.system(), UsageKey(id), &raw);
  if (s.ok()) return ParseUsage(id, raw);
  if (!s.IsNotFound()) return FromRocks(s, "read usage");
  return usage;
}

Result<Usage> TenantDirectory::ParseUsage(const std::string& id, std::string_view raw) {
  Usage usage;
  if (!DecodeUsage(raw, &usage.keys, &usage.logical_bytes)) {
    return Status::DataLoss("usage record of tenant '" + id + "' is malformed");
  }
  return usage;
}

void TenantDirectory::StageUsageIn(const Storage& db, const std::string& id, const Usage& usage,
                                   rocksdb::WriteBatch* batch) {
  batch->Put(db.system(), UsageKey(id), EncodeUsageDelta(usage.keys, usage.logical_bytes)).PermitUncheckedError();
}

Status TenantDirectory::RemoveRecords(const std::string& id) {
  rocksdb::WriteBatch records;
  records.Delete(storage_->system(), UsageKey(id)).PermitUncheckedError();
  records.Delete(storage_->system(), kUsageHistoryPrefix + id).PermitUncheckedError();
  const std::string stats = KeyStatsPrefix(id);
  records.DeleteRange(storage_->system(), stats, stats.substr(0, stats.size() - 1) + "0").PermitUncheckedError();
  records.Delete(storage_->system(), TenantKey(id)).PermitUncheckedError();
  return FromRocks(storage_->db()->Write(storage_->meta_write_options(), &records), "remove tenant records");
}

Status TenantDirectory::Reserve(const std::string& id) {
  WriterLock lock(mu_);
  if (tenants_.count(id) != 0 || busy_ids_.count(id) != 0 || deleting_.count(id) != 0) {
    return Status::AlreadyExists("tenant '" + id + "' already exists", "tenant_exists");
  }
  busy_ids_.insert(id);
  return Status::Ok();
}

void TenantDirectory::Publish(const std::string& id, std::shared_ptr<Tenant> tenant) {
  WriterLock lock(mu_);
  busy_ids_.erase(id);
  if (tenant != nullptr) tenants_[id] = std::move(tenant);
}

Result<std::shared_ptr<Tenant>> TenantDirectory::Get(const std::string& id) const {
  ReaderLock lock(mu_);
  auto it = tenants_.find(id);
  if (it == tenants_.end()) return TenantNotFound(id);
  return it->second;
}

std::vector<std::shared_ptr<Tenant>> TenantDirectory::List() const {
  ReaderLock lock(mu_);
  std::vector<std::shared_ptr<Tenant>> out;
  out.reserve(tenants_.size());
  for (const auto& [id, t] : tenants_) out.push_back(t);
  return out;
}

std::vector<std::shared_ptr<Tenant>> TenantDirectory::ListAfter(const std::string& start_after,
                                                                size_t max) const {
  ReaderLock lock(mu_);
  std::vector<std::shared_ptr<Tenant>> out;
  for (auto it = tenants_.upper_bound(start_after); it != tenants_.end() && out.size() < max; ++it) {
    out.push_back(it->second);
  }
  return out;
}

Result<TenantDirectory::DeleteStart> TenantDirectory::BeginDelete(const std::string& id) {
  DeleteStart out;
  WriterLock lock(mu_);
  out.running = busy_ids_.count(id) != 0;  // a live tenant is busy only while being deleted
  if (auto d = deleting_.find(id); d != deleting_.end()) {
    out.resumed = true;
    out.purge = d->second;
  } else if (auto it = tenants_.find(id); it != tenants_.end()) {
    out.resumed = out.running;
    out.live = it->second;
  } else {
    return TenantNotFound(id);
  }
  if (!out.running) busy_ids_.insert(id);  // the id stays taken until the shredding is done
  return out;
}

void TenantDirectory::MarkDeleting(const std::string& id, const PendingPurge& purge) {
  WriterLock lock(mu_);
  tenants_.erase(id);
  deleting_[id] = purge;
}

void TenantDirectory::FinishDelete(const std::string& id, bool purged, bool owns_place) {
  WriterLock lock(mu_);
  busy_ids_.erase(id);
  if (auto d = deleting_.find(id); d != deleting_.end()) {
    if (purged) {
      deleting_.erase(d);
    } else {
      d->second.owns_place = owns_place;
    }
  }
}

void TenantDirectory::AddPending(const TenantInfo& info, bool owns_place) {
  WriterLock lock(mu_);
  deleting_[info.id] = PendingPurge{info, owns_place};
}

Result<TenantInfo> TenantDirectory::PendingDelete(const std::string& id) const {
  ReaderLock lock(mu_);
  auto it = deleting_.find(id);
  if (it == deleting_.end()) return TenantNotFound(id);
  return it->second.info;
}

std::vector<TenantInfo> TenantDirectory::PendingDeletes() const {
  ReaderLock lock(mu_);
  std::vector<TenantInfo> out;
  for (const auto& [id, p] : deleting_) out.push_back(p.info);
  return out;
}

}  // namespace tenantkv::engine

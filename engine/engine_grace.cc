// The engine's side of storage grace periods (tenant_store.h: GraceState):
// each start and end is an audit entry, and a running or expired period is
// persisted under grace/<id>, so that a restart neither forgets it nor hands
// the tenant a fresh one.
#include <nlohmann/json.hpp>

#include "engine/engine.h"
#include "engine/storage/rocks_status.h"
#include "engine/storage/system_keys.h"

namespace tenantkv::engine {
namespace {

using nlohmann::json;

constexpr char kActor[] = "system";

std::string GraceKey(const std::string& id) { return kGracePrefix + id; }

}  // namespace

void Engine::OnStorageGrace(const std::string& id, GraceEvent event, const GraceState& state) {
  // Called on the writing thread, past the write's quota check: a failure
  // to record cannot fail that write, and the period itself lives on in the
  // store's memory either way; only its record or entry would be missing.
  rocksdb::DB* db = storage_->db();
  const auto& wo = storage_->meta_write_options();
  json details = {{"started_at_ms", state.started_ms}, {"ends_at_ms", state.ends_ms},
                  {"ceiling_bytes", state.ceiling_bytes}};
  switch (event) {
    case GraceEvent::kStarted: {
      {
        MutexLock lock(grace_mu_);
        in_grace_.insert(id);
      }
      db->Put(wo, storage_->system(), GraceKey(id), json{{"started_ms", state.started_ms}, {"expired", false}}.dump())
          .PermitUncheckedError();
      audit_->Append(kActor, "storage.grace.start", id, details.dump()).status().IgnoreError();
      break;
    }
    case GraceEvent::kExpired: {
      {
        MutexLock lock(grace_mu_);
        in_grace_.erase(id);
      }
      db->Put(wo, storage_->system(), GraceKey(id), json{{"started_ms", state.started_ms}, {"expired", true}}.dump())
          .PermitUncheckedError();
      details["reason"] = "expired";
      audit_->Append(kActor, "storage.grace.end", id, details.dump()).status().IgnoreError();
      break;
    }
    case GraceEvent::kEnded: {
      {
        MutexLock lock(grace_mu_);
        in_grace_.erase(id);
      }
      db->Delete(wo, storage_->system(), GraceKey(id)).PermitUncheckedError();
      // One that ran out had its end recorded then.
      if (!state.expired) {
        details["reason"] = "back_under_limit";
        audit_->Append(kActor, "storage.grace.end", id, details.dump()).status().IgnoreError();
      }
      break;
    }
  }
}

size_t Engine::CheckStorageGrace() {
  std::vector<std::string> ids;
  {
    MutexLock lock(grace_mu_);
    ids.assign(in_grace_.begin(), in_grace_.end());
  }
  size_t ended = 0;
  for (const auto& id : ids) {
    auto tenant = registry_->Get(id);
    if (!tenant.ok()) {
      MutexLock lock(grace_mu_);
      in_grace_.erase(id);
      continue;
    }
    if ((*tenant)->store().ExpireGraceIfDue()) ++ended;
  }
  return ended;
}

Status Engine::RestoreStorageGrace() {
  std::unique_ptr<rocksdb::Iterator> it(storage_->db()->NewIterator(rocksdb::ReadOptions(), storage_->system()));
  std::vector<std::string> stale;
  for (it->Seek(kGracePrefix); it->Valid() && it->key().starts_with(kGracePrefix); it->Next()) {
    const std::string id = it->key().ToString().substr(sizeof(kGracePrefix) - 1);
    auto tenant = registry_->Get(id);
    if (!tenant.ok()) {
      stale.push_back(id);
      continue;
    }
    const json j = json::parse(it->value().ToStringView(), nullptr, false);
    if (!j.is_object() || !j.contains("started_ms") || !j["started_ms"].is_number_integer() ||
        !j.contains("expired") || !j["expired"].is_boolean()) {
      return Status::DataLoss("storage grace record of '" + id + "' is malformed");
    }
    const bool expired = j["expired"].get<bool>();
    (*tenant)->store().RestoreGrace(j["started_ms"].get<int64_t>(), expired);
    if (!expired) {
      MutexLock lock(grace_mu_);
      in_grace_.insert(id);
    }
  }
  TKV_RETURN_IF_ERROR(FromRocks(it->status(), "read storage grace periods"));
  for (const auto& id : stale) TKV_RETURN_IF_ERROR(ForgetStorageGrace(id));
  return Status::Ok();
}

Status Engine::ForgetStorageGrace(const std::string& id) {
  {
    MutexLock lock(grace_mu_);
    in_grace_.erase(id);
  }
  return FromRocks(storage_->db()->Delete(storage_->meta_write_options(), storage_->system(), GraceKey(id)),
                   "remove storage grace period");
}

}  // namespace tenantkv::engine

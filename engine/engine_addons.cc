// The engine's add-ons: temporary quota boosts that start and end on their
// own, each start and end a quota manifest version (addon_store.h).
#include <nlohmann/json.hpp>

#include "crypto/random.h"
#include "engine/engine.h"

namespace tenantkv::engine {
namespace {

using nlohmann::json;

std::string AddonActor(const Addon& a) { return "addon:" + a.id; }

json FieldsJson(const std::map<std::string, int64_t>& fields) {
  json j = json::object();
  for (const auto& [k, v] : fields) j[k] = v;
  return j;
}

// The change stands even when its audit entry cannot be written; that
// failure is what the run reports.
Status Audited(const Result<AuditEntry>& entry) {
  if (entry.ok()) return Status::Ok();
  return Status::Internal("add-on changed, but its audit entry failed: " + entry.status().message());
}

}  // namespace

void Engine::EnforceCurrent(const std::string& id) {
  auto tenant = registry_->Get(id);
  auto m = quotas_->Current(id);
  if (tenant.ok() && m.ok()) Enforce(**tenant, m->quota);
}

Result<Addon> Engine::CreateAddon(const std::string& id, Addon a) {
  Quota boosted;
  TKV_ASSIGN_OR_RETURN(a, PrepareAddon(id, std::move(a), &boosted));
  // Judged against the quota of now; its start judges it again.
  TKV_RETURN_IF_ERROR(CheckCapacity(id, boosted));
  return addons_->Add(std::move(a));
}

Result<Addon> Engine::PrepareAddon(const std::string& id, Addon a, Quota* boosted) const {
  TKV_ASSIGN_OR_RETURN(auto tenant, registry_->Get(id));
  if (tenant->state() == TenantState::kDeleting) {
    return Status::NotFound("tenant '" + id + "' is being deleted", "tenant_not_found");
  }
  if (a.fields.empty()) return Status::InvalidArgument("an add-on sets at least one quota field", "invalid_quota");
  // Each value must be one the field may take; checked again, with the whole
  // quota, when it starts.
  TKV_ASSIGN_OR_RETURN(QuotaManifest current, quotas_->Current(id));
  *boosted = current.quota;
  for (const auto& [name, value] : a.fields) {
    const QuotaField* f = FindQuotaField(name);
    if (f == nullptr) return Status::InvalidArgument("unknown quota field '" + name + "'", "unknown_field");
    if (value < f->min || value > f->max) {
      return Status::InvalidArgument(name + " must be between " + std::to_string(f->min) + " and " +
                                         std::to_string(f->max),
                                     "invalid_quota");
    }
    (*boosted).*f->member = value;
  }
  TKV_RETURN_IF_ERROR(ValidateQuota(*boosted));
  const int64_t now = clock_->NowUnixMillis();
  if (a.starts_at_ms == 0 || a.starts_at_ms < now) a.starts_at_ms = now;
  if (a.ends_at_ms <= a.starts_at_ms) {
    return Status::InvalidArgument("ends_at must be after starts_at and after now", "invalid_period");
  }
  if (a.ends_at_ms - a.starts_at_ms > kMaxAddonMillis || a.starts_at_ms - now > kMaxAddonMillis) {
    return Status::InvalidArgument("an add-on lasts at most 366 days and starts within 366 days",
                                   "invalid_period");
  }
  TKV_ASSIGN_OR_RETURN(a.id, crypto::RandomHex(8));
  a.tenant = id;
  a.created_at_ms = now;
  a.state = AddonState::kScheduled;
  a.saved.clear();
  a.started_version = a.ended_version = a.finished_at_ms = 0;
  a.cancelled_by.clear();
  return a;
}

Status Engine::StartAddon(Addon a) {
  auto cancel = [&](const Status& why) -> Status {
    // It cannot apply (the quota around it changed so that it no longer
    // validates or fits the node, say): it is cancelled, visibly, rather
    // than retried forever.
    a.state = AddonState::kCancelled;
    a.finished_at_ms = clock_->NowUnixMillis();
    a.cancelled_by = "system: " + why.message();
    TKV_RETURN_IF_ERROR(addons_->Put(a));
    return Audited(audit_->Append(AddonActor(a), "addon.cancel", a.tenant,
                                  json{{"addon", a.id}, {"error", why.message()}}.dump()));
  };
  {
    TKV_ASSIGN_OR_RETURN(QuotaManifest current, quotas_->Current(a.tenant));
    Quota next = current.quota;
    for (const auto& [name, value] : a.fields) {
      if (const QuotaField* f = FindQuotaField(name)) next.*f->member = value;
    }
    Status fits = ValidateQuota(next);
    if (fits.ok()) fits = CheckCapacityLocked(a.tenant, next);
    if (!fits.ok()) return cancel(fits);
  }
  // The record is written as active inside the manifest change, before the
  // manifest: a crash between the two leaves an active add-on whose values
  // never applied, and its end then changes nothing. The other order could
  // start it twice and make the boost its own "saved" value, for good.
  auto m = quotas_->Modify(
      a.tenant,
      [&](Quota& q) -> Status {
        Quota next = q;
        a.saved.clear();
        for (const auto& [name, value] : a.fields) {
          const QuotaField* f = FindQuotaField(name);
          if (f == nullptr) return Status::DataLoss("add-on " + a.id + " names an unknown field " + name);
          a.saved[name] = q.*f->member;
          next.*f->member = value;
        }
        TKV_RETURN_IF_ERROR(ValidateQuota(next));
        a.state = AddonState::kActive;
        TKV_RETURN_IF_ERROR(addons_->Put(a));
        q = next;
        return Status::Ok();
      },
      AddonActor(a), a.request);
  if (!m.ok()) {
    if (m.status().code() == Code::kNotFound) return m.status();  // the tenant is gone
    return cancel(m.status());
  }
  a.started_version = m->version;
  TKV_RETURN_IF_ERROR(addons_->Put(a));
  EnforceCurrent(a.tenant);
  return Audited(audit_->Append(AddonActor(a), "addon.start", a.tenant,
                                json{{"addon", a.id}, {"fields", FieldsJson(a.fields)}, {"version", m->version}}
                                    .dump()));
}

Status Engine::EndAddon(Addon a, AddonState end_as, const std::string& actor) {
  const bool was_active = a.state == AddonState::kActive;
  if (was_active) {
    // The manifest first, then the record: a crash between them leaves it
    // active, and ending it again finds its values gone and changes nothing.
    // A field someone changed while it was active keeps their value.
    auto m = quotas_->Modify(
        a.tenant,
        [&](Quota& q) -> Status {
          for (const auto& [name, value] : a.fields) {
            const QuotaField* f = FindQuotaField(name);
            auto saved = a.saved.find(name);
            if (f == nullptr || saved == a.saved.end()) continue;
            if (q.*f->member == value) q.*f->member = saved->second;
          }
          return Status::Ok();
        },
        AddonActor(a));
    if (!m.ok()) return m.status();
    a.ended_version = m->version;
  }
  a.state = end_as;
  a.finished_at_ms = clock_->NowUnixMillis();
  if (end_as == AddonState::kCancelled) a.cancelled_by = actor;
  TKV_RETURN_IF_ERROR(addons_->Put(a));
  if (was_active) EnforceCurrent(a.tenant);
  json details = {{"addon", a.id}};
  if (was_active) details["version"] = a.ended_version;
  if (!was_active && end_as == AddonState::kEnded) details["missed"] = true;  // the node was down all along
  // A cancel is audited by the route that asked for it, with its caller.
  if (end_as != AddonState::kEnded) return Status::Ok();
  return Audited(audit_->Append(AddonActor(a), "addon.end", a.tenant, details.dump()));
}

Result<Addon> Engine::CancelAddon(const std::string& id, const std::string& addon_id, const std::string& author) {
  MutexLock lock(addon_mu_);
  MutexLock change(quota_change_mu_);
  TKV_ASSIGN_OR_RETURN(Addon a, addons_->Get(id, addon_id));
  if (!a.open()) {
    return Status::AlreadyExists("add-on " + addon_id + " is " + AddonStateName(a.state) + " already",
                                 "addon_finished");
  }
  TKV_RETURN_IF_ERROR(EndAddon(a, AddonState::kCancelled, author));
  return addons_->Get(id, addon_id);
}

AddonRun Engine::RunAddons() {
  MutexLock lock(addon_mu_);
  MutexLock change(quota_change_mu_);
  const int64_t now = clock_->NowUnixMillis();
  AddonRun run;
  for (Addon& a : addons_->Due(now)) {
    // Due() is a snapshot: an earlier step here may have changed this one.
    auto fresh = addons_->Get(a.tenant, a.id);
    if (!fresh.ok() || !fresh->open()) continue;
    a = *fresh;
    Status s;
    if (a.state == AddonState::kScheduled && a.ends_at_ms > now) {
      s = StartAddon(a);
    } else {
      s = EndAddon(a, AddonState::kEnded, AddonActor(a));
    }
    ++run.changed;
    if (!s.ok()) {
      if (s.code() == Code::kNotFound) --run.changed;  // its tenant went meanwhile
      else run.errors.push_back("add-on " + a.id + " of '" + a.tenant + "': " + s.message());
    }
  }
  return run;
}

}  // namespace tenantkv::engine

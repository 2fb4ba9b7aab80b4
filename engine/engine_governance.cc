// The engine's governance of quota changes: the node's capacity and the
// quota change requests with their approvals.
#include "engine/engine.h"

namespace tenantkv::engine {

CapacityLimits Engine::Limits() const {
  CapacityLimits limits;
  limits.scheduler_ops_per_sec = options_.scheduler_capacity_ops;
  limits.storage_overcommit_ratio = options_.storage_overcommit_ratio;
  limits.disk_bytes = options_.disk_bytes;
  return limits;
}

Status Engine::CheckCapacity(const std::string& id, const Quota& next) const {
  MutexLock lock(quota_change_mu_);
  return CheckCapacityLocked(id, next);
}

Status Engine::CheckCapacityLocked(const std::string& id, const Quota& next) const {
  CapacityLimits limits = Limits();
  if (limits.disk_bytes == 0) {
    TKV_ASSIGN_OR_RETURN(limits.disk_bytes, FileSystemBytes(data_dir_));
  }
  const CapacityUse others = quotas_->Use(id);
  CapacityUse before = others;
  if (auto current = quotas_->Current(id); current.ok()) before.Add(current->quota);
  CapacityUse after = others;
  after.Add(next);
  return engine::CheckCapacity(limits, before, after);
}

Result<QuotaRequest> Engine::FileQuotaRequest(const std::string& id, const std::map<std::string, int64_t>& fields,
                                              const std::string& reason, int64_t expires_at_ms,
                                              const std::string& author) {
  TKV_RETURN_IF_ERROR(registry_->Get(id).status());
  if (fields.empty()) return Status::InvalidArgument("'fields' must name at least one quota field", "invalid_quota");
  TKV_ASSIGN_OR_RETURN(QuotaManifest current, quotas_->Current(id));
  Quota asked = current.quota;
  for (const auto& [name, value] : fields) {
    const QuotaField* f = FindQuotaField(name);
    if (f == nullptr) return Status::InvalidArgument("unknown quota field '" + name + "'", "unknown_field");
    asked.*f->member = value;
  }
  TKV_RETURN_IF_ERROR(ValidateQuota(asked));
  return quota_requests_->Create(id, fields, reason, expires_at_ms, author);
}

Result<QuotaManifest> Engine::ApplyApprovedRequest(const QuotaRequest& request, const std::string& author) {
  TKV_ASSIGN_OR_RETURN(auto tenant, registry_->Get(request.tenant));
  MutexLock addons(addon_mu_);  // an expiring grant is an add-on
  MutexLock lock(quota_change_mu_);
  TKV_ASSIGN_OR_RETURN(QuotaManifest current, quotas_->Current(request.tenant));
  Quota next = current.quota;
  for (const auto& [name, value] : request.fields) {
    const QuotaField* f = FindQuotaField(name);
    if (f == nullptr) return Status::InvalidArgument("unknown quota field '" + name + "'", "unknown_field");
    next.*f->member = value;
  }
  // Operators are not bound by the plan's range (that is why the request
  // exists), only by the fields' absolute bounds and the node's capacity.
  TKV_RETURN_IF_ERROR(ValidateQuota(next));
  TKV_RETURN_IF_ERROR(CheckCapacityLocked(request.tenant, next));
  if (request.expires_at_ms == 0) {
    TKV_ASSIGN_OR_RETURN(QuotaManifest m, quotas_->Update(request.tenant, next, author, request.id));
    Enforce(*tenant, m.quota);
    return m;
  }
  // A request with an expiry is a temporary grant: an add-on from now until
  // then, started here, so that its start is the version naming the request
  // and it ends on its own (engine_addons.cc).
  if (request.expires_at_ms <= clock_->NowUnixMillis()) {
    return Status::AlreadyExists("the request's expires_at has passed: nothing is left to grant", "request_expired");
  }
  Addon grant;
  grant.fields = request.fields;
  grant.ends_at_ms = request.expires_at_ms;
  grant.reason = request.reason;
  grant.request = request.id;
  grant.created_by = author;
  Quota boosted;
  TKV_ASSIGN_OR_RETURN(grant, PrepareAddon(request.tenant, std::move(grant), &boosted));
  TKV_ASSIGN_OR_RETURN(grant, addons_->Add(std::move(grant)));
  TKV_RETURN_IF_ERROR(StartAddon(grant));
  TKV_ASSIGN_OR_RETURN(Addon started, addons_->Get(grant.tenant, grant.id));
  if (started.state != AddonState::kActive) {
    return Status::Internal("the add-on granting the request did not start: " + started.cancelled_by);
  }
  return quotas_->Current(request.tenant);
}

Result<QuotaRequestDecision> Engine::ApproveQuotaRequest(const std::string& rid, const std::string& approver,
                                                         const std::string& comment) {
  MutexLock lock(request_decision_mu_);
  TKV_ASSIGN_OR_RETURN(QuotaRequest request, quota_requests_->Get(rid));
  const QuotaApproval approval{approver, clock_->NowUnixMillis(), comment};
  // A decided request or a second approval by the same operator is refused
  // before anything applies.
  TKV_RETURN_IF_ERROR(CheckApprovable(request, approver));
  QuotaRequestDecision out;
  if (request.approvals.size() + 1 < static_cast<size_t>(options_.quota_approvals_required)) {
    TKV_ASSIGN_OR_RETURN(out.request, quota_requests_->AddApproval(rid, approval));
    return out;
  }
  TKV_ASSIGN_OR_RETURN(QuotaManifest m, ApplyApprovedRequest(request, approver));
  TKV_ASSIGN_OR_RETURN(out.request,
                       quota_requests_->Decide(rid, QuotaRequestState::kApproved, approval, m.version));
  out.manifest = std::move(m);
  return out;
}

Result<QuotaRequest> Engine::RejectQuotaRequest(const std::string& rid, const std::string& by,
                                                const std::string& comment) {
  MutexLock lock(request_decision_mu_);
  return quota_requests_->Decide(rid, QuotaRequestState::kRejected, {by, clock_->NowUnixMillis(), comment}, 0);
}

}  // namespace tenantkv::engine

#include "server/api/plan_mirror.h"

#include <spdlog/spdlog.h>

#include "engine/tenants/tenant_id.h"
#include "server/api/json_io.h"
#include "server/api/request_parsing.h"

namespace tenantkv::server {
namespace {

using json = nlohmann::json;

// Guarded writes of one plan tried this many times while others change it.
constexpr int kRetries = 4;

std::string PlanKey(const std::string& name) { return std::string(kPlansPrefix) + name; }

// The stored form: the plan without its name (the key has it).
std::string StoredJson(const engine::Plan& p) {
  json j = PlanToJson(p);
  j.erase("name");
  return j.dump();
}

// A stored plan: every field given, so no base shows through.
Result<engine::Plan> ParseStored(const std::string& name, const std::string& text, const engine::Plan& base) {
  const json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return Status::InvalidArgument("a stored plan is not a JSON object", "bad_plan_record");
  engine::Plan p = base;
  p.name = name;
  TKV_RETURN_IF_ERROR(ApplyPlanBody(j, &p));
  return p;
}

Status Unreachable(const Status& s) {
  return Status::Unavailable("etcd cannot be reached for the cluster's plans: " + s.message(), "cluster_unavailable");
}

}  // namespace

json PlanToJson(const engine::Plan& p) {
  return {{"name", p.name}, {"defaults", QuotaToJson(p.defaults)}, {"min", QuotaToJson(p.min)},
          {"max", QuotaToJson(p.max)}};
}

PlanMirror::PlanMirror(cluster::EtcdClient* etcd, engine::QuotaStore* quotas, std::chrono::milliseconds refresh)
    : etcd_(etcd), quotas_(quotas), refresh_(refresh) {}

PlanMirror::~PlanMirror() { Stop(); }

Status PlanMirror::Reconcile() {
  for (const engine::Plan& p : quotas_->Plans()) {
    cluster::EtcdTxn txn;
    txn.compare.push_back({PlanKey(p.name), cluster::EtcdCompare::Target::kCreateRevision,
                           cluster::EtcdCompare::Op::kEqual, 0});
    txn.success.push_back(cluster::EtcdOp::Put(PlanKey(p.name), StoredJson(p)));
    Result<cluster::EtcdTxnResult> r = etcd_->Txn(txn);
    if (!r.ok()) return Unreachable(r.status());
    if (r->succeeded) spdlog::info("cluster: plan '{}' published", p.name);
  }
  return Refresh();
}

Status PlanMirror::Refresh() {
  Result<std::vector<cluster::EtcdKeyValue>> kvs = etcd_->GetPrefix(kPlansPrefix, 10000);
  if (!kvs.ok()) return Unreachable(kvs.status());
  for (const cluster::EtcdKeyValue& kv : *kvs) {
    const std::string name = kv.key.substr(sizeof(kPlansPrefix) - 1);
    if (!engine::IsValidTenantId(name)) continue;
    Result<engine::Plan> local = quotas_->GetPlan(name);
    Result<engine::Plan> stored = ParseStored(name, kv.value, local.ok() ? *local : engine::Plan{});
    if (!stored.ok()) {
      spdlog::warn("cluster: plan record {} is malformed, skipped: {}", kv.key, stored.status().message());
      continue;
    }
    if (local.ok() && PlanToJson(*local) == PlanToJson(*stored)) continue;
    if (Status s = quotas_->PutPlan(*stored); !s.ok()) {
      spdlog::warn("cluster: plan '{}' from etcd not stored here: {}", name, s.ToString());
      continue;
    }
    spdlog::info("cluster: plan '{}' {} from etcd", name, local.ok() ? "updated" : "added");
  }
  return Status::Ok();
}

Result<std::pair<engine::Plan, bool>> PlanMirror::Put(const std::string& name, const engine::Plan& base,
                                                      const std::function<Status(engine::Plan*)>& change) {
  for (int attempt = 0; attempt < kRetries; ++attempt) {
    Result<std::optional<cluster::EtcdKeyValue>> read = etcd_->Get(PlanKey(name));
    if (!read.ok()) return Unreachable(read.status());
    engine::Plan p = base;
    p.name = name;
    const bool created = !read->has_value();
    if (!created) {
      TKV_ASSIGN_OR_RETURN(p, ParseStored(name, (*read)->value, base));
    }
    TKV_RETURN_IF_ERROR(change(&p));
    TKV_RETURN_IF_ERROR(engine::ValidatePlan(p));
    cluster::EtcdTxn txn;
    txn.compare.push_back({PlanKey(name), cluster::EtcdCompare::Target::kModRevision,
                           cluster::EtcdCompare::Op::kEqual, created ? 0 : (*read)->mod_revision});
    txn.success.push_back(cluster::EtcdOp::Put(PlanKey(name), StoredJson(p)));
    Result<cluster::EtcdTxnResult> r = etcd_->Txn(txn);
    if (!r.ok()) return Unreachable(r.status());
    if (!r->succeeded) continue;  // changed meanwhile: computed again from the new one
    TKV_RETURN_IF_ERROR(quotas_->PutPlan(p));
    return std::make_pair(p, created);
  }
  return Status::Unavailable("plan '" + name + "' keeps changing on other nodes; retry", "cluster_unavailable");
}

void PlanMirror::Start() {
  MutexLock lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] {
    for (;;) {
      {
        MutexLock lock(mu_);
        wake_.WaitUntil(mu_, std::chrono::steady_clock::now() + refresh_);
        if (stopping_) return;
      }
      (void)Refresh();  // etcd out of reach: the plans known stay, and it is read again next time
    }
  });
}

void PlanMirror::Stop() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
    wake_.SignalAll();
  }
  if (thread_.joinable()) thread_.join();
}

}  // namespace tenantkv::server

// ClusterFront::Reconcile (the directory made to agree with this node's
// tenants at start) and MakeClaimed (a tenant made under a claim of its
// id): cluster_front.h.
#include <spdlog/spdlog.h>

#include <map>

#include "engine/tenants/tenant_id.h"
#include "server/api/cluster_front.h"
#include "server/api/node_moves.h"

namespace tenantkv::server {

Status ClusterFront::Reconcile() {
  if (!enabled()) return Status::Ok();
  cluster::TenantDirectory& dir = *parts_.directory;
  TKV_ASSIGN_OR_RETURN(std::vector<cluster::DirectoryEntry> listed, dir.List());
  std::map<std::string, cluster::DirectoryEntry> entries;
  for (auto& e : listed) entries.emplace(e.tenant, std::move(e));
  size_t claimed = 0, activated = 0, released = 0;
  for (const auto& t : engine_->tenants().List()) {
    const std::string tier = engine::TierName(engine::TierOfPlacement(t->Info().placement));
    auto it = entries.find(t->id());
    if (it == entries.end()) {
      Result<cluster::DirectoryEntry> claim = dir.Claim(t->id(), node_id_, tier, "active");
      if (!claim.ok()) {
        spdlog::error("cluster: tenant '{}' held here could not be claimed: {}", t->id(), claim.status().ToString());
        continue;
      }
      for (const engine::ApiKeyInfo& k : engine_->api_keys().List(t->id())) {
        if (!k.revoked()) TKV_RETURN_IF_ERROR(dir.PublishKey(k.key_id, t->id()));
      }
      ++claimed;
      continue;
    }
    cluster::DirectoryEntry& e = it->second;
    // A copy given away, taken in unswitched, or of another node is fenced
    // (not served); a move cut short by a restart is rolled back.
    if (moves_ != nullptr) TKV_RETURN_IF_ERROR(moves_->SettleAtStart(e, true));
    if (e.node == node_id_ && e.state != "active" && !e.move) {
      cluster::DirectoryEntry next = e;
      next.state = "active";
      next.tier = tier;
      TKV_RETURN_IF_ERROR(dir.Update(e, next).status());
      ++activated;
    }
    entries.erase(it);
  }
  // What is left names tenants this node does not hold.
  for (const auto& [id, e] : entries) {
    if (e.move) {
      // A move to this node whose copy did not outlive the restart.
      if (moves_ != nullptr) TKV_RETURN_IF_ERROR(moves_->SettleAtStart(e, false));
      continue;
    }
    if (e.node != node_id_ || engine_->tenants().PendingDelete(id).ok()) continue;
    TKV_RETURN_IF_ERROR(dir.Release(e));
    ++released;
  }
  spdlog::info("cluster: directory reconciled: {} tenants claimed, {} activated, {} stale entries released",
               claimed, activated, released);
  return Status::Ok();
}

Status ClusterFront::MakeClaimed(const std::string& id, engine::Tier tier, const std::function<Status()>& make) {
  if (!enabled()) return make();
  TKV_RETURN_IF_ERROR(engine::ValidateTenantId(id));
  cluster::TenantDirectory& dir = *parts_.directory;
  TKV_ASSIGN_OR_RETURN(cluster::DirectoryEntry claim, dir.Claim(id, node_id_, engine::TierName(tier), "creating"));
  if (Status made = make(); !made.ok()) {
    if (Status s = dir.Release(claim); !s.ok()) {
      spdlog::warn("cluster: the claim of tenant '{}' outlived its failed create: {}", id, s.ToString());
    }
    return made;
  }
  cluster::DirectoryEntry active = claim;
  active.state = "active";
  if (auto tenant = engine_->tenants().Get(id); tenant.ok()) {
    active.tier = engine::TierName(engine::TierOfPlacement((*tenant)->Info().placement));
  }
  if (Status s = dir.Update(claim, active).status(); !s.ok()) {
    // Made and answered: the next start's reconciliation activates it.
    spdlog::warn("cluster: tenant '{}' was made but its directory entry is still 'creating': {}", id, s.ToString());
  }
  return Status::Ok();
}

}  // namespace tenantkv::server

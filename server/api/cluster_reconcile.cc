// ClusterFront::Reconcile: the directory made to agree with this node's
// tenants at start (cluster_front.h).
#include <spdlog/spdlog.h>

#include <map>

#include "server/api/cluster_front.h"

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
    if (e.node != node_id_) {
      spdlog::error("cluster: tenant '{}' is held here, but the directory gives it to node '{}': this copy is "
                    "served only to requests sent to this node itself",
                    t->id(), e.node);
    } else if (e.state != "active") {
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
    if (e.node != node_id_ || engine_->tenants().PendingDelete(id).ok()) continue;
    TKV_RETURN_IF_ERROR(dir.Release(e));
    ++released;
  }
  spdlog::info("cluster: directory reconciled: {} tenants claimed, {} activated, {} stale entries released",
               claimed, activated, released);
  return Status::Ok();
}

}  // namespace tenantkv::server

// PlanMirror: quota plans are cluster-wide in cluster mode. etcd holds
// each plan (/tenantkv/plans/<name> -> {"defaults","min","max"}, no
// secret), and every node keeps its own store in step with it:
// - a change (PUT /admin/v1/plans/{name} on any node) is computed from the
//   plan as etcd holds it, written in a transaction guarded by what was
//   read (so two nodes' changes never overwrite each other unseen), then
//   stored here; etcd out of reach is 503 cluster_unavailable, changing
//   nothing;
// - a background refresh reads the plans every `refresh` and stores here
//   any that differ, so a plan changed on one node applies on the others
//   within about that long (a tenant made or moved onto a node needs its
//   plan there);
// - at join, the plans this node has that etcd lacks are published (the
//   built-in ones and those made before cluster mode), then etcd's are
//   taken in.
// Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <utility>

#include "crypto/mutex.h"
#include "crypto/status.h"
#include "engine/quota/quota_store.h"
#include "server/cluster/etcd_client.h"

namespace tenantkv::server {

inline constexpr char kPlansPrefix[] = "/tenantkv/plans/";

// A plan's JSON as the API shows it ({"name","defaults","min","max"}).
nlohmann::json PlanToJson(const engine::Plan& p);

class PlanMirror {
 public:
  // Both must outlive it.
  PlanMirror(cluster::EtcdClient* etcd, engine::QuotaStore* quotas,
             std::chrono::milliseconds refresh = std::chrono::seconds(2));
  ~PlanMirror();  // Stop()

  Status Reconcile();
  void Start();
  void Stop();

  // The change of plan `name`: `change` edits the plan as etcd holds it
  // (or, when it holds none, `base`, the plan to start a new one from).
  // Gives the plan written and whether it is new.
  // Unavailable("cluster_unavailable"); the change's own errors.
  Result<std::pair<engine::Plan, bool>> Put(const std::string& name, const engine::Plan& base,
                                            const std::function<Status(engine::Plan*)>& change);

  // Reads etcd's plans once and stores those that differ here.
  Status Refresh();

 private:
  cluster::EtcdClient* const etcd_;
  engine::QuotaStore* const quotas_;
  const std::chrono::milliseconds refresh_;
  Mutex mu_;
  CondVar wake_;
  bool stopping_ GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace tenantkv::server

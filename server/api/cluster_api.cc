// GET /admin/v1/cluster (operator only): the nodes of the cluster, read
// from etcd, or this node alone when it runs standalone. Etcd out of reach
// is 503 cluster_unavailable; the node's own data routes do not depend on it.
// GET /admin/v1/cluster/tenants: cluster_tenants_api.cc.
#include <chrono>

#include "server/api/api.h"
#include "server/api/json_io.h"
#include "server/api/rfc3339.h"

namespace tenantkv::server {
namespace {

// The standalone node's id in the answer: there is no --node-id then.
constexpr char kStandaloneNodeId[] = "local";

json NodeJson(const cluster::NodeRecord& n) {
  return {{"id", n.id},
          {"url", n.url.empty() ? json(nullptr) : json(n.url)},
          {"alive", n.alive},
          {"tenants", n.load.tenants},
          {"bytes", n.load.bytes},
          {"started_at", n.started_at},
          {"version", n.version}};
}

}  // namespace

cluster::NodeLoad NodeLoadOf(engine::Engine* engine) {
  cluster::NodeLoad load;
  for (const auto& t : engine->tenants().List()) {
    ++load.tenants;
    load.bytes += t->store().GetUsage().logical_bytes;
  }
  return load;
}

void AddClusterRoutes(ApiRouter& router, engine::Engine* engine, ClusterFront* cluster) {
  cluster::Membership* membership = cluster != nullptr ? cluster->membership() : nullptr;
  const int64_t started_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  router.Add("GET", "/admin/v1/cluster",
             {"cluster.get", Access::kOperator, false, [engine, membership, started_ms](Call& c) -> Status {
                if (!c.query.empty()) {
                  return Status::InvalidArgument("this route takes no query parameters", "invalid_parameter");
                }
                json nodes = json::array();
                if (membership == nullptr) {
                  cluster::NodeRecord self;
                  self.id = kStandaloneNodeId;
                  self.alive = true;
                  self.load = NodeLoadOf(engine);
                  self.started_at = Rfc3339(started_ms);
                  self.version = TENANTKV_VERSION;
                  nodes.push_back(NodeJson(self));
                  WriteJson(c.res, 200, {{"mode", "standalone"}, {"node", kStandaloneNodeId}, {"nodes", nodes}});
                  return Status::Ok();
                }
                TKV_ASSIGN_OR_RETURN(std::vector<cluster::NodeRecord> listed, membership->ListNodes());
                for (const auto& n : listed) nodes.push_back(NodeJson(n));
                c.res.SetHeader("Cache-Control", "no-store");
                WriteJson(c.res, 200,
                          {{"mode", "cluster"},
                           {"node", membership->node_id()},
                           {"lease_alive", membership->lease_alive()},
                           {"nodes", std::move(nodes)}});
                return Status::Ok();
              }});
  router.Add("GET", "/admin/v1/cluster/tenants", ClusterTenantListRoute(engine, cluster));
}

}  // namespace tenantkv::server

// GET /admin/v1/cluster/tenants (operator only): the cluster's tenant
// directory, one page in tenant id order, read from etcd on every call
// (never from a node's cache), whichever node answers. Standalone, the same
// shape lists this node's live tenants, so that one call serves both modes.
//
// A page costs about its own size: it is read from etcd from the cursor
// (or the prefix) on. A node filter reads on until the page is full or the
// range ends, but at most kMaxScanned directory keys per call; past that
// the answer stops early, with `next` the last id read, so that the
// caller goes on from there. Etcd out of reach: 503 cluster_unavailable.
#include <algorithm>
#include <cstdint>
#include <string>

#include "server/api/api.h"
#include "server/api/json_io.h"
#include "server/api/request_parsing.h"

namespace tenantkv::server {
namespace {

// The standalone node's id in the answer, as GET /admin/v1/cluster has it.
constexpr char kStandaloneNodeId[] = "local";
// Directory keys read at most by one call, and at once by a node filter.
constexpr size_t kMaxScanned = 10'000;
constexpr size_t kScanChunk = 1'000;

json EntryJson(const std::string& id, const std::string& node, const std::string& tier, const std::string& state,
               int64_t epoch) {
  return {{"id", id}, {"node", node}, {"tier", tier}, {"state", state}, {"epoch", epoch}};
}

void WriteList(Call& c, json list, json next) {
  c.res.SetHeader("Cache-Control", "no-store");
  WriteJson(c.res, 200, {{"tenants", std::move(list)}, {"next", std::move(next)}});
}

// This node's live tenants, as if it were a cluster of one: node "local",
// epoch 1, state "active" (the directory's sense: served by its node).
Status ListStandalone(engine::Engine* engine, const ClusterTenantListQuery& q, Call& c) {
  json list = json::array();
  bool more = false;
  if (!q.node || *q.node == kStandaloneNodeId) {
    std::string from = q.page.start_after.value_or("");  // every id sorts after ""
    // The ids with a prefix are one run of the order: start just before it.
    if (q.prefix && *q.prefix > from) from = CursorBefore(*q.prefix);
    for (const auto& t : engine->tenants().ListAfter(from, q.page.limit + 1)) {
      if (q.prefix && t->id().compare(0, q.prefix->size(), *q.prefix) != 0) break;  // past the prefix's run
      if (list.size() == q.page.limit) {
        more = true;
        break;
      }
      const std::string tier = engine::TierName(engine::TierOfPlacement(t->Info().placement));
      list.push_back(EntryJson(t->id(), kStandaloneNodeId, tier, "active", 1));
    }
  }
  json next = more ? list.back()["id"] : json(nullptr);
  WriteList(c, std::move(list), std::move(next));
  return Status::Ok();
}

Status ListCluster(cluster::TenantDirectory& dir, const ClusterTenantListQuery& q, Call& c) {
  const size_t limit = q.page.limit;
  const std::string prefix = q.prefix.value_or("");
  auto matches = [&q](const cluster::DirectoryEntry& e) { return !q.node || e.node == *q.node; };
  json list = json::array();
  std::string after = q.page.start_after.value_or("");
  size_t scanned = 0;
  for (;;) {
    // Without a filter every entry is listed: read just what the page
    // lacks. With one, read in chunks, within what the call may still read.
    const size_t want = q.node ? kScanChunk : limit - list.size();
    const auto n = static_cast<int64_t>(std::min(want, kMaxScanned - scanned));
    TKV_ASSIGN_OR_RETURN(cluster::DirectoryPage page, dir.ListPage(after, prefix, n));
    scanned += page.read;
    for (auto e = page.entries.begin(); e != page.entries.end(); ++e) {
      if (!matches(*e)) continue;
      if (list.size() == limit) {  // a match follows the full page
        json next = list.back()["id"];
        WriteList(c, std::move(list), std::move(next));
        return Status::Ok();
      }
      list.push_back(EntryJson(e->tenant, e->node, e->tier, e->state, e->epoch));
    }
    if (!page.more) break;  // the range ended: no more
    if (list.size() == limit) {
      // Keys follow that were not read: matches may.
      json next = list.back()["id"];
      WriteList(c, std::move(list), std::move(next));
      return Status::Ok();
    }
    if (scanned >= kMaxScanned) {
      // Read enough for one call: the caller goes on after the last id read,
      // which may be past the page's last tenant (the page may be empty).
      WriteList(c, std::move(list), page.last);
      return Status::Ok();
    }
    after = std::move(page.last);
  }
  WriteList(c, std::move(list), nullptr);
  return Status::Ok();
}

}  // namespace

Route ClusterTenantListRoute(engine::Engine* engine, ClusterFront* cluster) {
  return {"cluster.tenants", Access::kOperator, false, [engine, cluster](Call& c) -> Status {
            TKV_ASSIGN_OR_RETURN(ClusterTenantListQuery q, ParseClusterTenantListQuery(c.query));
            if (cluster == nullptr || !cluster->enabled()) return ListStandalone(engine, q, c);
            return ListCluster(*cluster->directory(), q, c);
          }};
}

}  // namespace tenantkv::server

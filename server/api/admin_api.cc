// The admin API: tenants and their API keys.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <vector>

#include "engine/tenants/tenant_id.h"
#include "server/api/api.h"
#include "server/api/node_moves.h"
#include "server/api/json_io.h"
#include "server/api/request_parsing.h"

namespace tenantkv::server {
namespace {

json KeyVersionsJson(const engine::TenantInfo& info) {
  json keys = json::array();
  for (const auto& k : info.data_keys) {
    keys.push_back({{"version", k.version}, {"state", k.state}, {"created_at", Rfc3339(k.created_at_ms)}});
  }
  return keys;
}

// A tenant whose delete is not finished: its record only (no usage or
// quota, its store is closed).
json DeletingTenantJson(const engine::TenantInfo& info, const std::string& node) {
  return {{"id", info.id},
          {"node", node},
          {"plan", info.plan},
          {"tier", engine::TierName(engine::TierOfPlacement(info.placement))},
          {"state", engine::TenantStateName(engine::TenantState::kDeleting)},
          {"created_at", Rfc3339(info.created_at_ms)},
          {"key_versions", KeyVersionsJson(info)}};
}

// The refusals the tenant met since the server started, by reason, as
// GET /v1/usage shows them; a tenant never served has no series yet (and
// gets none made here: listing 100,000 tenants allocates nothing).
json ThrottledJson(const engine::Tenant& t) {
  const RequestSeries* series = t.AttachedIfAny<RequestSeries>();
  json out = json::object();
  for (size_t r = 0; r < kThrottleReasons; ++r) {
    const auto reason = static_cast<ThrottleReason>(r);
    out[ThrottleReasonName(reason)] = series == nullptr ? 0 : series->throttled(reason);
  }
  return out;
}

// A tier move: the running one, else the last one's outcome.
json TierMoveJson(const engine::TierMoveInfo& m) {
  json j = {{"to", m.to}, {"state", m.state}, {"copied_keys", m.copied_keys}, {"started_at", Rfc3339(m.started_at_ms)}};
  if (m.ended_at_ms != 0) j["ended_at"] = Rfc3339(m.ended_at_ms);
  if (!m.error.empty()) j["error"] = m.error;
  return j;
}

// `node`: the node that holds it (this one).
json TenantJson(engine::Engine* engine, const engine::Tenant& t, const std::string& node) {
  engine::TenantInfo info = t.Info();
  json keys = KeyVersionsJson(info);
  engine::Usage u = t.store().GetUsage();
  json out = {{"id", info.id},
          {"node", node},
          {"plan", info.plan},
          {"tier", engine::TierName(engine::TierOfPlacement(info.placement))},
          {"state", engine::TenantStateName(info.state)},
          {"created_at", Rfc3339(info.created_at_ms)},
          {"usage", {{"keys", u.keys}, {"logical_bytes", u.logical_bytes}}},
          {"quota", QuotaToJson(t.limits().quota())},
          {"key_versions", std::move(keys)},
          {"throttled", ThrottledJson(t)}};
  if (info.tier_move.has_value()) {
    // A running move's record holds its start: its progress is live.
    auto live = info.tier_move->running() ? engine->tenants().TierMoveProgress(info.id) : std::nullopt;
    out["tier_move"] = TierMoveJson(live.value_or(*info.tier_move));
  }
  return out;
}

json ApiKeyJson(const engine::ApiKeyInfo& k) {
  json j = {{"key_id", k.key_id},
            {"tenant", k.tenant},
            {"role", engine::RoleName(k.role)},
            {"created_at", Rfc3339(k.created_at_ms)},
            {"state", k.revoked() ? "revoked" : "active"}};
  if (k.revoked()) j["revoked_at"] = Rfc3339(k.revoked_at_ms);
  j["name"] = k.name.empty() ? json(nullptr) : json(k.name);
  j["expires_at"] = k.has_expiry() ? json(Rfc3339Exact(k.expires_at_ms)) : json(nullptr);
  return j;
}

class AdminRoutes {
 public:
  AdminRoutes(engine::Engine* engine, ClusterFront* cluster) : engine_(engine), cluster_(cluster) {}

  // The tenant JSON, with its move between nodes when this node knows of one.
  json View(const engine::Tenant& t) const {
    json j = TenantJson(engine_, t, node());
    if (cluster_->moves() != nullptr) {
      if (std::optional<json> move = cluster_->moves()->StatusJson(t.id())) j["node_move"] = std::move(*move);
    }
    return j;
  }

  // A move between nodes of the tenant runs: 409 move_in_progress.
  Status CheckNotMoving(const std::string& id) const {
    if (cluster_->moves() != nullptr && cluster_->moves()->Busy(id)) {
      return Status::AlreadyExists("tenant '" + id + "' is moving to another node", "move_in_progress");
    }
    return Status::Ok();
  }

  // Standalone: made here. In a cluster: on the node named, else on the
  // one the policy picks (ClusterFront::Place); passed on to it when it
  // is another, with that node named.
  Status CreateTenant(Call& c) {
    TKV_ASSIGN_OR_RETURN(json body, ParseJsonObject(c.req));
    TKV_ASSIGN_OR_RETURN(TenantCreateRequest r, ParseTenantCreateBody(body));
    if (!cluster_->enabled()) {
      if (r.node && *r.node != node()) {
        return Status::InvalidArgument("node '" + *r.node + "' is not a node of this cluster", "unknown_node");
      }
      return CreateHere(c, r);
    }
    TKV_RETURN_IF_ERROR(engine::ValidateTenantId(r.id));
    TKV_ASSIGN_OR_RETURN(std::string target, cluster_->Place(r.node));
    if (target != node()) {
      if (c.req.HasHeader(kForwardedByHeader)) {
        return Status::Unavailable("the node this create was passed to is no longer its place", "node_unavailable");
      }
      body["node"] = target;
      return cluster_->ForwardTo(target, c.req, body.dump(), std::string(c.request_id), c.res);
    }
    return cluster_->MakeClaimed(r.id, r.tier.value_or(engine::Tier::kColumnFamily),
                                 [&] { return CreateHere(c, r); });
  }

  Status CreateHere(Call& c, const TenantCreateRequest& r) {
    TKV_ASSIGN_OR_RETURN(auto tenant, engine_->CreateTenant(r.id, r.plan, r.tier));
    const engine::TenantInfo info = tenant->Info();
    TKV_RETURN_IF_ERROR(RecordAudit(
        engine_, c, "tenant.create", tenant->id(),
        json{{"plan", info.plan}, {"tier", engine::TierName(engine::TierOfPlacement(info.placement))}}.dump()));
    c.res.SetHeader("Location", "/admin/v1/tenants/" + tenant->id());
    WriteJson(c.res, 201, View(*tenant));
    return Status::Ok();
  }

  // Live and deleting tenants in id order, one page: the directory is read
  // in chunks from the cursor (or from the prefix), so a page costs about
  // its own size; a filter that skips many tenants reads on until the page
  // is full, and a prefix stops the walk at the end of its run.
  Status ListTenants(Call& c) {
    TKV_ASSIGN_OR_RETURN(TenantListQuery q, ParseTenantListQuery(c.query));
    auto matches = [&q](const engine::TenantInfo& info) {
      return (!q.prefix || info.id.compare(0, q.prefix->size(), *q.prefix) == 0) &&
             (!q.plan || info.plan == *q.plan) &&
             (!q.tier || engine::TierOfPlacement(info.placement) == *q.tier) && (!q.state || info.state == *q.state);
    };
    const std::string start_after = q.page.start_after.value_or("");  // every id sorts after ""
    std::map<std::string, engine::TenantInfo> deleting;  // deletes not finished: few
    for (engine::TenantInfo& info : engine_->tenants().PendingDeletes()) {
      info.state = engine::TenantState::kDeleting;
      if (info.id > start_after && matches(info)) deleting.emplace(info.id, std::move(info));
    }
    json list = json::array();
    bool more = false;  // a matching tenant sorts after the page
    auto room = [&] {
      if (list.size() < q.page.limit) return true;
      more = true;
      return false;
    };
    auto pending = deleting.begin();
    // The deleting tenants that sort before `id` (all of them: nullptr).
    auto add_deleting_before = [&](const std::string* id) {
      for (; pending != deleting.end() && (id == nullptr || pending->first < *id); ++pending) {
        if (!room()) return;
        list.push_back(DeletingTenantJson(pending->second, node()));
      }
      // A delete that began between the two reads: the live entry is shown.
      if (id != nullptr && pending != deleting.end() && pending->first == *id) ++pending;
    };
    constexpr size_t kChunk = 256;
    // The ids with a prefix are one run of the order: start just before it.
    std::string from = start_after;
    if (q.prefix && *q.prefix > start_after) from = CursorBefore(*q.prefix);
    bool past_prefix = false;
    while (!more && !past_prefix) {
      const std::vector<std::shared_ptr<engine::Tenant>> live = engine_->tenants().ListAfter(from, kChunk);
      for (const auto& t : live) {
        if (q.prefix && t->id().compare(0, q.prefix->size(), *q.prefix) > 0) {
          past_prefix = true;
          break;
        }
        add_deleting_before(&t->id());
        if (more) break;
        if (!matches(t->Info())) continue;
        // A copy given away (or not yet switched in) is listed by its owner.
        if (cluster_->FenceOf(t->id()) == ClusterFront::Fence::kAway) continue;
        if (!room()) break;
        list.push_back(View(*t));
      }
      if (more || live.size() < kChunk) break;
      from = live.back()->id();
    }
    if (!more) add_deleting_before(nullptr);
    json next = more ? list.back()["id"] : json(nullptr);
    WriteJson(c.res, 200, {{"tenants", std::move(list)}, {"next", std::move(next)}});
    return Status::Ok();
  }

  Status ShowTenant(Call& c) {
    if (auto tenant = engine_->tenants().Get(c.params["id"]); tenant.ok()) {
      WriteJson(c.res, 200, View(**tenant));
      return Status::Ok();
    }
    TKV_ASSIGN_OR_RETURN(engine::TenantInfo deleting, engine_->tenants().PendingDelete(c.params["id"]));
    WriteJson(c.res, 200, DeletingTenantJson(deleting, node()));
    return Status::Ok();
  }

  // 204 once deleted; 202 when it was deleting already (the purge of an
  // earlier delete is retried here, or another delete of it runs).
  Status DeleteTenant(Call& c) {
    const std::string& id = c.params["id"];
    TKV_RETURN_IF_ERROR(CheckNotMoving(id));
    engine::TenantInfo before;
    if (auto tenant = engine_->tenants().Get(id); tenant.ok()) {
      before = (*tenant)->Info();
    } else if (auto deleting = engine_->tenants().PendingDelete(id); deleting.ok()) {
      before = std::move(deleting).value();
    }
    json versions = json::array();
    for (const auto& k : before.data_keys) versions.push_back(k.version);
    // In a cluster the directory must be reachable first: a delete it does
    // not learn of would keep the id taken.
    std::optional<cluster::DirectoryEntry> entry;
    if (cluster_->enabled()) {
      TKV_ASSIGN_OR_RETURN(entry, cluster_->directory()->Lookup(id, true));
    }
    TKV_ASSIGN_OR_RETURN(engine::TenantRegistry::DeleteOutcome outcome, engine_->DeleteTenant(id));
    if (entry && entry->node == node()) {
      if (Status s = cluster_->directory()->Release(*entry); !s.ok()) {
        spdlog::warn("cluster: tenant '{}' was deleted but its directory entry stays: {}", id, s.ToString());
      }
    }
    if (outcome.purged) {
      TKV_RETURN_IF_ERROR(RecordAudit(engine_, c, "tenant.delete", id));
      TKV_RETURN_IF_ERROR(RecordAudit(engine_, c, "key.destroy", id,
                                      json{{"key_versions", std::move(versions)}}.dump()));
    }
    c.res.status = outcome.resumed ? 202 : 204;
    return Status::Ok();
  }

  Status Suspend(Call& c, bool suspended) {
    TKV_ASSIGN_OR_RETURN(auto tenant, engine_->tenants().SetSuspended(c.params["id"], suspended));
    TKV_RETURN_IF_ERROR(
        RecordAudit(engine_, c, suspended ? "tenant.suspend" : "tenant.resume", tenant->id()));
    WriteJson(c.res, 200, View(*tenant));
    return Status::Ok();
  }

  // Starts an online move to another tier: 202 and the tenant as it moves;
  // 200 and the tenant as it is when it is in that tier already.
  Status MoveTier(Call& c) {
    TKV_ASSIGN_OR_RETURN(auto tenant, engine_->tenants().Get(c.params["id"]));
    TKV_ASSIGN_OR_RETURN(json body, ParseJsonObject(c.req));
    TKV_ASSIGN_OR_RETURN(engine::Tier to, ParseTierMoveBody(body));
    TKV_RETURN_IF_ERROR(CheckNotMoving(tenant->id()));
    const std::string from = engine::TierName(engine::TierOfPlacement(tenant->Info().placement));
    TKV_ASSIGN_OR_RETURN(bool started, engine_->tenants().MoveTier(tenant->id(), to));
    if (started) {
      TKV_RETURN_IF_ERROR(RecordAudit(engine_, c, "tenant.tier_move", tenant->id(),
                                      json{{"from", from}, {"to", engine::TierName(to)}}.dump()));
    }
    WriteJson(c.res, started ? 202 : 200, View(*tenant));
    return Status::Ok();
  }

  // Starts an online move to another node (node_moves.h): 202 and the
  // tenant with its node_move; 200 and the tenant when it is there already.
  Status MoveNode(Call& c) {
    TKV_ASSIGN_OR_RETURN(auto tenant, engine_->tenants().Get(c.params["id"]));
    TKV_ASSIGN_OR_RETURN(json body, ParseJsonObject(c.req));
    TKV_ASSIGN_OR_RETURN(std::string to, ParseNodeMoveBody(body));
    if (cluster_->moves() == nullptr) {
      if (to != node()) {
        return Status::AlreadyExists("this node runs standalone: there is no other node to move to", "not_clustered");
      }
      WriteJson(c.res, 200, View(*tenant));
      return Status::Ok();
    }
    TKV_ASSIGN_OR_RETURN(bool started, cluster_->moves()->Request(tenant->id(), to));
    if (started) {
      TKV_RETURN_IF_ERROR(RecordAudit(engine_, c, "tenant.node_move", tenant->id(),
                                      json{{"from", node()}, {"to", to}}.dump()));
    }
    WriteJson(c.res, started ? 202 : 200, View(*tenant));
    return Status::Ok();
  }

  Status CreateApiKey(Call& c) {
    // A tenant admin's own tenant, as its key was checked: never a later
    // tenant the id names by now.
    std::shared_ptr<engine::Tenant> tenant = c.tenant;
    if (tenant == nullptr) {
      TKV_ASSIGN_OR_RETURN(tenant, engine_->tenants().Get(c.params["id"]));
    }
    TKV_ASSIGN_OR_RETURN(json body, ParseJsonObject(c.req));
    TKV_ASSIGN_OR_RETURN(ApiKeyCreateRequest r, ParseApiKeyCreateBody(body));
    TKV_ASSIGN_OR_RETURN(engine::NewApiKey key, engine_->api_keys().Create(*tenant, r.role, r.options));
    if (cluster_->enabled()) {
      // Routed from every node, or not made: a token only its own node
      // knew would fail on the others.
      if (Status s = cluster_->directory()->PublishKey(key.info.key_id, tenant->id()); !s.ok()) {
        if (Status undo = engine_->api_keys().Revoke(tenant->id(), key.info.key_id); !undo.ok()) {
          spdlog::warn("cluster: API key {} could not be routed nor revoked: {}", key.info.key_id, undo.ToString());
        }
        return s;
      }
    }
    // The name is free text: it enters the entry as a JSON string, escaped
    // by the library, never spliced into the text.
    const json created = ApiKeyJson(key.info);
    TKV_RETURN_IF_ERROR(RecordAudit(engine_, c, "apikey.create", tenant->id(),
                                    json{{"key_id", key.info.key_id},
                                         {"role", engine::RoleName(r.role)},
                                         {"name", created.at("name")},
                                         {"expires_at", created.at("expires_at")}}
                                        .dump()));
    json out = created;
    out["token"] = key.token;
    c.res.SetHeader("Cache-Control", "no-store");
    WriteJson(c.res, 201, out);
    return Status::Ok();
  }

  // Oldest first, in pages: start_after is the key id that ended the last.
  Status ListApiKeys(Call& c) {
    TKV_ASSIGN_OR_RETURN(auto tenant, engine_->tenants().Get(c.params["id"]));
    TKV_ASSIGN_OR_RETURN(PageQuery page, ParsePageQuery(c.query));
    const std::vector<engine::ApiKeyInfo> keys = engine_->api_keys().List(tenant->id());
    auto from = keys.begin();
    if (page.start_after) {
      from = std::find_if(keys.begin(), keys.end(),
                          [&](const engine::ApiKeyInfo& k) { return k.key_id == *page.start_after; });
      if (from == keys.end()) {
        return Status::InvalidArgument("start_after names no API key of this tenant", "invalid_parameter");
      }
      ++from;
    }
    json list = json::array();
    for (auto it = from; it != keys.end() && list.size() < page.limit; ++it) list.push_back(ApiKeyJson(*it));
    const size_t shown = static_cast<size_t>(from - keys.begin()) + list.size();
    json next = shown < keys.size() ? json(keys[shown - 1].key_id) : json(nullptr);
    WriteJson(c.res, 200, {{"keys", std::move(list)}, {"next", std::move(next)}});
    return Status::Ok();
  }

  Status RevokeApiKey(Call& c) {
    TKV_ASSIGN_OR_RETURN(auto tenant, engine_->tenants().Get(c.params["id"]));
    TKV_RETURN_IF_ERROR(engine_->api_keys().Revoke(tenant->id(), c.params["key_id"]));
    if (cluster_->enabled()) {
      // A route left behind leads to the owner, which refuses the key.
      if (Status s = cluster_->directory()->RetractKey(c.params["key_id"], tenant->id()); !s.ok()) {
        spdlog::warn("cluster: the route of revoked API key {} stays: {}", c.params["key_id"], s.ToString());
      }
    }
    TKV_RETURN_IF_ERROR(RecordAudit(engine_, c, "apikey.revoke", tenant->id(),
                                    json{{"key_id", c.params["key_id"]}}.dump()));
    c.res.status = 204;
    return Status::Ok();
  }

 private:
  const std::string& node() const { return cluster_->node_id(); }

  engine::Engine* const engine_;
  ClusterFront* const cluster_;
};

}  // namespace

std::string CursorBefore(const std::string& prefix) {
  std::string out = prefix;
  if (out.empty()) return out;
  out.back() = static_cast<char>(out.back() - 1);
  out.push_back('\x7f');
  return out;
}

void AddAdminRoutes(ApiRouter& router, engine::Engine* engine, ClusterFront* cluster) {
  auto a = std::make_shared<AdminRoutes>(engine, cluster);
  auto bind = [a](Status (AdminRoutes::*fn)(Call&)) { return BindHandler(a, fn); };
  const std::string t = "/admin/v1/tenants";
  router.Add("POST", t, {"tenants.create", Access::kOperator, false, bind(&AdminRoutes::CreateTenant)});
  router.Add("GET", t, {"tenants.list", Access::kOperator, false, bind(&AdminRoutes::ListTenants)});
  router.Add("GET", t + "/{id}", {"tenants.show", Access::kOperator, false, bind(&AdminRoutes::ShowTenant)});
  router.Add("DELETE", t + "/{id}",
             {"tenants.delete", Access::kOperator, false, bind(&AdminRoutes::DeleteTenant)});
  router.Add("POST", t + "/{id}/suspend", {"tenants.suspend", Access::kOperator, false,
                                           [a](Call& c) { return a->Suspend(c, true); }});
  router.Add("POST", t + "/{id}/resume", {"tenants.resume", Access::kOperator, false,
                                          [a](Call& c) { return a->Suspend(c, false); }});
  router.Add("POST", t + "/{id}/tier", {"tenants.tier", Access::kOperator, false, bind(&AdminRoutes::MoveTier)});
  router.Add("POST", t + "/{id}/move", {"tenants.move", Access::kOperator, false, bind(&AdminRoutes::MoveNode)});
  router.Add("POST", t + "/{id}/apikeys",
             {"apikeys.create", Access::kSelf, false, bind(&AdminRoutes::CreateApiKey)});
  router.Add("GET", t + "/{id}/apikeys",
             {"apikeys.list", Access::kSelf, false, bind(&AdminRoutes::ListApiKeys)});
  router.Add("DELETE", t + "/{id}/apikeys/{key_id}",
             {"apikeys.revoke", Access::kSelf, false, bind(&AdminRoutes::RevokeApiKey)});
}

}  // namespace tenantkv::server

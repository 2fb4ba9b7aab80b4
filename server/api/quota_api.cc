// The quota and plan admin routes.
#include <charconv>

#include "server/api/api.h"
#include "server/api/plan_mirror.h"
#include "engine/tenants/tenant_id.h"
#include "server/api/json_io.h"
#include "server/api/request_parsing.h"

namespace tenantkv::server {
namespace {

using engine::Quota;

json ManifestJson(const engine::QuotaManifest& m, bool with_changes) {
  json j = {{"version", m.version},
            {"quota", QuotaToJson(m.quota)},
            {"updated_by", m.updated_by},
            {"updated_at", Rfc3339(m.updated_at_ms)},
            {"request", m.request.empty() ? json(nullptr) : json(m.request)}};
  if (with_changes) {
    json changes = json::object();
    for (const auto& [field, v] : m.changes) changes[field] = {v.first, v.second};
    j["changes"] = std::move(changes);
  }
  return j;
}

json PlanJson(const engine::Plan& p) { return PlanToJson(p); }

// {"version": N, "changes": {field: [old, new]}} of a manifest version.
json ChangesJson(const engine::QuotaManifest& m) {
  json changes = json::object();
  for (const auto& [field, v] : m.changes) changes[field] = {v.first, v.second};
  return {{"version", m.version}, {"changes", std::move(changes)}};
}

std::string Author(const Call& c) { return ActorOf(c.principal); }

class QuotaRoutes {
 public:
  QuotaRoutes(engine::Engine* engine, PlanMirror* plans) : engine_(engine), plans_(plans) {}

  Status Show(Call& c) {
    TKV_RETURN_IF_ERROR(engine_->tenants().Get(c.params["id"]).status());
    TKV_ASSIGN_OR_RETURN(auto m, engine_->quotas().Current(c.params["id"]));
    WriteJson(c.res, 200, ManifestJson(m, false));
    return Status::Ok();
  }

  Status Update(Call& c) {
    TKV_RETURN_IF_ERROR(engine_->tenants().Get(c.params["id"]).status());
    TKV_ASSIGN_OR_RETURN(json body, ParseJsonObject(c.req));
    TKV_ASSIGN_OR_RETURN(auto current, engine_->quotas().Current(c.params["id"]));
    Quota next = current.quota;
    TKV_RETURN_IF_ERROR(ApplyQuotaFields(body, &next));
    TKV_ASSIGN_OR_RETURN(auto m, engine_->UpdateQuota(c.params["id"], next, Author(c),
                                                      !c.principal.is_operator));
    TKV_RETURN_IF_ERROR(RecordAudit(engine_, c, "quota.set", c.params["id"], ChangesJson(m).dump()));
    WriteJson(c.res, 200, ManifestJson(m, true));
    return Status::Ok();
  }

  // Oldest first, in pages: start_after is the version that ended the last.
  Status History(Call& c) {
    TKV_RETURN_IF_ERROR(engine_->tenants().Get(c.params["id"]).status());
    TKV_ASSIGN_OR_RETURN(PageQuery query, ParsePageQuery(c.query));
    int64_t after = 0;
    if (query.start_after) {
      const std::string& v = *query.start_after;
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), after);
      if (v.empty() || ec != std::errc() || end != v.data() + v.size() || after < 0) {
        return Status::InvalidArgument("start_after must be a version number", "invalid_parameter");
      }
    }
    TKV_ASSIGN_OR_RETURN(auto page, engine_->quotas().HistoryPage(c.params["id"], after, query.limit));
    json list = json::array();
    for (const auto& m : page.versions) list.push_back(ManifestJson(m, true));
    WriteJson(c.res, 200, {{"versions", std::move(list)}, {"next", page.next ? json(*page.next) : json(nullptr)}});
    return Status::Ok();
  }

  Status Revert(Call& c) {
    TKV_ASSIGN_OR_RETURN(json body, ParseJsonObject(c.req));
    TKV_ASSIGN_OR_RETURN(int64_t version, ParseRevertBody(body));
    TKV_ASSIGN_OR_RETURN(auto m, engine_->RevertQuota(c.params["id"], version, Author(c)));
    json details = ChangesJson(m);
    details["reverted_to"] = version;
    TKV_RETURN_IF_ERROR(RecordAudit(engine_, c, "quota.revert", c.params["id"], details.dump()));
    WriteJson(c.res, 200, ManifestJson(m, true));
    return Status::Ok();
  }

  Status ListPlans(Call& c) {
    json list = json::array();
    for (const auto& p : engine_->quotas().Plans()) list.push_back(PlanJson(p));
    WriteJson(c.res, 200, {{"plans", std::move(list)}});
    return Status::Ok();
  }

  Status ShowPlan(Call& c) {
    TKV_ASSIGN_OR_RETURN(auto p, engine_->quotas().GetPlan(c.params["name"]));
    WriteJson(c.res, 200, PlanJson(p));
    return Status::Ok();
  }

  // Partial update of a plan; a new plan starts from "standard".
  Status PutPlan(Call& c) {
    const std::string name = c.params["name"];
    if (!engine::IsValidTenantId(name)) {
      return Status::InvalidArgument("plan names follow the tenant id rule", "invalid_plan");
    }
    TKV_ASSIGN_OR_RETURN(json body, ParseJsonObject(c.req));
    TKV_RETURN_IF_ERROR(CheckFields(body, {"defaults", "min", "max"}));
    auto existing = engine_->quotas().GetPlan(name);
    engine::Plan p;
    bool created = !existing.ok();
    if (plans_ != nullptr) {
      // A malformed or invalid change is refused before etcd is asked (a
      // 400 whatever etcd's state), on the plan as this node knows it.
      engine::Plan probe = existing.ok() ? *existing : engine::Plan{};
      if (!existing.ok()) {
        TKV_ASSIGN_OR_RETURN(probe, engine_->quotas().GetPlan("standard"));
        probe.name = name;
      }
      TKV_RETURN_IF_ERROR(ApplyPlanBody(body, &probe));
      TKV_RETURN_IF_ERROR(engine::ValidatePlan(probe));
      // Cluster mode: the change is the cluster's, made on etcd's plan.
      TKV_ASSIGN_OR_RETURN(engine::Plan standard, engine_->quotas().GetPlan("standard"));
      TKV_ASSIGN_OR_RETURN(auto put, plans_->Put(name, existing.ok() ? *existing : standard,
                                                 [&body](engine::Plan* plan) { return ApplyPlanBody(body, plan); }));
      p = std::move(put.first);
      created = put.second;
    } else {
      if (existing.ok()) {
        p = *existing;
      } else {
        TKV_ASSIGN_OR_RETURN(p, engine_->quotas().GetPlan("standard"));
        p.name = name;
      }
      TKV_RETURN_IF_ERROR(ApplyPlanBody(body, &p));
      TKV_RETURN_IF_ERROR(engine_->quotas().PutPlan(p));
    }
    TKV_RETURN_IF_ERROR(RecordAudit(engine_, c, "plan.set", "",
                                    json{{"plan", name}, {"created", created}}.dump()));
    WriteJson(c.res, created ? 201 : 200, PlanJson(p));
    return Status::Ok();
  }

 private:
  engine::Engine* const engine_;
  PlanMirror* const plans_;
};

}  // namespace

void AddQuotaRoutes(ApiRouter& router, engine::Engine* engine, PlanMirror* plans) {
  auto q = std::make_shared<QuotaRoutes>(engine, plans);
  auto bind = [q](Status (QuotaRoutes::*fn)(Call&)) { return BindHandler(q, fn); };
  const std::string t = "/admin/v1/tenants/{id}/quota";
  router.Add("GET", t, {"quota.show", Access::kSelf, false, bind(&QuotaRoutes::Show)});
  router.Add("PUT", t, {"quota.set", Access::kSelf, false, bind(&QuotaRoutes::Update)});
  router.Add("GET", t + "/history", {"quota.history", Access::kSelf, false, bind(&QuotaRoutes::History)});
  router.Add("POST", t + "/revert", {"quota.revert", Access::kOperator, false, bind(&QuotaRoutes::Revert)});
  router.Add("GET", "/admin/v1/plans", {"plans.list", Access::kOperator, false, bind(&QuotaRoutes::ListPlans)});
  router.Add("GET", "/admin/v1/plans/{name}", {"plans.show", Access::kOwnPlan, false, bind(&QuotaRoutes::ShowPlan)});
  router.Add("PUT", "/admin/v1/plans/{name}", {"plans.set", Access::kOperator, false, bind(&QuotaRoutes::PutPlan)});
}

}  // namespace tenantkv::server

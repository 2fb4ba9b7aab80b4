// Webhook routes (docs/api.md, Webhooks). A tenant admin manages its
// tenant's endpoints under /v1/webhooks; the operator manages the global
// ones (every tenant's events) under /admin/v1/webhooks and may read or
// delete a tenant's under /admin/v1/tenants/{id}/webhooks. An endpoint outside the
// caller's scope is 404 webhook_not_found, as one that does not exist.
// The URL is checked at creation (webhook_url.h: https, and an address
// that is not internal, unless the settings allow) and again at every
// attempt; the secret is in the creation's answer only.
#include <algorithm>
#include <cctype>

#include "server/api/api.h"
#include "server/api/json_io.h"
#include "server/api/request_parsing.h"
#include "server/api/webhook_parsing.h"

namespace tenantkv::server {
namespace {

json OrNull(int64_t ms) { return ms != 0 ? json(Rfc3339Exact(ms)) : json(nullptr); }

json EndpointJson(const engine::WebhookEndpoint& e) {
  return {{"id", e.id},
          {"tenant", e.global() ? json(nullptr) : json(e.tenant)},
          {"url", e.url},
          {"events", e.events},
          {"description", e.description},
          {"threshold_pct", e.threshold_pct},
          {"exhaustion_hours", e.exhaustion_hours},
          {"throttle_per_min", e.throttle_per_min},
          {"created_at", Rfc3339Exact(e.created_at_ms)},
          {"created_by", e.created_by}};
}

json DeliveryJson(const engine::WebhookDelivery& d) {
  const bool pending = d.state == engine::DeliveryState::kPending;
  json payload = json::parse(d.body, nullptr, false);
  return {{"seq", d.seq},
          {"event_id", d.event_id},
          {"type", d.type},
          {"tenant", d.tenant.empty() ? json(nullptr) : json(d.tenant)},
          {"state", engine::DeliveryStateName(d.state)},
          {"attempts", d.attempts},
          {"created_at", Rfc3339Exact(d.created_ms)},
          {"last_attempt_at", OrNull(d.last_attempt_ms)},
          {"last_status", d.last_status != 0 ? json(d.last_status) : json(nullptr)},
          {"last_error", d.last_error.empty() ? json(nullptr) : json(d.last_error)},
          {"next_attempt_at", pending ? OrNull(d.next_attempt_ms) : json(nullptr)},
          {"finished_at", OrNull(d.finished_ms)},
          {"payload", payload.is_discarded() ? json(nullptr) : payload}};
}

class WebhookRoutes {
 public:
  WebhookRoutes(engine::Engine* engine, WebhookUrlPolicy policy) : engine_(engine), policy_(policy) {}

  // The scope of a call: its tenant (/v1), the one named (/admin/v1/tenants/{id}), or "" (global).
  enum class Scope { kOwnTenant, kNamedTenant, kGlobal };

  Status Create(Call& c, Scope scope) {
    TKV_ASSIGN_OR_RETURN(std::string tenant, ScopeTenant(c, scope));
    TKV_ASSIGN_OR_RETURN(json body, ParseJsonObject(c.req));
    TKV_ASSIGN_OR_RETURN(engine::WebhookEndpoint e, ParseWebhookCreateBody(body, policy_));
    // Resolved now, so that an internal address is refused at creation
    // (it is checked again at every attempt).
    TKV_ASSIGN_OR_RETURN(WebhookUrl url, ParseWebhookUrl(e.url, policy_));
    TKV_RETURN_IF_ERROR(ResolveWebhookUrl(url, policy_).status());
    e.tenant = tenant;
    e.created_by = ActorOf(c.principal);
    TKV_ASSIGN_OR_RETURN(engine::WebhookStore::Created made, engine_->CreateWebhook(std::move(e)));
    const json details = {{"webhook", made.endpoint.id}, {"url", made.endpoint.url}, {"events", made.endpoint.events}};
    TKV_RETURN_IF_ERROR(RecordAudit(engine_, c, "webhook.create", tenant, details.dump()));
    json out = EndpointJson(made.endpoint);
    out["secret"] = made.secret;  // this once
    c.res.SetHeader("Location", Base(scope, tenant) + "/" + made.endpoint.id);
    c.res.SetHeader("Cache-Control", "no-store");
    WriteJson(c.res, 201, out);
    return Status::Ok();
  }

  Status List(Call& c, Scope scope) {
    TKV_ASSIGN_OR_RETURN(std::string tenant, ScopeTenant(c, scope));
    if (!c.query.empty()) return Status::InvalidArgument("this route takes no query parameters", "invalid_parameter");
    json list = json::array();  // bounded by the scope's endpoint limit
    for (const auto& e : engine_->webhooks().List(tenant)) list.push_back(EndpointJson(e));
    WriteJson(c.res, 200, {{"webhooks", std::move(list)}});
    return Status::Ok();
  }

  Status Show(Call& c, Scope scope) {
    TKV_ASSIGN_OR_RETURN(engine::WebhookEndpoint e, Find(c, scope));
    WriteJson(c.res, 200, EndpointJson(e));
    return Status::Ok();
  }

  Status Delete(Call& c, Scope scope) {
    TKV_ASSIGN_OR_RETURN(engine::WebhookEndpoint e, Find(c, scope));
    TKV_RETURN_IF_ERROR(engine_->DeleteWebhook(e.id));
    TKV_RETURN_IF_ERROR(RecordAudit(engine_, c, "webhook.delete", e.tenant, json{{"webhook", e.id}}.dump()));
    c.res.status = 204;
    return Status::Ok();
  }

  Status Deliveries(Call& c, Scope scope) {
    TKV_ASSIGN_OR_RETURN(engine::WebhookEndpoint e, Find(c, scope));
    TKV_ASSIGN_OR_RETURN(PageQuery page, ParsePageQuery(c.query));
    uint64_t after = 0;
    if (page.start_after) {
      const std::string& s = *page.start_after;
      if (s.empty() || s.size() > 19 || !std::all_of(s.begin(), s.end(), ::isdigit)) {
        return Status::InvalidArgument("start_after must be the 'next' of the previous page", "invalid_parameter");
      }
      after = std::stoull(s);
    }
    const engine::DeliveryPage p = engine_->webhook_outbox().List(e.id, after, page.limit);
    json list = json::array();
    for (const auto& d : p.deliveries) list.push_back(DeliveryJson(d));
    WriteJson(c.res, 200,
              {{"deliveries", std::move(list)}, {"next", p.next ? json(std::to_string(*p.next)) : json(nullptr)}});
    return Status::Ok();
  }

 private:
  Result<std::string> ScopeTenant(const Call& c, Scope scope) {
    switch (scope) {
      case Scope::kGlobal:
        return std::string();
      case Scope::kNamedTenant: {
        const std::string id = c.params.at("id");
        TKV_RETURN_IF_ERROR(engine_->tenants().Get(id).status());
        return id;
      }
      case Scope::kOwnTenant:
        if (c.principal.role != engine::Role::kAdmin) {
          return Status::PermissionDenied("webhooks need an admin key of the tenant", "insufficient_role");
        }
        return c.tenant->id();
    }
    return Status::Internal("unknown webhook scope");
  }

  // The endpoint {wid} if it is in the call's scope; else 404 as if it did not exist.
  Result<engine::WebhookEndpoint> Find(const Call& c, Scope scope) {
    TKV_ASSIGN_OR_RETURN(std::string tenant, ScopeTenant(c, scope));
    const std::string& wid = c.params.at("wid");
    auto e = engine_->webhooks().Get(wid);
    if (!e.ok() || e->tenant != tenant) {
      return Status::NotFound("no webhook endpoint '" + wid + "' here", "webhook_not_found");
    }
    return e;
  }

  static std::string Base(Scope scope, const std::string& tenant) {
    if (scope == Scope::kGlobal) return "/admin/v1/webhooks";
    if (scope == Scope::kNamedTenant) return "/admin/v1/tenants/" + tenant + "/webhooks";
    return "/v1/webhooks";
  }

  engine::Engine* const engine_;
  const WebhookUrlPolicy policy_;
};

}  // namespace

void AddWebhookRoutes(ApiRouter& router, engine::Engine* engine, WebhookUrlPolicy policy) {
  auto w = std::make_shared<WebhookRoutes>(engine, policy);
  using Scope = WebhookRoutes::Scope;
  auto bind = [w](Status (WebhookRoutes::*fn)(Call&, Scope), Scope scope) -> Handler {
    return [w, fn, scope](Call& c) { return ((*w).*fn)(c, scope); };
  };
  // A tenant admin's own endpoints: data-route access (a tenant key), admin role checked by the handlers.
  const std::string own = "/v1/webhooks";
  router.Add("POST", own, {"webhooks.create", Access::kTenant, true, bind(&WebhookRoutes::Create, Scope::kOwnTenant)});
  router.Add("GET", own, {"webhooks.list", Access::kTenant, false, bind(&WebhookRoutes::List, Scope::kOwnTenant)});
  router.Add("GET", own + "/{wid}",
             {"webhooks.show", Access::kTenant, false, bind(&WebhookRoutes::Show, Scope::kOwnTenant)});
  router.Add("DELETE", own + "/{wid}",
             {"webhooks.delete", Access::kTenant, true, bind(&WebhookRoutes::Delete, Scope::kOwnTenant)});
  router.Add("GET", own + "/{wid}/deliveries",
             {"webhooks.deliveries", Access::kTenant, false, bind(&WebhookRoutes::Deliveries, Scope::kOwnTenant)});
  // The operator's global endpoints.
  const std::string global = "/admin/v1/webhooks";
  router.Add("POST", global,
             {"webhooks.global.create", Access::kOperator, false, bind(&WebhookRoutes::Create, Scope::kGlobal)});
  router.Add("GET", global,
             {"webhooks.global.list", Access::kOperator, false, bind(&WebhookRoutes::List, Scope::kGlobal)});
  router.Add("GET", global + "/{wid}",
             {"webhooks.global.show", Access::kOperator, false, bind(&WebhookRoutes::Show, Scope::kGlobal)});
  router.Add("DELETE", global + "/{wid}",
             {"webhooks.global.delete", Access::kOperator, false, bind(&WebhookRoutes::Delete, Scope::kGlobal)});
  router.Add("GET", global + "/{wid}/deliveries",
             {"webhooks.global.deliveries", Access::kOperator, false,
              bind(&WebhookRoutes::Deliveries, Scope::kGlobal)});
  // A tenant's endpoints as the operator (or that tenant's admin) reads them.
  const std::string named = "/admin/v1/tenants/{id}/webhooks";
  router.Add("GET", named,
             {"webhooks.tenant.list", Access::kSelf, false, bind(&WebhookRoutes::List, Scope::kNamedTenant)});
  router.Add("GET", named + "/{wid}",
             {"webhooks.tenant.show", Access::kSelf, false, bind(&WebhookRoutes::Show, Scope::kNamedTenant)});
  // The operator may stop a tenant's endpoint (a receiver that misbehaves).
  router.Add("DELETE", named + "/{wid}",
             {"webhooks.tenant.delete", Access::kSelf, false, bind(&WebhookRoutes::Delete, Scope::kNamedTenant)});
  router.Add("GET", named + "/{wid}/deliveries",
             {"webhooks.tenant.deliveries", Access::kSelf, false,
              bind(&WebhookRoutes::Deliveries, Scope::kNamedTenant)});
}

}  // namespace tenantkv::server

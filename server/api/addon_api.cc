// The add-on routes: an operator grants a tenant a temporary boost of some
// quota fields (absolute values for a period), lists and cancels them; the
// tenant's own admin may list its add-ons. Starting and ending them is the
// engine's (Engine::RunAddons, every second).
#include "server/api/api.h"
#include "server/api/json_io.h"
#include "server/api/request_parsing.h"

namespace tenantkv::server {
namespace {

Status Create(engine::Engine* engine, Call& c) {
  const std::string& id = c.params["id"];
  TKV_ASSIGN_OR_RETURN(json body, ParseJsonObject(c.req));
  TKV_ASSIGN_OR_RETURN(engine::Addon a, ParseAddonCreateBody(body));
  a.created_by = ActorOf(c.principal);
  TKV_ASSIGN_OR_RETURN(engine::Addon made, engine->CreateAddon(id, std::move(a)));
  json details = {{"addon", made.id},
                  {"fields", AddonToJson(made).at("fields")},
                  {"starts_at", Rfc3339Exact(made.starts_at_ms)},
                  {"ends_at", Rfc3339Exact(made.ends_at_ms)}};
  TKV_RETURN_IF_ERROR(RecordAudit(engine, c, "addon.create", id, details.dump()));
  c.res.SetHeader("Location", "/admin/v1/tenants/" + id + "/addons/" + made.id);
  WriteJson(c.res, 201, AddonToJson(made));
  return Status::Ok();
}

Status List(engine::Engine* engine, Call& c) {
  const std::string& id = c.params["id"];
  if (!c.query.empty()) return Status::InvalidArgument("this route takes no query parameters", "invalid_parameter");
  TKV_RETURN_IF_ERROR(engine->tenants().Get(id).status());
  json list = json::array();
  // Bounded: kMaxOpenAddonsPerTenant open and kMaxFinishedAddonsPerTenant
  // finished ones at most.
  for (const auto& a : engine->addons().List(id)) list.push_back(AddonToJson(a));
  WriteJson(c.res, 200, {{"addons", std::move(list)}});
  return Status::Ok();
}

Status Show(engine::Engine* engine, Call& c) {
  const std::string& id = c.params["id"];
  TKV_RETURN_IF_ERROR(engine->tenants().Get(id).status());
  TKV_ASSIGN_OR_RETURN(engine::Addon a, engine->addons().Get(id, c.params["addon_id"]));
  WriteJson(c.res, 200, AddonToJson(a));
  return Status::Ok();
}

Status Cancel(engine::Engine* engine, Call& c) {
  const std::string& id = c.params["id"];
  TKV_RETURN_IF_ERROR(engine->tenants().Get(id).status());
  TKV_ASSIGN_OR_RETURN(engine::Addon a, engine->CancelAddon(id, c.params["addon_id"], ActorOf(c.principal)));
  json details = {{"addon", a.id}};
  if (a.ended_version != 0) details["version"] = a.ended_version;
  TKV_RETURN_IF_ERROR(RecordAudit(engine, c, "addon.cancel", id, details.dump()));
  WriteJson(c.res, 200, AddonToJson(a));
  return Status::Ok();
}

}  // namespace

void AddAddonRoutes(ApiRouter& router, engine::Engine* engine) {
  const std::string base = "/admin/v1/tenants/{id}/addons";
  router.Add("POST", base, {"addons.create", Access::kOperator, false, [engine](Call& c) { return Create(engine, c); }});
  router.Add("GET", base, {"addons.list", Access::kSelf, false, [engine](Call& c) { return List(engine, c); }});
  router.Add("GET", base + "/{addon_id}",
             {"addons.show", Access::kSelf, false, [engine](Call& c) { return Show(engine, c); }});
  router.Add("DELETE", base + "/{addon_id}",
             {"addons.cancel", Access::kOperator, false, [engine](Call& c) { return Cancel(engine, c); }});
}

}  // namespace tenantkv::server

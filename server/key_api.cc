// The data-key routes: rotate a tenant's data key, list its versions.
#include "server/api.h"
#include "engine/tenant_id.h"
#include "server/json_io.h"

namespace tenantkv::server {
namespace {

json KeyStatusJson(const std::string& id, const engine::KeyStatus& st) {
  json versions = json::array();
  for (const auto& v : st.versions) {
    versions.push_back({{"version", v.version},
                        {"state", v.state},
                        {"created_at", Rfc3339(v.created_at_ms)},
                        {"seals", v.seals},
                        {"values", v.values},
                        {"master_version", v.master_version}});
  }
  return {{"tenant", id}, {"versions", std::move(versions)}, {"reencrypting", st.reencrypting}};
}

class KeyRoutes {
 public:
  explicit KeyRoutes(engine::Engine* engine) : engine_(engine) {}

  Status Rotate(Call& c) {
    const std::string& id = c.params["id"];
    TKV_RETURN_IF_ERROR(engine::ValidateTenantId(id));
    TKV_ASSIGN_OR_RETURN(engine::DataKeyInfo added, engine_->key_lifecycle().Rotate(id));
    TKV_RETURN_IF_ERROR(RecordAudit(engine_, c, "key.rotate", id, json{{"version", added.version}}.dump()));
    TKV_ASSIGN_OR_RETURN(engine::KeyStatus st, engine_->key_lifecycle().Describe(id));
    json out = KeyStatusJson(id, st);
    out["rotated_to"] = added.version;
    WriteJson(c.res, 200, out);
    return Status::Ok();
  }

  Status List(Call& c) {
    const std::string& id = c.params["id"];
    TKV_RETURN_IF_ERROR(engine::ValidateTenantId(id));
    TKV_ASSIGN_OR_RETURN(engine::KeyStatus st, engine_->key_lifecycle().Describe(id));
    WriteJson(c.res, 200, KeyStatusJson(id, st));
    return Status::Ok();
  }

 private:
  engine::Engine* const engine_;
};

}  // namespace

void AddKeyRoutes(ApiRouter& router, engine::Engine* engine) {
  auto k = std::make_shared<KeyRoutes>(engine);
  const std::string t = "/admin/v1/tenants/{id}/keys";
  router.Add("POST", t + "/rotate", {"keys.rotate", Access::kOperator, false, BindHandler(k, &KeyRoutes::Rotate)});
  router.Add("GET", t, {"keys.list", Access::kOperator, false, BindHandler(k, &KeyRoutes::List)});
}

}  // namespace tenantkv::server

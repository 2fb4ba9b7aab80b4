// The named operator keys' routes (operator only): create one for a name
// (its token shown once), list them, revoke one. The audit then names the
// operator who acted ("operator:<name>"); the bootstrap token stays the
// break-glass key and is audited as "operator". In cluster mode the keys
// are the cluster's (operator_key_mirror.h): made, listed and revoked
// through etcd on any node.
#include "server/api/api.h"
#include "server/api/json_io.h"
#include "server/api/request_parsing.h"

namespace tenantkv::server {
namespace {

json OperatorKeyJson(const engine::OperatorKeyInfo& k) {
  json j = {{"key_id", k.key_id},
            {"name", k.name},
            {"created_at", Rfc3339(k.created_at_ms)},
            {"state", k.revoked() ? "revoked" : "active"}};
  if (k.revoked()) j["revoked_at"] = Rfc3339(k.revoked_at_ms);
  return j;
}

Status Create(engine::Engine* engine, OperatorKeyMirror* cluster_keys, Call& c) {
  TKV_ASSIGN_OR_RETURN(json body, ParseJsonObject(c.req));
  TKV_RETURN_IF_ERROR(CheckFields(body, {"name"}));
  auto name = body.find("name");
  if (name == body.end() || !name->is_string()) {
    return Status::InvalidArgument("'name' must be a string naming the operator", "invalid_name");
  }
  const std::string wanted = name->get<std::string>();
  TKV_ASSIGN_OR_RETURN(engine::NewOperatorKey key, cluster_keys != nullptr ? cluster_keys->Create(wanted)
                                                                            : engine->operator_keys().Create(wanted));
  TKV_RETURN_IF_ERROR(RecordAudit(engine, c, "operator_key.create", "",
                                  json{{"key_id", key.info.key_id}, {"name", key.info.name}}.dump()));
  json out = OperatorKeyJson(key.info);
  out["token"] = key.token;
  c.res.SetHeader("Cache-Control", "no-store");  // the token is in it
  c.res.SetHeader("Location", "/admin/v1/operator-keys/" + key.info.key_id);
  WriteJson(c.res, 201, out);
  return Status::Ok();
}

Status List(engine::Engine* engine, OperatorKeyMirror* cluster_keys, Call& c) {
  if (!c.query.empty()) {
    return Status::InvalidArgument("this route takes no query parameters", "invalid_parameter");
  }
  json keys = json::array();
  const std::vector<engine::OperatorKeyInfo> listed =
      cluster_keys != nullptr ? cluster_keys->List() : engine->operator_keys().List();
  for (const auto& k : listed) keys.push_back(OperatorKeyJson(k));
  WriteJson(c.res, 200, {{"keys", std::move(keys)}});
  return Status::Ok();
}

Status Revoke(engine::Engine* engine, OperatorKeyMirror* cluster_keys, Call& c) {
  const std::string& id = c.params["key_id"];
  TKV_RETURN_IF_ERROR(cluster_keys != nullptr ? cluster_keys->Revoke(id) : engine->operator_keys().Revoke(id));
  TKV_RETURN_IF_ERROR(RecordAudit(engine, c, "operator_key.revoke", "", json{{"key_id", id}}.dump()));
  c.res.status = 204;
  return Status::Ok();
}

}  // namespace

void AddOperatorKeyRoutes(ApiRouter& router, engine::Engine* engine, OperatorKeyMirror* cluster_keys) {
  auto bind = [engine, cluster_keys](Status (*fn)(engine::Engine*, OperatorKeyMirror*, Call&)) {
    return [engine, cluster_keys, fn](Call& c) { return fn(engine, cluster_keys, c); };
  };
  router.Add("POST", "/admin/v1/operator-keys", {"operator_keys.create", Access::kOperator, false, bind(Create)});
  router.Add("GET", "/admin/v1/operator-keys", {"operator_keys.list", Access::kOperator, false, bind(List)});
  router.Add("DELETE", "/admin/v1/operator-keys/{key_id}",
             {"operator_keys.revoke", Access::kOperator, false, bind(Revoke)});
}

}  // namespace tenantkv::server

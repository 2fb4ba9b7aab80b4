// The master-key admin routes: rotate online, and show the versions and the
// last rotation's state (never key bytes). Operator only.
#include "server/api/api.h"
#include "server/api/json_io.h"

namespace tenantkv::server {
namespace {

json RecordJson(const engine::MasterKeyRotationRecord& r) {
  if (r.state.empty()) return nullptr;
  return {{"from", r.from},
          {"to", r.to},
          {"state", r.state},
          {"started_at", Rfc3339(r.started_at_ms)},
          {"finished_at", r.finished_at_ms == 0 ? json(nullptr) : json(Rfc3339(r.finished_at_ms))},
          {"tenants_rewrapped", r.tenants},
          {"keys_rewrapped", r.keys},
          {"leftovers_destroyed", r.leftovers},
          {"retired", r.retired}};
}

class MasterKeyRoutes {
 public:
  explicit MasterKeyRoutes(engine::Engine* engine) : engine_(engine) {}

  Status Rotate(Call& c) {
    TKV_ASSIGN_OR_RETURN(engine::MasterKeyRotationReport r, engine_->master_key().Rotate());
    json summary = {{"from", r.from},
                    {"to", r.to},
                    {"tenants_rewrapped", r.tenants},
                    {"keys_rewrapped", r.keys_rewrapped},
                    {"leftovers_destroyed", r.leftovers_destroyed},
                    {"retired", r.retired},
                    {"resumed", r.resumed},
                    {"duration_ms", r.duration_ms}};
    TKV_RETURN_IF_ERROR(RecordAudit(engine_, c, "master_key.rotate", "", summary.dump()));
    for (uint32_t v : r.retired) {
      TKV_RETURN_IF_ERROR(RecordAudit(engine_, c, "master_key.retire", "", json{{"version", v}}.dump()));
    }
    WriteJson(c.res, 200, summary);
    return Status::Ok();
  }

  Status Show(Call& c) {
    TKV_ASSIGN_OR_RETURN(engine::MasterKeyStatus st, engine_->master_key().CurrentStatus());
    json versions = json::array();
    for (uint32_t v : st.versions) {
      auto it = st.keys_per_master.find(v);
      versions.push_back({{"version", v},
                          {"state", v == st.current ? "current" : "retiring"},
                          {"wrapped_keys", it == st.keys_per_master.end() ? 0 : it->second}});
    }
    WriteJson(c.res, 200,
              {{"provider", st.provider},
               {"current", st.current},
               {"versions", versions},
               {"rotation_running", st.running},
               {"last_rotation", RecordJson(st.last)}});
    return Status::Ok();
  }

 private:
  engine::Engine* const engine_;
};

}  // namespace

void AddMasterKeyRoutes(ApiRouter& router, engine::Engine* engine) {
  auto a = std::make_shared<MasterKeyRoutes>(engine);
  auto bind = [a](Status (MasterKeyRoutes::*fn)(Call&)) { return BindHandler(a, fn); };
  router.Add("POST", "/admin/v1/master-key/rotate",
             {"master_key.rotate", Access::kOperator, false, bind(&MasterKeyRoutes::Rotate)});
  router.Add("GET", "/admin/v1/master-key",
             {"master_key.show", Access::kOperator, false, bind(&MasterKeyRoutes::Show)});
}

}  // namespace tenantkv::server

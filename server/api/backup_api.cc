// The backup admin routes: tenant export, handover and import, and
// whole-node backups. Operator only: paths name the server's own disk.
#include "server/api/api.h"
#include "server/api/json_io.h"
#include "server/api/request_parsing.h"

namespace tenantkv::server {
namespace {

Result<std::string> StringField(const json& body, const char* name, bool required) {
  auto it = body.find(name);
  if (it == body.end()) {
    if (required) return Status::InvalidArgument(std::string("'") + name + "' is required", "invalid_field");
    return std::string();
  }
  if (!it->is_string()) {
    return Status::InvalidArgument(std::string("'") + name + "' must be a string", "invalid_field");
  }
  return it->get<std::string>();
}

json UsageJson(const engine::Usage& u) { return {{"keys", u.keys}, {"logical_bytes", u.logical_bytes}}; }

class BackupRoutes {
 public:
  BackupRoutes(engine::Engine* engine, ClusterFront* cluster) : engine_(engine), cluster_(cluster) {}

  Status Export(Call& c) {
    TKV_ASSIGN_OR_RETURN(json body, ParseJsonObject(c.req));
    TKV_RETURN_IF_ERROR(CheckFields(body, {"dir", "verify"}));
    TKV_ASSIGN_OR_RETURN(std::string dir, StringField(body, "dir", true));
    bool verify = false;
    if (body.contains("verify")) {
      if (!body["verify"].is_boolean()) {
        return Status::InvalidArgument("'verify' must be true or false", "invalid_field");
      }
      verify = body["verify"].get<bool>();
    }
    bool verified = false;
    TKV_ASSIGN_OR_RETURN(engine::ExportSummary s,
                         engine_->ExportTenant(c.params["id"], dir, verify, &verified));
    TKV_RETURN_IF_ERROR(RecordAudit(engine_, c, "tenant.export", s.tenant,
                                    json{{"export_id", s.export_id}, {"dir", s.dir}, {"verified", verified}}.dump()));
    WriteJson(c.res, 201,
              {{"export_id", s.export_id},
               {"tenant", s.tenant},
               {"dir", s.dir},
               {"created_at", Rfc3339(s.created_at_ms)},
               {"usage", UsageJson(s.usage)},
               {"entries", UsageJson(s.entries)},
               {"files", s.files},
               {"bytes", s.bytes},
               {"verified", verified}});
    return Status::Ok();
  }

  Status Handover(Call& c) {
    TKV_ASSIGN_OR_RETURN(json body, ParseJsonObject(c.req));
    TKV_RETURN_IF_ERROR(CheckFields(body, {"passphrase"}));
    TKV_ASSIGN_OR_RETURN(std::string passphrase, StringField(body, "passphrase", true));
    TKV_ASSIGN_OR_RETURN(std::string handover, engine_->TenantHandover(c.params["id"], passphrase));
    // Neither the passphrase nor the wrapped keys go into the log.
    TKV_RETURN_IF_ERROR(RecordAudit(engine_, c, "tenant.handover", c.params["id"]));
    c.res.SetHeader("Cache-Control", "no-store");
    WriteJson(c.res, 200, {{"tenant", c.params["id"]}, {"handover", json::parse(handover)}});
    return Status::Ok();
  }

  Status Import(Call& c) {
    TKV_ASSIGN_OR_RETURN(json body, ParseJsonObject(c.req));
    TKV_RETURN_IF_ERROR(CheckFields(body, {"dir", "id", "plan", "tier", "handover", "passphrase", "dry_run"}));
    engine::ImportRequest r;
    TKV_ASSIGN_OR_RETURN(r.dir, StringField(body, "dir", true));
    TKV_ASSIGN_OR_RETURN(r.id, StringField(body, "id", false));
    TKV_ASSIGN_OR_RETURN(r.plan, StringField(body, "plan", false));
    TKV_ASSIGN_OR_RETURN(const std::string tier, StringField(body, "tier", false));
    if (!tier.empty()) {
      TKV_ASSIGN_OR_RETURN(r.tier, engine::ParseTier(tier));
    }
    TKV_ASSIGN_OR_RETURN(r.passphrase, StringField(body, "passphrase", false));
    if (body.contains("handover")) {
      if (!body["handover"].is_object()) {
        return Status::InvalidArgument("'handover' must be the object a handover call returned",
                                       "bad_handover");
      }
      r.handover = body["handover"].dump();
    } else if (!r.passphrase.empty()) {
      return Status::InvalidArgument("'passphrase' is only used with 'handover'", "invalid_field");
    }
    if (body.contains("dry_run")) {
      if (!body["dry_run"].is_boolean()) {
        return Status::InvalidArgument("'dry_run' must be true or false", "invalid_field");
      }
      r.dry_run = body["dry_run"].get<bool>();
    }
    engine::ImportOutcome out;
    auto import = [&]() -> Status {
      TKV_ASSIGN_OR_RETURN(out, engine_->ImportTenant(r));
      return Status::Ok();
    };
    if (r.dry_run || !cluster_->enabled()) {
      TKV_RETURN_IF_ERROR(import());
    } else {
      // The id is claimed in the directory first, so no two nodes hold it:
      // the exported one is read from the manifest, and pinned, so that
      // the import makes the very id claimed.
      if (r.id.empty()) {
        TKV_ASSIGN_OR_RETURN(engine::ExportManifest m, engine::ReadExportManifest(r.dir));
        r.id = m.tenant_id;
      }
      TKV_RETURN_IF_ERROR(cluster_->MakeClaimed(r.id, r.tier, import));
    }
    if (!r.dry_run) {
      TKV_RETURN_IF_ERROR(RecordAudit(engine_, c, "tenant.import", out.tenant,
                                      json{{"source_tenant", out.manifest.tenant_id},
                                           {"export_id", out.manifest.export_id},
                                           {"created", out.created != nullptr},
                                           {"with_handover", !r.handover.empty()}}.dump()));
    }
    json j = {{"tenant", out.tenant},
              {"source_tenant", out.manifest.tenant_id},
              {"export_id", out.manifest.export_id},
              {"entries", UsageJson(out.entries)},
              {"dry_run", r.dry_run}};
    if (out.created != nullptr) {
      j["plan"] = out.created->Info().plan;
      j["tier"] = engine::TierName(engine::TierOfPlacement(out.created->Info().placement));
      c.res.SetHeader("Location", "/admin/v1/tenants/" + out.tenant);
    }
    WriteJson(c.res, r.dry_run ? 200 : 201, j);
    return Status::Ok();
  }

  Status Backup(Call& c) {
    TKV_ASSIGN_OR_RETURN(json body, ParseJsonObject(c.req));
    TKV_RETURN_IF_ERROR(CheckFields(body, {"dir"}));
    TKV_ASSIGN_OR_RETURN(std::string dir, StringField(body, "dir", true));
    TKV_ASSIGN_OR_RETURN(engine::NodeBackupInfo b, engine_->BackupNode(dir));
    TKV_RETURN_IF_ERROR(RecordAudit(engine_, c, "node.backup", "",
                                    json{{"backup_id", b.backup_id}, {"dir", dir}}.dump()));
    WriteJson(c.res, 201,
              {{"backup_id", b.backup_id},
               {"dir", dir},
               {"created_at", Rfc3339(b.created_at_s * 1000)},
               {"bytes", b.bytes},
               {"files", b.files}});
    return Status::Ok();
  }

 private:
  engine::Engine* const engine_;
  ClusterFront* const cluster_;
};

}  // namespace

void AddBackupRoutes(ApiRouter& router, engine::Engine* engine, ClusterFront* cluster) {
  auto b = std::make_shared<BackupRoutes>(engine, cluster);
  auto bind = [b](Status (BackupRoutes::*fn)(Call&)) { return BindHandler(b, fn); };
  const std::string t = "/admin/v1/tenants";
  router.Add("POST", t + "/import", {"tenants.import", Access::kOperator, false, bind(&BackupRoutes::Import)});
  router.Add("POST", t + "/{id}/export", {"tenants.export", Access::kOperator, false, bind(&BackupRoutes::Export)});
  router.Add("POST", t + "/{id}/handover",
             {"tenants.handover", Access::kOperator, false, bind(&BackupRoutes::Handover)});
  router.Add("POST", "/admin/v1/backup", {"node.backup", Access::kOperator, false, bind(&BackupRoutes::Backup)});
}

}  // namespace tenantkv::server

// The data-key routes: rotate a tenant's data key, list its versions.
#include <algorithm>
#include <charconv>

#include "server/api/api.h"
#include "engine/tenants/tenant_id.h"
#include "server/api/json_io.h"
#include "server/api/request_parsing.h"
#include "server/jobs/key_rotation.h"

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

json PolicyJson(const KeyRotationService& k) {
  const engine::RotationPolicy& p = k.policy();
  return {{"max_age_days", p.max_age_ms / (24LL * 3600 * 1000)},
          {"max_seals", p.max_seals},
          {"check_interval_sec", k.check_interval_sec()}};
}

class KeyRoutes {
 public:
  KeyRoutes(engine::Engine* engine, std::shared_ptr<KeyRotationService> rotation)
      : engine_(engine), rotation_(std::move(rotation)) {}

  // POST /admin/v1/keys/rotate-due: one sweep of the rotation policy now.
  Status RotateDue(Call& c) {
    if (!c.req.body.empty()) {
      return Status::InvalidArgument("this route takes no request body", "unexpected_body");
    }
    const std::string actor = ActorOf(c.principal);
    const engine::RotationSweep sweep = rotation_->Sweep(actor);
    json rotated = json::array();
    for (const auto& r : sweep.rotated) {
      json one = {{"tenant", r.tenant}, {"from", r.from}, {"reason", engine::DueReasonName(r.reason)}};
      if (r.error.empty()) {
        one["to"] = r.to;
      } else {
        one["error"] = r.error;
      }
      rotated.push_back(std::move(one));
    }
    WriteJson(c.res, 200,
              {{"checked", sweep.checked},
               {"rotated", std::move(rotated)},
               {"failed", sweep.failed()},
               {"policy", PolicyJson(*rotation_)}});
    return Status::Ok();
  }

  // GET /admin/v1/keys/rotation: the policy and the last sweep.
  Status Rotation(Call& c) {
    const SweepRecord last = rotation_->last();
    json out = {{"policy", PolicyJson(*rotation_)}, {"sweeps", rotation_->sweeps()}, {"last_sweep", nullptr}};
    if (last.at_ms > 0) {
      out["last_sweep"] = {{"at", Rfc3339(last.at_ms)},
                           {"by", last.actor},
                           {"checked", last.checked},
                           {"rotated", last.rotated},
                           {"failed", last.failed}};
    }
    WriteJson(c.res, 200, out);
    return Status::Ok();
  }

  // GET /admin/v1/keys/schedule: when each tenant's current data key falls
  // due under the policy, in tenant id order, a page at a time. With
  // ?due_within_days=N only the tenants due now or within N days. Seal
  // counts and key ages are in memory, so a page reads no storage; a page
  // looks at most kScanBound tenants (then answers `next` to go on), so a
  // filter that matches few still answers in bounded time.
  Status Schedule(Call& c) {
    static constexpr size_t kScanBound = 20'000;
    static constexpr int64_t kMaxDays = 36'500;
    constexpr int64_t kDayMs = 24LL * 3600 * 1000;
    std::map<std::string, std::string> paging;
    std::optional<int64_t> within_days;
    for (const auto& [name, value] : c.query) {
      if (name != "due_within_days") {
        paging.emplace(name, value);
        continue;
      }
      int64_t days = -1;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), days);
      if (ec != std::errc() || end != value.data() + value.size() || days < 0 || days > kMaxDays) {
        return Status::InvalidArgument("due_within_days must be an integer 0..36500", "invalid_parameter");
      }
      within_days = days;
    }
    TKV_ASSIGN_OR_RETURN(PageQuery page, ParsePageQuery(paging));
    const engine::RotationPolicy& policy = rotation_->policy();
    const int64_t now = engine_->clock().NowUnixMillis();
    constexpr size_t kChunk = 256;
    json rows = json::array();
    std::string from = page.start_after.value_or("");  // every id sorts after ""
    size_t scanned = 0;
    bool more = false;  // tenants follow the last one looked at
    while (rows.size() < page.limit && scanned < kScanBound) {
      const std::vector<std::shared_ptr<engine::Tenant>> live = engine_->tenants().ListAfter(from, kChunk);
      size_t used = 0;
      for (const auto& tenant : live) {
        if (rows.size() >= page.limit || scanned >= kScanBound) break;
        ++used;
        ++scanned;
        engine::Tenant& t = *tenant;
        from = t.id();
        if (t.state() == engine::TenantState::kDeleting) continue;
        const engine::TenantInfo info = t.Info();
        const auto active = std::find_if(info.data_keys.begin(), info.data_keys.end(),
                                         [](const engine::DataKeyInfo& k) { return k.state == "active"; });
        if (active == info.data_keys.end()) continue;  // a create not finished
        const engine::CurrentKeyState key{active->version, active->created_at_ms,
                                          t.seals().Seals(active->version)};
        const engine::DueReason due = engine::RotationDue(policy, key, now);
        std::optional<int64_t> due_at;  // when age makes it due
        if (policy.max_age_ms > 0) due_at = key.created_at_ms + policy.max_age_ms;
        if (within_days && due == engine::DueReason::kNotDue &&
            (!due_at || *due_at > now + *within_days * kDayMs)) {
          continue;
        }
        rows.push_back({{"tenant", t.id()},
                        {"version", key.version},
                        {"created_at", Rfc3339(key.created_at_ms)},
                        {"seals", key.seals},
                        {"due_at", due_at ? json(Rfc3339(*due_at)) : json(nullptr)},
                        {"due", due == engine::DueReason::kNotDue ? json(nullptr) : json(engine::DueReasonName(due))}});
      }
      if (used < live.size()) {  // stopped inside the chunk: more follow
        more = true;
        break;
      }
      if (live.size() < kChunk) break;  // the end of the directory
      more = !engine_->tenants().ListAfter(from, 1).empty();
      if (!more) break;
    }
    WriteJson(c.res, 200,
              {{"policy", PolicyJson(*rotation_)},
               {"now", Rfc3339(now)},
               {"tenants", std::move(rows)},
               {"next", more ? json(from) : json(nullptr)}});
    return Status::Ok();
  }

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
  const std::shared_ptr<KeyRotationService> rotation_;
};

}  // namespace

void AddKeyRoutes(ApiRouter& router, engine::Engine* engine, std::shared_ptr<KeyRotationService> rotation) {
  auto k = std::make_shared<KeyRoutes>(engine, std::move(rotation));
  router.Add("POST", "/admin/v1/keys/rotate-due",
             {"keys.rotate_due", Access::kOperator, false, BindHandler(k, &KeyRoutes::RotateDue)});
  router.Add("GET", "/admin/v1/keys/schedule",
             {"keys.schedule", Access::kOperator, false, BindHandler(k, &KeyRoutes::Schedule)});
  router.Add("GET", "/admin/v1/keys/rotation",
             {"keys.rotation", Access::kOperator, false, BindHandler(k, &KeyRoutes::Rotation)});
  const std::string t = "/admin/v1/tenants/{id}/keys";
  router.Add("POST", t + "/rotate", {"keys.rotate", Access::kOperator, false, BindHandler(k, &KeyRoutes::Rotate)});
  router.Add("GET", t, {"keys.list", Access::kSelf, false, BindHandler(k, &KeyRoutes::List)});
}

}  // namespace tenantkv::server

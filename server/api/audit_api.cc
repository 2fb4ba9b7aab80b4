// The audit routes (operator only) and RecordAudit, which the admin, quota
// and backup routes call after an action succeeded.
#include <charconv>

#include "engine/tenants/tenant_id.h"
#include "server/api/api.h"
#include "server/api/json_io.h"

namespace tenantkv::server {
namespace {

constexpr size_t kMaxAuditLimit = 1000;

Result<uint64_t> ParseCount(const std::string& value, const char* what, const char* code) {
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (value.empty() || ec != std::errc() || end != value.data() + value.size()) {
    return Status::InvalidArgument(std::string(what) + " must be a non-negative integer", code);
  }
  return n;
}

// tenant=ID, since=SEQ (entries after that seq; the `next` of a previous
// page), limit=1..1000 (default 100).
Result<engine::AuditQuery> ParseAuditQuery(const std::map<std::string, std::string>& query) {
  engine::AuditQuery q;
  for (const auto& [name, value] : query) {
    if (name == "tenant") {
      if (!engine::IsValidTenantId(value)) {
        return Status::InvalidArgument("tenant is not a valid tenant id", "invalid_tenant_id");
      }
      q.tenant = value;
    } else if (name == "since") {
      TKV_ASSIGN_OR_RETURN(q.after_seq, ParseCount(value, "since", "invalid_since"));
    } else if (name == "limit") {
      TKV_ASSIGN_OR_RETURN(uint64_t limit, ParseCount(value, "limit", "invalid_limit"));
      if (limit < 1 || limit > kMaxAuditLimit) {
        return Status::InvalidArgument("limit must be an integer from 1 to 1000", "invalid_limit");
      }
      q.limit = static_cast<size_t>(limit);
    } else {
      return Status::InvalidArgument("unknown query parameter '" + name + "'", "invalid_parameter");
    }
  }
  return q;
}

json EntryJson(const engine::AuditEntry& e) {
  return {{"seq", e.seq},
          {"time", e.time},
          {"time_ms", e.time_ms},
          {"actor", e.actor},
          {"action", e.action},
          {"tenant", e.tenant},
          {"details", json::parse(e.details, nullptr, false)},
          {"prev_hash", e.prev_hash},
          {"hash", e.hash}};
}

class AuditRoutes {
 public:
  explicit AuditRoutes(engine::Engine* engine) : engine_(engine) {}

  Status List(Call& c) {
    TKV_ASSIGN_OR_RETURN(engine::AuditQuery q, ParseAuditQuery(c.query));
    TKV_ASSIGN_OR_RETURN(engine::AuditPage page, engine_->audit().List(q));
    json list = json::array();
    for (const auto& e : page.entries) list.push_back(EntryJson(e));
    json out = {{"entries", std::move(list)}, {"next", nullptr}};
    if (page.next) out["next"] = *page.next;
    WriteJson(c.res, 200, out);
    return Status::Ok();
  }

  Status Verify(Call& c) {
    if (!c.query.empty()) {
      return Status::InvalidArgument("this route takes no query parameters", "invalid_parameter");
    }
    engine::AuditVerdict v = engine_->audit().Verify();
    json out = {{"ok", v.ok}, {"entries", v.entries}};
    if (v.ok) {
      out["head"] = v.head;
    } else {
      out["broken_at"] = v.broken_at;
      out["reason"] = v.reason;
    }
    WriteJson(c.res, 200, out);
    return Status::Ok();
  }

 private:
  engine::Engine* const engine_;
};

}  // namespace

namespace {
constexpr const char* kChangeHeaders[][2] = {{"Tenantkv-Change-Source", "change_source"},
                                              {"Tenantkv-Change-Reason", "change_reason"}};
}  // namespace

Status CheckChangeHeaders(const HttpRequest& req) {
  for (const auto& [header, field] : kChangeHeaders) {
    const std::string& v = req.Header(header);
    if (v.empty()) continue;
    bool control = false;
    for (unsigned char ch : v) control = control || ch < 0x20 || ch == 0x7f;
    if (v.size() > kMaxChangeHeaderBytes || control || !IsValidUtf8(v)) {
      return Status::InvalidArgument(std::string(header) + " must be at most " +
                                         std::to_string(kMaxChangeHeaderBytes) +
                                         " bytes of UTF-8 without control characters",
                                     "invalid_change_header");
    }
  }
  return Status::Ok();
}

Status RecordAudit(engine::Engine* engine, const Call& c, const std::string& action,
                   const std::string& tenant, const std::string& details_json) {
  const std::string actor = ActorOf(c.principal);
  std::string details = details_json;
  json change = json::object();
  for (const auto& [header, field] : kChangeHeaders) {
    if (const std::string& v = c.req.Header(header); !v.empty()) change[field] = v;  // checked: UTF-8
  }
  if (!change.empty()) {
    json merged = details.empty() ? json::object() : json::parse(details, nullptr, false);
    if (!merged.is_object()) merged = json{{"details", details}};
    merged.update(change);
    details = merged.dump();
  }
  auto e = engine->audit().Append(actor, action, tenant, details);
  if (!e.ok()) {
    return Status::Internal("the action was done but its audit entry could not be written",
                            "audit_write_failed");
  }
  return Status::Ok();
}

void AddAuditRoutes(ApiRouter& router, engine::Engine* engine) {
  auto a = std::make_shared<AuditRoutes>(engine);
  auto bind = [a](Status (AuditRoutes::*fn)(Call&)) { return BindHandler(a, fn); };
  router.Add("GET", "/admin/v1/audit", {"audit.list", Access::kSelfQuery, false, bind(&AuditRoutes::List)});
  router.Add("GET", "/admin/v1/audit/verify",
             {"audit.verify", Access::kOperator, false, bind(&AuditRoutes::Verify)});
}

}  // namespace tenantkv::server

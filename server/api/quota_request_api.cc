// Quota change requests: a tenant admin files one for quota beyond its
// plan's range and lists its own; the operators list, approve or reject
// them. An approval applies the request as a new quota manifest version
// that names it (Engine::ApproveQuotaRequest); with four eyes
// (--quota-approvals-required 2) the first approval answers 202 and the
// request stays pending until a different operator approves it. The
// bootstrap token counts as one approver, named "operator".
#include "server/api/api.h"
#include "server/api/json_io.h"
#include "server/api/request_parsing.h"

namespace tenantkv::server {
namespace {

json ApprovalJson(const engine::QuotaApproval& a) {
  return {{"by", a.by}, {"at", Rfc3339(a.at_ms)}, {"comment", a.comment}};
}

json RequestJson(const engine::QuotaRequest& r) {
  json approvals = json::array();
  for (const auto& a : r.approvals) approvals.push_back(ApprovalJson(a));
  json j = {{"id", r.id},
            {"tenant", r.tenant},
            {"fields", r.fields},
            {"reason", r.reason},
            {"expires_at", r.expires_at_ms != 0 ? json(Rfc3339Exact(r.expires_at_ms)) : json(nullptr)},
            {"state", engine::QuotaRequestStateName(r.state)},
            {"created_at", Rfc3339(r.created_at_ms)},
            {"created_by", r.created_by},
            {"approvals", std::move(approvals)}};
  if (r.state != engine::QuotaRequestState::kPending) {
    j["decided_by"] = r.decided_by;
    j["decided_at"] = Rfc3339(r.decided_at_ms);
    j["comment"] = r.decision_comment;
  }
  if (r.state == engine::QuotaRequestState::kApproved) j["manifest_version"] = r.manifest_version;
  return j;
}

json PageJson(const engine::QuotaRequestPage& page) {
  json list = json::array();
  for (const auto& r : page.requests) list.push_back(RequestJson(r));
  return {{"requests", std::move(list)}, {"next", page.next ? json(*page.next) : json(nullptr)}};
}

// Filing and listing a tenant's own requests take its admin key.
Status RequireAdminKey(const Call& c) {
  if (c.principal.role != engine::Role::kAdmin) {
    return Status::PermissionDenied("quota requests need an admin key of the tenant", "insufficient_role");
  }
  return Status::Ok();
}

Status File(engine::Engine* engine, Call& c) {
  TKV_RETURN_IF_ERROR(RequireAdminKey(c));
  TKV_ASSIGN_OR_RETURN(json body, ParseJsonObject(c.req));
  TKV_ASSIGN_OR_RETURN(QuotaRequestBody parsed, ParseQuotaRequestBody(body));
  const std::string& tenant = c.tenant->id();
  TKV_ASSIGN_OR_RETURN(engine::QuotaRequest r,
                       engine->FileQuotaRequest(tenant, parsed.fields, parsed.reason, parsed.expires_at_ms,
                                                ActorOf(c.principal)));
  json details = {{"request", r.id}, {"fields", r.fields}, {"reason", r.reason},
                  {"expires_at", r.expires_at_ms != 0 ? json(Rfc3339Exact(r.expires_at_ms)) : json(nullptr)}};
  TKV_RETURN_IF_ERROR(RecordAudit(engine, c, "quota_request.create", tenant, details.dump()));
  c.res.SetHeader("Location", "/v1/quota/requests/" + r.id);
  WriteJson(c.res, 201, RequestJson(r));
  return Status::Ok();
}

Status ListOwn(engine::Engine* engine, Call& c) {
  TKV_RETURN_IF_ERROR(RequireAdminKey(c));
  TKV_ASSIGN_OR_RETURN(PageQuery page, ParsePageQuery(c.query));
  engine::QuotaRequestFilter filter;
  filter.tenant = c.tenant->id();
  WriteJson(c.res, 200, PageJson(engine->quota_requests().List(filter, page.start_after.value_or(""), page.limit)));
  return Status::Ok();
}

Status ListAll(engine::Engine* engine, Call& c) {
  TKV_ASSIGN_OR_RETURN(QuotaRequestListQuery q, ParseQuotaRequestListQuery(c.query));
  WriteJson(c.res, 200,
            PageJson(engine->quota_requests().List(q.filter, q.page.start_after.value_or(""), q.page.limit)));
  return Status::Ok();
}

// The optional {"comment": ...} of a decision.
Result<std::string> DecisionComment(const Call& c) {
  if (c.req.body.empty()) return std::string();
  TKV_ASSIGN_OR_RETURN(json body, ParseJsonObject(c.req));
  return ParseQuotaDecisionBody(body);
}

// {"version": N, "changes": {field: [old, new]}, "request": rid}, as quota.set records.
json ManifestChangesJson(const engine::QuotaManifest& m) {
  json changes = json::object();
  for (const auto& [field, v] : m.changes) changes[field] = {v.first, v.second};
  return {{"version", m.version}, {"changes", std::move(changes)}, {"request", m.request}};
}

Status Approve(engine::Engine* engine, Call& c) {
  const std::string& rid = c.params["rid"];
  TKV_ASSIGN_OR_RETURN(std::string comment, DecisionComment(c));
  TKV_ASSIGN_OR_RETURN(engine::QuotaRequestDecision d,
                       engine->ApproveQuotaRequest(rid, ActorOf(c.principal), comment));
  const std::string& tenant = d.request.tenant;
  json details = {{"request", rid},
                  {"approvals", d.request.approvals.size()},
                  {"required", engine->quota_approvals_required()},
                  {"applied", d.manifest.has_value()},
                  {"comment", comment}};
  TKV_RETURN_IF_ERROR(RecordAudit(engine, c, "quota_request.approve", tenant, details.dump()));
  if (d.manifest) {
    TKV_RETURN_IF_ERROR(RecordAudit(engine, c, "quota.set", tenant, ManifestChangesJson(*d.manifest).dump()));
  }
  WriteJson(c.res, d.manifest ? 200 : 202, RequestJson(d.request));
  return Status::Ok();
}

Status Reject(engine::Engine* engine, Call& c) {
  const std::string& rid = c.params["rid"];
  TKV_ASSIGN_OR_RETURN(std::string comment, DecisionComment(c));
  TKV_ASSIGN_OR_RETURN(engine::QuotaRequest r, engine->RejectQuotaRequest(rid, ActorOf(c.principal), comment));
  TKV_RETURN_IF_ERROR(RecordAudit(engine, c, "quota_request.reject", r.tenant,
                                  json{{"request", rid}, {"comment", comment}}.dump()));
  WriteJson(c.res, 200, RequestJson(r));
  return Status::Ok();
}

}  // namespace

void AddQuotaRequestRoutes(ApiRouter& router, engine::Engine* engine) {
  router.Add("POST", "/v1/quota/requests",
             {"quota_requests.create", Access::kTenant, true, [engine](Call& c) { return File(engine, c); }});
  router.Add("GET", "/v1/quota/requests",
             {"quota_requests.list_own", Access::kTenant, false, [engine](Call& c) { return ListOwn(engine, c); }});
  router.Add("GET", "/admin/v1/quota-requests",
             {"quota_requests.list", Access::kOperator, false, [engine](Call& c) { return ListAll(engine, c); }});
  router.Add("POST", "/admin/v1/quota-requests/{rid}/approve",
             {"quota_requests.approve", Access::kOperator, false, [engine](Call& c) { return Approve(engine, c); }});
  router.Add("POST", "/admin/v1/quota-requests/{rid}/reject",
             {"quota_requests.reject", Access::kOperator, false, [engine](Call& c) { return Reject(engine, c); }});
}

}  // namespace tenantkv::server

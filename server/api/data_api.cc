// The tenant data API: /v1/kv, /v1/batch, /v1/usage.
#include <algorithm>
#include <charconv>

#include "server/api/api.h"
#include "server/http/base64.h"
#include "server/http/http_status.h"
#include "server/api/json_io.h"
#include "server/api/request_parsing.h"

namespace tenantkv::server {
namespace {

using engine::BatchOp;
using engine::BatchOpType;

std::string Quoted(const std::string& etag) { return "\"" + etag + "\""; }

// Parses one strong entity tag ("abc") or * from a header value.
Result<std::string> ParseSingleEtag(const std::string& header, const char* name) {
  std::string_view v = header;
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  if (v == "*") return std::string("*");
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"' && v.find(',') == std::string_view::npos) {
    return std::string(v.substr(1, v.size() - 2));
  }
  return Status::InvalidArgument(std::string(name) + " must be one quoted ETag or *", "bad_precondition");
}

// True if any entity tag of an If-None-Match list equals `etag` (weak compare).
bool NoneMatchHits(const std::string& header, const std::string& etag) {
  std::string_view v = header;
  while (!v.empty()) {
    size_t comma = v.find(',');
    std::string_view item = v.substr(0, comma);
    v = comma == std::string_view::npos ? std::string_view() : v.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item == "*") return true;
    if (item.rfind("W/", 0) == 0) item.remove_prefix(2);
    if (item.size() >= 2 && item.front() == '"' && item.back() == '"' &&
        item.substr(1, item.size() - 2) == etag) {
      return true;
    }
  }
  return false;
}

Result<engine::WriteCondition> ParseCondition(const HttpRequest& req, bool allow_none_match) {
  engine::WriteCondition c;
  if (req.HasHeader("If-Match")) {
    TKV_ASSIGN_OR_RETURN(c.if_match, ParseSingleEtag(req.Header("If-Match"), "If-Match"));
  }
  if (req.HasHeader("If-None-Match")) {
    auto v = ParseSingleEtag(req.Header("If-None-Match"), "If-None-Match");
    if (!allow_none_match) {
      return Status::InvalidArgument("If-None-Match is not supported on DELETE", "bad_precondition");
    }
    if (!v.ok() || *v != "*") {
      return Status::InvalidArgument("on PUT If-None-Match supports only *", "bad_precondition");
    }
    c.if_none_match_any = true;
  }
  return c;
}

Result<int64_t> ParseTtl(const HttpRequest& req) {
  if (!req.HasHeader("Ttl-Seconds")) return int64_t{0};
  const std::string v = req.Header("Ttl-Seconds");
  int64_t ttl = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), ttl);
  if (ec != std::errc() || end != v.data() + v.size() || ttl < 1 || ttl > engine::kMaxTtlSeconds) {
    return Status::InvalidArgument("Ttl-Seconds must be an integer from 1 to 315360000", "invalid_ttl");
  }
  return ttl;
}

const std::string kCacheControl = "Cache-Control";
const std::string kEtag = "ETag";

void NoStore(HttpResponse& res) { AddOwnHeader(res, kCacheControl, "no-store"); }

Status GetValue(Call& c) {
  NoStore(c.res);
  const std::string& key = c.params["key"];
  TKV_ASSIGN_OR_RETURN(engine::ValueRecord rec,
                       c.resident_only ? c.tenant->store().GetResident(key) : c.tenant->store().Get(key));
  c.read_bytes = static_cast<int64_t>(key.size() + rec.value.size());
  AddOwnHeader(c.res, kEtag, Quoted(rec.etag));
  const std::string* none_match = c.req.headers.Find("If-None-Match");
  if (none_match != nullptr && NoneMatchHits(*none_match, rec.etag)) {
    c.res.status = 304;
    return Status::Ok();
  }
  c.res.status = 200;
  c.res.SetBody(std::move(rec.value), "application/octet-stream");
  return Status::Ok();
}

Status PutValue(Call& c) {
  NoStore(c.res);
  engine::PutOptions opts;
  TKV_ASSIGN_OR_RETURN(opts.condition, ParseCondition(c.req, true));
  TKV_ASSIGN_OR_RETURN(opts.ttl_seconds, ParseTtl(c.req));
  TKV_ASSIGN_OR_RETURN(engine::PutResult r, c.tenant->store().Put(c.params["key"], c.req.body, opts));
  c.write_bytes = static_cast<int64_t>(c.params["key"].size() + c.req.body.size());
  c.res.status = r.created ? 201 : 204;
  AddOwnHeader(c.res, kEtag, Quoted(r.etag));
  return Status::Ok();
}

Status DeleteValue(Call& c) {
  NoStore(c.res);
  TKV_ASSIGN_OR_RETURN(engine::WriteCondition cond, ParseCondition(c.req, false));
  TKV_RETURN_IF_ERROR(c.tenant->store().Delete(c.params["key"], cond));
  c.write_bytes = static_cast<int64_t>(c.params["key"].size());
  c.res.status = 204;
  return Status::Ok();
}

// The raw value bytes one answer (a list page, a batch's gets) may carry:
// the server's bound, or the tenant's read burst if smaller, so no answer
// is built that its read quota could not pay for at once.
uint64_t AnswerValueBound(const Call& c, uint64_t server_bound) {
  const int64_t burst = c.tenant->limits().quota().burst_read_bytes;
  return burst > 0 ? std::min(server_bound, static_cast<uint64_t>(burst)) : server_bound;
}

Status ListValues(Call& c, uint64_t server_bound) {
  NoStore(c.res);
  TKV_ASSIGN_OR_RETURN(engine::ListRequest lr, ParseListQuery(c.query));
  lr.max_value_bytes = AnswerValueBound(c, server_bound);
  TKV_ASSIGN_OR_RETURN(engine::ListPage page, c.tenant->store().List(lr));
  c.read_bytes = static_cast<int64_t>(page.scanned_bytes);
  json items = json::array();
  for (auto& it : page.items) {
    json item = {{"key", it.key}, {"size", it.size}, {"etag", it.etag}};
    // Keys are bytes; JSON strings are UTF-8. Give the exact bytes too.
    if (!IsValidUtf8(it.key)) item["key_b64"] = Base64Encode(it.key);
    if (it.value) item["value_b64"] = Base64Encode(*it.value);
    items.push_back(std::move(item));
  }
  json body = {{"items", std::move(items)}, {"next", nullptr}};
  if (page.next) {
    body["next"] = *page.next;
    if (!IsValidUtf8(*page.next)) body["next_b64"] = Base64Encode(*page.next);
  }
  WriteJson(c.res, 200, body);
  return Status::Ok();
}

Status RunBatch(Call& c, uint64_t server_bound) {
  NoStore(c.res);
  TKV_ASSIGN_OR_RETURN(std::vector<BatchOp> ops, ParseBatchText(c.req.body));
  const bool writes = std::any_of(ops.begin(), ops.end(),
                                  [](const BatchOp& o) { return o.type != BatchOpType::kGet; });
  if (writes && c.principal.role == engine::Role::kRead) {
    return Status::PermissionDenied("this key may only read", "insufficient_role");
  }
  TKV_RETURN_IF_ERROR(c.admission->TakeExtraRequests(*c.tenant, static_cast<int64_t>(ops.size()) - 1, c.res));
  engine::BatchLimits limits;
  limits.max_get_bytes = AnswerValueBound(c, server_bound);
  auto done = c.tenant->store().Batch(ops, limits);
  if (done.status().reason() == "response_too_large") {
    return Status::TooLarge("the gets of this batch would return more than " + std::to_string(limits.max_get_bytes) +
                                " bytes of values, the bound of one answer (the smaller of the server's "
                                "--max-response-value-bytes and the tenant's burst_read_bytes); nothing was "
                                "applied: split the batch, or GET large values one by one",
                            "response_too_large");
  }
  TKV_ASSIGN_OR_RETURN(auto results, std::move(done));
  for (const auto& op : ops) {
    if (op.type != BatchOpType::kGet) c.write_bytes += static_cast<int64_t>(op.key.size() + op.value.size());
  }
  for (const auto& r : results) {
    if (r.value) c.read_bytes += static_cast<int64_t>(r.value->size());
  }
  c.res.status = 200;
  c.res.SetBody(BatchResultsJson(results), "application/json");
  return Status::Ok();
}

json Bucket(int64_t limit, double available) {
  const int64_t remaining = std::max<int64_t>(0, static_cast<int64_t>(available));
  return {{"limit", limit}, {"used", std::max<int64_t>(0, limit - remaining)}, {"remaining", remaining}};
}

// Per quota: limit, used (current window, or total for storage) and
// remaining; storage also gets its burn rate and projected exhaustion.
Status ShowUsage(engine::Engine* engine, Call& c) {
  NoStore(c.res);
  engine::Tenant& t = *c.tenant;
  engine::TenantLimits& l = t.limits();
  const engine::Quota q = l.quota();
  const engine::Usage u = t.store().GetUsage();
  const int64_t now_us = c.admission->NowMicros();
  const int64_t now_ms = c.admission->NowMillis();
  json quotas = json::object();
  quotas["requests_per_sec"] = Bucket(q.burst_requests, l.Available(engine::TenantLimits::Bucket::kRequests, now_us));
  quotas["requests_per_sec"]["rate"] = q.requests_per_sec;
  quotas["read_bytes_per_sec"] = Bucket(q.burst_read_bytes, l.Available(engine::TenantLimits::Bucket::kReadBytes, now_us));
  quotas["read_bytes_per_sec"]["rate"] = q.read_bytes_per_sec;
  quotas["write_bytes_per_sec"] = Bucket(q.burst_write_bytes, l.Available(engine::TenantLimits::Bucket::kWriteBytes, now_us));
  quotas["write_bytes_per_sec"]["rate"] = q.write_bytes_per_sec;
  const int64_t in_flight = std::max<int64_t>(0, l.in_flight().load() - 1);  // not counting this call
  quotas["max_concurrent"] = {{"limit", q.max_concurrent}, {"used", in_flight},
                              {"remaining", std::max<int64_t>(0, q.max_concurrent - in_flight)}};
  // The history is loaded by the tenant's first finished call since start.
  const auto history = t.usage_history();
  json storage = {{"limit", q.storage_bytes}, {"used", u.logical_bytes},
                  {"remaining", std::max<int64_t>(0, q.storage_bytes - u.logical_bytes)},
                  {"soft_limit", q.storage_bytes / 100 * q.storage_soft_pct},
                  {"burn_rate_per_hour", history ? history->BurnPerHour(now_ms, u.logical_bytes) : 0.0},
                  {"projected_exhaustion", nullptr}};
  if (auto at = history ? history->ProjectedExhaustionMs(now_ms, u.logical_bytes, q.storage_bytes)
                        : std::nullopt) {
    storage["projected_exhaustion"] = Rfc3339(*at);
  }
  // A grace period past storage_bytes (tenant_store.h), or null.
  storage["grace"] = nullptr;
  if (const engine::GraceState g = t.store().Grace(); g.started_ms != 0) {
    storage["grace"] = {{"started_at", Rfc3339(g.started_ms)},
                        {"ends_at", Rfc3339(g.ends_ms)},
                        {"ceiling", g.ceiling_bytes},
                        {"expired", g.expired}};
  }
  quotas["storage_bytes"] = std::move(storage);
  quotas["max_value_bytes"] = {{"limit", q.max_value_bytes}};
  // The refusals it met since the server started, by reason (the problem
  // code), so that a tenant sees when a limit shapes its traffic.
  json throttled = json::object();
  const RequestSeries& series = Metrics::ForTenant(t);
  for (size_t r = 0; r < kThrottleReasons; ++r) {
    const auto reason = static_cast<ThrottleReason>(r);
    throttled[ThrottleReasonName(reason)] = series.throttled(reason);
  }
  // The temporary boosts in force, so that a tenant knows which limits
  // will fall back, and when.
  json addons = json::array();
  for (const auto& a : engine->addons().List(t.id())) {
    if (a.state != engine::AddonState::kActive) continue;
    json fields = json::object();
    for (const auto& [name, value] : a.fields) fields[name] = value;
    addons.push_back({{"id", a.id}, {"fields", std::move(fields)}, {"ends_at", Rfc3339Exact(a.ends_at_ms)}});
  }
  WriteJson(c.res, 200, {{"tenant", t.id()},
                         {"plan", t.Info().plan},
                         {"usage", {{"keys", u.keys}, {"logical_bytes", u.logical_bytes}}},
                         {"quotas", std::move(quotas)},
                         {"addons", std::move(addons)},
                         {"throttled", std::move(throttled)}});
  return Status::Ok();
}

}  // namespace

void AddDataRoutes(ApiRouter& router, engine::Engine* engine, uint64_t max_response_value_bytes) {
  const uint64_t bound = max_response_value_bytes;
  auto list = [bound](Call& c) { return ListValues(c, bound); };
  auto batch = [bound](Call& c) { return RunBatch(c, bound); };
  Route get{"kv.get", Access::kTenant, false, GetValue, IoKind::kRead};
  get.resident = true;  // GetValue reads with GetResident() when asked
  router.Add("GET", "/v1/kv/{*key}", std::move(get));
  router.Add("PUT", "/v1/kv/{*key}", {"kv.put", Access::kTenant, true, PutValue, IoKind::kWrite});
  router.Add("DELETE", "/v1/kv/{*key}", {"kv.delete", Access::kTenant, true, DeleteValue, IoKind::kWrite});
  router.Add("GET", "/v1/kv", {"kv.list", Access::kTenant, false, list, IoKind::kRead});
  router.Add("POST", "/v1/batch", {"batch", Access::kTenant, false, batch, IoKind::kReadWrite});
  router.Add("GET", "/v1/usage",
             {"usage", Access::kTenant, false, [engine](Call& c) { return ShowUsage(engine, c); }});
}

}  // namespace tenantkv::server

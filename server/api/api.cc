#include "server/api/api.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <optional>

#include "crypto/loopback_host.h"
#include "crypto/random.h"
#include "engine/storage/charged_cache.h"
#include "server/http/http_status.h"
#include "server/api/json_io.h"
#include "server/observe/logging.h"
#include "server/observe/prometheus.h"
#include "server/http/url.h"

namespace tenantkv::server {
namespace {

// Header fields a data answer usually has (Content-Type, Cache-Control,
// ETag, the four RateLimit-*, X-Request-Id and room for two more): room
// for them at once instead of regrowing the list as they are added.
constexpr size_t kAnswerHeaders = 10;

bool IsRequestIdChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == ':';
}

// Whether a route's path names a tenant ({id} of /admin/v1/tenants/{id}...).
bool NamesTenant(const Route& route) {
  static const std::string kTenantPath = "/admin/v1/tenants/{id}";
  return route.pattern.compare(0, kTenantPath.size(), kTenantPath) == 0;
}

// The tenant a change request changes, for the fences of moves between
// nodes: the calling tenant's, or the one its path names; "" for none.
std::string ChangedTenant(const Route& route, const PathParams& params, const engine::Tenant* caller) {
  if (route.access == Access::kTenant) return caller != nullptr ? caller->id() : std::string();
  if (!NamesTenant(route)) return "";
  auto it = params.find("id");
  return it == params.end() ? std::string() : it->second;
}

bool DecodeSegment(std::string_view raw, std::string* out) {
  auto d = PercentDecode(raw);
  if (!d) return false;
  *out = std::move(*d);
  return true;
}

}  // namespace

Api::Api(engine::Engine* engine, const Authenticator* auth, ApiOptions options)
    : engine_(engine),
      auth_(auth),
      admission_(&engine->clock()),
      auth_backoff_(options.auth_backoff, &engine->clock()),
      bypass_scheduler_(options.bypass_scheduler),
      admin_require_client_cert_(options.admin_require_client_cert),
      access_log_(std::move(options.access_log)),
      metrics_(engine, options.metrics),
      cluster_(engine, options.cluster),
      workers_(options.workers > 0 && !options.bypass_scheduler
                   ? std::make_unique<RequestWorkers>(options.workers, &engine->clock())
                   : nullptr) {
  auto prefix = crypto::RandomHex(4);
  request_id_prefix_ = prefix.ok() ? *prefix : "00000000";
  router_.Add("GET", "/healthz", {"healthz", Access::kPublic, false, [](Call& c) {
                WriteJson(c.res, 200, {{"status", "ok"}});
                return Status::Ok();
              }});
  router_.Add("GET", "/readyz", {"readyz", Access::kPublic, false, [this](Call& c) {
                if (draining_) return Status::Unavailable("the server is shutting down", "draining");
                WriteJson(c.res, 200, {{"status", "ready"}});
                return Status::Ok();
              }});
  router_.Add("GET", "/metrics", {"metrics", Access::kOperator, false, [this](Call& c) {
                c.res.status = 200;
                c.res.SetHeader("Cache-Control", "no-store");
                c.res.SetBody(metrics_.Render() + ClusterMetrics(), kPrometheusContentType);
                return Status::Ok();
              }});
  AddDataRoutes(router_, engine_, options.max_response_value_bytes);
  AddAdminRoutes(router_, engine_, &cluster_);
  AddQuotaRoutes(router_, engine_, options.cluster.plans);
  AddAuditRoutes(router_, engine_);
  AddConsoleRoutes(router_);
  AddMasterKeyRoutes(router_, engine_);
  std::shared_ptr<KeyRotationService> rotation = options.key_rotation;
  if (rotation == nullptr) {
    rotation = std::make_shared<KeyRotationService>(engine_, RotationPolicyOf(ServerOptions{}), 0);
  }
  AddKeyRoutes(router_, engine_, std::move(rotation));
  AddUsageHistoryRoutes(router_, engine_);
  AddOperatorKeyRoutes(router_, engine_, options.cluster.operator_keys);
  AddAddonRoutes(router_, engine_);
  AddQuotaRequestRoutes(router_, engine_);
  AddWebhookRoutes(router_, engine_, options.webhook_urls);
  AddBackupRoutes(router_, engine_, &cluster_);
  AddClusterRoutes(router_, engine_, &cluster_);
  if (cluster_.enabled()) {
    moves_ = std::make_unique<NodeMoves>(engine_, &cluster_, options.node_moves);
    cluster_.set_moves(moves_.get());
  }
  AddNodeMoveRoutes(router_, &cluster_);
  // Every route numbered, the export, import and backup routes included.
  router_.ForEachRoute([this](const std::string& method, const std::string& pattern, Route& r) {
    r.method = method;
    r.pattern = pattern;
    r.metrics_index = metrics_.AddRoute(method, pattern);
  });
}

std::string Api::ClusterMetrics() const {
  if (!cluster_.enabled()) return "";
  const cluster::Membership* membership = cluster_.membership();
  ExpositionWriter w;
  w.Family("tenantkv_cluster_lease_alive", MetricType::kGauge,
           "1 while this node's etcd lease was renewed less than its TTL ago (cluster mode), else 0.");
  w.Sample({}, membership->lease_alive() ? 1 : 0);
  w.Family("tenantkv_cluster_etcd_errors_total", MetricType::kCounter,
           "etcd calls of this node that failed (renewals, registrations, listings).");
  w.Sample({}, static_cast<double>(membership->etcd_errors()));
  w.Family("tenantkv_cluster_reregistrations_total", MetricType::kCounter,
           "Times this node registered again under a new lease after losing one.");
  w.Sample({}, static_cast<double>(membership->reregistrations()));
  return w.Take();
}

std::string Api::RequestId(const HttpRequest& req) {
  const std::string& given = req.Header("X-Request-Id");
  bool ok = !given.empty() && given.size() <= 128;
  for (char c : given) ok = ok && IsRequestIdChar(c);
  if (ok) return given;
  // prefix + the counter in 12 lowercase hex digits (more if it ever
  // outgrows them), formatted by hand: this runs for every request.
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t n = next_request_.fetch_add(1);
  char buf[16];
  size_t len = 0;
  do {
    buf[sizeof(buf) - 1 - len++] = kHex[n & 0xf];
    n >>= 4;
  } while (n != 0 && len < sizeof(buf));
  std::string id;
  id.reserve(request_id_prefix_.size() + std::max<size_t>(len, 12));
  id += request_id_prefix_;
  id.append(len < 12 ? 12 - len : 0, '0');
  id.append(buf + sizeof(buf) - len, len);
  return id;
}

// The head phase's findings, carried by the request to its second phase.
struct Api::Exchange final : RequestState {
  std::chrono::steady_clock::time_point start;
  std::string request_id;
  Outcome out;
  PathParams params;
  std::map<std::string, std::string> query;
  Principal principal;
  bool tenant_call = false;  // authenticated with a tenant key: charged, RateLimit headers
  std::optional<AdmissionTicket> ticket;  // a tenant call's in-flight slot, held to the answer
  HttpResponse res;
  Destination dest;  // where it is served (cluster mode)
};

bool Api::OnHead(HttpRequest& req, HttpResponse& res) {
  auto ex = std::make_unique<Exchange>();
  ex->start = std::chrono::steady_clock::now();
  ex->request_id = RequestId(req);
  Status s;
  try {
    s = Prepare(req, *ex);
  } catch (const std::exception& e) {
    s = Status::Internal(std::string("unhandled exception: ") + e.what());
  } catch (...) {
    s = Status::Internal("unhandled exception");
  }
  if (!s.ok()) {
    Finish(req, *ex, s);
    res = std::move(ex->res);
    return false;
  }
  req.state = std::move(ex);
  return true;
}

void Api::Handle(HttpRequest req, Respond respond) {
  if (dynamic_cast<Exchange*>(req.state.get()) == nullptr) {
    HttpResponse refused;
    if (!OnHead(req, refused)) {
      respond(std::move(refused));
      return;
    }
  }
  const Destination::Kind where = static_cast<Exchange&>(*req.state).dest.kind;
  if (where == Destination::Kind::kKey || where == Destination::Kind::kTenant) {
    return HandleElsewhere(std::move(req), std::move(respond));
  }
  HandleHere(std::move(req), std::move(respond));
}

void Api::HandleElsewhere(HttpRequest req, Respond respond) {
  Exchange& ex = static_cast<Exchange&>(*req.state);
  auto pending = std::make_shared<std::pair<HttpRequest, Respond>>(std::move(req), std::move(respond));
  HttpRequest& r = pending->first;
  cluster_.Forward(r, ex.dest, ex.request_id, [this, pending](Status s, HttpResponse res) {
    HttpRequest& req = pending->first;
    Exchange& ex = static_cast<Exchange&>(*req.state);
    if (s.reason() == "not_in_directory") {
      // No node holds its key or tenant: refused here as a single node
      // would (401 invalid_token, 404 tenant_not_found), after the checks
      // that come first.
      ex.dest = Destination();
      req.body = std::move(res.body);
      Status admitted = Admit(req, ex);
      if (!admitted.ok()) {
        Finish(req, ex, admitted);
        HttpResponse refused = std::move(ex.res);
        req.state.reset();
        return pending->second(std::move(refused));
      }
      return HandleHere(std::move(req), std::move(pending->second));
    }
    ex.res = std::move(res);
    ex.res.headers.Erase("X-Request-Id");
    Finish(req, ex, s);
    HttpResponse answer = std::move(ex.res);
    req.state.reset();
    pending->second(std::move(answer));
  });
}

void Api::HandleHere(HttpRequest req, Respond respond) {
  Exchange& ex = static_cast<Exchange&>(*req.state);
  const Route& route = *ex.out.route;
  // Health checks are answered on the calling (I/O) thread: they never block.
  if (workers_ == nullptr || route.access == Access::kPublic) return Complete(std::move(req), respond);
  // A read of a value in memory, with nobody waiting, costs less than the
  // hop to a worker and back: answered here when it cannot block.
  Status resident;
  if (route.resident && ex.tenant_call && workers_->Idle() && TryResident(req, ex, &resident)) {
    Finish(req, ex, resident);
    HttpResponse res = std::move(ex.res);
    req.state.reset();
    return respond(std::move(res));
  }
  std::string queue;
  engine::SchedParams p;
  double cost = 1.0;
  if (ex.tenant_call) {
    queue = ex.out.tenant->id();
    p = engine::SchedParamsOf(ex.out.tenant->limits().quota());
    cost += static_cast<double>(req.body.size()) / 4096.0;
  } else {
    // The operator's and anonymous calls share one queue of weight 1,
    // bounded like a tenant's.
    queue = ex.out.is_operator ? "(operator)" : "(anonymous)";
    p.max_queue_us = 10'000'000;
  }
  auto pending = std::make_shared<std::pair<HttpRequest, Respond>>(std::move(req), respond);
  const bool queued = workers_->Submit(queue, p, cost, [this, pending](bool expired) {
    if (expired) {
      return Refuse(std::move(pending->first), pending->second,
                    Status::Unavailable("the request waited longer than max_queue_ms for a worker", "deadline"));
    }
    Complete(std::move(pending->first), pending->second);
  });
  if (!queued) {
    Refuse(std::move(pending->first), pending->second,
           Status::Unavailable("the tenant's request queue is full", "queue_full"));
  }
}

bool Api::TryResident(const HttpRequest& req, Exchange& ex, Status* s) {
  const Route& route = *ex.out.route;
  HttpResponse res;
  res.headers.Reserve(kAnswerHeaders);
  // Lent to the call, and given back if the handler would have blocked.
  Call call{req, res, std::move(ex.params), std::move(ex.query), std::move(ex.principal), ex.out.tenant, &admission_};
  call.resident_only = true;
  const engine::CacheAccountScope charged(call.tenant->cache_account());
  const bool done = engine_->scheduler().TryRun(call.tenant->id(), 1.0, [&] {
    try {
      *s = route.handler(call);
    } catch (const std::exception& e) {
      *s = Status::Internal(std::string("unhandled exception: ") + e.what());
    }
    return s->code() != Code::kUnavailable || s->reason() != "would_block";
  });
  if (!done) {
    ex.params = std::move(call.params);
    ex.query = std::move(call.query);
    ex.principal = std::move(call.principal);
    return false;
  }
  ex.res = std::move(res);
  ex.out.read_bytes = call.read_bytes;
  ex.out.write_bytes = call.write_bytes;
  return true;
}

void Api::Complete(HttpRequest req, const Respond& respond) {
  Exchange& ex = static_cast<Exchange&>(*req.state);
  Status s;
  try {
    // A tenant's blocks brought into the shared cache are charged to it.
    static const std::shared_ptr<engine::CacheAccount> kNobody;
    const engine::CacheAccountScope charged(ex.tenant_call ? ex.out.tenant->cache_account() : kNobody);
    s = Execute(req, ex);
  } catch (const std::exception& e) {
    s = Status::Internal(std::string("unhandled exception: ") + e.what());
  } catch (...) {
    s = Status::Internal("unhandled exception");
  }
  Finish(req, ex, s);
  HttpResponse res = std::move(ex.res);
  req.state.reset();  // the in-flight slot is free before the answer leaves
  respond(std::move(res));
}

void Api::Refuse(HttpRequest req, const Respond& respond, const Status& s) {
  Exchange& ex = static_cast<Exchange&>(*req.state);
  ex.res.SetHeader("Retry-After", "1");
  Finish(req, ex, s);
  HttpResponse res = std::move(ex.res);
  req.state.reset();
  respond(std::move(res));
}

void Api::Finish(const HttpRequest& req, Exchange& ex, const Status& s) {
  HttpResponse& res = ex.res;
  if (ex.tenant_call) {
    engine::Tenant& t = *ex.out.tenant;
    admission_.Charge(t, ex.out.read_bytes, ex.out.write_bytes);
    engine::UsageEvent event;
    event.read_bytes = static_cast<uint64_t>(std::max<int64_t>(0, ex.out.read_bytes));
    event.write_bytes = static_cast<uint64_t>(std::max<int64_t>(0, ex.out.write_bytes));
    event.storage_bytes = t.store().GetUsage().logical_bytes;
    if (!s.ok()) {
      // The same refusals RequestSeries counts as throttled.
      if (auto reason = ThrottleReasonOf(s.reason())) event.throttle = static_cast<int>(*reason);
    }
    engine_->usage_histories().Record(t, engine_->clock().NowUnixMillis(), event);
    admission_.SetHeaders(t, res);
  }
  if (!s.ok()) {
    res.headers.Erase("ETag");
    if (!ex.out.problem_written) WriteProblem(res, s);
    if (res.status >= 500 && res.status != 503 && res.status != 507) {
      spdlog::error("request {} {} {} failed: {}", ex.request_id, req.method,
                    ex.out.route != nullptr ? ex.out.route->name : "unmatched", s.ToString());
    }
  }
  static const std::string kRequestIdHeader = "X-Request-Id";
  AddOwnHeader(res, kRequestIdHeader, ex.request_id);  // checked characters or our own hex
  if (cluster_.enabled() && ex.dest.kind == Destination::Kind::kHere && !res.headers.Has(kNodeHeader)) {
    AddOwnHeader(res, kNodeHeader, cluster_.node_id());
  }
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - ex.start).count();
  Account(req, res, ex.request_id, ex.out, s, us);
}

void Api::Account(const HttpRequest& req, const HttpResponse& res, const std::string& request_id,
                  const Outcome& out, const Status& s, int64_t duration_us) {
  RequestSeries& series = out.tenant ? Metrics::ForTenant(*out.tenant)
                          : out.is_operator ? metrics_.operator_series()
                                            : metrics_.anonymous();
  if (out.tenant) series.MarkActive(engine_->clock().NowMonotonicMicros());
  const size_t route = out.route != nullptr ? out.route->metrics_index : Metrics::kUnmatchedRoute;
  series.Record(route, res.status, duration_us, s.ok() ? std::string_view() : std::string_view(s.reason()),
                out.read_bytes, out.write_bytes);
  if (!access_log_ || !access_log_->should_log(spdlog::level::info)) return;
  // Labels, sizes and codes only: never keys, values, tokens or headers.
  // Built by hand: this runs for every request.
  std::string line;
  line.reserve(256);
  auto field = [&line](const char* name, std::string_view value) {
    line += line.empty() ? "{\"" : ",\"";
    line += name;
    line += "\":";
    AppendJsonString(line, value);
  };
  auto number = [&line](const char* name, const std::string& value) {
    line += ",\"";
    line += name;
    line += "\":";
    line += value;
  };
  field("request_id", request_id);
  field("tenant", out.tenant ? std::string_view(out.tenant->id())
                  : out.is_operator ? kOperatorTenantLabel
                                    : kAnonymousTenantLabel);
  field("method", req.method);
  field("route", out.route != nullptr ? std::string_view(out.route->pattern) : "unmatched");
  number("status", std::to_string(res.status));
  if (!s.ok()) field("code", s.reason());
  char ms[32];
  std::snprintf(ms, sizeof(ms), "%.3f", static_cast<double>(duration_us) / 1e3);
  number("duration_ms", ms);
  number("bytes_in", std::to_string(req.body.size()));
  number("bytes_out", std::to_string(res.body.size()));
  field("remote", req.remote_addr + ":" + std::to_string(req.remote_port));
  line += '}';
  access_log_->info(line);
}

void Api::OnFrontRefusal(const HttpRequest& req, HttpResponse& res) {
  const std::string request_id = RequestId(req);
  res.SetHeader("X-Request-Id", request_id);
  // The problem's code names the refusal in the metrics and the log.
  const json problem = json::parse(res.body, nullptr, false);
  std::string code = "bad_request";
  if (problem.is_object() && problem.contains("code") && problem["code"].is_string()) {
    code = problem["code"].get<std::string>();
  }
  Account(req, res, request_id, Outcome(), Status(Code::kInvalidArgument, code, "refused by the HTTP front"), 0);
  res.close = true;
}

Status Api::Prepare(const HttpRequest& req, Exchange& ex) {
  const std::string& target = req.target;
  const size_t q = target.find('?');
  std::string_view path = std::string_view(target).substr(0, q);
  auto match = router_.Find(req.method, path, DecodeSegment);
  using Outcome = ApiRouter::Outcome;
  if (match.outcome == Outcome::kBadEncoding) {
    return Status::InvalidArgument("the path has a malformed percent-encoding", "bad_encoding");
  }
  if (match.outcome == Outcome::kNotFound) return Status::NotFound("no such route", "route_not_found");
  if (match.outcome == Outcome::kMethodNotAllowed) {
    ex.res.SetHeader("Allow", match.allow);
    Status refused(Code::kInvalidArgument, "method_not_allowed",
                   "method " + req.method + " is not allowed here; allowed: " + match.allow);
    WriteHttpProblem(ex.res, 405, refused.reason(), refused.message());
    ex.out.problem_written = true;
    return refused;
  }
  const Route& route = *match.route;
  ex.out.route = &route;
  auto query = ParseQuery(q == std::string::npos ? std::string_view() : std::string_view(target).substr(q + 1));
  if (!query) return Status::InvalidArgument("the query string is malformed", "bad_encoding");
  ex.params = std::move(match.params);
  ex.query = std::move(*query);
  if (cluster_.enabled() && route.access != Access::kPublic && route.access != Access::kNode) {
    // A tenant's request is served by the node that holds it (cluster_front.h).
    ex.dest = cluster_.Where(req, route.access == Access::kTenant,
                             NamesTenant(route) ? ex.params["id"] : std::string());
    if (ex.dest.kind == Destination::Kind::kMisdirected) {
      Status refused(Code::kFailedPrecondition, "misdirected",
                     "this node does not hold the tenant this request was forwarded for");
      WriteHttpProblem(ex.res, 421, refused.reason(), refused.message());
      ex.out.problem_written = true;
      return refused;
    }
    if (req.HasHeader(kForwardedByHeader) && !req.tls_client_verified && !net::IsLoopbackHost(req.remote_addr)) {
      return Status::PermissionDenied("a request forwarded by another node must come over mutual TLS",
                                      "node_tls_required");
    }
    // Authenticated, admitted and scheduled by its owner alone.
    if (ex.dest.kind != Destination::Kind::kHere) return Status::Ok();
  }
  return Admit(req, ex);
}

Status Api::ReconcileCluster() {
  TKV_RETURN_IF_ERROR(cluster_.Reconcile());
  if (moves_) moves_->Start();
  return Status::Ok();
}

Status Api::Admit(const HttpRequest& req, Exchange& ex) {
  const Route& route = *ex.out.route;
  Call call{req, ex.res, std::move(ex.params), std::move(ex.query), {}, nullptr, &admission_};
  if (route.access != Access::kPublic) {
    const bool admin_route = route.access != Access::kTenant;
    if (admin_route && admin_require_client_cert_ && !req.tls_client_verified) {
      return Status::PermissionDenied("admin routes need a verified TLS client certificate",
                                      "client_cert_required");
    }
  }
  Status s = Authorize(route, call);
  if (s.code() == Code::kUnauthenticated) {
    // Only a failed token meets the address's failure count: a valid one
    // is always served (see auth_backoff.h).
    const int64_t wait_us = auth_backoff_.RecordFailure(req.remote_addr);
    if (wait_us > 0) {
      ex.res.SetHeader("Retry-After", std::to_string((wait_us + 999'999) / 1'000'000));
      metrics_.CountAuthBackoff();
      s = Status(Code::kResourceExhausted, "auth_backoff",
                 "too many failed authentications from this address; retry later");
    }
  }
  ex.out.is_operator = call.principal.is_operator;
  ex.out.tenant = call.tenant;
  if (!s.ok()) {
    // A valid tenant key refused by access rules counts as its tenant's.
    if (!ex.out.tenant && !call.principal.is_operator) ex.out.tenant = call.principal.key_tenant;
    return s;
  }
  ex.params = std::move(call.params);
  ex.query = std::move(call.query);
  ex.principal = std::move(call.principal);
  if (cluster_.enabled() && req.method != "GET" && (route.writes || NamesTenant(route) || route.name == "tenants.create")) {
    // Fencing: no change to a tenant while this node may have lost its
    // claim, nor while it moves between nodes (refused before its body is read).
    TKV_RETURN_IF_ERROR(cluster_.CheckWritable(ChangedTenant(route, ex.params, call.tenant.get())));
  }
  if (call.tenant == nullptr) return Status::Ok();
  // A tenant key's call is its tenant's, on an admin route too (a tenant
  // admin key): it passes the tenant's admission. The operator's calls are
  // charged to no tenant.
  ex.tenant_call = true;
  auto ticket = admission_.Admit(*call.tenant, route.io, ex.res);
  if (!ticket.ok()) return ticket.status();
  ex.ticket.emplace(std::move(ticket).value());
  return Status::Ok();
}

Status Api::Execute(const HttpRequest& req, Exchange& ex) {
  const Route& route = *ex.out.route;
  if (route.access != Access::kTenant && route.access != Access::kPublic) {
    TKV_RETURN_IF_ERROR(CheckChangeHeaders(req));
  }
  // A change of a tenant counts as running while its handler runs, so that
  // the freeze of a move waits for it (and refuses it once frozen).
  std::optional<ClusterFront::ChangeTicket> change;
  if (cluster_.enabled() && req.method != "GET" && (route.writes || NamesTenant(route))) {
    const std::string tenant = ChangedTenant(route, ex.params, ex.out.tenant.get());
    if (!tenant.empty()) {
      TKV_ASSIGN_OR_RETURN(ClusterFront::ChangeTicket ticket, cluster_.BeginChange(tenant));
      change.emplace(std::move(ticket));
    }
  }
  ex.res.headers.Reserve(kAnswerHeaders);
  Call call{req, ex.res, std::move(ex.params), std::move(ex.query), std::move(ex.principal),
            ex.tenant_call ? ex.out.tenant : nullptr, &admission_};
  call.request_id = ex.request_id;
  // Admin routes do not queue for a storage slot: their work is metadata
  // under engine-wide locks, bounded by the rate and concurrency quota.
  Status s = ex.tenant_call && route.access == Access::kTenant ? RunScheduled(route, call) : route.handler(call);
  ex.out.read_bytes = call.read_bytes;
  ex.out.write_bytes = call.write_bytes;
  return s;
}

// The handler runs when the fair scheduler grants it a storage slot; the
// cost is a base of one unit plus one per 4 KiB of request body.
Status Api::RunScheduled(const Route& route, Call& call) {
  if (bypass_scheduler_) return route.handler(call);
  const engine::SchedParams p = engine::SchedParamsOf(call.tenant->limits().quota());
  const double cost = 1.0 + static_cast<double>(call.req.body.size()) / 4096.0;
  Status result;
  Status queued = engine_->scheduler().Run(call.tenant->id(), p, cost, [&] { result = route.handler(call); });
  if (!queued.ok()) {
    call.res.SetHeader("Retry-After", "1");
    return queued;
  }
  return result;
}

}  // namespace tenantkv::server

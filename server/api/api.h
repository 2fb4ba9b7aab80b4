// Api: the HTTP surface of tenantkv — routing, authentication, access
// rules, problem+json errors and request ids — independent of sockets.
#pragma once

#include <spdlog/logger.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "engine/engine.h"
#include "server/auth/admission.h"
#include "server/auth/auth.h"
#include "server/auth/auth_backoff.h"
#include "server/api/cluster_front.h"
#include "server/api/node_moves.h"
#include "server/cluster/membership.h"
#include "server/http/http_handler.h"
#include "server/jobs/key_rotation.h"
#include "server/observe/metrics.h"
#include "server/api/request_workers.h"
#include "server/api/router.h"
#include "server/app/server_options.h"
#include "server/webhooks/webhook_url.h"

namespace tenantkv::server {

// Who may call a route.
enum class Access {
  kPublic,    // no token (health checks)
  kTenant,    // a tenant API key; the tenant of the call is the key's
  kOperator,  // the operator token only
  kSelf,      // the operator, or an `admin` key of the tenant named by {id}
  // Read-only views a tenant admin may have of shared resources, each
  // narrowed to its own tenant:
  kSelfQuery,  // the operator, or an `admin` key of the tenant named by `?tenant=` (which it must give)
  kOwnPlan,    // the operator, or an `admin` key of a tenant on the plan named by {name}
  // Another node of the cluster (the internal routes of moves between
  // nodes): cluster mode only, over verified mutual TLS or from a loopback
  // address. The handler checks the move's own bearer secret.
  kNode,
};

struct Call {
  const HttpRequest& req;
  HttpResponse& res;
  PathParams params;
  std::map<std::string, std::string> query;
  Principal principal;
  std::shared_ptr<engine::Tenant> tenant;  // the caller's tenant if it called with a tenant key
  Admission* admission = nullptr;
  int64_t read_bytes = 0;   // set by data handlers: bytes the operation read
  int64_t write_bytes = 0;  // ...and wrote; charged to the I/O buckets after
  // Set for a `resident` route's attempt on an I/O thread: the handler must
  // not block, and answers Unavailable("would_block") when it would.
  bool resident_only = false;
  // The request's id (X-Request-Id of the answer), for a call a handler
  // passes on to another node.
  std::string_view request_id{};
};

using Handler = std::function<Status(Call&)>;

struct Route {
  std::string name;  // stable route name for logs and metrics, e.g. "kv.get"
  Access access = Access::kPublic;
  bool writes = false;  // needs a write or admin key (kTenant routes)
  Handler handler;
  IoKind io = IoKind::kNone;  // which I/O buckets admission checks
  // Set by Api from the route table: labels for metrics and logs.
  size_t metrics_index = Metrics::kUnmatchedRoute;  // its slot in RequestSeries
  std::string method{};   // as registered, e.g. "GET"
  std::string pattern{};  // e.g. "/v1/kv/{*key}"
  // Its handler honours Call::resident_only: tried on the I/O thread first
  // when nothing waits (a single-key read of a value in memory).
  bool resident = false;
};

using ApiRouter = Router<Route>;

// A Handler calling member `fn` of a route group shared by its routes.
template <typename Group>
Handler BindHandler(std::shared_ptr<Group> group, Status (Group::*fn)(Call&)) {
  return [group = std::move(group), fn](Call& c) { return ((*group).*fn)(c); };
}

// Route tables, one per file.
// `max_response_value_bytes`: see ApiOptions.
void AddDataRoutes(ApiRouter& router, engine::Engine* engine, uint64_t max_response_value_bytes);
void AddAdminRoutes(ApiRouter& router, engine::Engine* engine, ClusterFront* cluster);
void AddQuotaRoutes(ApiRouter& router, engine::Engine* engine, PlanMirror* plans = nullptr);
void AddBackupRoutes(ApiRouter& router, engine::Engine* engine, ClusterFront* cluster);
void AddAuditRoutes(ApiRouter& router, engine::Engine* engine);
void AddConsoleRoutes(ApiRouter& router);
void AddMasterKeyRoutes(ApiRouter& router, engine::Engine* engine);
void AddKeyRoutes(ApiRouter& router, engine::Engine* engine, std::shared_ptr<KeyRotationService> rotation);
void AddUsageHistoryRoutes(ApiRouter& router, engine::Engine* engine);
// `cluster_keys` nullptr: standalone (the engine's store alone).
void AddOperatorKeyRoutes(ApiRouter& router, engine::Engine* engine, OperatorKeyMirror* cluster_keys = nullptr);
void AddAddonRoutes(ApiRouter& router, engine::Engine* engine);
void AddQuotaRequestRoutes(ApiRouter& router, engine::Engine* engine);
void AddWebhookRoutes(ApiRouter& router, engine::Engine* engine, WebhookUrlPolicy policy);
// `cluster` disabled: the node runs standalone.
void AddClusterRoutes(ApiRouter& router, engine::Engine* engine, ClusterFront* cluster);
// The internal routes of moves between nodes (node_move_api.cc).
void AddNodeMoveRoutes(ApiRouter& router, ClusterFront* cluster);
// GET /admin/v1/cluster/tenants, which AddClusterRoutes registers
// (cluster_tenants_api.cc). `cluster` nullptr or disabled: standalone.
Route ClusterTenantListRoute(engine::Engine* engine, ClusterFront* cluster);

// This node's load as the cluster sees it: live tenants, logical bytes stored.
cluster::NodeLoad NodeLoadOf(engine::Engine* engine);

// The tenant list cursor (a start_after) that starts a page at the first id
// >= `prefix`: `prefix` with its last character one lower, then 0x7f. Every
// id below `prefix` sorts at or before it, since tenant ids only hold
// [a-z0-9-], all below 0x7f. "" for "".
std::string CursorBefore(const std::string& prefix);

// Appends the audit entry of an admin action that succeeded, with the
// caller of `c` as actor ("operator" or the tenant admin key id).
// `details_json` is a JSON object and must hold no secret. Internal
// "audit_write_failed" if the entry could not be written.
// Tenantkv-Change-Source and Tenantkv-Change-Reason: what made an admin
// change (a pipeline, a ticket) and why; RecordAudit puts them in the
// entry's details as change_source and change_reason. Each at most
// kMaxChangeHeaderBytes of UTF-8 without control characters, else
// InvalidArgument "invalid_change_header". Checked before an admin
// handler runs, so a bad one changes nothing.
inline constexpr size_t kMaxChangeHeaderBytes = 256;
Status CheckChangeHeaders(const HttpRequest& req);
Status RecordAudit(engine::Engine* engine, const Call& c, const std::string& action,
                   const std::string& tenant, const std::string& details_json = "{}");

struct ApiOptions {
  // Runs storage operations on the HTTP front's I/O thread without the
  // fair scheduler or the workers (for measuring their cost only).
  bool bypass_scheduler = false;
  // Threads running the handlers in weighted-fair order by tenant
  // (request_workers.h); 0 = on the thread that calls Handle().
  size_t workers = 0;
  // One JSON line per request goes here (see server/observe/logging.h); nullptr = none.
  std::shared_ptr<spdlog::logger> access_log;
  // Operator and tenant-admin routes (/admin/...) answer 403
  // client_cert_required unless the request came over TLS with a verified
  // client certificate; checked before the token.
  bool admin_require_client_cert = false;
  // Brute-force protection of token authentication.
  AuthBackoffOptions auth_backoff;
  // Raw value bytes one list page or batch answer may carry at most; the
  // tenant's burst_read_bytes may bound it lower (ServerOptions).
  uint64_t max_response_value_bytes = 16 << 20;
  // Which tenants /metrics writes series of their own for (metrics.h).
  MetricsOptions metrics;
  // Scheduled key rotation (shared with the server's timer); nullptr: one
  // with the default settings' policy and no timer.
  std::shared_ptr<KeyRotationService> key_rotation;
  // What webhook endpoint URLs may be (--webhook-allow-http, ...).
  WebhookUrlPolicy webhook_urls;
  // Cluster mode's parts, which must outlive the Api; all nullptr =
  // standalone.
  ClusterParts cluster;
  NodeMovesOptions node_moves;
};

// The HTTP front's handler for tenantkv-server.
class Api final : public HttpHandler {
 public:
  // `engine` and `auth` must outlive the Api. Thread-safe after construction.
  Api(engine::Engine* engine, const Authenticator* auth, ApiOptions options = {});

  // The head phase: matches the route, checks the client certificate of
  // admin routes, authenticates the token and admits a tenant's call under
  // its rate, concurrency and I/O quotas. A refusal is answered from here,
  // complete (problem+json, X-Request-Id, counted and logged), before the
  // body is read.
  bool OnHead(HttpRequest& req, HttpResponse& res) override;

  // Runs the route's handler (a tenant's data call through the fair
  // scheduler) and answers: never throws, never leaves a 5xx without a
  // problem body, always sets X-Request-Id. A request that did not pass
  // OnHead() goes through it first.
  void Handle(HttpRequest req, Respond respond) override;

  // Adds the request id to the front's own refusal, counts and logs it.
  void OnFrontRefusal(const HttpRequest& req, HttpResponse& res) override;

  // The front's open connections, for /metrics (Metrics::SetOpenConnectionsSource).
  // Once, before serving.
  void SetOpenConnectionsSource(std::function<size_t()> source) {
    metrics_.SetOpenConnectionsSource(std::move(source));
  }

  // After this, /readyz answers 503 (graceful shutdown in progress).
  void SetDraining() { draining_ = true; }

  // Cluster mode, at start: the directory made to agree with this node's
  // tenants (ClusterFront::Reconcile). OK when standalone.
  // Then the moves between nodes start being supervised.
  Status ReconcileCluster();

  // The client's X-Request-Id if it is sane, else a new unique one.
  std::string RequestId(const HttpRequest& req);

 private:
  // Who called which route, and what it cost: for metrics and the access log.
  struct Outcome {
    const Route* route = nullptr;  // nullptr: no route matched
    std::shared_ptr<engine::Tenant> tenant;  // the calling tenant, if a tenant key
    bool is_operator = false;
    int64_t read_bytes = 0;
    int64_t write_bytes = 0;
    // Dispatch wrote the refusal itself: its HTTP status (405) has no
    // Status code. The returned Status still names it for the accounting.
    bool problem_written = false;
  };
  struct Exchange;
  // The head phase's checks, up to admission; the findings go to `ex`.
  // A request this node routes to another one stops after the route.
  Status Prepare(const HttpRequest& req, Exchange& ex);
  // Authentication and admission, on the route Prepare matched.
  Status Admit(const HttpRequest& req, Exchange& ex);
  // The second phase of a request served here.
  void HandleHere(HttpRequest req, Respond respond);
  // The second phase of a request whose tenant another node holds.
  void HandleElsewhere(HttpRequest req, Respond respond);
  // The route's handler, once the whole request is there.
  Status Execute(const HttpRequest& req, Exchange& ex);
  // Charges a tenant's call, writes the problem of a failure, the request
  // id, and accounts for the request; ex.res is then the answer.
  void Finish(const HttpRequest& req, Exchange& ex, const Status& s);
  // Counts the request in its caller's series and writes its access line.
  void Account(const HttpRequest& req, const HttpResponse& res, const std::string& request_id,
               const Outcome& out, const Status& s, int64_t duration_us);
  Status Authorize(const Route& route, Call& call);
  // The cluster gauges of /metrics; "" when standalone.
  std::string ClusterMetrics() const;
  Status RunScheduled(const Route& route, Call& call);
  // The handler of a `resident` route run on this thread without blocking,
  // if nothing waits for a worker or a storage slot and the handler can do
  // without blocking; false leaves `ex` as it was.
  bool TryResident(const HttpRequest& req, Exchange& ex, Status* s);
  // Execute, Finish and answer: the second phase's work.
  void Complete(HttpRequest req, const Respond& respond);
  // Answers `req` with `s` without running its handler.
  void Refuse(HttpRequest req, const Respond& respond, const Status& s);

  engine::Engine* const engine_;
  const Authenticator* const auth_;
  ApiRouter router_;
  Admission admission_;
  AuthBackoff auth_backoff_;
  const bool bypass_scheduler_;
  const bool admin_require_client_cert_;
  const std::shared_ptr<spdlog::logger> access_log_;
  Metrics metrics_;
  ClusterFront cluster_;
  // Moves between nodes (cluster mode); stopped before cluster_ goes.
  std::unique_ptr<NodeMoves> moves_;
  std::atomic<bool> draining_{false};
  std::atomic<uint64_t> next_request_{0};
  std::string request_id_prefix_;
  // Last: joined first, while the members its work uses are alive.
  std::unique_ptr<RequestWorkers> workers_;
};

}  // namespace tenantkv::server

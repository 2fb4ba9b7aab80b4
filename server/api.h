// Api: the HTTP surface of tenantkv — routing, authentication, access
// rules, problem+json errors and request ids — independent of sockets.
#pragma once

#include <httplib.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "engine/engine.h"
#include "server/admission.h"
#include "server/auth.h"
#include "server/router.h"
#include "server/server_options.h"

namespace tenantkv::server {

// Who may call a route.
enum class Access {
  kPublic,    // no token (health checks)
  kTenant,    // a tenant API key; the tenant of the call is the key's
  kOperator,  // the operator token only
  kSelf,      // the operator, or an `admin` key of the tenant named by {id}
};

struct Call {
  const httplib::Request& req;
  httplib::Response& res;
  PathParams params;
  std::map<std::string, std::string> query;
  Principal principal;
  std::shared_ptr<engine::Tenant> tenant;  // kTenant routes: the caller's tenant
  Admission* admission = nullptr;
  int64_t read_bytes = 0;   // set by data handlers: bytes the operation read
  int64_t write_bytes = 0;  // ...and wrote; charged to the I/O buckets after
};

using Handler = std::function<Status(Call&)>;

struct Route {
  std::string name;  // stable route name for logs and metrics, e.g. "kv.get"
  Access access = Access::kPublic;
  bool writes = false;  // needs a write or admin key (kTenant routes)
  Handler handler;
  IoKind io = IoKind::kNone;  // which I/O buckets admission checks
};

using ApiRouter = Router<Route>;

// A Handler calling member `fn` of a route group shared by its routes.
template <typename Group>
Handler BindHandler(std::shared_ptr<Group> group, Status (Group::*fn)(Call&)) {
  return [group = std::move(group), fn](Call& c) { return ((*group).*fn)(c); };
}

// Route tables, one per file.
void AddDataRoutes(ApiRouter& router);
void AddAdminRoutes(ApiRouter& router, engine::Engine* engine);
void AddQuotaRoutes(ApiRouter& router, engine::Engine* engine);
void AddBackupRoutes(ApiRouter& router, engine::Engine* engine);

class Api {
 public:
  // `engine` and `auth` must outlive the Api. Thread-safe after construction.
  // `bypass_scheduler` runs storage operations on the HTTP thread (for
  // measuring the scheduler's cost only).
  Api(engine::Engine* engine, const Authenticator* auth, bool bypass_scheduler = false);

  // Answers one request completely: never throws, never leaves a 5xx
  // without a problem body, always sets X-Request-Id.
  void Handle(const httplib::Request& req, httplib::Response& res);

  // Fills in a problem body for errors the HTTP library raised itself (a
  // bad request line, an oversized body...). Returns true if it did, in
  // which case the connection should be closed; false for our own errors.
  bool HandleLibraryError(const httplib::Request& req, httplib::Response& res);

  // After this, /readyz answers 503 (graceful shutdown in progress).
  void SetDraining() { draining_ = true; }

  // The client's X-Request-Id if it is sane, else a new unique one.
  std::string RequestId(const httplib::Request& req);

 private:
  Status Dispatch(const httplib::Request& req, httplib::Response& res, const char** route_name,
                  std::string* tenant);
  Status Authorize(const Route& route, Call& call);
  // Admission, the handler, then charging and quota headers.
  Status HandleTenantCall(const Route& route, Call& call);
  Status RunScheduled(const Route& route, Call& call);

  engine::Engine* const engine_;
  const Authenticator* const auth_;
  ApiRouter router_;
  Admission admission_;
  const bool bypass_scheduler_;
  std::atomic<bool> draining_{false};
  std::atomic<uint64_t> next_request_{0};
  std::string request_id_prefix_;
};

}  // namespace tenantkv::server

// HttpHandler: what the HTTP front (http_server.h) asks of the application
// behind it. The front owns connections, framing, limits and deadlines;
// everything a request means is the handler's. tenantkv-server's handler
// is the Api; tenantkv-noop-server has a trivial one.
//
// A request reaches the handler in two phases: its head first (so that
// the caller can be authenticated, and an over-quota tenant refused, before
// its body is read), then the whole request, answered through a callback
// (so that the work can run off the front's I/O threads).
#pragma once

#include <functional>

#include "server/http/http_message.h"

namespace tenantkv::server {

// Implementations are thread-safe (called from every I/O thread at once),
// never throw, and outlive the HttpServer they serve.
class HttpHandler {
 public:
  // Takes the answer to a request; called exactly once per Handle().
  using Respond = std::function<void(HttpResponse)>;

  virtual ~HttpHandler() = default;

  // Phase 1: the head was read and its framing is sound; `req.body` is
  // empty. Runs on an I/O thread: must not block. True: the front reads
  // the body and calls Handle() with this same request (`req.state`
  // included). False: `res` is the final answer, sent without the body
  // being read (the connection is closed when one was announced).
  virtual bool OnHead(HttpRequest& req, HttpResponse& res) = 0;

  // Phase 2: the whole request. Calls `respond` exactly once, from any
  // thread, possibly before returning.
  virtual void Handle(HttpRequest req, Respond respond) = 0;

  // The front refused a request itself (a malformed head, a body too large
  // or too slow, an unknown method, a connection over the caps): `res`
  // holds its problem+json. The handler adds its X-Request-Id and counts
  // and logs the refusal. `req` holds what was parsed, maybe only the
  // remote address.
  virtual void OnFrontRefusal(const HttpRequest& req, HttpResponse& res) = 0;
};

}  // namespace tenantkv::server

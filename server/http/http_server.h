// HttpServer: cpp-httplib configured against its known traps.
//
// - TCP_NODELAY on (else every keep-alive response waits ~40 ms for a
//   delayed ACK);
// - the listen backlog raised after bind (the library's built-in is 5);
// - a connection pool that grows a thread per open connection up to a cap,
//   a per-client connection cap, and keep-alive bounded by count and idle
//   time, so idle or slow clients cannot starve the others;
// - body, header and URI limits, read/write timeouts.
// With a certificate configured it serves HTTPS (TLS 1.2+, see
// tls_context.h) with the same settings; the handshake itself is bounded by
// the read timeout.
//
// Before a request reaches the handler its body framing is checked (411
// length_required, 400 bad_framing) and its connection admitted under the
// client's cap (503 too_many_connections); every method and path then goes
// to the handler (http_handler.h). The front knows nothing of the API:
// tenantkv-server hands it the Api, tenantkv-noop-server (the benchmarks'
// ceiling) a trivial handler, so both run exactly these settings.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "crypto/status.h"
#include "server/http/connection_pool.h"
#include "server/http/http_handler.h"
#include "server/http/http_options.h"
#include "server/http/tls_options.h"

namespace tenantkv::server {

class HttpServer {
 public:
  // `handler` must outlive the server. FailedPrecondition "tls_config" if
  // TLS is configured and its files cannot be used.
  static Result<std::unique_ptr<HttpServer>> Create(const HttpOptions& http, const TlsOptions& tls,
                                                    HttpHandler* handler);
  ~HttpServer();

  // Binds the listening socket; returns the port (useful with port 0).
  Result<int> Bind();
  // Serves until Stop(); in-flight requests finish before it returns.
  void Run();
  // Thread-safe; may be called before Run() returns or from another thread.
  void Stop();

  // For tests: the pool serving connections (nullptr when not running).
  ConnectionPool* pool() const { return pool_.load(); }

 private:
  HttpServer(const HttpOptions& options, HttpHandler* handler, std::unique_ptr<httplib::Server> http);
  const HttpOptions options_;
  HttpHandler* const handler_;
  std::unique_ptr<httplib::Server> http_;  // an httplib::SSLServer with TLS
  std::atomic<ConnectionPool*> pool_{nullptr};
};

}  // namespace tenantkv::server

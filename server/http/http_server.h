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
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "server/api/api.h"
#include "server/http/connection_pool.h"
#include "server/app/server_options.h"

namespace tenantkv::server {

// The connection settings of tenantkv-server's HTTP front, from `o`:
// TCP_NODELAY, keep-alive count and timeout, read and write timeouts, the
// body limit. Also used by tenantkv-noop-server, so the benchmark ceiling
// runs with exactly these.
void ApplyConnectionSettings(httplib::Server& s, const ServerOptions& o);
// listen(2) again on the bound socket of `s` with `backlog` (cpp-httplib
// binds with a backlog of 5). Call between bind_to_port and
// listen_after_bind; false if `s` is not bound or listen fails.
bool RaiseListenBacklog(httplib::Server& s, int backlog);

class HttpServer {
 public:
  // `api` must outlive the server. FailedPrecondition "tls_config" if TLS
  // is configured and its files cannot be used.
  static Result<std::unique_ptr<HttpServer>> Create(const ServerOptions& options, Api* api);
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
  HttpServer(const ServerOptions& options, Api* api, std::unique_ptr<httplib::Server> http);
  const ServerOptions options_;
  Api* const api_;
  std::unique_ptr<httplib::Server> http_;  // an httplib::SSLServer with TLS
  std::atomic<ConnectionPool*> pool_{nullptr};
};

}  // namespace tenantkv::server

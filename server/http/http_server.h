// HttpServer: tenantkv's HTTP front, asynchronous on Boost.Asio with
// Boost.Beast's strict HTTP/1.1 parser.
//
// - a fixed set of I/O threads (--io-threads, default one per core), each
//   running its own connections; no thread per connection;
// - connection caps in all and per client address, enforced at accept
//   before a byte is read (503 too_many_connections, logged and counted);
// - a deadline for the whole request head, a minimum body rate, an idle
//   keep-alive timeout and a write timeout;
// - strict framing: malformed heads, obs-fold, repeated or non-decimal
//   Content-Length -> 400; request Transfer-Encoding other than chunked and
//   unknown methods -> 501; chunked bodies within the body limit;
// - pipelined requests answered in order, one at a time per connection.
// The handler (http_handler.h) sees each head before its body is read and
// answers through a callback, from any thread. With a certificate the same
// front serves HTTPS (TLS 1.2+, see tls_context.h).
#pragma once

#include <memory>

#include "crypto/status.h"
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
  // Serves on the I/O threads (this one among them) until Stop(); in-flight
  // requests are answered before it returns.
  void Run();
  // Graceful: stops accepting, closes idle connections, answers the
  // requests in flight with Connection: close. Thread-safe, idempotent;
  // may come before Run().
  void Stop();

  // Open connections now (tests, metrics).
  size_t open_connections() const;

  class Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tenantkv::server

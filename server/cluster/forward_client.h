// ForwardClient: the forwarder's I/O (forwarder.h), one asynchronous HTTP/1.1
// exchange at a time per connection, on Boost.Beast over an io_context of
// its own. Internal to the forwarder, which bounds how many exchanges are in
// flight and queues the rest; this class neither queues nor refuses.
//
// Threads: `io_threads` threads run the io_context. Every handler, and the
// `finish` callback of each exchange, runs on one of them, or on the
// caller's I/O thread for an exchange started there (Start's `here`):
// `finish` must not block (hand blocking work to another thread).
//
// Connections are pooled per node origin (at most max_idle_per_node idle
// ones); a pooled connection is checked before reuse (one the node closed,
// or that holds unexpected bytes, is dropped) and goes back to the pool only
// after a complete answer that kept the connection alive.
//
// Thread-safe.
#pragma once

#include <functional>
#include <memory>

#include "crypto/status.h"
#include "server/cluster/forwarder.h"
#include "server/cluster/http_endpoint.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace tenantkv::server::cluster::forward {

class ForwardClient {
 public:
  // The answer (or the failure, with the codes of Forwarder::Send), and the
  // request as it was given (its body too).
  using Finish = std::function<void(Result<ForwardResponse>, ForwardRequest)>;

  // InvalidArgument naming a bad TLS file; starts the io threads.
  static Result<std::unique_ptr<ForwardClient>> Create(const ForwarderOptions& options);
  // Stop().
  ~ForwardClient();

  // Starts one exchange of `req` (already CheckRequest'ed) with `node`.
  // `finish` is called exactly once, on an io thread: one of this client's,
  // or the thread running `here` when given. `here` must be run by the
  // calling thread alone (server/http/io_thread.h), and keep running until
  // the exchange is done; its idle connections close with it.
  void Start(const HttpEndpoint& node, ForwardRequest req, Finish finish, boost::asio::io_context* here = nullptr);

  // Waits for the exchanges in flight (each bounded by its timeouts), joins
  // the io threads and closes the idle connections. Start must not be
  // called during or after it. Idempotent.
  void Stop();

  struct Impl;

 private:
  explicit ForwardClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tenantkv::server::cluster::forward

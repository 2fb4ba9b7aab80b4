// Forwarder: sends a request that reached this node for a tenant owned by
// another node on to that node, over keep-alive connections kept per node,
// and brings its answer back. One hop: the caller marks the request
// (Tenantkv-Forwarded-By) and the owner never forwards it again.
//
// The exchanges run asynchronously (Boost.Beast) on the forwarder's own io
// threads, so that the HTTP front's I/O threads never block on another
// node; at most `threads` requests are in flight at once, the queue in
// front of them is bounded, and so are the time and the answer's size of
// every request.
//
// Threads:
//   io threads (`io_threads`): every exchange's I/O, and the `done` of Send
//     (so `done` must not block: hand blocking work to another thread), but
//     for a request sent from an HTTP front I/O thread that starts at once
//     (Send's `here`): its I/O and `done` run on that thread;
//   worker threads (made as needed, at most `work_threads`): posted work (Post),
//     which may block, and so may call SendHere;
//   the calling thread: `done` or the work when refused at once.
//
// The request keeps the client's method, target, body and end-to-end
// headers (Authorization and X-Request-Id included: the owner checks the
// token itself). Hop-by-hop headers (Connection, Keep-Alive, TE, Upgrade,
// Transfer-Encoding, Proxy-*) and the framing (Content-Length, Host) are the
// forwarder's. The answer comes back with its status, body and end-to-end
// headers; its framing and Date are the front's again.
//
// A request is sent at most once: a connection that fails before the
// request was written is retried once on a new connection, never after.
//
// On a non-loopback address nodes talk https with mutual TLS (the owner
// verifies this node's client certificate, this node verifies the owner's
// against `ca_file`): forwarded requests carry bearer tokens.
//
// Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "crypto/status.h"
#include "server/cluster/http_endpoint.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace tenantkv::server::cluster {

struct ForwardRequest {
  std::string method;  // "GET", ...
  std::string target;  // the raw request-target, e.g. "/v1/kv/a%2Fb?x=1"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct ForwardResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // end-to-end ones only
  std::string body;
};

struct ForwarderOptions {
  // 1..256: requests (and posted work) in flight at once. A forwarding
  // node keeps about as many requests in flight as its clients send it, so
  // this is sized for a loaded node (cluster.sh: 16 slots and 16 idle
  // connections held a forwarded GET to 0.33x of a direct one on 2 cores,
  // 64 and 64 gave 0.50x; 256 with 16 idle churned connections, 0.27x).
  size_t threads = 64;
  // 1..256: posted work (Post: directory reads, which may wait on etcd) in
  // flight at once, on as many worker threads. A pool of its own, so that
  // work piling up (a flood of made-up key ids, each read from etcd) never
  // takes the slots of requests whose owner is known.
  size_t work_threads = 16;
  size_t io_threads = 1;           // 1..16: threads running the asynchronous I/O
  size_t max_queue = 4096;         // 1..1e6: requests (and, apart, posted work) waiting for a free slot at most
  size_t max_idle_per_node = 64;   // kept-alive connections per node, at most (match `threads`)
  int connect_timeout_ms = 1000;   // 1..60000
  int request_timeout_ms = 30000;  // 1..600000: the write of the request and the read of its answer together
  size_t max_response_bytes = 64 << 20;  // a larger answer is refused (bad_gateway)
  // https: PEM CA bundle the other nodes' certificates must verify against
  // ("" = the system store), and this node's client certificate and key
  // (PEM; both or neither).
  std::string ca_file;
  std::string client_cert_file;
  std::string client_key_file;
};

class Forwarder {
 public:
  using Done = std::function<void(Result<ForwardResponse>)>;

  // InvalidArgument naming a bad option (a count out of range, a
  // certificate without its key, a file that cannot be read).
  static Result<std::unique_ptr<Forwarder>> Create(ForwarderOptions options);
  // Answers every queued request Unavailable("shutting_down") and joins
  // the threads (in-flight requests finish first, bounded by their timeout).
  ~Forwarder();

  // Queues `req` for `node` and calls `done` exactly once, on an io thread
  // (or on this one when refused at once: a full queue, shutting down, or
  // a malformed request), with the node's answer whatever its status, or:
  //   InvalidArgument                   a CR, LF or other control byte in
  //                                     the method, target or a header;
  //   Unavailable("node_unreachable")  no connection could be made;
  //   Unavailable("forward_queue_full") the queue is full;
  //   Unavailable("shutting_down")     the forwarder is being destroyed;
  //   Unavailable("node_timeout")      the node did not answer in time;
  //   Internal("bad_gateway")          a malformed or oversized answer, or
  //                                    the connection broke after the
  //                                    request was sent.
  //
  // `here`: the io_context the calling thread runs alone (an HTTP front
  // I/O thread's, server/http/io_thread.h), which must keep running until
  // `done` is called. A request that starts at once then runs its exchange
  // on that context and calls `done` on that thread: no hand-off to an io
  // thread of the forwarder's and back. Null, or a request that waits in
  // the queue: the forwarder's own io threads.
  void Send(const HttpEndpoint& node, ForwardRequest req, Done done, boost::asio::io_context* here = nullptr);

  // Send, waiting for the answer on this thread. Not from an io thread
  // (it would wait for itself), nor from posted work (it would wait for a
  // slot while holding one): use SendHere there.
  Result<ForwardResponse> SendAndWait(const HttpEndpoint& node, ForwardRequest req);

  // Queues `work` like a request (it takes a slot) and runs it on a worker
  // thread with OK; when the queue is full or the forwarder is being destroyed, calls
  // it with that refusal instead (at once, or from the destructor). For
  // work that must look something up before it knows where to send (the
  // tenant directory), then sends with SendHere.
  using Work = std::function<void(const Status&)>;
  void Post(Work work);
  // Sends `req` in the slot of the posted work calling it (on a worker
  // thread; never from an io thread) and waits for the answer: the same
  // exchange, limits and answers as Send. `req` is as it was afterwards
  // (its body too), for another attempt.
  Result<ForwardResponse> SendHere(const HttpEndpoint& node, ForwardRequest& req);

  // Requests sent and answered (any status) / failed as above, since start.
  uint64_t forwarded() const;
  uint64_t failed() const;

 private:
  struct Impl;
  explicit Forwarder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tenantkv::server::cluster

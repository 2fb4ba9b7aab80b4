// Forwarder (forwarder.h) over cpp-httplib 0.11.
//
// Connections. httplib::Client holds one socket and must not carry two
// requests at once, so a client is owned by one worker for one request.
// Idle clients are kept in one pool per node (origin), shared by all the
// workers, rather than per worker thread: a connection opened by one worker
// is reused by whichever worker forwards next to that node, and the idle
// connections to a node stay at max_idle_per_node whatever the number of
// threads (per-worker clients would keep up to threads x nodes sockets open
// and reuse them only when the same worker happened to serve the same node).
// A client goes back to the pool only after a complete answer on a socket
// still open; a client that failed in any way is dropped with its socket.
// An idle socket the node has since closed is noticed by httplib before the
// next write (it reconnects then).
//
// Errors (httplib::Error after Client::send):
//   Connection, ConnectionTimeout, BindIPAddress, SSLConnection,
//   SSLServerVerification, SSLLoadingCerts: nothing was written
//     -> Unavailable("node_unreachable");
//   Read, Write: the socket failed or timed out while the request or the
//     answer was on the wire. httplib 0.11 reports a timed-out poll and a
//     closed or reset connection alike; its read and write timeouts bound
//     each wait, so an attempt that failed before request_timeout_ms had
//     passed cannot have timed out (-> Internal("bad_gateway")), and one
//     that failed after it is taken for a timeout
//     (-> "node_timeout", see NodeTimeout());
//   Canceled: our own bounds: on the answer's size -> Internal("bad_gateway"),
//     on its time (request_timeout_ms since the attempt began, checked as
//     the head and each piece of the body arrive) -> "node_timeout";
//   anything else -> Internal("bad_gateway").
//
// Retry: at most once, on a new connection, and only when the attempt used a
// pooled client and failed with one of the "nothing was written" errors
// above. httplib connects (or, for a stale pooled socket, reconnects)
// before it writes a byte, so the request cannot have reached the node. A
// Read or Write failure is never retried: the node may have received, and
// acted on, the request.
//
// Under TLS 1.3 a node refuses this node's client certificate after our
// side of the handshake is done, when the request is already written: that
// shows as a Read failure (bad_gateway), not as node_unreachable.
//
// Relies on SIGPIPE being ignored by the process (server/app/main.cc), as
// does every httplib client.
#include "server/cluster/forwarder.h"

#include <httplib.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <map>
#include <optional>
#include <string_view>
#include <thread>

#include "crypto/mutex.h"

namespace tenantkv::server::cluster {
namespace {

// The header contract names DeadlineExceeded("node_timeout"); Status has no
// such code, and Unavailable is the one status.h gives to "deadline
// passed" (as Unavailable("deadline") elsewhere): the reason tells it apart.
Status NodeTimeout(const std::string& msg) {
  return Status::Unavailable(msg, "node_timeout");
}
Status NodeUnreachable(const std::string& msg) {
  return Status::Unavailable(msg, "node_unreachable");
}
Status BadGateway(const std::string& msg) {
  return Status::Internal(msg, "bad_gateway");
}
Status ShuttingDown() {
  return Status::Unavailable("the forwarder is shutting down", "shutting_down");
}

char Lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string Lowered(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

std::string_view Trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Hop-by-hop headers (RFC 9110 section 7.6.1, with the legacy Keep-Alive
// and Proxy-Connection) and the framing, which each hop makes its own.
constexpr std::string_view kNotForwarded[] = {
    "connection", "keep-alive", "te", "trailer", "upgrade", "transfer-encoding",
    "proxy-authenticate", "proxy-authorization", "proxy-connection", "content-length", "host"};

// Which headers of one message stay on this hop: the fixed list above, the
// ones its Connection headers name (RFC 9110 section 7.6.1), and `extra`.
class HopFilter {
 public:
  template <typename Headers>
  HopFilter(const Headers& headers, std::string_view extra) : extra_(extra) {
    for (const auto& [name, value] : headers) {
      if (Lowered(name) != "connection") continue;
      std::string_view rest = value;
      while (!rest.empty()) {
        const size_t comma = rest.find(',');
        const std::string_view token = Trimmed(rest.substr(0, comma));
        if (!token.empty()) named_.push_back(Lowered(token));
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      }
    }
  }

  bool Forwarded(std::string_view name) const {
    const std::string lower = Lowered(name);
    for (std::string_view h : kNotForwarded) {
      if (lower == h) return false;
    }
    if (!extra_.empty() && lower == extra_) return false;
    for (const std::string& h : named_) {
      if (lower == h) return false;
    }
    return true;
  }

 private:
  std::string_view extra_;
  std::vector<std::string> named_;
};

// The request line and the header lines are written as they are: a CR, LF
// or other control byte (or a space in the method or target) would let a
// value end its line and start another.
bool Clean(std::string_view s, bool space_ok) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 && !(space_ok && c == '\t')) return false;
    if (u == 0x7f || (c == ' ' && !space_ok)) return false;
  }
  return true;
}

Status CheckRequest(const ForwardRequest& req) {
  if (req.method.empty() || !Clean(req.method, false)) {
    return Status::InvalidArgument("a forwarded request needs a method without spaces or control bytes");
  }
  if (req.target.empty() || !Clean(req.target, false)) {
    return Status::InvalidArgument("a forwarded request needs a target without spaces or control bytes");
  }
  for (const auto& [name, value] : req.headers) {
    if (name.empty() || !Clean(name, false) || name.find(':') != std::string::npos || !Clean(value, true)) {
      return Status::InvalidArgument("a forwarded header has a malformed name or value");
    }
  }
  return Status::Ok();
}

// Could not have written anything: the connection (or its TLS handshake)
// was never made.
bool NothingSent(httplib::Error e) {
  switch (e) {
    case httplib::Error::Connection:
    case httplib::Error::ConnectionTimeout:
    case httplib::Error::BindIPAddress:
    case httplib::Error::SSLConnection:
    case httplib::Error::SSLServerVerification:
    case httplib::Error::SSLLoadingCerts:
      return true;
    default:
      return false;
  }
}

Status CheckReadable(const std::string& what, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char c;
  if (!in || !in.get(c)) return Status::InvalidArgument(what + " '" + path + "' cannot be read (or is empty)");
  return Status::Ok();
}

// The TLS files load as httplib will load them when it connects.
Status CheckTlsFiles(const ForwarderOptions& o) {
  if (o.client_cert_file.empty() != o.client_key_file.empty()) {
    return Status::InvalidArgument("client_cert_file and client_key_file go together: both or neither");
  }
  if (!o.ca_file.empty()) TKV_RETURN_IF_ERROR(CheckReadable("ca_file", o.ca_file));
  if (!o.client_cert_file.empty()) {
    TKV_RETURN_IF_ERROR(CheckReadable("client_cert_file", o.client_cert_file));
    TKV_RETURN_IF_ERROR(CheckReadable("client_key_file", o.client_key_file));
  }
  // Connects nowhere: it only builds the TLS context.
  httplib::SSLClient probe("127.0.0.1", 1, o.client_cert_file, o.client_key_file);
  if (!probe.is_valid()) {
    return Status::InvalidArgument("client certificate '" + o.client_cert_file + "' and key '" + o.client_key_file +
                                   "' do not load as a PEM certificate and its private key");
  }
  if (!o.client_cert_file.empty() && SSL_CTX_check_private_key(probe.ssl_context()) != 1) {
    return Status::InvalidArgument("client_key_file '" + o.client_key_file + "' is not the key of client_cert_file '" +
                                   o.client_cert_file + "'");
  }
  if (!o.ca_file.empty() && SSL_CTX_load_verify_locations(probe.ssl_context(), o.ca_file.c_str(), nullptr) != 1) {
    return Status::InvalidArgument("ca_file '" + o.ca_file + "' holds no PEM certificate");
  }
  return Status::Ok();
}

Status CheckOptions(const ForwarderOptions& o) {
  if (o.threads < 1 || o.threads > 256) return Status::InvalidArgument("forwarder threads must be 1..256");
  if (o.max_queue < 1 || o.max_queue > 1000000) {
    return Status::InvalidArgument("forwarder max_queue must be 1..1000000");
  }
  if (o.max_idle_per_node > 4096) return Status::InvalidArgument("forwarder max_idle_per_node must be 0..4096");
  if (o.connect_timeout_ms < 1 || o.connect_timeout_ms > 60000) {
    return Status::InvalidArgument("forwarder connect_timeout_ms must be 1..60000");
  }
  if (o.request_timeout_ms < 1 || o.request_timeout_ms > 600000) {
    return Status::InvalidArgument("forwarder request_timeout_ms must be 1..600000");
  }
  if (o.max_response_bytes < 1 || o.max_response_bytes > (size_t{1} << 32)) {
    return Status::InvalidArgument("forwarder max_response_bytes must be 1..4 GiB");
  }
  return CheckTlsFiles(o);
}

}  // namespace

struct Forwarder::Impl {
  struct Job {
    HttpEndpoint node;
    ForwardRequest req;
    Done done;
    Work work;  // set: posted work, run instead of a forward
  };

  explicit Impl(ForwarderOptions o) : options(std::move(o)) {}

  void Start() {
    threads.reserve(options.threads);
    for (size_t i = 0; i < options.threads; ++i) threads.emplace_back([this] { Run(); });
  }

  // Refuses what is still queued and joins the workers.
  void Stop() {
    std::deque<Job> left;
    {
      MutexLock lock(mu);
      stopping = true;
      left.swap(queue);
    }
    work_cv.SignalAll();
    // Answered here, on the destroying thread, rather than by the workers:
    // a worker may be held by an in-flight request for up to its timeout.
    for (Job& job : left) {
      if (job.work) {
        RunWork(job.work, ShuttingDown());
      } else {
        Finish(job.done, ShuttingDown());
      }
    }
    for (std::thread& t : threads) t.join();
    threads.clear();
  }

  void Run() {
    for (;;) {
      Job job;
      {
        MutexLock lock(mu);
        while (!stopping && queue.empty()) work_cv.Wait(mu);
        if (stopping) return;  // Stop() took the queue
        job = std::move(queue.front());
        queue.pop_front();
      }
      if (job.work) {
        RunWork(job.work, Status::Ok());
        continue;
      }
      Result<ForwardResponse> answer = BadGateway("unset");
      try {
        answer = Forward(job.node, job.req);
      } catch (const std::exception& e) {
        answer = BadGateway(std::string("forwarding failed: ") + e.what());
      }
      Finish(job.done, std::move(answer));
    }
  }

  void RunWork(Work& work, const Status& s) {
    try {
      work(s);
    } catch (const std::exception& e) {
      spdlog::error("forwarder: posted work threw: {}", e.what());
    }
  }

  // Queues `job`, or says why not.
  Status Enqueue(Job job) {
    MutexLock lock(mu);
    if (stopping) return ShuttingDown();
    if (queue.size() >= options.max_queue) {
      return Status::Unavailable(std::to_string(options.max_queue) +
                                     " requests already wait to be forwarded (max_queue)",
                                 "forward_queue_full");
    }
    queue.push_back(std::move(job));
    return Status::Ok();
  }

  void Finish(Done& done, Result<ForwardResponse> answer) {
    (answer.ok() ? forwarded : failed).fetch_add(1, std::memory_order_relaxed);
    try {
      done(std::move(answer));
    } catch (const std::exception& e) {
      spdlog::error("forwarder: a completion callback threw: {}", e.what());
    }
  }

  std::unique_ptr<httplib::Client> TakeIdle(const std::string& origin) {
    MutexLock lock(pool_mu);
    auto it = idle.find(origin);
    if (it == idle.end() || it->second.empty()) return nullptr;
    std::unique_ptr<httplib::Client> client = std::move(it->second.back());
    it->second.pop_back();
    return client;
  }

  void GiveBack(const std::string& origin, std::unique_ptr<httplib::Client> client) {
    if (!client->is_socket_open()) return;  // the node closed it ("Connection: close")
    MutexLock lock(pool_mu);
    std::vector<std::unique_ptr<httplib::Client>>& stack = idle[origin];
    if (stack.size() < options.max_idle_per_node) stack.push_back(std::move(client));
  }

  std::unique_ptr<httplib::Client> NewClient(const std::string& origin) const {
    auto client = std::make_unique<httplib::Client>(origin, options.client_cert_file, options.client_key_file);
    client->set_connection_timeout(std::chrono::milliseconds(options.connect_timeout_ms));
    client->set_read_timeout(std::chrono::milliseconds(options.request_timeout_ms));
    client->set_write_timeout(std::chrono::milliseconds(options.request_timeout_ms));
    client->set_keep_alive(true);
    client->set_follow_location(false);
    client->set_url_encode(false);  // the target is sent as the client wrote it
    client->set_compress(false);
    client->set_decompress(false);  // the body comes back as the node encoded it
    client->set_tcp_nodelay(true);
    client->enable_server_certificate_verification(true);
    if (!options.ca_file.empty()) client->set_ca_cert_path(options.ca_file);
    return client;
  }

  Result<ForwardResponse> Forward(const HttpEndpoint& node, ForwardRequest& req);

  const ForwarderOptions options;

  Mutex mu;
  CondVar work_cv;  // a job was queued, or stopping
  std::deque<Job> queue GUARDED_BY(mu);
  bool stopping GUARDED_BY(mu) = false;

  Mutex pool_mu;  // never held with mu, nor across I/O
  std::map<std::string, std::vector<std::unique_ptr<httplib::Client>>> idle GUARDED_BY(pool_mu);

  std::vector<std::thread> threads;
  std::atomic<uint64_t> forwarded{0};
  std::atomic<uint64_t> failed{0};
};

Result<ForwardResponse> Forwarder::Impl::Forward(const HttpEndpoint& node, ForwardRequest& req) {
  TKV_RETURN_IF_ERROR(CheckRequest(req));
  const std::string origin = node.Origin();
  const size_t max_bytes = options.max_response_bytes;
  const auto timeout = std::chrono::milliseconds(options.request_timeout_ms);

  httplib::Headers headers;
  // Expect: this node has read the whole body already, so there is nothing
  // left to wait for, and httplib's client does not expect a 100 answer.
  const HopFilter request_filter(req.headers, "expect");
  for (const auto& [name, value] : req.headers) {
    if (request_filter.Forwarded(name)) headers.emplace(name, value);
  }

  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<httplib::Client> client = attempt == 0 ? TakeIdle(origin) : nullptr;
    const bool pooled = client != nullptr;
    if (client == nullptr) client = NewClient(origin);
    if (!client->is_valid()) return NodeUnreachable(origin + ": cannot set up a client (TLS files?)");

    httplib::Request hreq;
    hreq.method = req.method;
    hreq.path = req.target;
    // httplib adds Host and Content-Length, and Accept, User-Agent and (for
    // a body) Content-Type: text/plain when the client sent none.
    hreq.headers = headers;
    hreq.body = std::move(req.body);
    std::string body;
    bool too_large = false;
    bool too_late = false;
    const auto start = std::chrono::steady_clock::now();
    // httplib's timeouts bound each wait on the socket; this bounds the
    // answer as a whole (a node trickling it would otherwise hold a worker).
    auto late = [&] {
      too_late = std::chrono::steady_clock::now() - start >= timeout;
      return too_late;
    };
    hreq.response_handler = [&](const httplib::Response& r) {
      if (late()) return false;
      // A larger declared body is refused before it is read. HEAD, 204 and
      // 304 answers declare a length but carry no body.
      const bool has_body = req.method != "HEAD" && r.status >= 200 && r.status != 204 && r.status != 304;
      const std::string length = r.get_header_value("Content-Length");
      if (has_body && !length.empty() && std::strtoull(length.c_str(), nullptr, 10) > max_bytes) {
        too_large = true;
        return false;
      }
      return true;
    };
    hreq.content_receiver = [&](const char* data, size_t len, uint64_t, uint64_t) {
      if (len > max_bytes - body.size()) {
        too_large = true;
        return false;
      }
      if (late()) return false;
      body.append(data, len);
      return true;
    };

    httplib::Response hres;
    httplib::Error error = httplib::Error::Success;
    const bool sent = client->send(hreq, hres, error);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    req.body = std::move(hreq.body);  // for a retry

    if (sent) {
      GiveBack(origin, std::move(client));
      ForwardResponse out;
      out.status = hres.status;
      const HopFilter response_filter(hres.headers, "date");
      for (const auto& [name, value] : hres.headers) {
        if (response_filter.Forwarded(name)) out.headers.emplace_back(name, value);
      }
      out.body = std::move(body);
      return out;
    }
    const std::string why = origin + " " + req.method + ": " + httplib::to_string(error);
    if (too_large) {
      return BadGateway(origin + " answered more than max_response_bytes (" + std::to_string(max_bytes) + ")");
    }
    if (NothingSent(error)) {
      if (pooled) {
        spdlog::debug("forwarder: {} on a pooled client; once more on a new connection", why);
        continue;
      }
      return NodeUnreachable(why);
    }
    if (too_late || ((error == httplib::Error::Read || error == httplib::Error::Write) && elapsed >= timeout)) {
      return NodeTimeout(why + " (no answer within " + std::to_string(options.request_timeout_ms) + " ms)");
    }
    return BadGateway(why);
  }
}

Forwarder::Forwarder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Forwarder::~Forwarder() {
  if (impl_ != nullptr) impl_->Stop();
}

Result<std::unique_ptr<Forwarder>> Forwarder::Create(ForwarderOptions options) {
  TKV_RETURN_IF_ERROR(CheckOptions(options));
  auto impl = std::make_unique<Impl>(std::move(options));
  impl->Start();
  return std::unique_ptr<Forwarder>(new Forwarder(std::move(impl)));
}

void Forwarder::Send(const HttpEndpoint& node, ForwardRequest req, Done done) {
  // The callback stays here until queued: a refusal answers through it.
  auto shared = std::make_shared<Done>(std::move(done));
  Status refused = impl_->Enqueue(Impl::Job{node, std::move(req), [shared](Result<ForwardResponse> a) {
                                              (*shared)(std::move(a));
                                            },
                                            nullptr});
  if (!refused.ok()) {
    impl_->Finish(*shared, std::move(refused));
    return;
  }
  impl_->work_cv.Signal();
}

void Forwarder::Post(Work work) {
  auto shared = std::make_shared<Work>(std::move(work));
  Status refused = impl_->Enqueue(Impl::Job{{}, {}, nullptr, [shared](const Status& s) { (*shared)(s); }});
  if (!refused.ok()) {
    impl_->RunWork(*shared, refused);
    return;
  }
  impl_->work_cv.Signal();
}

Result<ForwardResponse> Forwarder::SendHere(const HttpEndpoint& node, ForwardRequest& req) {
  Result<ForwardResponse> answer = BadGateway("unset");
  try {
    answer = impl_->Forward(node, req);
  } catch (const std::exception& e) {
    answer = BadGateway(std::string("forwarding failed: ") + e.what());
  }
  (answer.ok() ? impl_->forwarded : impl_->failed).fetch_add(1, std::memory_order_relaxed);
  return answer;
}

Result<ForwardResponse> Forwarder::SendAndWait(const HttpEndpoint& node, ForwardRequest req) {
  // Shared with the callback, which may still be returning (and unlocking)
  // when this thread wakes up and leaves.
  struct Waiter {
    Mutex mu;
    CondVar cv;
    std::optional<Result<ForwardResponse>> answer GUARDED_BY(mu);
  };
  auto waiter = std::make_shared<Waiter>();
  Send(node, std::move(req), [waiter](Result<ForwardResponse> answer) {
    MutexLock lock(waiter->mu);
    waiter->answer.emplace(std::move(answer));
    waiter->cv.Signal();
  });
  MutexLock lock(waiter->mu);
  while (!waiter->answer.has_value()) waiter->cv.Wait(waiter->mu);
  return std::move(*waiter->answer);
}

uint64_t Forwarder::forwarded() const {
  return impl_->forwarded.load(std::memory_order_relaxed);
}
uint64_t Forwarder::failed() const {
  return impl_->failed.load(std::memory_order_relaxed);
}

}  // namespace tenantkv::server::cluster

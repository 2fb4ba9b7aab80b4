// ForwardClient (forward_client.h) on Boost.Beast 1.74.
//
// One Exchange per request, a chain of asynchronous steps on one
// connection: [resolve, connect, TLS handshake,] write the request, read the
// answer. It runs on the client's own io_context, or on the caller's when
// Start is given one (an HTTP front I/O thread's: no hand-off to another
// thread and back). On the client's own context a connection's stream runs
// on a strand of its own, so with more than one io thread its handlers (and
// its tcp_stream's timer) never run at once; a caller's context is run by
// one thread alone. The Exchange owns the connection while it runs, and the
// pool of its context (IdlePools) owns it while it is idle: a connection
// never moves from one context to another.
//
// Deadlines (tcp_stream's expiry, one at a time): connect_timeout_ms from
// the start of the resolve to the end of the TLS handshake; then
// request_timeout_ms for the write and the read together.
//
// Errors:
//   resolve, connect, handshake (timeouts included): nothing was written
//     -> Unavailable("node_unreachable");
//   the answer's header over kHeaderLimit or its body over
//     max_response_bytes -> Internal("bad_gateway");
//   request_timeout_ms passed during the write or the read
//     -> Unavailable("node_timeout");
//   anything else on the write or the read (a reset, a closed connection, a
//     malformed answer, a TLS alert) -> Internal("bad_gateway").
// A failed connection is closed, never pooled.
//
// Retry: at most once, on a new connection, when the connection was a
// pooled one and its write failed with no byte of the request written (the
// node closed it between the pool's check and the write). Once a byte is
// written the node may act on the request: never sent again.
//
// TLS: the node's certificate must verify against ca_file (or the system
// store) and name the host of its URL: an IP address against the
// certificate's IP SANs, a name against its DNS SANs (or its CN when it has
// none), as X509_check_host/_ip do. SNI carries names only (RFC 6066).
//
// Under TLS 1.3 a node refuses this node's client certificate after our
// side of the handshake is done, when the request is already written: that
// shows as a failed read (bad_gateway), not as node_unreachable.
#include "server/cluster/forward_client.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <optional>
#include <thread>
#include <type_traits>
#include <vector>

#include "crypto/mutex.h"
#include "server/cluster/forward_message.h"

namespace tenantkv::server::cluster::forward {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using Clock = std::chrono::steady_clock;
using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

constexpr uint32_t kHeaderLimit = 64 << 10;

template <typename Stream>
struct Conn {
  template <typename... Args>
  explicit Conn(Args&&... args) : stream(std::forward<Args>(args)...) {}
  Stream stream;
  beast::flat_buffer buffer;  // what was read past the last answer: nothing
};

beast::tcp_stream& Lowest(PlainStream& s) { return s; }
beast::tcp_stream& Lowest(TlsStream& s) { return s.next_layer(); }

// An idle connection is reusable while nothing is to be read on it: an end
// of stream or an error means the node closed it, and bytes (a TLS
// close_notify, or garbage) mean it is not a clean idle HTTP connection.
bool StillOpen(beast::tcp_stream& s) {
  tcp::socket& sock = s.socket();
  if (!sock.is_open()) return false;
  char c;
  const ssize_t n = ::recv(sock.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

template <typename Stream>
class Pool {
 public:
  // An idle connection to `origin` still open, or null.
  std::unique_ptr<Conn<Stream>> Take(const std::string& origin) {
    for (;;) {
      std::unique_ptr<Conn<Stream>> conn;
      {
        MutexLock lock(mu_);
        auto it = idle_.find(origin);
        if (it == idle_.end() || it->second.empty()) return nullptr;
        conn = std::move(it->second.back());
        it->second.pop_back();
      }
      if (StillOpen(Lowest(conn->stream))) return conn;
    }  // a closed one is dropped (and its socket closed) here
  }

  void Give(const std::string& origin, std::unique_ptr<Conn<Stream>> conn, size_t max_idle) {
    MutexLock lock(mu_);
    std::vector<std::unique_ptr<Conn<Stream>>>& stack = idle_[origin];
    if (stack.size() < max_idle) stack.push_back(std::move(conn));
  }

 private:
  Mutex mu_;
  std::map<std::string, std::vector<std::unique_ptr<Conn<Stream>>>> idle_ GUARDED_BY(mu_);
};

// The idle connections of every ForwardClient on one io_context, kept by
// the context as a service: they are closed when the context shuts down,
// before the socket and timer services they use (a context destroys its
// newer services first, and this one is made after the first connection).
// Each client has pools of its own (its TLS settings and idle limit).
class IdlePools : public asio::execution_context::service {
 public:
  using key_type = IdlePools;
  static asio::execution_context::id id;

  explicit IdlePools(asio::execution_context& ctx) : asio::execution_context::service(ctx) {}

  template <typename Stream>
  std::unique_ptr<Conn<Stream>> Take(uint64_t client, const std::string& origin) {
    std::shared_ptr<Both> both = Find(client, false);
    return both == nullptr ? nullptr : both->Of<Stream>().Take(origin);
  }

  template <typename Stream>
  void Give(uint64_t client, const std::string& origin, std::unique_ptr<Conn<Stream>> conn, size_t max_idle) {
    Find(client, true)->Of<Stream>().Give(origin, std::move(conn), max_idle);
  }

  // Closes `client`'s idle connections.
  void Forget(uint64_t client) {
    std::shared_ptr<Both> gone;
    MutexLock lock(mu_);
    if (auto it = clients_.find(client); it != clients_.end()) {
      gone = std::move(it->second);
      clients_.erase(it);
    }
  }

 private:
  struct Both {
    Pool<PlainStream> plain;
    Pool<TlsStream> secure;
    template <typename Stream>
    Pool<Stream>& Of() {
      if constexpr (std::is_same_v<Stream, TlsStream>) {
        return secure;
      } else {
        return plain;
      }
    }
  };

  std::shared_ptr<Both> Find(uint64_t client, bool make) {
    MutexLock lock(mu_);
    auto it = clients_.find(client);
    if (it != clients_.end()) return it->second;
    if (!make) return nullptr;
    return clients_.emplace(client, std::make_shared<Both>()).first->second;
  }

  void shutdown() override {
    std::map<uint64_t, std::shared_ptr<Both>> gone;
    MutexLock lock(mu_);
    gone.swap(clients_);
  }

  Mutex mu_;
  std::map<uint64_t, std::shared_ptr<Both>> clients_ GUARDED_BY(mu_);
};

asio::execution_context::id IdlePools::id;

Status CheckReadable(const std::string& what, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char c;
  if (!in || !in.get(c)) return Status::InvalidArgument(what + " '" + path + "' cannot be read (or is empty)");
  return Status::Ok();
}

// The client side of mutual TLS: TLS 1.2+, the node verified against
// ca_file (or the system store), this node's certificate presented.
Result<std::unique_ptr<asio::ssl::context>> ClientTls(const ForwarderOptions& o) {
  if (o.client_cert_file.empty() != o.client_key_file.empty()) {
    return Status::InvalidArgument("client_cert_file and client_key_file go together: both or neither");
  }
  if (!o.ca_file.empty()) TKV_RETURN_IF_ERROR(CheckReadable("ca_file", o.ca_file));
  if (!o.client_cert_file.empty()) {
    TKV_RETURN_IF_ERROR(CheckReadable("client_cert_file", o.client_cert_file));
    TKV_RETURN_IF_ERROR(CheckReadable("client_key_file", o.client_key_file));
  }
  std::unique_ptr<asio::ssl::context> ctx;
  try {
    ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  } catch (const std::exception& e) {
    return Status::Internal(std::string("cannot make a TLS client context: ") + e.what());
  }
  SSL_CTX* c = ctx->native_handle();
  ERR_clear_error();
  SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
  SSL_CTX_set_options(c, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  Status bad = Status::Ok();
  if (!o.client_cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(c, o.client_cert_file.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(c, o.client_key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      bad = Status::InvalidArgument("client certificate '" + o.client_cert_file + "' and key '" + o.client_key_file +
                                    "' do not load as a PEM certificate and its private key");
    } else if (SSL_CTX_check_private_key(c) != 1) {
      bad = Status::InvalidArgument("client_key_file '" + o.client_key_file + "' is not the key of client_cert_file '" +
                                    o.client_cert_file + "'");
    }
  }
  if (bad.ok() && !o.ca_file.empty() && SSL_CTX_load_verify_locations(c, o.ca_file.c_str(), nullptr) != 1) {
    bad = Status::InvalidArgument("ca_file '" + o.ca_file + "' holds no PEM certificate");
  }
  if (bad.ok() && o.ca_file.empty() && SSL_CTX_set_default_verify_paths(c) != 1) {
    spdlog::warn("forwarder: the system's CA store did not load; https nodes will not verify");
  }
  ERR_clear_error();
  TKV_RETURN_IF_ERROR(bad);
  SSL_CTX_set_verify(c, SSL_VERIFY_PEER, nullptr);
  return ctx;
}

bool IsIpLiteral(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// Host: as httplib wrote it: the port unless it is the scheme's default.
std::string HostHeader(const HttpEndpoint& node) {
  std::string host = node.host.find(':') != std::string::npos ? "[" + node.host + "]" : node.host;
  const bool default_port = (node.scheme == "http" && node.port == 80) || (node.scheme == "https" && node.port == 443);
  if (!default_port) host += ":" + std::to_string(node.port);
  return host;
}

}  // namespace

struct ForwardClient::Impl {
  Impl(const ForwarderOptions& o, std::unique_ptr<asio::ssl::context> t)
      : options(o), io(static_cast<int>(o.io_threads)), guard(asio::make_work_guard(io)), tls(std::move(t)) {}

  // A new connection on `ctx`: this client's own context, whose threads
  // may be several (a strand per connection), or a caller's, run by one
  // thread alone.
  template <typename Stream>
  std::unique_ptr<Conn<Stream>> NewConn(asio::io_context& ctx) {
    const asio::any_io_executor ex =
        &ctx == &io ? asio::any_io_executor(asio::make_strand(io)) : asio::any_io_executor(ctx.get_executor());
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      return std::make_unique<Conn<Stream>>(ex, *tls);
    } else {
      return std::make_unique<Conn<Stream>>(ex);
    }
  }

  template <typename Stream>
  std::unique_ptr<Conn<Stream>> TakeIdle(asio::io_context& ctx, const std::string& origin) {
    if (!asio::has_service<IdlePools>(ctx)) return nullptr;
    return asio::use_service<IdlePools>(ctx).Take<Stream>(id, origin);
  }

  template <typename Stream>
  void GiveIdle(asio::io_context& ctx, const std::string& origin, std::unique_ptr<Conn<Stream>> conn) {
    asio::use_service<IdlePools>(ctx).Give<Stream>(id, origin, std::move(conn), options.max_idle_per_node);
  }

  void RunIo() {
    for (;;) {
      try {
        io.run();
        return;
      } catch (const std::exception& e) {
        spdlog::error("forwarder: an io handler threw: {}", e.what());
      }
    }
  }

  static std::atomic<uint64_t> next_id;

  const ForwarderOptions options;
  const uint64_t id = ++next_id;  // this client's pools in each context's IdlePools
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;
  std::unique_ptr<asio::ssl::context> tls;  // outlives the streams of `io`'s pools (Stop)
  std::vector<std::thread> threads;
};

std::atomic<uint64_t> ForwardClient::Impl::next_id{0};

namespace {

template <typename Stream>
class Exchange : public std::enable_shared_from_this<Exchange<Stream>> {
 public:
  Exchange(ForwardClient::Impl& client, asio::io_context& ctx, const HttpEndpoint& node, ForwardRequest req,
           ForwardClient::Finish finish)
      : c_(client), ctx_(ctx), node_(node), origin_(node.Origin()), req_(std::move(req)), finish_(std::move(finish)) {
    hreq_.version(11);
    hreq_.method_string(req_.method);
    hreq_.target(req_.target);
    // Expect: this node has read the whole body already, so there is
    // nothing left to wait for.
    const HopFilter filter(req_.headers, "expect");
    for (const auto& [name, value] : req_.headers) {
      if (filter.Forwarded(name)) hreq_.insert(name, value);
    }
    hreq_.set(http::field::host, HostHeader(node_));
    hreq_.body() = std::move(req_.body);
    const http::verb v = hreq_.method();
    if (!hreq_.body().empty() || v == http::verb::post || v == http::verb::put || v == http::verb::patch) {
      hreq_.content_length(hreq_.body().size());
    }
  }

  void Begin() {
    conn_ = c_.TakeIdle<Stream>(ctx_, origin_);
    pooled_ = conn_ != nullptr;
    if (pooled_) return Write();
    Connect();
  }

 private:
  using Self = std::enable_shared_from_this<Exchange<Stream>>;

  void Connect() {
    conn_ = c_.NewConn<Stream>(ctx_);
    connect_deadline_ = Clock::now() + std::chrono::milliseconds(c_.options.connect_timeout_ms);
    error_code ec;
    const asio::ip::address addr = asio::ip::make_address(node_.host, ec);
    if (!ec) {
      Lowest(conn_->stream).expires_at(connect_deadline_);
      Lowest(conn_->stream)
          .async_connect(tcp::endpoint(addr, static_cast<uint16_t>(node_.port)),
                         [self = Self::shared_from_this()](error_code e) { self->Connected(e); });
      return;
    }
    // A name: resolved on the connection's strand, bounded by a timer.
    resolver_.emplace(conn_->stream.get_executor());
    resolve_timer_.emplace(conn_->stream.get_executor());
    resolve_timer_->expires_at(connect_deadline_);
    resolve_timer_->async_wait([self = Self::shared_from_this()](error_code e) {
      if (!e) self->resolver_->cancel();
    });
    resolver_->async_resolve(node_.host, std::to_string(node_.port),
                             [self = Self::shared_from_this()](error_code e, tcp::resolver::results_type r) {
                               self->resolve_timer_->cancel();
                               self->Resolved(e, std::move(r));
                             });
  }

  void Resolved(error_code ec, const tcp::resolver::results_type& results) {
    if (ec) return Finish(NodeUnreachable(origin_ + ": cannot resolve " + node_.host + ": " + ec.message()));
    Lowest(conn_->stream).expires_at(connect_deadline_);
    Lowest(conn_->stream)
        .async_connect(results, [self = Self::shared_from_this()](error_code e, const tcp::endpoint&) {
          self->Connected(e);
        });
  }

  void Connected(error_code ec) {
    if (ec) return Finish(NodeUnreachable(origin_ + ": cannot connect: " + ec.message()));
    error_code ignored;
    Lowest(conn_->stream).socket().set_option(tcp::no_delay(true), ignored);
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      SSL* ssl = conn_->stream.native_handle();
      bool ok;
      if (IsIpLiteral(node_.host)) {
        ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), node_.host.c_str()) == 1;
      } else {
        ok = SSL_set_tlsext_host_name(ssl, node_.host.c_str()) == 1 && SSL_set1_host(ssl, node_.host.c_str()) == 1;
      }
      ERR_clear_error();
      if (!ok) return Finish(NodeUnreachable(origin_ + ": cannot set the TLS host to verify"));
      conn_->stream.async_handshake(asio::ssl::stream_base::client,
                                    [self = Self::shared_from_this()](error_code e) {
                                      if (e) {
                                        ERR_clear_error();
                                        return self->Finish(
                                            NodeUnreachable(self->origin_ + ": TLS handshake: " + e.message()));
                                      }
                                      self->Write();
                                    });
    } else {
      Write();
    }
  }

  void Write() {
    start_ = Clock::now();
    Lowest(conn_->stream).expires_after(std::chrono::milliseconds(c_.options.request_timeout_ms));
    http::async_write(conn_->stream, hreq_,
                      [self = Self::shared_from_this()](error_code e, size_t n) { self->Written(e, n); });
  }

  void Written(error_code ec, size_t written) {
    if (ec) {
      if (pooled_ && written == 0 && ec != beast::error::timeout) {
        spdlog::debug("forwarder: {} on a pooled connection to {} before a byte was written; once more on a new one",
                      ec.message(), origin_);
        pooled_ = false;
        conn_.reset();
        return Connect();
      }
      return Finish(Failure(ec, "writing the request"));
    }
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    parser_->body_limit(c_.options.max_response_bytes);
    // A HEAD answer declares the length of a body it does not carry.
    if (hreq_.method() == http::verb::head) parser_->skip(true);
    http::async_read_header(conn_->stream, conn_->buffer, *parser_,
                            [self = Self::shared_from_this()](error_code e, size_t) { self->ReadHeader(e); });
  }

  // The declared length is checked here as well as by the parser's
  // body_limit: Boost 1.74's parser was seen to let a declared length over
  // the limit through when the head and the body came in one read.
  void ReadHeader(error_code ec) {
    if (ec) return Finish(Failure(ec, "reading the answer"));
    const boost::optional<uint64_t> length = parser_->content_length();
    if (length && *length > c_.options.max_response_bytes && !parser_->is_done()) {
      return Finish(Failure(http::error::body_limit, "reading the answer"));
    }
    if (parser_->is_done()) return Read(ec);
    http::async_read(conn_->stream, conn_->buffer, *parser_,
                     [self = Self::shared_from_this()](error_code e, size_t) { self->Read(e); });
  }

  void Read(error_code ec) {
    if (ec) return Finish(Failure(ec, "reading the answer"));
    if (parser_->get().body().size() > c_.options.max_response_bytes) {
      return Finish(Failure(http::error::body_limit, "reading the answer"));
    }
    http::response<http::string_body>& res = parser_->get();
    ForwardResponse out;
    out.status = static_cast<int>(res.result_int());
    std::vector<std::string_view> connection;
    for (auto [it, end] = res.equal_range(http::field::connection); it != end; ++it) {
      connection.emplace_back(it->value().data(), it->value().size());
    }
    const HopFilter filter(connection, "date");
    for (const auto& field : res) {
      const std::string_view name(field.name_string().data(), field.name_string().size());
      if (filter.Forwarded(name)) out.headers.emplace_back(std::string(name), std::string(field.value()));
    }
    out.body = std::move(res.body());
    if (res.keep_alive() && !parser_->need_eof() && conn_->buffer.size() == 0) {
      c_.GiveIdle<Stream>(ctx_, origin_, std::move(conn_));
    }
    Finish(std::move(out));
  }

  Status Failure(error_code ec, const char* during) {
    const std::string why = origin_ + " " + req_.method + ": " + during + ": " + ec.message();
    if (ec == http::error::body_limit) {
      return BadGateway(origin_ + " answered more than max_response_bytes (" +
                        std::to_string(c_.options.max_response_bytes) + ")");
    }
    if (ec == http::error::header_limit) return BadGateway(origin_ + " answered a header over 64 KiB");
    if (ec == beast::error::timeout ||
        Clock::now() - start_ >= std::chrono::milliseconds(c_.options.request_timeout_ms)) {
      return NodeTimeout(why + " (no answer within " + std::to_string(c_.options.request_timeout_ms) + " ms)");
    }
    return BadGateway(why);
  }

  void Finish(Result<ForwardResponse> answer) {
    conn_.reset();  // a failed connection is closed; a good one was pooled
    req_.body = std::move(hreq_.body());
    ForwardClient::Finish finish = std::move(finish_);
    finish(std::move(answer), std::move(req_));
  }

  ForwardClient::Impl& c_;
  asio::io_context& ctx_;  // where the exchange runs, and its connection lives
  const HttpEndpoint node_;
  const std::string origin_;
  ForwardRequest req_;  // its body is in hreq_ until Finish
  ForwardClient::Finish finish_;
  http::request<http::string_body> hreq_;
  std::unique_ptr<Conn<Stream>> conn_;
  bool pooled_ = false;
  Clock::time_point connect_deadline_;
  Clock::time_point start_;
  std::optional<tcp::resolver> resolver_;
  std::optional<asio::steady_timer> resolve_timer_;
  std::optional<http::response_parser<http::string_body>> parser_;
};

}  // namespace

ForwardClient::ForwardClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ForwardClient::~ForwardClient() { Stop(); }

Result<std::unique_ptr<ForwardClient>> ForwardClient::Create(const ForwarderOptions& options) {
  TKV_ASSIGN_OR_RETURN(std::unique_ptr<asio::ssl::context> tls, ClientTls(options));
  auto impl = std::make_unique<Impl>(options, std::move(tls));
  Impl* raw = impl.get();
  for (size_t i = 0; i < options.io_threads; ++i) raw->threads.emplace_back([raw] { raw->RunIo(); });
  return std::unique_ptr<ForwardClient>(new ForwardClient(std::move(impl)));
}

void ForwardClient::Start(const HttpEndpoint& node, ForwardRequest req, Finish finish, asio::io_context* here) {
  asio::io_context& ctx = here != nullptr ? *here : impl_->io;
  if (node.scheme == "https") {
    std::make_shared<Exchange<TlsStream>>(*impl_, ctx, node, std::move(req), std::move(finish))->Begin();
  } else {
    std::make_shared<Exchange<PlainStream>>(*impl_, ctx, node, std::move(req), std::move(finish))->Begin();
  }
}

void ForwardClient::Stop() {
  if (impl_ == nullptr || !impl_->guard.has_value()) return;
  impl_->guard.reset();  // run() returns once the exchanges in flight are done
  for (std::thread& t : impl_->threads) t.join();
  impl_->threads.clear();
  // The idle connections of callers' contexts close with their contexts.
  if (asio::has_service<IdlePools>(impl_->io)) asio::use_service<IdlePools>(impl_->io).Forget(impl_->id);
}

}  // namespace tenantkv::server::cluster::forward

#include "server/http/http_server.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <thread>
#include <unordered_map>
#include <vector>

#include "crypto/mutex.h"
#include "server/http/connection_caps.h"
#include "server/http/http_session.h"
#include "server/http/http_status.h"
#include "server/http/io_thread.h"
#include "server/http/tls_context.h"

namespace tenantkv::server {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

// Refused connections answered at once and lingering at most, beyond which
// a flood's connections are just closed.
constexpr size_t kMaxLingeringRefusals = 1024;

// Connections need descriptors: the soft limit (often 1,024) goes up to the
// hard one.
void RaiseOpenFileLimit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) {
    spdlog::warn("open files: cannot read RLIMIT_NOFILE");
    return;
  }
  const rlim_t before = lim.rlim_cur;
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &lim) != 0) {
      spdlog::warn("open files: cannot raise the soft limit {} to the hard limit {}", before, lim.rlim_max);
      return;
    }
  }
  spdlog::info("open files: limit {} (soft was {}, hard {})", lim.rlim_cur, before, lim.rlim_max);
}

}  // namespace

class HttpServer::Impl final : public SessionHost {
 public:
  Impl(const HttpOptions& options, HttpHandler* handler, std::unique_ptr<asio::ssl::context> tls)
      : options_(options),
        handler_(handler),
        tls_(std::move(tls)),
        caps_(options.max_connections, options.max_connections_per_address) {
    size_t threads = options.io_threads;
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    for (size_t i = 0; i < threads; ++i) {
      contexts_.push_back(std::make_unique<asio::io_context>(1));
    }
    MutexLock lock(mu_);
    for (auto& c : contexts_) work_.push_back(asio::make_work_guard(*c));
  }

  ~Impl() override {
    Stop();
    {
      MutexLock lock(mu_);
      ReleaseWork();
    }
    // Sessions still held by pending handlers end with their contexts; the
    // members they call back into are declared before, so still alive.
    acceptor_.reset();
    accept_retry_.reset();
    contexts_.clear();
  }

  const HttpOptions& options() const override { return options_; }
  HttpHandler& handler() override { return *handler_; }
  bool draining() const override { return stopping_.load(std::memory_order_relaxed); }

  void SessionClosed(uint64_t id, const std::string& address) override {
    caps_.Release(address);
    MutexLock lock(mu_);
    sessions_.erase(id);
    if (stopping_ && sessions_.empty()) ReleaseWork();
  }

  Result<int> Bind() {
    std::string host;
    int port = 0;
    TKV_RETURN_IF_ERROR(options_.ParseListen(&host, &port));
    asio::io_context& ctx = *contexts_[0];
    error_code ec;
    tcp::resolver resolver(ctx);
    auto endpoints = resolver.resolve(host, std::to_string(port), tcp::resolver::numeric_service, ec);
    if (ec || endpoints.empty()) return Status::Unavailable("cannot resolve " + host, "bind_failed");
    const tcp::endpoint endpoint = endpoints.begin()->endpoint();
    auto acceptor = std::make_unique<tcp::acceptor>(ctx);
    acceptor->open(endpoint.protocol(), ec);
    if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor->bind(endpoint, ec);
    if (!ec) acceptor->listen(options_.listen_backlog, ec);
    if (ec) return Status::Unavailable("cannot bind " + options_.listen + ": " + ec.message(), "bind_failed");
    const int bound = acceptor->local_endpoint().port();
    acceptor_ = std::move(acceptor);
    accept_retry_ = std::make_unique<asio::steady_timer>(ctx);
    Accept();
    return bound;
  }

  void Run() {
    std::vector<std::thread> threads;
    for (size_t i = 1; i < contexts_.size(); ++i) {
      threads.emplace_back([this, i] { RunContext(*contexts_[i]); });
    }
    RunContext(*contexts_[0]);
    for (auto& t : threads) t.join();
  }

  void Stop() {
    if (stopping_.exchange(true)) return;
    asio::post(*contexts_[0], [this] {
      error_code ignored;
      if (acceptor_) acceptor_->close(ignored);
      if (accept_retry_) accept_retry_->cancel();
    });
    std::vector<Registered> open;
    {
      MutexLock lock(mu_);
      for (const auto& [id, r] : sessions_) open.push_back(r);
      if (sessions_.empty()) ReleaseWork();
    }
    for (const Registered& r : open) {
      asio::post(r.executor, [session = r.session] {
        if (auto s = session.lock()) s->Drain();
      });
    }
  }

  size_t open_connections() const { return caps_.open(); }

 private:
  struct Registered {
    std::weak_ptr<Session> session;
    asio::any_io_executor executor;
  };

  // Each context is run by one thread alone, which says so (io_thread.h).
  static void RunContext(asio::io_context& ctx) {
    const ScopedIoThread alone(&ctx);
    for (;;) {
      try {
        ctx.run();
        return;
      } catch (const std::exception& e) {
        spdlog::error("HTTP front: an I/O handler threw: {}", e.what());
      }
    }
  }

  void ReleaseWork() REQUIRES(mu_) {
    for (auto& w : work_) w.reset();
  }

  void Accept() {
    asio::io_context& ctx = *contexts_[next_context_++ % contexts_.size()];
    acceptor_->async_accept(ctx, [this](error_code ec, tcp::socket socket) { OnAccept(ec, std::move(socket)); });
  }

  void OnAccept(error_code ec, tcp::socket socket) {
    if (stopping_ || !acceptor_->is_open()) return;
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      // Out of descriptors or memory: wait a little instead of spinning.
      if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
          ec == asio::error::no_memory) {
        LogAcceptError(ec);
        accept_retry_->expires_after(std::chrono::milliseconds(100));
        accept_retry_->async_wait([this](error_code e) {
          if (!e && !stopping_) Accept();
        });
        return;
      }
      Accept();
      return;
    }
    error_code e2;
    const tcp::endpoint remote = socket.remote_endpoint(e2);
    if (e2) {
      Accept();
      return;
    }
    socket.set_option(tcp::no_delay(true), e2);
    std::string address = remote.address().to_string();
    const ConnectionCaps::Verdict verdict = caps_.Admit(address);
    if (verdict != ConnectionCaps::Verdict::kAdmitted) {
      Refuse(std::move(socket), address, remote.port(), verdict);
      Accept();
      return;
    }
    const uint64_t id = ++next_id_;
    const asio::any_io_executor executor = socket.get_executor();
    std::shared_ptr<Session> session =
        MakeSession(*this, id, std::move(socket), tls_.get(), std::move(address), remote.port());
    {
      MutexLock lock(mu_);
      sessions_.emplace(id, Registered{session, executor});
    }
    session->Start();
    Accept();
  }

  // A connection over a cap: answered 503 without a byte of its request
  // read; beyond kMaxLingeringRefusals of those at once, just closed.
  void Refuse(tcp::socket socket, const std::string& address, int port, ConnectionCaps::Verdict verdict) {
    const bool per_address = verdict == ConnectionCaps::Verdict::kAddressCap;
    HttpResponse res;
    WriteProblem(res, Status::Unavailable(per_address ? "too many open connections from this address"
                                                      : "too many open connections",
                                          "too_many_connections"));
    HttpRequest req;
    req.remote_addr = address;
    req.remote_port = port;
    handler_->OnFrontRefusal(req, res);
    LogRefusal(address, per_address);
    if (lingering_refusals_.load() >= kMaxLingeringRefusals) {
      error_code ignored;
      socket.close(ignored);
      return;
    }
    MakeRefusal(*this, std::move(socket), tls_.get(), address, port, std::move(res), &lingering_refusals_)->Start();
  }

  // One line a second at most, with the number of refusals it stands for.
  void LogRefusal(const std::string& address, bool per_address) {
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::steady_clock::now().time_since_epoch()).count();
    const uint64_t refused = ++refusals_since_log_;
    int64_t last = last_refusal_log_.load();
    if (now == last || !last_refusal_log_.compare_exchange_strong(last, now)) return;
    refusals_since_log_ -= refused;
    if (per_address) {
      spdlog::warn("connection refused (too_many_connections): {} has {} open, the cap of "
                   "--max-connections-per-address; {} refusal(s) since the last such line",
                   address, caps_.open_from(address), refused);
    } else {
      spdlog::warn("connection refused (too_many_connections): {} open, the cap of --max-connections; "
                   "{} refusal(s) since the last such line",
                   caps_.open(), refused);
    }
  }

  void LogAcceptError(error_code ec) {
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::steady_clock::now().time_since_epoch()).count();
    int64_t last = last_accept_log_.load();
    if (now == last || !last_accept_log_.compare_exchange_strong(last, now)) return;
    spdlog::warn("HTTP front: accept failed ({}); retrying in 100 ms", ec.message());
  }

  const HttpOptions options_;
  HttpHandler* const handler_;
  std::unique_ptr<asio::ssl::context> tls_;
  ConnectionCaps caps_;
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> lingering_refusals_{0};
  std::atomic<uint64_t> refusals_since_log_{0};
  std::atomic<int64_t> last_refusal_log_{0};
  std::atomic<int64_t> last_accept_log_{0};
  uint64_t next_id_ = 0;        // the accepting thread's
  size_t next_context_ = 0;     // the accepting thread's
  Mutex mu_;
  std::unordered_map<uint64_t, Registered> sessions_ GUARDED_BY(mu_);
  // Declared last, destroyed first: sessions ending with their contexts
  // still find the members above.
  std::vector<std::unique_ptr<asio::io_context>> contexts_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work_ GUARDED_BY(mu_);
  std::unique_ptr<tcp::acceptor> acceptor_;
  std::unique_ptr<asio::steady_timer> accept_retry_;
};

Result<std::unique_ptr<HttpServer>> HttpServer::Create(const HttpOptions& options, const TlsOptions& tls_options,
                                                       HttpHandler* handler) {
  std::unique_ptr<asio::ssl::context> tls;
  if (tls_options.tls()) {
    tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    const TlsFiles files{tls_options.tls_cert_file, tls_options.tls_key_file, tls_options.tls_client_ca_file};
    TKV_RETURN_IF_ERROR(ConfigureServerTls(tls->native_handle(), files));
  }
  RaiseOpenFileLimit();
  return std::unique_ptr<HttpServer>(new HttpServer(std::make_unique<Impl>(options, handler, std::move(tls))));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() = default;
Result<int> HttpServer::Bind() { return impl_->Bind(); }
void HttpServer::Run() { impl_->Run(); }
void HttpServer::Stop() { impl_->Stop(); }
size_t HttpServer::open_connections() const { return impl_->open_connections(); }

}  // namespace tenantkv::server

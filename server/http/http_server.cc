#include "server/http/http_server.h"

#include <sys/socket.h>

#include <future>
#include <optional>

#include "server/http/http_status.h"
#include "server/http/thread_priority.h"
#include "server/http/tls_context.h"

namespace tenantkv::server {
namespace {

// Reads cpp-httplib's protected listening socket (of a Server or an
// SSLServer) so that the backlog can be raised after bind_to_port().
struct ListenSocket : httplib::Server {
  static bool RaiseBacklog(httplib::Server& s, int backlog) {
    const int fd = s.*(&ListenSocket::svr_sock_);
    return fd >= 0 && ::listen(fd, backlog) == 0;
  }
};

// The body framing must be unambiguous before any of the body is read: at
// most one Content-Length, of plain digits. cpp-httplib itself reads "5,5",
// "+5" or "1e3" as a length (strtoull) and lets Transfer-Encoding win over a
// Content-Length; a proxy in front that reads them otherwise would see a
// different next request (smuggling).
// Chunked request bodies are refused outright: cpp-httplib 0.11 decodes
// them leniently ("5 5" is a size of 5, a chunk of the wrong length or
// without its CRLF is taken as it comes), so what it would store is not
// what a strict reader of the same bytes would see.
// True when the framing is sound; otherwise the refusal is written to `res`.
bool CheckFraming(const httplib::Request& req, HttpResponse& res) {
  if (req.headers.count("Transfer-Encoding") > 0) {
    WriteHttpProblem(res, 411, "length_required",
                     "send the body with a Content-Length; Transfer-Encoding is not accepted");
    return false;
  }
  const size_t lengths = req.headers.count("Content-Length");
  if (lengths > 1) {
    WriteProblem(res, Status::InvalidArgument("Content-Length given more than once", "bad_framing"));
    return false;
  }
  // Without a length the library would read the body until the client
  // half-closes (taking everything as the body) or the read timeout passes.
  if (lengths == 0 && (req.method == "POST" || req.method == "PUT" || req.method == "PATCH" ||
                       req.method == "PRI")) {
    WriteHttpProblem(res, 411, "length_required", "send Content-Length (0 for no body)");
    return false;
  }
  if (lengths == 1) {
    const std::string& v = req.get_header_value("Content-Length");
    if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos) {
      WriteProblem(res, Status::InvalidArgument("Content-Length must be a decimal number", "bad_framing"));
      return false;
    }
  }
  return true;
}

// TCP_NODELAY, keep-alive count and timeout, read and write timeouts, the
// body limit.
void ApplyConnectionSettings(httplib::Server& s, const HttpOptions& o) {
  s.set_tcp_nodelay(true);
  s.set_keep_alive_max_count(o.keep_alive_max_requests);
  s.set_keep_alive_timeout(o.keep_alive_timeout_sec);
  s.set_read_timeout(o.read_timeout_sec, 0);
  s.set_write_timeout(o.write_timeout_sec, 0);
  s.set_payload_max_length(o.max_body_bytes);
}

// The head of `req` as the handler sees it (no body).
HttpRequest ToHead(const httplib::Request& req) {
  HttpRequest r;
  r.method = req.method;
  r.target = req.target;
  r.version = req.version == "HTTP/1.0" ? 10 : 11;
  for (const auto& [name, value] : req.headers) r.headers.Add(name, value);
  r.remote_addr = req.remote_addr;
  r.remote_port = req.remote_port;
  r.keep_alive = !(req.get_header_value("Connection") == "close");
  r.tls = req.ssl != nullptr;
  r.tls_client_verified = HasVerifiedClientCert(req.ssl);
  return r;
}

// Writes `from` into the library's response (cpp-httplib copies the body).
void FromResponse(HttpResponse from, httplib::Response& to) {
  to.status = from.status;
  std::string content_type = "text/plain";
  for (const auto& [name, value] : from.headers) {
    if (HeaderNameEquals(name, "Content-Type")) {
      content_type = value;
    } else {
      to.headers.emplace(name, value);
    }
  }
  if (from.close) to.set_header("Connection", "close");
  if (!from.body.empty() || from.headers.Has("Content-Type")) to.set_content(from.body, content_type);
}

// The head the pre-routing hook passed, for the route handler that runs
// next on the same connection thread.
thread_local std::optional<HttpRequest> pending_head;

// listen(2) again on the bound socket of `s` with `backlog` (cpp-httplib
// binds with a backlog of 5). Call between bind_to_port and
// listen_after_bind; false if `s` is not bound or listen fails.
bool RaiseListenBacklog(httplib::Server& s, int backlog) { return ListenSocket::RaiseBacklog(s, backlog); }

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Create(const HttpOptions& options, const TlsOptions& tls_options,
                                                       HttpHandler* handler) {
  std::unique_ptr<httplib::Server> http;
  if (!tls_options.tls()) {
    http = std::make_unique<httplib::Server>();
  } else {
    const TlsFiles files{tls_options.tls_cert_file, tls_options.tls_key_file, tls_options.tls_client_ca_file};
    Status tls = Status::Internal("TLS context was not set up", "tls_config");
    auto ssl = std::make_unique<httplib::SSLServer>([&](SSL_CTX& ctx) {
      tls = ConfigureServerTls(&ctx, files);
      return tls.ok();
    });
    if (!tls.ok()) return tls;
    if (!ssl->is_valid()) return Status::Internal("cannot create the TLS context", "tls_config");
    http = std::move(ssl);
  }
  return std::unique_ptr<HttpServer>(new HttpServer(options, handler, std::move(http)));
}

HttpServer::HttpServer(const HttpOptions& options, HttpHandler* handler, std::unique_ptr<httplib::Server> http)
    : options_(options), handler_(handler), http_(std::move(http)) {
  httplib::Server& s = *http_;
  ApplyConnectionSettings(s, options_);
  s.new_task_queue = [this]() -> httplib::TaskQueue* {
    auto* pool = new ConnectionPool(options_.threads_min, options_.threads_max,
                                    options_.max_connections_per_client);
    pool_ = pool;  // owned and deleted by httplib when listening ends
    return pool;
  };
  // Every connection is admitted (or refused) on its first request, and
  // the handler sees the head, before the body is read.
  s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    HttpRequest head = ToHead(req);
    HttpResponse refusal;
    bool front_refused = false;
    if (!CheckFraming(req, refusal)) {
      front_refused = true;
    } else if (ConnectionPool* pool = pool_.load();
               pool != nullptr && !pool->AdmitConnection(req.remote_addr, req.remote_port)) {
      WriteProblem(refusal, Status::Unavailable("too many open connections from this client",
                                                "too_many_connections"));
      front_refused = true;
    }
    if (front_refused) {
      handler_->OnFrontRefusal(head, refusal);
      refusal.close = true;
    } else if (handler_->OnHead(head, refusal)) {
      pending_head = std::move(head);
      return httplib::Server::HandlerResponse::Unhandled;
    }
    const std::string& length = req.get_header_value("Content-Length");
    if (refusal.close || (!length.empty() && length != "0")) {
      refusal.close = true;
      ConnectionPool::MarkForClose();  // the body was not read: the stream is out of step
    }
    FromResponse(std::move(refusal), res);
    return httplib::Server::HandlerResponse::Handled;
  });
  auto handle = [this](const httplib::Request& req, httplib::Response& res) {
    HttpRequest full = pending_head.has_value() ? std::move(*pending_head) : ToHead(req);
    pending_head.reset();
    full.body = req.body;
    std::promise<HttpResponse> answer;
    std::future<HttpResponse> answered = answer.get_future();
    handler_->Handle(std::move(full), [&answer](HttpResponse r) { answer.set_value(std::move(r)); });
    HttpResponse r = answered.get();
    if (r.close) ConnectionPool::MarkForClose();
    FromResponse(std::move(r), res);
  };
  const std::string any = R"([\s\S]*)";
  s.Get(any, handle);
  s.Post(any, handle);
  s.Put(any, handle);
  s.Patch(any, handle);
  s.Delete(any, handle);
  s.Options(any, handle);
  s.set_error_handler(httplib::Server::HandlerWithResponse(
      [this](const httplib::Request& req, httplib::Response& res) {
        // Our own answers are problem documents already.
        if (res.get_header_value("Content-Type") == "application/problem+json") {
          return httplib::Server::HandlerResponse::Handled;
        }
        HttpResponse refusal;
        WriteHttpProblem(refusal, res.status);
        handler_->OnFrontRefusal(ToHead(req), refusal);
        res.headers.clear();
        FromResponse(std::move(refusal), res);
        ConnectionPool::MarkForClose();  // the library refused it: the stream may be out of step
        return httplib::Server::HandlerResponse::Handled;
      }));
  // The logger runs after a response is written.
  s.set_logger([](const httplib::Request& req, const httplib::Response&) {
    thread_priority::Restore();  // no lock is taken at idle priority
    ConnectionPool::CloseIfMarked(req.remote_addr, req.remote_port);
    // A refused request's thread reads its connection's next request at
    // idle priority.
    thread_priority::AfterResponse();
  });
  s.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    HttpResponse failed;
    WriteProblem(failed, Status::Internal("unhandled exception"));
    FromResponse(std::move(failed), res);
  });
}

HttpServer::~HttpServer() { Stop(); }

Result<int> HttpServer::Bind() {
  std::string host;
  int port = 0;
  TKV_RETURN_IF_ERROR(options_.ParseListen(&host, &port));
  int bound = port;
  if (port == 0) {
    bound = http_->bind_to_any_port(host);
    if (bound < 0) return Status::Unavailable("cannot bind " + host + " to any port", "bind_failed");
  } else if (!http_->bind_to_port(host, port)) {
    return Status::Unavailable("cannot bind " + options_.listen, "bind_failed");
  }
  if (!RaiseListenBacklog(*http_, options_.listen_backlog)) {
    return Status::Internal("cannot raise the listen backlog", "bind_failed");
  }
  return bound;
}

void HttpServer::Run() {
  http_->listen_after_bind();
  pool_ = nullptr;
}

void HttpServer::Stop() {
  if (http_) http_->stop();
}

}  // namespace tenantkv::server

#include "server/http/http_session.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstring>
#include <iterator>
#include <optional>
#include <string_view>
#include <type_traits>

#include "server/http/http_status.h"
#include "server/http/tls_context.h"

namespace tenantkv::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using Clock = std::chrono::steady_clock;
using TlsStream = asio::ssl::stream<tcp::socket>;

constexpr size_t kReadChunk = 16 << 10;
// After a final answer with Connection: close, what the client still
// sends is read and dropped for this long: closing with unread bytes makes
// the kernel send a reset, which can destroy the answer before it is read.
constexpr auto kLinger = std::chrono::seconds(1);
constexpr size_t kLingerBytes = 1 << 20;

// The session whose Handle() call runs on this thread, if any.
thread_local const void* t_handling = nullptr;

tcp::socket& Socket(tcp::socket& s) { return s; }
tcp::socket& Socket(TlsStream& s) { return s.next_layer(); }

// RFC 9110's methods and PATCH: a route that does not serve one answers
// 405. Any other token (Beast knows the WebDAV ones too) is 501.
bool IsStandardMethod(http::verb v) {
  switch (v) {
    case http::verb::get:
    case http::verb::head:
    case http::verb::post:
    case http::verb::put:
    case http::verb::delete_:
    case http::verb::connect:
    case http::verb::options:
    case http::verb::trace:
    case http::verb::patch:
      return true;
    default:
      return false;
  }
}

// True if `bytes` (a piece of a request head) holds an obs-fold: a line
// break followed by a space or tab. Beast unfolds such lines; a proxy in
// front may not, and would then see other headers than we do.
bool HasObsFold(std::string_view bytes) {
  for (size_t i = bytes.find('\n'); i != std::string_view::npos && i + 1 < bytes.size();
       i = bytes.find('\n', i + 1)) {
    if (bytes[i + 1] == ' ' || bytes[i + 1] == '\t') return true;
  }
  return false;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IsDecimal(std::string_view v) {
  return !v.empty() && v.size() <= 18 && v.find_first_not_of("0123456789") == std::string_view::npos;
}

// Whether the front writes this header itself (a handler's is dropped).
bool IsFrontHeader(std::string_view name) {
  return (name.size() == 10 && HeaderNameEquals(name, "Connection")) ||
         (name.size() == 14 && HeaderNameEquals(name, "Content-Length")) ||
         (name.size() == 17 && HeaderNameEquals(name, "Transfer-Encoding"));
}

// The status line and headers of an answer: the handler's headers, then
// the front's own Content-Length and Connection. Measured first, then
// written in place into `head`, whose memory is reused (this runs for
// every answer).
void SerializeHead(const HttpResponse& res, size_t length, bool send_length, bool close, bool http10_keep_alive,
                   std::string& head) {
  const beast::string_view reason = http::obsolete_reason(http::int_to_status(static_cast<unsigned>(res.status)));
  char status[16];
  const auto status_end = std::to_chars(status, status + sizeof(status), res.status).ptr;
  char length_text[24];
  const auto length_end = std::to_chars(length_text, length_text + sizeof(length_text), length).ptr;
  static constexpr std::string_view kVersion = "HTTP/1.1 ", kSep = ": ", kCrLf = "\r\n",
                                    kLength = "Content-Length: ", kClose = "Connection: close\r\n",
                                    kKeepAlive = "Connection: keep-alive\r\n";
  const std::string_view connection = close ? kClose : http10_keep_alive ? kKeepAlive : std::string_view();
  size_t size = kVersion.size() + static_cast<size_t>(status_end - status) + 1 + reason.size() + kCrLf.size();
  for (const auto& [name, value] : res.headers) {
    if (!IsFrontHeader(name)) size += name.size() + kSep.size() + value.size() + kCrLf.size();
  }
  if (send_length) size += kLength.size() + static_cast<size_t>(length_end - length_text) + kCrLf.size();
  size += connection.size() + kCrLf.size();
  head.resize(size);
  char* p = head.data();
  auto put = [&p](std::string_view piece) {
    if (!piece.empty()) std::memcpy(p, piece.data(), piece.size());
    p += piece.size();
  };
  put(kVersion);
  put(std::string_view(status, static_cast<size_t>(status_end - status)));
  *p++ = ' ';
  put(std::string_view(reason.data(), reason.size()));
  put(kCrLf);
  for (const auto& [name, value] : res.headers) {
    if (IsFrontHeader(name)) continue;
    put(name);
    put(kSep);
    put(value);
    put(kCrLf);
  }
  if (send_length) {
    put(kLength);
    put(std::string_view(length_text, static_cast<size_t>(length_end - length_text)));
    put(kCrLf);
  }
  put(connection);
  put(kCrLf);
}

template <class Stream>
class HttpSession final : public Session, public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  // With `refusal`, the session only writes it (after the TLS handshake),
  // then closes; it is counted in `*refusals` rather than under the caps.
  HttpSession(SessionHost& host, uint64_t id, Stream stream, std::string address, int port,
              std::optional<HttpResponse> refusal, std::atomic<size_t>* refusals)
      : host_(host),
        o_(host.options()),
        id_(id),
        stream_(std::move(stream)),
        executor_(Socket(stream_).get_executor()),
        timer_(executor_),
        address_(std::move(address)),
        port_(port),
        refusal_(std::move(refusal)),
        refusals_(refusals) {
    if (refusals_ != nullptr) ++*refusals_;
  }
  ~HttpSession() override {
    if (refusals_ != nullptr) {
      --*refusals_;
    } else {
      host_.SessionClosed(id_, address_);
    }
  }

  void Start() override {
    asio::post(executor_, [self = this->shared_from_this()] { self->Begin(); });
  }

  void Drain() override {
    if (phase_ == Phase::kHandshake || phase_ == Phase::kIdle || phase_ == Phase::kHead) {
      Abort();
    }
    // Reading a body, serving or answering: Deliver() closes after the answer.
  }

 private:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;
  enum class Phase { kHandshake, kIdle, kHead, kContinue, kBody, kHandling, kWriting, kClosing, kClosed };

  void Begin() {
    if (host_.draining()) {
      Abort();
      return;
    }
    if constexpr (kTls) {
      phase_ = Phase::kHandshake;
      ArmTimer(std::chrono::seconds(o_.read_timeout_sec));
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](error_code ec) { self->OnHandshake(ec); });
    } else {
      Idle();
    }
  }

  void OnHandshake(error_code ec) {
    if (phase_ == Phase::kClosed) return;
    if (ec) {
      Abort();
      return;
    }
    if constexpr (kTls) tls_verified_ = HasVerifiedClientCert(stream_.native_handle());
    Idle();
  }

  // Waits for the next request; the keep-alive timeout runs until its
  // first byte.
  void Idle() {
    if (refusal_.has_value()) {
      HttpResponse res = std::move(*refusal_);
      refusal_.reset();
      return Deliver(std::move(res));
    }
    phase_ = Phase::kIdle;
    parser_.reset();
    request_ = HttpRequest();
    obs_fold_ = false;
    request_line_done_ = false;
    head_request_ = false;  // a refusal before the next head is read carries its body
    ArmTimer(std::chrono::seconds(o_.keep_alive_timeout_sec));
    Parse();
  }

  // The phase's deadline is `d` from now. The timer is only re-armed when
  // the deadline comes sooner than the wait it has running: otherwise that
  // wait, when it ends, re-arms for what is left. So a keep-alive request
  // moves a deadline instead of cancelling and re-arming a timer three
  // times (each a timerfd_settime system call and a cancelled handler).
  void ArmTimer(Clock::duration d) {
    const Clock::time_point at = Clock::now() + d;
    deadline_ = at;
    if (timer_waiting_ && timer_at_ <= at) return;
    StartWait(at);
  }

  void StartWait(Clock::time_point at) {
    const uint64_t gen = ++timer_gen_;
    timer_waiting_ = true;
    timer_at_ = at;
    timer_.expires_at(at);  // a wait running ends as cancelled, with an old generation
    timer_.async_wait([self = this->shared_from_this(), gen](error_code ec) { self->OnTimer(ec, gen); });
  }

  void OnTimer(error_code ec, uint64_t gen) {
    if (gen != timer_gen_) return;  // replaced by a sooner wait, or stopped by Abort()
    timer_waiting_ = false;
    if (ec || !deadline_.has_value()) return;
    if (Clock::now() < *deadline_) return StartWait(*deadline_);
    deadline_.reset();
    OnTimeout();
  }

  // No deadline until the next ArmTimer(); a wait running ends on its own
  // and finds none.
  void StopTimer() { deadline_.reset(); }

  // The wait running ends now (the session is closing: it must not be
  // kept alive by its timer).
  void CancelTimer() {
    deadline_.reset();
    ++timer_gen_;
    timer_waiting_ = false;
    timer_.cancel();
  }

  void OnTimeout() {
    switch (phase_) {
      case Phase::kHead:
        Refuse(408, "head_timeout", "the request head did not arrive within the head deadline");
        return;
      case Phase::kBody: {
        const double elapsed = std::chrono::duration<double>(Clock::now() - body_start_).count();
        const double owed = static_cast<double>(o_.min_body_bytes_per_sec) * (elapsed - o_.read_timeout_sec);
        if (owed > static_cast<double>(body_bytes_)) {
          Refuse(408, "body_too_slow", "the request body arrived slower than the minimum body rate");
          return;
        }
        ArmTimer(std::chrono::seconds(1));
        return;
      }
      case Phase::kHandling:
        return;
      default:  // handshake, idle keep-alive, a write, the linger after close
        Abort();
        return;
    }
  }

  void ReadMore() {
    if (reading_) return;
    reading_ = true;
    stream_.async_read_some(buffer_.prepare(kReadChunk),
                            [self = this->shared_from_this()](error_code ec, size_t n) { self->OnRead(ec, n); });
  }

  void OnRead(error_code ec, size_t n) {
    reading_ = false;
    if (phase_ == Phase::kClosed) return;
    if (ec) {
      Abort();  // the client left, or the linger ended with its close
      return;
    }
    buffer_.commit(n);
    if (phase_ == Phase::kClosing) {
      lingered_ += n;
      buffer_.consume(buffer_.size());
      if (lingered_ > kLingerBytes) {
        Abort();
      } else {
        ReadMore();
      }
      return;
    }
    if (phase_ != Phase::kIdle && phase_ != Phase::kHead && phase_ != Phase::kBody) {
      buffer_.consume(buffer_.size());  // a refusal is being written; the connection closes after it
      return;
    }
    Parse();
  }

  // Consumes the buffer as far as the current phase allows, reading more
  // when it runs dry.
  void Parse() {
    for (;;) {
      if (phase_ == Phase::kIdle) {
        if (buffer_.size() == 0) return ReadMore();
        phase_ = Phase::kHead;
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(o_.max_head_bytes));
        parser_->body_limit(o_.max_body_bytes);
        ArmTimer(std::chrono::seconds(o_.head_timeout_sec));
      }
      if (phase_ == Phase::kHead) {
        if (buffer_.size() == 0) return ReadMore();
        error_code ec;
        const size_t n = parser_->put(buffer_.data(), ec);
        if (n > 0) {
          const auto* p = static_cast<const char*>(buffer_.data().data());
          obs_fold_ = obs_fold_ || HasObsFold(std::string_view(p, n));
          buffer_.consume(n);
          request_line_done_ = true;
        }
        if (ec == http::error::need_more) {
          if (n == 0) return ReadMore();
          continue;
        }
        if (ec) return RefuseHead(ec);
        if (parser_->is_header_done()) return OnHead();
        continue;
      }
      if (phase_ == Phase::kBody) {
        if (parser_->is_done()) return OnBody();
        if (buffer_.size() == 0) return ReadMore();
        error_code ec;
        const size_t n = parser_->put(buffer_.data(), ec);
        buffer_.consume(n);
        body_bytes_ += n;
        if (ec == http::error::need_more) {
          if (n == 0) return ReadMore();
          continue;
        }
        if (ec == http::error::body_limit) {
          return Refuse(413, "payload_too_large", "the request body is larger than the body limit");
        }
        if (ec) return Refuse(400, "bad_framing", "malformed chunked body: " + ec.message());
        continue;
      }
      return;
    }
  }

  void RefuseHead(error_code ec) {
    if (ec == http::error::header_limit) {
      // No line end within the limit: the request line itself is too long.
      const auto* p = static_cast<const char*>(buffer_.data().data());
      if (request_line_done_ || std::string_view(p, buffer_.size()).find('\n') != std::string_view::npos) {
        return Refuse(431, "headers_too_large", "the request head is larger than the head limit");
      }
      return Refuse(414, "uri_too_long", "the request line is longer than the head limit");
    }
    if (ec == http::error::body_limit) {
      return Refuse(413, "payload_too_large", "the request body is larger than the body limit");
    }
    if (ec == http::error::bad_content_length || ec == http::error::bad_transfer_encoding) {
      return Refuse(400, "bad_framing", "conflicting or malformed Content-Length and Transfer-Encoding");
    }
    Refuse(400, "bad_request", "malformed request head: " + ec.message());
  }

  void OnHead() {
    const auto& msg = parser_->get();
    request_.method = std::string(msg.method_string());
    request_.target = std::string(msg.target());
    request_.version = static_cast<int>(msg.version());
    request_.headers.Reserve(static_cast<size_t>(std::distance(msg.begin(), msg.end())));
    for (const auto& field : msg) {
      request_.headers.Add(std::string(field.name_string()), std::string(field.value()));
    }
    request_.remote_addr = address_;
    request_.remote_port = port_;
    request_.tls = kTls;
    request_.tls_client_verified = tls_verified_;
    keep_alive_ = parser_->keep_alive();
    request_.keep_alive = keep_alive_;
    head_request_ = msg.method() == http::verb::head;
    if (request_.version != 10 && request_.version != 11) {
      return Refuse(400, "bad_request", "only HTTP/1.0 and HTTP/1.1 are served");
    }
    if (obs_fold_) return Refuse(400, "bad_request", "obsolete line folding in the request head");
    if (!IsStandardMethod(msg.method())) {
      return Refuse(501, "unknown_method", "the request method is not one this server knows");
    }
    const size_t lengths = request_.headers.Count("Content-Length");
    if (lengths > 1) return Refuse(400, "bad_framing", "Content-Length given more than once");
    if (lengths == 1 && !IsDecimal(Trim(request_.Header("Content-Length")))) {
      return Refuse(400, "bad_framing", "Content-Length must be a decimal number");
    }
    const size_t encodings = request_.headers.Count("Transfer-Encoding");
    if (encodings > 1 || (encodings == 1 && !HeaderNameEquals(Trim(request_.Header("Transfer-Encoding")), "chunked"))) {
      return Refuse(501, "unsupported_transfer_encoding", "the only request Transfer-Encoding served is chunked");
    }
    const http::verb v = msg.method();
    if (lengths == 0 && encodings == 0 && (v == http::verb::post || v == http::verb::put || v == http::verb::patch)) {
      return Refuse(411, "length_required", "send Content-Length (0 for no body) or a chunked body");
    }
    bool expect_continue = false;
    if (request_.HasHeader("Expect")) {
      if (!HeaderNameEquals(Trim(request_.Header("Expect")), "100-continue")) {
        return Refuse(417, "expectation_failed", "the only expectation served is 100-continue");
      }
      expect_continue = request_.version == 11 && !parser_->is_done();
    }
    HttpResponse res;
    if (!host_.handler().OnHead(request_, res)) {
      if (!parser_->is_done()) res.close = true;  // the body is not read: the stream is out of step
      return Deliver(std::move(res));
    }
    if (!expect_continue) return StartBody();
    phase_ = Phase::kContinue;
    ArmTimer(std::chrono::seconds(o_.write_timeout_sec));
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                      [self = this->shared_from_this()](error_code ec, size_t) {
                        if (self->phase_ == Phase::kClosed) return;
                        if (ec) return self->Abort();
                        self->StartBody();
                      });
  }

  void StartBody() {
    phase_ = Phase::kBody;
    body_start_ = Clock::now();
    body_bytes_ = 0;
    ArmTimer(std::chrono::seconds(1));
    Parse();
  }

  void OnBody() {
    request_.body = std::move(parser_->get().body());
    phase_ = Phase::kHandling;
    StopTimer();
    // An answer given on this thread before Handle() returns (a read served
    // on the I/O thread) is delivered at once; one from a worker goes
    // through the connection's executor.
    const void* const outer = t_handling;
    t_handling = this;
    host_.handler().Handle(std::move(request_), [self = this->shared_from_this()](HttpResponse res) {
      if (t_handling == self.get()) return self->Deliver(std::move(res));
      asio::dispatch(self->executor_, [self, res = std::move(res)]() mutable { self->Deliver(std::move(res)); });
    });
    t_handling = outer;
  }

  // The front's own refusal of the request being read.
  void Refuse(int status, const std::string& code, const std::string& detail) {
    HttpResponse res;
    WriteHttpProblem(res, status, code, detail);
    if (request_.remote_addr.empty()) {
      request_.remote_addr = address_;
      request_.remote_port = port_;
    }
    host_.handler().OnFrontRefusal(request_, res);
    res.close = true;
    Deliver(std::move(res));
  }

  void Deliver(HttpResponse res) {
    if (phase_ == Phase::kClosed) return;
    const bool close = res.close || !keep_alive_ || draining_now() ||
                       served_ + 1 >= o_.keep_alive_max_requests;
    const bool no_body = res.status == 204 || res.status == 304 || (res.status >= 100 && res.status < 200);
    const size_t length = res.body.size();
    SerializeHead(res, length, !no_body, close, request_.version == 10 && !close, out_head_);
    out_body_ = no_body || head_request_ ? std::string() : std::move(res.body);
    close_after_write_ = close;
    phase_ = Phase::kWriting;
    ArmTimer(std::chrono::seconds(o_.write_timeout_sec));
    const std::array<asio::const_buffer, 2> buffers = {asio::buffer(out_head_), asio::buffer(out_body_)};
    asio::async_write(stream_, buffers,
                      [self = this->shared_from_this()](error_code ec, size_t) { self->OnWritten(ec); });
  }

  bool draining_now() const { return host_.draining(); }

  void OnWritten(error_code ec) {
    if (phase_ == Phase::kClosed) return;
    if (ec) return Abort();
    ++served_;
    out_head_.clear();
    out_body_ = std::string();  // a large answer's memory goes now, not at the next one
    if (close_after_write_) return GracefulClose();
    Idle();
  }

  // Half-closes, then reads and drops what the client still sends until it
  // closes, or the linger ends.
  void GracefulClose() {
    phase_ = Phase::kClosing;
    error_code ignored;
    Socket(stream_).shutdown(tcp::socket::shutdown_send, ignored);
    buffer_.consume(buffer_.size());
    ArmTimer(kLinger);
    ReadMore();
  }

  void Abort() {
    phase_ = Phase::kClosed;
    CancelTimer();
    error_code ignored;
    Socket(stream_).close(ignored);
  }

  SessionHost& host_;
  const HttpOptions& o_;
  const uint64_t id_;
  Stream stream_;
  asio::any_io_executor executor_;
  asio::steady_timer timer_;
  uint64_t timer_gen_ = 0;
  bool timer_waiting_ = false;       // a wait is running, until timer_at_
  Clock::time_point timer_at_;
  std::optional<Clock::time_point> deadline_;  // the current phase's
  const std::string address_;
  const int port_;
  std::optional<HttpResponse> refusal_;
  std::atomic<size_t>* const refusals_;
  Phase phase_ = Phase::kIdle;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  HttpRequest request_;
  bool tls_verified_ = false;
  bool obs_fold_ = false;
  bool request_line_done_ = false;
  bool head_request_ = false;
  bool keep_alive_ = true;
  bool reading_ = false;
  bool close_after_write_ = false;
  size_t served_ = 0;
  size_t lingered_ = 0;
  Clock::time_point body_start_;
  size_t body_bytes_ = 0;
  std::string out_head_;
  std::string out_body_;
};

}  // namespace

std::shared_ptr<Session> MakeSession(SessionHost& host, uint64_t id, tcp::socket socket, asio::ssl::context* tls,
                                     std::string address, int port) {
  if (tls != nullptr) {
    return std::make_shared<HttpSession<TlsStream>>(host, id, TlsStream(std::move(socket), *tls), std::move(address),
                                                    port, std::nullopt, nullptr);
  }
  return std::make_shared<HttpSession<tcp::socket>>(host, id, std::move(socket), std::move(address), port,
                                                    std::nullopt, nullptr);
}

std::shared_ptr<Session> MakeRefusal(SessionHost& host, tcp::socket socket, asio::ssl::context* tls,
                                     std::string address, int port, HttpResponse refusal,
                                     std::atomic<size_t>* refusals) {
  refusal.close = true;
  if (tls != nullptr) {
    return std::make_shared<HttpSession<TlsStream>>(host, 0, TlsStream(std::move(socket), *tls), std::move(address),
                                                    port, std::move(refusal), refusals);
  }
  return std::make_shared<HttpSession<tcp::socket>>(host, 0, std::move(socket), std::move(address), port,
                                                    std::move(refusal), refusals);
}

}  // namespace tenantkv::server

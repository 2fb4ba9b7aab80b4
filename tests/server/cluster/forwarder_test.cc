// Forwarder against a local httplib server playing the other node: the
// round trip of method, raw target, body and headers; keep-alive reuse; the
// error answers (unreachable, timeout, oversized); the queue bound;
// shutdown; concurrent senders; option checks; mutual TLS.
#include "server/cluster/forwarder.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "tests/testing/test_certs.h"
#include "tests/testing/wait_for.h"

namespace tenantkv::server::cluster {
namespace {

using testing::WaitFor;
using Headers = std::vector<std::pair<std::string, std::string>>;

// What the node saw of one request.
struct Seen {
  std::string method, target, body;
  httplib::Headers headers;
};

// The other node: echoes what it gets, and has a few special paths.
//   /slow       waits until Release() (at most 20 s), then answers "slow";
//   /big?n=N    answers N bytes with a Content-Length;
//   /chunked    answers 100 chunks of 1000 bytes, chunked;
//   /trickle    answers a byte every 50 ms, 200 of them or until Release();
//   anything else: records the request and echoes its body, with the
//   status asked for in X-Want-Status and a set of response headers.
class Node {
 public:
  explicit Node(std::unique_ptr<httplib::Server> server = std::make_unique<httplib::Server>())
      : server_(std::move(server)) {
    EXPECT_TRUE(server_->is_valid());
    server_->set_keep_alive_max_count(1000);
    server_->Get("/slow", [this](const httplib::Request& req, httplib::Response& res) {
      Count(req);
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::seconds(20), [this] { return released_; });
      res.set_content("slow", "text/plain");
    });
    server_->Get("/big", [this](const httplib::Request& req, httplib::Response& res) {
      Count(req);
      res.set_content(std::string(std::stoul(req.get_param_value("n")), 'b'), "application/octet-stream");
    });
    server_->Get("/chunked", [this](const httplib::Request& req, httplib::Response& res) {
      Count(req);
      res.set_chunked_content_provider("application/octet-stream", [](size_t offset, httplib::DataSink& sink) {
        if (offset >= 100 * 1000) {
          sink.done();
          return true;
        }
        const std::string chunk(1000, 'c');
        return sink.write(chunk.data(), chunk.size());
      });
    });
    server_->Get("/trickle", [this](const httplib::Request& req, httplib::Response& res) {
      Count(req);
      res.set_chunked_content_provider("text/plain", [this](size_t offset, httplib::DataSink& sink) {
        {
          std::unique_lock<std::mutex> lock(mu_);
          if (cv_.wait_for(lock, std::chrono::milliseconds(50), [this] { return released_; }) || offset >= 200) {
            sink.done();
            return true;
          }
        }
        return sink.write("x", 1);
      });
    });
    auto echo = [this](const httplib::Request& req, httplib::Response& res) { Echo(req, res); };
    server_->Get(".*", echo);
    server_->Post(".*", echo);
    server_->Put(".*", echo);
    server_->Patch(".*", echo);
    server_->Delete(".*", echo);
    port_ = server_->bind_to_any_port("127.0.0.1");
    EXPECT_GT(port_, 0);
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    EXPECT_TRUE(WaitFor([this] { return server_->is_running(); }, 10));
  }
  ~Node() { Stop(); }

  void Stop() {
    Release();
    if (!thread_.joinable()) return;
    server_->stop();
    thread_.join();
  }
  void Release() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      released_ = true;
    }
    cv_.notify_all();
  }

  HttpEndpoint endpoint(const std::string& scheme = "http") const { return {scheme, "127.0.0.1", port_}; }
  int port() const { return port_; }
  httplib::Server& server() { return *server_; }
  int arrived() {
    std::lock_guard<std::mutex> lock(mu_);
    return arrived_;
  }
  size_t connections() {
    std::lock_guard<std::mutex> lock(mu_);
    return ports_.size();
  }
  Seen last() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_.empty() ? Seen{} : seen_.back();
  }

 private:
  void Count(const httplib::Request& req) {
    std::lock_guard<std::mutex> lock(mu_);
    ++arrived_;
    ports_.insert(req.remote_port);
  }
  void Echo(const httplib::Request& req, httplib::Response& res) {
    Count(req);
    {
      std::lock_guard<std::mutex> lock(mu_);
      seen_.push_back({req.method, req.target, req.body, req.headers});
    }
    const std::string want = req.get_header_value("X-Want-Status");
    res.status = want.empty() ? 200 : std::stoi(want);
    res.set_header("ETag", "\"v7\"");
    res.set_header("Retry-After", "3");
    res.set_header("Tenantkv-Node", "n2");
    res.set_header("X-Request-Id", req.get_header_value("X-Request-Id"));
    res.set_header("Date", "Tue, 01 Jan 2030 00:00:00 GMT");
    res.set_header("Trailer", "X-Sum");
    res.set_header("Proxy-Authenticate", "Basic");
    res.set_header("Upgrade", "h2c");
    res.set_content(req.body, "application/octet-stream");
  }

  std::unique_ptr<httplib::Server> server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool released_ = false;
  int arrived_ = 0;
  std::set<int> ports_;
  std::vector<Seen> seen_;
};

// The value of the header `name` in `h`, or "<missing>".
std::string Value(const Headers& h, const std::string& name) {
  for (const auto& [k, v] : h) {
    if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
  }
  return "<missing>";
}

ForwardRequest Req(const std::string& method, const std::string& target, std::string body = "", Headers headers = {}) {
  return ForwardRequest{method, target, std::move(headers), std::move(body)};
}

// A port nothing listens on: bound, then closed again.
int ClosedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  ::close(fd);
  return ntohs(a.sin_port);
}

// Counts the calls of one request's Done and keeps its answer.
struct Outcome {
  std::mutex mu;
  int calls = 0;
  std::optional<Result<ForwardResponse>> answer;
  std::thread::id thread;

  Forwarder::Done Callback() {
    return [this](Result<ForwardResponse> r) {
      std::lock_guard<std::mutex> lock(mu);
      ++calls;
      thread = std::this_thread::get_id();
      answer.emplace(std::move(r));
    };
  }
  int Calls() {
    std::lock_guard<std::mutex> lock(mu);
    return calls;
  }
  std::string Reason() {
    std::lock_guard<std::mutex> lock(mu);
    if (!answer) return "(none)";
    return answer->ok() ? "ok " + std::to_string((*answer)->status) : answer->status().reason();
  }
};

std::unique_ptr<Forwarder> Make(ForwarderOptions o = {}) {
  auto f = Forwarder::Create(std::move(o));
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  return f.ok() ? std::move(f).value() : nullptr;
}

class ForwarderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { std::signal(SIGPIPE, SIG_IGN); }
};

TEST_F(ForwarderTest, RoundTripKeepsMethodRawTargetBodyAndEndToEndHeaders) {
  Node node;
  auto f = Make();
  // Bytes that httplib's URL encoding would change (+ , ;) and escapes that
  // decoding would change (%2F %20): all must reach the node as written.
  const std::string target = "/v1/kv/a%2Fb%20c?x=1&y=a+b,c;d";
  std::string binary("\0\x01\xff\r\n\0tail", 10);
  for (const std::string method : {"GET", "POST", "PUT", "PATCH", "DELETE"}) {
    SCOPED_TRACE(method);
    const bool with_body = method == "POST" || method == "PUT" || method == "PATCH";
    const Headers headers = {
        {"Authorization", "Bearer tok-123"}, {"X-Request-Id", "rid-" + method},
        {"Content-Type", "application/octet-stream"}, {"If-Match", "\"v6\""}, {"Tenantkv-Forwarded-By", "n1"},
        {"Host", "front.example:8080"}, {"Content-Length", "999"}, {"Connection", "keep-alive, X-Hop-Private"},
        {"X-Hop-Private", "secret"}, {"Keep-Alive", "timeout=5"}, {"TE", "trailers"}, {"Trailer", "X-Sum"},
        {"Upgrade", "h2c"}, {"Transfer-Encoding", "chunked"}, {"Proxy-Authorization", "Basic eDp5"},
        {"Proxy-Connection", "keep-alive"}, {"Expect", "100-continue"}};
    auto r = f->SendAndWait(node.endpoint(), Req(method, target, with_body ? binary : "", headers));
    ASSERT_TRUE(r.ok()) << r.status().ToString();

    const Seen seen = node.last();
    auto at = [&](const char* name) {
      auto it = seen.headers.find(name);
      return it == seen.headers.end() ? std::string("<missing>") : it->second;
    };
    EXPECT_EQ(seen.method, method);
    EXPECT_EQ(seen.target, target);
    EXPECT_EQ(seen.body, with_body ? binary : "");
    EXPECT_EQ(at("Authorization"), "Bearer tok-123");
    EXPECT_EQ(at("X-Request-Id"), "rid-" + method);
    EXPECT_EQ(at("If-Match"), "\"v6\"");
    EXPECT_EQ(at("Tenantkv-Forwarded-By"), "n1");
    EXPECT_EQ(at("Content-Type"), "application/octet-stream");
    EXPECT_EQ(at("Host"), "127.0.0.1:" + std::to_string(node.port()));
    if (with_body) {
      EXPECT_EQ(at("Content-Length"), std::to_string(binary.size()));
    }
    for (const char* gone :
         {"Connection", "X-Hop-Private", "Keep-Alive", "TE", "Trailer", "Upgrade", "Transfer-Encoding",
          "Proxy-Authorization", "Proxy-Connection", "Expect", "Accept-Encoding"}) {
      EXPECT_EQ(seen.headers.count(gone), 0u) << gone;
    }
    EXPECT_EQ(seen.headers.count("Host"), 1u);

    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, with_body ? binary : "");
    for (const auto& [name, want] : Headers{{"ETag", "\"v7\""}, {"Retry-After", "3"}, {"Tenantkv-Node", "n2"},
                                            {"X-Request-Id", "rid-" + method},
                                            {"Content-Type", "application/octet-stream"}}) {
      EXPECT_EQ(Value(r->headers, name), want) << name;
    }
    for (const char* gone : {"Content-Length", "Connection", "Keep-Alive", "Date", "Trailer", "Proxy-Authenticate",
                             "Upgrade", "Transfer-Encoding"}) {
      EXPECT_EQ(Value(r->headers, gone), "<missing>") << gone;
    }
  }
  EXPECT_EQ(f->forwarded(), 5u);
  EXPECT_EQ(f->failed(), 0u);
}

TEST_F(ForwarderTest, LargeBinaryBodyRoundTripsExactly) {
  Node node;
  auto f = Make();
  std::string body(1 << 20, '\0');
  std::mt19937 rng(7);
  for (char& c : body) c = static_cast<char>(rng());
  auto r = f->SendAndWait(node.endpoint(), Req("PUT", "/v1/kv/blob", body));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(node.last().body, body);
  EXPECT_EQ(r->body, body);
}

TEST_F(ForwarderTest, ErrorStatusesAreAnswersNotFailures) {
  Node node;
  auto f = Make();
  for (int status : {404, 503, 412}) {
    auto r = f->SendAndWait(node.endpoint(),
                            Req("POST", "/v1/kv/x", "problem", {{"X-Want-Status", std::to_string(status)}}));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, status);
    EXPECT_EQ(r->body, "problem");
    EXPECT_EQ(Value(r->headers, "Retry-After"), "3");
  }
  EXPECT_EQ(f->forwarded(), 3u);
  EXPECT_EQ(f->failed(), 0u);
}

TEST_F(ForwarderTest, SequentialRequestsReuseOneConnection) {
  Node node;
  auto f = Make();
  for (int i = 0; i < 10; ++i) {
    auto r = f->SendAndWait(node.endpoint(), Req("GET", "/v1/kv/k" + std::to_string(i)));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  EXPECT_EQ(node.arrived(), 10);
  EXPECT_EQ(node.connections(), 1u);

  // Without idle connections kept, each request has its own: the count above counts.
  Node other;
  ForwarderOptions o;
  o.max_idle_per_node = 0;
  auto g = Make(o);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(g->SendAndWait(other.endpoint(), Req("GET", "/v1/kv/k")).ok());
  EXPECT_EQ(other.connections(), 4u);
}

TEST_F(ForwarderTest, ConnectionTheNodeClosedWhileIdleIsReplaced) {
  Node node;
  node.server().set_keep_alive_timeout(1);  // the node drops a connection idle for 1 s
  auto f = Make();
  ASSERT_TRUE(f->SendAndWait(node.endpoint(), Req("GET", "/v1/kv/a")).ok());
  std::this_thread::sleep_for(std::chrono::seconds(3));
  auto r = f->SendAndWait(node.endpoint(), Req("GET", "/v1/kv/b"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(node.connections(), 2u);
}

TEST_F(ForwarderTest, ClosedPortIsNodeUnreachable) {
  auto f = Make();
  auto r = f->SendAndWait({"http", "127.0.0.1", ClosedPort()}, Req("GET", "/v1/kv/a"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_EQ(r.status().reason(), "node_unreachable");
  EXPECT_EQ(f->failed(), 1u);
  EXPECT_EQ(f->forwarded(), 0u);
}

TEST_F(ForwarderTest, NodeGoneAfterItsConnectionWasPooledIsNodeUnreachable) {
  auto node = std::make_unique<Node>();
  const HttpEndpoint endpoint = node->endpoint();
  auto f = Make();
  ASSERT_TRUE(f->SendAndWait(endpoint, Req("GET", "/v1/kv/a")).ok());
  node.reset();  // closes the pooled connection's other end and the port
  auto r = f->SendAndWait(endpoint, Req("POST", "/v1/kv/a", "v"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), "node_unreachable") << r.status().ToString();
}

TEST_F(ForwarderTest, SlowNodeIsNodeTimeout) {
  Node node;
  ForwarderOptions o;
  o.request_timeout_ms = 300;
  auto f = Make(o);
  auto r = f->SendAndWait(node.endpoint(), Req("GET", "/slow"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_EQ(r.status().reason(), "node_timeout") << r.status().ToString();
  EXPECT_EQ(f->failed(), 1u);
}

TEST_F(ForwarderTest, TricklingNodeIsNodeTimeout) {
  Node node;
  ForwarderOptions o;
  o.request_timeout_ms = 300;  // each byte comes well within it; the whole answer never does
  auto f = Make(o);
  auto r = f->SendAndWait(node.endpoint(), Req("GET", "/trickle"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), "node_timeout") << r.status().ToString();
}

TEST_F(ForwarderTest, OversizedAnswerIsBadGateway) {
  Node node;
  ForwarderOptions o;
  o.max_response_bytes = 1000;
  auto f = Make(o);
  auto fits = f->SendAndWait(node.endpoint(), Req("GET", "/big?n=1000"));
  ASSERT_TRUE(fits.ok()) << fits.status().ToString();
  EXPECT_EQ(fits->body, std::string(1000, 'b'));
  for (const char* target : {"/big?n=1001", "/big?n=10000000", "/chunked"}) {
    auto r = f->SendAndWait(node.endpoint(), Req("GET", target));
    ASSERT_FALSE(r.ok()) << target << " " << r->status << " " << r->body.size() << " " << r->body.substr(0, 200);
    EXPECT_EQ(r.status().code(), Code::kInternal);
    EXPECT_EQ(r.status().reason(), "bad_gateway") << target;
  }
  // A HEAD answer declares the length of a body it does not carry.
  auto head = f->SendAndWait(node.endpoint(), Req("HEAD", "/big?n=5000"));
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->body, "");
  // The connection of a refused answer is not reused mid-body: the next one works.
  EXPECT_TRUE(f->SendAndWait(node.endpoint(), Req("GET", "/big?n=10")).ok());
}

TEST_F(ForwarderTest, FullQueueRefusesAtOnce) {
  Node node;
  ForwarderOptions o;
  o.threads = 1;
  o.max_queue = 1;
  auto f = Make(o);
  Outcome first, second, third;
  f->Send(node.endpoint(), Req("GET", "/slow"), first.Callback());
  ASSERT_TRUE(WaitFor([&] { return node.arrived() == 1; }));         // the only thread is busy
  f->Send(node.endpoint(), Req("GET", "/slow"), second.Callback());  // waits in the queue
  f->Send(node.endpoint(), Req("GET", "/slow"), third.Callback());   // no room
  EXPECT_EQ(third.Calls(), 1);                                       // answered before Send returned, on this thread
  EXPECT_EQ(third.thread, std::this_thread::get_id());
  EXPECT_EQ(third.Reason(), "forward_queue_full");
  EXPECT_EQ(second.Calls(), 0);
  node.Release();
  ASSERT_TRUE(WaitFor([&] { return first.Calls() == 1 && second.Calls() == 1; }));
  EXPECT_EQ(first.Reason(), "ok 200");
  EXPECT_EQ(second.Reason(), "ok 200");
  EXPECT_EQ(f->forwarded(), 2u);
  EXPECT_EQ(f->failed(), 1u);
}

TEST_F(ForwarderTest, DestructorAnswersQueuedRequestsShuttingDownOnce) {
  Node node;
  ForwarderOptions o;
  o.threads = 1;
  o.max_queue = 8;
  auto f = Make(o);
  Outcome in_flight;
  std::vector<std::unique_ptr<Outcome>> queued;
  f->Send(node.endpoint(), Req("GET", "/slow"), in_flight.Callback());
  ASSERT_TRUE(WaitFor([&] { return node.arrived() == 1; }));
  for (int i = 0; i < 4; ++i) {
    queued.push_back(std::make_unique<Outcome>());
    f->Send(node.endpoint(), Req("GET", "/slow"), queued.back()->Callback());
  }
  // The destructor waits for the request in flight; the queued ones are
  // answered before that.
  std::thread destroy([&] { f.reset(); });
  EXPECT_TRUE(WaitFor([&] {
    for (auto& q : queued) {
      if (q->Calls() == 0) return false;
    }
    return true;
  }));
  EXPECT_EQ(in_flight.Calls(), 0);
  node.Release();
  destroy.join();
  EXPECT_EQ(in_flight.Calls(), 1);
  EXPECT_EQ(in_flight.Reason(), "ok 200");
  for (auto& q : queued) {
    EXPECT_EQ(q->Calls(), 1);
    EXPECT_EQ(q->Reason(), "shutting_down");
  }
  EXPECT_EQ(node.arrived(), 1);  // the queued ones never reached the node
}

TEST_F(ForwarderTest, ConcurrentSendsAreAllAnsweredCorrectly) {
  Node node;
  ForwarderOptions o;
  o.threads = 4;
  o.max_idle_per_node = 4;
  auto f = Make(o);
  constexpr int kSenders = 8, kEach = 25;
  std::atomic<int> right{0};
  std::vector<std::thread> senders;
  for (int s = 0; s < kSenders; ++s) {
    senders.emplace_back([&, s] {
      for (int i = 0; i < kEach; ++i) {
        const std::string body = "sender " + std::to_string(s) + " request " + std::to_string(i);
        auto r =
            f->SendAndWait(node.endpoint(), Req("POST", "/v1/kv/" + std::to_string(s), body, {{"X-Request-Id", body}}));
        if (r.ok() && r->status == 200 && r->body == body && Value(r->headers, "X-Request-Id") == body) {
          ++right;
        }
      }
    });
  }
  for (auto& t : senders) t.join();
  EXPECT_EQ(right.load(), kSenders * kEach);
  EXPECT_EQ(f->forwarded(), uint64_t{kSenders * kEach});
  EXPECT_EQ(f->failed(), 0u);
  // A client is made only when no idle one is left, so never more than
  // one per thread exists.
  EXPECT_LE(node.connections(), 4u);
}

TEST_F(ForwarderTest, TwoIoThreadsAnswerEverySendOnAnIoThread) {
  Node node;
  ForwarderOptions o;
  o.threads = 4;  // httplib's listen backlog is 5: more connects at once may wait for a SYN retransmit
  o.io_threads = 2;
  auto f = Make(o);
  constexpr int kRequests = 64;
  std::vector<std::unique_ptr<Outcome>> outcomes;
  for (int i = 0; i < kRequests; ++i) {
    outcomes.push_back(std::make_unique<Outcome>());
    f->Send(node.endpoint(), Req("POST", "/v1/kv/k", "body " + std::to_string(i)), outcomes.back()->Callback());
  }
  ASSERT_TRUE(WaitFor([&] {
    for (auto& out : outcomes) {
      if (out->Calls() == 0) return false;
    }
    return true;
  }));
  for (int i = 0; i < kRequests; ++i) {
    EXPECT_EQ(outcomes[i]->Calls(), 1);
    ASSERT_EQ(outcomes[i]->Reason(), "ok 200");
    EXPECT_EQ((*outcomes[i]->answer)->body, "body " + std::to_string(i));
    EXPECT_NE(outcomes[i]->thread, std::this_thread::get_id());
  }
  EXPECT_LE(node.connections(), 4u);  // never more than `threads` in flight
  EXPECT_EQ(f->forwarded(), uint64_t{kRequests});
}

TEST_F(ForwarderTest, RequestThatWouldInjectLinesIsRefused) {
  Node node;
  auto f = Make();
  auto r = f->SendAndWait(node.endpoint(), Req("GET", "/v1/kv/a", "", {{"X-Evil", "a\r\nX-Injected: 1"}}));
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  r = f->SendAndWait(node.endpoint(), Req("GET", "/v1/kv/a HTTP/1.1\r\nX: y"));
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(node.arrived(), 0);
}

class ForwarderTlsTest : public ForwarderTest {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tenantkv-fwd-pki-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    testing::MakeTestCerts(tmpl, &certs_);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(certs_.dir, ec);
  }
  testing::TestCerts certs_;
};

TEST_F(ForwarderTlsTest, CreateRejectsBadOptions) {
  auto bad = [](auto change) {
    ForwarderOptions o;
    change(o);
    auto f = Forwarder::Create(o);
    return !f.ok() && f.status().code() == Code::kInvalidArgument;
  };
  for (size_t n : {size_t{0}, size_t{257}}) EXPECT_TRUE(bad([n](ForwarderOptions& o) { o.threads = n; }));
  for (size_t n : {size_t{0}, size_t{17}}) EXPECT_TRUE(bad([n](ForwarderOptions& o) { o.io_threads = n; }));
  for (size_t n : {size_t{0}, size_t{1000001}}) EXPECT_TRUE(bad([n](ForwarderOptions& o) { o.max_queue = n; }));
  for (int ms : {0, 60001}) EXPECT_TRUE(bad([ms](ForwarderOptions& o) { o.connect_timeout_ms = ms; }));
  for (int ms : {0, 600001}) EXPECT_TRUE(bad([ms](ForwarderOptions& o) { o.request_timeout_ms = ms; }));
  EXPECT_TRUE(bad([](ForwarderOptions& o) { o.max_response_bytes = 0; }));
  EXPECT_TRUE(bad([&](ForwarderOptions& o) { o.client_cert_file = certs_.client_cert; }));
  EXPECT_TRUE(bad([&](ForwarderOptions& o) { o.client_key_file = certs_.client_key; }));
  EXPECT_TRUE(bad([&](ForwarderOptions& o) { o.ca_file = certs_.dir + "/missing.pem"; }));
  EXPECT_TRUE(bad([&](ForwarderOptions& o) {
    o.client_cert_file = certs_.dir + "/missing.pem";
    o.client_key_file = certs_.client_key;
  }));
  EXPECT_TRUE(bad([&](ForwarderOptions& o) {  // a key that is not the certificate's
    o.client_cert_file = certs_.client_cert;
    o.client_key_file = certs_.rogue_key;
  }));
  EXPECT_TRUE(bad([&](ForwarderOptions& o) { o.ca_file = certs_.client_key; }));  // no certificate in it
  ForwarderOptions good;
  good.threads = 1;
  good.max_queue = 1;
  good.ca_file = certs_.ca_cert;
  good.client_cert_file = certs_.client_cert;
  good.client_key_file = certs_.client_key;
  EXPECT_TRUE(Forwarder::Create(good).ok());
  EXPECT_TRUE(Forwarder::Create(ForwarderOptions{}).ok());
}

TEST_F(ForwarderTlsTest, MutualTlsLetsOnlyAVerifiedClientThrough) {
  Node node(std::make_unique<httplib::SSLServer>(certs_.server_cert.c_str(), certs_.server_key.c_str(),
                                                 certs_.ca_cert.c_str()));
  ForwarderOptions o;
  o.request_timeout_ms = 5000;
  o.ca_file = certs_.ca_cert;
  o.client_cert_file = certs_.client_cert;
  o.client_key_file = certs_.client_key;
  auto verified = Make(o);
  auto r =
      verified->SendAndWait(node.endpoint("https"), Req("POST", "/v1/kv/a%2Fb", "v", {{"Authorization", "Bearer t"}}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "v");
  EXPECT_EQ(node.last().target, "/v1/kv/a%2Fb");
  EXPECT_EQ(node.arrived(), 1);

  auto refused = [&](ForwarderOptions opts) {
    auto f = Make(std::move(opts));
    auto res = f->SendAndWait(node.endpoint("https"), Req("GET", "/v1/kv/a"));
    if (res.ok()) return std::string("ok");
    return res.status().reason();
  };
  ForwarderOptions no_cert = o;  // the node wants a client certificate
  no_cert.client_cert_file.clear();
  no_cert.client_key_file.clear();
  std::string why = refused(no_cert);
  EXPECT_TRUE(why == "node_unreachable" || why == "bad_gateway") << why;
  ForwarderOptions rogue = o;  // one the node's CA never signed
  rogue.client_cert_file = certs_.rogue_cert;
  rogue.client_key_file = certs_.rogue_key;
  why = refused(rogue);
  EXPECT_TRUE(why == "node_unreachable" || why == "bad_gateway") << why;
  ForwarderOptions untrusted = o;  // the system store does not know the node's CA
  untrusted.ca_file.clear();
  EXPECT_EQ(refused(untrusted), "node_unreachable");
  EXPECT_EQ(node.arrived(), 1);
}

}  // namespace
}  // namespace tenantkv::server::cluster

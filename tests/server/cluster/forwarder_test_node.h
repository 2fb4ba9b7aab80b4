// The forwarder tests' other node (an httplib server that echoes what it
// gets and has a few special paths) and their helpers; for
// forwarder_test.cc and forwarder_tls_test.cc only.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "server/cluster/forwarder.h"
#include "tests/testing/wait_for.h"

namespace tenantkv::server::cluster::forwarder_test {

using Headers = std::vector<std::pair<std::string, std::string>>;
using ::tenantkv::testing::WaitFor;

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
inline std::string Value(const Headers& h, const std::string& name) {
  for (const auto& [k, v] : h) {
    if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
  }
  return "<missing>";
}

inline ForwardRequest Req(const std::string& method, const std::string& target, std::string body = "", Headers headers = {}) {
  return ForwardRequest{method, target, std::move(headers), std::move(body)};
}

// A port nothing listens on: bound, then closed again.
inline int ClosedPort() {
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

inline std::unique_ptr<Forwarder> Make(ForwarderOptions o = {}) {
  auto f = Forwarder::Create(std::move(o));
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  return f.ok() ? std::move(f).value() : nullptr;
}

class ForwarderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { std::signal(SIGPIPE, SIG_IGN); }
};

}  // namespace tenantkv::server::cluster::forwarder_test

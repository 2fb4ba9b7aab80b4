// The HTTP front over raw sockets against the real binary: strict heads,
// methods, chunked bodies, pipelining, the head deadline and body rate,
// the connection caps and their log lines, and tenants sharing an address.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing/test_server.h"
#include "tests/testing/wait_for.h"

namespace tenantkv::testing {
namespace {

using nlohmann::json;

// A raw client connection, closed when it goes out of scope.
class Raw {
 public:
  explicit Raw(int port) : fd_(ConnectLoopback(port)) {
    timeval tv{20, 0};  // a generous bound: no test waits for it to pass
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  ~Raw() {
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  bool Send(const std::string& bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }
  // Reads until `received_` holds `count` whole answers (heads and their
  // Content-Length bodies), the server closes, or the receive timeout.
  std::vector<std::string> Answers(size_t count) {
    std::vector<std::string> out;
    for (;;) {
      while (out.size() < count) {
        const size_t end = received_.find("\r\n\r\n");
        if (end == std::string::npos) break;
        const std::string head = received_.substr(0, end);
        const size_t cl = head.find("Content-Length: ");
        const size_t body = cl == std::string::npos ? 0 : std::stoul(head.substr(cl + 16));
        if (received_.size() < end + 4 + body) break;
        out.push_back(received_.substr(0, end + 4 + body));
        received_.erase(0, end + 4 + body);
      }
      if (out.size() == count || !Read()) return out;
    }
  }
  // True once the server closed the connection (what came before it is
  // kept for Answers()).
  bool Closed() {
    while (Read()) {
    }
    return closed_;
  }

 private:
  bool Read() {
    char buf[4096];
    const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n > 0) {
      received_.append(buf, static_cast<size_t>(n));
      return true;
    }
    closed_ = n == 0 || errno == ECONNRESET;
    return false;
  }
  int fd_;
  std::string received_;
  bool closed_ = false;
};

int StatusOf(const std::string& answer) {
  return answer.size() >= 12 && answer.compare(0, 9, "HTTP/1.1 ") == 0 ? std::atoi(answer.c_str() + 9) : 0;
}

std::string CodeOf(const std::string& answer) {
  const size_t body = answer.find("\r\n\r\n");
  if (body == std::string::npos) return "";
  const json j = json::parse(answer.substr(body + 4), nullptr, false);
  return j.is_object() && j.contains("code") ? j["code"].get<std::string>() : "";
}

class FrontTest : public ::testing::Test {
 protected:
  void StartWith(std::vector<std::string> args) {
    server_ = std::make_unique<TestServer>(std::move(args));
    server_->Start();
    server_->CreateTenant("acme");
    token_ = server_->CreateKey("acme", "admin");
  }
  std::string Auth() const { return "Authorization: Bearer " + token_ + "\r\n"; }

  std::unique_ptr<TestServer> server_;
  std::string token_;
};

TEST_F(FrontTest, EachMalformedHeadIsA400ProblemAndTheConnectionCloses) {
  StartWith({});
  struct Case {
    const char* name;
    std::string head;
    const char* code;  // "" = any 400 problem
  };
  const std::vector<Case> cases = {
      {"space in a header name", "GET /healthz HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n", ""},
      {"NUL in a header name", std::string("GET /healthz HTTP/1.1\r\nHost: x\r\nX-A\0b: v\r\n\r\n", 44), ""},
      {"NUL in a header value", std::string("GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: v\0w\r\n\r\n", 44), ""},
      {"empty header name", "GET /healthz HTTP/1.1\r\nHost: x\r\n: v\r\n\r\n", ""},
      {"obs-fold", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: one\r\n two\r\n\r\n", "bad_request"},
      {"obs-fold with a tab", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: one\r\n\ttwo\r\n\r\n", "bad_request"},
      {"repeated Content-Length", "PUT /v1/kv/k HTTP/1.1\r\nHost: x\r\n" + Auth() +
                                      "Content-Length: 2\r\nContent-Length: 2\r\n\r\nab", "bad_framing"},
      {"conflicting Content-Length", "PUT /v1/kv/k HTTP/1.1\r\nHost: x\r\n" + Auth() +
                                         "Content-Length: 2\r\nContent-Length: 3\r\n\r\nab", "bad_framing"},
      {"Content-Length list", "PUT /v1/kv/k HTTP/1.1\r\nHost: x\r\n" + Auth() + "Content-Length: 2,2\r\n\r\nab",
       "bad_framing"},
      {"Content-Length and chunked", "PUT /v1/kv/k HTTP/1.1\r\nHost: x\r\n" + Auth() +
                                         "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n", "bad_framing"},
      {"bare LF line ends", "GET /healthz HTTP/1.1\nHost: x\n\n", ""},
      {"HTTP/2.0 request line", "GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Raw raw(server_->port());
    ASSERT_TRUE(raw.ok());
    ASSERT_TRUE(raw.Send(c.head));
    auto answers = raw.Answers(1);
    ASSERT_EQ(answers.size(), 1u) << "no answer";
    EXPECT_EQ(StatusOf(answers[0]), 400) << answers[0];
    EXPECT_NE(answers[0].find("Content-Type: application/problem+json"), std::string::npos) << answers[0];
    EXPECT_NE(answers[0].find("Connection: close"), std::string::npos) << answers[0];
    EXPECT_NE(answers[0].find("X-Request-Id: "), std::string::npos) << answers[0];
    if (*c.code != '\0') {
      EXPECT_EQ(CodeOf(answers[0]), c.code);
    }
    EXPECT_TRUE(raw.Closed());
  }
  auto list = server_->Get("/v1/kv", token_);
  ASSERT_TRUE(list);
  EXPECT_EQ(json::parse(list->body)["items"].size(), 0u) << "a refused request wrote: " << list->body;
}

TEST_F(FrontTest, MethodsARouteDoesNotServeAre405AndUnknownTokens501) {
  StartWith({});
  struct Case {
    std::string method;
    int status;
    const char* code;
  };
  const std::vector<Case> cases = {
      {"TRACE", 405, "method_not_allowed"},  {"PATCH", 405, "method_not_allowed"},
      {"OPTIONS", 405, "method_not_allowed"}, {"CONNECT", 405, "method_not_allowed"},
      {"BREW", 501, "unknown_method"},        {"get", 501, "unknown_method"},
      {"PROPFIND", 501, "unknown_method"},    {"M-SEARCH", 501, "unknown_method"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.method);
    Raw raw(server_->port());
    ASSERT_TRUE(raw.Send(c.method + " /v1/kv/x HTTP/1.1\r\nHost: x\r\n" + Auth() + "Content-Length: 0\r\n\r\n"));
    auto answers = raw.Answers(1);
    ASSERT_EQ(answers.size(), 1u);
    EXPECT_EQ(StatusOf(answers[0]), c.status) << answers[0];
    EXPECT_EQ(CodeOf(answers[0]), c.code) << answers[0];
    EXPECT_NE(answers[0].find("Content-Type: application/problem+json"), std::string::npos);
    if (c.status == 405) {
      EXPECT_NE(answers[0].find("\r\nAllow: GET, HEAD, PUT, DELETE"), std::string::npos) << answers[0];
    }
  }
}

TEST_F(FrontTest, ChunkedBodiesAreStoredAndOtherCodingsAre501) {
  StartWith({"--max-body-bytes", "1100000"});
  Raw raw(server_->port());
  ASSERT_TRUE(raw.Send("PUT /v1/kv/chunky HTTP/1.1\r\nHost: x\r\n" + Auth() +
                       "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n"));
  auto put = raw.Answers(1);
  ASSERT_EQ(put.size(), 1u);
  EXPECT_EQ(StatusOf(put[0]), 201) << put[0];
  auto get = server_->Get(KvPath("chunky"), token_);
  ASSERT_TRUE(get);
  EXPECT_EQ(get->body, "hello world");

  // Over the body limit in chunks: refused as it arrives.
  Raw big(server_->port());
  std::string chunk = "90000\r\n" + std::string(0x90000, 'v') + "\r\n";
  ASSERT_TRUE(big.Send("PUT /v1/kv/big HTTP/1.1\r\nHost: x\r\n" + Auth() + "Transfer-Encoding: chunked\r\n\r\n"));
  big.Send(chunk);
  big.Send(chunk);  // the server may have closed already
  auto refused = big.Answers(1);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(StatusOf(refused[0]), 413) << refused[0].substr(0, 200);

  Raw gzip(server_->port());
  ASSERT_TRUE(gzip.Send("PUT /v1/kv/z HTTP/1.1\r\nHost: x\r\n" + Auth() + "Transfer-Encoding: gzip\r\n\r\n"));
  auto answers = gzip.Answers(1);
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(StatusOf(answers[0]), 501);
  EXPECT_EQ(CodeOf(answers[0]), "unsupported_transfer_encoding");
  EXPECT_EQ(server_->Get(KvPath("big"), token_)->status, 404);
  EXPECT_EQ(server_->Get(KvPath("z"), token_)->status, 404);
}

TEST_F(FrontTest, PipelinedRequestsAreAnsweredInOrder) {
  StartWith({});
  Raw raw(server_->port());
  std::string burst;
  for (int i = 0; i < 5; ++i) {
    const std::string v = "value-" + std::to_string(i);
    burst += "PUT /v1/kv/p" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n" + Auth() +
             "X-Request-Id: put-" + std::to_string(i) + "\r\nContent-Length: " + std::to_string(v.size()) + "\r\n\r\n" + v;
    burst += "GET /v1/kv/p" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n" + Auth() + "X-Request-Id: get-" +
             std::to_string(i) + "\r\n\r\n";
  }
  burst += "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: last\r\n\r\n";
  ASSERT_TRUE(raw.Send(burst));  // all of it in one write
  auto answers = raw.Answers(11);
  ASSERT_EQ(answers.size(), 11u);
  for (int i = 0; i < 5; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(StatusOf(answers[2 * i]), 201) << answers[2 * i];
    EXPECT_NE(answers[2 * i].find("X-Request-Id: put-" + std::to_string(i) + "\r\n"), std::string::npos);
    EXPECT_EQ(StatusOf(answers[2 * i + 1]), 200);
    EXPECT_NE(answers[2 * i + 1].find("X-Request-Id: get-" + std::to_string(i) + "\r\n"), std::string::npos);
    const std::string& get = answers[2 * i + 1];
    EXPECT_EQ(get.substr(get.find("\r\n\r\n") + 4), "value-" + std::to_string(i));
  }
  EXPECT_NE(answers[10].find("X-Request-Id: last\r\n"), std::string::npos);
}

TEST_F(FrontTest, AHeadTrickledPastItsDeadlineIs408) {
  StartWith({"--head-timeout-sec", "1", "--keep-alive-timeout-sec", "30"});
  Raw raw(server_->port());
  // A byte every 200 ms never stalls a single read for long: only a
  // deadline for the whole head ends it.
  const std::string head = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(100, 'a');
  bool refused = false;
  for (char c : head) {
    if (!raw.Send(std::string(1, c))) {
      refused = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_TRUE(refused || head.size() * 200 < 1000) << "the whole head was accepted over 20 s";
  auto answers = raw.Answers(1);
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(StatusOf(answers[0]), 408);
  EXPECT_EQ(CodeOf(answers[0]), "head_timeout");
  EXPECT_TRUE(raw.Closed());
}

TEST_F(FrontTest, ARefusalAfterAHeadRequestStillCarriesItsBody) {
  StartWith({"--head-timeout-sec", "1", "--keep-alive-timeout-sec", "30"});
  const int fd = ConnectLoopback(server_->port());
  ASSERT_GE(fd, 0);
  timeval tv{20, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  // A HEAD answer has no body; the refusal of the next, stalled request
  // on the same connection must have its own.
  const std::string both = "HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHo";
  ASSERT_EQ(send(fd, both.data(), both.size(), MSG_NOSIGNAL), static_cast<ssize_t>(both.size()));
  std::string received;
  char buf[4096];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) received.append(buf, static_cast<size_t>(n));
  close(fd);
  const size_t refusal = received.find("HTTP/1.1 408");
  ASSERT_NE(refusal, std::string::npos) << received;
  const std::string answer = received.substr(refusal);
  const size_t end = answer.find("\r\n\r\n");
  ASSERT_NE(end, std::string::npos);
  const size_t cl = answer.find("Content-Length: ");
  ASSERT_LT(cl, end);
  EXPECT_EQ(answer.size() - end - 4, std::stoul(answer.substr(cl + 16))) << answer;
  EXPECT_EQ(CodeOf(answer), "head_timeout");
}

TEST_F(FrontTest, ABodyBelowTheMinimumRateIs408) {
  StartWith({"--read-timeout-sec", "1", "--min-body-bytes-per-sec", "1000"});
  Raw raw(server_->port());
  ASSERT_TRUE(raw.Send("PUT /v1/kv/slow HTTP/1.1\r\nHost: x\r\n" + Auth() + "Content-Length: 50000\r\n\r\n"));
  // 10 bytes every 200 ms (50 B/s), each read answered at once.
  bool refused = false;
  for (int i = 0; i < 100 && !refused; ++i) {
    refused = !raw.Send(std::string(10, 'b'));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  auto answers = raw.Answers(1);
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(StatusOf(answers[0]), 408);
  EXPECT_EQ(CodeOf(answers[0]), "body_too_slow");
  EXPECT_EQ(server_->Get(KvPath("slow"), token_)->status, 404);
}

TEST_F(FrontTest, ARefusedHeadNeverWaitsForItsBody) {
  StartWith({"--read-timeout-sec", "30", "--min-body-bytes-per-sec", "1"});
  const std::string reader = server_->CreateKey("acme", "read");
  struct Case {
    const char* name;
    std::string auth;
    int status;
  };
  for (const Case& c : {Case{"bad token", "Authorization: Bearer tkv_0000000000000000_00\r\n", 401},
                        Case{"read-only key", "Authorization: Bearer " + reader + "\r\n", 403}}) {
    SCOPED_TRACE(c.name);
    Raw raw(server_->port());
    // A large body announced, none of it sent: the answer cannot wait for it.
    ASSERT_TRUE(raw.Send("PUT /v1/kv/k HTTP/1.1\r\nHost: x\r\n" + c.auth + "Content-Length: 1000000\r\n\r\n"));
    auto answers = raw.Answers(1);
    ASSERT_EQ(answers.size(), 1u);
    EXPECT_EQ(StatusOf(answers[0]), c.status) << answers[0];
    EXPECT_NE(answers[0].find("Connection: close"), std::string::npos);
    EXPECT_TRUE(raw.Closed());
  }
  // With Expect: 100-continue the refused client is never invited to send.
  Raw expect(server_->port());
  ASSERT_TRUE(expect.Send("PUT /v1/kv/k HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + reader +
                          "\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"));
  auto refused = expect.Answers(1);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(StatusOf(refused[0]), 403) << refused[0];
  Raw invited(server_->port());
  ASSERT_TRUE(invited.Send("PUT /v1/kv/k HTTP/1.1\r\nHost: x\r\n" + Auth() +
                           "Expect: 100-continue\r\nContent-Length: 5\r\n\r\n"));
  auto go = invited.Answers(1);
  ASSERT_EQ(go.size(), 1u);
  EXPECT_EQ(StatusOf(go[0]), 100);
  ASSERT_TRUE(invited.Send("hello"));
  auto stored = invited.Answers(1);
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(StatusOf(stored[0]), 201);
}

TEST_F(FrontTest, ConnectionCapsRefuseAtAcceptAndAreLoggedAndCounted) {
  StartWith({"--max-connections-per-address", "4", "--keep-alive-timeout-sec", "30"});
  std::vector<std::unique_ptr<Raw>> held;
  for (int i = 0; i < 4; ++i) {
    // Accepted and served: it counts now. The harness's own connections are
    // released when the server reads their close, which under load can come
    // after this one arrives; a connection refused for them is tried again.
    ASSERT_TRUE(WaitFor([&] {
      auto raw = std::make_unique<Raw>(server_->port());
      if (!raw->Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")) return false;
      auto a = raw->Answers(1);
      if (a.size() != 1 || StatusOf(a[0]) != 200) return false;
      held.push_back(std::move(raw));
      return true;
    })) << "connection " << i << " never served";
  }
  // The fifth is answered without a byte of it read.
  Raw extra(server_->port());
  auto answers = extra.Answers(1);
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(StatusOf(answers[0]), 503);
  EXPECT_EQ(CodeOf(answers[0]), "too_many_connections");
  EXPECT_NE(answers[0].find("X-Request-Id: "), std::string::npos);
  EXPECT_TRUE(extra.Closed());
  held.pop_back();  // a slot frees when one closes
  bool served = false;
  for (int i = 0; i < 100 && !served; ++i) {
    auto r = server_->Get("/healthz", "");
    served = r && r->status == 200;
    if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(served);
  held.clear();
  std::string metrics;
  for (int i = 0; i < 100 && metrics.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    auto r = server_->Get("/metrics", server_->operator_token());
    if (r && r->status == 200) metrics = r->body;
  }
  ASSERT_FALSE(metrics.empty());
  EXPECT_NE(metrics.find("tenantkv_requests_total{tenant=\"-\",method=\"-\",route=\"unmatched\",code=\"503\"}"),
            std::string::npos);
  ASSERT_EQ(server_->Terminate(), 0);
  const std::string log = server_->ReadLog();
  EXPECT_NE(log.find("connection refused (too_many_connections): 127.0.0.1 has 4 open"), std::string::npos) << log;
  EXPECT_NE(log.find("\"code\":\"too_many_connections\""), std::string::npos) << "no access line";
}

TEST_F(FrontTest, OneTenantsHundredConnectionsDoNotRefuseAnother) {
  StartWith({"--keep-alive-timeout-sec", "30"});
  server_->CreateTenant("other");
  const std::string other = server_->CreateKey("other", "read");
  std::vector<std::unique_ptr<Raw>> flood;
  for (int i = 0; i < 100; ++i) {
    flood.push_back(std::make_unique<Raw>(server_->port()));
    ASSERT_TRUE(flood.back()->Send("GET /v1/kv/x HTTP/1.1\r\nHost: x\r\n" + Auth() + "\r\n"));
    auto a = flood.back()->Answers(1);
    ASSERT_EQ(a.size(), 1u);
    ASSERT_EQ(StatusOf(a[0]), 404) << a[0];  // served, and the connection stays open
  }
  for (int i = 0; i < 10; ++i) {
    auto r = server_->Get(KvPath("nothing"), other);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404) << r->body;  // the other tenant's own answer, not a 503
  }
  // The hundred show in /metrics, with the scrape's own connection.
  auto m = server_->Get("/metrics", server_->operator_token());
  ASSERT_TRUE(m);
  const std::string gauge = "\ntenantkv_http_connections_open ";
  const size_t at = m->body.find(gauge);
  ASSERT_NE(at, std::string::npos) << m->body;
  EXPECT_GE(std::stod(m->body.substr(at + gauge.size())), 101.0);
}

TEST_F(FrontTest, SlowAndIdleConnectionsFromOneAddressDoNotStallAWellBehavedTenant) {
  StartWith({"--keep-alive-timeout-sec", "30", "--head-timeout-sec", "30"});
  std::vector<std::unique_ptr<Raw>> slow;
  std::vector<std::unique_ptr<Raw>> idle;
  for (int i = 0; i < 100; ++i) {
    slow.push_back(std::make_unique<Raw>(server_->port()));
    idle.push_back(std::make_unique<Raw>(server_->port()));
  }
  ASSERT_TRUE(server_->Put(KvPath("k"), "v", token_));
  for (int round = 0; round < 5; ++round) {
    for (auto& c : slow) c->Send(round == 0 ? "GET /healthz HTTP/1.1\r\nHost: x\r\nX-S: " : "s");
    for (int i = 0; i < 5; ++i) {
      auto r = server_->Get(KvPath("k"), token_);
      ASSERT_TRUE(r) << "round " << round;
      EXPECT_EQ(r->status, 200);
      EXPECT_EQ(r->body, "v");
    }
  }
}

TEST(FrontSettings, TheOldFrontsSettingsStillStartTheServerWithAWarning) {
  TestServer server({"--threads-min", "2", "--threads-max", "64", "--max-connections-per-client", "128",
                     "--throttled-idle-priority", "false"});
  server.Start();
  EXPECT_EQ(server.Get("/healthz", "")->status, 200);
  ASSERT_EQ(server.Terminate(), 0);
  const std::string log = server.ReadLog();
  for (const char* flag : {"--threads-min is deprecated", "--threads-max is deprecated",
                           "--max-connections-per-client is deprecated: use --max-connections-per-address (now 128)",
                           "--throttled-idle-priority is deprecated"}) {
    EXPECT_NE(log.find(flag), std::string::npos) << flag << "\n" << log;
  }
  EXPECT_NE(log.find("open files: limit"), std::string::npos);
}

}  // namespace
}  // namespace tenantkv::testing

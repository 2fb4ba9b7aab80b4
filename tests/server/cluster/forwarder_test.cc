// Forwarder against a local httplib server playing the other node
// (forwarder_test_node.h): the round trip of method, raw target, body and
// headers; keep-alive reuse; the error answers (unreachable, timeout,
// oversized); the queue bound; shutdown; concurrent senders. Options and
// mutual TLS: forwarder_tls_test.cc.
#include "server/cluster/forwarder.h"

#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "forwarder_test_node.h"

namespace tenantkv::server::cluster::forwarder_test {
namespace {

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

}  // namespace
}  // namespace tenantkv::server::cluster::forwarder_test

// Forwarder::Send with `here`, the io_context of the calling thread (an HTTP
// front I/O thread's in the server): the exchange and its answer run on
// that thread, connections are pooled per context and close with it, a
// request that had to wait in the queue runs on the forwarder's own
// thread, and either of the context and the forwarder may go first.
#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <filesystem>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "forwarder_test_node.h"
#include "server/cluster/forwarder.h"
#include "server/http/io_thread.h"
#include "tests/testing/test_certs.h"

namespace tenantkv::server::cluster::forwarder_test {
namespace {

namespace asio = boost::asio;

// An io_context run by one thread of its own, which says so
// (ScopedIoThread), as the HTTP front's I/O threads do.
class IoThread {
 public:
  IoThread() : guard_(asio::make_work_guard(ctx_)) {
    thread_ = std::thread([this] {
      const ScopedIoThread alone(&ctx_);
      ctx_.run();
    });
  }
  ~IoThread() { Stop(); }

  asio::io_context& context() { return ctx_; }
  std::thread::id id() const { return thread_.get_id(); }

  // Sends `req` from this thread, as the front does, and waits for the
  // answer; *on: the thread `done` ran on.
  Result<ForwardResponse> Send(Forwarder& f, const HttpEndpoint& node, ForwardRequest req,
                               std::thread::id* on = nullptr) {
    auto answer = std::make_shared<std::promise<std::pair<Result<ForwardResponse>, std::thread::id>>>();
    asio::post(ctx_, [&f, node, answer, req = std::move(req)]() mutable {
      f.Send(
          node, std::move(req),
          [answer](Result<ForwardResponse> r) { answer->set_value({std::move(r), std::this_thread::get_id()}); },
          ThisThreadsIoContext());
    });
    auto [result, thread] = answer->get_future().get();
    if (on != nullptr) *on = thread;
    return std::move(result);
  }

  // Lets run() return once nothing is pending, and joins the thread.
  void Stop() {
    guard_.reset();
    if (thread_.joinable()) thread_.join();
  }

 private:
  asio::io_context ctx_{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard_;
  std::thread thread_;
};

class ForwarderHereTest : public ForwarderTest {};  // SIGPIPE ignored

TEST_F(ForwarderHereTest, ThisThreadsIoContextIsSetOnItsThreadOnly) {
  EXPECT_EQ(ThisThreadsIoContext(), nullptr);
  IoThread io;
  std::promise<asio::io_context*> seen;
  asio::post(io.context(), [&seen] { seen.set_value(ThisThreadsIoContext()); });
  EXPECT_EQ(seen.get_future().get(), &io.context());
  EXPECT_EQ(ThisThreadsIoContext(), nullptr);
}

TEST_F(ForwarderHereTest, ExchangeAndAnswerRunOnTheCallersThreadOverOneConnection) {
  Node node;
  auto f = Make();
  IoThread io;
  for (int i = 0; i < 10; ++i) {
    std::thread::id on;
    auto r = io.Send(*f, node.endpoint(), Req("POST", "/v1/kv/k", "body " + std::to_string(i)), &on);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->body, "body " + std::to_string(i));
    EXPECT_EQ(on, io.id());
  }
  EXPECT_EQ(node.connections(), 1u);  // kept in the context's pool between requests
  EXPECT_EQ(f->forwarded(), 10u);
}

TEST_F(ForwarderHereTest, ContextsDoNotShareConnections) {
  Node node;
  auto f = Make();
  IoThread a, b;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(a.Send(*f, node.endpoint(), Req("GET", "/v1/kv/a")).ok());
    ASSERT_TRUE(b.Send(*f, node.endpoint(), Req("GET", "/v1/kv/b")).ok());
  }
  // The forwarder's own threads keep a pool of their own as well.
  ASSERT_TRUE(f->SendAndWait(node.endpoint(), Req("GET", "/v1/kv/c")).ok());
  EXPECT_EQ(node.connections(), 3u);
}

TEST_F(ForwarderHereTest, QueuedRequestRunsOnTheForwardersThread) {
  Node node;
  ForwarderOptions o;
  o.threads = 1;
  auto f = Make(o);
  IoThread io;
  Outcome first, second;
  asio::post(io.context(), [&] {
    f->Send(node.endpoint(), Req("GET", "/slow"), first.Callback(), ThisThreadsIoContext());
    f->Send(node.endpoint(), Req("GET", "/v1/kv/queued"), second.Callback(), ThisThreadsIoContext());
  });
  ASSERT_TRUE(WaitFor([&] { return node.arrived() == 1; }));
  EXPECT_EQ(second.Calls(), 0);  // waits for the only slot
  node.Release();
  ASSERT_TRUE(WaitFor([&] { return first.Calls() == 1 && second.Calls() == 1; }));
  EXPECT_EQ(first.Reason(), "ok 200");
  EXPECT_EQ(second.Reason(), "ok 200");
  EXPECT_EQ(first.thread, io.id());
  EXPECT_NE(second.thread, io.id());  // started by the slot's release, on the forwarder's thread
  EXPECT_NE(second.thread, std::this_thread::get_id());
}

TEST_F(ForwarderHereTest, ContextGoesFirstWithItsIdleConnections) {
  Node node;
  auto f = Make();
  {
    IoThread io;
    ASSERT_TRUE(io.Send(*f, node.endpoint(), Req("GET", "/v1/kv/a")).ok());
  }  // the context, and the connection idle in its pool, are gone
  ASSERT_TRUE(f->SendAndWait(node.endpoint(), Req("GET", "/v1/kv/b")).ok());
  IoThread again;
  ASSERT_TRUE(again.Send(*f, node.endpoint(), Req("GET", "/v1/kv/c")).ok());
  EXPECT_EQ(node.connections(), 3u);
  EXPECT_EQ(f->forwarded(), 3u);
}

TEST_F(ForwarderHereTest, ForwarderGoesFirstAndTheContextLaterClosesItsConnections) {
  Node node;
  IoThread io;
  {
    auto f = Make();
    ASSERT_TRUE(io.Send(*f, node.endpoint(), Req("GET", "/v1/kv/a")).ok());
  }
  // A new forwarder has pools of its own, even on the same context.
  auto g = Make();
  ASSERT_TRUE(io.Send(*g, node.endpoint(), Req("GET", "/v1/kv/b")).ok());
  EXPECT_EQ(node.connections(), 2u);
  io.Stop();
}

// Mutual TLS on the caller's context; the forwarder (and its TLS context)
// goes first, and the context then closes the TLS connection left idle.
TEST_F(ForwarderHereTest, MutualTlsOnTheCallersContext) {
  char tmpl[] = "/tmp/tenantkv-fwd-here-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  ::tenantkv::testing::TestCerts certs;
  ::tenantkv::testing::MakeTestCerts(tmpl, &certs);
  {
    Node node(std::make_unique<httplib::SSLServer>(certs.server_cert.c_str(), certs.server_key.c_str(),
                                                   certs.ca_cert.c_str()));
    ForwarderOptions o;
    o.ca_file = certs.ca_cert;
    o.client_cert_file = certs.client_cert;
    o.client_key_file = certs.client_key;
    IoThread io;
    {
      auto f = Make(o);
      for (int i = 0; i < 3; ++i) {
        std::thread::id on;
        auto r = io.Send(*f, node.endpoint("https"), Req("POST", "/v1/kv/a", "v" + std::to_string(i)), &on);
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        EXPECT_EQ(r->body, "v" + std::to_string(i));
        EXPECT_EQ(on, io.id());
      }
      EXPECT_EQ(node.connections(), 1u);
    }
    io.Stop();
  }
  std::error_code ec;
  std::filesystem::remove_all(certs.dir, ec);
}

}  // namespace
}  // namespace tenantkv::server::cluster::forwarder_test

// Forwarder::Post and SendHere: work that must look up where to send
// (the tenant directory) runs on a forwarder thread and sends from there,
// under the same queue bound; a refusal reaches the work itself.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <csignal>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "server/cluster/forwarder.h"
#include "tests/testing/wait_for.h"

namespace tenantkv::server::cluster {
namespace {

using testing::WaitFor;

// A node that echoes POST /echo.
class EchoNode {
 public:
  EchoNode() {
    server_.Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.body, "application/octet-stream");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    WaitFor([this] { return server_.is_running(); }, 10);
  }
  ~EchoNode() {
    server_.stop();
    thread_.join();
  }
  HttpEndpoint endpoint() const { return {"http", "127.0.0.1", port_}; }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

// What one posted work saw.
struct Seen {
  std::atomic<bool> started{false};  // set after reason and thread
  std::atomic<int> calls{0};         // incremented after them
  std::string reason;  // "" = OK
  std::thread::id thread;
};

// `threads` slots for sends and as many for posted work.
std::unique_ptr<Forwarder> Make(size_t threads, size_t max_queue) {
  ForwarderOptions o;
  o.threads = threads;
  o.work_threads = threads;
  o.max_queue = max_queue;
  auto f = Forwarder::Create(o);
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  return std::move(f).value();
}

class ForwarderPostTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { std::signal(SIGPIPE, SIG_IGN); }
};

TEST_F(ForwarderPostTest, PostedWorkSendsFromAForwarderThreadAndKeepsItsRequest) {
  EchoNode node;
  auto f = Make(2, 8);
  ForwardRequest req{"POST", "/echo", {{"Content-Type", "application/octet-stream"}}, std::string("a\0b", 3)};
  std::atomic<int> done{0};
  std::vector<std::string> bodies(2);
  std::thread::id ran_on;
  f->Post([&](const Status& queued) {
    ASSERT_TRUE(queued.ok());
    ran_on = std::this_thread::get_id();
    for (std::string& body : bodies) {
      Result<ForwardResponse> r = f->SendHere(node.endpoint(), req);  // the same request twice
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      EXPECT_EQ(r->status, 200);
      body = r->body;
    }
    done = 1;
  });
  ASSERT_TRUE(WaitFor([&] { return done == 1; }, 10));
  EXPECT_NE(ran_on, std::this_thread::get_id());
  EXPECT_EQ(bodies[0], std::string("a\0b", 3));
  EXPECT_EQ(bodies[1], std::string("a\0b", 3)) << "the body is there again for a second attempt";
  EXPECT_EQ(req.body, std::string("a\0b", 3));
  EXPECT_EQ(f->forwarded(), 2u);
}

TEST_F(ForwarderPostTest, PostedWorkMeetsTheQueueBoundAndShutdown) {
  auto f = Make(1, 1);
  std::atomic<bool> release{false};
  Seen busy, queued, refused;
  auto work = [](Seen& seen, std::atomic<bool>* hold) {
    return [&seen, hold](const Status& s) {
      seen.reason = s.ok() ? "" : s.reason();
      seen.thread = std::this_thread::get_id();
      seen.started = true;
      while (hold != nullptr && s.ok() && !*hold) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      ++seen.calls;
    };
  };
  f->Post(work(busy, &release));
  ASSERT_TRUE(WaitFor([&] { return busy.started.load(); }, 10));  // the only thread holds it
  f->Post(work(queued, nullptr));
  f->Post(work(refused, nullptr));
  EXPECT_EQ(refused.calls, 1) << "refused before Post returned";
  EXPECT_EQ(refused.thread, std::this_thread::get_id());
  EXPECT_EQ(refused.reason, "forward_queue_full");
  EXPECT_EQ(queued.calls, 0);
  // Destroyed while one runs and one waits: the waiting one is told, once.
  std::thread destroy([&] { f.reset(); });
  ASSERT_TRUE(WaitFor([&] { return queued.calls == 1; }, 10));
  EXPECT_EQ(queued.reason, "shutting_down");
  release = true;
  destroy.join();
  EXPECT_EQ(busy.calls, 1);
  EXPECT_EQ(busy.reason, "");
  EXPECT_EQ(queued.calls, 1);
}

// Posted work (directory reads for key ids nobody knows, say) piling up
// takes none of the slots of requests whose owner is known.
TEST_F(ForwarderPostTest, PostedWorkPilingUpDoesNotDelaySends) {
  EchoNode node;
  auto f = Make(1, 4);  // one slot for sends, one for posted work
  std::atomic<bool> release{false};
  Seen busy, waiting;
  f->Post([&](const Status& s) {
    busy.started = true;
    while (s.ok() && !release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ++busy.calls;
  });
  ASSERT_TRUE(WaitFor([&] { return busy.started.load(); }, 10));
  f->Post([&](const Status&) { ++waiting.calls; });  // queued behind it
  for (int i = 0; i < 3; ++i) {
    Result<ForwardResponse> r =
        f->SendAndWait(node.endpoint(), ForwardRequest{"POST", "/echo", {}, "s" + std::to_string(i)});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->body, "s" + std::to_string(i));
  }
  EXPECT_EQ(busy.calls, 0);
  EXPECT_EQ(waiting.calls, 0);
  release = true;
  ASSERT_TRUE(WaitFor([&] { return waiting.calls == 1; }, 10));
}

TEST_F(ForwarderPostTest, WorkThreadsOutOfRangeAreRefused) {
  for (size_t n : {size_t{0}, size_t{257}}) {
    ForwarderOptions o;
    o.work_threads = n;
    EXPECT_EQ(Forwarder::Create(o).status().code(), Code::kInvalidArgument) << n;
  }
}

}  // namespace
}  // namespace tenantkv::server::cluster

// A client that sends its request slowly and then stalls is dropped after
// the read timeout, while others are served.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "tests/testing/test_server.h"

namespace tenantkv::testing {
namespace {

// Waits (up to a generous bound) for the server to close `fd`; true if it did.
bool ClosedByServer(int fd, std::string* received) {
  timeval tv{20, 0};  // far above the 1 s read timeout under test
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  char buf[1024];
  for (;;) {
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n > 0) {
      received->append(buf, static_cast<size_t>(n));
      continue;
    }
    return n == 0 || errno == ECONNRESET;
  }
}

TEST(SlowClient, APartialHeaderIsDroppedAfterTheReadTimeout) {
  // A request cut off in its headers is answered 400 after the read
  // timeout; the library then keeps the connection for the keep-alive
  // timeout before closing it, hence both are short here.
  TestServer server({"--read-timeout-sec", "1", "--keep-alive-timeout-sec", "1"});
  server.Start();
  std::vector<int> slow;
  for (int i = 0; i < 4; ++i) {
    int fd = ConnectLoopback(server.port());
    ASSERT_GE(fd, 0);
    slow.push_back(fd);
  }
  // Each trickles a few pieces of a request line and headers, then stalls.
  for (const char* piece : {"GET /healthz HT", "TP/1.1\r\n", "Host: x\r\nX-Slow: "}) {
    for (int fd : slow) {
      ASSERT_GT(send(fd, piece, std::strlen(piece), MSG_NOSIGNAL), 0);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  // Meanwhile others are served.
  for (int i = 0; i < 3; ++i) {
    auto r = server.Get("/healthz", "");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  for (int fd : slow) {
    std::string received;
    EXPECT_TRUE(ClosedByServer(fd, &received)) << "a stalled request was kept open";
    // Nothing, or an error answer: never a served request.
    EXPECT_TRUE(received.empty() || received.compare(0, 10, "HTTP/1.1 4") == 0) << received;
    close(fd);
  }
  auto r = server.Get("/healthz", "");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST(SlowClient, AStalledBodyIsDroppedAfterTheReadTimeout) {
  TestServer server({"--read-timeout-sec", "1"});
  server.Start();
  int fd = ConnectLoopback(server.port());
  ASSERT_GE(fd, 0);
  const std::string head = "PUT /v1/kv/k HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nonly this";
  ASSERT_EQ(send(fd, head.data(), head.size(), MSG_NOSIGNAL), static_cast<ssize_t>(head.size()));
  std::string received;
  EXPECT_TRUE(ClosedByServer(fd, &received));
  EXPECT_TRUE(received.empty() || received.compare(0, 10, "HTTP/1.1 4") == 0) << received;
  close(fd);
}

}  // namespace
}  // namespace tenantkv::testing

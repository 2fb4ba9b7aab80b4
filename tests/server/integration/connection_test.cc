// Idle or greedy clients must not keep others from being served.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "tests/testing/test_server.h"

namespace tenantkv::testing {
namespace {

TEST(Connections, IdleConnectionsDoNotBlockOthers) {
  // Few warm threads: the pool must grow past the idle connections.
  TestServer server({"--threads-min", "2", "--threads-max", "64", "--keep-alive-timeout-sec", "30",
                     "--read-timeout-sec", "30"});
  server.Start();
  std::vector<int> idle;
  for (int i = 0; i < 20; ++i) {
    int fd = ConnectLoopback(server.port());
    ASSERT_GE(fd, 0);
    idle.push_back(fd);
  }
  // A half-sent request holds its thread too.
  ASSERT_EQ(send(idle[0], "GET /healthz HTTP/1.1\r\nHo", 25, MSG_NOSIGNAL), 25);
  for (int i = 0; i < 5; ++i) {
    auto r = server.Get("/healthz", "");
    ASSERT_TRUE(r) << "request " << i << " not served while idle connections are open";
    EXPECT_EQ(r->status, 200);
  }
  for (int fd : idle) close(fd);
}

TEST(Connections, PerClientConnectionCapRefusesTheExcess) {
  TestServer server({"--threads-min", "2", "--threads-max", "16", "--max-connections-per-client", "3",
                     "--keep-alive-timeout-sec", "30"});
  server.Start();
  // Three keep-alive connections that each made a request stay admitted.
  auto held = HoldServedConnections(3, [&] { return server.Client(); });
  ASSERT_EQ(held.size(), 3u);
  auto extra = server.Get("/healthz", "");
  ASSERT_TRUE(extra);
  EXPECT_EQ(extra->status, 503);
  EXPECT_NE(extra->body.find("too_many_connections"), std::string::npos);
  EXPECT_FALSE(extra->get_header_value("X-Request-Id").empty());
  // The refused connection is closed by the server, not kept alive (30 s).
  int fd = ConnectLoopback(server.port());
  ASSERT_GE(fd, 0);
  const std::string req = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(send(fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string answer;
  char buf[4096];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) answer.append(buf, static_cast<size_t>(n));
  EXPECT_EQ(n, 0) << "expected the server to close the connection";
  EXPECT_EQ(answer.substr(0, 12), "HTTP/1.1 503");
  close(fd);
  // Closing one frees a slot.
  held.pop_back();
  bool served = false;
  for (int i = 0; i < 100 && !served; ++i) {
    auto r = server.Get("/healthz", "");
    served = r && r->status == 200;
    if (!served) usleep(20000);
  }
  EXPECT_TRUE(served);
}

}  // namespace
}  // namespace tenantkv::testing

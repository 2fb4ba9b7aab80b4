// Repeated authentication failures from one address are answered 429
// auth_backoff for a while; a valid token is always served, from any address.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "tests/testing/test_server.h"

namespace tenantkv::testing {
namespace {

struct Reply {
  int status = 0;
  std::string head;
  std::string body;
};

// One request from source address `from` (any 127.0.0.0/8 address) to the
// server on 127.0.0.1.
Reply RequestFrom(const char* from, int port, const std::string& path, const std::string& token) {
  Reply reply;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in src{};
  src.sin_family = AF_INET;
  inet_pton(AF_INET, from, &src.sin_addr);
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(static_cast<uint16_t>(port));
  dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof(src)) != 0 ||
      connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof(dst)) != 0) {
    close(fd);
    return reply;
  }
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n";
  if (!token.empty()) req += "Authorization: Bearer " + token + "\r\n";
  req += "\r\n";
  send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) out.append(buf, static_cast<size_t>(n));
  close(fd);
  const size_t end = out.find("\r\n\r\n");
  if (out.size() < 12 || end == std::string::npos) return reply;
  reply.status = std::atoi(out.c_str() + 9);
  reply.head = out.substr(0, end);
  reply.body = out.substr(end + 4);
  return reply;
}

std::string Code(const Reply& r) {
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  return j.is_object() && j.contains("code") ? j["code"].get<std::string>() : "";
}

class BruteForceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Start();
    server_.CreateTenant("acme");
    token_ = server_.CreateKey("acme", "read");
  }
  std::string Wrong(int i) const { return "tkv_00000000_" + std::string(40, static_cast<char>('a' + i % 26)); }

  TestServer server_{{"--auth-fail-limit", "5", "--auth-fail-window-sec", "600", "--auth-backoff-base-sec",
                      "300"}};
  std::string token_;
};

TEST_F(BruteForceTest, AnAddressWithTooManyFailuresHasItsFailuresRefused) {
  const int port = server_.port();
  for (int i = 0; i < 5; ++i) {
    Reply r = RequestFrom("127.0.0.2", port, "/v1/usage", i % 2 ? Wrong(i) : "");
    ASSERT_EQ(r.status, 401) << i;
  }
  // Failing requests are refused now, with a Retry-After.
  Reply refused = RequestFrom("127.0.0.2", port, "/v1/usage", Wrong(7));
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(Code(refused), "auth_backoff");
  const size_t at = refused.head.find("Retry-After: ");
  ASSERT_NE(at, std::string::npos) << refused.head;
  const int retry = std::atoi(refused.head.c_str() + at + 13);
  EXPECT_GT(retry, 0);
  EXPECT_LE(retry, 300);
  EXPECT_EQ(RequestFrom("127.0.0.2", port, "/admin/v1/tenants", "").status, 429);
  // A valid token is served all the same, the operator's too.
  EXPECT_EQ(RequestFrom("127.0.0.2", port, "/v1/usage", token_).status, 200);
  EXPECT_EQ(RequestFrom("127.0.0.2", port, "/admin/v1/tenants", server_.operator_token()).status, 200);
  // Health checks need no token and stay open.
  EXPECT_EQ(RequestFrom("127.0.0.2", port, "/healthz", "").status, 200);
  // Another address's failures are its own.
  EXPECT_EQ(RequestFrom("127.0.0.3", port, "/v1/usage", Wrong(8)).status, 401);
  // The refusals are visible in /metrics and in the access log.
  auto metrics = server_.Get("/metrics", server_.operator_token());
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("\ntenantkv_auth_backoff_total 2\n"), std::string::npos);
  ASSERT_EQ(server_.Terminate(), 0);  // the log is buffered; a clean stop flushes it
  EXPECT_NE(server_.ReadLog().find("\"code\":\"auth_backoff\""), std::string::npos);
}

TEST_F(BruteForceTest, ASuccessDoesNotResetTheCount) {
  const int port = server_.port();
  for (int round = 0; round < 4; ++round) {
    ASSERT_EQ(RequestFrom("127.0.0.4", port, "/v1/usage", Wrong(round)).status, 401);
    // The attacker's own valid key between guesses.
    ASSERT_EQ(RequestFrom("127.0.0.4", port, "/v1/usage", token_).status, 200);
  }
  ASSERT_EQ(RequestFrom("127.0.0.4", port, "/v1/usage", Wrong(9)).status, 401);  // the fifth failure
  EXPECT_EQ(RequestFrom("127.0.0.4", port, "/v1/usage", Wrong(10)).status, 429);
  EXPECT_EQ(RequestFrom("127.0.0.4", port, "/v1/usage", token_).status, 200);
}

// One tenant's revoked key, still in use from an app server every tenant
// shares, must not take the other tenants offline.
TEST_F(BruteForceTest, BadTokensFromAnAddressNeverLockOutValidTokensOfOtherTenants) {
  server_.CreateTenant("globex");
  server_.CreateTenant("initech");
  const std::string globex = server_.CreateKey("globex", "write");
  const std::string initech = server_.CreateKey("initech", "read");
  const int port = server_.port();
  int refused = 0;
  for (int i = 0; i < 30; ++i) {
    const int status = RequestFrom("127.0.0.5", port, "/v1/usage", Wrong(i)).status;
    ASSERT_TRUE(status == 401 || status == 429) << i << ": " << status;
    refused += status == 429;
  }
  EXPECT_EQ(refused, 25);  // the flood is still answered cheaply
  Reply g = RequestFrom("127.0.0.5", port, "/v1/usage", globex);
  EXPECT_EQ(g.status, 200) << g.body;
  Reply n = RequestFrom("127.0.0.5", port, "/v1/usage", initech);
  EXPECT_EQ(n.status, 200) << n.body;
}

}  // namespace
}  // namespace tenantkv::testing

// /console/: the web console's assets are served publicly, same origin,
// under a strict Content-Security-Policy, and reveal nothing.
#include <gtest/gtest.h>

#include <string>

#include "tests/testing/test_server.h"

namespace tenantkv::testing {
namespace {

class ConsoleTest : public ::testing::Test {
 protected:
  void SetUp() override { server_.Start(); }
  TestServer server_;
};

void ExpectStrictPolicy(const httplib::Result& r) {
  const std::string csp = r->get_header_value("Content-Security-Policy");
  EXPECT_NE(csp.find("default-src 'self'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("http"), std::string::npos) << "another origin in " << csp;
  EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(r->get_header_value("Set-Cookie"), "");
}

#if TENANTKV_CONSOLE_BUILT
TEST_F(ConsoleTest, ThePageAndItsAssetsAreServedWithoutATokenUnderAStrictPolicy) {
  auto page = server_.Get("/console/", "");
  ASSERT_TRUE(page);
  ASSERT_EQ(page->status, 200) << page->body;
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
  ExpectStrictPolicy(page);
  // One external script of its own and no inline one.
  EXPECT_NE(page->body.find("<script src=\"console.js\""), std::string::npos) << page->body;
  EXPECT_EQ(page->body.find("<script>"), std::string::npos);
  EXPECT_EQ(page->body.find("http"), std::string::npos) << "a third-party origin in the page";
  for (const auto& [name, type] : {std::pair<std::string, std::string>{"console.js", "text/javascript"},
                                   {"console.css", "text/css"}}) {
    auto r = server_.Get("/console/" + name, "");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << name;
    EXPECT_EQ(r->get_header_value("Content-Type").rfind(type, 0), 0u) << name;
    EXPECT_FALSE(r->body.empty()) << name;
    ExpectStrictPolicy(r);
    // Nothing of the node: no tenant, no token in the assets.
    EXPECT_EQ(r->body.find(server_.operator_token()), std::string::npos) << name;
  }
  auto bare = server_.Get("/console", "");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->status, 308);
  EXPECT_EQ(bare->get_header_value("Location"), "/console/");
}

#else
// Built without node and npm (or TENANTKV_CONSOLE off): the server says so.
TEST_F(ConsoleTest, AServerBuiltWithoutTheConsoleSaysSo) {
  auto page = server_.Get("/console/", "");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 404);
  EXPECT_NE(page->body.find("console_not_built"), std::string::npos) << page->body;
  EXPECT_NE(page->body.find("not built"), std::string::npos) << page->body;
  ExpectStrictPolicy(page);
}
#endif

TEST_F(ConsoleTest, AnythingElseUnderConsoleIsA404Problem) {
  for (const char* path : {"/console/nope.js", "/console/../metrics", "/console/dist/console.js",
                           "/console/%2e%2e/metrics"}) {
    auto r = server_.Get(path, "");
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 404) << path << ": " << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/problem+json") << path;
    EXPECT_EQ(r->body.find("tenantkv_"), std::string::npos) << path;
  }
  auto q = server_.Get("/console/?x=1", "");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->status, 400);
  auto post = server_.Post("/console/", "{}", "");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
}

}  // namespace
}  // namespace tenantkv::testing

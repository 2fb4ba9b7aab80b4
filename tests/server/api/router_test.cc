#include "server/api/router.h"

#include <gtest/gtest.h>

#include <cstring>

#include "server/http/url.h"

namespace tenantkv::server {
namespace {

bool Decode(std::string_view raw, std::string* out) {
  auto d = PercentDecode(raw);
  if (!d) return false;
  *out = *d;
  return true;
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    r_.Add("GET", "/v1/kv/{*key}", 1);
    r_.Add("PUT", "/v1/kv/{*key}", 2);
    r_.Add("GET", "/v1/kv", 3);
    r_.Add("GET", "/admin/v1/tenants/{id}", 4);
    r_.Add("DELETE", "/admin/v1/tenants/{id}/apikeys/{key_id}", 5);
  }
  Router<int> r_;
};

TEST_F(RouterTest, MatchesAndCaptures) {
  struct Case { const char* method; const char* path; int route; const char* param; const char* value; };
  const Case cases[] = {
      {"GET", "/v1/kv/a", 1, "key", "a"},
      {"HEAD", "/v1/kv/a", 1, "key", "a"},
      {"PUT", "/v1/kv/a/b/c", 2, "key", "a/b/c"},
      {"GET", "/v1/kv/a%2Fb", 1, "key", "a/b"},
      {"GET", "/v1/kv/%00%FF", 1, "key", "\0\xff"},
      {"GET", "/v1/kv/a+b", 1, "key", "a+b"},
      {"GET", "/v1/kv", 3, "", ""},
      {"GET", "/admin/v1/tenants/acme", 4, "id", "acme"},
      {"DELETE", "/admin/v1/tenants/acme/apikeys/k1", 5, "key_id", "k1"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.method) + " " + c.path);
    auto m = r_.Find(c.method, c.path, Decode);
    ASSERT_EQ(m.outcome, Router<int>::Outcome::kMatched);
    EXPECT_EQ(*m.route, c.route);
    if (*c.param) {
      std::string expected(c.value, std::string_view(c.path).find("%00") != std::string_view::npos ? 2 : std::strlen(c.value));
      EXPECT_EQ(m.params[c.param], expected);
    }
  }
}

TEST_F(RouterTest, EmptyKeyCapturesEmpty) {
  auto m = r_.Find("GET", "/v1/kv/", Decode);
  ASSERT_EQ(m.outcome, Router<int>::Outcome::kMatched);
  EXPECT_EQ(m.params["key"], "");
}

TEST_F(RouterTest, NotFoundAndMethodNotAllowed) {
  EXPECT_EQ(r_.Find("GET", "/v2/kv/a", Decode).outcome, Router<int>::Outcome::kNotFound);
  EXPECT_EQ(r_.Find("GET", "/admin/v1/tenants/a/b", Decode).outcome, Router<int>::Outcome::kNotFound);
  EXPECT_EQ(r_.Find("GET", "/admin/v1/tenants", Decode).outcome, Router<int>::Outcome::kNotFound);
  auto m = r_.Find("DELETE", "/v1/kv/a", Decode);
  EXPECT_EQ(m.outcome, Router<int>::Outcome::kMethodNotAllowed);
  EXPECT_EQ(m.allow, "GET, HEAD, PUT");
}

TEST_F(RouterTest, BadEncodingIsReported) {
  EXPECT_EQ(r_.Find("GET", "/v1/kv/a%zz", Decode).outcome, Router<int>::Outcome::kBadEncoding);
  EXPECT_EQ(r_.Find("GET", "/v1/kv/a%2", Decode).outcome, Router<int>::Outcome::kBadEncoding);
}

}  // namespace
}  // namespace tenantkv::server

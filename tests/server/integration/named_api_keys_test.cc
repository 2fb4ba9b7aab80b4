// API key names and expiries against the real server: they are stored,
// listed and audited exactly as given (free text included), refused when
// malformed with nothing made, and a key past its expiry gets
// 401 key_expired, counted and logged as its tenant's, also after a restart.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <ctime>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing/test_server.h"

namespace tenantkv::testing {
namespace {

using nlohmann::json;

// Free text a tenant admin may give: markup, quotes, a backslash, UTF-8.
const std::string kHostileName = "<script>alert(1)</script> \"quoted\" 'single' \\ caf\xc3\xa9";

// Now + `ahead_ms` as RFC 3339 with milliseconds, UTC.
std::string Rfc3339In(int64_t ahead_ms) {
  using namespace std::chrono;
  const int64_t ms = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count() + ahead_ms;
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  char frac[8];
  std::snprintf(frac, sizeof(frac), ".%03dZ", static_cast<int>(ms % 1000));
  return std::string(buf) + frac;
}

class NamedApiKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Start();
    server_.CreateTenant("acme");
    admin_ = server_.CreateKey("acme", "admin");
  }

  json Keys(const std::string& token) {
    auto r = server_.Get("/admin/v1/tenants/acme/apikeys", token);
    EXPECT_EQ(r->status, 200) << r->body;
    return json::parse(r->body)["keys"];
  }
  std::vector<json> CreateEntries() {
    auto r = server_.Get("/admin/v1/audit?tenant=acme", server_.operator_token());
    EXPECT_EQ(r->status, 200) << r->body;
    const json page = json::parse(r->body);
    std::vector<json> out;
    for (const auto& e : page["entries"]) {
      if (e["action"] == "apikey.create") out.push_back(e);
    }
    return out;
  }

  TestServer server_;
  std::string admin_;
};

TEST_F(NamedApiKeysTest, NameAndExpiryAreListedAndAuditedExactly) {
  const std::string expires = Rfc3339In(int64_t{24} * 3600 * 1000);
  const json body = {{"role", "write"}, {"name", kHostileName}, {"expires_at", expires}};
  auto made = server_.Post("/admin/v1/tenants/acme/apikeys", body.dump(), admin_);
  ASSERT_EQ(made->status, 201) << made->body;
  const json key = json::parse(made->body);
  EXPECT_EQ(key["name"], kHostileName);
  EXPECT_EQ(key["expires_at"], expires);
  const std::string token = key["token"].get<std::string>();
  EXPECT_EQ(server_.Put(KvPath("k"), "v", token)->status, 201);  // a day to go

  bool listed = false;
  for (const auto& k : Keys(admin_)) {
    if (k["key_id"] != key["key_id"]) {
      EXPECT_TRUE(k["name"].is_null()) << k.dump();  // the admin key, made without
      EXPECT_TRUE(k["expires_at"].is_null()) << k.dump();
      continue;
    }
    listed = true;
    EXPECT_EQ(k["name"], kHostileName);
    EXPECT_EQ(k["expires_at"], expires);
    EXPECT_FALSE(k.contains("token"));
  }
  EXPECT_TRUE(listed);

  const std::vector<json> entries = CreateEntries();
  ASSERT_EQ(entries.size(), 2u);  // the fixture's admin key, then this one
  const json& details = entries[1]["details"];
  EXPECT_EQ(details["key_id"], key["key_id"]);
  EXPECT_EQ(details["role"], "write");
  EXPECT_EQ(details["name"], kHostileName);
  EXPECT_EQ(details["expires_at"], expires);
  EXPECT_EQ(entries[1].dump().find(token.substr(21)), std::string::npos) << "never the secret";
  EXPECT_TRUE(entries[0]["details"]["name"].is_null());
  EXPECT_TRUE(entries[0]["details"]["expires_at"].is_null());

  // The logs (flushed by a clean stop) never carry a name, escaped or not.
  ASSERT_EQ(server_.Terminate(), 0);
  const std::string log = server_.ReadLog();
  EXPECT_NE(log.find(R"("route":"/admin/v1/tenants/{id}/apikeys","status":201)"), std::string::npos) << log;
  EXPECT_EQ(log.find("alert(1)"), std::string::npos) << log;
}

TEST_F(NamedApiKeysTest, BadNameExpiryOrTypeIs400AndMakesNothing) {
  struct Case {
    json body;
    const char* code;
  };
  const std::vector<Case> cases = {
      {{{"role", "read"}, {"name", 42}}, "invalid_name"},
      {{{"role", "read"}, {"name", json::array({"a"})}}, "invalid_name"},
      {{{"role", "read"}, {"name", ""}}, "invalid_name"},
      {{{"role", "read"}, {"name", std::string(129, 'x')}}, "invalid_name"},
      {{{"role", "read"}, {"name", "line\nbreak"}}, "invalid_name"},
      {{{"role", "read"}, {"name", "esc\x1b[2J"}}, "invalid_name"},
      {{{"role", "read"}, {"name", "bidi \xe2\x80\xae"}}, "invalid_name"},
      {{{"role", "read"}, {"expires_at", 4102444800}}, "invalid_expires_at"},
      {{{"role", "read"}, {"expires_at", json::object()}}, "invalid_expires_at"},
      {{{"role", "read"}, {"expires_at", "2099-01-01"}}, "invalid_expires_at"},
      {{{"role", "read"}, {"expires_at", "2099-01-01T00:00:00"}}, "invalid_expires_at"},
      {{{"role", "read"}, {"expires_at", "2099-02-30T00:00:00Z"}}, "invalid_expires_at"},
      {{{"role", "read"}, {"expires_at", "2001-01-01T00:00:00Z"}}, "invalid_expires_at"},
      {{{"role", "read"}, {"expires_at", Rfc3339In(-1000)}}, "invalid_expires_at"},
      {{{"role", "read"}, {"label", "x"}}, "unknown_field"},
      {{{"role", 1}, {"name", "fine"}}, "invalid_role"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body.dump());
    auto r = server_.Post("/admin/v1/tenants/acme/apikeys", c.body.dump(), admin_);
    EXPECT_EQ(r->status, 400) << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/problem+json");
    EXPECT_EQ(json::parse(r->body)["code"], c.code) << r->body;
  }
  // A body that is not valid UTF-8 never reaches the name check.
  auto bytes = server_.Post("/admin/v1/tenants/acme/apikeys", "{\"role\":\"read\",\"name\":\"\xff\"}", admin_);
  EXPECT_EQ(bytes->status, 400);
  EXPECT_EQ(json::parse(bytes->body)["code"], "malformed_json");
  EXPECT_EQ(Keys(admin_).size(), 1u);  // only the fixture's admin key
  EXPECT_EQ(CreateEntries().size(), 1u);
  // null is the same as leaving it out.
  auto nulls = server_.Post("/admin/v1/tenants/acme/apikeys", R"({"role":"read","name":null,"expires_at":null})", admin_);
  EXPECT_EQ(nulls->status, 201) << nulls->body;
}

// The server runs on the real clock, so the key is made to expire a few
// seconds ahead and used until it is refused: no assertion on how long
// that takes. Its refusals are key_expired (a wrong secret stays
// invalid_token), in the access log and the metrics as acme's, and after a
// restart.
TEST_F(NamedApiKeysTest, AKeyPastItsExpiryGets401KeyExpired) {
  std::string token;
  for (int64_t ahead_ms : {2000, 10'000, 60'000}) {  // a slow machine may need the margin
    auto made = server_.Post("/admin/v1/tenants/acme/apikeys",
                             json{{"role", "read"}, {"expires_at", Rfc3339In(ahead_ms)}}.dump(), admin_);
    if (made->status == 201) {
      token = json::parse(made->body)["token"].get<std::string>();
      break;
    }
    EXPECT_EQ(json::parse(made->body)["code"], "invalid_expires_at") << made->body;
  }
  ASSERT_FALSE(token.empty());
  std::optional<httplib::Response> last;
  for (int i = 0; i < 1200; ++i) {  // a bound, not an expectation: 2 minutes
    auto r = server_.Get("/v1/usage", token);
    ASSERT_TRUE(r);
    last = *r;
    if (last->status != 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(last->status, 401) << last->body;
  EXPECT_EQ(json::parse(last->body)["code"], "key_expired");
  EXPECT_EQ(last->get_header_value("WWW-Authenticate"), "Bearer realm=\"tenantkv\"");
  std::string wrong = token;
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  EXPECT_EQ(json::parse(server_.Get("/v1/usage", wrong)->body)["code"], "invalid_token");
  EXPECT_EQ(server_.Get("/v1/usage", admin_)->status, 200);  // others unaffected

  auto metrics = server_.Get("/metrics", server_.operator_token());
  ASSERT_EQ(metrics->status, 200);
  EXPECT_NE(metrics->body.find(R"(tenantkv_requests_total{tenant="acme",method="GET",route="/v1/usage",code="401"})"),
            std::string::npos);

  ASSERT_EQ(server_.Terminate(), 0);  // flushes the access log
  const std::string log = server_.ReadLog();
  EXPECT_NE(log.find(R"("tenant":"acme","method":"GET","route":"/v1/usage","status":401,"code":"key_expired")"),
            std::string::npos)
      << log;
  server_.Start();
  auto after = server_.Get("/v1/usage", token);
  EXPECT_EQ(after->status, 401);
  EXPECT_EQ(json::parse(after->body)["code"], "key_expired");
}

}  // namespace
}  // namespace tenantkv::testing

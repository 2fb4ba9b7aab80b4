// The data API end to end over HTTP: the behaviour api.md promises.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>

#include "server/http/base64.h"
#include "tests/testing/test_server.h"

namespace tenantkv::testing {
namespace {

using nlohmann::json;

class DataApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Start();
    server_.CreateTenant("acme");
    token_ = server_.CreateKey("acme", "write");
  }
  // Sets fields of acme's quota as the operator.
  void SetQuota(const json& fields) {
    auto r = server_.Client()->Put("/admin/v1/tenants/acme/quota",
                                   {{"Authorization", "Bearer " + server_.operator_token()}}, fields.dump(),
                                   "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
  }
  TestServer server_;
  std::string token_;
};

TEST_F(DataApiTest, PutGetHeadDelete) {
  auto put = server_.Put(KvPath("user/1"), "hello", token_);
  ASSERT_EQ(put->status, 201);
  const std::string etag = put->get_header_value("ETag");
  ASSERT_EQ(etag.size(), 26u);  // quoted 24 hex
  auto get = server_.Get(KvPath("user/1"), token_);
  EXPECT_EQ(get->status, 200);
  EXPECT_EQ(get->body, "hello");
  EXPECT_EQ(get->get_header_value("ETag"), etag);
  EXPECT_EQ(get->get_header_value("Content-Type"), "application/octet-stream");
  auto head = server_.Client()->Head(KvPath("user/1"), {{"Authorization", "Bearer " + token_}});
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->get_header_value("Content-Length"), "5");
  EXPECT_TRUE(head->body.empty());
  auto replace = server_.Put(KvPath("user/1"), "again", token_);
  EXPECT_EQ(replace->status, 204);
  EXPECT_NE(replace->get_header_value("ETag"), etag);
  EXPECT_EQ(server_.Delete(KvPath("user/1"), token_)->status, 204);
  EXPECT_EQ(server_.Get(KvPath("user/1"), token_)->status, 404);
  EXPECT_EQ(server_.Delete(KvPath("user/1"), token_)->status, 404);
}

TEST_F(DataApiTest, BinaryKeysAndValuesRoundTrip) {
  std::string key = std::string("k\x00\xff/%+ \n", 9);
  std::string value;
  for (int i = 0; i < 256; ++i) value.push_back(static_cast<char>(i));
  ASSERT_EQ(server_.Put(KvPath(key), value, token_)->status, 201);
  auto get = server_.Get(KvPath(key), token_);
  ASSERT_EQ(get->status, 200);
  EXPECT_EQ(get->body, value);
  // "%2F" and "/" name the same key; "+" in a path is a literal plus.
  ASSERT_EQ(server_.Put("/v1/kv/a%2Fb", "1", token_)->status, 201);
  EXPECT_EQ(server_.Get("/v1/kv/a/b", token_)->body, "1");
  ASSERT_EQ(server_.Put("/v1/kv/a+b", "2", token_)->status, 201);
  EXPECT_EQ(server_.Get("/v1/kv/a%2Bb", token_)->body, "2");
}

TEST_F(DataApiTest, ConditionalRequests) {
  auto put = server_.Put(KvPath("doc"), "v1", token_, {{"If-None-Match", "*"}});
  ASSERT_EQ(put->status, 201);
  const std::string etag = put->get_header_value("ETag");
  auto again = server_.Put(KvPath("doc"), "v1b", token_, {{"If-None-Match", "*"}});
  EXPECT_EQ(again->status, 412);
  EXPECT_EQ(json::parse(again->body)["code"], "precondition_failed");
  EXPECT_EQ(server_.Put(KvPath("doc"), "v2", token_, {{"If-Match", "\"000000000000000000000000\""}})->status, 412);
  auto ok = server_.Put(KvPath("doc"), "v2", token_, {{"If-Match", etag}});
  ASSERT_EQ(ok->status, 204);
  const std::string etag2 = ok->get_header_value("ETag");
  auto not_modified = server_.Get(KvPath("doc"), token_, {{"If-None-Match", etag2}});
  EXPECT_EQ(not_modified->status, 304);
  EXPECT_TRUE(not_modified->body.empty());
  EXPECT_EQ(server_.Get(KvPath("doc"), token_, {{"If-None-Match", etag}})->status, 200);
  EXPECT_EQ(server_.Delete(KvPath("doc"), token_, {{"If-Match", etag}})->status, 412);
  EXPECT_EQ(server_.Delete(KvPath("doc"), token_, {{"If-Match", etag2}})->status, 204);
  EXPECT_EQ(server_.Put(KvPath("doc"), "v3", token_, {{"If-Match", "*"}})->status, 412);
}

TEST_F(DataApiTest, ListPaginatesWithCursor) {
  for (int i = 0; i < 25; ++i) {
    char key[16];
    std::snprintf(key, sizeof(key), "p/%02d", i);
    ASSERT_EQ(server_.Put(KvPath(key), std::string(static_cast<size_t>(i), 'x'), token_)->status, 201);
  }
  ASSERT_EQ(server_.Put(KvPath("q"), "other prefix", token_)->status, 201);
  std::vector<std::string> seen;
  std::string cursor;
  int pages = 0;
  while (true) {
    std::string path = "/v1/kv?prefix=p%2F&limit=10";
    if (!cursor.empty()) path += "&start_after=" + KvPath(cursor).substr(7);
    auto r = server_.Get(path, token_);
    ASSERT_EQ(r->status, 200) << r->body;
    auto j = json::parse(r->body);
    ++pages;
    for (auto& item : j["items"]) {
      seen.push_back(item["key"]);
      EXPECT_EQ(item["size"], std::stoi(item["key"].get<std::string>().substr(2)));
      EXPECT_FALSE(item.contains("value_b64"));
    }
    if (j["next"].is_null()) break;
    cursor = j["next"];
    EXPECT_EQ(cursor, seen.back());
  }
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(seen.size(), 25u);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  auto with_values = json::parse(server_.Get("/v1/kv?prefix=q&values=true", token_)->body);
  EXPECT_EQ(with_values["items"][0]["value_b64"], "b3RoZXIgcHJlZml4");
}

TEST_F(DataApiTest, BatchIsAtomicAndOrdered) {
  ASSERT_EQ(server_.Put(KvPath("old"), "o", token_)->status, 201);
  json ops = {{"ops",
               {{{"op", "put"}, {"key", "n1"}, {"value_b64", "MQ=="}},
                {{"op", "get"}, {"key", "n1"}},
                {{"op", "put"}, {"key", "old"}, {"value_b64", "Mg=="}},
                {{"op", "delete"}, {"key", "missing"}},
                {{"op", "delete"}, {"key", "n1"}},
                {{"op", "get"}, {"key", "n1"}}}}};
  auto r = server_.Post("/v1/batch", ops.dump(), token_);
  ASSERT_EQ(r->status, 200) << r->body;
  auto res = json::parse(r->body)["results"];
  ASSERT_EQ(res.size(), 6u);
  EXPECT_EQ(res[0]["status"], 201);
  EXPECT_EQ(res[1]["status"], 200);
  EXPECT_EQ(res[1]["value_b64"], "MQ==");
  EXPECT_EQ(res[2]["status"], 204);
  EXPECT_EQ(res[3]["status"], 404);
  EXPECT_EQ(res[4]["status"], 204);
  EXPECT_EQ(res[5]["status"], 404);
  EXPECT_EQ(server_.Get(KvPath("old"), token_)->body, "2");
  // One bad op: 400 and nothing applied.
  json bad = {{"ops",
               {{{"op", "put"}, {"key", "x1"}, {"value_b64", "MQ=="}},
                {{"op", "put"}, {"key", "x2"}, {"value_b64", "not base64!"}}}}};
  auto rb = server_.Post("/v1/batch", bad.dump(), token_);
  EXPECT_EQ(rb->status, 400);
  EXPECT_EQ(server_.Get(KvPath("x1"), token_)->status, 404);
}

// Every page of a list with values, from the first (keys under `prefix`).
std::vector<json> ListPages(const TestServer& server, const std::string& token, const std::string& prefix) {
  std::vector<json> pages;
  std::string cursor;
  while (pages.size() < 100) {
    std::string path = "/v1/kv?values=true&limit=100&prefix=" + KvPath(prefix).substr(7);
    if (!cursor.empty()) path += "&start_after=" + KvPath(cursor).substr(7);
    auto r = server.Get(path, token);
    EXPECT_TRUE(r);
    if (!r) break;
    EXPECT_EQ(r->status, 200) << r->body;
    pages.push_back(json::parse(r->body));
    if (pages.back()["next"].is_null()) break;
    cursor = pages.back()["next"];
  }
  return pages;
}

json Gets(const std::string& key, int n, json ops = json::array()) {
  for (int i = 0; i < n; ++i) ops.push_back({{"op", "get"}, {"key", key}});
  return json{{"ops", ops}};
}

// The raw value bytes of one list page stop at the bound (here the
// tenant's burst_read_bytes, smaller than the server's 16 MiB), and
// `next` continues where the page stopped.
TEST_F(DataApiTest, ListPageStopsAtTheValueBoundAndNextContinues) {
  SetQuota({{"burst_read_bytes", 3000}, {"read_bytes_per_sec", 100 << 20}});
  std::map<std::string, std::string> stored;
  for (int i = 0; i < 10; ++i) {
    char key[16];
    std::snprintf(key, sizeof(key), "v/%02d", i);
    stored[key] = std::string(1000, static_cast<char>('a' + i));
    ASSERT_EQ(server_.Put(KvPath(key), stored[key], token_)->status, 201);
  }
  std::map<std::string, std::string> seen;
  const std::vector<json> pages = ListPages(server_, token_, "v/");
  for (const json& page : pages) {
    size_t value_bytes = 0;
    for (const auto& item : page["items"]) {
      auto value = server::Base64Decode(item["value_b64"].get<std::string>());
      ASSERT_TRUE(value.has_value());
      value_bytes += value->size();
      seen[item["key"]] = *value;
    }
    EXPECT_LE(value_bytes, 3000u);
    if (!page["next"].is_null()) {
      EXPECT_EQ(page["next"], page["items"].back()["key"]);
    }
  }
  ASSERT_FALSE(pages.empty());
  EXPECT_EQ(pages[0]["items"].size(), 3u);
  EXPECT_EQ(pages[0]["next"], "v/02");
  EXPECT_EQ(pages.size(), 4u);
  EXPECT_EQ(seen, stored);
}

// A batch whose gets would answer more value bytes than the bound is
// refused whole: 413 naming the bound, and its writes are not applied.
TEST_F(DataApiTest, BatchWhoseGetsPassTheValueBoundIsRefusedAndAppliesNothing) {
  SetQuota({{"burst_read_bytes", 3000}, {"read_bytes_per_sec", 100 << 20}});
  ASSERT_EQ(server_.Put(KvPath("big"), std::string(1000, 'b'), token_)->status, 201);
  const json put_new = json::array({{{"op", "put"}, {"key", "new"}, {"value_b64", "MQ=="}}});
  auto refused = server_.Post("/v1/batch", Gets("big", 4, put_new).dump(), token_);
  ASSERT_TRUE(refused);
  ASSERT_EQ(refused->status, 413) << refused->body.substr(0, 300);
  auto problem = json::parse(refused->body);
  EXPECT_EQ(problem["code"], "response_too_large");
  EXPECT_NE(problem["detail"].get<std::string>().find("3000"), std::string::npos) << refused->body;
  EXPECT_FALSE(refused->has_header("Retry-After"));
  EXPECT_EQ(server_.Get(KvPath("new"), token_)->status, 404);
  // Within the bound the same batch is served.
  auto served = server_.Post("/v1/batch", Gets("big", 3, put_new).dump(), token_);
  ASSERT_EQ(served->status, 200) << served->body.substr(0, 300);
  EXPECT_EQ(server_.Get(KvPath("new"), token_)->body, "1");
}

// The server's own bound (--max-response-value-bytes) applies to every
// tenant, below a larger burst_read_bytes.
TEST(DataApiBoundTest, TheServerSettingBoundsEveryAnswer) {
  TestServer server({"--max-response-value-bytes", "2500"});
  server.Start();
  server.CreateTenant("acme");
  const std::string token = server.CreateKey("acme", "write");
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(server.Put(KvPath("w/" + std::to_string(i)), std::string(1000, 'w'), token)->status, 201);
  }
  const std::vector<json> pages = ListPages(server, token, "w/");
  ASSERT_EQ(pages.size(), 3u);
  EXPECT_EQ(pages[0]["items"].size(), 2u);
  EXPECT_EQ(pages[2]["items"].size(), 1u);
  auto refused = server.Post("/v1/batch", Gets("w/0", 3).dump(), token);
  ASSERT_EQ(refused->status, 413) << refused->body.substr(0, 300);
  EXPECT_NE(json::parse(refused->body)["detail"].get<std::string>().find("2500"), std::string::npos);
  EXPECT_EQ(server.Post("/v1/batch", Gets("w/0", 2).dump(), token)->status, 200);
}

TEST_F(DataApiTest, TtlExpiresValues) {
  ASSERT_EQ(server_.Put(KvPath("short"), "v", token_, {{"Ttl-Seconds", "1"}})->status, 201);
  ASSERT_EQ(server_.Put(KvPath("long"), "v", token_, {{"Ttl-Seconds", "3600"}})->status, 201);
  EXPECT_EQ(server_.Get(KvPath("short"), token_)->status, 200);
  // Poll (bounded) rather than assert on timing.
  int status = 200;
  for (int i = 0; i < 60 && status == 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    status = server_.Get(KvPath("short"), token_)->status;
  }
  EXPECT_EQ(status, 404);
  EXPECT_EQ(server_.Get(KvPath("long"), token_)->status, 200);
  auto list = json::parse(server_.Get("/v1/kv", token_)->body);
  ASSERT_EQ(list["items"].size(), 1u);
  EXPECT_EQ(list["items"][0]["key"], "long");
}

TEST_F(DataApiTest, UsageCountsTheRefusalsTheTenantMet) {
  auto before = json::parse(server_.Get("/v1/usage", token_)->body);
  ASSERT_TRUE(before.contains("throttled")) << before.dump();
  EXPECT_EQ(before["throttled"]["rate_limited"], 0);
  EXPECT_EQ(before["throttled"].size(), 10u);  // every reason, at 0 or more
  SetQuota({{"requests_per_sec", 1}, {"burst_requests", 1}});
  int refused = 0;
  for (int i = 0; i < 5; ++i) {
    auto r = server_.Get(KvPath("k"), token_);
    ASSERT_TRUE(r);
    if (r->status == 429) ++refused;
  }
  ASSERT_GE(refused, 3);
  // The usage call needs a token of its own: at 1 per second one comes back.
  json after;
  for (int i = 0; i < 50 && after.is_null(); ++i) {
    auto r = server_.Get("/v1/usage", token_);
    ASSERT_TRUE(r);
    if (r->status == 200) after = json::parse(r->body);
    else std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(after.is_null()) << "no request token came back";
  EXPECT_GE(after["throttled"]["rate_limited"].get<int>(), refused);
  EXPECT_EQ(after["throttled"]["storage_quota"], 0);
}

TEST_F(DataApiTest, UsageCountsKeysAndBytes) {
  ASSERT_EQ(server_.Put(KvPath("ab"), "12345", token_)->status, 201);
  ASSERT_EQ(server_.Put(KvPath("c"), "1", token_)->status, 201);
  ASSERT_EQ(server_.Put(KvPath("c"), "123", token_)->status, 204);
  auto u = json::parse(server_.Get("/v1/usage", token_)->body);
  EXPECT_EQ(u["tenant"], "acme");
  EXPECT_EQ(u["plan"], "standard");  // the plan of a tenant created without one
  EXPECT_EQ(u["usage"]["keys"], 2);
  EXPECT_EQ(u["usage"]["logical_bytes"], 2 + 5 + 1 + 3);
  EXPECT_EQ(u["quotas"]["max_value_bytes"]["limit"], 1 << 20);
}

TEST_F(DataApiTest, RequestIdIsEchoedOrMade) {
  auto mine = server_.Get("/healthz", "", {{"X-Request-Id", "trace-42"}});
  EXPECT_EQ(mine->get_header_value("X-Request-Id"), "trace-42");
  auto made = server_.Get("/healthz", "");
  EXPECT_FALSE(made->get_header_value("X-Request-Id").empty());
  auto bad = server_.Get("/nope", "", {{"X-Request-Id", "has space"}});
  EXPECT_EQ(bad->status, 404);
  EXPECT_NE(bad->get_header_value("X-Request-Id"), "has space");
  EXPECT_FALSE(bad->get_header_value("X-Request-Id").empty());
}

TEST_F(DataApiTest, HealthAndReadiness) {
  EXPECT_EQ(server_.Get("/healthz", "")->status, 200);
  EXPECT_EQ(server_.Get("/readyz", "")->status, 200);
}

TEST_F(DataApiTest, GracefulShutdownExitsZeroAndKeepsData) {
  ASSERT_EQ(server_.Put(KvPath("kept"), "yes", token_)->status, 201);
  EXPECT_EQ(server_.Terminate(), 0);
  server_.Start();
  EXPECT_EQ(server_.Get(KvPath("kept"), token_)->body, "yes");
}

}  // namespace
}  // namespace tenantkv::testing

// Acknowledged writes survive kill -9 of the server.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "tests/server/test_server.h"

namespace tenantkv::testing {
namespace {

using nlohmann::json;

void WriteAndKill(TestServer& server, bool concurrent) {
  server.Start();
  server.CreateTenant("t1");
  server.CreateTenant("t2");
  const std::string k1 = server.CreateKey("t1", "write");
  const std::string k2 = server.CreateKey("t2", "write");
  std::mutex mu;
  std::map<std::pair<int, std::string>, std::string> acked;  // (tenant, key) -> value
  auto writer = [&](int tenant, const std::string& token, int n) {
    auto cli = server.Client();
    for (int i = 0; i < n; ++i) {
      const std::string key = "k" + std::to_string(i % 150);
      const std::string value = "v" + std::to_string(tenant) + "-" + std::to_string(i);
      auto r = cli->Put(KvPath(key), {{"Authorization", "Bearer " + token}}, value,
                        "application/octet-stream");
      if (r && (r->status == 201 || r->status == 204)) {
        std::lock_guard<std::mutex> lock(mu);
        acked[{tenant, key}] = value;
      }
    }
    json batch = {{"ops", {{{"op", "put"}, {"key", "b1"}, {"value_b64", "YmF0Y2g="}},
                           {{"op", "delete"}, {"key", "k0"}}}}};
    auto r = cli->Post("/v1/batch", {{"Authorization", "Bearer " + token}}, batch.dump(),
                       "application/json");
    if (r && r->status == 200) {
      std::lock_guard<std::mutex> lock(mu);
      acked[{tenant, "b1"}] = "batch";
      acked.erase({tenant, "k0"});
      acked[{tenant, "k0"}] = "<absent>";
    }
  };
  if (concurrent) {
    std::thread a(writer, 1, k1, 400), b(writer, 2, k2, 400);
    a.join();
    b.join();
  } else {
    writer(1, k1, 200);
    writer(2, k2, 200);
  }
  server.Kill9();  // no flush, no clean shutdown
  server.Start();
  for (const auto& [tk, value] : acked) {
    const std::string& token = tk.first == 1 ? k1 : k2;
    SCOPED_TRACE("tenant " + std::to_string(tk.first) + " key " + tk.second);
    auto r = server.Get(KvPath(tk.second), token);
    ASSERT_TRUE(r);
    if (value == "<absent>") {
      EXPECT_EQ(r->status, 404);
    } else {
      EXPECT_EQ(r->status, 200);
      EXPECT_EQ(r->body, value);
    }
  }
  // Usage counters were committed with the data: they equal a recount.
  for (int t = 1; t <= 2; ++t) {
    const std::string& token = t == 1 ? k1 : k2;
    auto list = json::parse(server.Get("/v1/kv?limit=1000", token)->body);
    int64_t bytes = 0;
    for (auto& item : list["items"]) bytes += item["key"].get<std::string>().size() + item["size"].get<int64_t>();
    auto usage = json::parse(server.Get("/v1/usage", token)->body);
    EXPECT_EQ(usage["usage"]["keys"], list["items"].size());
    EXPECT_EQ(usage["usage"]["logical_bytes"], bytes);
  }
}

TEST(Durability, AcknowledgedWritesSurviveKill9) {
  TestServer server;
  WriteAndKill(server, /*concurrent=*/true);
}

TEST(Durability, AcknowledgedWritesSurviveKill9WithSyncWrites) {
  TestServer server({"--sync-writes"});
  WriteAndKill(server, /*concurrent=*/false);
}

TEST(Durability, TenantsAndKeysSurviveKill9) {
  TestServer server;
  server.Start();
  server.CreateTenant("solid");
  const std::string token = server.CreateKey("solid", "read");
  server.Kill9();
  server.Start();
  EXPECT_EQ(server.Get(KvPath("absent"), token)->status, 404);  // token still valid
  EXPECT_EQ(server.Get("/admin/v1/tenants/solid", server.operator_token())->status, 200);
}

}  // namespace
}  // namespace tenantkv::testing

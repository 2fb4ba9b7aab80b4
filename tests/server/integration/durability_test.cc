// Acknowledged writes survive kill -9 of the server (a single kill after
// all writes were answered; crash_consistency_test.cc kills mid-stream).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <thread>
#include <vector>

#include "tests/testing/crash_check.h"
#include "tests/testing/test_server.h"

namespace tenantkv::testing {
namespace {

using nlohmann::json;

void WriteAndKill(TestServer& server, bool concurrent) {
  server.Start();
  server.CreateTenant("t1");
  server.CreateTenant("t2");
  const std::vector<TenantHandle> tenants = {{"t1", server.CreateKey("t1", "write")},
                                             {"t2", server.CreateKey("t2", "write")}};
  WriteLedger ledger;
  auto writer = [&](const TenantHandle& t, int n) {
    auto cli = server.Client();
    const httplib::Headers auth = {{"Authorization", "Bearer " + t.token}};
    for (int i = 0; i < n; ++i) {
      const std::string key = "k" + std::to_string(i % 150);
      const std::string value = "v" + t.id + "-" + std::to_string(i);
      const int64_t ticket = ledger.Begin(t.id, {{key, value}});
      auto r = cli->Put(KvPath(key), auth, value, "application/octet-stream");
      if (r && (r->status == 201 || r->status == 204)) {
        ledger.Acknowledge(ticket);
      } else if (r) {
        ledger.Refused(ticket);  // answered with an error (e.g. throttled): not written
      }
    }
    json batch = {{"ops", {{{"op", "put"}, {"key", "b1"}, {"value_b64", "YmF0Y2g="}},
                           {{"op", "delete"}, {"key", "k0"}}}}};
    const int64_t ticket = ledger.Begin(t.id, {{"b1", "batch"}, {"k0", std::nullopt}});
    auto r = cli->Post("/v1/batch", auth, batch.dump(), "application/json");
    if (r && r->status == 200) {
      ledger.Acknowledge(ticket);
    } else if (r) {
      ledger.Refused(ticket);
    }
  };
  if (concurrent) {
    std::thread a(writer, tenants[0], 400), b(writer, tenants[1], 400);
    a.join();
    b.join();
  } else {
    writer(tenants[0], 200);
    writer(tenants[1], 200);
  }
  // Nothing was in flight: every write was answered before the kill.
  EXPECT_EQ(ledger.unresolved_writes(), 0);
  EXPECT_GT(ledger.acknowledged_ops(), 0);
  server.Kill9();  // no flush, no clean shutdown
  server.Start();
  // Every acknowledged write is there (list and GET), nothing else is, and
  // the usage counters committed with the data equal a recount.
  int64_t checked = 0;
  for (const auto& v : VerifyAfterRestart(server, ledger, tenants, &checked)) ADD_FAILURE() << v;
  EXPECT_EQ(checked, 2 * 151);
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

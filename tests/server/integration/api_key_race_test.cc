// API keys made while their tenant is deleted, over HTTP against the real
// server: many threads make admin keys with the tenant's own admin key
// while the operator deletes the tenant and creates the same id again.
// Afterwards no token they were given may authenticate.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing/test_server.h"

namespace tenantkv::testing {
namespace {

TEST(ApiKeyRace, KeysMadeWhileTheTenantIsDeletedNeverAuthenticate) {
  constexpr int kThreads = 24;
  constexpr int kRounds = 5;
  // Backoff off: the check below makes thousands of refused calls on purpose.
  TestServer server({"--auth-fail-limit", "0"});
  server.Start();
  const std::string op = server.operator_token();
  server.CreateTenant("acme");
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> tokens;  // GUARDED_BY(mu)
  for (int round = 0; round < kRounds; ++round) {
    const std::string admin = server.CreateKey("acme", "admin");
    ASSERT_FALSE(admin.empty());
    bool stop = false;  // GUARDED_BY(mu)
    int started = 0;    // GUARDED_BY(mu): threads that made a key this round
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&] {
        auto cli = server.Client();
        const httplib::Headers auth = {{"Authorization", "Bearer " + admin}};
        bool counted = false;
        for (;;) {
          {
            std::lock_guard lock(mu);
            if (stop) return;
          }
          auto r = cli->Post("/admin/v1/tenants/acme/apikeys", auth, R"({"role":"admin"})", "application/json");
          if (!r || r->status != 201) continue;
          auto j = nlohmann::json::parse(r->body, nullptr, false);
          std::lock_guard lock(mu);
          if (j.is_object() && j.contains("token")) tokens.push_back(j["token"].get<std::string>());
          if (!counted) {
            counted = true;
            ++started;
            cv.notify_all();
          }
        }
      });
    }
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return started == kThreads; });
    }
    auto deleted = server.Delete("/admin/v1/tenants/acme", op);
    EXPECT_TRUE(deleted && deleted->status == 204) << (deleted ? deleted->body : "no answer");
    server.CreateTenant("acme");
    {
      std::lock_guard lock(mu);
      stop = true;
    }
    for (auto& t : threads) t.join();
  }

  auto cli = server.Client();
  size_t authenticated = 0;
  for (const auto& token : tokens) {
    auto r = cli->Get("/v1/usage", {{"Authorization", "Bearer " + token}});
    ASSERT_TRUE(r);
    if (r->status != 401) ++authenticated;
  }
  std::printf("%zu of %zu tokens made during %d deletes still authenticated\n", authenticated, tokens.size(),
              kRounds);
  EXPECT_EQ(authenticated, 0u) << "of " << tokens.size() << " tokens";
}

}  // namespace
}  // namespace tenantkv::testing

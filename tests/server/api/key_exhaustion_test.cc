// A tenant whose data key reached its seal limit while rotations kept
// failing, as the server shows it: writes answered 503 key_exhausted with
// Retry-After, and the alert series on /metrics, per tenant, until a
// rotation succeeds. An in-process engine whose key provider can be made
// to fail its wraps.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/testing/memory_key_provider.h"
#include "engine/engine.h"
#include "server/http/http_status.h"
#include "server/observe/metrics.h"

namespace tenantkv::server {
namespace {

// A memory provider whose wraps fail while `fail` is set (an HSM that
// cannot be reached): data keys cannot be made, so rotations fail.
class FlakyKeyProvider final : public crypto::KeyProvider {
 public:
  explicit FlakyKeyProvider(std::atomic<bool>* fail) : fail_(fail) {}
  uint32_t CurrentVersion() const override { return keys_.CurrentVersion(); }
  std::vector<uint32_t> Versions() const override { return keys_.Versions(); }
  Result<std::string> Wrap(uint32_t version, std::string_view context,
                           const crypto::SecretBytes& plain) const override {
    if (fail_->load()) return Status::Unavailable("the key provider is unreachable (test)", "key_unavailable");
    return keys_.Wrap(version, context, plain);
  }
  Result<crypto::SecretBytes> Unwrap(uint32_t version, std::string_view context,
                                     std::string_view wrapped) const override {
    return keys_.Unwrap(version, context, wrapped);
  }
  Result<uint32_t> AddVersion() override { return keys_.AddVersion(); }
  Status Retire(uint32_t version) override { return keys_.Retire(version); }
  std::string Describe() const override { return "flaky-memory"; }

 private:
  crypto::MemoryKeyProvider keys_;
  std::atomic<bool>* const fail_;
};

bool HasLine(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

TEST(KeyExhaustion, RefusedWritesAre503AndRaiseThePerTenantAlert) {
  char tmpl[] = "/tmp/tenantkv-exhaust-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  std::atomic<bool> fail{false};
  {
    engine::EngineOptions o;
    o.data_dir = dir + "/data";
    o.max_seals_per_key = 3;  // the limit is 6
    o.background_jobs = false;
    o.spare_column_families = 2;
    auto e = engine::Engine::Open(o, std::make_unique<FlakyKeyProvider>(&fail));
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine::Engine& engine = **e;
    ASSERT_TRUE(engine.CreateTenant("acme", "").ok());
    ASSERT_TRUE(engine.CreateTenant("other", "").ok());
    Metrics metrics(&engine);
    fail = true;
    engine::TenantStore& store = engine.tenants().Get("acme").value()->store();
    for (int i = 0; i < 6; ++i) {
      ASSERT_TRUE(store.Put("k" + std::to_string(i), "v", {}).ok()) << i;
      engine.key_lifecycle().RunAutoRotationsForTest();
    }
    EXPECT_TRUE(HasLine(metrics.Render(), "tenantkv_key_exhausted{tenant=\"acme\"} 1"));

    auto refused = store.Put("k6", "v", {});
    ASSERT_FALSE(refused.ok());
    HttpResponse res;
    WriteProblem(res, refused.status());
    EXPECT_EQ(res.status, 503);
    EXPECT_EQ(nlohmann::json::parse(res.body)["code"], "key_exhausted");
    EXPECT_EQ(res.Header("Retry-After"), "1");
    EXPECT_TRUE(store.Get("k0").ok()) << "reads keep working";

    const std::string text = metrics.Render();
    EXPECT_TRUE(HasLine(text, "tenantkv_key_exhausted{tenant=\"acme\"} 1")) << text;
    EXPECT_TRUE(HasLine(text, "tenantkv_key_exhausted{tenant=\"other\"} 0"));
    EXPECT_TRUE(HasLine(text, "tenantkv_key_exhausted_refusals_total{tenant=\"acme\"} 1"));
    EXPECT_TRUE(HasLine(text, "tenantkv_key_exhausted_refusals_total{tenant=\"other\"} 0"));

    // The provider is back: the rotation the refusal asked for succeeds.
    fail = false;
    engine.key_lifecycle().RunAutoRotationsForTest();
    EXPECT_TRUE(store.Put("k6", "v", {}).ok());
    EXPECT_TRUE(HasLine(metrics.Render(), "tenantkv_key_exhausted{tenant=\"acme\"} 0"));
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tenantkv::server

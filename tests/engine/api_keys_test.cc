#include "engine/api_keys.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "tests/engine/test_util.h"

namespace tenantkv::engine::testutil {
namespace {

void ExpectInvalidToken(const Result<ApiKeyInfo>& r) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnauthenticated) << r.status().ToString();
  EXPECT_EQ(r.status().reason(), "invalid_token");
}

class ApiKeys : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(h_.Open());
    ASSERT_TRUE(h_->tenants().Create("acme", "").ok());
    ASSERT_TRUE(h_->tenants().Create("globex", "").ok());
  }
  ApiKeyStore& keys() { return h_->api_keys(); }
  NewApiKey MustCreate(const std::string& tenant, Role role) {
    auto k = keys().Create(tenant, role);
    EXPECT_TRUE(k.ok()) << k.status().ToString();
    return k.ok() ? *k : NewApiKey{};
  }
  EngineHarness h_;
};

TEST_F(ApiKeys, CreateReturnsAWellFormedToken) {
  const int64_t now = h_.clock().NowUnixMillis();
  NewApiKey k = MustCreate("acme", Role::kWrite);
  EXPECT_TRUE(std::regex_match(k.token, std::regex("tkv_[0-9a-f]{16}_[0-9a-f]{64}"))) << k.token;
  EXPECT_EQ(k.token.substr(4, 16), k.info.key_id);
  EXPECT_EQ(k.info.tenant, "acme");
  EXPECT_EQ(k.info.role, Role::kWrite);
  EXPECT_EQ(k.info.created_at_ms, now);
  EXPECT_FALSE(k.info.revoked());
  NewApiKey other = MustCreate("acme", Role::kWrite);
  EXPECT_NE(other.token, k.token);
  EXPECT_NE(other.info.key_id, k.info.key_id);
}

TEST_F(ApiKeys, AuthenticatesItsToken) {
  NewApiKey k = MustCreate("acme", Role::kAdmin);
  auto info = keys().Authenticate(k.token);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->key_id, k.info.key_id);
  EXPECT_EQ(info->tenant, "acme");
  EXPECT_EQ(info->role, Role::kAdmin);
}

TEST_F(ApiKeys, RejectsBadTokens) {
  NewApiKey k = MustCreate("acme", Role::kRead);
  NewApiKey other = MustCreate("globex", Role::kRead);
  std::string wrong_secret = k.token;
  wrong_secret.back() = wrong_secret.back() == '0' ? '1' : '0';
  std::string swapped = k.token.substr(0, 21) + other.token.substr(21);  // k's id, other's secret
  std::string unknown_id = k.token;
  unknown_id[4] = unknown_id[4] == '0' ? '1' : '0';
  std::string upper = k.token;
  for (size_t i = 4; i < upper.size(); ++i) upper[i] = static_cast<char>(std::toupper(upper[i]));
  struct Case {
    const char* name;
    std::string token;
  };
  const std::vector<Case> cases = {
      {"wrong secret", wrong_secret},
      {"another key's secret", swapped},
      {"unknown id", unknown_id},
      {"empty", ""},
      {"garbage", "hello"},
      {"prefix only", "tkv_"},
      {"missing secret", k.token.substr(0, 21)},
      {"truncated", k.token.substr(0, k.token.size() - 1)},
      {"extended", k.token + "0"},
      {"wrong prefix", "tkx_" + k.token.substr(4)},
      {"wrong separator", k.token.substr(0, 20) + "-" + k.token.substr(21)},
      {"uppercase hex", upper},
      {"secret alone", k.token.substr(21)},
      {"bearer prefix", "Bearer " + k.token},
      {"trailing newline", k.token + "\n"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ExpectInvalidToken(keys().Authenticate(c.token));
  }
  EXPECT_TRUE(keys().Authenticate(k.token).ok());
}

TEST_F(ApiKeys, RevokeTakesEffectAtOnce) {
  NewApiKey k = MustCreate("acme", Role::kWrite);
  NewApiKey keep = MustCreate("acme", Role::kWrite);
  ASSERT_TRUE(keys().Authenticate(k.token).ok());
  h_.clock().AdvanceMillis(5000);
  ASSERT_TRUE(keys().Revoke("acme", k.info.key_id).ok());
  ExpectInvalidToken(keys().Authenticate(k.token));
  EXPECT_TRUE(keys().Authenticate(keep.token).ok());
  EXPECT_TRUE(keys().Revoke("acme", k.info.key_id).ok());  // idempotent
  ExpectInvalidToken(keys().Authenticate(k.token));
}

TEST_F(ApiKeys, CannotRevokeAnotherTenantsKey) {
  NewApiKey k = MustCreate("acme", Role::kAdmin);
  Status s = keys().Revoke("globex", k.info.key_id);
  EXPECT_EQ(s.code(), Code::kNotFound) << s.ToString();
  EXPECT_EQ(s.reason(), "apikey_not_found");
  EXPECT_TRUE(keys().Authenticate(k.token).ok());
  EXPECT_EQ(keys().Revoke("acme", "0123456789abcdef").code(), Code::kNotFound);
}

TEST_F(ApiKeys, ListShowsState) {
  NewApiKey first = MustCreate("acme", Role::kRead);
  h_.clock().AdvanceMillis(10);
  NewApiKey second = MustCreate("acme", Role::kWrite);
  MustCreate("globex", Role::kAdmin);
  h_.clock().AdvanceMillis(10);
  const int64_t revoked_at = h_.clock().NowUnixMillis();
  ASSERT_TRUE(keys().Revoke("acme", first.info.key_id).ok());

  auto list = keys().List("acme");
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].key_id, first.info.key_id);  // oldest first
  EXPECT_TRUE(list[0].revoked());
  EXPECT_EQ(list[0].revoked_at_ms, revoked_at);
  EXPECT_EQ(list[0].role, Role::kRead);
  EXPECT_EQ(list[1].key_id, second.info.key_id);
  EXPECT_FALSE(list[1].revoked());
  EXPECT_EQ(list[1].role, Role::kWrite);
  EXPECT_EQ(keys().List("globex").size(), 1u);
  EXPECT_TRUE(keys().List("nobody").empty());
}

TEST_F(ApiKeys, PersistAcrossReopen) {
  NewApiKey active = MustCreate("acme", Role::kWrite);
  NewApiKey revoked = MustCreate("acme", Role::kRead);
  ASSERT_TRUE(keys().Revoke("acme", revoked.info.key_id).ok());

  ASSERT_TRUE(h_.Open());
  auto info = keys().Authenticate(active.token);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->role, Role::kWrite);
  EXPECT_EQ(info->tenant, "acme");
  ExpectInvalidToken(keys().Authenticate(revoked.token));
  auto list = keys().List("acme");
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(std::count_if(list.begin(), list.end(), [](const ApiKeyInfo& i) { return i.revoked(); }), 1);
}

TEST_F(ApiKeys, RemoveTenantRemovesItsKeys) {
  NewApiKey a1 = MustCreate("acme", Role::kRead);
  NewApiKey a2 = MustCreate("acme", Role::kAdmin);
  NewApiKey g = MustCreate("globex", Role::kRead);
  ASSERT_TRUE(keys().RemoveTenant("acme").ok());
  ExpectInvalidToken(keys().Authenticate(a1.token));
  ExpectInvalidToken(keys().Authenticate(a2.token));
  EXPECT_TRUE(keys().List("acme").empty());
  EXPECT_TRUE(keys().Authenticate(g.token).ok());

  ASSERT_TRUE(h_.Open());
  ExpectInvalidToken(keys().Authenticate(a1.token));
  EXPECT_TRUE(keys().List("acme").empty());
  EXPECT_TRUE(keys().Authenticate(g.token).ok());
}

TEST_F(ApiKeys, DeletingATenantRevokesItsKeys) {
  NewApiKey a = MustCreate("acme", Role::kAdmin);
  NewApiKey g = MustCreate("globex", Role::kAdmin);
  ASSERT_TRUE(h_->DeleteTenant("acme").ok());
  ExpectInvalidToken(keys().Authenticate(a.token));
  EXPECT_TRUE(keys().Authenticate(g.token).ok());
  ASSERT_TRUE(h_.Open());
  ExpectInvalidToken(keys().Authenticate(a.token));
}

void ExpectAtLimit(const Result<NewApiKey>& r) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kAlreadyExists) << r.status().ToString();
  EXPECT_EQ(r.status().reason(), "api_key_limit");
}

size_t ActiveKeys(ApiKeyStore& store, const std::string& tenant) {
  auto list = store.List(tenant);
  return static_cast<size_t>(std::count_if(list.begin(), list.end(), [](const ApiKeyInfo& i) { return !i.revoked(); }));
}

TEST_F(ApiKeys, ActiveKeysPerTenantAreCapped) {
  h_.options().max_api_keys_per_tenant = 3;
  ASSERT_TRUE(h_.Open());
  NewApiKey first = MustCreate("acme", Role::kRead);
  MustCreate("acme", Role::kWrite);
  MustCreate("acme", Role::kAdmin);
  ExpectAtLimit(keys().Create("acme", Role::kRead));
  MustCreate("globex", Role::kRead);  // another tenant has its own count
  // A revoked key no longer counts.
  ASSERT_TRUE(keys().Revoke("acme", first.info.key_id).ok());
  MustCreate("acme", Role::kRead);
  ExpectAtLimit(keys().Create("acme", Role::kRead));
  // The count is rebuilt at start-up from the stored keys.
  ASSERT_TRUE(h_.Open());
  ExpectAtLimit(keys().Create("acme", Role::kRead));
  EXPECT_EQ(keys().List("acme").size(), 4u);
  // A removed tenant starts again from nothing.
  ASSERT_TRUE(keys().RemoveTenant("acme").ok());
  for (int i = 0; i < 3; ++i) MustCreate("acme", Role::kRead);
  ExpectAtLimit(keys().Create("acme", Role::kRead));
}

TEST_F(ApiKeys, ConcurrentCreatesNeverPassTheCap) {
  h_.options().max_api_keys_per_tenant = 10;
  ASSERT_TRUE(h_.Open());
  std::atomic<int> created{0}, refused{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 6; ++i) {
        auto r = keys().Create("acme", Role::kRead);
        if (r.ok()) {
          created++;
        } else if (r.status().reason() == "api_key_limit") {
          refused++;
        } else {
          failed++;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 10);
  EXPECT_EQ(refused.load(), 38);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(ActiveKeys(keys(), "acme"), 10u);
}

TEST(ApiKeyRole, ParsesNames) {
  for (Role r : {Role::kRead, Role::kWrite, Role::kAdmin}) {
    SCOPED_TRACE(RoleName(r));
    auto parsed = ParseRole(RoleName(r));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, r);
  }
  for (const char* bad : {"", "Read", "root", "admin "}) {
    SCOPED_TRACE(bad);
    auto parsed = ParseRole(bad);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.status().reason(), "invalid_role");
  }
}

}  // namespace
}  // namespace tenantkv::engine::testutil

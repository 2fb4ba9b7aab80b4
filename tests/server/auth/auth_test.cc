#include "server/auth/auth.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/testing/memory_key_provider.h"
#include "engine/engine.h"

namespace tenantkv::server {
namespace {

class AuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tenantkv-auth-XXXXXX";
    dir_ = mkdtemp(tmpl);
    engine::EngineOptions o;
    o.data_dir = dir_ + "/data";
    auto e = engine::Engine::Open(o, std::make_unique<crypto::MemoryKeyProvider>());
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine_ = std::move(e).value();
  }
  void TearDown() override {
    engine_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::string dir_;
  std::unique_ptr<engine::Engine> engine_;
};

TEST_F(AuthTest, OperatorTokenFileIsCreatedPrivateAndReused) {
  bool from_env = true;
  const std::string path = dir_ + "/operator.token";
  auto t1 = LoadOperatorToken("", path, &from_env);
  ASSERT_TRUE(t1.ok()) << t1.status().ToString();
  EXPECT_FALSE(from_env);
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto t2 = LoadOperatorToken("", path, &from_env);
  EXPECT_EQ(*t1, *t2);
  chmod(path.c_str(), 0644);
  auto insecure = LoadOperatorToken("", path, &from_env);
  EXPECT_FALSE(insecure.ok());
  EXPECT_EQ(insecure.status().reason(), "insecure_token_file");
}

TEST_F(AuthTest, OperatorTokenFromEnvironment) {
  bool from_env = false;
  auto t = LoadOperatorToken(std::string(40, 'z'), dir_ + "/unused", &from_env);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(from_env);
  EXPECT_FALSE(LoadOperatorToken("short", dir_ + "/unused", &from_env).ok());
  EXPECT_FALSE(LoadOperatorToken(std::string(513, 'z'), dir_ + "/unused", &from_env).ok());
  EXPECT_FALSE(LoadOperatorToken("tkv_" + std::string(40, 'z'), dir_ + "/unused", &from_env).ok());
  // Nor the shape of a named operator key (those go to the operator-key store).
  EXPECT_FALSE(
      LoadOperatorToken("tkvo_" + std::string(16, 'a') + "_" + std::string(64, 'b'), dir_ + "/unused", &from_env).ok());
  EXPECT_TRUE(LoadOperatorToken("tkvo_" + std::string(40, 'z'), dir_ + "/unused", &from_env).ok());
}

TEST_F(AuthTest, NamedOperatorKeysAreOperatorsWithTheirName) {
  const std::string op(40, 'o');
  Authenticator auth(op, &engine_->api_keys(), &engine_->operator_keys());
  auto key = engine_->operator_keys().Create("alice");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  auto p = auth.Authenticate("Bearer " + key->token);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_TRUE(p->is_operator);
  EXPECT_EQ(p->operator_name, "alice");
  EXPECT_EQ(ActorOf(*p), "operator:alice");
  auto boot = auth.Authenticate("Bearer " + op);
  ASSERT_TRUE(boot.ok());
  EXPECT_EQ(ActorOf(*boot), "operator");
  // Without the store (an Authenticator made without it) the key is nobody.
  Authenticator bootstrap_only(op, &engine_->api_keys());
  EXPECT_EQ(bootstrap_only.Authenticate("Bearer " + key->token).status().reason(), "invalid_token");
  ASSERT_TRUE(engine_->operator_keys().Revoke(key->info.key_id).ok());
  EXPECT_EQ(auth.Authenticate("Bearer " + key->token).status().reason(), "invalid_token");
}

TEST_F(AuthTest, OnlyAnUnknownOperatorKeyIdCallsTheHook) {
  Authenticator auth(std::string(40, 'o'), &engine_->api_keys(), &engine_->operator_keys());
  int calls = 0;
  auth.OnUnknownOperatorKey([&calls] { ++calls; });
  auto key = engine_->operator_keys().Create("alice");
  ASSERT_TRUE(key.ok());
  ASSERT_TRUE(auth.Authenticate("Bearer " + key->token).ok());
  std::string wrong = key->token;
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  EXPECT_EQ(auth.Authenticate("Bearer " + wrong).status().reason(), "invalid_token");
  EXPECT_EQ(calls, 0);  // a known id with a wrong secret: nothing to read
  EXPECT_EQ(auth.Authenticate("Bearer tkvo_" + std::string(16, 'a') + "_" + std::string(64, 'b')).status().reason(),
            "invalid_token");
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(auth.Authenticate("Bearer tkv_" + std::string(16, 'a') + "_" + std::string(64, 'b')).ok());
  EXPECT_FALSE(auth.Authenticate("Bearer " + std::string(40, 'z')).ok());
  EXPECT_EQ(calls, 1);
}

TEST_F(AuthTest, AuthenticatesOperatorAndTenantKeys) {
  const std::string op(40, 'o');
  Authenticator auth(op, &engine_->api_keys());
  auto p = auth.Authenticate("Bearer " + op);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->is_operator);
  auto lower = auth.Authenticate("bearer " + op);
  EXPECT_TRUE(lower.ok());

  ASSERT_TRUE(engine_->tenants().Create("acme", "").ok());
  auto key = engine_->api_keys().Create("acme", engine::Role::kWrite);
  ASSERT_TRUE(key.ok());
  auto t = auth.Authenticate("Bearer " + key->token);
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->is_operator);
  EXPECT_EQ(t->tenant, "acme");
  EXPECT_EQ(t->role, engine::Role::kWrite);

  // The last secret digit changed (a fixed replacement would sometimes be the same digit).
  std::string one_off = key->token;
  one_off.back() = one_off.back() == '0' ? '1' : '0';
  struct Case { std::string header; std::string reason; };
  const Case bad[] = {
      {"", "missing_token"},
      {"Bearer", "invalid_token"},
      {"Basic " + op, "invalid_token"},
      {"Bearer " + op + "x", "invalid_token"},
      {"Bearer " + one_off, "invalid_token"},
      {"Bearer a\tb", "invalid_token"},
      {"Bearer " + std::string(600, 'a'), "invalid_token"},
  };
  for (const auto& c : bad) {
    SCOPED_TRACE(c.header.substr(0, 40));
    auto r = auth.Authenticate(c.header);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kUnauthenticated);
    EXPECT_EQ(r.status().reason(), c.reason);
    // Nothing of the presented token is echoed back.
    EXPECT_EQ(r.status().message().find(op), std::string::npos);
  }
}

}  // namespace
}  // namespace tenantkv::server

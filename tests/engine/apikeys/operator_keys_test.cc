#include "engine/apikeys/operator_keys.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>

#include "tests/testing/test_util.h"

namespace tenantkv::engine::testutil {
namespace {

void ExpectInvalidToken(const Result<OperatorKeyInfo>& r) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnauthenticated) << r.status().ToString();
  EXPECT_EQ(r.status().reason(), "invalid_token");
}

class OperatorKeys : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(h_.Open()); }
  OperatorKeyStore& keys() { return h_->operator_keys(); }
  NewOperatorKey MustCreate(const std::string& name) {
    auto k = keys().Create(name);
    EXPECT_TRUE(k.ok()) << k.status().ToString();
    return k.ok() ? *k : NewOperatorKey{};
  }
  EngineHarness h_;
};

TEST_F(OperatorKeys, ACreatedKeyAuthenticatesAsItsName) {
  NewOperatorKey k = MustCreate("alice");
  EXPECT_TRUE(std::regex_match(k.token, std::regex("tkvo_[0-9a-f]{16}_[0-9a-f]{64}"))) << k.token;
  EXPECT_TRUE(LooksLikeOperatorKey(k.token));
  EXPECT_EQ(k.token.substr(5, 16), k.info.key_id);
  EXPECT_EQ(k.info.created_at_ms, h_.clock().NowUnixMillis());
  auto who = keys().Authenticate(k.token);
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  EXPECT_EQ(who->name, "alice");
  EXPECT_EQ(who->key_id, k.info.key_id);
}

TEST_F(OperatorKeys, WrongSecretsAndShapesAreInvalidTokens) {
  NewOperatorKey k = MustCreate("alice");
  std::string wrong = k.token;
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  ExpectInvalidToken(keys().Authenticate(wrong));
  ExpectInvalidToken(keys().Authenticate("tkvo_" + std::string(16, '0') + "_" + std::string(64, '0')));
  ExpectInvalidToken(keys().Authenticate(k.token.substr(0, k.token.size() - 1)));
  ExpectInvalidToken(keys().Authenticate(""));
  std::string upper = k.token;
  upper[6] = static_cast<char>(std::toupper(upper[6]));
  if (upper != k.token) ExpectInvalidToken(keys().Authenticate(upper));
  EXPECT_FALSE(LooksLikeOperatorKey("tkv_" + std::string(16, '0') + "_" + std::string(64, '0')));
  EXPECT_FALSE(LooksLikeOperatorKey("tkvop_" + std::string(64, 'a')));
}

TEST_F(OperatorKeys, RevokedAtOnceAndKeptRevokedAcrossReopen) {
  NewOperatorKey alice = MustCreate("alice");
  h_.clock().AdvanceMillis(1);  // the list is oldest first
  NewOperatorKey bob = MustCreate("bob");
  h_.clock().AdvanceMillis(5);
  ASSERT_TRUE(keys().Revoke(alice.info.key_id).ok());
  ExpectInvalidToken(keys().Authenticate(alice.token));
  EXPECT_TRUE(keys().Revoke(alice.info.key_id).ok());  // again: fine
  EXPECT_EQ(keys().Revoke("0123456789abcdef").reason(), "operator_key_not_found");

  ASSERT_TRUE(h_.Open());  // reopen the engine on the same directory
  ExpectInvalidToken(keys().Authenticate(alice.token));
  auto b = keys().Authenticate(bob.token);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->name, "bob");
  const auto list = keys().List();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].name, "alice");
  EXPECT_TRUE(list[0].revoked());
  EXPECT_EQ(list[0].revoked_at_ms, list[0].created_at_ms + 6);
  EXPECT_FALSE(list[1].revoked());
}

TEST_F(OperatorKeys, NamesAreValidatedAndUniqueAmongActiveKeys) {
  for (const std::string& bad : {std::string(), std::string(129, 'a'), std::string("a\nb"),
                                 std::string("\xe2\x80\xae" "evil"), std::string("\xff")}) {
    auto r = keys().Create(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().reason(), "invalid_name");
  }
  NewOperatorKey first = MustCreate("deploy pipeline <ci>");
  auto twin = keys().Create("deploy pipeline <ci>");
  ASSERT_FALSE(twin.ok());
  EXPECT_EQ(twin.status().reason(), "operator_exists");
  ASSERT_TRUE(keys().Revoke(first.info.key_id).ok());
  NewOperatorKey again = MustCreate("deploy pipeline <ci>");  // the name is free once revoked
  EXPECT_NE(again.info.key_id, first.info.key_id);
  EXPECT_TRUE(keys().List().size() == 2u);
}

TEST_F(OperatorKeys, ActiveKeysAreCapped) {
  std::set<std::string> ids;
  for (size_t i = 0; i < kMaxActiveOperatorKeys; ++i) ids.insert(MustCreate("op-" + std::to_string(i)).info.key_id);
  EXPECT_EQ(ids.size(), kMaxActiveOperatorKeys);
  auto over = keys().Create("one-more");
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().reason(), "operator_key_limit");
  ASSERT_TRUE(keys().Revoke(*ids.begin()).ok());
  EXPECT_TRUE(keys().Create("one-more").ok());
}

}  // namespace
}  // namespace tenantkv::engine::testutil

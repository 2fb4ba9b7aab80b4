// HMAC-SHA256 against vectors computed with `openssl dgst -sha256 -hmac KEY`.
#include "crypto/hmac.h"

#include <gtest/gtest.h>

#include <string>

namespace tenantkv::crypto {
namespace {

std::string Hex(const Sha256Digest& d) {
  return HexEncode(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

TEST(HmacSha256, MatchesOpensslDgst) {
  struct Case {
    std::string key, data, hex;
  };
  const Case cases[] = {
      // printf 'The quick brown fox jumps over the lazy dog' | openssl dgst -sha256 -hmac key
      {"key", "The quick brown fox jumps over the lazy dog",
       "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"},
      // printf '' | openssl dgst -sha256 -hmac key
      {"key", "", "5d5d139563c95b5967b9bd9a8c9b233a9dedb45072794cd232dc1b74832607d0"},
      // A webhook signature: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
      {"whsec_test", "1700000000.{\"a\":1}", "38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.data);
    auto mac = HmacSha256(c.key, c.data);
    ASSERT_TRUE(mac.ok()) << mac.status().ToString();
    EXPECT_EQ(Hex(*mac), c.hex);
  }
}

TEST(HmacSha256, KeyChangesTheMac) {
  auto a = HmacSha256("k1", "body");
  auto b = HmacSha256("k2", "body");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(Hex(*a), Hex(*b));
}

}  // namespace
}  // namespace tenantkv::crypto

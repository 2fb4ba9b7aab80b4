#include "engine/kv/value_envelope.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crypto/aead.h"

namespace tenantkv::engine {
namespace {

crypto::SecretBytes NewKey() { return crypto::SecretBytes::Random(crypto::kAeadKeyBytes).value(); }

std::string MustSeal(const crypto::SecretBytes& key, uint32_t version, std::string_view tenant,
                     std::string_view user_key, std::string_view value, int64_t expires = 0) {
  std::string out;
  Status s = SealValue(key, version, tenant, user_key, value, expires, &out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

void ExpectDataLoss(const Status& s) {
  EXPECT_EQ(s.code(), Code::kDataLoss) << s.ToString();
}

TEST(ValueEnvelope, RoundTrips) {
  const auto key = NewKey();
  for (const std::string& value : {std::string(), std::string("v"), std::string(1000, 'x'),
                                  std::string("\0\xff\x01", 3)}) {
    SCOPED_TRACE("size=" + std::to_string(value.size()));
    const std::string sealed = MustSeal(key, 1, "acme", "user/1", value);
    std::string out = "garbage";
    int64_t expires = 99;
    ASSERT_TRUE(OpenValue(key, "acme", "user/1", sealed, &out, &expires).ok());
    EXPECT_EQ(out, value);
    EXPECT_EQ(expires, 0);
  }
}

TEST(ValueEnvelope, LayoutWithoutExpiry) {
  const auto key = NewKey();
  const std::string value = "hello world";
  const std::string sealed = MustSeal(key, 0x01020304, "acme", "k", value);
  ASSERT_EQ(sealed.size(), value.size() + 33);
  EXPECT_EQ(kEnvelopeOverheadBytes, 33u);
  EXPECT_EQ(static_cast<uint8_t>(sealed[0]), 0x01);
  EXPECT_EQ(sealed.substr(1, 4), std::string("\x01\x02\x03\x04", 4));
  EXPECT_EQ(sealed.find(value), std::string::npos);

  auto h = ParseEnvelope(sealed);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->format, kEnvelopePlain);
  EXPECT_FALSE(h->has_expiry());
  EXPECT_EQ(h->key_version, 0x01020304u);
  EXPECT_EQ(h->nonce.size(), 12u);
  EXPECT_EQ(h->nonce, std::string_view(sealed).substr(5, 12));
  EXPECT_EQ(h->value_size, value.size());
}

TEST(ValueEnvelope, ExpiryRoundTripsWithFormat2) {
  const auto key = NewKey();
  const int64_t expires = 1'790'000'123'456;
  const std::string value = "ttl value";
  const std::string sealed = MustSeal(key, 3, "acme", "k", value, expires);
  EXPECT_EQ(static_cast<uint8_t>(sealed[0]), 0x02);
  EXPECT_EQ(sealed.size(), value.size() + 33 + 8);
  auto h = ParseEnvelope(sealed);
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(h->has_expiry());
  EXPECT_EQ(h->value_size, value.size());
  EXPECT_EQ(h->key_version, 3u);

  std::string out;
  int64_t got = 0;
  ASSERT_TRUE(OpenValue(key, "acme", "k", sealed, &out, &got).ok());
  EXPECT_EQ(out, value);
  EXPECT_EQ(got, expires);
}

TEST(ValueEnvelope, EmptyValueWithExpiry) {
  const auto key = NewKey();
  const std::string sealed = MustSeal(key, 1, "acme", "k", "", 42);
  std::string out = "x";
  int64_t got = 0;
  ASSERT_TRUE(OpenValue(key, "acme", "k", sealed, &out, &got).ok());
  EXPECT_EQ(out, "");
  EXPECT_EQ(got, 42);
}

TEST(ValueEnvelope, OpensOnlyForItsTenantKeyVersionAndDataKey) {
  const auto key = NewKey();
  const auto other_key = NewKey();
  for (int64_t expires : {int64_t{0}, int64_t{1'790'000'000'000}}) {
    SCOPED_TRACE("expires=" + std::to_string(expires));
    const std::string sealed = MustSeal(key, 7, "acme", "user/1", "secret", expires);
    std::string relabelled = sealed;
    relabelled[4] = 8;  // version 7 -> 8
    std::string relabelled_high = sealed;
    relabelled_high[1] = 1;  // version 7 -> 0x01000007
    std::string reformatted = sealed;
    reformatted[0] = static_cast<char>(expires ? kEnvelopePlain : kEnvelopeWithExpiry);
    struct Case {
      const char* name;
      std::string tenant, user_key, sealed;
      bool other = false;
    };
    const std::vector<Case> cases = {
        {"other tenant", "acme2", "user/1", sealed},
        {"tenant prefix", "acm", "user/1", sealed},
        {"boundary moved between tenant and key", "acmeu", "ser/1", sealed},
        {"other user key", "acme", "user/2", sealed},
        {"empty user key", "acme", "", sealed},
        {"other key version (low byte)", "acme", "user/1", relabelled},
        {"other key version (high byte)", "acme", "user/1", relabelled_high},
        {"other format byte", "acme", "user/1", reformatted},
        {"other data key", "acme", "user/1", sealed, true},
    };
    for (const Case& c : cases) {
      SCOPED_TRACE(c.name);
      std::string out;
      int64_t got = 0;
      Status s = OpenValue(c.other ? other_key : key, c.tenant, c.user_key, c.sealed, &out, &got);
      ExpectDataLoss(s);
      EXPECT_EQ(out.find("secret"), std::string::npos);
    }
  }
}

TEST(ValueEnvelope, TamperedBytesFailToOpen) {
  const auto key = NewKey();
  const std::string sealed = MustSeal(key, 1, "acme", "k", "some value");
  for (size_t i = 0; i < sealed.size(); ++i) {
    SCOPED_TRACE("byte " + std::to_string(i));
    std::string bad = sealed;
    bad[i] ^= 0x04;
    std::string out;
    int64_t got = 0;
    ExpectDataLoss(OpenValue(key, "acme", "k", bad, &out, &got));
  }
}

TEST(ValueEnvelope, ParseRejectsShortOrUnknownInput) {
  const auto key = NewKey();
  const std::string plain = MustSeal(key, 1, "t", "k", "");
  const std::string with_expiry = MustSeal(key, 1, "t", "k", "", 5);
  std::string unknown = plain;
  unknown[0] = 0x03;
  std::string zero = plain;
  zero[0] = 0x00;
  // A format-2 envelope too short to hold the 8-byte expiry.
  std::string short_expiry = plain;
  short_expiry[0] = 0x02;
  struct Case {
    const char* name;
    std::string bytes;
  };
  const std::vector<Case> cases = {
      {"empty", ""},
      {"one byte", "\x01"},
      {"one short of the overhead", plain.substr(0, 32)},
      {"unknown format 3", unknown},
      {"format 0", zero},
      {"format 2 without room for the expiry", short_expiry},
      {"format 2 one byte short", with_expiry.substr(0, with_expiry.size() - 1)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto h = ParseEnvelope(c.bytes);
    ASSERT_FALSE(h.ok());
    EXPECT_EQ(h.status().code(), Code::kDataLoss);
    EXPECT_EQ(h.status().reason(), "bad_envelope");
    std::string out;
    int64_t got = 0;
    ExpectDataLoss(OpenValue(key, "t", "k", c.bytes, &out, &got));
  }
  EXPECT_TRUE(ParseEnvelope(plain).ok());
  EXPECT_TRUE(ParseEnvelope(with_expiry).ok());
}

TEST(ValueEnvelope, EtagIsNonceHexAndFreshPerSeal) {
  const auto key = NewKey();
  const std::string a = MustSeal(key, 1, "acme", "k", "same");
  const std::string b = MustSeal(key, 1, "acme", "k", "same");
  auto ha = ParseEnvelope(a);
  auto hb = ParseEnvelope(b);
  ASSERT_TRUE(ha.ok() && hb.ok());
  const std::string ea = EnvelopeEtag(*ha);
  const std::string eb = EnvelopeEtag(*hb);
  EXPECT_EQ(ea.size(), 24u);
  EXPECT_EQ(ea.find_first_not_of("0123456789abcdef"), std::string::npos) << ea;
  EXPECT_NE(ea, eb);
  EXPECT_NE(a, b);
}

TEST(ValueEnvelope, SealRejectsBadDataKey) {
  std::string out;
  Status s = SealValue(crypto::SecretBytes(16), 1, "acme", "k", "v", 0, &out);
  EXPECT_FALSE(s.ok());
}

}  // namespace
}  // namespace tenantkv::engine

#include "crypto/key_agreement.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "crypto/hash.h"

namespace tenantkv::crypto {
namespace {

SecretBytes SecretFromHex(const std::string& hex) {
  const std::string raw = HexDecode(hex).value();
  SecretBytes s(raw.size());
  std::memcpy(s.data(), raw.data(), raw.size());
  return s;
}

// RFC 7748, section 6.1: Alice's and Bob's key pairs.
constexpr char kAlicePrivate[] = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
constexpr char kAlicePublic[] = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
constexpr char kBobPrivate[] = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
constexpr char kBobPublic[] = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";

TEST(KeyAgreement, PublicKeysAreRfc7748s) {
  auto alice = AgreementKeyPair::FromPrivateKey(SecretFromHex(kAlicePrivate));
  auto bob = AgreementKeyPair::FromPrivateKey(SecretFromHex(kBobPrivate));
  ASSERT_TRUE(alice.ok() && bob.ok());
  EXPECT_EQ(HexEncode(alice->public_key()), kAlicePublic);
  EXPECT_EQ(HexEncode(bob->public_key()), kBobPublic);
}

TEST(KeyAgreement, BothSidesDeriveTheSameKeyAndNothingElseDoes) {
  auto a = AgreementKeyPair::Generate();
  auto b = AgreementKeyPair::Generate();
  auto c = AgreementKeyPair::Generate();
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_NE(a->public_key(), b->public_key());
  auto ka = a->Derive(b->public_key(), true, "move acme 1");
  auto kb = b->Derive(a->public_key(), false, "move acme 1");
  ASSERT_TRUE(ka.ok() && kb.ok());
  EXPECT_EQ(ka->size(), 32u);
  EXPECT_TRUE(ka->Equals(*kb));
  // Another context, both claiming one role, or a third party: other keys.
  auto other_context = b->Derive(a->public_key(), false, "move acme 2");
  auto same_role = b->Derive(a->public_key(), true, "move acme 1");
  auto third = c->Derive(a->public_key(), false, "move acme 1");
  ASSERT_TRUE(other_context.ok() && same_role.ok() && third.ok());
  EXPECT_FALSE(ka->Equals(*other_context));
  EXPECT_FALSE(ka->Equals(*same_role));
  EXPECT_FALSE(ka->Equals(*third));
  // The derived key is not the raw X25519 secret (HKDF ran).
  auto rfc_a = AgreementKeyPair::FromPrivateKey(SecretFromHex(kAlicePrivate));
  ASSERT_TRUE(rfc_a.ok());
  auto k = rfc_a->Derive(HexDecode(kBobPublic).value(), true, "");
  ASSERT_TRUE(k.ok());
  const std::string raw_shared = HexDecode("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742").value();
  EXPECT_NE(std::string(reinterpret_cast<const char*>(k->data()), k->size()), raw_shared);
}

TEST(KeyAgreement, BadPeerKeysAreRefused) {
  auto a = AgreementKeyPair::Generate();
  ASSERT_TRUE(a.ok());
  for (const std::string& peer : {std::string(), std::string(31, 'x'), std::string(33, 'x'),
                                  std::string(32, '\0'),  // a small-order point: an all-zero secret
                                  HexDecode("0100000000000000000000000000000000000000000000000000000000000000").value()}) {
    SCOPED_TRACE(HexEncode(peer));
    auto k = a->Derive(peer, true, "ctx");
    ASSERT_FALSE(k.ok());
    EXPECT_EQ(k.status().code(), Code::kInvalidArgument);
    EXPECT_EQ(k.status().reason(), "bad_public_key");
  }
  auto bad = AgreementKeyPair::FromPrivateKey(SecretBytes(31));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().reason(), "bad_private_key");
}

}  // namespace
}  // namespace tenantkv::crypto

// The PKCS#11 key provider against a real token (SoftHSM2, set up by the
// test): keys made and kept in the token, wraps that round-trip and fail
// for another context or version, rotation, retirement, reopening.
#include "crypto/pkcs11_key_provider.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "crypto/aead.h"
#include "tests/crypto/softhsm_token.h"

namespace tenantkv::crypto {
namespace {

using testing::SoftHsmToken;

Pkcs11Options OptionsFor(const SoftHsmToken& token) {
  Pkcs11Options o;
  o.module_path = SoftHsmToken::ModulePath();
  o.token_label = token.label();
  o.pin_file = token.pin_file();
  return o;
}

SecretBytes NewKey() { return SecretBytes::Random(kAeadKeyBytes).value(); }

TEST(Pkcs11KeyProvider, CreatesAKeyAndWrapsRoundTrip) {
  SoftHsmToken token("tkv-roundtrip");
  ASSERT_TRUE(token.ready());
  auto p = Pkcs11KeyProvider::Open(OptionsFor(token));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ((*p)->CurrentVersion(), 1u);
  EXPECT_EQ((*p)->Versions(), std::vector<uint32_t>{1});
  EXPECT_NE((*p)->Describe().find("tkv-roundtrip"), std::string::npos);

  const SecretBytes data_key = NewKey();
  auto a = (*p)->Wrap(1, "tenant=acme;dkey=1;master=1", data_key);
  auto b = (*p)->Wrap(1, "tenant=acme;dkey=1;master=1", data_key);
  ASSERT_TRUE(a.ok() && b.ok()) << a.status().ToString();
  EXPECT_NE(*a, *b) << "a fresh IV per wrap";
  EXPECT_EQ(a->size(), 1 + 12 + kAeadKeyBytes + 16);
  auto back = (*p)->Unwrap(1, "tenant=acme;dkey=1;master=1", *a);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(back->Equals(data_key));
}

TEST(Pkcs11KeyProvider, WrongContextVersionOrTamperingFails) {
  SoftHsmToken token("tkv-wrong");
  ASSERT_TRUE(token.ready());
  auto p = Pkcs11KeyProvider::Open(OptionsFor(token));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_TRUE((*p)->AddVersion().ok());
  const std::string wrapped = (*p)->Wrap(2, "tenant=acme", NewKey()).value();
  std::string flipped = wrapped;
  flipped[20] ^= 0x01;
  struct Case {
    const char* name;
    uint32_t version;
    std::string context;
    std::string blob;
  };
  for (const Case& c : std::vector<Case>{{"other context", 2, "tenant=evil", wrapped},
                                         {"other version", 1, "tenant=acme", wrapped},
                                         {"flipped byte", 2, "tenant=acme", flipped},
                                         {"truncated", 2, "tenant=acme", wrapped.substr(0, 20)}}) {
    SCOPED_TRACE(c.name);
    auto r = (*p)->Unwrap(c.version, c.context, c.blob);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().reason(), "unwrap_failed") << r.status().ToString();
  }
  EXPECT_EQ((*p)->Unwrap(9, "tenant=acme", wrapped).status().code(), Code::kNotFound);
}

TEST(Pkcs11KeyProvider, RotateRetireAndReopen) {
  SoftHsmToken token("tkv-rotate");
  ASSERT_TRUE(token.ready());
  const SecretBytes data_key = NewKey();
  std::string under1, under2;
  {
    auto p = Pkcs11KeyProvider::Open(OptionsFor(token));
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    under1 = (*p)->Wrap(1, "ctx", data_key).value();
    auto v = (*p)->AddVersion();
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    EXPECT_EQ(*v, 2u);
    EXPECT_EQ((*p)->CurrentVersion(), 2u);
    under2 = (*p)->Wrap(2, "ctx", data_key).value();
    EXPECT_EQ((*p)->Retire(2).reason(), "current_master_key");
  }
  {
    // Reopened: both versions are found in the token by label.
    Pkcs11Options o = OptionsFor(token);
    o.create_if_missing = false;
    auto p = Pkcs11KeyProvider::Open(o);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    EXPECT_EQ((*p)->Versions(), (std::vector<uint32_t>{1, 2}));
    EXPECT_TRUE((*p)->Unwrap(1, "ctx", under1)->Equals(data_key));
    EXPECT_TRUE((*p)->Unwrap(2, "ctx", under2)->Equals(data_key));
    ASSERT_TRUE((*p)->Retire(1).ok());
    EXPECT_EQ((*p)->Unwrap(1, "ctx", under1).status().code(), Code::kNotFound);
  }
  auto p = Pkcs11KeyProvider::Open(OptionsFor(token));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ((*p)->Versions(), std::vector<uint32_t>{2}) << "the retired key is gone from the token";
  EXPECT_TRUE((*p)->Unwrap(2, "ctx", under2)->Equals(data_key));
  EXPECT_EQ((*p)->AddVersion().value(), 3u);
}

TEST(Pkcs11KeyProvider, RefusesBadConfiguration) {
  SoftHsmToken token("tkv-config");
  ASSERT_TRUE(token.ready());
  {
    Pkcs11Options o = OptionsFor(token);
    o.token_label = "no-such-token";
    EXPECT_EQ(Pkcs11KeyProvider::Open(o).status().reason(), "pkcs11_config");
  }
  {
    Pkcs11Options o = OptionsFor(token);
    o.module_path = token.dir() + "/not-a-module.so";
    EXPECT_EQ(Pkcs11KeyProvider::Open(o).status().reason(), "pkcs11_config");
  }
  {
    ::chmod(token.pin_file().c_str(), 0644);
    auto r = Pkcs11KeyProvider::Open(OptionsFor(token));
    EXPECT_EQ(r.status().reason(), "insecure_pin_file");
    ::chmod(token.pin_file().c_str(), 0600);
  }
  {
    const std::string wrong = token.dir() + "/wrong.pin";
    std::ofstream(wrong) << "000000\n";
    ::chmod(wrong.c_str(), 0600);
    Pkcs11Options o = OptionsFor(token);
    o.pin_file = wrong;
    auto r = Pkcs11KeyProvider::Open(o);
    EXPECT_EQ(r.status().reason(), "pkcs11_login");
    EXPECT_EQ(r.status().ToString().find("000000"), std::string::npos) << "the PIN is never in a message";
  }
  {
    Pkcs11Options o = OptionsFor(token);
    o.create_if_missing = false;
    EXPECT_EQ(Pkcs11KeyProvider::Open(o).status().reason(), "master_key_not_found");
  }
}

}  // namespace
}  // namespace tenantkv::crypto

#include "crypto/passphrase_key.h"

#include <gtest/gtest.h>

#include <string>

namespace tenantkv::crypto {
namespace {

const std::string kSalt(16, 's');

TEST(PassphraseKey, SameInputsGiveTheSameKeyAndAnyChangeAnother) {
  auto a = DeriveKeyFromPassphrase("correct horse battery", kSalt, 100000);
  auto b = DeriveKeyFromPassphrase("correct horse battery", kSalt, 100000);
  auto other_pass = DeriveKeyFromPassphrase("correct horse battery!", kSalt, 100000);
  auto other_salt = DeriveKeyFromPassphrase("correct horse battery", std::string(16, 't'), 100000);
  auto other_iter = DeriveKeyFromPassphrase("correct horse battery", kSalt, 100001);
  ASSERT_TRUE(a.ok() && b.ok() && other_pass.ok() && other_salt.ok() && other_iter.ok());
  EXPECT_EQ(a->size(), 32u);
  EXPECT_TRUE(a->Equals(*b));
  EXPECT_FALSE(a->Equals(*other_pass));
  EXPECT_FALSE(a->Equals(*other_salt));
  EXPECT_FALSE(a->Equals(*other_iter));
}

TEST(PassphraseKey, RefusesWeakInputs) {
  struct Case {
    std::string passphrase;
    std::string salt;
    uint32_t iterations;
    const char* reason;
  };
  const Case cases[] = {
      {"short", kSalt, 100000, "weak_passphrase"},
      {std::string(1025, 'p'), kSalt, 100000, "weak_passphrase"},
      {"long enough passphrase", std::string(15, 's'), 100000, "bad_kdf"},
      {"long enough passphrase", kSalt, 99999, "bad_kdf"},
      {"long enough passphrase", kSalt, 10000001, "bad_kdf"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.reason + std::string(" ") + std::to_string(c.iterations));
    auto k = DeriveKeyFromPassphrase(c.passphrase, c.salt, c.iterations);
    ASSERT_FALSE(k.ok());
    EXPECT_EQ(k.status().code(), Code::kInvalidArgument);
    EXPECT_EQ(k.status().reason(), c.reason);
  }
}

}  // namespace
}  // namespace tenantkv::crypto

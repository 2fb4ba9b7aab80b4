#include "crypto/aead.h"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <thread>
#include <vector>

#include "crypto/random.h"

namespace tenantkv::crypto {
namespace {

using Nonce = std::array<uint8_t, kAeadNonceBytes>;

SecretBytes NewKey() { return SecretBytes::Random(kAeadKeyBytes).value(); }

Nonce NewNonce() {
  Nonce n{};
  EXPECT_TRUE(RandomBytes(n.data(), n.size()).ok());
  return n;
}

std::string Pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(i * 31 + 7);
  return s;
}

std::string Seal(const SecretBytes& key, const Nonce& nonce, std::string_view aad,
                 std::string_view plaintext) {
  std::string out(plaintext.size() + kAeadTagBytes, '\0');
  Status s = AeadSeal(key, nonce.data(), aad, plaintext, reinterpret_cast<uint8_t*>(out.data()));
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

Status Open(const SecretBytes& key, const Nonce& nonce, std::string_view aad,
            std::string_view sealed, std::string* plaintext) {
  plaintext->assign(sealed.size() >= kAeadTagBytes ? sealed.size() - kAeadTagBytes : 0, '\0');
  return AeadOpen(key, nonce.data(), aad, sealed, reinterpret_cast<uint8_t*>(plaintext->data()));
}

void ExpectDecryptFailed(const Status& s) {
  EXPECT_EQ(s.code(), Code::kDataLoss) << s.ToString();
  EXPECT_EQ(s.reason(), "decrypt_failed");
}

TEST(Aead, RoundTripsManySizes) {
  const SecretBytes key = NewKey();
  for (size_t size : {size_t{0}, size_t{1}, size_t{15}, size_t{16}, size_t{17}, size_t{4096},
                      size_t{1} << 20}) {
    SCOPED_TRACE("size=" + std::to_string(size));
    const std::string plain = Pattern(size);
    const Nonce nonce = NewNonce();
    const std::string sealed = Seal(key, nonce, "aad", plain);
    ASSERT_EQ(sealed.size(), size + kAeadTagBytes);
    if (size >= 16) {
      EXPECT_NE(sealed.substr(0, size), plain);
    }
    std::string opened;
    ASSERT_TRUE(Open(key, nonce, "aad", sealed, &opened).ok());
    EXPECT_EQ(opened, plain);
  }
}

TEST(Aead, RoundTripsWithEmptyAad) {
  const SecretBytes key = NewKey();
  const Nonce nonce = NewNonce();
  const std::string sealed = Seal(key, nonce, "", "hello");
  std::string opened;
  ASSERT_TRUE(Open(key, nonce, "", sealed, &opened).ok());
  EXPECT_EQ(opened, "hello");
  ExpectDecryptFailed(Open(key, nonce, "x", sealed, &opened));
}

TEST(Aead, RejectsTamperingAndWrongInputs) {
  const SecretBytes key = NewKey();
  const Nonce nonce = NewNonce();
  const std::string plain = "attack at dawn, bring snacks";
  const std::string sealed = Seal(key, nonce, "tenant=a", plain);

  struct Case {
    const char* name;
    std::string sealed;
    std::string aad = "tenant=a";
    bool other_key = false;
    bool other_nonce = false;
  };
  std::string flipped_ct = sealed;
  flipped_ct[3] ^= 0x01;
  std::string flipped_tag = sealed;
  flipped_tag[sealed.size() - 1] ^= 0x80;
  std::vector<Case> cases = {
      {"wrong key", sealed, "tenant=a", true},
      {"wrong aad", sealed, "tenant=b"},
      {"wrong nonce", sealed, "tenant=a", false, true},
      {"flipped ciphertext byte", flipped_ct},
      {"flipped tag byte", flipped_tag},
      {"truncated by one byte", sealed.substr(0, sealed.size() - 1)},
      {"truncated to the tag", sealed.substr(plain.size())},
      {"shorter than a tag", sealed.substr(0, kAeadTagBytes - 1)},
      {"empty", ""},
  };
  const SecretBytes other_key = NewKey();
  const Nonce other_nonce = NewNonce();
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::string opened;
    Status s = Open(c.other_key ? other_key : key, c.other_nonce ? other_nonce : nonce, c.aad,
                    c.sealed, &opened);
    ExpectDecryptFailed(s);
    EXPECT_EQ(opened.find("attack"), std::string::npos);
  }
}

TEST(Aead, FailedOpenWipesOutput) {
  const SecretBytes key = NewKey();
  const Nonce nonce = NewNonce();
  const std::string plain(64, 'p');
  std::string sealed = Seal(key, nonce, "a", plain);
  sealed[sealed.size() - 1] ^= 1;
  std::string out(plain.size(), '\0');
  ExpectDecryptFailed(AeadOpen(key, nonce.data(), "a", sealed, reinterpret_cast<uint8_t*>(out.data())));
  EXPECT_EQ(out, std::string(plain.size(), '\0'));
}

TEST(Aead, RejectsBadKeySize) {
  const Nonce nonce = NewNonce();
  for (size_t size : {size_t{0}, size_t{16}, size_t{31}, size_t{33}, size_t{64}}) {
    SCOPED_TRACE("key size=" + std::to_string(size));
    SecretBytes key(size);
    std::string out(5 + kAeadTagBytes, '\0');
    Status s = AeadSeal(key, nonce.data(), "", "hello", reinterpret_cast<uint8_t*>(out.data()));
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << s.ToString();
    std::string plain(5, '\0');
    s = AeadOpen(key, nonce.data(), "", out, reinterpret_cast<uint8_t*>(plain.data()));
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << s.ToString();
  }
}

TEST(Aead, DifferentNoncesGiveDifferentCiphertexts) {
  const SecretBytes key = NewKey();
  const std::string plain = Pattern(100);
  const Nonce n1 = NewNonce();
  const Nonce n2 = NewNonce();
  ASSERT_NE(n1, n2);
  const std::string a = Seal(key, n1, "aad", plain);
  const std::string b = Seal(key, n2, "aad", plain);
  EXPECT_NE(a, b);
  EXPECT_NE(a.substr(0, plain.size()), b.substr(0, plain.size()));
  // Same nonce, same key: deterministic (this is why nonces must never repeat).
  EXPECT_EQ(Seal(key, n1, "aad", plain), a);
}

TEST(Aead, WorksFromManyThreadsAtOnce) {
  constexpr int kThreads = 8;
  constexpr int kRounds = 300;
  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &failures] {
      const SecretBytes key = SecretBytes::Random(kAeadKeyBytes).value();
      for (int i = 0; i < kRounds; ++i) {
        Nonce nonce{};
        if (!RandomBytes(nonce.data(), nonce.size()).ok()) ++failures[t];
        const std::string plain = Pattern(static_cast<size_t>(i * 7 + t));
        const std::string aad = "thread=" + std::to_string(t);
        std::string sealed(plain.size() + kAeadTagBytes, '\0');
        if (!AeadSeal(key, nonce.data(), aad, plain, reinterpret_cast<uint8_t*>(sealed.data())).ok()) {
          ++failures[t];
          continue;
        }
        std::string opened(plain.size(), '\0');
        Status s = AeadOpen(key, nonce.data(), aad, sealed, reinterpret_cast<uint8_t*>(opened.data()));
        if (!s.ok() || opened != plain) ++failures[t];
        // Interleave a failing open: the thread's context must recover.
        sealed[0] ^= 1;
        if (AeadOpen(key, nonce.data(), aad, sealed, reinterpret_cast<uint8_t*>(opened.data())).ok()) {
          ++failures[t];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
}

}  // namespace
}  // namespace tenantkv::crypto

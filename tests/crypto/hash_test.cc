#include "crypto/hash.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>

#include <string>
#include <thread>
#include <vector>

namespace tenantkv::crypto {
namespace {

std::string DigestHex(std::string_view data) {
  Sha256Digest d = Sha256(data);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

TEST(Sha256, KnownVectors) {
  struct Case {
    std::string input;
    const char* hex;
  };
  const std::vector<Case> cases = {
      {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
      {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
      {std::string(1000000, 'a'), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.input.substr(0, 20));
    EXPECT_EQ(DigestHex(c.input), c.hex);
  }
}

// Each thread reuses one digest context: calls in a row and on several
// threads at once must not see each other's state.
TEST(Sha256, ReusedContextsOnSeveralThreadsGiveTheSameDigests) {
  const std::string abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  const std::string empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  std::vector<int> wrong(4, 0);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < wrong.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        if (DigestHex(i % 2 == 0 ? "abc" : "") != (i % 2 == 0 ? abc : empty)) ++wrong[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (size_t t = 0; t < wrong.size(); ++t) EXPECT_EQ(wrong[t], 0) << "thread " << t;
}

TEST(Hex, EncodesLowercase) {
  EXPECT_EQ(HexEncode(""), "");
  EXPECT_EQ(HexEncode(std::string("\x00\x01\xab\xff", 4)), "0001abff");
}

TEST(Hex, RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  const std::string hex = HexEncode(all);
  EXPECT_EQ(hex.size(), 512u);
  auto back = HexDecode(hex);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, all);
}

TEST(Hex, DecodesUppercaseAndMixedCase) {
  EXPECT_EQ(HexDecode("ABCDEF"), std::string("\xab\xcd\xef"));
  EXPECT_EQ(HexDecode("aBcD"), std::string("\xab\xcd"));
  EXPECT_EQ(HexDecode(""), std::string());
}

TEST(Hex, RejectsOddLengthAndBadDigits) {
  for (const char* bad : {"a", "abc", "0g", "g0", "zz", "0x", " 0", "00 ", "-1", "+1", "ab\n"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(HexDecode(bad).has_value());
  }
  EXPECT_FALSE(HexDecode(std::string("\x00\x00", 2)).has_value());
}

TEST(ConstantTimeEquals, ComparesContentAndLength) {
  struct Case {
    std::string a, b;
    bool equal;
  };
  const std::vector<Case> cases = {
      {"", "", true},
      {"abc", "abc", true},
      {"abc", "abd", false},
      {"abc", "bbc", false},
      {"abc", "ab", false},
      {"ab", "abc", false},
      {"", "a", false},
      {std::string("a\0b", 3), std::string("a\0c", 3), false},
      {std::string("a\0b", 3), std::string("a\0b", 3), true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE("'" + c.a + "' vs '" + c.b + "'");
    EXPECT_EQ(ConstantTimeEquals(c.a, c.b), c.equal);
  }
}

}  // namespace
}  // namespace tenantkv::crypto

namespace tenantkv::crypto {
namespace {

TEST(Sha256File, EqualsTheDigestOfTheContentsAndReportsAMissingFile) {
  char tmpl[] = "/tmp/tenantkv-hash-XXXXXX";
  int fd = ::mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  std::string content(200000, 'x');  // more than one read chunk
  content[123456] = 'y';
  ASSERT_EQ(::write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
  ::close(fd);
  auto d = Sha256File(tmpl);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(*d, Sha256(content));
  ::unlink(tmpl);
  auto missing = Sha256File(tmpl);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
}

}  // namespace
}  // namespace tenantkv::crypto

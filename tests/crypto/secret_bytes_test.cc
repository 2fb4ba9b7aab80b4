#include "crypto/secret_bytes.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace tenantkv::crypto {
namespace {

static_assert(!std::is_copy_constructible_v<SecretBytes>);
static_assert(!std::is_copy_assignable_v<SecretBytes>);
static_assert(std::is_nothrow_move_constructible_v<SecretBytes>);
static_assert(std::is_nothrow_move_assignable_v<SecretBytes>);

std::string Bytes(const SecretBytes& s) {
  return std::string(reinterpret_cast<const char*>(s.data()), s.size());
}

TEST(SecretBytes, DefaultIsEmpty) {
  SecretBytes s;
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.size(), 0u);
  EXPECT_EQ(s.data(), nullptr);
}

TEST(SecretBytes, HasRequestedSizeAndIsZeroInitialised) {
  for (size_t size : {size_t{1}, size_t{32}, size_t{4095}, size_t{4096}, size_t{4097}, size_t{100000}}) {
    SCOPED_TRACE("size=" + std::to_string(size));
    SecretBytes s(size);
    ASSERT_EQ(s.size(), size);
    EXPECT_FALSE(s.empty());
    ASSERT_NE(s.data(), nullptr);
    EXPECT_EQ(Bytes(s), std::string(size, '\0'));
    // Writable over its whole length.
    s.data()[0] = 1;
    s.data()[size - 1] = 2;
    EXPECT_EQ(s.data()[size - 1], 2);
  }
}

TEST(SecretBytes, RandomGivesDistinctValues) {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    auto r = SecretBytes::Random(32);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->size(), 32u);
    EXPECT_NE(Bytes(*r), std::string(32, '\0'));
    seen.insert(Bytes(*r));
  }
  EXPECT_EQ(seen.size(), 50u);
}

TEST(SecretBytes, RandomOfZeroIsEmpty) {
  auto r = SecretBytes::Random(0);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
}

TEST(SecretBytes, MoveConstructionLeavesSourceEmpty) {
  SecretBytes a = SecretBytes::Random(32).value();
  const std::string contents = Bytes(a);
  const uint8_t* where = a.data();
  SecretBytes b(std::move(a));
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): checking the contract
  EXPECT_EQ(a.data(), nullptr);
  EXPECT_FALSE(a.locked());
  EXPECT_EQ(b.size(), 32u);
  EXPECT_EQ(b.data(), where);
  EXPECT_EQ(Bytes(b), contents);
}

TEST(SecretBytes, MoveAssignmentLeavesSourceEmptyAndReplacesTarget) {
  SecretBytes a = SecretBytes::Random(32).value();
  const std::string contents = Bytes(a);
  SecretBytes b(7);
  b = std::move(a);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(a.data(), nullptr);
  EXPECT_EQ(b.size(), 32u);
  EXPECT_EQ(Bytes(b), contents);
}

TEST(SecretBytes, SelfMoveAssignmentKeepsContents) {
  SecretBytes a = SecretBytes::Random(16).value();
  const std::string contents = Bytes(a);
  SecretBytes& alias = a;
  a = std::move(alias);
  EXPECT_EQ(a.size(), 16u);
  EXPECT_EQ(Bytes(a), contents);
}

TEST(SecretBytes, Equals) {
  SecretBytes a = SecretBytes::Random(32).value();
  SecretBytes b = a.Clone();
  EXPECT_TRUE(a.Equals(b));
  EXPECT_TRUE(b.Equals(a));
  b.data()[31] ^= 1;
  EXPECT_FALSE(a.Equals(b));
  SecretBytes shorter(31);
  EXPECT_FALSE(a.Equals(shorter));
  EXPECT_TRUE(SecretBytes().Equals(SecretBytes()));
  EXPECT_FALSE(SecretBytes().Equals(a));
}

TEST(SecretBytes, CloneIsEqualButDistinctMemory) {
  SecretBytes a = SecretBytes::Random(48).value();
  SecretBytes b = a.Clone();
  ASSERT_EQ(b.size(), a.size());
  EXPECT_NE(b.data(), a.data());
  EXPECT_EQ(Bytes(b), Bytes(a));
  b.data()[0] ^= 0xff;  // changing the clone leaves the original alone
  EXPECT_NE(Bytes(b), Bytes(a));
  EXPECT_TRUE(SecretBytes().Clone().empty());
}

// A node's keys come from one secure heap: 100,000 keys of 32 bytes used
// to take a mapping each, past Linux's 65,530 memory maps per process, and
// the server aborted.
// True when this build has the secure heap (not under AddressSanitizer).
bool HaveSecureHeap() {
  SecretBytes first(32);  // sets up the default heap if nothing did
  return GetSecureHeapStats().size > 0;
}

TEST(SecretBytes, ManyKeysShareTheSecureHeap) {
  if (!HaveSecureHeap()) GTEST_SKIP() << "no secure heap under AddressSanitizer";
  const SecureHeapStats before = GetSecureHeapStats();
  std::vector<SecretBytes> keys;
  keys.reserve(100000);
  for (int i = 0; i < 100000; ++i) {
    keys.emplace_back(32);
    ASSERT_EQ(keys.back().size(), 32u);
  }
  const SecureHeapStats held = GetSecureHeapStats();
  ASSERT_GT(held.size, 0u);
  EXPECT_GE(held.used, before.used + 100000u * 32);
  keys[99999].data()[31] = 7;
  EXPECT_EQ(keys[99999].data()[31], 7);
  EXPECT_EQ(keys[99998].data()[31], 0);
  keys.clear();
  EXPECT_EQ(GetSecureHeapStats().used, before.used);
}

TEST(SecretBytes, OneLargerThanTheHeapGetsAMappingOfItsOwn) {
  SecretBytes s(8 << 20);  // twice the default heap
  ASSERT_EQ(s.size(), size_t{8} << 20);
  EXPECT_EQ(s.data()[0], 0);
  EXPECT_EQ(s.data()[(8 << 20) - 1], 0);
  s.data()[(8 << 20) - 1] = 1;
}

TEST(SecretBytes, TheHeapIsSetUpOnce) {
  if (!HaveSecureHeap()) GTEST_SKIP() << "no secure heap under AddressSanitizer";
  EXPECT_EQ(InitSecureHeap(1 << 20).reason(), "secure_heap_set");
  EXPECT_EQ(InitSecureHeap(100000).reason(), "invalid_secure_heap");
  EXPECT_EQ(InitSecureHeap(1 << 10).reason(), "invalid_secure_heap");
  EXPECT_GT(GetSecureHeapStats().size, 0u);
}

}  // namespace
}  // namespace tenantkv::crypto

// Keyring: a cache of unwrapped data keys with a bounded lifetime.
#include "engine/keys/keyring.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>

#include "tests/testing/test_util.h"

namespace tenantkv::engine {
namespace {

using namespace std::chrono_literals;

crypto::SecretBytes KeyOf(char fill) {
  crypto::SecretBytes k(32);
  for (size_t i = 0; i < k.size(); ++i) k.data()[i] = static_cast<uint8_t>(fill);
  return k;
}

std::string Bytes(const KeyPtr& k) { return std::string(reinterpret_cast<const char*>(k->data()), k->size()); }

// A keyring with versions 1 (retiring) and 2 (current) whose loader counts
// its calls and can be made to fail.
struct Fixture {
  Keyring ring;
  std::atomic<int> loads{0};
  std::atomic<bool> fail{false};
  Fixture() {
    ring.Add(1, KeyOf('a'), false);
    ring.Add(2, KeyOf('b'), true);
    ring.SetLoader([this](uint32_t v) -> Result<crypto::SecretBytes> {
      ++loads;
      if (fail) return Status::Unavailable("disk away");
      return KeyOf(v == 1 ? 'a' : 'b');
    });
  }
  size_t EvictAll() { return ring.EvictIdle(Keyring::Clock::now() + 1h, 1min); }
};

TEST(Keyring, IdleKeysLeaveMemoryAndComeBackOnUse) {
  Fixture f;
  EXPECT_EQ(f.ring.Loaded(), 2u);
  EXPECT_EQ(f.EvictAll(), 2u);
  EXPECT_EQ(f.ring.Loaded(), 0u);
  EXPECT_TRUE(f.ring.Knows(1));
  KeyPtr k = f.ring.Get(1);
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(Bytes(k), std::string(32, 'a'));
  auto [version, current] = f.ring.Current();
  EXPECT_EQ(version, 2u);
  ASSERT_NE(current, nullptr);
  EXPECT_EQ(Bytes(current), std::string(32, 'b'));
  EXPECT_EQ(f.loads.load(), 2);
  EXPECT_EQ(f.ring.Loaded(), 2u);
  f.ring.Get(1);  // cached now: no load
  EXPECT_EQ(f.loads.load(), 2);
}

TEST(Keyring, VersionsAddedUnloadedComeInOnFirstUse) {
  Keyring ring;
  std::atomic<int> loads{0};
  ring.AddUnloaded(1, false);
  ring.AddUnloaded(2, true);
  ring.SetLoader([&](uint32_t v) -> Result<crypto::SecretBytes> {
    ++loads;
    return KeyOf(v == 1 ? 'a' : 'b');
  });
  EXPECT_EQ(ring.Loaded(), 0u);
  EXPECT_TRUE(ring.Knows(1));
  EXPECT_FALSE(ring.Knows(3));
  auto [version, current] = ring.Current();
  EXPECT_EQ(version, 2u);
  ASSERT_NE(current, nullptr);
  EXPECT_EQ(Bytes(current), std::string(32, 'b'));
  EXPECT_EQ(loads.load(), 1);
  EXPECT_EQ(ring.Loaded(), 1u);
  // A version held already stays as it is.
  ring.AddUnloaded(2, true);
  EXPECT_EQ(ring.Loaded(), 1u);
  ring.DestroyAll();
  ring.AddUnloaded(4, true);
  EXPECT_FALSE(ring.Knows(4));
}

TEST(Keyring, OnlyKeysUnusedForTheIdleTimeAreEvicted) {
  Fixture f;
  // Just used: not idle for a minute, so nothing goes.
  EXPECT_EQ(f.ring.EvictIdle(Keyring::Clock::now(), 1min), 0u);
  EXPECT_EQ(f.ring.Loaded(), 2u);
  // Version 2 used now, version 1 not since "an hour ago" from the future.
  const auto later = Keyring::Clock::now() + 1h;
  EXPECT_EQ(f.ring.EvictIdle(later, 2h), 0u);
  EXPECT_EQ(f.ring.EvictIdle(later, 30min), 2u);
}

TEST(Keyring, AKeyInUseStaysValidThroughEviction) {
  Fixture f;
  KeyPtr held = f.ring.Get(2);
  f.EvictAll();
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(Bytes(held), std::string(32, 'b'));  // not wiped under its user
}

TEST(Keyring, DestroyedVersionsAndShreddedKeyringsNeverLoadAgain) {
  Fixture f;
  f.EvictAll();
  f.ring.Remove(1);
  EXPECT_FALSE(f.ring.Knows(1));
  EXPECT_EQ(f.ring.Get(1), nullptr);
  EXPECT_EQ(f.loads.load(), 0);
  f.ring.Remove(2);  // the current version cannot be removed
  EXPECT_TRUE(f.ring.Knows(2));
  f.ring.DestroyAll();
  EXPECT_EQ(f.ring.Get(2), nullptr);
  EXPECT_EQ(f.ring.Current().second, nullptr);
  EXPECT_EQ(f.loads.load(), 0);
  f.ring.Add(3, KeyOf('c'), true);  // a shredded keyring stays empty
  EXPECT_EQ(f.ring.Loaded(), 0u);
}

TEST(Keyring, AFailedLoadIsReportedAsUnknownKeyButStillKnownVersion) {
  Fixture f;
  f.EvictAll();
  f.fail = true;
  EXPECT_EQ(f.ring.Get(1), nullptr);
  EXPECT_TRUE(f.ring.Knows(1));  // callers answer "unavailable", not "destroyed"
  auto [version, key] = f.ring.Current();
  EXPECT_EQ(version, 2u);
  EXPECT_EQ(key, nullptr);
  f.fail = false;
  EXPECT_NE(f.ring.Get(1), nullptr);  // a later use succeeds
}

TEST(Keyring, WithoutALoaderNothingIsEvicted) {
  Keyring ring;
  ring.Add(1, KeyOf('a'), true);
  EXPECT_EQ(ring.EvictIdle(Keyring::Clock::now() + 1h, 1min), 0u);
  EXPECT_EQ(ring.Loaded(), 1u);
}

}  // namespace

namespace testutil {
namespace {

// End to end: evicted keys of every tenant are unwrapped again from their
// records (reads and writes go on), and a deleted tenant's keys are gone.
TEST(KeyCache, EvictedDataKeysAreUnwrappedAgainFromTheirRecords) {
  EngineHarness h;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->CreateTenant("acme", "").ok());
  ASSERT_TRUE(h->CreateTenant("globex", "").ok());
  ASSERT_TRUE(h.Store("acme").Put("k", "v1", {}).ok());
  ASSERT_TRUE(h->key_lifecycle().Rotate("acme").ok());  // versions 1 and 2
  ASSERT_TRUE(h.Store("acme").Put("k2", "v2", {}).ok());
  EXPECT_GE(h->EvictIdleKeys(std::chrono::steady_clock::duration(-1h)), 3u);
  EXPECT_EQ((*h->tenants().Get("acme"))->keyring().Loaded(), 0u);
  auto v = h.Store("acme").Get("k");  // sealed under version 1
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->value, "v1");
  v = h.Store("acme").Get("k2");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->value, "v2");
  EXPECT_TRUE(h.Store("globex").Put("x", "y", {}).ok());  // sealing loads the current one
  std::shared_ptr<Tenant> acme = *h->tenants().Get("acme");
  ASSERT_TRUE(h->DeleteTenant("acme").ok());
  EXPECT_EQ(acme->keyring().Get(1), nullptr);
  EXPECT_EQ(acme->keyring().Current().second, nullptr);
}

}  // namespace
}  // namespace testutil
}  // namespace tenantkv::engine

#include "engine/rotation/rotation_policy.h"
#include "tests/testing/fake_clock.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace tenantkv::engine {
namespace {

constexpr int64_t kDay = 24LL * 3600 * 1000;

// Tenants with a current key each; a rotation makes a fresh version at the
// clock's time, as the engine does.
class FakeTarget : public RotationTarget {
 public:
  explicit FakeTarget(const Clock* clock) : clock_(clock) {}
  std::map<std::string, CurrentKeyState> keys;
  std::set<std::string> failing;
  std::set<std::string> vanish_on_read;
  int rotations = 0;

  std::vector<std::string> RotationTenants() override {
    std::vector<std::string> ids;
    for (const auto& [id, k] : keys) ids.push_back(id);
    return ids;
  }
  Result<CurrentKeyState> RotationCurrentKey(const std::string& tenant) override {
    if (vanish_on_read.count(tenant) != 0) return Status::NotFound("gone");
    auto it = keys.find(tenant);
    if (it == keys.end()) return Status::NotFound("gone");
    return it->second;
  }
  Result<uint32_t> RotateForPolicy(const std::string& tenant, DueReason) override {
    if (failing.count(tenant) != 0) return Status::Internal("disk on fire");
    ++rotations;
    CurrentKeyState& k = keys.at(tenant);
    k = {k.version + 1, clock_->NowUnixMillis(), 0};
    return k.version;
  }

 private:
  const Clock* clock_;
};

TEST(RotationPolicy, OffPolicyNeverDue) {
  RotationPolicy off;
  EXPECT_FALSE(off.enabled());
  EXPECT_EQ(RotationDue(off, {1, 0, ~0ULL}, 1'000 * kDay), DueReason::kNotDue);
}

TEST(RotationPolicy, AgeBoundIsInclusiveAndIgnoresAClockGoingBack) {
  RotationPolicy p{30 * kDay, 0};
  const int64_t t0 = 1'790'000'000'000;
  EXPECT_EQ(RotationDue(p, {1, t0, 0}, t0 + 30 * kDay - 1), DueReason::kNotDue);
  EXPECT_EQ(RotationDue(p, {1, t0, 0}, t0 + 30 * kDay), DueReason::kAge);
  EXPECT_EQ(RotationDue(p, {1, t0, 0}, t0 - 365 * kDay), DueReason::kNotDue);
}

TEST(RotationPolicy, SealBoundWinsOverAge) {
  RotationPolicy p{30 * kDay, 1000};
  const int64_t t0 = 1'790'000'000'000;
  EXPECT_EQ(RotationDue(p, {1, t0, 999}, t0), DueReason::kNotDue);
  EXPECT_EQ(RotationDue(p, {1, t0, 1000}, t0), DueReason::kSeals);
  EXPECT_EQ(RotationDue(p, {1, t0, 1000}, t0 + 31 * kDay), DueReason::kSeals);
  EXPECT_STREQ(DueReasonName(DueReason::kSeals), "seals");
  EXPECT_STREQ(DueReasonName(DueReason::kAge), "age");
}

// The schedule on a fake clock: keys made on different days rotate exactly
// when each reaches its age, once, and again a full period later.
TEST(RotationSchedule, RotatesEachTenantWhenItsKeyReachesMaxAge) {
  FakeClock clock;
  FakeTarget target(&clock);
  const int64_t t0 = clock.NowUnixMillis();
  target.keys["acme"] = {1, t0, 0};
  target.keys["globex"] = {1, t0 + 10 * kDay, 0};
  const RotationPolicy p{30 * kDay, 0};

  clock.AdvanceMillis(29 * kDay);
  RotationSweep s = RotateDue(target, p, clock);
  EXPECT_EQ(s.checked, 2u);
  EXPECT_TRUE(s.rotated.empty());

  clock.AdvanceMillis(1 * kDay);  // day 30: acme only
  s = RotateDue(target, p, clock);
  ASSERT_EQ(s.rotated.size(), 1u);
  EXPECT_EQ(s.rotated[0].tenant, "acme");
  EXPECT_EQ(s.rotated[0].from, 1u);
  EXPECT_EQ(s.rotated[0].to, 2u);
  EXPECT_EQ(s.rotated[0].reason, DueReason::kAge);

  s = RotateDue(target, p, clock);  // same instant again: nothing (idempotent)
  EXPECT_TRUE(s.rotated.empty());

  clock.AdvanceMillis(10 * kDay);  // day 40: globex
  s = RotateDue(target, p, clock);
  ASSERT_EQ(s.rotated.size(), 1u);
  EXPECT_EQ(s.rotated[0].tenant, "globex");

  clock.AdvanceMillis(20 * kDay);  // day 60: acme's version 2 is 30 days old
  s = RotateDue(target, p, clock);
  ASSERT_EQ(s.rotated.size(), 1u);
  EXPECT_EQ(s.rotated[0].tenant, "acme");
  EXPECT_EQ(target.keys["acme"].version, 3u);
  EXPECT_EQ(target.rotations, 3);
}

TEST(RotationSchedule, SealBoundTriggersBeforeAge) {
  FakeClock clock;
  FakeTarget target(&clock);
  target.keys["acme"] = {4, clock.NowUnixMillis(), 99};
  const RotationPolicy p{30 * kDay, 100};
  EXPECT_TRUE(RotateDue(target, p, clock).rotated.empty());
  target.keys["acme"].seals = 100;
  RotationSweep s = RotateDue(target, p, clock);
  ASSERT_EQ(s.rotated.size(), 1u);
  EXPECT_EQ(s.rotated[0].reason, DueReason::kSeals);
  EXPECT_EQ(target.keys["acme"].version, 5u);
  EXPECT_EQ(target.keys["acme"].seals, 0u);
}

TEST(RotationSchedule, OneFailureIsReportedAndTheSweepGoesOn) {
  FakeClock clock;
  FakeTarget target(&clock);
  for (const char* id : {"a", "b", "c", "d"}) target.keys[id] = {1, clock.NowUnixMillis(), 0};
  target.failing.insert("b");
  target.vanish_on_read.insert("d");  // deleted between listing and reading
  clock.AdvanceMillis(31 * kDay);
  RotationSweep s = RotateDue(target, {30 * kDay, 0}, clock);
  EXPECT_EQ(s.checked, 3u);
  ASSERT_EQ(s.rotated.size(), 3u);
  EXPECT_EQ(s.failed(), 1u);
  EXPECT_EQ(s.rotated[1].tenant, "b");
  EXPECT_EQ(s.rotated[1].to, 0u);
  EXPECT_FALSE(s.rotated[1].error.empty());
  EXPECT_EQ(target.keys["a"].version, 2u);
  EXPECT_EQ(target.keys["b"].version, 1u);
  EXPECT_EQ(target.keys["c"].version, 2u);
}

TEST(RotationSchedule, DisabledPolicyLooksAtNothing) {
  FakeClock clock;
  FakeTarget target(&clock);
  target.keys["a"] = {1, 0, ~0ULL};
  RotationSweep s = RotateDue(target, RotationPolicy{}, clock);
  EXPECT_EQ(s.checked, 0u);
  EXPECT_EQ(target.rotations, 0);
}

}  // namespace
}  // namespace tenantkv::engine

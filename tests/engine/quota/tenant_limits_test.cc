// TenantLimits: the token buckets are made on the tenant's first admission,
// full, from the quota in force then; reading a level makes nothing; later
// quota changes keep a made bucket's level.
#include "engine/quota/tenant_limits.h"

#include <gtest/gtest.h>

namespace tenantkv::engine {
namespace {

Quota SmallQuota() {
  Quota q;
  q.requests_per_sec = 10;
  q.burst_requests = 5;
  q.read_bytes_per_sec = 100;
  q.burst_read_bytes = 1000;
  q.write_bytes_per_sec = 50;
  q.burst_write_bytes = 500;
  return q;
}

TEST(TenantLimits, BucketsAreMadeOnFirstUseFullFromTheQuotaInForce) {
  using B = TenantLimits::Bucket;
  TenantLimits l{Quota()};
  l.Apply(SmallQuota(), 1'000'000);
  EXPECT_FALSE(l.buckets_made());
  EXPECT_EQ(l.Available(B::kRequests, 2'000'000), 5.0);
  EXPECT_EQ(l.Available(B::kReadBytes, 2'000'000), 1000.0);
  EXPECT_EQ(l.Available(B::kWriteBytes, 2'000'000), 500.0);
  EXPECT_FALSE(l.buckets_made()) << "reading a level makes nothing";
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(l.requests().TryTake(1, 2'000'000)) << i;
  EXPECT_TRUE(l.buckets_made());
  EXPECT_FALSE(l.requests().TryTake(1, 2'000'000)) << "it started at its burst, not above";
  EXPECT_EQ(l.Available(B::kRequests, 2'000'000), 0.0);
  EXPECT_EQ(l.read_bytes().capacity(), 1000.0);
  EXPECT_EQ(l.write_bytes().rate(), 50.0);
  // A later quota keeps the level and changes the rate and burst.
  Quota bigger = SmallQuota();
  bigger.burst_requests = 50;
  l.Apply(bigger, 2'000'000);
  EXPECT_EQ(l.requests().capacity(), 50.0);
  EXPECT_LT(l.requests().Available(2'000'000), 1.0);
  EXPECT_NEAR(l.requests().Available(2'100'000), 1.0, 1e-9) << "10 a second, for 0.1 s";
}

TEST(TenantLimits, AQuotaChangedBeforeFirstUseIsTheOneTheBucketsStartFrom) {
  TenantLimits l{Quota()};
  l.Apply(SmallQuota(), 0);
  Quota later = SmallQuota();
  later.burst_write_bytes = 7;
  l.Apply(later, 10);
  EXPECT_FALSE(l.buckets_made());
  EXPECT_EQ(l.write_bytes().capacity(), 7.0);
  EXPECT_EQ(l.write_bytes().Available(20), 7.0);
}

// Equal quotas are one shared object; a different one, or one interned
// after every holder let go, is another. Limits and the quota store hold
// their quotas through it.
TEST(InternQuota, EqualQuotasShareOneCopyWhileAnyHolderLives) {
  const SharedQuota a = InternQuota(SmallQuota());
  const SharedQuota b = InternQuota(SmallQuota());
  EXPECT_EQ(a.get(), b.get());
  Quota other = SmallQuota();
  other.max_queue_ms += 1;  // the last field counts too
  const SharedQuota c = InternQuota(other);
  EXPECT_NE(c.get(), a.get());
  EXPECT_TRUE(SameQuota(*c, other));
  EXPECT_FALSE(SameQuota(*c, *a));

  TenantLimits l1(Quota{});
  TenantLimits l2(Quota{});
  l1.Apply(SmallQuota(), 0);
  l2.Apply(other, 0);
  EXPECT_TRUE(SameQuota(l1.quota(), SmallQuota()));
  EXPECT_TRUE(SameQuota(l2.quota(), other));
  EXPECT_EQ(InternQuota(SmallQuota()).use_count(), 4);  // a, b, l1 and this one

  // Thousands of quotas, each let go at once: interning stays correct (and
  // the table bounded, swept as it grows).
  for (int64_t i = 0; i < 5000; ++i) {
    Quota q = SmallQuota();
    q.storage_bytes = 1000 + i;
    const SharedQuota s = InternQuota(q);
    ASSERT_EQ(s->storage_bytes, 1000 + i);
    ASSERT_EQ(s.use_count(), 1);
  }
  EXPECT_EQ(InternQuota(SmallQuota()).get(), a.get());
}

}  // namespace
}  // namespace tenantkv::engine

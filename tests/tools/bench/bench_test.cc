// Unit tests of tenantkv-bench's pure pieces. No sockets, no timed assertions.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "tools/bench/base64.h"
#include "tools/bench/bench_command.h"
#include "tools/bench/bench_options.h"
#include "tools/bench/bench_worker.h"
#include "tools/bench/fairness.h"
#include "tools/bench/kv_requests.h"
#include "tools/bench/latency_histogram.h"
#include "tools/bench/load_schedule.h"
#include "tools/bench/loopback_target.h"
#include "tools/bench/op_bytes.h"
#include "tools/bench/op_mix.h"
#include "tools/bench/progress.h"
#include "tools/bench/report.h"
#include "tools/bench/request_stats.h"
#include "tools/bench/run_control.h"
#include "tools/bench/tenant_spec.h"
#include "tools/bench/window_counts.h"

namespace tenantkv::bench {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

// ---- op mix and tenant specs ------------------------------------------------

TEST(OpMix, ParsesWeightsAndPicksByRange) {
  Result<OpMix> mix = ParseOpMix("get:90/put:10");
  ASSERT_TRUE(mix.ok()) << mix.status().ToString();
  EXPECT_EQ(mix->Weight(OpKind::kGet), 90u);
  EXPECT_EQ(mix->Weight(OpKind::kPut), 10u);
  EXPECT_EQ(mix->Total(), 100u);
  EXPECT_EQ(mix->Pick(0), OpKind::kGet);
  EXPECT_EQ(mix->Pick(89), OpKind::kGet);
  EXPECT_EQ(mix->Pick(90), OpKind::kPut);
  EXPECT_EQ(mix->Pick(99), OpKind::kPut);
  EXPECT_EQ(mix->Pick(1000), OpKind::kPut);  // out of range: never an excluded kind
  EXPECT_EQ(mix->ToString(), "get:90/put:10");
}

TEST(OpMix, PickNeverReturnsAZeroWeightKind) {
  Result<OpMix> mix = ParseOpMix("batch:1/get:0/list:2");
  ASSERT_TRUE(mix.ok());
  for (std::uint64_t t = 0; t < mix->Total(); ++t) {
    EXPECT_NE(mix->Pick(t), OpKind::kGet);
    EXPECT_NE(mix->Pick(t), OpKind::kPut);
  }
  EXPECT_EQ(mix->ToString(), "list:2/batch:1");
}

TEST(OpMix, RejectsBadMixes) {
  const std::vector<std::string> bad = {"",        "get",          "get:",       "get:x",
                                        "get:-1",  "get:0",        "get:1/get:2", "scans:1",
                                        "get:1/",  "get:1000001",  "get:1//put:1", "GET:1"};
  for (const std::string& text : bad) {
    SCOPED_TRACE(text);
    EXPECT_FALSE(ParseOpMix(text).ok());
  }
}

TEST(TenantSpec, ParsesGoodSpecs) {
  struct Case {
    std::string text;
    std::string name;
    double rate;
    int conns;
    std::string mix;
    std::uint64_t keys;
    std::size_t value_bytes;
    double weight;
    std::string token;
  };
  const std::vector<Case> cases = {
      {"name=acme,token=tkv_abc,rate=200,conns=4,mix=get:90/put:10,keys=10000,value=100,weight=1",
       "acme", 200, 4, "get:90/put:10", 10000, 100, 1, "tkv_abc"},
      {"name=a", "a", 100, 2, "get:90/put:10", 1000, 100, 1, ""},
      {"name=b-2,rate=0,mix=batch:1", "b-2", 0, 2, "batch:1", 1000, 100, 1, ""},
      {"weight=2.5,name=zz,value=0,keys=1,rate=0.5,conns=256", "zz", 0.5, 256, "get:90/put:10", 1,
       0, 2.5, ""},
      {"name=x,mix=get:1/put:1/list:1/batch:1,value=1048576", "x", 100, 2,
       "get:1/put:1/list:1/batch:1", 1000, 1 << 20, 1, ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    Result<TenantSpec> spec = ParseTenantSpec(c.text);
    ASSERT_TRUE(spec.ok()) << spec.status().ToString();
    EXPECT_EQ(spec->name, c.name);
    EXPECT_DOUBLE_EQ(spec->rate, c.rate);
    EXPECT_EQ(spec->conns, c.conns);
    EXPECT_EQ(spec->mix.ToString(), c.mix);
    EXPECT_EQ(spec->keys, c.keys);
    EXPECT_EQ(spec->value_bytes, c.value_bytes);
    EXPECT_DOUBLE_EQ(spec->weight, c.weight);
    EXPECT_EQ(spec->token, c.token);
  }
}

TEST(TenantSpec, ScanFieldSetsTheScanPage) {
  Result<TenantSpec> plain = ParseTenantSpec("name=a");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->scan_limit, 100u);
  Result<TenantSpec> big = ParseTenantSpec("name=a,mix=scan:1,value=10240,scan=1000");
  ASSERT_TRUE(big.ok()) << big.status().ToString();
  EXPECT_EQ(big->scan_limit, 1000u);
  EXPECT_EQ(big->mix.ToString(), "scan:1");
  EXPECT_EQ(big->value_bytes, 10240u);
  Result<TenantSpec> mixed = ParseTenantSpec("name=a,scan=1,mix=get:5/scan:2/batch:1");
  ASSERT_TRUE(mixed.ok()) << mixed.status().ToString();
  EXPECT_EQ(mixed->scan_limit, 1u);
  EXPECT_EQ(mixed->mix.ToString(), "get:5/batch:1/scan:2");
  EXPECT_EQ(mixed->mix.Pick(5), OpKind::kBatch);
  EXPECT_EQ(mixed->mix.Pick(6), OpKind::kScan);
  for (const char* bad : {"name=a,scan=0", "name=a,scan=1001", "name=a,scan=x", "name=a,scan=",
                          "name=a,scan=-1", "name=a,scan=10.5", "name=a,scan=1,scan=2"}) {
    SCOPED_TRACE(bad);
    Result<TenantSpec> spec = ParseTenantSpec(bad);
    ASSERT_FALSE(spec.ok());
    EXPECT_NE(spec.status().message().find("'scan'"), std::string::npos)
        << spec.status().message();
  }
}

TEST(TenantSpec, RejectsBadSpecsNamingTheProblem) {
  struct Case {
    std::string text;
    std::string message_part;
  };
  const std::vector<Case> cases = {
      {"", "without '='"},
      {"rate=10", "no name"},
      {"name=Acme", "'name'"},
      {"name=-a", "'name'"},
      {"name=a_b", "'name'"},
      {"name=" + std::string(64, 'a'), "'name'"},
      {"name=a,name=b", "repeated"},
      {"name=a,colour=red", "unknown tenant spec field 'colour'"},
      {"name=a,rate=-1", "'rate'"},
      {"name=a,rate=fast", "'rate'"},
      {"name=a,rate=1e7", "'rate'"},
      {"name=a,rate=nan", "'rate'"},
      {"name=a,conns=0", "'conns'"},
      {"name=a,conns=257", "'conns'"},
      {"name=a,conns=1.5", "'conns'"},
      {"name=a,keys=0", "'keys'"},
      {"name=a,value=1048577", "'value'"},
      {"name=a,weight=0", "'weight'"},
      {"name=a,mix=get:0", "'mix'"},
      {"name=a,mix=delete:1", "'mix'"},
      {"name=a,", "without '='"},
      {"name=a,,rate=1", "without '='"},
      {"name=a,token=", "'token'"},
      {"name=a,token=tkv_1,token_file=/f", "both"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    Result<TenantSpec> spec = ParseTenantSpec(c.text);
    ASSERT_FALSE(spec.ok());
    EXPECT_NE(spec.status().message().find(c.message_part), std::string::npos)
        << spec.status().message();
  }
}

TEST(TenantSpec, ErrorsNeverEchoTheToken) {
  const std::vector<std::string> texts = {"token=tkv_secret123", "token=tkv_secret123,rate=x",
                                          "tkv_secret123", "name=a,token=tkv_secret123,token=x"};
  for (const std::string& text : texts) {
    SCOPED_TRACE(text);
    Result<TenantSpec> spec = ParseTenantSpec(text);
    ASSERT_FALSE(spec.ok());
    EXPECT_EQ(spec.status().message().find("secret123"), std::string::npos);
  }
}

// ---- latency histogram ------------------------------------------------------

// Half a bucket relative to its lower bound: 1/256.
constexpr double kHistogramPrecision = 1.0 / 256;

void ExpectWithinPrecision(std::int64_t actual, std::int64_t expected) {
  const double tolerance = std::max(1.0, static_cast<double>(expected) * kHistogramPrecision);
  EXPECT_NEAR(static_cast<double>(actual), static_cast<double>(expected), tolerance);
}

TEST(LatencyHistogram, BucketsAreContiguousAndNarrow) {
  std::size_t previous = 0;
  for (std::int64_t v = 1; v < LatencyHistogram::kMaxTrackableNanos; v = v * 3 / 2 + 1) {
    SCOPED_TRACE(v);
    const std::size_t i = LatencyHistogram::BucketIndex(v);
    EXPECT_GE(i, previous);
    previous = i;
    EXPECT_LE(LatencyHistogram::BucketLow(i), v);
    EXPECT_GT(LatencyHistogram::BucketLow(i) + LatencyHistogram::BucketWidth(i), v);
    EXPECT_LE(static_cast<double>(LatencyHistogram::BucketWidth(i)),
              std::max(1.0, static_cast<double>(LatencyHistogram::BucketLow(i)) / 128));
    // The next bucket starts where this one ends.
    EXPECT_EQ(LatencyHistogram::BucketLow(i + 1),
              LatencyHistogram::BucketLow(i) + LatencyHistogram::BucketWidth(i));
  }
}

TEST(LatencyHistogram, EmptyReportsZero) {
  const LatencyHistogram h;
  EXPECT_EQ(h.Count(), 0u);
  EXPECT_EQ(h.ValueAtQuantile(0.99), 0);
  EXPECT_EQ(h.Max(), 0);
}

TEST(LatencyHistogram, UniformMicrosecondsGiveExactRanks) {
  // 1..100000 µs once each: the q-quantile is q * 100000 µs.
  LatencyHistogram h;
  constexpr std::int64_t kN = 100000;
  for (std::int64_t i = 1; i <= kN; ++i) h.Record(i * 1000);
  EXPECT_EQ(h.Count(), static_cast<std::uint64_t>(kN));
  const std::vector<std::pair<double, std::int64_t>> expected = {
      {0.5, 50000}, {0.9, 90000}, {0.99, 99000}, {0.999, 99900}, {0.0001, 10}};
  for (const auto& [q, micros] : expected) {
    SCOPED_TRACE(q);
    ExpectWithinPrecision(h.ValueAtQuantile(q), micros * 1000);
  }
  EXPECT_EQ(h.Min(), 1000);
  EXPECT_EQ(h.Max(), kN * 1000);
  EXPECT_EQ(h.ValueAtQuantile(1.0), kN * 1000);
  EXPECT_EQ(h.ValueAtQuantile(0.0), 1000);
}

TEST(LatencyHistogram, BimodalTailIsFound) {
  // 990 fast answers at 200 µs, 10 stalls at 2 s: p99 is fast, p99.9 the stall.
  LatencyHistogram h;
  for (int i = 0; i < 990; ++i) h.Record(200'000);
  for (int i = 0; i < 10; ++i) h.Record(2'000'000'000);
  ExpectWithinPrecision(h.ValueAtQuantile(0.5), 200'000);
  ExpectWithinPrecision(h.ValueAtQuantile(0.99), 200'000);
  ExpectWithinPrecision(h.ValueAtQuantile(0.991), 2'000'000'000);
  ExpectWithinPrecision(h.ValueAtQuantile(0.999), 2'000'000'000);
}

TEST(LatencyHistogram, MatchesSortedSamplesOfAnExponential) {
  std::mt19937_64 rng(7);
  std::exponential_distribution<double> exp(1.0 / 3e6);  // mean 3 ms in ns
  std::vector<std::int64_t> samples;
  LatencyHistogram h;
  for (int i = 0; i < 20000; ++i) {
    const auto v = static_cast<std::int64_t>(exp(rng)) + 1000;
    samples.push_back(v);
    h.Record(v);
  }
  std::sort(samples.begin(), samples.end());
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    SCOPED_TRACE(q);
    const auto rank = static_cast<std::size_t>(std::ceil(q * samples.size()));
    ExpectWithinPrecision(h.ValueAtQuantile(q), samples[rank - 1]);
  }
}

TEST(LatencyHistogram, MergeEqualsRecordingEverything) {
  LatencyHistogram a;
  LatencyHistogram b;
  LatencyHistogram all;
  for (std::int64_t v = 1; v < 5'000'000; v += 997) {
    (v % 3 == 0 ? a : b).Record(v);
    all.Record(v);
  }
  a.Merge(b);
  EXPECT_EQ(a.Count(), all.Count());
  EXPECT_EQ(a.Min(), all.Min());
  EXPECT_EQ(a.Max(), all.Max());
  for (double q : {0.0, 0.25, 0.5, 0.9, 0.99, 1.0}) EXPECT_EQ(a.ValueAtQuantile(q), all.ValueAtQuantile(q));
}

TEST(LatencyHistogram, ValuesBeyondRangeAreClampedButMaxIsExact) {
  LatencyHistogram h;
  h.Record(-5);
  h.Record(120'000'000'000);  // two minutes, twice
  h.Record(120'000'000'000);
  EXPECT_EQ(h.Min(), 0);
  EXPECT_EQ(h.Max(), 120'000'000'000);
  EXPECT_EQ(h.ValueAtQuantile(0.0), 0);
  ExpectWithinPrecision(h.ValueAtQuantile(0.5), LatencyHistogram::kMaxTrackableNanos);
  EXPECT_EQ(h.ValueAtQuantile(1.0), 120'000'000'000);
}

// ---- fairness ---------------------------------------------------------------

TEST(Jain, EqualSharesGiveOne) {
  EXPECT_DOUBLE_EQ(*JainIndex({5, 5, 5, 5}), 1.0);
  EXPECT_DOUBLE_EQ(*JainIndex({0.3}), 1.0);
}

TEST(Jain, OneHotGivesOneOverN) {
  for (int n = 1; n <= 8; ++n) {
    SCOPED_TRACE(n);
    std::vector<double> x(n, 0.0);
    x[0] = 42;
    EXPECT_DOUBLE_EQ(*JainIndex(x), 1.0 / n);
  }
}

TEST(Jain, KnownValueAndDegenerateInputs) {
  EXPECT_NEAR(*JainIndex({1, 2, 3}), 36.0 / 42.0, 1e-12);
  EXPECT_FALSE(JainIndex({}).has_value());
  EXPECT_FALSE(JainIndex({0, 0}).has_value());
}

TEST(Jain, WeightsNormaliseThroughput) {
  // Tenants weighted 1:2:3 that got 100, 200, 300 req/s got exactly their share.
  const std::vector<double> x = NormaliseByWeight({100, 200, 300}, {1, 2, 3});
  EXPECT_EQ(x, (std::vector<double>{100, 100, 100}));
  EXPECT_DOUBLE_EQ(*JainIndex(x), 1.0);
  // Equal throughput despite unequal weights is not fair.
  EXPECT_LT(*JainIndex(NormaliseByWeight({100, 100}, {1, 3})), 1.0);
  EXPECT_DOUBLE_EQ(*JainIndex(NormaliseByWeight({100, 100}, {1, 3})),
                   (100.0 + 100.0 / 3) * (100.0 + 100.0 / 3) /
                       (2 * (100.0 * 100.0 + (100.0 / 3) * (100.0 / 3))));
}

// ---- open-loop schedule -----------------------------------------------------

TEST(LoadSchedule, IntendedTimesAreStartPlusIOverRate) {
  constexpr double kRate = 200;
  constexpr int kConns = 4;
  // Across the connections, request i is due at i / rate, each exactly once.
  std::vector<std::int64_t> offsets;
  for (int c = 0; c < kConns; ++c) {
    const LoadSchedule schedule(kRate, kConns, c);
    for (std::uint64_t n = 0; n < 50; ++n) {
      const std::uint64_t i = n * kConns + c;
      EXPECT_EQ(schedule.IntendedOffset(n).count(), static_cast<std::int64_t>(i * 5'000'000));
      offsets.push_back(schedule.IntendedOffset(n).count());
    }
  }
  std::sort(offsets.begin(), offsets.end());
  for (std::size_t i = 0; i < offsets.size(); ++i) {
    EXPECT_EQ(offsets[i], static_cast<std::int64_t>(i * 5'000'000));
  }
}

TEST(LoadSchedule, DoesNotDependOnWhenSendsComplete) {
  // The schedule is a pure function of the index: asking late, out of order
  // or repeatedly (as a connection stuck behind a stalled answer does) gives
  // the planned time, so lateness shows up as latency, not as a shifted plan.
  const LoadSchedule schedule(3, 2, 1);
  const nanoseconds planned = schedule.IntendedOffset(1000);
  for (std::uint64_t n : {5u, 999u, 0u}) (void)schedule.IntendedOffset(n);
  EXPECT_EQ(schedule.IntendedOffset(1000), planned);
  EXPECT_EQ(planned.count(), static_cast<std::int64_t>(std::floor(2001 * 1e9 / 3)));
}

TEST(LoadSchedule, CountBeforeAgreesWithIntendedOffset) {
  for (double rate : {0.5, 3.0, 7.0, 200.0, 12345.6}) {
    for (int conns : {1, 3, 8}) {
      for (int c = 0; c < conns; ++c) {
        const LoadSchedule schedule(rate, conns, c);
        for (std::int64_t ms : {0, 1, 999, 1000, 5000, 12345}) {
          SCOPED_TRACE(::testing::Message() << rate << "/s conns " << conns << " c " << c << " "
                                            << ms << " ms");
          const nanoseconds horizon = milliseconds(ms);
          const std::uint64_t n = schedule.CountBefore(horizon);
          if (n > 0) {
            EXPECT_LT(schedule.IntendedOffset(n - 1), horizon);
          }
          EXPECT_GE(schedule.IntendedOffset(n), horizon);
        }
      }
    }
  }
  // 200 req/s for 5 s over 4 connections: 1000 requests, 250 each.
  EXPECT_EQ(LoadSchedule(200, 4, 3).CountBefore(seconds(5)), 250u);
}

// ---- run control (no clock reads: every time is passed in) ------------------

TEST(RunControl, CapStopsTheRunAndClosesTheWindow) {
  RunControl control(RunControl::Clock::now(), seconds(1), seconds(10), 3);
  EXPECT_TRUE(control.Claim(milliseconds(1100)));
  EXPECT_TRUE(control.Claim(milliseconds(1200)));
  EXPECT_TRUE(control.Claim(milliseconds(1300)));
  EXPECT_FALSE(control.Stopped());
  EXPECT_FALSE(control.Claim(milliseconds(3500)));
  EXPECT_TRUE(control.Stopped());
  EXPECT_TRUE(control.CapReached());
  EXPECT_FALSE(control.Claim(milliseconds(4000)));
  EXPECT_EQ(control.WindowEnd(), milliseconds(3500));
  EXPECT_DOUBLE_EQ(control.MeasuredSeconds(), 2.5);
  EXPECT_FALSE(control.WaitUntil(seconds(60)));  // returns at once once stopped
}

TEST(RunControl, WindowIsTheDurationUnlessStopped) {
  RunControl control(RunControl::Clock::now(), seconds(2), seconds(5), 100);
  EXPECT_EQ(control.measure_from(), seconds(2));
  EXPECT_EQ(control.end(), seconds(7));
  EXPECT_DOUBLE_EQ(control.MeasuredSeconds(), 5.0);
  control.Stop(milliseconds(1500));  // interrupted during warm-up
  control.Stop(seconds(6));          // the first stop wins
  EXPECT_FALSE(control.CapReached());
  EXPECT_DOUBLE_EQ(control.MeasuredSeconds(), 0.0);
}

// ---- target -----------------------------------------------------------------

TEST(LoopbackTarget, OnlyLoopbackHostsAreAllowed) {
  struct Case {
    std::string host;
    bool allowed;
  };
  const std::vector<Case> cases = {
      {"127.0.0.1", true},      {"127.1.2.3", true},        {"127.255.255.255", true},
      {"localhost", true},      {"LocalHost", true},        {"::1", true},
      {"[::1]", true},          {"[::ffff:127.0.0.1]", true}, {"128.0.0.1", false},
      {"10.0.0.1", false},      {"192.168.1.1", false},     {"172.16.0.1", false},
      {"0.0.0.0", false},       {"8.8.8.8", false},         {"127.1", false},
      {"127.0.0.1.nip.io", false}, {"localhost.example.com", false}, {"::", false},
      {"[::2]", false},         {"[127.0.0.1]", false},     {"", false},
      {"example.com", false},   {"[::ffff:10.0.0.1]", false}, {"0177.0.0.1", false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.host);
    EXPECT_EQ(net::IsLoopbackHost(c.host), c.allowed);
  }
}

TEST(LoopbackTarget, ParsesUrlsAndRefusesOthersInOneLine) {
  struct Case {
    std::string url;
    bool ok;
    std::string host;
    int port;
  };
  const std::vector<Case> cases = {
      {"http://127.0.0.1:8080", true, "127.0.0.1", 8080},
      {"HTTP://127.0.0.2:1/", true, "127.0.0.2", 1},
      {"http://localhost:65535", true, "127.0.0.1", 65535},
      {"http://[::1]:9000", true, "::1", 9000},
      {"http://10.1.2.3:8080", false, "", 0},
      {"http://example.com:80", false, "", 0},
      {"https://127.0.0.1:8443", false, "", 0},
      {"127.0.0.1:8080", false, "", 0},
      {"http://127.0.0.1", false, "", 0},
      {"http://127.0.0.1:0", false, "", 0},
      {"http://127.0.0.1:65536", false, "", 0},
      {"http://127.0.0.1:80/v1", false, "", 0},
      {"http://user@127.0.0.1:80", false, "", 0},
      {"http://::1:80", false, "", 0},
      {"http://[::1]", false, "", 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.url);
    Result<LoopbackTarget> target = ParseLoopbackTarget(c.url);
    ASSERT_EQ(target.ok(), c.ok) << target.status().ToString();
    if (!c.ok) {
      EXPECT_EQ(target.status().message().find('\n'), std::string::npos);
      continue;
    }
    EXPECT_EQ(target->host, c.host);
    EXPECT_EQ(target->port, c.port);
  }
  EXPECT_EQ(ParseLoopbackTarget("http://[::1]:9000")->Origin(), "http://[::1]:9000");
}

// ---- requests and stats -----------------------------------------------------

TEST(BenchBase64, Rfc4648Vectors) {
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},        {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
      {std::string("\xff\xfe\x00", 3), "//4A"}};
  for (const auto& [in, out] : vectors) {
    SCOPED_TRACE(out);
    EXPECT_EQ(Base64Encode(in), out);
  }
}

TEST(KvRequests, BuildsEachOp) {
  const KvRequestFactory factory(10, 7, 1);
  std::mt19937_64 rng(1);
  const OpRequest get = factory.Make(OpKind::kGet, rng);
  EXPECT_EQ(get.method, "GET");
  EXPECT_EQ(get.path.rfind("/v1/kv/k", 0), 0u);
  EXPECT_LT(std::stoi(get.path.substr(8)), 10);
  const OpRequest put = factory.Make(OpKind::kPut, rng);
  EXPECT_EQ(put.method, "PUT");
  EXPECT_EQ(put.body.size(), 7u);
  EXPECT_EQ(put.content_type, "application/octet-stream");
  EXPECT_EQ(factory.Make(OpKind::kList, rng).path, "/v1/kv?prefix=k&limit=100");
  const OpRequest batch = factory.Make(OpKind::kBatch, rng);
  EXPECT_EQ(batch.method, "POST");
  EXPECT_EQ(batch.path, "/v1/batch");
  const nlohmann::json body = nlohmann::json::parse(batch.body);
  ASSERT_EQ(body["ops"].size(), static_cast<std::size_t>(kBatchPuts));
  EXPECT_EQ(body["ops"][0]["op"], "put");
  EXPECT_EQ(body["ops"][0]["value_b64"], Base64Encode(put.body));
}

TEST(KvRequests, ScanListsWithValuesUpToItsLimit) {
  std::mt19937_64 rng(1);
  const OpRequest scan = KvRequestFactory(10, 7, 1, 1000).Make(OpKind::kScan, rng);
  EXPECT_EQ(scan.method, "GET");
  EXPECT_EQ(scan.path, "/v1/kv?prefix=k&limit=1000&values=true");
  EXPECT_TRUE(scan.body.empty());
  EXPECT_EQ(KvRequestFactory(10, 7, 1).Make(OpKind::kScan, rng).path,
            "/v1/kv?prefix=k&limit=100&values=true");
}

TEST(KvRequests, SweepsStartAtRandomKeysAcrossTheKeySpace) {
  std::mt19937_64 rng(1);
  const KvRequestFactory factory(1000, 7, 1, 500);
  std::set<std::string> starts;
  const std::string page = "/v1/kv?prefix=k&limit=500&values=true&start_after=k";
  for (int i = 0; i < 200; ++i) {
    const OpRequest sweep = factory.Make(OpKind::kSweep, rng);
    EXPECT_EQ(sweep.method, "GET");
    ASSERT_EQ(sweep.path.compare(0, page.size(), page), 0) << sweep.path;
    const int n = std::stoi(sweep.path.substr(page.size()));
    EXPECT_GE(n, 0);
    EXPECT_LT(n, 1000);
    starts.insert(sweep.path);
  }
  EXPECT_GT(starts.size(), 150u);  // not one page over and over
  Result<OpMix> mix = ParseOpMix("get:1/sweep:3");
  ASSERT_TRUE(mix.ok()) << mix.status().ToString();
  EXPECT_EQ(mix->Pick(1), OpKind::kSweep);
  EXPECT_EQ(mix->ToString(), "get:1/sweep:3");
}

TEST(KvRequests, PreloadCoversTheRange) {
  const KvRequestFactory factory(1000, 3, 1);
  const nlohmann::json body = nlohmann::json::parse(factory.MakePreload(500, 3).body);
  ASSERT_EQ(body["ops"].size(), 3u);
  EXPECT_EQ(body["ops"][0]["key"], "k500");
  EXPECT_EQ(body["ops"][2]["key"], "k502");
}

TEST(RequestStats, ClassifiesAnswers) {
  struct Case {
    OpKind op;
    int status;
    ResponseClass expected;
  };
  const std::vector<Case> cases = {
      {OpKind::kGet, 200, ResponseClass::kOk},          {OpKind::kGet, 304, ResponseClass::kOk},
      {OpKind::kGet, 404, ResponseClass::kOk},          {OpKind::kPut, 201, ResponseClass::kOk},
      {OpKind::kPut, 204, ResponseClass::kOk},          {OpKind::kPut, 404, ResponseClass::kClientError},
      {OpKind::kList, 304, ResponseClass::kClientError}, {OpKind::kBatch, 200, ResponseClass::kOk},
      {OpKind::kGet, 429, ResponseClass::kRateLimited}, {OpKind::kPut, 503, ResponseClass::kOverloaded},
      {OpKind::kPut, 413, ResponseClass::kClientError}, {OpKind::kGet, 401, ResponseClass::kClientError},
      {OpKind::kPut, 507, ResponseClass::kServerError}, {OpKind::kGet, 500, ResponseClass::kServerError},
      {OpKind::kGet, kTransportError, ResponseClass::kTransport},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << OpName(c.op) << " " << c.status);
    EXPECT_EQ(Classify(c.op, c.status), c.expected);
  }
}

TEST(RequestStats, RecordsLatencyOfSuccessesOnly) {
  RequestStats a;
  a.Record(OpKind::kGet, 200, 1000, 10);
  a.Record(OpKind::kGet, 429, 5, 20);
  a.Record(OpKind::kBatch, 200, 3000, 30);
  RequestStats b;
  b.Record(OpKind::kPut, kTransportError, 9'000'000'000, 7'000'000);
  b.unsent = 4;
  a.Merge(b);
  EXPECT_EQ(a.sent, 4u);
  EXPECT_EQ(a.Count(ResponseClass::kOk), 2u);
  EXPECT_EQ(a.Count(ResponseClass::kRateLimited), 1u);
  EXPECT_EQ(a.Count(ResponseClass::kTransport), 1u);
  EXPECT_EQ(a.ok_batches, 1u);
  EXPECT_EQ(a.unsent, 4u);
  EXPECT_EQ(a.latency.Count(), 2u);
  EXPECT_EQ(a.latency.Max(), 3000);
  EXPECT_EQ(a.send_lag.Count(), 4u);  // lateness of every request, failures included
  EXPECT_EQ(a.send_lag.Max(), 7'000'000);
  EXPECT_EQ(a.by_code.at(200), 2u);
  EXPECT_EQ(a.by_code.at(kTransportError), 1u);
}

// ---- bytes and per-second windows -------------------------------------------

// A list answer as the server writes it (nlohmann's compact dump).
std::string ListAnswer(const std::vector<std::pair<std::string, std::string>>& items) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [key, value] : items) {
    list.push_back({{"key", key},
                    {"size", value.size()},
                    {"etag", "3f2e164520ceebc457a30a9e"},
                    {"value_b64", Base64Encode(value)}});
  }
  return nlohmann::json{{"items", list}, {"next", nullptr}}.dump();
}

TEST(OpBytes, ScanSumsTheListedValueSizes) {
  EXPECT_EQ(ScanValueBytes(ListAnswer({})), 0u);
  EXPECT_EQ(ScanValueBytes(ListAnswer({{"k0", std::string(10240, 'x')},
                                       {"k1", "abc"},
                                       {"k10", ""}})),
            10243u);
  // A key that spells the member name is escaped inside its string, so it
  // is not counted.
  EXPECT_EQ(ScanValueBytes(ListAnswer({{"k\"size\":99", "ab"}, {"size\":7", "c"}})), 3u);
  // Whitespace after the colon is allowed; a non-number is skipped.
  EXPECT_EQ(ScanValueBytes(R"({"items":[{"size": 5},{"size":"x"},{"size":-2},{"size":7}]})"), 12u);
  EXPECT_EQ(ScanValueBytes("not json"), 0u);
}

TEST(OpBytes, CountsValueBytesOfSuccessesPerOp) {
  const std::string scan_body = ListAnswer({{"k0", "12345"}, {"k1", "678"}});
  struct Case {
    OpKind op;
    int status;
    std::string body;
    std::uint64_t read;
    std::uint64_t write;
  };
  const std::vector<Case> cases = {
      {OpKind::kGet, 200, std::string(300, 'v'), 300, 0},
      {OpKind::kGet, 404, "{\"code\":\"not_found\"}", 0, 0},
      {OpKind::kGet, 304, "", 0, 0},
      {OpKind::kGet, 429, "{}", 0, 0},
      {OpKind::kPut, 201, "", 0, 100},
      {OpKind::kPut, 204, "", 0, 100},
      {OpKind::kPut, 413, "", 0, 0},
      {OpKind::kBatch, 200, "{}", 0, 100u * kBatchPuts},
      {OpKind::kBatch, 429, "{}", 0, 0},
      {OpKind::kList, 200, scan_body, 0, 0},
      {OpKind::kScan, 200, scan_body, 8, 0},
      {OpKind::kScan, 429, scan_body, 0, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << OpName(c.op) << " " << c.status);
    const OpBytes bytes = CountOpBytes(c.op, c.status, c.body, 100);
    EXPECT_EQ(bytes.read, c.read);
    EXPECT_EQ(bytes.write, c.write);
  }
}

constexpr std::chrono::nanoseconds Seconds(double s) {
  return std::chrono::nanoseconds(static_cast<std::int64_t>(s * 1e9));
}

TEST(WindowCounts, CompletionsLandInTheirSecond) {
  WindowCounts w(/*max_windows=*/3);
  w.Add(std::chrono::nanoseconds(-1), {1, 1});  // warm-up: not counted
  w.Add(Seconds(0), {10, 0});
  w.Add(std::chrono::nanoseconds(999'999'999), {5, 2});  // still second 0
  w.Add(Seconds(1), {0, 7});                             // second 1 starts here
  w.Add(Seconds(2.5), {100, 0});
  w.Add(Seconds(2.999), {1, 1});
  w.Add(Seconds(3), {1000, 1000});  // past max_windows: dropped
  w.Add(Seconds(3600), {1, 1});
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w.ok(), (std::vector<std::uint64_t>{2, 1, 2}));
  EXPECT_EQ(w.read_bytes(), (std::vector<std::uint64_t>{15, 0, 101}));
  EXPECT_EQ(w.write_bytes(), (std::vector<std::uint64_t>{2, 7, 1}));
}

TEST(WindowCounts, MergeAddsPerSecondAndResizeZeroFillsOrTrims) {
  WindowCounts a(10);
  a.Add(Seconds(0.5), {1, 0});
  WindowCounts b(10);
  b.Add(Seconds(0.1), {2, 0});
  b.Add(Seconds(4.2), {0, 3});
  a.Merge(b);
  EXPECT_EQ(a.ok(), (std::vector<std::uint64_t>{2, 0, 0, 0, 1}));
  EXPECT_EQ(a.read_bytes(), (std::vector<std::uint64_t>{3, 0, 0, 0, 0}));
  EXPECT_EQ(a.write_bytes(), (std::vector<std::uint64_t>{0, 0, 0, 0, 3}));
  a.Resize(6);  // a sixth second in which nothing completed
  EXPECT_EQ(a.ok(), (std::vector<std::uint64_t>{2, 0, 0, 0, 1, 0}));
  a.Resize(2);  // the partial last seconds go
  EXPECT_EQ(a.ok(), (std::vector<std::uint64_t>{2, 0}));
  EXPECT_EQ(a.write_bytes(), (std::vector<std::uint64_t>{0, 0}));
  WindowCounts empty;
  empty.Add(Seconds(0), {1, 1});  // no windows kept at all
  EXPECT_EQ(empty.size(), 0u);
}

TEST(WindowCounts, SummaryGivesMinLowerMedianMax) {
  const WindowSummary odd = Summarise({500, 498, 502});
  EXPECT_EQ(odd.min, 498u);
  EXPECT_EQ(odd.median, 500u);
  EXPECT_EQ(odd.max, 502u);
  const WindowSummary even = Summarise({7, 1, 3, 5});
  EXPECT_EQ(even.min, 1u);
  EXPECT_EQ(even.median, 3u);
  EXPECT_EQ(even.max, 7u);
  const WindowSummary none = Summarise({});
  EXPECT_EQ(none.min, 0u);
  EXPECT_EQ(none.median, 0u);
  EXPECT_EQ(none.max, 0u);
}

TEST(LiveStats, WindowsCountSuccessesByCompletionTime) {
  LiveStats live(/*max_windows=*/2);
  // Due in warm-up, completed in the first measured second: counted in the
  // window (by completion), not in the measured totals (by due time).
  live.Record(false, OpKind::kPut, 204, 1, 0, Seconds(0.2), {0, 100});
  live.Record(true, OpKind::kScan, 200, 1, 0, Seconds(0.7), {4096, 0});
  live.Record(true, OpKind::kGet, 429, 1, 0, Seconds(0.8), {});  // not a success
  live.Record(true, OpKind::kGet, 404, 1, 0, Seconds(1.1), {});  // a miss is a success
  live.Record(true, OpKind::kGet, 200, 1, 0, Seconds(-0.1), {9, 0});  // warm-up completion
  const WindowCounts w = live.Windows();
  EXPECT_EQ(w.ok(), (std::vector<std::uint64_t>{2, 1}));
  EXPECT_EQ(w.read_bytes(), (std::vector<std::uint64_t>{4096, 0}));
  EXPECT_EQ(w.write_bytes(), (std::vector<std::uint64_t>{100, 0}));
  EXPECT_EQ(live.Measured().sent, 4u);
  EXPECT_EQ(live.All().sent, 5u);
}

// ---- report and progress ----------------------------------------------------

TenantResult Tenant(std::string name, double weight, int ok, int throttled) {
  TenantResult t;
  t.name = std::move(name);
  t.weight = weight;
  t.target_rate = 200;
  t.mix = "get:90/put:10";
  for (int i = 0; i < ok; ++i) t.stats.Record(OpKind::kGet, 200, 1'000'000, 0);
  for (int i = 0; i < throttled; ++i) t.stats.Record(OpKind::kGet, 429, 10'000, 0);
  return t;
}

TEST(Report, JsonHasTheContractedShape) {
  RunReport report;
  report.measured_seconds = 2;
  report.tenants = {Tenant("acme", 1, 400, 3), Tenant("beta", 2, 800, 0)};
  const nlohmann::ordered_json json = ReportJson(report);
  EXPECT_DOUBLE_EQ(json["duration_s"].get<double>(), 2.0);
  ASSERT_EQ(json["tenants"].size(), 2u);
  const auto& acme = json["tenants"][0];
  EXPECT_EQ(acme["name"], "acme");
  EXPECT_DOUBLE_EQ(acme["achieved_rate"].get<double>(), 200.0);
  EXPECT_EQ(acme["ok"], 400);
  EXPECT_EQ(acme["status"]["429"], 3);
  EXPECT_EQ(acme["status"]["503"], 0);
  EXPECT_EQ(acme["status"]["other"], 0);
  EXPECT_EQ(acme["status"]["transport"], 0);
  for (const char* p : {"p50", "p90", "p99", "p999", "max"}) {
    SCOPED_TRACE(p);
    EXPECT_NEAR(acme["latency_ms"][p].get<double>(), 1.0, 0.005);
  }
  // 200/1 and 400/2: exactly the weighted share.
  EXPECT_DOUBLE_EQ(json["jain_index"].get<double>(), 1.0);
  EXPECT_EQ(acme["windows"]["ok"], nlohmann::ordered_json::array());
  EXPECT_EQ(acme["windows"]["read_bytes"], nlohmann::ordered_json::array());
  EXPECT_EQ(acme["windows"]["write_bytes"], nlohmann::ordered_json::array());
  EXPECT_TRUE(json["stopped_early"].is_null());
}

TEST(Report, NothingMeasuredGivesNulls) {
  RunReport report;
  report.measured_seconds = 0;
  report.stopped_early = "interrupted";
  report.tenants = {Tenant("acme", 1, 0, 0)};
  const nlohmann::ordered_json json = ReportJson(report);
  EXPECT_TRUE(json["jain_index"].is_null());
  EXPECT_TRUE(json["tenants"][0]["latency_ms"].is_null());
  EXPECT_EQ(json["stopped_early"], "interrupted");
  EXPECT_NE(ReportTable(report).find("n/a"), std::string::npos);
}

TEST(Report, TableHasARowPerTenant) {
  RunReport report;
  report.measured_seconds = 1;
  report.tenants = {Tenant("acme", 1, 10, 0), Tenant("beta", 1, 0, 0)};
  const std::string table = ReportTable(report);
  EXPECT_NE(table.find("\nacme "), std::string::npos) << table;
  EXPECT_NE(table.find("\nbeta "), std::string::npos) << table;
  EXPECT_NE(table.find("0.5000"), std::string::npos) << table;  // one-hot over two tenants
}

TEST(Report, PerSecondWindowsInJsonAndTable) {
  RunReport report;
  report.measured_seconds = 3;
  TenantResult t = Tenant("acme", 1, 0, 0);
  t.windows = WindowCounts(3);
  t.windows.Add(Seconds(0.5), {100, 10});
  t.windows.Add(Seconds(1.5), {300, 0});
  t.windows.Add(Seconds(1.6), {0, 0});
  t.windows.Resize(3);
  report.tenants = {t};
  const nlohmann::ordered_json windows = ReportJson(report)["tenants"][0]["windows"];
  EXPECT_EQ(windows["ok"], nlohmann::ordered_json::parse("[1,2,0]"));
  EXPECT_EQ(windows["read_bytes"], nlohmann::ordered_json::parse("[100,300,0]"));
  EXPECT_EQ(windows["write_bytes"], nlohmann::ordered_json::parse("[10,0,0]"));
  const std::string table = ReportTable(report);
  EXPECT_NE(table.find("per second acme: 3 windows of 1 s; ok min/median/max 0/1/2; "
                       "read bytes min/max 0/300; write bytes min/max 0/10\n"),
            std::string::npos)
      << table;
}

TEST(Progress, LineShowsCountsAndP99) {
  std::vector<TenantProgress> tenants = {{"acme", {}}, {"beta", {}}};
  tenants[0].stats.Record(OpKind::kGet, 200, 2'000'000, 0);
  tenants[0].stats.Record(OpKind::kGet, 429, 1, 0);
  tenants[1].stats.Record(OpKind::kPut, 503, 1, 0);
  EXPECT_EQ(ProgressLine(3, false, tenants),
            "[   3s] acme sent 2 ok 1 429 1 503 0 p99 2.000ms | beta sent 1 ok 0 429 0 503 1 p99 -");
  EXPECT_EQ(ProgressLine(1, true, {}), "[   1s warmup]");
}

// ---- command line -----------------------------------------------------------

ParsedCommandLine Parse(std::vector<const char*> args) {
  args.insert(args.begin(), "tenantkv-bench");
  return ParseCommandLine(static_cast<int>(args.size()), args.data());
}

TEST(BenchCommandLine, RepeatedTenantsAccumulate) {
  const ParsedCommandLine parsed =
      Parse({"--server", "http://127.0.0.1:1", "--duration", "5", "--tenant", "name=a,token=t1",
             "--tenant", "name=b,token=t2", "--json", "--warmup", "1"});
  ASSERT_TRUE(parsed.options.has_value()) << parsed.output;
  EXPECT_EQ(parsed.options->tenant_specs,
            (std::vector<std::string>{"name=a,token=t1", "name=b,token=t2"}));
  EXPECT_TRUE(parsed.options->json);
  EXPECT_DOUBLE_EQ(parsed.options->warmup_seconds, 1.0);
}

TEST(BenchCommandLine, UsageErrorsExitWithTwo) {
  const std::vector<std::vector<const char*>> cases = {
      {"--duration", "5", "--tenant", "name=a"},
      {"--server", "http://127.0.0.1:1", "--tenant", "name=a"},
      {"--server", "http://127.0.0.1:1", "--duration", "5"},
      {"--server", "http://127.0.0.1:1", "--duration", "0", "--tenant", "name=a"},
      {"--server", "http://127.0.0.1:1", "--duration", "3601", "--tenant", "name=a"},
      {"--server", "http://127.0.0.1:1", "--duration", "5", "--tenant", "name=a", "--setup"},
      {"--server", "http://127.0.0.1:1", "--duration", "5", "--tenant", "name=a", "--max-requests",
       "0"},
      {"--server", "http://127.0.0.1:1", "--duration", "5", "--tenant", "name=a", "extra"},
  };
  for (const auto& args : cases) {
    SCOPED_TRACE(::testing::PrintToString(args));
    const ParsedCommandLine parsed = Parse(args);
    EXPECT_FALSE(parsed.options.has_value());
    EXPECT_EQ(parsed.exit_code, kExitUsage);
  }
}

TEST(BenchCommandLine, PlanRefusesWhatCannotRun) {
  struct Case {
    std::string server;
    std::vector<std::string> specs;
    bool setup;
    std::string message_part;
  };
  const std::vector<Case> cases = {
      {"http://192.168.0.1:80", {"name=a,token=t"}, false, "loopback"},
      {"http://127.0.0.1:80", {"name=a,token=t", "name=a,token=u"}, false, "twice"},
      {"http://127.0.0.1:80", {"name=a"}, false, "no token"},
      {"http://127.0.0.1:80", {"name=a,token_file=/nonexistent/t"}, false, "cannot read"},
      {"http://127.0.0.1:80", {"name=a,rate=x,token=t"}, false, "'rate'"},
      {"http://127.0.0.1:80",
       {"name=a,conns=256,token=t", "name=b,conns=256,token=t", "name=c,conns=256,token=t",
        "name=d,conns=256,token=t", "name=e,conns=1,token=t"},
       false, "1024"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message_part);
    BenchOptions options;
    options.server = c.server;
    options.duration_seconds = 1;
    options.tenant_specs = c.specs;
    options.setup = c.setup;
    Result<RunPlan> plan = PlanRun(options);
    ASSERT_FALSE(plan.ok());
    EXPECT_EQ(ExitCodeFor(plan.status()), kExitUsage);
    EXPECT_NE(plan.status().message().find(c.message_part), std::string::npos)
        << plan.status().message();
  }
}

TEST(BenchCommandLine, PlanWithSetupNeedsNoTokens) {
  BenchOptions options;
  options.server = "http://localhost:8080";
  options.duration_seconds = 2;
  options.setup = true;
  options.tenant_specs = {"name=a,rate=0", "name=b,weight=3"};
  Result<RunPlan> plan = PlanRun(options);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->target.host, "127.0.0.1");
  ASSERT_EQ(plan->tenants.size(), 2u);
  EXPECT_DOUBLE_EQ(plan->tenants[1].weight, 3.0);
  EXPECT_DOUBLE_EQ(plan->duration_seconds, 2.0);
}

}  // namespace
}  // namespace tenantkv::bench

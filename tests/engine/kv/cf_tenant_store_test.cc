// CfTenantStore, exercised through Engine::Open as the server uses it, for
// each tier it serves: a column family of its own, and a pooled column
// family shared with neighbours whose prefixes are right before and right
// after the tenant's (every test then also checks that nothing of theirs
// leaks in).
#include "engine/kv/cf_tenant_store.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing/test_util.h"

namespace tenantkv::engine::testutil {
namespace {

constexpr int64_t kSecond = 1000;

class CfTenantStore : public ::testing::TestWithParam<Tier> {
 protected:
  explicit CfTenantStore(size_t max_value_bytes = 1 << 20) : h_(max_value_bytes) {
    // One shared column family: every pooled tenant of the test is in it.
    h_.options().pooled_column_families = 1;
    // The memtables are charged to the block cache: with the harness's 8 MB
    // cache and this many column families the charges can fill it, and a
    // block read by Get would leave at once (GetResident's test reads it back).
    h_.options().block_cache_bytes = 64 << 20;
  }
  void SetUp() override {
    ASSERT_TRUE(h_.Open());
    // Neighbours created just before and after: in the pooled tier their
    // prefixes are the ones adjacent to acme's, and they hold keys at both
    // ends of the key space.
    ASSERT_TRUE(h_->tenants().Create("before", "", GetParam()).ok());
    ASSERT_TRUE(h_->tenants().Create("acme", "", GetParam()).ok());
    ASSERT_TRUE(h_->tenants().Create("after", "", GetParam()).ok());
    if (GetParam() == Tier::kPooled) {
      ASSERT_EQ(h_->tenants().Get("acme").value()->Info().placement.rfind("pool:p.0/", 0), 0u);
    }
    for (const char* id : {"before", "after"}) {
      for (const std::string& k : NeighbourKeys()) {
        ASSERT_TRUE(h_.Store(id).Put(k, std::string("neighbour-") + id, {}).ok());
      }
    }
  }
  // Keys at the edges of the key space, and ones the tests use.
  static std::vector<std::string> NeighbourKeys() {
    return {std::string(1, '\0'), std::string(kMaxKeyBytes, '\xff'), "k", "k1", "a", "shared/0", "only-acme"};
  }
  TenantStore& store() { return h_.Store("acme"); }

  PutResult MustPut(std::string_view key, std::string_view value, int64_t ttl_seconds = 0) {
    PutOptions o;
    o.ttl_seconds = ttl_seconds;
    auto r = store().Put(key, value, o);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : PutResult{};
  }

  // Every live key and its value, paging with `page_limit`.
  std::map<std::string, std::string> ListAll(TenantStore& s, size_t page_limit = 1000) {
    std::map<std::string, std::string> out;
    ListRequest req;
    req.limit = page_limit;
    req.with_values = true;
    for (int pages = 0; pages < 10000; ++pages) {
      auto page = s.List(req);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok()) break;
      for (auto& item : page->items) {
        EXPECT_TRUE(item.value.has_value());
        EXPECT_EQ(item.size, item.value->size());
        out[item.key] = *item.value;
      }
      if (!page->next) break;
      EXPECT_EQ(*page->next, page->items.back().key);
      req.start_after = page->next;
    }
    return out;
  }

  static Usage UsageOf(const std::map<std::string, std::string>& kv) {
    Usage u;
    for (const auto& [k, v] : kv) {
      u.keys += 1;
      u.logical_bytes += static_cast<int64_t>(k.size() + v.size());
    }
    return u;
  }

  EngineHarness h_;
};

void ExpectCode(const Status& s, Code code, const std::string& reason = "") {
  EXPECT_EQ(s.code(), code) << s.ToString();
  if (!reason.empty()) {
    EXPECT_EQ(s.reason(), reason) << s.ToString();
  }
}

std::vector<std::string> Keys(const ListPage& page) {
  std::vector<std::string> keys;
  for (const auto& item : page.items) keys.push_back(item.key);
  return keys;
}

TEST_P(CfTenantStore, PutGetDelete) {
  MustPut("k1", "v1");
  auto got = store().Get("k1");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->value, "v1");
  EXPECT_EQ(got->expires_at_ms, 0);

  ASSERT_TRUE(store().Delete("k1", {}).ok());
  ExpectCode(store().Get("k1").status(), Code::kNotFound, "not_found");
  ExpectCode(store().Delete("k1", {}), Code::kNotFound);
  ExpectCode(store().Get("never").status(), Code::kNotFound);
}

TEST_P(CfTenantStore, GetResidentAnswersFromMemoryOrSaysItWouldBlock) {
  MustPut("k", "v");
  auto hot = store().GetResident("k");  // in the memtable
  ASSERT_TRUE(hot.ok()) << hot.status().ToString();
  EXPECT_EQ(hot->value, "v");
  EXPECT_EQ(hot->etag, store().Get("k")->etag);
  ExpectCode(store().GetResident("absent").status(), Code::kNotFound, "not_found");
  ExpectCode(store().GetResident("").status(), Code::kInvalidArgument);
  // On disk now: only what the block cache holds is answered.
  ASSERT_TRUE(h_->Flush().ok());
  auto cold = store().GetResident("k");
  if (!cold.ok()) ExpectCode(cold.status(), Code::kUnavailable, "would_block");
  ASSERT_TRUE(store().Get("k").ok());  // reads the block into the cache
  auto warm = store().GetResident("k");
  ASSERT_TRUE(warm.ok()) << warm.status().ToString();
  EXPECT_EQ(warm->value, "v");
  // An expired value is deleted by the read that finds it: a write.
  MustPut("t", "v", 10);
  h_.clock().AdvanceMillis(10 * kSecond);
  ExpectCode(store().GetResident("t").status(), Code::kUnavailable, "would_block");
  ExpectCode(store().Get("t").status(), Code::kNotFound);
}

TEST_P(CfTenantStore, BinaryKeysAndValuesRoundTrip) {
  const std::string key("\x00k\xff", 3);
  const std::string value("\x00\x01\xfe\xff", 4);
  MustPut(key, value);
  auto got = store().Get(key);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->value, value);
  MustPut("empty", "");
  EXPECT_EQ(store().Get("empty")->value, "");
}

TEST_P(CfTenantStore, ReportsCreatedThenReplaced) {
  EXPECT_TRUE(MustPut("k", "1").created);
  EXPECT_FALSE(MustPut("k", "2").created);
  EXPECT_FALSE(MustPut("k", "3").created);
  EXPECT_EQ(store().Get("k")->value, "3");
  ASSERT_TRUE(store().Delete("k", {}).ok());
  EXPECT_TRUE(MustPut("k", "4").created);
}

TEST_P(CfTenantStore, EtagChangesOnEveryPut) {
  std::vector<std::string> etags;
  for (int i = 0; i < 5; ++i) {
    PutResult r = MustPut("k", "same value");
    EXPECT_EQ(r.etag.size(), 24u);
    auto got = store().Get("k");
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->etag, r.etag);
    for (const auto& e : etags) EXPECT_NE(e, r.etag);
    etags.push_back(r.etag);
  }
}

TEST_P(CfTenantStore, PutConditions) {
  const std::string etag = MustPut("present", "v").etag;
  struct Case {
    const char* name;
    const char* key;
    std::optional<std::string> if_match;
    bool if_none_match_any;
    bool ok;
  };
  const std::vector<Case> cases = {
      {"If-Match right", "present", etag, false, true},
      {"If-Match wrong", "present", std::string(24, '0'), false, false},
      {"If-Match empty", "present", std::string(), false, false},
      {"If-Match * on present", "present", std::string("*"), false, true},
      {"If-Match * on absent", "absent", std::string("*"), false, false},
      {"If-Match etag on absent", "absent", etag, false, false},
      {"If-None-Match * on present", "present", std::nullopt, true, false},
      {"If-None-Match * on absent", "absent", std::nullopt, true, true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    // Reset: "present" holds `etag`'s value, "absent" is absent.
    store().Delete("absent", {}).IgnoreError();
    const auto before = store().Get("present");
    ASSERT_TRUE(before.ok());
    PutOptions o;
    o.condition.if_match = c.if_match;
    o.condition.if_none_match_any = c.if_none_match_any;
    if (c.if_match && *c.if_match == etag) o.condition.if_match = before->etag;
    auto r = store().Put(c.key, "new", o);
    if (c.ok) {
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      EXPECT_EQ(store().Get(c.key)->value, "new");
      EXPECT_EQ(store().Get(c.key)->etag, r->etag);
    } else {
      ASSERT_FALSE(r.ok());
      ExpectCode(r.status(), Code::kFailedPrecondition, "precondition_failed");
      auto after = store().Get(c.key);
      if (std::string(c.key) == "present") {
        ASSERT_TRUE(after.ok());
        EXPECT_EQ(after->etag, before->etag);
        EXPECT_EQ(after->value, before->value);
      } else {
        ExpectCode(after.status(), Code::kNotFound);
      }
    }
  }
}

TEST_P(CfTenantStore, DeleteConditions) {
  const std::string etag = MustPut("k", "v").etag;
  WriteCondition wrong;
  wrong.if_match = "000000000000000000000000";
  ExpectCode(store().Delete("k", wrong), Code::kFailedPrecondition, "precondition_failed");
  EXPECT_TRUE(store().Get("k").ok());
  WriteCondition none;
  none.if_none_match_any = true;
  ExpectCode(store().Delete("k", none), Code::kFailedPrecondition, "precondition_failed");
  EXPECT_TRUE(store().Get("k").ok());
  WriteCondition right;
  right.if_match = etag;
  EXPECT_TRUE(store().Delete("k", right).ok());
  ExpectCode(store().Get("k").status(), Code::kNotFound);
  WriteCondition any;
  any.if_match = "*";
  ExpectCode(store().Delete("k", any), Code::kNotFound);
}

TEST_P(CfTenantStore, TtlExpiresLazilyAndUsageDropsBack) {
  MustPut("forever", "x");
  const Usage base = store().GetUsage();
  const int64_t start = h_.clock().NowUnixMillis();
  MustPut("ttl", "temporary", 10);
  EXPECT_EQ(store().GetUsage().keys, base.keys + 1);
  EXPECT_EQ(store().GetUsage().logical_bytes, base.logical_bytes + 3 + 9);

  h_.clock().AdvanceMillis(10 * kSecond - 1);
  auto got = store().Get("ttl");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->value, "temporary");
  EXPECT_EQ(got->expires_at_ms, start + 10 * kSecond);

  h_.clock().AdvanceMillis(1);  // now == expiry: expired
  ExpectCode(store().Get("ttl").status(), Code::kNotFound, "not_found");
  EXPECT_EQ(store().GetUsage().keys, base.keys);
  EXPECT_EQ(store().GetUsage().logical_bytes, base.logical_bytes);
  ExpectCode(store().Get("ttl").status(), Code::kNotFound);
  EXPECT_EQ(store().GetUsage().keys, base.keys);
  EXPECT_EQ(store().Get("forever")->value, "x");
}

TEST_P(CfTenantStore, ExpiredKeyIsAbsentForConditionsAndCreate) {
  MustPut("k", "old", 1);
  h_.clock().AdvanceMillis(5 * kSecond);
  PutOptions match;
  match.condition.if_match = "*";
  ExpectCode(store().Put("k", "x", match).status(), Code::kFailedPrecondition, "precondition_failed");
  PutOptions none;
  none.condition.if_none_match_any = true;
  auto r = store().Put("k", "new", none);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->created);
  EXPECT_EQ(store().Get("k")->value, "new");
  EXPECT_EQ(store().Get("k")->expires_at_ms, 0);
  EXPECT_EQ(store().GetUsage().keys, 1);
  EXPECT_EQ(store().GetUsage().logical_bytes, 1 + 3);
}

TEST_P(CfTenantStore, DeleteOfExpiredKeyIsNotFoundAndReclaims) {
  MustPut("k", "old", 1);
  h_.clock().AdvanceMillis(2 * kSecond);
  ExpectCode(store().Delete("k", {}), Code::kNotFound);
  EXPECT_EQ(store().GetUsage().keys, 0);
  EXPECT_EQ(store().GetUsage().logical_bytes, 0);
}

TEST_P(CfTenantStore, RejectsBadTtl) {
  for (int64_t ttl : {int64_t{-1}, kMaxTtlSeconds + 1}) {
    SCOPED_TRACE(ttl);
    PutOptions o;
    o.ttl_seconds = ttl;
    ExpectCode(store().Put("k", "v", o).status(), Code::kInvalidArgument);
  }
  PutOptions o;
  o.ttl_seconds = kMaxTtlSeconds;
  EXPECT_TRUE(store().Put("k", "v", o).ok());
  ExpectCode(store().Get("absent").status(), Code::kNotFound);
}

TEST_P(CfTenantStore, ListByPrefixStartAfterAndLimit) {
  for (const char* k : {"a", "b/1", "b/2", "b/3", "b/4", "b/5", "c"}) MustPut(k, std::string("v:") + k);
  struct Case {
    const char* name;
    std::string prefix;
    std::optional<std::string> start_after;
    size_t limit;
    std::vector<std::string> keys;
    std::optional<std::string> next;
  };
  const std::vector<Case> cases = {
      {"everything", "", std::nullopt, 100, {"a", "b/1", "b/2", "b/3", "b/4", "b/5", "c"}, std::nullopt},
      {"prefix", "b/", std::nullopt, 100, {"b/1", "b/2", "b/3", "b/4", "b/5"}, std::nullopt},
      {"prefix, limit", "b/", std::nullopt, 2, {"b/1", "b/2"}, "b/2"},
      {"prefix, start_after", "b/", "b/2", 2, {"b/3", "b/4"}, "b/4"},
      {"last page exactly full", "b/", "b/3", 2, {"b/4", "b/5"}, std::nullopt},
      {"last page short", "b/", "b/4", 2, {"b/5"}, std::nullopt},
      {"start_after the last", "b/", "b/5", 2, {}, std::nullopt},
      {"start_after absent key", "b/", "b/25", 10, {"b/3", "b/4", "b/5"}, std::nullopt},
      {"start_after before prefix", "b/", "a", 10, {"b/1", "b/2", "b/3", "b/4", "b/5"}, std::nullopt},
      {"start_after past prefix", "b/", "c", 10, {}, std::nullopt},
      {"no match", "zz", std::nullopt, 10, {}, std::nullopt},
      {"limit 1", "", std::nullopt, 1, {"a"}, "a"},
      {"whole key as prefix", "c", std::nullopt, 1, {"c"}, std::nullopt},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ListRequest req;
    req.prefix = c.prefix;
    req.start_after = c.start_after;
    req.limit = c.limit;
    auto page = store().List(req);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    EXPECT_EQ(Keys(*page), c.keys);
    EXPECT_EQ(page->next, c.next);
    for (const auto& item : page->items) {
      EXPECT_FALSE(item.value.has_value());
      EXPECT_EQ(item.size, 2 + item.key.size());
      EXPECT_EQ(item.etag, store().Get(item.key)->etag);
    }
  }
}

TEST_P(CfTenantStore, ListPagesThroughEverythingOnce) {
  std::map<std::string, std::string> expected;
  for (int i = 0; i < 25; ++i) {
    std::string k = "key" + std::to_string(i);
    MustPut(k, "value" + std::to_string(i * i));
    expected[k] = "value" + std::to_string(i * i);
  }
  for (size_t limit : {size_t{1}, size_t{4}, size_t{5}, size_t{24}, size_t{25}, size_t{26}}) {
    SCOPED_TRACE(limit);
    EXPECT_EQ(ListAll(store(), limit), expected);
  }
}

TEST_P(CfTenantStore, ListWithValues) {
  MustPut("a", "alpha");
  MustPut("b", "");
  ListRequest req;
  req.with_values = true;
  auto page = store().List(req);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[0].value, std::optional<std::string>("alpha"));
  EXPECT_EQ(page->items[0].size, 5u);
  EXPECT_EQ(page->items[1].value, std::optional<std::string>(""));
  EXPECT_EQ(page->items[1].size, 0u);
}

TEST_P(CfTenantStore, ListSkipsExpiredKeys) {
  MustPut("a", "1");
  MustPut("b", "2", 5);
  MustPut("c", "3", 50);
  MustPut("d", "4");
  h_.clock().AdvanceMillis(10 * kSecond);
  for (bool with_values : {false, true}) {
    SCOPED_TRACE(with_values);
    ListRequest req;
    req.with_values = with_values;
    auto page = store().List(req);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    EXPECT_EQ(Keys(*page), (std::vector<std::string>{"a", "c", "d"}));
    req.limit = 1;
    req.start_after = "a";
    page = store().List(req);
    ASSERT_TRUE(page.ok());
    EXPECT_EQ(Keys(*page), (std::vector<std::string>{"c"}));
  }
}

TEST_P(CfTenantStore, ListOrdersBinaryKeysBytewise) {
  const std::vector<std::string> sorted = {
      std::string("k", 1),      std::string("k\x00", 2),  std::string("k\x00\x00", 3),
      std::string("k\x01", 2),  std::string("k\x7f", 2),  std::string("k\x80", 2),
      std::string("k\xff", 2),  std::string("k\xff\x00", 3), std::string("k\xff\xff", 3),
  };
  for (auto it = sorted.rbegin(); it != sorted.rend(); ++it) MustPut(*it, "v");
  MustPut("j\xff", "v");
  MustPut("l", "v");

  ListRequest req;
  req.prefix = "k";
  auto page = store().List(req);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Keys(*page), sorted);

  req.prefix = std::string("k\xff", 2);
  page = store().List(req);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Keys(*page), (std::vector<std::string>(sorted.end() - 3, sorted.end())));

  req.prefix = std::string("k\x00", 2);
  page = store().List(req);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Keys(*page), (std::vector<std::string>(sorted.begin() + 1, sorted.begin() + 3)));

  // Paging one at a time visits the same order, start_after holding 0x00/0xFF.
  std::vector<std::string> paged;
  req.prefix = "k";
  req.limit = 1;
  req.start_after.reset();
  for (int i = 0; i < 20; ++i) {
    page = store().List(req);
    ASSERT_TRUE(page.ok());
    for (auto& item : page->items) paged.push_back(item.key);
    if (!page->next) break;
    req.start_after = page->next;
  }
  EXPECT_EQ(paged, sorted);

  req.limit = 100;
  req.start_after = std::string("k\x00", 2);
  page = store().List(req);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Keys(*page), (std::vector<std::string>(sorted.begin() + 2, sorted.end())));
}

TEST_P(CfTenantStore, ListRejectsBadLimits) {
  for (size_t limit : {size_t{0}, kMaxListLimit + 1}) {
    SCOPED_TRACE(limit);
    ListRequest req;
    req.limit = limit;
    ExpectCode(store().List(req).status(), Code::kInvalidArgument, "invalid_limit");
  }
  ListRequest req;
  req.limit = kMaxListLimit;
  EXPECT_TRUE(store().List(req).ok());
}

TEST_P(CfTenantStore, KeyLengthLimits) {
  const std::string max_key(kMaxKeyBytes, 'k');
  MustPut(max_key, "v");
  EXPECT_EQ(store().Get(max_key)->value, "v");
  EXPECT_TRUE(store().Delete(max_key, {}).ok());

  struct Case {
    const char* name;
    std::string key;
  };
  const std::vector<Case> cases = {{"empty", ""}, {"1025 bytes", std::string(kMaxKeyBytes + 1, 'k')}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ExpectCode(store().Put(c.key, "v", {}).status(), Code::kInvalidArgument);
    ExpectCode(store().Get(c.key).status(), Code::kInvalidArgument);
    ExpectCode(store().Delete(c.key, {}), Code::kInvalidArgument);
    ExpectCode(store().Batch({BatchOp{BatchOpType::kPut, c.key, "v"}}).status(), Code::kInvalidArgument);
  }
  EXPECT_EQ(store().GetUsage().keys, 0);
}

class CfTenantStoreSmallValues : public CfTenantStore {
 protected:
  CfTenantStoreSmallValues() : CfTenantStore(1000) {}
};

TEST_P(CfTenantStoreSmallValues, RejectsValuesOverTheLimit) {
  MustPut("k", std::string(1000, 'v'));
  auto r = store().Put("k", std::string(1001, 'w'), {});
  ASSERT_FALSE(r.ok());
  ExpectCode(r.status(), Code::kTooLarge, "value_too_large");
  EXPECT_EQ(store().Get("k")->value, std::string(1000, 'v'));

  auto b = store().Batch({BatchOp{BatchOpType::kPut, "a", "small"},
                          BatchOp{BatchOpType::kPut, "b", std::string(1001, 'w')}});
  ASSERT_FALSE(b.ok());
  ExpectCode(b.status(), Code::kTooLarge, "value_too_large");
  ExpectCode(store().Get("a").status(), Code::kNotFound);
}

TEST_P(CfTenantStore, BatchIsAtomic) {
  MustPut("existing", "old");
  const Usage before = store().GetUsage();
  const std::string existing_etag = store().Get("existing")->etag;
  struct Case {
    const char* name;
    BatchOp bad;
  };
  const std::vector<Case> cases = {
      {"empty key", BatchOp{BatchOpType::kPut, "", "v"}},
      {"long key", BatchOp{BatchOpType::kDelete, std::string(kMaxKeyBytes + 1, 'x'), ""}},
      {"empty key get", BatchOp{BatchOpType::kGet, "", ""}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<BatchOp> ops = {
        {BatchOpType::kPut, "new", "v"},
        {BatchOpType::kPut, "existing", "changed"},
        {BatchOpType::kDelete, "existing", ""},
        c.bad,
    };
    auto r = store().Batch(ops);
    ASSERT_FALSE(r.ok());
    ExpectCode(r.status(), Code::kInvalidArgument);
    ExpectCode(store().Get("new").status(), Code::kNotFound);
    auto e = store().Get("existing");
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(e->value, "old");
    EXPECT_EQ(e->etag, existing_etag);
    EXPECT_EQ(store().GetUsage().keys, before.keys);
    EXPECT_EQ(store().GetUsage().logical_bytes, before.logical_bytes);
  }
}

TEST_P(CfTenantStore, BatchOpsSeeEarlierOps) {
  MustPut("b", "old-b");
  std::vector<BatchOp> ops = {
      {BatchOpType::kGet, "a", ""},       // absent
      {BatchOpType::kPut, "a", "1"},      // created
      {BatchOpType::kGet, "a", ""},       // found "1"
      {BatchOpType::kPut, "a", "2"},      // replaced
      {BatchOpType::kGet, "a", ""},       // found "2"
      {BatchOpType::kDelete, "a", ""},    // deleted
      {BatchOpType::kGet, "a", ""},       // absent
      {BatchOpType::kDelete, "a", ""},    // absent
      {BatchOpType::kPut, "a", "3"},      // created
      {BatchOpType::kGet, "b", ""},       // found "old-b"
      {BatchOpType::kPut, "b", "new-b"},  // replaced
      {BatchOpType::kDelete, "zzz", ""},  // absent
  };
  auto r = store().Batch(ops);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), ops.size());
  using O = BatchOutcome;
  const std::vector<O> outcomes = {O::kAbsent, O::kCreated, O::kFound,  O::kReplaced, O::kFound,    O::kDeleted,
                                   O::kAbsent, O::kAbsent,  O::kCreated, O::kFound,   O::kReplaced, O::kAbsent};
  for (size_t i = 0; i < ops.size(); ++i) {
    SCOPED_TRACE("op " + std::to_string(i));
    EXPECT_EQ((*r)[i].outcome, outcomes[i]);
  }
  EXPECT_EQ((*r)[2].value, std::optional<std::string>("1"));
  EXPECT_EQ((*r)[4].value, std::optional<std::string>("2"));
  EXPECT_EQ((*r)[9].value, std::optional<std::string>("old-b"));
  EXPECT_FALSE((*r)[0].value.has_value());
  // A get reports the etag of the put before it.
  ASSERT_TRUE((*r)[1].etag && (*r)[2].etag);
  EXPECT_EQ(*(*r)[1].etag, *(*r)[2].etag);
  EXPECT_NE(*(*r)[1].etag, *(*r)[3].etag);

  EXPECT_EQ(store().Get("a")->value, "3");
  EXPECT_EQ(store().Get("a")->etag, *(*r)[8].etag);
  EXPECT_EQ(store().Get("b")->value, "new-b");
  EXPECT_EQ(store().Get("b")->etag, *(*r)[10].etag);
  EXPECT_EQ(store().GetUsage().keys, 2);
  EXPECT_EQ(store().GetUsage().logical_bytes, 1 + 1 + 1 + 5);
}

TEST_P(CfTenantStore, BatchDuplicateKeysLastWriteWins) {
  auto r = store().Batch({{BatchOpType::kPut, "k", "first"},
                          {BatchOpType::kPut, "k", "second"},
                          {BatchOpType::kPut, "k", "third"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].outcome, BatchOutcome::kCreated);
  EXPECT_EQ((*r)[1].outcome, BatchOutcome::kReplaced);
  EXPECT_EQ((*r)[2].outcome, BatchOutcome::kReplaced);
  EXPECT_EQ(store().Get("k")->value, "third");
  EXPECT_EQ(store().GetUsage().keys, 1);
  EXPECT_EQ(store().GetUsage().logical_bytes, 1 + 5);

  r = store().Batch({{BatchOpType::kPut, "tmp", "x"}, {BatchOpType::kDelete, "tmp", ""}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].outcome, BatchOutcome::kCreated);
  EXPECT_EQ((*r)[1].outcome, BatchOutcome::kDeleted);
  ExpectCode(store().Get("tmp").status(), Code::kNotFound);
  EXPECT_EQ(store().GetUsage().keys, 1);
}

TEST_P(CfTenantStore, BatchSizeLimits) {
  ExpectCode(store().Batch({}).status(), Code::kInvalidArgument, "invalid_batch");
  std::vector<BatchOp> ops;
  for (size_t i = 0; i < kMaxBatchOps + 1; ++i) {
    ops.push_back({BatchOpType::kPut, "k" + std::to_string(i), "v"});
  }
  ExpectCode(store().Batch(ops).status(), Code::kInvalidArgument, "invalid_batch");
  EXPECT_EQ(store().GetUsage().keys, 0);
  ops.pop_back();
  auto r = store().Batch(ops);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->size(), kMaxBatchOps);
  EXPECT_EQ(store().GetUsage().keys, static_cast<int64_t>(kMaxBatchOps));
}

TEST_P(CfTenantStore, ListStopsBeforeTheValueBound) {
  for (int i = 0; i < 6; ++i) MustPut("b/" + std::to_string(i), std::string(100, static_cast<char>('a' + i)));
  ListRequest req;
  req.prefix = "b/";
  req.with_values = true;
  req.max_value_bytes = 250;
  std::vector<size_t> sizes;
  for (int pages = 0; pages < 10; ++pages) {
    auto page = store().List(req);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    sizes.push_back(page->items.size());
    if (!page->next) break;
    EXPECT_EQ(*page->next, page->items.back().key);
    req.start_after = page->next;
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{2, 2, 2}));
  // A value alone over the bound is answered alone, as a GET of it would be.
  req.start_after.reset();
  req.max_value_bytes = 50;
  auto alone = store().List(req);
  ASSERT_TRUE(alone.ok());
  ASSERT_EQ(alone->items.size(), 1u);
  EXPECT_EQ(alone->next, "b/0");
  // The bound is on values: a list without them is not cut short.
  req.with_values = false;
  auto keys = store().List(req);
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->items.size(), 6u);
}

TEST_P(CfTenantStore, BatchRefusesGetsPastTheBoundAndAppliesNothing) {
  MustPut("big", std::string(100, 'b'));
  BatchLimits limits;
  limits.max_get_bytes = 250;
  const std::vector<BatchOp> over = {{BatchOpType::kPut, "new", "v"},
                                     {BatchOpType::kGet, "big", ""},
                                     {BatchOpType::kGet, "big", ""},
                                     {BatchOpType::kGet, "big", ""}};
  ExpectCode(store().Batch(over, limits).status(), Code::kTooLarge, "response_too_large");
  ExpectCode(store().Get("new").status(), Code::kNotFound);
  // Gets of a value the batch itself puts count too; deleted or absent keys answer nothing.
  const std::vector<BatchOp> own = {{BatchOpType::kPut, "mine", std::string(200, 'm')},
                                    {BatchOpType::kGet, "mine", ""},
                                    {BatchOpType::kGet, "mine", ""}};
  ExpectCode(store().Batch(own, limits).status(), Code::kTooLarge, "response_too_large");
  ExpectCode(store().Get("mine").status(), Code::kNotFound);
  const std::vector<BatchOp> within = {{BatchOpType::kPut, "new", "v"},     {BatchOpType::kGet, "big", ""},
                                       {BatchOpType::kGet, "big", ""},      {BatchOpType::kDelete, "big", ""},
                                       {BatchOpType::kGet, "big", ""},      {BatchOpType::kGet, "absent", ""}};
  auto r = store().Batch(within, limits);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[2].value, std::string(100, 'b'));
  EXPECT_EQ((*r)[4].outcome, BatchOutcome::kAbsent);
  EXPECT_TRUE(store().Get("new").ok());
}

TEST_P(CfTenantStore, BatchReadsKeysFromTableFilesAndTheMemtableTogether) {
  // The batch reads all its keys in one MultiGet: some of them in flushed
  // table files, some overwritten since in the memtable, one with a TTL
  // (its expiry is inside the ciphertext), some absent.
  for (int i = 0; i < 40; ++i) MustPut("k" + std::to_string(i), "file-" + std::to_string(i));
  MustPut("ttl", "lives", 3600);
  ASSERT_TRUE(h_->Flush().ok());
  for (int i = 0; i < 40; i += 3) MustPut("k" + std::to_string(i), "mem-" + std::to_string(i));
  const Usage before = store().GetUsage();

  std::vector<BatchOp> ops;
  for (int i = 39; i >= 0; --i) ops.push_back({BatchOpType::kGet, "k" + std::to_string(i), ""});
  ops.push_back({BatchOpType::kGet, "ttl", ""});
  ops.push_back({BatchOpType::kGet, "absent", ""});
  ops.push_back({BatchOpType::kPut, "k5", "new-5"});     // was in a file only
  ops.push_back({BatchOpType::kPut, "k6", "new-6"});     // overwritten in the memtable
  ops.push_back({BatchOpType::kPut, "fresh", "f"});      // absent
  ops.push_back({BatchOpType::kDelete, "k7", ""});
  auto r = store().Batch(ops);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  for (int i = 39; i >= 0; --i) {
    const BatchOpResult& got = (*r)[39 - i];
    SCOPED_TRACE("k" + std::to_string(i));
    EXPECT_EQ(got.outcome, BatchOutcome::kFound);
    EXPECT_EQ(got.value, std::optional<std::string>((i % 3 == 0 ? "mem-" : "file-") + std::to_string(i)));
  }
  EXPECT_EQ((*r)[40].value, std::optional<std::string>("lives"));
  EXPECT_EQ((*r)[41].outcome, BatchOutcome::kAbsent);
  EXPECT_EQ((*r)[42].outcome, BatchOutcome::kReplaced);
  EXPECT_EQ((*r)[43].outcome, BatchOutcome::kReplaced);
  EXPECT_EQ((*r)[44].outcome, BatchOutcome::kCreated);
  EXPECT_EQ((*r)[45].outcome, BatchOutcome::kDeleted);
  EXPECT_EQ(store().Get("k5")->value, "new-5");
  EXPECT_EQ(store().Get("k6")->value, "new-6");
  ExpectCode(store().Get("k7").status(), Code::kNotFound);
  EXPECT_EQ(store().GetUsage().keys, before.keys);  // one created, one deleted
  const int64_t delta = (2 + 5) - (2 + 6)  // k5: file-5 -> new-5
                        + (2 + 5) - (2 + 5)  // k6: mem-6 -> new-6
                        + (5 + 1)            // fresh
                        - (2 + 6);           // k7: file-7 deleted
  EXPECT_EQ(store().GetUsage().logical_bytes, before.logical_bytes + delta);
}

TEST_P(CfTenantStore, BatchOverExpiredKeyTreatsItAsAbsent) {
  MustPut("k", "old", 1);
  h_.clock().AdvanceMillis(2 * kSecond);
  auto r = store().Batch({{BatchOpType::kGet, "k", ""}, {BatchOpType::kPut, "k", "new"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].outcome, BatchOutcome::kAbsent);
  EXPECT_EQ((*r)[1].outcome, BatchOutcome::kCreated);
  EXPECT_EQ(store().Get("k")->value, "new");
  EXPECT_EQ(store().Get("k")->expires_at_ms, 0);
  EXPECT_EQ(store().GetUsage().keys, 1);
  EXPECT_EQ(store().GetUsage().logical_bytes, 1 + 3);
}

TEST_P(CfTenantStore, UsageIsExactAfterARandomMixAndPersists) {
  std::mt19937 rng(20240611);
  std::map<std::string, std::string> model;
  auto pick_key = [&] { return "key/" + std::to_string(rng() % 40) + std::string(rng() % 5, 'x'); };
  auto pick_value = [&] { return std::string(rng() % 300, static_cast<char>('a' + rng() % 26)); };
  for (int step = 0; step < 600; ++step) {
    const unsigned what = rng() % 10;
    if (what < 5) {
      std::string k = pick_key(), v = pick_value();
      PutResult r = MustPut(k, v);
      EXPECT_EQ(r.created, model.count(k) == 0) << k;
      model[k] = v;
    } else if (what < 8) {
      std::string k = pick_key();
      Status s = store().Delete(k, {});
      EXPECT_EQ(s.ok(), model.count(k) == 1) << k << ": " << s.ToString();
      model.erase(k);
    } else {
      std::vector<BatchOp> ops;
      std::vector<BatchOutcome> expected;
      auto shadow = model;
      const size_t n = 1 + rng() % 12;
      for (size_t i = 0; i < n; ++i) {
        BatchOp op;
        op.key = pick_key();
        const unsigned t = rng() % 3;
        op.type = t == 0 ? BatchOpType::kPut : t == 1 ? BatchOpType::kDelete : BatchOpType::kGet;
        if (op.type == BatchOpType::kPut) {
          op.value = pick_value();
          expected.push_back(shadow.count(op.key) ? BatchOutcome::kReplaced : BatchOutcome::kCreated);
          shadow[op.key] = op.value;
        } else if (op.type == BatchOpType::kDelete) {
          expected.push_back(shadow.count(op.key) ? BatchOutcome::kDeleted : BatchOutcome::kAbsent);
          shadow.erase(op.key);
        } else {
          expected.push_back(shadow.count(op.key) ? BatchOutcome::kFound : BatchOutcome::kAbsent);
        }
        ops.push_back(std::move(op));
      }
      auto r = store().Batch(ops);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      for (size_t i = 0; i < n; ++i) EXPECT_EQ((*r)[i].outcome, expected[i]) << "step " << step << " op " << i;
      model = std::move(shadow);
    }
  }
  ASSERT_FALSE(model.empty());
  const Usage want = UsageOf(model);
  EXPECT_EQ(ListAll(store()), model);
  EXPECT_EQ(UsageOf(ListAll(store(), 7)).keys, want.keys);
  EXPECT_EQ(store().GetUsage().keys, want.keys);
  EXPECT_EQ(store().GetUsage().logical_bytes, want.logical_bytes);

  ASSERT_TRUE(h_.Open());  // close and reopen over the same files
  EXPECT_EQ(store().GetUsage().keys, want.keys);
  EXPECT_EQ(store().GetUsage().logical_bytes, want.logical_bytes);
  EXPECT_EQ(ListAll(store()), model);

  ASSERT_TRUE(h_->Flush().ok());
  ASSERT_TRUE(h_.Open());
  EXPECT_EQ(store().GetUsage().keys, want.keys);
  EXPECT_EQ(store().GetUsage().logical_bytes, want.logical_bytes);
}

TEST_P(CfTenantStore, ConcurrentCreatesOfOneKeyHaveOneWinner) {
  constexpr int kThreads = 6;
  constexpr int kKeys = 40;
  std::vector<std::vector<int>> wins(kThreads, std::vector<int>(kKeys, 0));
  std::vector<int> unexpected(kThreads, 0);
  TenantStore& s = store();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < kKeys; ++k) {
        PutOptions o;
        o.condition.if_none_match_any = true;
        auto r = s.Put("key" + std::to_string(k), "writer" + std::to_string(t), o);
        if (r.ok()) {
          ++wins[t][k];
        } else if (r.status().code() != Code::kFailedPrecondition) {
          ++unexpected[t];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  int64_t bytes = 0;
  for (int k = 0; k < kKeys; ++k) {
    SCOPED_TRACE(k);
    int winners = 0, winner = -1;
    for (int t = 0; t < kThreads; ++t) {
      winners += wins[t][k];
      if (wins[t][k]) winner = t;
    }
    ASSERT_EQ(winners, 1);
    const std::string key = "key" + std::to_string(k);
    EXPECT_EQ(store().Get(key)->value, "writer" + std::to_string(winner));
    bytes += static_cast<int64_t>(key.size() + 7);
  }
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(unexpected[t], 0);
  EXPECT_EQ(store().GetUsage().keys, kKeys);
  EXPECT_EQ(store().GetUsage().logical_bytes, bytes);
}

TEST_P(CfTenantStore, UsageIsExactUnderConcurrentWriters) {
  constexpr int kThreads = 4;
  TenantStore& s = store();
  std::vector<std::thread> threads;
  std::vector<int> errors(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(1000 + t);
      for (int i = 0; i < 300; ++i) {
        const std::string k = "k" + std::to_string(rng() % 20);
        const unsigned what = rng() % 4;
        if (what < 2) {
          if (!s.Put(k, std::string(rng() % 50, 'v'), {}).ok()) ++errors[t];
        } else if (what == 2) {
          Status st = s.Delete(k, {});
          if (!st.ok() && st.code() != Code::kNotFound) ++errors[t];
        } else {
          auto r = s.Batch({{BatchOpType::kPut, k, "b"}, {BatchOpType::kDelete, "k" + std::to_string(rng() % 20), ""}});
          if (!r.ok()) ++errors[t];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(errors[t], 0);
  const Usage want = UsageOf(ListAll(store()));
  EXPECT_EQ(store().GetUsage().keys, want.keys);
  EXPECT_EQ(store().GetUsage().logical_bytes, want.logical_bytes);
  ASSERT_TRUE(h_.Open());
  EXPECT_EQ(store().GetUsage().keys, want.keys);
  EXPECT_EQ(store().GetUsage().logical_bytes, want.logical_bytes);
}

TEST_P(CfTenantStore, TenantsWithTheSameKeysAreIsolated) {
  ASSERT_TRUE(h_->tenants().Create("globex", "", GetParam()).ok());
  TenantStore& a = h_.Store("acme");
  TenantStore& b = h_.Store("globex");
  for (int i = 0; i < 10; ++i) {
    const std::string k = "shared/" + std::to_string(i);
    ASSERT_TRUE(a.Put(k, "acme-" + std::to_string(i), {}).ok());
    ASSERT_TRUE(b.Put(k, "globex-" + std::to_string(i), {}).ok());
  }
  ASSERT_TRUE(a.Put("only-acme", "x", {}).ok());
  for (int i = 0; i < 10; ++i) {
    const std::string k = "shared/" + std::to_string(i);
    EXPECT_EQ(a.Get(k)->value, "acme-" + std::to_string(i));
    EXPECT_EQ(b.Get(k)->value, "globex-" + std::to_string(i));
  }
  ExpectCode(b.Get("only-acme").status(), Code::kNotFound);
  for (const auto& [k, v] : ListAll(b)) EXPECT_EQ(v.rfind("globex-", 0), 0u) << k;
  EXPECT_EQ(ListAll(a).size(), 11u);
  EXPECT_EQ(ListAll(b).size(), 10u);

  // An ETag from one tenant means nothing in the other.
  PutOptions o;
  o.condition.if_match = a.Get("shared/0")->etag;
  ExpectCode(b.Put("shared/0", "hijack", o).status(), Code::kFailedPrecondition);

  ASSERT_TRUE(a.Delete("shared/3", {}).ok());
  EXPECT_TRUE(b.Get("shared/3").ok());
  EXPECT_EQ(a.GetUsage().keys, 10);
  EXPECT_EQ(b.GetUsage().keys, 10);
}

}  // namespace
}  // namespace tenantkv::engine::testutil

namespace tenantkv::engine::testutil {
namespace {

// Close() is what a tenant delete relies on: once it returns, no write of
// the store reaches RocksDB, so nothing can land after the range delete.
TEST_P(CfTenantStore, ClosedStoreRefusesEveryOperationAndLeavesUsageAlone) {
  MustPut("k1", "v1");
  const Usage before = store().GetUsage();
  store().Close();
  ExpectCode(store().Put("k2", "v2", {}).status(), Code::kNotFound, "tenant_not_found");
  ExpectCode(store().Delete("k1", {}), Code::kNotFound, "tenant_not_found");
  std::vector<BatchOp> ops(1);
  ops[0].type = BatchOpType::kPut;
  ops[0].key = "k3";
  ops[0].value = "v3";
  ExpectCode(store().Batch(ops).status(), Code::kNotFound, "tenant_not_found");
  EXPECT_EQ(store().GetUsage().keys, before.keys);
  EXPECT_EQ(store().GetUsage().logical_bytes, before.logical_bytes);
  // Reads too: once closed, the column family may be another tenant's.
  ExpectCode(store().Get("k1").status(), Code::kNotFound, "tenant_not_found");
  ListRequest req;
  req.limit = 10;
  ExpectCode(store().List(req).status(), Code::kNotFound, "tenant_not_found");
  ExpectCode(store().Snapshot().status(), Code::kNotFound, "tenant_not_found");
  ExpectCode(store().Reencrypt("", 10).status(), Code::kNotFound, "tenant_not_found");
}

std::string TierParamName(const ::testing::TestParamInfo<Tier>& info) { return TierName(info.param); }

INSTANTIATE_TEST_SUITE_P(Tiers, CfTenantStore, ::testing::Values(Tier::kColumnFamily, Tier::kPooled),
                         TierParamName);
INSTANTIATE_TEST_SUITE_P(Tiers, CfTenantStoreSmallValues, ::testing::Values(Tier::kColumnFamily, Tier::kPooled),
                         TierParamName);

}  // namespace
}  // namespace tenantkv::engine::testutil

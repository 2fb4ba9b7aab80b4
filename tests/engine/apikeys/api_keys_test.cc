#include "engine/apikeys/api_keys.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <rocksdb/db.h>

#include <condition_variable>
#include <mutex>
#include <algorithm>
#include <atomic>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "crypto/hash.h"
#include "tests/testing/test_util.h"

namespace tenantkv::engine::testutil {
namespace {

void ExpectInvalidToken(const Result<ApiKeyInfo>& r) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnauthenticated) << r.status().ToString();
  EXPECT_EQ(r.status().reason(), "invalid_token");
}

class ApiKeys : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(h_.Open());
    ASSERT_TRUE(h_->tenants().Create("acme", "").ok());
    ASSERT_TRUE(h_->tenants().Create("globex", "").ok());
  }
  ApiKeyStore& keys() { return h_->api_keys(); }
  NewApiKey MustCreate(const std::string& tenant, Role role) {
    auto k = keys().Create(tenant, role);
    EXPECT_TRUE(k.ok()) << k.status().ToString();
    return k.ok() ? *k : NewApiKey{};
  }
  EngineHarness h_;
};

TEST_F(ApiKeys, CreateReturnsAWellFormedToken) {
  const int64_t now = h_.clock().NowUnixMillis();
  NewApiKey k = MustCreate("acme", Role::kWrite);
  EXPECT_TRUE(std::regex_match(k.token, std::regex("tkv_[0-9a-f]{16}_[0-9a-f]{64}"))) << k.token;
  EXPECT_EQ(k.token.substr(4, 16), k.info.key_id);
  EXPECT_EQ(k.info.tenant, "acme");
  EXPECT_EQ(k.info.role, Role::kWrite);
  EXPECT_EQ(k.info.created_at_ms, now);
  EXPECT_FALSE(k.info.revoked());
  NewApiKey other = MustCreate("acme", Role::kWrite);
  EXPECT_NE(other.token, k.token);
  EXPECT_NE(other.info.key_id, k.info.key_id);
}

TEST_F(ApiKeys, AuthenticatesItsToken) {
  NewApiKey k = MustCreate("acme", Role::kAdmin);
  auto info = keys().Authenticate(k.token);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->key_id, k.info.key_id);
  EXPECT_EQ(info->tenant, "acme");
  EXPECT_EQ(info->role, Role::kAdmin);
}

TEST_F(ApiKeys, RejectsBadTokens) {
  NewApiKey k = MustCreate("acme", Role::kRead);
  NewApiKey other = MustCreate("globex", Role::kRead);
  std::string wrong_secret = k.token;
  wrong_secret.back() = wrong_secret.back() == '0' ? '1' : '0';
  std::string swapped = k.token.substr(0, 21) + other.token.substr(21);  // k's id, other's secret
  std::string unknown_id = k.token;
  unknown_id[4] = unknown_id[4] == '0' ? '1' : '0';
  std::string upper = k.token;
  for (size_t i = 4; i < upper.size(); ++i) upper[i] = static_cast<char>(std::toupper(upper[i]));
  struct Case {
    const char* name;
    std::string token;
  };
  const std::vector<Case> cases = {
      {"wrong secret", wrong_secret},
      {"another key's secret", swapped},
      {"unknown id", unknown_id},
      {"empty", ""},
      {"garbage", "hello"},
      {"prefix only", "tkv_"},
      {"missing secret", k.token.substr(0, 21)},
      {"truncated", k.token.substr(0, k.token.size() - 1)},
      {"extended", k.token + "0"},
      {"wrong prefix", "tkx_" + k.token.substr(4)},
      {"wrong separator", k.token.substr(0, 20) + "-" + k.token.substr(21)},
      {"uppercase hex", upper},
      {"secret alone", k.token.substr(21)},
      {"bearer prefix", "Bearer " + k.token},
      {"trailing newline", k.token + "\n"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ExpectInvalidToken(keys().Authenticate(c.token));
  }
  EXPECT_TRUE(keys().Authenticate(k.token).ok());
}

TEST_F(ApiKeys, RevokeTakesEffectAtOnce) {
  NewApiKey k = MustCreate("acme", Role::kWrite);
  NewApiKey keep = MustCreate("acme", Role::kWrite);
  ASSERT_TRUE(keys().Authenticate(k.token).ok());
  h_.clock().AdvanceMillis(5000);
  ASSERT_TRUE(keys().Revoke("acme", k.info.key_id).ok());
  ExpectInvalidToken(keys().Authenticate(k.token));
  EXPECT_TRUE(keys().Authenticate(keep.token).ok());
  EXPECT_TRUE(keys().Revoke("acme", k.info.key_id).ok());  // idempotent
  ExpectInvalidToken(keys().Authenticate(k.token));
}

TEST_F(ApiKeys, CannotRevokeAnotherTenantsKey) {
  NewApiKey k = MustCreate("acme", Role::kAdmin);
  Status s = keys().Revoke("globex", k.info.key_id);
  EXPECT_EQ(s.code(), Code::kNotFound) << s.ToString();
  EXPECT_EQ(s.reason(), "apikey_not_found");
  EXPECT_TRUE(keys().Authenticate(k.token).ok());
  EXPECT_EQ(keys().Revoke("acme", "0123456789abcdef").code(), Code::kNotFound);
}

TEST_F(ApiKeys, ListShowsState) {
  NewApiKey first = MustCreate("acme", Role::kRead);
  h_.clock().AdvanceMillis(10);
  NewApiKey second = MustCreate("acme", Role::kWrite);
  MustCreate("globex", Role::kAdmin);
  h_.clock().AdvanceMillis(10);
  const int64_t revoked_at = h_.clock().NowUnixMillis();
  ASSERT_TRUE(keys().Revoke("acme", first.info.key_id).ok());

  auto list = keys().List("acme");
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].key_id, first.info.key_id);  // oldest first
  EXPECT_TRUE(list[0].revoked());
  EXPECT_EQ(list[0].revoked_at_ms, revoked_at);
  EXPECT_EQ(list[0].role, Role::kRead);
  EXPECT_EQ(list[1].key_id, second.info.key_id);
  EXPECT_FALSE(list[1].revoked());
  EXPECT_EQ(list[1].role, Role::kWrite);
  EXPECT_EQ(keys().List("globex").size(), 1u);
  EXPECT_TRUE(keys().List("nobody").empty());
}

TEST_F(ApiKeys, PersistAcrossReopen) {
  NewApiKey active = MustCreate("acme", Role::kWrite);
  NewApiKey revoked = MustCreate("acme", Role::kRead);
  ASSERT_TRUE(keys().Revoke("acme", revoked.info.key_id).ok());

  ASSERT_TRUE(h_.Open());
  auto info = keys().Authenticate(active.token);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->role, Role::kWrite);
  EXPECT_EQ(info->tenant, "acme");
  ExpectInvalidToken(keys().Authenticate(revoked.token));
  auto list = keys().List("acme");
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(std::count_if(list.begin(), list.end(), [](const ApiKeyInfo& i) { return i.revoked(); }), 1);
}

TEST_F(ApiKeys, RemoveTenantRemovesItsKeys) {
  NewApiKey a1 = MustCreate("acme", Role::kRead);
  NewApiKey a2 = MustCreate("acme", Role::kAdmin);
  NewApiKey g = MustCreate("globex", Role::kRead);
  ASSERT_TRUE(keys().RemoveTenant("acme").ok());
  ExpectInvalidToken(keys().Authenticate(a1.token));
  ExpectInvalidToken(keys().Authenticate(a2.token));
  EXPECT_TRUE(keys().List("acme").empty());
  EXPECT_TRUE(keys().Authenticate(g.token).ok());

  ASSERT_TRUE(h_.Open());
  ExpectInvalidToken(keys().Authenticate(a1.token));
  EXPECT_TRUE(keys().List("acme").empty());
  EXPECT_TRUE(keys().Authenticate(g.token).ok());
}

TEST_F(ApiKeys, DeletingATenantRevokesItsKeys) {
  NewApiKey a = MustCreate("acme", Role::kAdmin);
  NewApiKey g = MustCreate("globex", Role::kAdmin);
  ASSERT_TRUE(h_->DeleteTenant("acme").ok());
  ExpectInvalidToken(keys().Authenticate(a.token));
  EXPECT_TRUE(keys().Authenticate(g.token).ok());
  ASSERT_TRUE(h_.Open());
  ExpectInvalidToken(keys().Authenticate(a.token));
}

// Keys made while their tenant is deleted (and its id then created again)
// never authenticate. Every Create is held inside the store, its record
// persisted, until the delete and the re-create of its round are done.
TEST(ApiKeyLifecycle, KeysMadeWhileTheTenantIsDeletedNeverAuthenticate) {
  constexpr int kThreads = 8;
  constexpr int kRounds = 3;
  EngineHarness h;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->CreateTenant("acme", "").ok());
  std::mutex mu;
  std::condition_variable cv;
  int parked = 0;      // GUARDED_BY(mu): Creates held in the hook
  int round = 0;       // GUARDED_BY(mu): bumped to release the held Creates
  bool stop = false;   // GUARDED_BY(mu)
  std::vector<std::string> tokens;  // GUARDED_BY(mu)
  h->api_keys().SetCreateHookForTest([&] {
    std::unique_lock lock(mu);
    const int mine = round;
    ++parked;
    cv.notify_all();
    cv.wait(lock, [&] { return round != mine; });
  });
  std::vector<std::thread> workers;
  for (int i = 0; i < kThreads; ++i) {
    workers.emplace_back([&] {
      for (;;) {
        {
          std::lock_guard lock(mu);
          if (stop) return;
        }
        // As the admin route does: the tenant is looked up, then its key made.
        auto t = h->tenants().Get("acme");
        if (!t.ok()) continue;
        auto k = h->api_keys().Create(**t, Role::kAdmin);
        t = Status::NotFound("released");
        if (!k.ok()) continue;
        std::lock_guard lock(mu);
        tokens.push_back(k->token);
      }
    });
  }
  for (int r = 0; r < kRounds; ++r) {
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return parked == kThreads; });
    }
    // EXPECT, not ASSERT: the held threads must be released either way.
    EXPECT_TRUE(h->DeleteTenant("acme").ok());
    EXPECT_TRUE(h->CreateTenant("acme", "").ok());
    std::lock_guard lock(mu);
    parked = 0;
    ++round;
    stop = r + 1 == kRounds;
    cv.notify_all();
  }
  for (auto& w : workers) w.join();
  h->api_keys().SetCreateHookForTest(nullptr);

  auto count_authenticated = [&] {
    int n = 0;
    for (const auto& t : tokens) n += h->api_keys().Authenticate(t).ok() ? 1 : 0;
    return n;
  };
  EXPECT_EQ(count_authenticated(), 0) << "of " << tokens.size() << " tokens made during a delete";
  ASSERT_TRUE(h.Open());
  EXPECT_EQ(count_authenticated(), 0) << "of " << tokens.size() << " tokens, after a restart";
  EXPECT_TRUE(h->api_keys().List("acme").empty());
}

// Rewrites every record under `prefix` without `field` (the shape written
// before tenants had incarnations).
void StripField(RawDb& raw, const std::string& prefix, const std::string& field) {
  std::vector<std::pair<std::string, std::string>> rewritten;
  std::unique_ptr<rocksdb::Iterator> it(raw.db()->NewIterator(rocksdb::ReadOptions(), raw.SystemCf()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    nlohmann::json j = nlohmann::json::parse(it->value().ToString());
    j.erase(field);
    rewritten.emplace_back(it->key().ToString(), j.dump());
  }
  for (const auto& [k, v] : rewritten) ASSERT_TRUE(raw.db()->Put(rocksdb::WriteOptions(), raw.SystemCf(), k, v).ok());
}

// An API key record of the old shape (no tenant incarnation); its token.
std::string PutOldShapeKey(RawDb& raw, const std::string& key_id, const std::string& tenant, int64_t created_at_ms) {
  const std::string secret(64, 'a');
  const auto digest = crypto::Sha256(secret);
  nlohmann::json j = {{"key_id", key_id},
                      {"tenant", tenant},
                      {"role", "admin"},
                      {"created_at_ms", created_at_ms},
                      {"revoked_at_ms", 0},
                      {"secret_sha256", crypto::HexEncode(std::string_view(
                                            reinterpret_cast<const char*>(digest.data()), digest.size()))}};
  EXPECT_TRUE(raw.db()->Put(rocksdb::WriteOptions(), raw.SystemCf(), "apikey/" + key_id, j.dump()).ok());
  return "tkv_" + key_id + "_" + secret;
}

std::string RecordOf(RawDb& raw, const std::string& key) {
  std::string value;
  return raw.db()->Get(rocksdb::ReadOptions(), raw.SystemCf(), key, &value).ok() ? value : std::string();
}

// A data directory written before tenants had incarnations: each tenant
// gets one at start and its keys are bound to it, so their tokens go on
// working; keys that cannot be its own (of a tenant that is gone, or made
// before the tenant was) are removed.
TEST(ApiKeyLifecycle, RecordsOfTheOldShapeAreBoundAtStart) {
  EngineHarness h;
  ASSERT_TRUE(h.Open());
  h.clock().AdvanceMillis(5000);
  ASSERT_TRUE(h->CreateTenant("acme", "").ok());
  ASSERT_TRUE(h->CreateTenant("globex", "").ok());
  const int64_t acme_created = h->tenants().Get("acme").value()->Info().created_at_ms;
  auto a = h->api_keys().Create("acme", Role::kWrite);
  auto g = h->api_keys().Create("globex", Role::kAdmin);
  ASSERT_TRUE(a.ok() && g.ok());
  h.Close();
  std::string gone_token, earlier_token;
  {
    RawDb raw(h.db_dir());
    ASSERT_TRUE(raw.ok());
    StripField(raw, "tenant/", "incarnation");
    StripField(raw, "apikey/", "tenant_incarnation");
    ASSERT_EQ(RecordOf(raw, "tenant/acme").find("incarnation"), std::string::npos);
    gone_token = PutOldShapeKey(raw, "00000000000000a1", "gone", acme_created + 10);
    earlier_token = PutOldShapeKey(raw, "00000000000000a2", "acme", acme_created - 1000);
  }
  ASSERT_TRUE(h.Open());
  EXPECT_TRUE(h->api_keys().Authenticate(a->token).ok());
  EXPECT_TRUE(h->api_keys().Authenticate(g->token).ok());
  ExpectInvalidToken(h->api_keys().Authenticate(gone_token));
  ExpectInvalidToken(h->api_keys().Authenticate(earlier_token));
  ASSERT_EQ(h->api_keys().List("acme").size(), 1u);
  EXPECT_TRUE(h->api_keys().List("gone").empty());
  h.Close();
  {
    RawDb raw(h.db_dir());
    ASSERT_TRUE(raw.ok());
    const auto tenant = nlohmann::json::parse(RecordOf(raw, "tenant/acme"));
    ASSERT_TRUE(tenant.contains("incarnation")) << tenant.dump();
    const std::string incarnation = tenant["incarnation"].get<std::string>();
    EXPECT_EQ(incarnation.size(), 32u);
    const auto key = nlohmann::json::parse(RecordOf(raw, "apikey/" + a->info.key_id));
    ASSERT_TRUE(key.contains("tenant_incarnation")) << key.dump();
    EXPECT_EQ(key["tenant_incarnation"], incarnation);
    EXPECT_EQ(RecordOf(raw, "apikey/00000000000000a1"), "");
    EXPECT_EQ(RecordOf(raw, "apikey/00000000000000a2"), "");
  }
  ASSERT_TRUE(h.Open());
  EXPECT_TRUE(h->api_keys().Authenticate(a->token).ok());
  ASSERT_TRUE(h->DeleteTenant("acme").ok());
  ASSERT_TRUE(h->CreateTenant("acme", "").ok());
  ExpectInvalidToken(h->api_keys().Authenticate(a->token));
  EXPECT_TRUE(h->api_keys().Authenticate(g->token).ok());
}

// Start-up removes key records whose tenant incarnation does not exist.
TEST(ApiKeyLifecycle, KeysOfAnIncarnationThatIsGoneAreRemovedAtStart) {
  EngineHarness h;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->CreateTenant("acme", "").ok());
  auto a = h->api_keys().Create("acme", Role::kWrite);
  ASSERT_TRUE(a.ok());
  h.Close();
  {
    RawDb raw(h.db_dir());
    ASSERT_TRUE(raw.ok());
    auto key = nlohmann::json::parse(RecordOf(raw, "apikey/" + a->info.key_id));
    key["tenant_incarnation"] = std::string(32, '0');
    ASSERT_TRUE(raw.db()->Put(rocksdb::WriteOptions(), raw.SystemCf(), "apikey/" + a->info.key_id, key.dump()).ok());
  }
  ASSERT_TRUE(h.Open());
  ExpectInvalidToken(h->api_keys().Authenticate(a->token));
  EXPECT_TRUE(h->api_keys().List("acme").empty());
  h.Close();
  RawDb raw(h.db_dir());
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(RecordOf(raw, "apikey/" + a->info.key_id), "");
}

// Keys are held by the number their 16 hex digits spell: a stored record
// whose id is not of that shape is malformed, as one that is not JSON is.
TEST(ApiKeyLifecycle, ARecordWhoseKeyIdIsNotSixteenHexDigitsIsDataLoss) {
  for (const std::string bad : {"00000000000000A1", "00000000000000a", "00000000000000a1f", "0000000000000g01"}) {
    EngineHarness h;
    ASSERT_TRUE(h.Open());
    ASSERT_TRUE(h->CreateTenant("acme", "").ok());
    h.Close();
    {
      RawDb raw(h.db_dir());
      ASSERT_TRUE(raw.ok());
      PutOldShapeKey(raw, bad, "acme", 1);
    }
    auto e = Engine::Open(h.options(), std::make_unique<SharedKeyProvider>(h.shared_keys(), nullptr));
    ASSERT_FALSE(e.ok()) << bad;
    EXPECT_EQ(e.status().code(), Code::kDataLoss) << bad << ": " << e.status().ToString();
    EXPECT_NE(e.status().message().find("malformed key id"), std::string::npos) << e.status().ToString();
  }
}

void ExpectAtLimit(const Result<NewApiKey>& r) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kAlreadyExists) << r.status().ToString();
  EXPECT_EQ(r.status().reason(), "api_key_limit");
}

size_t ActiveKeys(ApiKeyStore& store, const std::string& tenant) {
  auto list = store.List(tenant);
  return static_cast<size_t>(std::count_if(list.begin(), list.end(), [](const ApiKeyInfo& i) { return !i.revoked(); }));
}

TEST_F(ApiKeys, ActiveKeysPerTenantAreCapped) {
  h_.options().max_api_keys_per_tenant = 3;
  ASSERT_TRUE(h_.Open());
  NewApiKey first = MustCreate("acme", Role::kRead);
  MustCreate("acme", Role::kWrite);
  MustCreate("acme", Role::kAdmin);
  ExpectAtLimit(keys().Create("acme", Role::kRead));
  MustCreate("globex", Role::kRead);  // another tenant has its own count
  // A revoked key no longer counts.
  ASSERT_TRUE(keys().Revoke("acme", first.info.key_id).ok());
  MustCreate("acme", Role::kRead);
  ExpectAtLimit(keys().Create("acme", Role::kRead));
  // The count is rebuilt at start-up from the stored keys.
  ASSERT_TRUE(h_.Open());
  ExpectAtLimit(keys().Create("acme", Role::kRead));
  EXPECT_EQ(keys().List("acme").size(), 4u);
  // A removed tenant starts again from nothing.
  ASSERT_TRUE(keys().RemoveTenant("acme").ok());
  for (int i = 0; i < 3; ++i) MustCreate("acme", Role::kRead);
  ExpectAtLimit(keys().Create("acme", Role::kRead));
}

// The count lives in the tenant object: a later tenant of the same id
// starts from nothing, and the earlier one's revokes do not touch it.
TEST_F(ApiKeys, ALaterTenantOfTheSameIdHasACountOfItsOwn) {
  h_.options().max_api_keys_per_tenant = 2;
  ASSERT_TRUE(h_.Open());
  NewApiKey first = MustCreate("acme", Role::kRead);
  MustCreate("acme", Role::kRead);
  ExpectAtLimit(keys().Create("acme", Role::kRead));
  ASSERT_TRUE(h_->DeleteTenant("acme").ok());
  ASSERT_TRUE(h_->CreateTenant("acme", "").ok());
  NewApiKey again = MustCreate("acme", Role::kRead);
  MustCreate("acme", Role::kRead);
  ExpectAtLimit(keys().Create("acme", Role::kRead));
  EXPECT_FALSE(keys().Revoke("acme", first.info.key_id).ok());  // the earlier tenant's key is gone
  ExpectAtLimit(keys().Create("acme", Role::kRead));
  ASSERT_TRUE(keys().Revoke("acme", again.info.key_id).ok());
  MustCreate("acme", Role::kRead);
  ExpectAtLimit(keys().Create("acme", Role::kRead));
}

TEST_F(ApiKeys, ConcurrentCreatesNeverPassTheCap) {
  h_.options().max_api_keys_per_tenant = 10;
  ASSERT_TRUE(h_.Open());
  std::atomic<int> created{0}, refused{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 6; ++i) {
        auto r = keys().Create("acme", Role::kRead);
        if (r.ok()) {
          created++;
        } else if (r.status().reason() == "api_key_limit") {
          refused++;
        } else {
          failed++;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 10);
  EXPECT_EQ(refused.load(), 38);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(ActiveKeys(keys(), "acme"), 10u);
}

void ExpectRefused(const Result<NewApiKey>& r, const char* reason) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << r.status().ToString();
  EXPECT_EQ(r.status().reason(), reason);
}

// Name and expiry are in the record: after a revoke and a reopen the list
// shows them as made; a key without them keeps the old record shape.
TEST_F(ApiKeys, NameAndExpiryRoundTripThroughTheRecord) {
  const std::string name = "ci \"deploy\" <script>alert(1)</script> \xc3\xa9t\xc3\xa9";
  const int64_t expires = h_.clock().NowUnixMillis() + 3'600'000;
  auto named = keys().Create("acme", Role::kWrite, ApiKeyOptions{name, expires});
  ASSERT_TRUE(named.ok()) << named.status().ToString();
  EXPECT_EQ(named->info.name, name);
  EXPECT_EQ(named->info.expires_at_ms, expires);
  NewApiKey plain = MustCreate("acme", Role::kRead);
  h_.clock().AdvanceMillis(10);
  ASSERT_TRUE(keys().Revoke("acme", named->info.key_id).ok());
  h_.Close();
  {
    RawDb raw(h_.db_dir());
    ASSERT_TRUE(raw.ok());
    const auto rec = nlohmann::json::parse(RecordOf(raw, "apikey/" + named->info.key_id));
    EXPECT_EQ(rec.at("name"), name);
    EXPECT_EQ(rec.at("expires_at_ms"), expires);
    const auto old_shape = nlohmann::json::parse(RecordOf(raw, "apikey/" + plain.info.key_id));
    EXPECT_FALSE(old_shape.contains("name")) << old_shape.dump();
    EXPECT_FALSE(old_shape.contains("expires_at_ms")) << old_shape.dump();
  }
  ASSERT_TRUE(h_.Open());
  auto list = keys().List("acme");
  ASSERT_EQ(list.size(), 2u);
  const ApiKeyInfo& a = list[0].key_id == named->info.key_id ? list[0] : list[1];
  const ApiKeyInfo& b = list[0].key_id == named->info.key_id ? list[1] : list[0];
  EXPECT_EQ(a.name, name);
  EXPECT_EQ(a.expires_at_ms, expires);
  EXPECT_TRUE(a.revoked());
  EXPECT_EQ(b.name, "");
  EXPECT_FALSE(b.has_expiry());
  EXPECT_TRUE(keys().Authenticate(plain.token).ok());
}

// A record written before names and expiries (or by a key made without
// them) loads as a key with neither.
TEST_F(ApiKeys, RecordsWithoutNameOrExpiryLoad) {
  auto k = keys().Create("acme", Role::kAdmin, ApiKeyOptions{"ops", h_.clock().NowUnixMillis() + 1000});
  ASSERT_TRUE(k.ok());
  h_.Close();
  {
    RawDb raw(h_.db_dir());
    ASSERT_TRUE(raw.ok());
    StripField(raw, "apikey/", "name");
    StripField(raw, "apikey/", "expires_at_ms");
  }
  ASSERT_TRUE(h_.Open());
  h_.clock().AdvanceMillis(5000);
  auto info = keys().Authenticate(k->token);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->name, "");
  EXPECT_FALSE(info->has_expiry());
}

// Expiry is judged on the engine clock at each authentication: up to the
// millisecond before, the key works; from expires_at on, key_expired. Only
// the right secret learns that: a wrong one, or a revoked key, is
// invalid_token as ever.
TEST_F(ApiKeys, AKeyStopsAuthenticatingAtItsExpiry) {
  const int64_t expires = h_.clock().NowUnixMillis() + 60'000;
  auto k = keys().Create("acme", Role::kWrite, ApiKeyOptions{"", expires});
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  auto r = keys().Create("acme", Role::kWrite, ApiKeyOptions{"", expires});
  ASSERT_TRUE(r.ok());
  NewApiKey forever = MustCreate("acme", Role::kRead);
  ASSERT_TRUE(keys().Revoke("acme", r->info.key_id).ok());
  h_.clock().AdvanceMillis(59'999);
  ASSERT_TRUE(keys().Authenticate(k->token).ok());
  h_.clock().AdvanceMillis(1);
  std::shared_ptr<Tenant> tenant;
  auto expired = keys().Authenticate(k->token, &tenant);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.status().code(), Code::kUnauthenticated);
  EXPECT_EQ(expired.status().reason(), "key_expired");
  ASSERT_NE(tenant, nullptr);
  EXPECT_EQ(tenant->id(), "acme");
  tenant.reset();  // it must not outlive the engine reopened below
  std::string wrong = k->token;
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  ExpectInvalidToken(keys().Authenticate(wrong));
  ExpectInvalidToken(keys().Authenticate(r->token));  // revoked and expired
  EXPECT_TRUE(keys().Authenticate(forever.token).ok());
  // Still expired after a restart, and still listed.
  ASSERT_TRUE(h_.Open());
  EXPECT_EQ(keys().Authenticate(k->token).status().reason(), "key_expired");
  EXPECT_EQ(keys().List("acme").size(), 3u);
}

TEST_F(ApiKeys, CreateRefusesABadNameOrAnExpiryNotInTheFuture) {
  const int64_t now = h_.clock().NowUnixMillis();
  ExpectRefused(keys().Create("acme", Role::kRead, ApiKeyOptions{"", now}), "invalid_expires_at");
  ExpectRefused(keys().Create("acme", Role::kRead, ApiKeyOptions{"", now - 1}), "invalid_expires_at");
  ExpectRefused(keys().Create("acme", Role::kRead, ApiKeyOptions{"a\nb", 0}), "invalid_name");
  ExpectRefused(keys().Create("acme", Role::kRead, ApiKeyOptions{std::string(129, 'x'), 0}), "invalid_name");
  EXPECT_TRUE(keys().List("acme").empty());
  EXPECT_TRUE(keys().Create("acme", Role::kRead, ApiKeyOptions{std::string(128, 'x'), now + 1}).ok());
}

TEST(ApiKeyName, AcceptsPrintableUtf8Only) {
  struct Case {
    std::string name;
    bool ok;
  };
  const std::vector<Case> cases = {
      {"deploy", true},
      {"<script>alert(1)</script>", true},
      {"it's \"quoted\" \\ back", true},
      {"\xc3\xa9\xe2\x82\xac\xf0\x9f\x94\x91", true},  // é € and a 4-byte emoji
      {std::string(128, 'n'), true},
      {"", false},
      {std::string(129, 'n'), false},
      {std::string(127, 'n') + "\xc3\xa9", false},  // 129 bytes
      {std::string("a\0b", 3), false},
      {"tab\there", false},
      {"esc\x1b[31m", false},
      {"del\x7f", false},
      {"c1 \xc2\x85", false},          // U+0085 NEL
      {"bidi \xe2\x80\xae", false},   // U+202E
      {"isolate \xe2\x81\xa6", false},  // U+2066
      {"\xc3", false},                  // truncated
      {"\xc0\xaf", false},             // overlong '/'
      {"\xed\xa0\x80", false},         // a surrogate
      {"\xf4\x90\x80\x80", false},     // above U+10FFFF
      {"\xff", false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(testing::PrintToString(c.name));
    Status s = ValidateApiKeyName(c.name);
    EXPECT_EQ(s.ok(), c.ok) << s.ToString();
    if (!c.ok) {
      EXPECT_EQ(s.reason(), "invalid_name");
    }
  }
}

TEST(ApiKeyRole, ParsesNames) {
  for (Role r : {Role::kRead, Role::kWrite, Role::kAdmin}) {
    SCOPED_TRACE(RoleName(r));
    auto parsed = ParseRole(RoleName(r));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, r);
  }
  for (const char* bad : {"", "Read", "root", "admin "}) {
    SCOPED_TRACE(bad);
    auto parsed = ParseRole(bad);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.status().reason(), "invalid_role");
  }
}

}  // namespace
}  // namespace tenantkv::engine::testutil

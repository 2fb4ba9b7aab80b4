// Crash consistency: concurrent writers in several tenants (puts, deletes,
// batches) against the real server, kill -9 at a random moment, restart,
// and check (crash_check.h) that every acknowledged write survived, that a
// write in flight at the kill happened whole or not at all, that usage
// counters equal a recount, and that no tenant holds another's data. Then
// write on and kill again, for several cycles.
//
// Two more kill the server at random points of key work, while tenants
// keep writing: inside an online master-key rotation (after each restart the
// rotation resumes and finishes, the old master version is retired, every
// value still opens), and during background re-encryption after data-key
// rotations (every value stays readable, the per-version counts stay exact,
// the job resumes and finishes).
//
// CTest runs a few cycles. For a long run:
//   crash_consistency_test --cycles 50 [--seed N]
//   crash_consistency_test --gtest_filter='*MasterKey*' --cycles 20
//   crash_consistency_test --gtest_filter='*Reencryption*' --cycles 20
// (tools/scripts/crash-test.sh builds and runs it that way).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "server/http/base64.h"
#include "tests/testing/crash_check.h"
#include "tests/testing/test_server.h"

namespace tenantkv::testing {

int g_cycles = 3;
uint64_t g_seed = 0;  // 0 = from the clock

namespace {

using nlohmann::json;

constexpr int kTenants = 3;
constexpr int kWritersPerTenant = 2;
constexpr int kKeysPerWriter = 40;

// Each writer owns its keys, so the acknowledged writes of a key are
// ordered. One key in eight is binary (not UTF-8) to exercise key_b64;
// those are written by PUT and DELETE only.
bool IsBinaryKey(int k) { return k % 8 == 7; }
std::string KeyName(int writer, int k) {
  std::string key = "w" + std::to_string(writer) + "/k" + std::to_string(k);
  if (IsBinaryKey(k)) key += "\xff\x01";
  return key;
}

// A value names its tenant, key and write, so a value seen in the wrong
// place is recognisable; sizes vary from 1 byte to ~2 KiB.
std::string MakeValue(const std::string& tenant, const std::string& key, int64_t seq, std::mt19937_64& rng) {
  std::string v = tenant + "|" + std::to_string(seq) + "|" + std::to_string(key.size()) + "|";
  const size_t pad = rng() % 4 == 0 ? rng() % 2048 : rng() % 64;
  for (size_t i = 0; i < pad; ++i) v.push_back(static_cast<char>('a' + rng() % 26));
  return v;
}

struct Stats {
  std::atomic<int64_t> puts{0}, deletes{0}, batches{0}, refused{0};
  std::atomic<int64_t> cut_off{0};  // sent, but the kill came before the answer
};

class Writer {
 public:
  Writer(const TestServer& server, WriteLedger* ledger, TenantHandle tenant, int index, uint64_t seed,
         Stats* stats, std::vector<std::string>* errors, std::mutex* errors_mu)
      : server_(server), ledger_(ledger), tenant_(std::move(tenant)), index_(index), rng_(seed),
        stats_(stats), errors_(errors), errors_mu_(errors_mu) {}

  // Writes until a request gets no answer (the server is gone) or `stop`.
  void Run(const std::atomic<bool>& stop) {
    auto cli = server_.Client();
    const httplib::Headers auth = {{"Authorization", "Bearer " + tenant_.token}};
    while (!stop.load()) {
      const int kind = static_cast<int>(rng_() % 10);
      std::vector<WriteOp> ops;
      const int n = kind < 2 ? 2 + static_cast<int>(rng_() % 4) : 1;
      std::set<int> used;
      while (static_cast<int>(ops.size()) < n) {
        const int k = static_cast<int>(rng_() % kKeysPerWriter);
        if (n > 1 && IsBinaryKey(k)) continue;  // batch keys are JSON strings: UTF-8 only
        if (!used.insert(k).second) continue;
        const std::string key = KeyName(index_, k);
        const bool del = rng_() % 4 == 0;
        ops.push_back({key, del ? KeyState() : KeyState(MakeValue(tenant_.id, key, seq_++, rng_))});
      }
      const int64_t ticket = ledger_->Begin(tenant_.id, ops);
      auto send = [&]() -> httplib::Result {
        if (kind >= 2) {
          if (ops[0].after) return cli->Put(KvPath(ops[0].key), auth, *ops[0].after, "application/octet-stream");
          return cli->Delete(KvPath(ops[0].key), auth);
        }
        json batch = {{"ops", json::array()}};
        for (const auto& op : ops) {
          if (op.after) {
            batch["ops"].push_back({{"op", "put"}, {"key", op.key}, {"value_b64", server::Base64Encode(*op.after)}});
          } else {
            batch["ops"].push_back({{"op", "delete"}, {"key", op.key}});
          }
        }
        return cli->Post("/v1/batch", auth, batch.dump(), "application/json");
      };
      httplib::Result r = send();
      if (!r) {
        // No answer: the write stays unresolved. A refused connection means
        // the server was already gone; anything else, that it died while the
        // request was on its way or being served.
        if (r.error() != httplib::Error::Connection) stats_->cut_off++;
        return;
      }
      const int status = r->status;
      const bool ok = kind < 2 ? status == 200 : (status == 201 || status == 204 || (!ops[0].after && status == 404));
      if (ok) {
        ledger_->Acknowledge(ticket);
        (kind < 2 ? stats_->batches : ops[0].after ? stats_->puts : stats_->deletes)++;
      } else if (status == 429 || status == 503) {
        ledger_->Refused(ticket);  // throttled before anything was written
        stats_->refused++;
      } else {
        std::lock_guard<std::mutex> lock(*errors_mu_);
        errors_->push_back(tenant_.id + ": unexpected " + std::to_string(status) + ": " + r->body);
        return;
      }
    }
  }

 private:
  const TestServer& server_;
  WriteLedger* const ledger_;
  const TenantHandle tenant_;
  const int index_;
  std::mt19937_64 rng_;
  Stats* const stats_;
  std::vector<std::string>* const errors_;
  std::mutex* const errors_mu_;
  int64_t seq_ = 0;
};

// The checker itself: what it must accept and what it must report.
TEST(WriteLedger, JudgesWhatACrashMayLeave) {
  WriteLedger ledger;
  ledger.Acknowledge(ledger.Begin("t", {{"a", "1"}, {"b", "2"}}));
  ledger.Acknowledge(ledger.Begin("t", {{"b", std::nullopt}}));
  ledger.Refused(ledger.Begin("t", {{"c", "refused"}}));
  ledger.Begin("t", {{"d", "4"}, {"a", "5"}});  // in flight at the crash
  EXPECT_EQ(ledger.acknowledged_ops(), 3);
  EXPECT_EQ(ledger.unresolved_writes(), 1);
  struct Case {
    const char* name;
    std::map<std::string, std::string> observed;
    size_t violations;
  };
  const std::vector<Case> cases = {
      {"in-flight batch not applied", {{"a", "1"}}, 0},
      {"in-flight batch applied", {{"a", "5"}, {"d", "4"}}, 0},
      {"in-flight batch half applied", {{"a", "1"}, {"d", "4"}}, 1},
      {"acknowledged put lost", {}, 1},
      {"acknowledged delete undone", {{"a", "1"}, {"b", "2"}}, 1},
      {"wrong value", {{"a", "x"}}, 1},
      {"refused write present", {{"a", "1"}, {"c", "refused"}}, 1},
      {"foreign key", {{"a", "1"}, {"z", "other tenant"}}, 1},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    WriteLedger copy;
    copy.Acknowledge(copy.Begin("t", {{"a", "1"}, {"b", "2"}}));
    copy.Acknowledge(copy.Begin("t", {{"b", std::nullopt}}));
    copy.Refused(copy.Begin("t", {{"c", "refused"}}));
    copy.Begin("t", {{"d", "4"}, {"a", "5"}});
    int64_t checked = 0;
    EXPECT_EQ(copy.Reconcile("t", c.observed, &checked).size(), c.violations);
    EXPECT_EQ(copy.unresolved_writes(), 0);  // settled by what was observed
  }
  // Tenants are judged apart: another tenant's ledger is untouched.
  int64_t checked = 0;
  EXPECT_EQ(ledger.Reconcile("u", {}, &checked).size(), 0u);
  EXPECT_EQ(ledger.unresolved_writes(), 1);
}

TEST(CrashConsistency, AcknowledgedStateSurvivesRepeatedKill9) {
  const uint64_t seed = g_seed != 0 ? g_seed : static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  std::printf("crash consistency: %d cycles, seed %llu\n", g_cycles, static_cast<unsigned long long>(seed));
  std::mt19937_64 rng(seed);
  TestServer server;
  ASSERT_NO_FATAL_FAILURE(server.Start());
  std::vector<TenantHandle> tenants;
  for (int t = 0; t < kTenants; ++t) {
    const std::string id = "crash-t" + std::to_string(t);
    ASSERT_NO_FATAL_FAILURE(server.CreateTenant(id));
    // Throttling is not under test here: lift the request-rate limits.
    auto q = server.Put("/admin/v1/tenants/" + id + "/quota",
                        json{{"requests_per_sec", 1000000}, {"burst_requests", 1000000}}.dump(),
                        server.operator_token());
    ASSERT_TRUE(q && q->status == 200) << (q ? q->body : "no response");
    tenants.push_back({id, server.CreateKey(id, "write")});
  }
  WriteLedger ledger;
  Stats stats;
  int64_t keys_checked = 0;
  int64_t unresolved_total = 0;
  for (int cycle = 0; cycle < g_cycles; ++cycle) {
    SCOPED_TRACE("cycle " + std::to_string(cycle));
    std::atomic<bool> stop{false};
    std::vector<std::string> errors;
    std::mutex errors_mu;
    std::vector<std::unique_ptr<Writer>> writers;
    for (int t = 0; t < kTenants; ++t) {
      for (int w = 0; w < kWritersPerTenant; ++w) {
        writers.push_back(std::make_unique<Writer>(server, &ledger, tenants[t], w, rng(), &stats, &errors, &errors_mu));
      }
    }
    std::vector<std::thread> threads;
    for (auto& w : writers) threads.emplace_back([&w, &stop] { w->Run(stop); });
    // The kill lands at a random moment of the write stream.
    std::this_thread::sleep_for(std::chrono::milliseconds(50 + rng() % 750));
    server.Kill9();
    stop = true;
    for (auto& th : threads) th.join();
    for (const auto& e : errors) ADD_FAILURE() << e;
    const int64_t unresolved = ledger.unresolved_writes();
    // Only writes in flight at the kill may be unresolved: one per writer.
    EXPECT_LE(unresolved, kTenants * kWritersPerTenant);
    unresolved_total += unresolved;
    ASSERT_NO_FATAL_FAILURE(server.Start());
    const auto violations = VerifyAfterRestart(server, ledger, tenants, &keys_checked);
    for (const auto& v : violations) ADD_FAILURE() << v;
    ASSERT_TRUE(violations.empty()) << "seed " << seed;
  }
  std::printf("crash consistency: %d cycles, %lld acknowledged writes (%lld puts, %lld deletes, %lld batches), "
              "%lld unresolved at a kill (%lld of them sent and cut off), %lld refused, %lld key states checked\n",
              g_cycles, static_cast<long long>(ledger.acknowledged_ops()), static_cast<long long>(stats.puts.load()),
              static_cast<long long>(stats.deletes.load()), static_cast<long long>(stats.batches.load()),
              static_cast<long long>(unresolved_total), static_cast<long long>(stats.cut_off.load()),
              static_cast<long long>(stats.refused.load()),
              static_cast<long long>(keys_checked));
  EXPECT_GT(ledger.acknowledged_ops(), 0);
}

json MasterKeyState(const TestServer& server) {
  auto r = server.Get("/admin/v1/master-key", server.operator_token());
  EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "no response");
  return r ? json::parse(r->body, nullptr, false) : json();
}

// Waits (bounded) until no rotation runs and the last one is done.
json WaitForRotationDone(const TestServer& server) {
  json st;
  for (int i = 0; i < 6000; ++i) {
    st = MasterKeyState(server);
    if (st.is_object() && !st["rotation_running"].get<bool>() && st["last_rotation"].is_object() &&
        st["last_rotation"]["state"] == "done") {
      return st;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ADD_FAILURE() << "the rotation did not finish: " << st.dump();
  return st;
}

TEST(CrashConsistency, MasterKeyRotationResumesAfterKill9) {
  constexpr int kStaticTenants = 30;
  constexpr int kStaticValues = 4;
  constexpr int kWriterTenants = 2;
  const uint64_t seed = g_seed != 0 ? g_seed : static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  std::printf("master-key crash: %d cycles, seed %llu\n", g_cycles, static_cast<unsigned long long>(seed));
  std::mt19937_64 rng(seed);
  TestServer server;
  ASSERT_NO_FATAL_FAILURE(server.Start());
  const std::string op = server.operator_token();
  std::vector<std::string> static_tokens;
  for (int t = 0; t < kStaticTenants; ++t) {
    const std::string id = "mk-s" + std::to_string(t);
    ASSERT_NO_FATAL_FAILURE(server.CreateTenant(id));
    static_tokens.push_back(server.CreateKey(id, "write"));
    for (int k = 0; k < kStaticValues; ++k) {
      auto r = server.Put(KvPath("v" + std::to_string(k)), id + "/" + std::to_string(k), static_tokens.back());
      ASSERT_TRUE(r && r->status == 201);
    }
    // An export key too (dkey/<id>/export), for some.
    if (t % 3 == 0) {
      auto r = server.Post("/admin/v1/tenants/" + id + "/handover", json{{"passphrase", "a long enough phrase"}}.dump(), op);
      ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "no response");
    }
  }
  std::vector<TenantHandle> writers_tenants;
  for (int t = 0; t < kWriterTenants; ++t) {
    const std::string id = "mk-w" + std::to_string(t);
    ASSERT_NO_FATAL_FAILURE(server.CreateTenant(id));
    auto q = server.Put("/admin/v1/tenants/" + id + "/quota",
                        json{{"requests_per_sec", 1000000}, {"burst_requests", 1000000}}.dump(), op);
    ASSERT_TRUE(q && q->status == 200);
    writers_tenants.push_back({id, server.CreateKey(id, "write")});
  }
  // One undisturbed rotation tells how long one takes here: kills land in
  // [0, 1.5 x that), mostly inside the rewrap.
  auto cli = server.Client();
  cli->set_read_timeout(300, 0);
  cli->set_bearer_token_auth(op);
  auto calib = cli->Post("/admin/v1/master-key/rotate", "", "application/json");
  ASSERT_TRUE(calib && calib->status == 200) << (calib ? calib->body : "no response");
  const int64_t duration_ms = std::max<int64_t>(json::parse(calib->body)["duration_ms"].get<int64_t>(), 1);
  uint32_t expect_current = 2;

  WriteLedger ledger;
  Stats stats;
  int interrupted = 0;
  int64_t keys_checked = 0;
  for (int cycle = 0; cycle < g_cycles; ++cycle) {
    SCOPED_TRACE("cycle " + std::to_string(cycle));
    std::atomic<bool> stop{false};
    std::vector<std::string> errors;
    std::mutex errors_mu;
    std::vector<std::unique_ptr<Writer>> writers;
    for (int t = 0; t < kWriterTenants; ++t) {
      writers.push_back(std::make_unique<Writer>(server, &ledger, writers_tenants[t], 0, rng(), &stats, &errors, &errors_mu));
    }
    std::vector<std::thread> threads;
    for (auto& w : writers) threads.emplace_back([&w, &stop] { w->Run(stop); });
    std::atomic<int> answer{0};
    std::thread rotation([&] {
      auto c = server.Client();
      c->set_read_timeout(300, 0);
      c->set_bearer_token_auth(op);
      auto r = c->Post("/admin/v1/master-key/rotate", "", "application/json");
      answer = r ? r->status : -1;
    });
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % (duration_ms * 1500)));
    server.Kill9();
    stop = true;
    rotation.join();
    for (auto& th : threads) th.join();
    for (const auto& e : errors) ADD_FAILURE() << e;
    if (answer == -1) {
      ++interrupted;
    } else {
      EXPECT_EQ(answer.load(), 200);
    }

    ASSERT_NO_FATAL_FAILURE(server.Start());
    json st = WaitForRotationDone(server);
    // The interrupted rotation finished (or had not switched yet and made
    // its version at resume): one version is left, and every key is under it.
    ASSERT_EQ(st["versions"].size(), 1u) << st.dump();
    // One more version, unless the kill came before the request reached
    // the server (then nothing began); an answered rotation always counts.
    const uint32_t current = st["current"].get<uint32_t>();
    if (answer == 200 || current != expect_current) {
      EXPECT_EQ(current, expect_current + 1) << st.dump();
    }
    expect_current = current;
    EXPECT_EQ(st["versions"][0]["wrapped_keys"], kStaticTenants + kWriterTenants + (kStaticTenants + 2) / 3)
        << st.dump();
    const auto violations = VerifyAfterRestart(server, ledger, writers_tenants, &keys_checked);
    for (const auto& v : violations) ADD_FAILURE() << v;
    ASSERT_TRUE(violations.empty()) << "seed " << seed;
    for (int t = 0; t < kStaticTenants; ++t) {
      for (int k = 0; k < kStaticValues; ++k) {
        auto r = server.Get(KvPath("v" + std::to_string(k)), static_tokens[t]);
        ASSERT_TRUE(r && r->status == 200) << "mk-s" << t << " seed " << seed;
        EXPECT_EQ(r->body, "mk-s" + std::to_string(t) + "/" + std::to_string(k));
        ++keys_checked;
      }
    }
  }
  std::printf("master-key crash: %d cycles, %d killed before the rotation answered, rotation ~%lld ms, "
              "%lld acknowledged writes meanwhile, %lld key states checked\n",
              g_cycles, interrupted, static_cast<long long>(duration_ms),
              static_cast<long long>(ledger.acknowledged_ops()), static_cast<long long>(keys_checked));
}

// The tenant's data-key versions (GET .../keys); null on failure.
json KeyVersions(const TestServer& server, const std::string& id) {
  auto r = server.Get("/admin/v1/tenants/" + id + "/keys", server.operator_token());
  if (!r || r->status != 200) {
    ADD_FAILURE() << "GET keys: " << (r ? r->body : "no response");
    return nullptr;
  }
  return json::parse(r->body, nullptr, false);
}

// Per-version value counts must add up to the tenant's key count (both
// change in the data's batch, so a crash cannot split them), and no value
// may be on a destroyed version.
std::vector<std::string> CheckKeyCounts(const TestServer& server, const TenantHandle& t) {
  std::vector<std::string> out;
  const json keys = KeyVersions(server, t.id);
  auto usage = server.Get("/v1/usage", t.token);
  if (keys.is_null() || !usage || usage->status != 200) return {"cannot read key versions or usage"};
  const json u = json::parse(usage->body, nullptr, false);
  const json* used = u.contains("usage") && u["usage"].contains("keys") ? &u["usage"]["keys"] : nullptr;
  if (used == nullptr || !used->is_number()) return {t.id + ": /v1/usage has no usage.keys"};
  int64_t sum = 0;
  for (const auto& v : keys["versions"]) {
    sum += v["values"].get<int64_t>();
    if (v["state"] == "destroyed" && v["values"].get<int64_t>() != 0) {
      out.push_back(t.id + ": values left on destroyed version " + v["version"].dump());
    }
  }
  if (used->get<int64_t>() != sum) {
    out.push_back(t.id + ": per-version value counts add up to " + std::to_string(sum) + ", usage says " +
                  used->dump());
  }
  return out;
}

// Rotation under fire: a tenant with a few thousand values is rotated each
// cycle (so versions pile up as retiring when a pass is cut short), writers
// keep writing, and the kill lands at a random moment of the re-encryption.
// After each restart every value must be there and readable (the ledger),
// the per-version counts exact; at the end the job must finish: every
// version but the current destroyed, every value on the current one.
TEST(CrashConsistency, ReencryptionSurvivesRepeatedKill9) {
  const uint64_t seed = g_seed != 0 ? g_seed : static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  std::printf("re-encryption crash: %d cycles, seed %llu\n", g_cycles, static_cast<unsigned long long>(seed));
  std::mt19937_64 rng(seed);
  // Small steps at a low duty: a pass over the values takes seconds, so
  // kills land in it and rotations pile up retiring versions.
  TestServer server({"--reencrypt-batch-keys", "8", "--reencrypt-duty-percent", "5"});
  ASSERT_NO_FATAL_FAILURE(server.Start());
  const std::string id = "rekey";
  ASSERT_NO_FATAL_FAILURE(server.CreateTenant(id));
  auto q = server.Put("/admin/v1/tenants/" + id + "/quota",
                      json{{"requests_per_sec", 1000000}, {"burst_requests", 1000000}}.dump(), server.operator_token());
  ASSERT_TRUE(q && q->status == 200) << (q ? q->body : "no response");
  const TenantHandle tenant{id, server.CreateKey(id, "write")};
  WriteLedger ledger;
  {
    auto cli = server.Client();
    const httplib::Headers auth = {{"Authorization", "Bearer " + tenant.token}};
    for (int b = 0; b < 8; ++b) {
      std::vector<WriteOp> ops;
      json batch = {{"ops", json::array()}};
      for (int i = 0; i < 500; ++i) {
        const std::string key = "bulk/" + std::to_string(b * 500 + i);
        ops.push_back({key, MakeValue(id, key, i, rng)});
        batch["ops"].push_back({{"op", "put"}, {"key", key}, {"value_b64", server::Base64Encode(*ops.back().after)}});
      }
      const int64_t ticket = ledger.Begin(id, ops);
      auto r = cli->Post("/v1/batch", auth, batch.dump(), "application/json");
      ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "no response");
      ledger.Acknowledge(ticket);
    }
  }
  Stats stats;
  int64_t keys_checked = 0;
  int rotations = 0, max_retiring = 0, kills_mid_pass = 0;
  for (int cycle = 0; cycle < g_cycles; ++cycle) {
    SCOPED_TRACE("cycle " + std::to_string(cycle));
    auto rot = server.Post("/admin/v1/tenants/" + id + "/keys/rotate", "", server.operator_token());
    ASSERT_TRUE(rot && rot->status == 200) << (rot ? rot->body : "no response");
    ++rotations;
    std::atomic<bool> stop{false};
    std::vector<std::string> errors;
    std::mutex errors_mu;
    std::vector<std::unique_ptr<Writer>> writers;
    for (int w = 0; w < kWritersPerTenant; ++w) {
      writers.push_back(std::make_unique<Writer>(server, &ledger, tenant, w, rng(), &stats, &errors, &errors_mu));
    }
    std::vector<std::thread> threads;
    for (auto& w : writers) threads.emplace_back([&w, &stop] { w->Run(stop); });
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + rng() % 600));
    const json before = KeyVersions(server, id);
    int retiring = 0;
    if (before.is_object()) {
      for (const auto& v : before["versions"]) retiring += v["state"] == "retiring" ? 1 : 0;
    }
    max_retiring = std::max(max_retiring, retiring);
    if (before.is_object() && before.value("reencrypting", false)) ++kills_mid_pass;
    server.Kill9();
    stop = true;
    for (auto& th : threads) th.join();
    for (const auto& e : errors) ADD_FAILURE() << e;
    ASSERT_NO_FATAL_FAILURE(server.Start());
    auto violations = VerifyAfterRestart(server, ledger, {tenant}, &keys_checked);
    for (const auto& v : CheckKeyCounts(server, tenant)) violations.push_back(v);
    for (const auto& v : violations) ADD_FAILURE() << v;
    ASSERT_TRUE(violations.empty()) << "seed " << seed;
  }
  // The job resumed after the last restart; it must finish (bounded wait).
  json keys;
  bool finished = false;
  for (int i = 0; i < 1200 && !finished; ++i) {
    keys = KeyVersions(server, id);
    ASSERT_TRUE(keys.is_object());
    finished = !keys["reencrypting"].get<bool>();
    if (!finished) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(finished) << keys.dump();
  const auto& versions = keys["versions"];
  const std::string current_state = versions.back()["state"];
  EXPECT_EQ(current_state, "active");
  for (size_t i = 0; i + 1 < versions.size(); ++i) {
    EXPECT_EQ(versions[i]["state"], "destroyed") << versions[i].dump();
    EXPECT_EQ(versions[i]["values"], 0) << versions[i].dump();
  }
  auto final_check = VerifyAfterRestart(server, ledger, {tenant}, &keys_checked);
  for (const auto& v : CheckKeyCounts(server, tenant)) final_check.push_back(v);
  for (const auto& v : final_check) ADD_FAILURE() << v;
  std::printf("re-encryption crash: %d cycles, %d rotations, %d kills during a pass (up to %d versions retiring "
              "at once), %lld acknowledged writes, %lld key states checked, %zu versions at the end, all older "
              "destroyed\n",
              g_cycles, rotations, kills_mid_pass, max_retiring, static_cast<long long>(ledger.acknowledged_ops()),
              static_cast<long long>(keys_checked), versions.size());
}

}  // namespace
}  // namespace tenantkv::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if ((a == "--cycles" || a == "--seed") && i + 1 < argc) {
      const char* v = argv[++i];
      char* end = nullptr;
      const unsigned long long n = std::strtoull(v, &end, 10);
      if (end == v || *end != '\0' || (a == "--cycles" && (n < 1 || n > 100000))) {
        std::fprintf(stderr, "%s needs a positive whole number\n", a.c_str());
        return 2;
      }
      if (a == "--cycles") tenantkv::testing::g_cycles = static_cast<int>(n);
      else tenantkv::testing::g_seed = n;
    } else {
      std::fprintf(stderr, "usage: %s [gtest flags] [--cycles N] [--seed N]\n", argv[0]);
      return 2;
    }
  }
  return RUN_ALL_TESTS();
}

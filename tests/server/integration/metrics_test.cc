// GET /metrics and the access log against the real server: per-tenant
// series that count exactly what each tenant sent, operator-only access,
// the Grafana dashboard's metric names, and logs without secrets.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "tests/testing/test_server.h"

#ifndef TENANTKV_SOURCE_DIR
#error "TENANTKV_SOURCE_DIR must name the source tree"
#endif

namespace tenantkv::testing {
namespace {

using nlohmann::json;

// One scrape: every sample by its series text (name and labels exactly as
// written), and the TYPE of every family.
struct Scrape {
  std::map<std::string, double> samples;
  std::map<std::string, std::string> types;
  std::string text;

  double Get(const std::string& series) const {
    auto it = samples.find(series);
    EXPECT_NE(it, samples.end()) << "missing series " << series;
    return it == samples.end() ? -1 : it->second;
  }
  bool Has(const std::string& series) const { return samples.count(series) > 0; }
};

// Parses the exposition, checking as it goes that HELP and TYPE come once
// per family, before its samples, and that samples of a family are
// contiguous.
Scrape Parse(const std::string& text) {
  Scrape s;
  s.text = text;
  std::istringstream in(text);
  std::string family;
  std::set<std::string> closed, helped;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# HELP ", 0) == 0) {
      std::string name = line.substr(7, line.find(' ', 7) - 7);
      EXPECT_TRUE(helped.insert(name).second) << "HELP twice: " << name;
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream f(line.substr(7));
      std::string name, type;
      f >> name >> type;
      EXPECT_TRUE(helped.count(name)) << "TYPE before HELP: " << name;
      EXPECT_EQ(s.types.count(name), 0u) << "TYPE twice: " << name;
      if (!family.empty()) closed.insert(family);
      s.types[name] = type;
      family = name;
      continue;
    }
    const size_t space = line.rfind(' ');
    EXPECT_NE(space, std::string::npos) << line;
    if (space == std::string::npos) continue;
    const std::string series = line.substr(0, space);
    const std::string name = series.substr(0, series.find('{'));
    const std::string type = s.types.count(family) ? s.types[family] : "";
    const bool belongs = name == family || (type == "histogram" && (name == family + "_bucket" ||
                                                                    name == family + "_sum" ||
                                                                    name == family + "_count"));
    EXPECT_TRUE(belongs) << "sample outside its family: " << line;
    EXPECT_EQ(s.samples.count(series), 0u) << "duplicate series: " << series;
    s.samples[series] = std::stod(line.substr(space + 1));
  }
  return s;
}

std::string Kv(const std::string& tenant, const char* method, int code) {
  return "tenantkv_requests_total{tenant=\"" + tenant + "\",method=\"" + method +
         "\",route=\"/v1/kv/{*key}\",code=\"" + std::to_string(code) + "\"}";
}

class MetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Start();
    server_.CreateTenant("alpha");
    server_.CreateTenant("beta");
    alpha_ = server_.CreateKey("alpha", "write");
    beta_ = server_.CreateKey("beta", "write");
  }

  Scrape ScrapeNow() {
    auto r = server_.Get("/metrics", server_.operator_token());
    EXPECT_TRUE(r);
    if (!r) return {};
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
    return Parse(r->body);
  }

  TestServer server_;
  std::string alpha_, beta_;
};

TEST_F(MetricsTest, OnlyTheOperatorMayScrape) {
  auto none = server_.Get("/metrics", "");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  for (const std::string& token : {alpha_, server_.CreateKey("alpha", "admin")}) {
    auto r = server_.Get("/metrics", token);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403);
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/problem+json");
    EXPECT_EQ(json::parse(r->body)["code"], "operator_only");
    EXPECT_EQ(r->body.find("tenantkv_"), std::string::npos);
  }
  const Scrape m = ScrapeNow();
  // Refused tenant keys count as their tenant's requests.
  EXPECT_EQ(m.Get("tenantkv_requests_total{tenant=\"alpha\",method=\"GET\",route=\"/metrics\",code=\"403\"}"), 2);
  EXPECT_EQ(m.Get("tenantkv_requests_total{tenant=\"-\",method=\"GET\",route=\"/metrics\",code=\"401\"}"), 1);
}

TEST_F(MetricsTest, EachTenantsSeriesCountOnlyItsOwnTraffic) {
  // beta may make 3 requests at once and then 1 per second.
  auto q = server_.Client()->Put("/admin/v1/tenants/beta/quota",
                                 {{"Authorization", "Bearer " + server_.operator_token()}},
                                 R"({"requests_per_sec": 1, "burst_requests": 3})", "application/json");
  ASSERT_TRUE(q);
  ASSERT_EQ(q->status, 200) << q->body;

  int64_t written = 0, read = 0;
  for (int i = 0; i < 5; ++i) {
    const std::string key = "k" + std::to_string(i), value(100 + i, 'v');
    ASSERT_EQ(server_.Put(KvPath(key), value, alpha_)->status, 201);
    written += static_cast<int64_t>(key.size() + value.size());
    if (i < 3) {
      ASSERT_EQ(server_.Get(KvPath(key), alpha_)->status, 200);
      read += static_cast<int64_t>(key.size() + value.size());
    }
  }
  for (int i = 0; i < 2; ++i) ASSERT_EQ(server_.Get(KvPath("missing"), alpha_)->status, 404);
  int beta_404 = 0, beta_429 = 0;
  for (int i = 0; i < 10; ++i) {
    const int status = server_.Get(KvPath("k0"), beta_)->status;
    ASSERT_TRUE(status == 404 || status == 429) << status;
    (status == 404 ? beta_404 : beta_429)++;
  }
  ASSERT_GT(beta_429, 0);

  const Scrape m = ScrapeNow();
  EXPECT_EQ(m.Get(Kv("alpha", "PUT", 201)), 5);
  EXPECT_EQ(m.Get(Kv("alpha", "GET", 200)), 3);
  EXPECT_EQ(m.Get(Kv("alpha", "GET", 404)), 2);
  EXPECT_FALSE(m.Has(Kv("alpha", "GET", 429)));
  EXPECT_EQ(m.Get(Kv("beta", "GET", 404)), beta_404);
  EXPECT_EQ(m.Get(Kv("beta", "GET", 429)), beta_429);
  EXPECT_FALSE(m.Has(Kv("beta", "PUT", 201)));
  EXPECT_EQ(m.Get("tenantkv_throttled_requests_total{tenant=\"beta\",reason=\"rate_limited\"}"), beta_429);
  EXPECT_EQ(m.Get("tenantkv_throttled_requests_total{tenant=\"alpha\",reason=\"rate_limited\"}"), 0);
  // Latency histograms: one observation per request, buckets cumulative.
  const std::string alpha_get = "tenant=\"alpha\",method=\"GET\",route=\"/v1/kv/{*key}\"";
  EXPECT_EQ(m.Get("tenantkv_request_duration_seconds_count{" + alpha_get + "}"), 5);
  EXPECT_EQ(m.Get("tenantkv_request_duration_seconds_bucket{" + alpha_get + ",le=\"+Inf\"}"), 5);
  EXPECT_LE(m.Get("tenantkv_request_duration_seconds_bucket{" + alpha_get + ",le=\"0.001\"}"),
            m.Get("tenantkv_request_duration_seconds_bucket{" + alpha_get + ",le=\"0.01\"}"));
  EXPECT_GT(m.Get("tenantkv_request_duration_seconds_sum{" + alpha_get + "}"), 0);
  // Bytes, storage and quotas.
  EXPECT_EQ(m.Get("tenantkv_written_bytes_total{tenant=\"alpha\"}"), written);
  EXPECT_EQ(m.Get("tenantkv_read_bytes_total{tenant=\"alpha\"}"), read);
  EXPECT_EQ(m.Get("tenantkv_written_bytes_total{tenant=\"beta\"}"), 0);
  EXPECT_EQ(m.Get("tenantkv_storage_bytes{tenant=\"alpha\"}"), written);
  EXPECT_EQ(m.Get("tenantkv_storage_keys{tenant=\"alpha\"}"), 5);
  EXPECT_EQ(m.Get("tenantkv_storage_bytes{tenant=\"beta\"}"), 0);
  EXPECT_EQ(m.Get("tenantkv_quota_used{tenant=\"alpha\",quota=\"storage_bytes\"}"), written);
  EXPECT_EQ(m.Get("tenantkv_quota_limit{tenant=\"beta\",quota=\"requests_per_sec\"}"), 3);
  EXPECT_GT(m.Get("tenantkv_quota_limit{tenant=\"alpha\",quota=\"storage_bytes\"}"), 0);
  EXPECT_GE(m.Get("tenantkv_quota_utilisation_ratio{tenant=\"beta\",quota=\"requests_per_sec\"}"), 0);
  // The scheduler ran alpha's 10 operations and only beta's admitted ones.
  EXPECT_EQ(m.Get("tenantkv_scheduler_served_ops_total{tenant=\"alpha\"}"), 10);
  EXPECT_EQ(m.Get("tenantkv_scheduler_served_ops_total{tenant=\"beta\"}"), beta_404);
  EXPECT_EQ(m.Get("tenantkv_scheduler_queue_wait_seconds_count{tenant=\"alpha\"}"), 10);
  EXPECT_EQ(m.Get("tenantkv_scheduler_queue_depth{tenant=\"alpha\"}"), 0);
  EXPECT_GE(m.Get("tenantkv_scheduler_served_cost_total{tenant=\"alpha\"}"), 10);
  // Keys, process and RocksDB.
  const double age = m.Get("tenantkv_data_key_age_seconds{tenant=\"alpha\",version=\"1\",state=\"active\"}");
  EXPECT_GE(age, 0);
  EXPECT_LT(age, 3600);
  EXPECT_EQ(m.Get("tenantkv_tenants"), 2);
  // default, system, alpha, beta, the two spares left of the test
  // server's pool of 4 and the pooled tier's 4 shared column families.
  EXPECT_EQ(m.Get("tenantkv_rocksdb_column_families"), 10);
  EXPECT_EQ(m.Get("tenantkv_cf_pool_spares"), 2);
  EXPECT_EQ(m.Get("tenantkv_cf_pool_sync_creates_total"), 0);
  EXPECT_GT(m.Get("tenantkv_rocksdb_memtable_bytes"), 0);
  EXPECT_EQ(m.Get("tenantkv_rocksdb_write_stopped"), 0);
  EXPECT_GT(m.Get("process_resident_memory_bytes"), 1 << 20);
  EXPECT_GT(m.Get("process_open_fds"), 3);
  EXPECT_GT(m.Get("tenantkv_process_threads"), 1);
  EXPECT_GE(m.Get("tenantkv_uptime_seconds"), 0);
  // Callers that are no tenant have their own label values.
  EXPECT_EQ(m.Get("tenantkv_requests_total{tenant=\"_operator\",method=\"POST\",route=\"/admin/v1/tenants\","
                  "code=\"201\"}"),
            2);
  EXPECT_EQ(m.types.at("tenantkv_requests_total"), "counter");
  EXPECT_EQ(m.types.at("tenantkv_request_duration_seconds"), "histogram");
  EXPECT_EQ(m.types.at("tenantkv_storage_bytes"), "gauge");
}

TEST_F(MetricsTest, RefusedAndUnmatchedRequestsAreCountedWithoutATenant) {
  ASSERT_EQ(server_.Get(KvPath("k"), "")->status, 401);
  ASSERT_EQ(server_.Get(KvPath("k"), "tkv_not_a_real_token")->status, 401);
  ASSERT_EQ(server_.Get("/no/such/route", alpha_)->status, 404);
  const Scrape m = ScrapeNow();
  EXPECT_EQ(m.Get("tenantkv_requests_total{tenant=\"-\",method=\"GET\",route=\"/v1/kv/{*key}\",code=\"401\"}"), 2);
  EXPECT_EQ(m.Get("tenantkv_requests_total{tenant=\"-\",method=\"-\",route=\"unmatched\",code=\"404\"}"), 1);
  EXPECT_FALSE(m.Has(Kv("alpha", "GET", 401)));
}

TEST_F(MetricsTest, ExportAndBackupRoutesHaveTheirOwnLabels) {
  // A refused call is enough: it is counted under its route.
  ASSERT_EQ(server_.Post("/admin/v1/tenants/nobody/export", "{}", server_.operator_token())->status, 400);
  const Scrape m = ScrapeNow();
  EXPECT_EQ(m.Get("tenantkv_requests_total{tenant=\"_operator\",method=\"POST\","
                  "route=\"/admin/v1/tenants/{id}/export\",code=\"400\"}"), 1);
}

TEST_F(MetricsTest, ADeletedTenantsSeriesDisappear) {
  server_.CreateTenant("gamma");
  const std::string gamma = server_.CreateKey("gamma", "write");
  ASSERT_EQ(server_.Put(KvPath("x"), "y", gamma)->status, 201);
  ASSERT_NE(ScrapeNow().text.find("tenant=\"gamma\""), std::string::npos);
  auto del = server_.Delete("/admin/v1/tenants/gamma", server_.operator_token());
  ASSERT_TRUE(del);
  ASSERT_EQ(del->status, 204) << del->body;
  const Scrape m = ScrapeNow();
  EXPECT_EQ(m.text.find("tenant=\"gamma\""), std::string::npos);
  EXPECT_NE(m.text.find("tenant=\"alpha\""), std::string::npos);
  EXPECT_EQ(m.Get("tenantkv_tenants"), 2);
}

// Every metric the dashboard queries is one the server exports.
TEST_F(MetricsTest, GrafanaDashboardQueriesOnlyExportedMetrics) {
  std::ifstream in(std::string(TENANTKV_SOURCE_DIR) + "/docs/grafana/tenantkv.json");
  ASSERT_TRUE(in.good());
  const json dash = json::parse(in, nullptr, false);
  ASSERT_FALSE(dash.is_discarded()) << "docs/grafana/tenantkv.json is not valid JSON";
  ASSERT_TRUE(dash.contains("panels"));
  std::vector<std::string> exprs;
  for (const json& panel : dash["panels"]) {
    ASSERT_TRUE(panel.contains("targets")) << panel.dump();
    for (const json& t : panel["targets"]) exprs.push_back(t.at("expr").get<std::string>());
  }
  for (const json& var : dash["templating"]["list"]) {
    if (var.contains("definition")) exprs.push_back(var["definition"].get<std::string>());
  }
  ASSERT_GE(exprs.size(), 10u);
  const Scrape m = ScrapeNow();
  auto exported = [&](const std::string& name) {
    if (m.types.count(name)) return true;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      const std::string s = suffix;
      if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
        auto it = m.types.find(name.substr(0, name.size() - s.size()));
        if (it != m.types.end() && it->second == "histogram") return true;
      }
    }
    return false;
  };
  for (const std::string& expr : exprs) {
    SCOPED_TRACE(expr);
    int metrics = 0;
    for (size_t i = 0; i < expr.size();) {
      auto ident = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':'; };
      if (!ident(expr[i]) || (i > 0 && ident(expr[i - 1]))) {
        ++i;
        continue;
      }
      size_t j = i;
      while (j < expr.size() && ident(expr[j])) ++j;
      const std::string word = expr.substr(i, j - i);
      if (word.rfind("tenantkv_", 0) == 0 || word.rfind("process_", 0) == 0) {
        ++metrics;
        EXPECT_TRUE(exported(word)) << word << " is not exported";
      }
      i = j;
    }
    EXPECT_GT(metrics, 0) << "queries no tenantkv metric";
  }
}

std::vector<json> AccessLines(const std::string& log) {
  std::vector<json> out;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    json j = json::parse(line, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "log line is not JSON: " << line;
    if (!j.is_discarded() && j.contains("request_id")) out.push_back(std::move(j));
  }
  return out;
}

TEST_F(MetricsTest, AccessLogHasOneLinePerRequestAndNoSecrets) {
  const std::string value = "VALUE-7f3c9e-never-in-logs";
  const std::string bad_token = "tkv_wrong_4b1d0e_never_in_logs";
  auto put = server_.Put(KvPath("secret-key-name"), value, alpha_, {{"X-Request-Id", "obs-put-1"}});
  ASSERT_EQ(put->status, 201);
  ASSERT_EQ(server_.Get(KvPath("secret-key-name"), alpha_, {{"X-Request-Id", "obs-get-1"}})->status, 200);
  ASSERT_EQ(server_.Get(KvPath("k"), bad_token, {{"X-Request-Id", "obs-bad-1"}})->status, 401);
  ASSERT_EQ(server_.Terminate(), 0);  // the log is buffered; a clean stop flushes it
  const std::string log = server_.ReadLog();
  ASSERT_NE(log.find("stopped cleanly"), std::string::npos) << log;
  std::map<std::string, json> by_id;
  for (json& j : AccessLines(log)) by_id[j["request_id"]] = j;
  ASSERT_EQ(by_id.count("obs-put-1"), 1u) << log;
  const json& p = by_id["obs-put-1"];
  for (const char* field : {"ts", "level", "request_id", "tenant", "route", "method", "status", "duration_ms",
                            "bytes_in", "bytes_out", "remote"}) {
    EXPECT_TRUE(p.contains(field)) << field << " missing in " << p.dump();
  }
  EXPECT_EQ(p["tenant"], "alpha");
  EXPECT_EQ(p["route"], "/v1/kv/{*key}");
  EXPECT_EQ(p["method"], "PUT");
  EXPECT_EQ(p["status"], 201);
  EXPECT_EQ(p["bytes_in"], value.size());
  EXPECT_EQ(p["level"], "info");
  EXPECT_EQ(by_id["obs-get-1"]["bytes_out"], value.size());
  EXPECT_EQ(by_id["obs-bad-1"]["status"], 401);
  EXPECT_EQ(by_id["obs-bad-1"]["tenant"], "-");
  // Neither tokens, values, key names nor headers.
  for (const std::string& secret : {value, alpha_, beta_, bad_token, server_.operator_token(),
                                    std::string("secret-key-name"), std::string("Bearer"),
                                    std::string("Authorization")}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << "the log holds " << secret;
  }
}

// A node of many tenants: per-tenant series only for the latest active
// ones (at most --metrics-active-tenants) and the largest of the rest (at
// most --metrics-top-tenants); every tenant in the per-plan totals.
TEST(MetricsCardinality, PerTenantSeriesAreBoundedAndThePlanTotalsCountEveryone) {
  TestServer server({"--metrics-active-tenants", "2", "--metrics-top-tenants", "1",
                     "--metrics-active-window-sec", "3"});
  server.Start();
  std::map<std::string, std::string> token;
  for (const std::string id : {"big", "t1", "t2", "t3", "t4"}) {
    server.CreateTenant(id);
    token[id] = server.CreateKey(id, "write");
  }
  // big stores the most, then goes quiet past the window.
  ASSERT_EQ(server.Put("/v1/kv/k", std::string(4096, 'x'), token["big"])->status, 201);
  std::this_thread::sleep_for(std::chrono::milliseconds(3500));
  // t2, t3, t4 are active, t4 the latest: the cap of 2 keeps t3 and t4.
  for (const std::string id : {"t2", "t3", "t4"}) {
    ASSERT_EQ(server.Put("/v1/kv/k", "v", token[id])->status, 201);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto r = server.Get("/metrics", server.operator_token());
  ASSERT_TRUE(r && r->status == 200);
  const Scrape m = Parse(r->body);
  for (const std::string id : {"t3", "t4", "big"}) {
    EXPECT_TRUE(m.Has("tenantkv_storage_bytes{tenant=\"" + id + "\"}")) << id;
  }
  EXPECT_TRUE(m.Has(Kv("t4", "PUT", 201)));
  EXPECT_TRUE(m.Has(Kv("big", "PUT", 201)));  // a tenant with series has all of them
  for (const std::string id : {"t1", "t2"}) {
    EXPECT_EQ(m.text.find("tenant=\"" + id + "\""), std::string::npos) << id;
  }
  EXPECT_EQ(m.Get("tenantkv_metrics_tenants_omitted"), 2);
  EXPECT_EQ(m.Get("tenantkv_tenants"), 5);
  EXPECT_EQ(m.types.at("tenantkv_plan_requests_total"), "counter");
  // The plan totals: all five tenants (standard plan, column_family tier by
  // default), the four PUTs, the bytes of all of them.
  const std::string plan = "plan=\"standard\",tier=\"column_family\"";
  EXPECT_EQ(m.Get("tenantkv_plan_tenants{" + plan + "}"), 5);
  EXPECT_EQ(m.Get("tenantkv_plan_requests_total{" + plan + ",code=\"201\"}"), 4);
  EXPECT_EQ(m.Get("tenantkv_plan_storage_keys{" + plan + "}"), 4);
  EXPECT_GT(m.Get("tenantkv_plan_storage_bytes{" + plan + "}"), 4096);
  EXPECT_GT(m.Get("tenantkv_plan_written_bytes_total{" + plan + "}"), 4096);
}

TEST(AccessLog, CanBeSwitchedOff) {
  TestServer server({"--no-access-log"});
  server.Start();
  ASSERT_EQ(server.Get("/healthz", "")->status, 200);
  ASSERT_EQ(server.Get("/metrics", server.operator_token())->status, 200);
  ASSERT_EQ(server.Terminate(), 0);
  const std::string log = server.ReadLog();
  ASSERT_NE(log.find("stopped cleanly"), std::string::npos) << log;  // the log was flushed
  EXPECT_TRUE(AccessLines(log).empty()) << log;
}

}  // namespace
}  // namespace tenantkv::testing

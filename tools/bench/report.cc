#include "tools/bench/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "tools/bench/fairness.h"
#include "tools/bench/kv_requests.h"

namespace tenantkv::bench {
namespace {

constexpr double kNanosPerMilli = 1e6;

struct Percentile {
  const char* json_name;
  const char* column;
  double q;
};
constexpr Percentile kPercentiles[] = {
    {"p50", "p50 ms", 0.50}, {"p90", "p90 ms", 0.90}, {"p99", "p99 ms", 0.99},
    {"p999", "p99.9 ms", 0.999}};

double Millis(std::int64_t nanos) { return static_cast<double>(nanos) / kNanosPerMilli; }

// Rounded for humans and for diff-friendly JSON; dividing by the scale (not
// multiplying by a step) keeps 0.571 from printing as 0.5710000000000001.
double Round(double value, double scale) { return std::round(value * scale) / scale; }

std::uint64_t OtherErrors(const RequestStats& s) {
  return s.Count(ResponseClass::kClientError) + s.Count(ResponseClass::kServerError);
}

double BatchValuesPerSecond(const TenantResult& t, double seconds) {
  return seconds > 0 ? static_cast<double>(t.stats.ok_batches * kBatchPuts) / seconds : 0;
}

nlohmann::ordered_json LatencyJson(const LatencyHistogram& h) {
  if (h.Count() == 0) return nullptr;
  nlohmann::ordered_json out;
  for (const Percentile& p : kPercentiles) {
    out[p.json_name] = Round(Millis(h.ValueAtQuantile(p.q)), 1e3);
  }
  out["max"] = Round(Millis(h.Max()), 1e3);
  return out;
}

// How late the client itself sent: a high value means the generator (or the
// machine it shares) could not keep the schedule, not that the server was slow.
nlohmann::ordered_json LagJson(const LatencyHistogram& h) {
  if (h.Count() == 0) return nullptr;
  return {{"p99", Round(Millis(h.ValueAtQuantile(0.99)), 1e3)},
          {"max", Round(Millis(h.Max()), 1e3)}};
}

nlohmann::ordered_json TenantJson(const TenantResult& t, double seconds) {
  const RequestStats& s = t.stats;
  nlohmann::ordered_json codes = nlohmann::ordered_json::object();
  for (const auto& [code, n] : s.by_code) codes[std::to_string(code)] = n;
  return {
      {"name", t.name},
      {"weight", t.weight},
      {"target_rate", t.target_rate},
      {"mode", t.target_rate > 0 ? "open" : "closed"},
      {"conns", t.conns},
      {"mix", t.mix},
      {"sent", s.sent},
      {"achieved_rate", Round(AchievedRate(t, seconds), 1e2)},
      {"ok", s.Count(ResponseClass::kOk)},
      {"unsent", s.unsent},
      {"batch_values_per_s", Round(BatchValuesPerSecond(t, seconds), 1e2)},
      {"status",
       {{"429", s.Count(ResponseClass::kRateLimited)},
        {"503", s.Count(ResponseClass::kOverloaded)},
        {"other", OtherErrors(s)},
        {"transport", s.Count(ResponseClass::kTransport)}}},
      {"codes", codes},
      {"latency_ms", LatencyJson(s.latency)},
      {"send_lag_ms", LagJson(s.send_lag)},
      {"windows",
       {{"ok", t.windows.ok()},
        {"read_bytes", t.windows.read_bytes()},
        {"write_bytes", t.windows.write_bytes()}}},
  };
}

std::string Fixed(double value, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

using Row = std::vector<std::string>;

std::string RenderTable(const std::vector<Row>& rows) {
  std::vector<std::size_t> widths;
  for (const Row& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const Row& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      const std::string pad(widths[i] - row[i].size(), ' ');
      line += i == 0 ? row[i] + pad : "  " + pad + row[i];  // names left, numbers right
    }
    out += line + "\n";
  }
  return out;
}

Row TenantRow(const TenantResult& t, double seconds) {
  const RequestStats& s = t.stats;
  Row row = {t.name,
             Fixed(t.weight, 2),
             t.target_rate > 0 ? Fixed(t.target_rate, 1) : "max",
             Fixed(AchievedRate(t, seconds), 1),
             std::to_string(s.Count(ResponseClass::kOk)),
             std::to_string(s.Count(ResponseClass::kRateLimited)),
             std::to_string(s.Count(ResponseClass::kOverloaded)),
             std::to_string(OtherErrors(s)),
             std::to_string(s.Count(ResponseClass::kTransport)),
             std::to_string(s.unsent)};
  for (const Percentile& p : kPercentiles) {
    row.push_back(s.latency.Count() ? Fixed(Millis(s.latency.ValueAtQuantile(p.q)), 3) : "-");
  }
  row.push_back(s.latency.Count() ? Fixed(Millis(s.latency.Max()), 3) : "-");
  row.push_back(s.send_lag.Count() ? Fixed(Millis(s.send_lag.ValueAtQuantile(0.99)), 3) : "-");
  return row;
}

// "acme: 10 windows of 1 s; ok min/median/max 498/500/502; read bytes
// min/max 0/0; write bytes min/max 50000/50200".
std::string WindowLine(const TenantResult& t) {
  const WindowSummary ok = Summarise(t.windows.ok());
  const WindowSummary read = Summarise(t.windows.read_bytes());
  const WindowSummary write = Summarise(t.windows.write_bytes());
  return t.name + ": " + std::to_string(t.windows.size()) + " windows of 1 s; ok min/median/max " +
         std::to_string(ok.min) + "/" + std::to_string(ok.median) + "/" + std::to_string(ok.max) +
         "; read bytes min/max " + std::to_string(read.min) + "/" + std::to_string(read.max) +
         "; write bytes min/max " + std::to_string(write.min) + "/" + std::to_string(write.max) +
         "\n";
}

}  // namespace

double AchievedRate(const TenantResult& tenant, double measured_seconds) {
  if (measured_seconds <= 0) return 0;
  return static_cast<double>(tenant.stats.Count(ResponseClass::kOk)) / measured_seconds;
}

std::optional<double> WeightedJainIndex(const RunReport& report) {
  std::vector<double> rates;
  std::vector<double> weights;
  for (const TenantResult& t : report.tenants) {
    rates.push_back(AchievedRate(t, report.measured_seconds));
    weights.push_back(t.weight);
  }
  return JainIndex(NormaliseByWeight(rates, weights));
}

nlohmann::ordered_json ReportJson(const RunReport& report) {
  nlohmann::ordered_json tenants = nlohmann::ordered_json::array();
  for (const TenantResult& t : report.tenants) {
    tenants.push_back(TenantJson(t, report.measured_seconds));
  }
  const std::optional<double> jain = WeightedJainIndex(report);
  nlohmann::ordered_json out;
  out["duration_s"] = Round(report.measured_seconds, 1e3);
  out["warmup_s"] = report.warmup_seconds;
  out["stopped_early"] =
      report.stopped_early.empty() ? nlohmann::ordered_json(nullptr)
                                   : nlohmann::ordered_json(report.stopped_early);
  out["tenants"] = std::move(tenants);
  out["jain_index"] = jain ? nlohmann::ordered_json(Round(*jain, 1e6)) : nullptr;
  return out;
}

std::string ReportTable(const RunReport& report) {
  std::vector<Row> rows = {{"tenant", "weight", "target/s", "achieved/s", "ok", "429", "503",
                            "other", "transport", "unsent", "p50 ms", "p90 ms", "p99 ms",
                            "p99.9 ms", "max ms", "lag p99 ms"}};
  bool any_batch = false;
  for (const TenantResult& t : report.tenants) {
    rows.push_back(TenantRow(t, report.measured_seconds));
    any_batch = any_batch || t.stats.ok_batches > 0;
  }
  std::string out = RenderTable(rows);
  if (any_batch) {
    for (const TenantResult& t : report.tenants) {
      if (t.stats.ok_batches == 0) continue;
      out += "batch values/s " + t.name + ": " +
             Fixed(BatchValuesPerSecond(t, report.measured_seconds), 1) + "\n";
    }
  }
  for (const TenantResult& t : report.tenants) {
    if (t.windows.size() > 0) out += "per second " + WindowLine(t);
  }
  const std::optional<double> jain = WeightedJainIndex(report);
  out += "measured " + Fixed(report.measured_seconds, 2) + " s after " +
         Fixed(report.warmup_seconds, 2) + " s warm-up";
  if (!report.stopped_early.empty()) out += " (stopped early: " + report.stopped_early + ")";
  out += "; Jain's fairness index (achieved/weight): " + (jain ? Fixed(*jain, 4) : "n/a") + "\n";
  out += "latency: successful requests, from intended send time to completion; "
         "lag: how late the generator sent; per second: successes by completion time, "
         "value bytes they read and wrote\n";
  return out;
}

}  // namespace tenantkv::bench

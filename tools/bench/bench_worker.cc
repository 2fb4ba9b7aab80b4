#include "tools/bench/bench_worker.h"

#include <algorithm>
#include <random>
#include <thread>

#include "tools/bench/bench_connection.h"
#include "tools/bench/load_schedule.h"

namespace tenantkv::bench {
namespace {

using Nanos = RunControl::Nanos;

constexpr auto kTransportErrorPause = std::chrono::milliseconds(10);

struct NextRequest {
  OpKind op;
  OpRequest request;
};

// The bytes a success moved (nothing for a failure).
OpBytes SuccessBytes(const ConnectionPlan& plan, OpKind op, const HttpAnswer& answer) {
  if (Classify(op, answer.status) != ResponseClass::kOk) return {};
  return CountOpBytes(op, answer.status, answer.body, plan.spec->value_bytes);
}

NextRequest Draw(const ConnectionPlan& plan, std::mt19937_64& rng) {
  const OpKind op = plan.spec->mix.Pick(rng() % plan.spec->mix.Total());
  return {op, plan.factory->Make(op, rng)};
}

void RunOpenLoop(const ConnectionPlan& plan, RunControl& control, LiveStats& stats,
                 BenchConnection& connection, std::mt19937_64& rng) {
  const LoadSchedule schedule(plan.spec->rate, plan.spec->conns, plan.conn_index);
  for (std::uint64_t n = 0;; ++n) {
    const Nanos due = schedule.IntendedOffset(n);
    if (due >= control.end() || control.Stopped()) return;
    NextRequest next = Draw(plan, rng);
    if (!control.WaitUntil(due)) return;
    const Nanos now = control.Now();
    if (now >= control.end()) {
      const std::uint64_t first_measured =
          std::max(n, schedule.CountBefore(control.measure_from()));
      const std::uint64_t due_before_end = schedule.CountBefore(control.end());
      if (due_before_end > first_measured) stats.AddUnsent(due_before_end - first_measured);
      return;
    }
    if (!control.Claim(now)) return;
    const HttpAnswer answer = connection.Send(next.request);
    const Nanos done = control.Now();
    stats.Record(due >= control.measure_from(), next.op, answer.status, (done - due).count(),
                 (now - due).count(), done - control.measure_from(),
                 SuccessBytes(plan, next.op, answer));
  }
}

void RunClosedLoop(const ConnectionPlan& plan, RunControl& control, LiveStats& stats,
                   BenchConnection& connection, std::mt19937_64& rng) {
  if (!control.WaitUntil(Nanos(0))) return;
  while (!control.Stopped()) {
    NextRequest next = Draw(plan, rng);
    const Nanos sent = control.Now();
    if (sent >= control.end() || !control.Claim(sent)) return;
    const HttpAnswer answer = connection.Send(next.request);
    const Nanos done = control.Now();
    stats.Record(sent >= control.measure_from(), next.op, answer.status, (done - sent).count(),
                 /*send_lag_nanos=*/0, done - control.measure_from(),
                 SuccessBytes(plan, next.op, answer));
    if (answer.status == kTransportError) std::this_thread::sleep_for(kTransportErrorPause);
  }
}

}  // namespace

void LiveStats::Record(bool measured, OpKind op, int http_status, std::int64_t latency_nanos,
                       std::int64_t send_lag_nanos,
                       std::chrono::nanoseconds done_since_measure_start, const OpBytes& bytes) {
  const bool ok = Classify(op, http_status) == ResponseClass::kOk;
  const std::lock_guard<std::mutex> lock(mu_);
  (measured ? measured_ : warmup_).Record(op, http_status, latency_nanos, send_lag_nanos);
  if (ok) windows_.Add(done_since_measure_start, bytes);
}

void LiveStats::AddUnsent(std::uint64_t count) {
  const std::lock_guard<std::mutex> lock(mu_);
  measured_.unsent += count;
}

RequestStats LiveStats::Measured() const {
  const std::lock_guard<std::mutex> lock(mu_);
  return measured_;
}

WindowCounts LiveStats::Windows() const {
  const std::lock_guard<std::mutex> lock(mu_);
  return windows_;
}

RequestStats LiveStats::All() const {
  const std::lock_guard<std::mutex> lock(mu_);
  RequestStats all = warmup_;
  all.Merge(measured_);
  return all;
}

void RunConnection(const ConnectionPlan& plan, RunControl& control, LiveStats& stats) {
  BenchConnection connection(plan.target, plan.token, plan.timeout_seconds);
  std::mt19937_64 rng(plan.seed);
  if (plan.spec->rate > 0) {
    RunOpenLoop(plan, control, stats, connection, rng);
  } else {
    RunClosedLoop(plan, control, stats, connection, rng);
  }
}

}  // namespace tenantkv::bench

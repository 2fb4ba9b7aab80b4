#include "tools/bench/bench_run.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <csignal>
#include <exception>
#include <memory>
#include <thread>

#include "tools/bench/bench_worker.h"
#include "tools/bench/progress.h"
#include "tools/bench/run_control.h"

namespace tenantkv::bench {
namespace {

using Clock = RunControl::Clock;

// Time for the threads to start (and connect) before the first request is due.
constexpr auto kStartDelay = std::chrono::milliseconds(100);
constexpr auto kPollInterval = std::chrono::milliseconds(50);
constexpr auto kProgressInterval = std::chrono::seconds(1);
constexpr std::uint64_t kSeedStride = 1000003;

std::atomic<bool> g_interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free, "set from a signal handler");

extern "C" void OnInterrupt(int /*signal*/) { g_interrupted.store(true); }

// Installs OnInterrupt for SIGINT and SIGTERM while alive.
class InterruptScope {
 public:
  InterruptScope() {
    g_interrupted.store(false);
    previous_int_ = std::signal(SIGINT, OnInterrupt);
    previous_term_ = std::signal(SIGTERM, OnInterrupt);
  }
  ~InterruptScope() {
    std::signal(SIGINT, previous_int_);
    std::signal(SIGTERM, previous_term_);
  }
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;

 private:
  void (*previous_int_)(int) = SIG_DFL;
  void (*previous_term_)(int) = SIG_DFL;
};

RunControl::Nanos ToNanos(double seconds) {
  return std::chrono::duration_cast<RunControl::Nanos>(std::chrono::duration<double>(seconds));
}

// Joins every thread when the run ends, also when starting one more threw
// (then it stops the run first): a joinable std::thread must not be destroyed.
class ThreadGroup {
 public:
  explicit ThreadGroup(RunControl& control) : control_(control) {}
  ~ThreadGroup() {
    if (std::uncaught_exceptions() > 0) control_.Stop(control_.Now());
    JoinAll();
  }
  ThreadGroup(const ThreadGroup&) = delete;
  ThreadGroup& operator=(const ThreadGroup&) = delete;

  template <typename F>
  void Start(F&& body) {
    threads_.emplace_back(std::forward<F>(body));
  }
  void JoinAll() {
    for (std::thread& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
  }

 private:
  RunControl& control_;
  std::vector<std::thread> threads_;
};

// The live state of one tenant: its request factory and one LiveStats per
// connection.
struct TenantRun {
  std::unique_ptr<KvRequestFactory> factory;
  std::vector<std::unique_ptr<LiveStats>> connections;
};

std::vector<TenantProgress> Snapshot(const RunPlan& plan, const std::vector<TenantRun>& runs) {
  std::vector<TenantProgress> out;
  for (std::size_t t = 0; t < runs.size(); ++t) {
    TenantProgress progress{plan.tenants[t].name, {}};
    for (const auto& live : runs[t].connections) progress.stats.Merge(live->All());
    out.push_back(std::move(progress));
  }
  return out;
}

RunReport BuildReport(const RunPlan& plan, const std::vector<TenantRun>& runs,
                      const RunControl& control) {
  RunReport report;
  report.measured_seconds = control.MeasuredSeconds();
  report.warmup_seconds = plan.warmup_seconds;
  if (control.CapReached()) {
    report.stopped_early = "max_requests";
  } else if (control.Stopped()) {
    report.stopped_early = "interrupted";
  }
  // Only whole seconds: a partial last second would read as a dip.
  const auto measured = control.WindowEnd() - control.measure_from();
  const auto whole_seconds = static_cast<std::size_t>(
      std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::seconds>(measured).count()));
  for (std::size_t t = 0; t < runs.size(); ++t) {
    const TenantSpec& spec = plan.tenants[t];
    TenantResult result{spec.name, spec.weight, spec.rate, spec.conns, spec.mix.ToString(), {}, {}};
    for (const auto& live : runs[t].connections) {
      result.stats.Merge(live->Measured());
      result.windows.Merge(live->Windows());
    }
    result.windows.Resize(whole_seconds);
    report.tenants.push_back(std::move(result));
  }
  return report;
}

}  // namespace

RunReport RunLoad(const RunPlan& plan, std::ostream& progress_out) {
  const InterruptScope interrupt_scope;
  RunControl control(Clock::now() + kStartDelay, ToNanos(plan.warmup_seconds),
                     ToNanos(plan.duration_seconds), plan.max_requests);
  std::vector<TenantRun> runs(plan.tenants.size());
  const auto max_windows = static_cast<std::size_t>(std::ceil(plan.duration_seconds));
  std::atomic<int> running{0};
  ThreadGroup threads(control);
  for (std::size_t t = 0; t < plan.tenants.size(); ++t) {
    const TenantSpec& spec = plan.tenants[t];
    runs[t].factory = std::make_unique<KvRequestFactory>(spec.keys, spec.value_bytes,
                                                         plan.seed + t, spec.scan_limit);
    for (int c = 0; c < spec.conns; ++c) {
      runs[t].connections.push_back(std::make_unique<LiveStats>(max_windows));
      const ConnectionPlan connection{plan.target, spec.token,          plan.timeout_seconds,
                                      &spec,       runs[t].factory.get(), c,
                                      (plan.seed * kSeedStride + t) * kSeedStride + c};
      LiveStats* stats = runs[t].connections.back().get();
      running.fetch_add(1);
      threads.Start([connection, stats, &control, &running] {
        RunConnection(connection, control, *stats);
        running.fetch_sub(1);
      });
    }
  }
  auto next_progress = control.start() + kProgressInterval;
  while (running.load() > 0) {
    std::this_thread::sleep_for(kPollInterval);
    if (g_interrupted.load()) control.Stop(control.Now());
    if (plan.progress && Clock::now() >= next_progress) {
      const double elapsed = std::chrono::duration<double>(control.Now()).count();
      progress_out << ProgressLine(elapsed, control.Now() < control.measure_from(),
                                   Snapshot(plan, runs))
                   << std::endl;
      next_progress += kProgressInterval;
    }
  }
  threads.JoinAll();
  return BuildReport(plan, runs, control);
}

}  // namespace tenantkv::bench

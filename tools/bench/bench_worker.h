// One connection of one tenant: a thread that sends that connection's share
// of the tenant's load and records what came back.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

#include "tools/bench/kv_requests.h"
#include "tools/bench/loopback_target.h"
#include "tools/bench/op_bytes.h"
#include "tools/bench/request_stats.h"
#include "tools/bench/run_control.h"
#include "tools/bench/tenant_spec.h"
#include "tools/bench/window_counts.h"

namespace tenantkv::bench {

// What one connection records, written by its thread and read by the
// progress reporter (and once, at the end, by the report). Thread-safe; the
// lock is this connection's own, so connections never wait on each other.
class LiveStats {
 public:
  // Keeps per-second windows for the first `max_windows` seconds of the
  // measured window.
  explicit LiveStats(std::size_t max_windows = 0) : windows_(max_windows) {}

  // One finished request. `measured`: it was due inside the measured window
  // (else warm-up); that decides where its counts and latency go.
  // `done_since_measure_start`: when it completed, from the opening of the
  // measured window; a success lands, with `bytes`, in that second's window
  // whenever it was due.
  void Record(bool measured, OpKind op, int http_status, std::int64_t latency_nanos,
              std::int64_t send_lag_nanos, std::chrono::nanoseconds done_since_measure_start,
              const OpBytes& bytes);
  // Open loop: requests due in the measured window that were never sent.
  void AddUnsent(std::uint64_t count);

  RequestStats Measured() const;
  // Warm-up and measured window together.
  RequestStats All() const;
  WindowCounts Windows() const;

 private:
  mutable std::mutex mu_;
  RequestStats warmup_;    // GUARDED_BY(mu_)
  RequestStats measured_;  // GUARDED_BY(mu_)
  WindowCounts windows_;   // GUARDED_BY(mu_)
};

struct ConnectionPlan {
  LoopbackTarget target;
  std::string token;                          // the tenant's API key
  double timeout_seconds = 10;                // per request
  const TenantSpec* spec = nullptr;           // not owned; outlives the thread
  const KvRequestFactory* factory = nullptr;  // not owned; shared read-only
  int conn_index = 0;                         // 0 .. spec->conns - 1
  std::uint64_t seed = 0;                     // for op and key choice
};

// Runs one connection until the run ends or stops.
//
// Open loop (spec->rate > 0): request n of this connection is due at the
// time LoadSchedule gives; the thread sleeps until then, or sends at once if
// it is late, and records latency from the due time to completion, so time
// spent waiting behind a slow answer counts (no coordinated omission). No
// request is skipped; those still unsent when the window closes are counted
// as unsent.
//
// Closed loop (spec->rate == 0): sends back to back; latency is from the
// actual send. After a transport error it pauses 10 ms so a dead server is
// not spun on.
void RunConnection(const ConnectionPlan& plan, RunControl& control, LiveStats& stats);

}  // namespace tenantkv::bench

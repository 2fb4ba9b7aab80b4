#include "server/http/thread_priority.h"

#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <thread>

namespace tenantkv::server::thread_priority {
namespace {

std::atomic<bool> g_enabled{false};
thread_local bool t_idle = false;     // this thread runs at SCHED_IDLE
thread_local bool t_refused = false;  // its current request was refused

bool SetPolicy(int policy) {
  sched_param p{};
  p.sched_priority = 0;
  return pthread_setschedparam(pthread_self(), policy, &p) == 0;
}

}  // namespace

bool Enable() {
  bool ok = false;
  // A throwaway thread, so the probe leaves no caller at the wrong policy.
  std::thread probe([&ok] { ok = SetPolicy(SCHED_IDLE) && SetPolicy(SCHED_OTHER); });
  probe.join();
  g_enabled = ok;
  return ok;
}

bool Enabled() { return g_enabled.load(std::memory_order_relaxed); }

void DisableForTest() { g_enabled = false; }

void RefusedByAdmission() {
  if (Enabled()) t_refused = true;
}

void Admitted() {
  t_refused = false;
  Restore();
}

void Restore() {
  if (!t_idle) return;
  if (SetPolicy(SCHED_OTHER)) t_idle = false;
}

void AfterResponse() {
  if (!t_refused) return;
  t_refused = false;
  if (!t_idle && Enabled() && SetPolicy(SCHED_IDLE)) t_idle = true;
}

bool IsIdle() { return t_idle; }

}  // namespace tenantkv::server::thread_priority

// StopSignals: SIGINT and SIGTERM taken by one waiting thread (sigwait),
// never by a signal handler, so what a stop does (stopping a server, logging)
// runs as ordinary code. Used by tenantkv-server and tenantkv-noop-server.
#pragma once

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <functional>
#include <thread>

namespace tenantkv::server {

class StopSignals {
 public:
  // Blocks SIGINT and SIGTERM in the calling thread. Threads inherit the
  // mask when they start, so construct this before any other thread starts
  // (a thread started earlier could take the signal and die of it).
  StopSignals();
  // Stop()s.
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // Starts the waiting thread: on the first SIGINT or SIGTERM it calls
  // `on_signal` with the signal's number, once, then ends. Call once.
  void Start(std::function<void(int)> on_signal);
  // Ends the waiting thread without calling `on_signal` if no signal came
  // first (the serving ended by itself), and joins it. Idempotent.
  void Stop();

 private:
  sigset_t signals_;
  std::atomic<bool> stopping_{false};
  std::thread waiter_;
};

}  // namespace tenantkv::server

#include "server/app/stop_signals.h"

#include <utility>

namespace tenantkv::server {

StopSignals::StopSignals() {
  sigemptyset(&signals_);
  sigaddset(&signals_, SIGTERM);
  sigaddset(&signals_, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
}

StopSignals::~StopSignals() { Stop(); }

void StopSignals::Start(std::function<void(int)> on_signal) {
  waiter_ = std::thread([this, on_signal = std::move(on_signal)] {
    int sig = 0;
    sigwait(&signals_, &sig);
    if (!stopping_.load()) on_signal(sig);
  });
}

void StopSignals::Stop() {
  if (!waiter_.joinable()) return;
  stopping_.store(true);
  // Wakes the waiter if no signal came. If one did, the waiter is past its
  // sigwait: this SIGTERM stays pending, blocked, until the thread ends.
  pthread_kill(waiter_.native_handle(), SIGTERM);
  waiter_.join();
}

}  // namespace tenantkv::server

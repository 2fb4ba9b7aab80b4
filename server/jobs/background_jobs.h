// BackgroundJobs: the server's periodic jobs (key-rotation policy check, ...)
// on one Boost.Asio io_context served by one thread.
//
// A job runs every `interval` (first run one interval after Start()); a run
// that overruns its interval is followed by the next one at once, never by a
// burst of catch-up runs. Jobs run one at a time, so a job needs no lock
// against itself. An exception escaping a job is logged and the job keeps
// its schedule. Stop() waits for a running job to finish.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace tenantkv::server {

class BackgroundJobs {
 public:
  BackgroundJobs() = default;
  ~BackgroundJobs();
  BackgroundJobs(const BackgroundJobs&) = delete;
  BackgroundJobs& operator=(const BackgroundJobs&) = delete;

  // Registers a job; only before Start(). `interval` must be positive.
  void Every(std::string name, std::chrono::milliseconds interval, std::function<void()> fn);
  void Start();
  // Idempotent; returns when the thread has ended.
  void Stop();

  // How many times job `name` has finished a run (0 for an unknown name).
  uint64_t Runs(const std::string& name) const;

 private:
  struct Job {
    std::string name;
    std::chrono::milliseconds interval;
    std::function<void()> fn;
    std::unique_ptr<boost::asio::steady_timer> timer;
    std::atomic<uint64_t> runs{0};
  };
  void Arm(Job* job, boost::asio::steady_timer::time_point at);

  boost::asio::io_context io_;
  std::vector<std::unique_ptr<Job>> jobs_;
  std::thread thread_;
  bool started_ = false;
};

}  // namespace tenantkv::server

#include "server/jobs/background_jobs.h"

#include <spdlog/spdlog.h>

#include <exception>
#include <stdexcept>

namespace tenantkv::server {

BackgroundJobs::~BackgroundJobs() { Stop(); }

void BackgroundJobs::Every(std::string name, std::chrono::milliseconds interval,
                           std::function<void()> fn) {
  if (started_) throw std::logic_error("BackgroundJobs::Every after Start");
  if (interval.count() <= 0) throw std::invalid_argument("job interval must be positive");
  auto job = std::make_unique<Job>();
  job->name = std::move(name);
  job->interval = interval;
  job->fn = std::move(fn);
  job->timer = std::make_unique<boost::asio::steady_timer>(io_);
  jobs_.push_back(std::move(job));
}

void BackgroundJobs::Arm(Job* job, boost::asio::steady_timer::time_point at) {
  job->timer->expires_at(at);
  job->timer->async_wait([this, job](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled: stopping
    const auto due = job->timer->expiry();
    try {
      job->fn();
    } catch (const std::exception& e) {
      spdlog::error("background job {} failed: {}", job->name, e.what());
    } catch (...) {
      spdlog::error("background job {} failed", job->name);
    }
    job->runs.fetch_add(1);
    const auto now = boost::asio::steady_timer::clock_type::now();
    auto next = due + job->interval;
    if (next < now) next = now;  // overran: run again now, no catch-up burst
    Arm(job, next);
  });
}

void BackgroundJobs::Start() {
  if (started_) return;
  started_ = true;
  const auto now = boost::asio::steady_timer::clock_type::now();
  for (auto& job : jobs_) Arm(job.get(), now + job->interval);
  thread_ = std::thread([this] { io_.run(); });
}

void BackgroundJobs::Stop() {
  if (!thread_.joinable()) return;
  io_.stop();
  thread_.join();
}

uint64_t BackgroundJobs::Runs(const std::string& name) const {
  for (const auto& job : jobs_) {
    if (job->name == name) return job->runs.load();
  }
  return 0;
}

}  // namespace tenantkv::server

#include "server/connection_pool.h"

namespace tenantkv::server {
namespace {

// The connection the current pool thread is serving, once admitted.
struct ThreadConnection {
  bool admitted = false;
  std::string addr;
  int port = 0;
};
thread_local ThreadConnection t_conn;

}  // namespace

ConnectionPool::ConnectionPool(size_t min_threads, size_t max_threads, size_t max_per_client)
    : max_threads_(max_threads), max_per_client_(max_per_client) {
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < min_threads; ++i) Spawn();
}

ConnectionPool::~ConnectionPool() { shutdown(); }

void ConnectionPool::Spawn() {
  ++idle_;
  threads_.emplace_back([this] { WorkerLoop(); });
}

void ConnectionPool::enqueue(std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  jobs_.push_back(std::move(fn));
  if (idle_ < jobs_.size() && threads_.size() < max_threads_) Spawn();
  cv_.notify_one();
}

void ConnectionPool::shutdown() {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    threads.swap(threads_);
  }
  cv_.notify_all();
  for (auto& t : threads) t.join();
}

void ConnectionPool::WorkerLoop() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping and drained
      job = std::move(jobs_.front());
      jobs_.pop_front();
      --idle_;
    }
    job();  // serves one connection until it closes
    ReleaseConnection();
    std::lock_guard<std::mutex> lock(mu_);
    ++idle_;
  }
}

bool ConnectionPool::AdmitConnection(const std::string& remote_addr, int remote_port) {
  if (t_conn.admitted && t_conn.port == remote_port && t_conn.addr == remote_addr) return true;
  ReleaseConnection();  // defensive: a thread serves one connection at a time
  std::lock_guard<std::mutex> lock(conn_mu_);
  size_t& n = per_client_[remote_addr];
  if (n >= max_per_client_) {
    if (n == 0) per_client_.erase(remote_addr);
    return false;
  }
  ++n;
  ++open_;
  t_conn = {true, remote_addr, remote_port};
  return true;
}

void ConnectionPool::ReleaseConnection() {
  if (!t_conn.admitted) return;
  std::lock_guard<std::mutex> lock(conn_mu_);
  auto it = per_client_.find(t_conn.addr);
  if (it != per_client_.end() && --it->second == 0) per_client_.erase(it);
  --open_;
  t_conn = {};
}

size_t ConnectionPool::threads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return threads_.size();
}

size_t ConnectionPool::open_connections() const {
  std::lock_guard<std::mutex> lock(conn_mu_);
  return open_;
}

}  // namespace tenantkv::server

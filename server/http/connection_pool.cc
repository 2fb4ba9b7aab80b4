#include "server/http/connection_pool.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdlib>

#include "server/http/thread_priority.h"

namespace tenantkv::server {
namespace {

// The connection the current pool thread is serving, once admitted.
struct ThreadConnection {
  bool admitted = false;
  std::string addr;
  int port = 0;
};
thread_local ThreadConnection t_conn;
thread_local bool t_close_after_response = false;

}  // namespace

ConnectionPool::ConnectionPool(size_t min_threads, size_t max_threads, size_t max_per_client)
    : max_threads_(max_threads), max_per_client_(max_per_client) {
  MutexLock lock(mu_);
  for (size_t i = 0; i < min_threads; ++i) Spawn();
}

ConnectionPool::~ConnectionPool() { shutdown(); }

void ConnectionPool::Spawn() {
  ++idle_;
  threads_.emplace_back([this] { WorkerLoop(); });
}

void ConnectionPool::enqueue(std::function<void()> fn) {
  MutexLock lock(mu_);
  jobs_.push_back(std::move(fn));
  if (idle_ < jobs_.size() && threads_.size() < max_threads_) Spawn();
  cv_.Signal();
}

void ConnectionPool::shutdown() {
  std::vector<std::thread> threads;
  {
    MutexLock lock(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    threads.swap(threads_);
  }
  cv_.SignalAll();
  for (auto& t : threads) t.join();
}

void ConnectionPool::WorkerLoop() {
  for (;;) {
    std::function<void()> job;
    {
      MutexLock lock(mu_);
      while (!stopping_ && jobs_.empty()) cv_.Wait(mu_);
      if (jobs_.empty()) return;  // stopping and drained
      job = std::move(jobs_.front());
      jobs_.pop_front();
      --idle_;
    }
    job();  // serves one connection until it closes
    thread_priority::Restore();  // before any lock, and for the next connection
    ReleaseConnection();
    MutexLock lock(mu_);
    ++idle_;
  }
}

bool ConnectionPool::AdmitConnection(const std::string& remote_addr, int remote_port) {
  if (t_conn.admitted && t_conn.port == remote_port && t_conn.addr == remote_addr) return true;
  ReleaseConnection();  // defensive: a thread serves one connection at a time
  MutexLock lock(conn_mu_);
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
  MutexLock lock(conn_mu_);
  auto it = per_client_.find(t_conn.addr);
  if (it != per_client_.end() && --it->second == 0) per_client_.erase(it);
  --open_;
  t_conn = {};
}

void ConnectionPool::MarkForClose() { t_close_after_response = true; }

void ConnectionPool::CloseIfMarked(const std::string& remote_addr, int remote_port) {
  if (!t_close_after_response) return;
  t_close_after_response = false;
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return;
  while (dirent* e = readdir(dir)) {
    const int fd = std::atoi(e->d_name);
    if (fd <= 2) continue;
    sockaddr_storage peer{};
    socklen_t len = sizeof(peer);
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0) continue;
    char ip[INET6_ADDRSTRLEN] = {0};
    int port = 0;
    if (peer.ss_family == AF_INET) {
      auto* in = reinterpret_cast<sockaddr_in*>(&peer);
      inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
      port = ntohs(in->sin_port);
    } else if (peer.ss_family == AF_INET6) {
      auto* in6 = reinterpret_cast<sockaddr_in6*>(&peer);
      inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
      port = ntohs(in6->sin6_port);
    }
    if (port == remote_port && remote_addr == ip) {
      ::shutdown(fd, SHUT_RD);
      break;
    }
  }
  closedir(dir);
}

size_t ConnectionPool::threads() const {
  MutexLock lock(mu_);
  return threads_.size();
}

size_t ConnectionPool::open_connections() const {
  MutexLock lock(conn_mu_);
  return open_;
}

}  // namespace tenantkv::server

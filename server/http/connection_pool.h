// ConnectionPool: the thread pool behind cpp-httplib, sized for connections.
//
// cpp-httplib runs each accepted connection on one pool thread for the whole
// of its keep-alive life, so a fixed pool smaller than the number of open
// connections leaves the extra connections unserved. This pool grows one
// thread per waiting connection up to `max_threads`, and tracks open
// connections per client address so that one client cannot take them all:
// a client over its cap is answered 503 and its connection closed.
#pragma once

#include <httplib.h>

#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "crypto/mutex.h"

namespace tenantkv::server {

class ConnectionPool final : public httplib::TaskQueue {
 public:
  ConnectionPool(size_t min_threads, size_t max_threads, size_t max_per_client);
  ~ConnectionPool() override;

  void enqueue(std::function<void()> fn) override;
  void shutdown() override;

  // Called from a request handler: registers the request's connection for
  // this thread on its first request. False if the client already has
  // max_per_client connections open (the caller then refuses and closes).
  bool AdmitConnection(const std::string& remote_addr, int remote_port);

  // cpp-httplib 0.11 ignores a response's "Connection: close" and keeps the
  // connection for its keep-alive life. MarkForClose() (from a handler)
  // and ClosedIfMarked() (after the response is written: the server's
  // logger hook) end the connection: its socket is found and shut for
  // reading, which ends the keep-alive loop. For refusals only: it scans
  // this process's descriptors.
  static void MarkForClose();
  static void CloseIfMarked(const std::string& remote_addr, int remote_port);

  size_t threads() const;
  size_t open_connections() const;

 private:
  void Spawn() REQUIRES(mu_);
  void WorkerLoop();
  void ReleaseConnection();

  const size_t max_threads_;
  const size_t max_per_client_;
  mutable Mutex mu_;
  CondVar cv_;
  std::deque<std::function<void()>> jobs_ GUARDED_BY(mu_);
  std::vector<std::thread> threads_ GUARDED_BY(mu_);
  size_t idle_ GUARDED_BY(mu_) = 0;
  bool stopping_ GUARDED_BY(mu_) = false;

  mutable Mutex conn_mu_;
  std::unordered_map<std::string, size_t> per_client_ GUARDED_BY(conn_mu_);
  size_t open_ GUARDED_BY(conn_mu_) = 0;
};

}  // namespace tenantkv::server

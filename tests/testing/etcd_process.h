// EtcdProcess: a real etcd (Debian's etcd-server, /usr/bin/etcd) on free
// loopback ports with a temp data dir, for the cluster tests. A missing
// etcd fails the test: CI installs it (tools/scripts/run-tests.sh), and a
// skipped cluster test would hide a broken cluster mode.
#pragma once

#include <string>

namespace tenantkv::testing {

class EtcdProcess {
 public:
  EtcdProcess();
  ~EtcdProcess();  // kills etcd by its pid if it runs; removes the data dir
  EtcdProcess(const EtcdProcess&) = delete;
  EtcdProcess& operator=(const EtcdProcess&) = delete;

  // Starts etcd (on the same ports and data dir each time) and waits, at
  // most 20 s, until /health answers true. Fails the test otherwise.
  void Start();
  // SIGTERM and wait (SIGKILL after 10 s).
  void Stop();
  // SIGKILL: as a crash.
  void Kill9();
  // Stops etcd if it runs and deletes its data: the next Start() is a
  // fresh, empty etcd on the same URL (every lease forgotten).
  void Wipe();

  bool running() const { return pid_ > 0; }
  // etcd's process id while it runs, else -1.
  int pid() const { return pid_; }
  // The temp dir of its data and log, removed by the destructor.
  const std::string& dir() const { return dir_; }
  // "http://127.0.0.1:PORT", its client URL.
  const std::string& url() const { return url_; }
  std::string ReadLog() const;

 private:
  std::string dir_;
  std::string url_;
  int client_port_ = 0;
  int peer_port_ = 0;
  int pid_ = -1;
};

// A TCP port on 127.0.0.1 free when asked (bound, read, released).
int FreeLoopbackPort();

}  // namespace tenantkv::testing

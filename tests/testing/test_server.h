// TestServer: runs the real tenantkv-server binary on port 0 in a temp dir,
// for integration tests that talk HTTP to it.
#pragma once

#include <httplib.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/testing/wait_for.h"

namespace tenantkv::testing {

class TestServer {
 public:
  // Creates a fresh data dir; `extra_args` are added to the command line
  // (with "--listen" among them, instead of the default 127.0.0.1:0).
  explicit TestServer(std::vector<std::string> extra_args = {});
  ~TestServer();  // kills the server if running, removes the data dir

  // Starts the server (on the same data dir each time) and waits until it
  // prints its port. Fails the test on error.
  void Start();
  // SIGKILL: no chance to flush or clean up.
  void Kill9();
  // Whether the server's process ended by itself (it is reaped then, and
  // Start may run again).
  bool Exited();
  // An environment variable the next Start sets for the server ("" = unset it).
  void SetEnv(const std::string& name, const std::string& value) { env_[name] = value; }
  // SIGTERM; returns the exit status (-1 if it did not exit within 30 s).
  int Terminate();

  int port() const { return port_; }
  // The server's process id while it runs, else -1.
  int pid() const { return pid_; }
  // True if the server announced https:// (started with --tls-cert).
  bool tls() const { return tls_; }
  const std::string& data_dir() const { return data_dir_; }
  const std::string& operator_token() const { return operator_token_; }
  std::unique_ptr<httplib::Client> Client() const;
  // Everything the server wrote to stderr so far (its log).
  std::string ReadLog() const;

  // Admin helpers (fail the test on an unexpected status).
  void CreateTenant(const std::string& id);
  // Placed in `tier` ("pooled", "column_family"); "" = the plan's.
  void CreateTenant(const std::string& id, const std::string& tier);
  std::string CreateKey(const std::string& tenant, const std::string& role,
                        const std::string& as_token = "");

  // Convenience request helpers; `token` empty = no Authorization header.
  httplib::Result Get(const std::string& path, const std::string& token,
                      httplib::Headers headers = {}) const;
  httplib::Result Put(const std::string& path, const std::string& body, const std::string& token,
                      httplib::Headers headers = {}) const;
  httplib::Result Post(const std::string& path, const std::string& body,
                       const std::string& token) const;
  httplib::Result Delete(const std::string& path, const std::string& token,
                         httplib::Headers headers = {}) const;

  // Sends raw bytes on a new connection and returns the first response
  // (or what came before the server closed or went quiet for 8 s).
  std::string RawExchange(const std::string& request) const;

 private:
  std::vector<std::string> extra_args_;
  std::map<std::string, std::string> env_;
  std::string dir_;
  std::string data_dir_;
  int pid_ = -1;
  int port_ = 0;
  bool tls_ = false;
  std::string operator_token_;
};

// A TCP connection to 127.0.0.1:`port`, or -1.
int ConnectLoopback(int port);
// Whether `received` holds a whole HTTP response: headers and, if it
// names one, a Content-Length body.
bool ResponseComplete(const std::string& received);

// "/v1/kv/" + percent-encoded key.
std::string KvPath(const std::string& key);

// `n` keep-alive connections from `make()` (an httplib client, plain or
// TLS), each answered 200 for /healthz, so each counts under the server's
// connection caps; fewer if one is never served within the bounded wait.
// The harness's own connections are released when the server reads their
// close, which under load can come after a new one arrives: a connection
// refused for them is tried again.
template <class Make>
auto HoldServedConnections(size_t n, Make make) -> std::vector<decltype(make())> {
  std::vector<decltype(make())> held;
  while (held.size() < n && WaitFor([&] {
           auto client = make();
           client->set_keep_alive(true);
           auto r = client->Get("/healthz");
           if (!r || r->status != 200) return false;
           held.push_back(std::move(client));
           return true;
         })) {
  }
  return held;
}

}  // namespace tenantkv::testing

// One keep-alive HTTP connection to the server under test, over cpp-httplib.
#pragma once

#include <memory>
#include <string>

#include "tools/bench/kv_requests.h"
#include "tools/bench/loopback_target.h"

namespace httplib {
class Client;
}  // namespace httplib

namespace tenantkv::bench {

struct HttpAnswer {
  int status = 0;           // HTTP status; kTransportError (0) when no response arrived
  std::string body;         // response body
  std::string retry_after;  // the Retry-After header, "" when absent
  std::string error;        // why no response arrived ("" when status != 0)
};

// Sends requests one at a time over one connection, reopened by httplib when
// the server closes it. TCP_NODELAY is on. Not thread-safe: one per thread.
class BenchConnection {
 public:
  // `token` goes into "Authorization: Bearer"; timeout_seconds (> 0) bounds
  // connecting, and each read and write.
  BenchConnection(const LoopbackTarget& target, const std::string& token, double timeout_seconds);
  ~BenchConnection();

  BenchConnection(const BenchConnection&) = delete;
  BenchConnection& operator=(const BenchConnection&) = delete;

  // Never throws for network failures: they come back as status 0.
  HttpAnswer Send(const OpRequest& request);

 private:
  std::unique_ptr<httplib::Client> client_;
  std::string authorization_;
};

}  // namespace tenantkv::bench

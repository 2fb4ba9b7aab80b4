// HttpOptions: the settings of the HTTP front (server/http/http_server.h): where
// it listens, its connection threads and per-client cap, keep-alive,
// timeouts and the body limit. tenantkv-noop-server runs the benchmark
// ceiling with these same settings. None change at run time.
#pragma once

#include <cstddef>
#include <string>

#include "crypto/status.h"

namespace CLI {
class App;
}  // namespace CLI

namespace tenantkv::server {

struct HttpOptions {
  std::string listen = "127.0.0.1:8080";  // HOST:PORT; port 0 picks a free port
  size_t max_body_bytes = 8 << 20;       // largest request body (bytes), >= max_value_bytes
  size_t threads_min = 8;                // connection threads kept warm
  size_t threads_max = 512;              // connection threads at most (one per open connection)
  size_t max_connections_per_client = 64;  // open connections per client IP
  size_t keep_alive_max_requests = 10000;  // requests per connection before it is closed
  int keep_alive_timeout_sec = 5;        // idle time before a keep-alive connection is closed
  int read_timeout_sec = 5;              // a client silent this long mid-request is dropped
  int write_timeout_sec = 5;
  int listen_backlog = 4096;             // kernel accept queue (httplib's built-in is 5)

  // InvalidArgument naming the first bad setting.
  Status Validate() const;
  // Splits `listen` into host and port (validated).
  Status ParseListen(std::string* host, int* port) const;
  // --listen, --max-body-bytes, --threads-min ... --listen-backlog, bound
  // to this struct's fields (which must outlive `app`'s parsing).
  void AddFlags(CLI::App& app);
};

}  // namespace tenantkv::server

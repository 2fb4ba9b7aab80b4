// HttpOptions: the settings of the HTTP front (server/http/http_server.h): where
// it listens, its I/O threads, connection caps, the head deadline and the
// body rate, keep-alive, and the head and body limits. tenantkv-noop-server runs the benchmark
// ceiling with these same settings. None change at run time.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "crypto/status.h"

namespace CLI {
class App;
}  // namespace CLI

namespace tenantkv::server {

struct HttpOptions {
  std::string listen = "127.0.0.1:8080";  // HOST:PORT; port 0 picks a free port
  size_t max_body_bytes = 8 << 20;       // largest request body (bytes), >= max_value_bytes; chunked too
  size_t io_threads = 0;                 // threads running the front's I/O; 0 = one per core
  // Open connections in all, and from one address: a safety net against
  // floods, sized so that the many tenants of an app behind one address are
  // never refused by it. Enforced at accept, before a byte is read.
  size_t max_connections = 65536;
  size_t max_connections_per_address = 4096;
  size_t max_head_bytes = 16 << 10;      // request line and headers together (bytes)
  int head_timeout_sec = 10;             // the whole head must arrive within this, from its first byte
  // A body must average at least this rate once read_timeout_sec have
  // passed since its head; a slower one is dropped (408).
  size_t min_body_bytes_per_sec = 4096;
  int read_timeout_sec = 5;              // grace before the body rate applies; also bounds a TLS handshake
  size_t keep_alive_max_requests = 10000;  // requests per connection before it is closed
  int keep_alive_timeout_sec = 5;        // idle time before a keep-alive connection is closed
  int write_timeout_sec = 5;             // an answer must be written within this
  int listen_backlog = 4096;             // kernel accept queue

  // Settings of the thread-per-connection front, parsed for one release
  // (see DeprecatedSettings).
  size_t threads_min = 0;
  size_t threads_max = 0;
  size_t max_connections_per_client = 0;

  // InvalidArgument naming the first bad setting.
  Status Validate() const;
  // Splits `listen` into host and port (validated).
  Status ParseListen(std::string* host, int* port) const;
  // --listen, --max-body-bytes, --io-threads ... --listen-backlog, bound
  // to this struct's fields (which must outlive `app`'s parsing).
  void AddFlags(CLI::App& app);
  // After parsing: maps the deprecated settings given (flag or config
  // file) onto their successors and returns one warning for each.
  std::vector<std::string> DeprecatedSettings(const CLI::App& app);
};

}  // namespace tenantkv::server

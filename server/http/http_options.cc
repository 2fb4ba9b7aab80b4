#include "server/http/http_options.h"

#include <CLI/CLI.hpp>

namespace tenantkv::server {

Status HttpOptions::ParseListen(std::string* host, int* port) const {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return Status::InvalidArgument("--listen must be HOST:PORT, e.g. 127.0.0.1:8080");
  }
  std::string h = listen.substr(0, colon);
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  const std::string p = listen.substr(colon + 1);
  if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(p) > 65535) {
    return Status::InvalidArgument("--listen port must be 0..65535");
  }
  *host = h;
  *port = std::stoi(p);
  return Status::Ok();
}

Status HttpOptions::Validate() const {
  std::string host;
  int port = 0;
  TKV_RETURN_IF_ERROR(ParseListen(&host, &port));
  if (threads_min == 0 || threads_max < threads_min || threads_max > 16384) {
    return Status::InvalidArgument("need 1 <= --threads-min <= --threads-max <= 16384");
  }
  if (max_connections_per_client == 0 || max_connections_per_client > threads_max) {
    return Status::InvalidArgument("need 1 <= --max-connections-per-client <= --threads-max");
  }
  if (keep_alive_max_requests == 0) return Status::InvalidArgument("--keep-alive-max-requests must be >= 1");
  if (keep_alive_timeout_sec <= 0 || read_timeout_sec <= 0 || write_timeout_sec <= 0) {
    return Status::InvalidArgument("timeouts must be >= 1 second");
  }
  if (listen_backlog < 16) return Status::InvalidArgument("--listen-backlog must be >= 16");
  return Status::Ok();
}

void HttpOptions::AddFlags(CLI::App& app) {
  app.add_option("--listen", listen, "HOST:PORT to listen on (port 0 = any free port)")
      ->capture_default_str();
  app.add_option("--max-body-bytes", max_body_bytes, "largest request body")->capture_default_str();
  app.add_option("--threads-min", threads_min, "connection threads kept warm")->capture_default_str();
  app.add_option("--threads-max", threads_max, "connection threads at most")->capture_default_str();
  app.add_option("--max-connections-per-client", max_connections_per_client,
                 "open connections per client address")->capture_default_str();
  app.add_option("--keep-alive-max-requests", keep_alive_max_requests,
                 "requests per connection")->capture_default_str();
  app.add_option("--keep-alive-timeout-sec", keep_alive_timeout_sec, "idle keep-alive timeout")
      ->capture_default_str();
  app.add_option("--read-timeout-sec", read_timeout_sec, "read timeout")->capture_default_str();
  app.add_option("--write-timeout-sec", write_timeout_sec, "write timeout")->capture_default_str();
  app.add_option("--listen-backlog", listen_backlog, "kernel accept queue length")->capture_default_str();
}

}  // namespace tenantkv::server

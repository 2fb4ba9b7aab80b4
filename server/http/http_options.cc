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
  if (io_threads > 1024) return Status::InvalidArgument("--io-threads must be 0..1024 (0 = one per core)");
  if (max_connections == 0 || max_connections > (size_t{1} << 24)) {
    return Status::InvalidArgument("--max-connections must be 1..16777216");
  }
  if (max_connections_per_address == 0 || max_connections_per_address > max_connections) {
    return Status::InvalidArgument("need 1 <= --max-connections-per-address <= --max-connections");
  }
  if (max_head_bytes < 1024 || max_head_bytes > (size_t{1} << 20)) {
    return Status::InvalidArgument("--max-head-bytes must be 1024..1048576");
  }
  if (keep_alive_max_requests == 0) return Status::InvalidArgument("--keep-alive-max-requests must be >= 1");
  if (keep_alive_timeout_sec <= 0 || read_timeout_sec <= 0 || write_timeout_sec <= 0 || head_timeout_sec <= 0) {
    return Status::InvalidArgument("timeouts must be >= 1 second");
  }
  if (listen_backlog < 16) return Status::InvalidArgument("--listen-backlog must be >= 16");
  return Status::Ok();
}

void HttpOptions::AddFlags(CLI::App& app) {
  app.add_option("--listen", listen, "HOST:PORT to listen on (port 0 = any free port)")
      ->capture_default_str();
  app.add_option("--max-body-bytes", max_body_bytes, "largest request body")->capture_default_str();
  app.add_option("--io-threads", io_threads, "threads running the HTTP front's I/O (0 = one per core)")
      ->capture_default_str();
  app.add_option("--max-connections", max_connections, "open connections in all")->capture_default_str();
  app.add_option("--max-connections-per-address", max_connections_per_address,
                 "open connections from one client address")->capture_default_str();
  app.add_option("--max-head-bytes", max_head_bytes, "largest request line and headers together")
      ->capture_default_str();
  app.add_option("--head-timeout-sec", head_timeout_sec, "a request head must arrive within this")
      ->capture_default_str();
  app.add_option("--min-body-bytes-per-sec", min_body_bytes_per_sec,
                 "slowest average body rate, after --read-timeout-sec of grace")->capture_default_str();
  app.add_option("--keep-alive-max-requests", keep_alive_max_requests,
                 "requests per connection")->capture_default_str();
  app.add_option("--keep-alive-timeout-sec", keep_alive_timeout_sec, "idle keep-alive timeout")
      ->capture_default_str();
  app.add_option("--read-timeout-sec", read_timeout_sec, "grace before the body rate applies; TLS handshake bound")
      ->capture_default_str();
  app.add_option("--write-timeout-sec", write_timeout_sec, "write timeout")->capture_default_str();
  app.add_option("--listen-backlog", listen_backlog, "kernel accept queue length")->capture_default_str();
  app.add_option("--threads-min", threads_min, "deprecated, ignored (the front has --io-threads)");
  app.add_option("--threads-max", threads_max, "deprecated, ignored (the front has --io-threads)");
  app.add_option("--max-connections-per-client", max_connections_per_client,
                 "deprecated: sets --max-connections-per-address");
}

std::vector<std::string> HttpOptions::DeprecatedSettings(const CLI::App& app) {
  std::vector<std::string> warnings;
  for (const char* gone : {"--threads-min", "--threads-max"}) {
    if (app.count(gone) > 0) {
      warnings.push_back(std::string(gone) + " is deprecated and ignored: the front runs --io-threads "
                         "threads (default one per core) whatever the number of connections");
    }
  }
  if (app.count("--max-connections-per-client") > 0) {
    if (app.count("--max-connections-per-address") == 0) {
      max_connections_per_address = max_connections_per_client;
      if (max_connections < max_connections_per_address) max_connections = max_connections_per_address;
    }
    warnings.push_back("--max-connections-per-client is deprecated: use --max-connections-per-address "
                       "(now " + std::to_string(max_connections_per_address) +
                       "); many tenants behind one address share it, so keep it far above one tenant's share");
  }
  return warnings;
}

}  // namespace tenantkv::server

// The --server URL of tenantkv-bench. Load goes only to this machine: any
// host outside the loopback range is refused before a packet is sent.
#pragma once

#include <string>
#include <string_view>

#include "crypto/status.h"
#include "crypto/loopback_host.h"

namespace tenantkv::bench {

struct LoopbackTarget {
  std::string host;  // the address to connect to: "127.x.y.z" or "::1" (no brackets)
  int port = 0;      // 1..65535

  // "http://host:port" with IPv6 in brackets, for messages.
  std::string Origin() const;
};

// Parses "http://HOST:PORT" (an optional trailing '/'). InvalidArgument,
// in one line, for another scheme, a missing or bad port, a path, user info,
// or a host that IsLoopbackHost refuses. "localhost" resolves to 127.0.0.1
// here, so no resolver configuration can send the load elsewhere.
Result<LoopbackTarget> ParseLoopbackTarget(std::string_view url);

}  // namespace tenantkv::bench

// The --server URL, checked and split before any connection is made.
#pragma once

#include <string>
#include <string_view>

#include "crypto/status.h"

namespace tenantkv::tools {

struct ServerUrl {
  std::string scheme;     // "http" or "https"
  std::string host;       // name or address; an IPv6 literal keeps its brackets
  int port = 0;           // the explicit port, else 80 or 443
  std::string base_path;  // "" or "/prefix" (no trailing '/'), put before every route

  // "scheme://host:port", the form httplib::Client takes.
  std::string Origin() const;
};

// Accepts http://HOST[:PORT][/PATH] and https://HOST[:PORT][/PATH] (scheme
// case-insensitive). Rejects, as a UsageError, any other scheme, an empty
// host, a port outside 1..65535, user info ("user@"), a query or a fragment.
Result<ServerUrl> ParseServerUrl(std::string_view url);

}  // namespace tenantkv::tools

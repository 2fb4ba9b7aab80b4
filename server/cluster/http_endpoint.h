// HttpEndpoint: an http(s) URL reduced to what a client connects to. Used
// for etcd's client URLs and a node's advertised URL, which name a server,
// not a resource: a path other than "/" is refused so that a typo such as
// "http://host:2379/v3" is caught at start instead of failing every call.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "crypto/status.h"

namespace tenantkv::server::cluster {

struct HttpEndpoint {
  std::string scheme;  // "http" or "https"
  std::string host;    // a name, an IPv4 address, or an IPv6 address without brackets
  int port = 0;        // 1..65535; the scheme's default when the URL had none
  // "scheme://host:port", IPv6 in brackets: what httplib::Client takes.
  std::string Origin() const;
};

// InvalidArgument("invalid_url") saying what is wrong: not http(s), no
// host, a bad port, a path, query, fragment or user info.
Result<HttpEndpoint> ParseHttpEndpoint(std::string_view url);

// "URL[,URL...]": at least one, at most 16, each ParseHttpEndpoint's.
Result<std::vector<HttpEndpoint>> ParseHttpEndpoints(std::string_view urls);

}  // namespace tenantkv::server::cluster

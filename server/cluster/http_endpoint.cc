#include "server/cluster/http_endpoint.h"

#include <cctype>

namespace tenantkv::server::cluster {
namespace {

constexpr size_t kMaxEndpoints = 16;

Status Bad(std::string_view url, const std::string& why) {
  return Status::InvalidArgument("'" + std::string(url.substr(0, 200)) + "' is not a usable URL: " + why,
                                 "invalid_url");
}

bool HostChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_';
}

}  // namespace

std::string HttpEndpoint::Origin() const {
  const bool v6 = host.find(':') != std::string::npos;
  return scheme + "://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<HttpEndpoint> ParseHttpEndpoint(std::string_view url) {
  HttpEndpoint e;
  std::string_view rest = url;
  if (rest.substr(0, 7) == "http://") {
    e.scheme = "http";
    rest.remove_prefix(7);
  } else if (rest.substr(0, 8) == "https://") {
    e.scheme = "https";
    rest.remove_prefix(8);
  } else {
    return Bad(url, "it must start with http:// or https://");
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find_first_of("/?#") != std::string_view::npos) return Bad(url, "it must name a server only (no path)");
  if (rest.find('@') != std::string_view::npos) return Bad(url, "user info is not allowed");
  std::string_view port_text;
  if (!rest.empty() && rest.front() == '[') {
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) return Bad(url, "unclosed '[' in the host");
    e.host = std::string(rest.substr(1, close - 1));
    for (char c : e.host) {
      if (std::isxdigit(static_cast<unsigned char>(c)) == 0 && c != ':' && c != '.') {
        return Bad(url, "bad IPv6 address");
      }
    }
    rest.remove_prefix(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return Bad(url, "junk after the host");
      port_text = rest.substr(1);
      if (port_text.empty()) return Bad(url, "empty port");
    }
  } else {
    const size_t colon = rest.find(':');
    e.host = std::string(rest.substr(0, colon));
    for (char c : e.host) {
      if (!HostChar(c)) return Bad(url, "bad character in the host");
    }
    if (colon != std::string_view::npos) {
      port_text = rest.substr(colon + 1);
      if (port_text.empty()) return Bad(url, "empty port");
    }
  }
  if (e.host.empty() || e.host.size() > 253) return Bad(url, "no host");
  if (port_text.empty()) {
    e.port = e.scheme == "https" ? 443 : 80;
  } else {
    if (port_text.size() > 5) return Bad(url, "port must be 1..65535");
    int port = 0;
    for (char c : port_text) {
      if (c < '0' || c > '9') return Bad(url, "port must be 1..65535");
      port = port * 10 + (c - '0');
    }
    if (port < 1 || port > 65535) return Bad(url, "port must be 1..65535");
    e.port = port;
  }
  return e;
}

Result<std::vector<HttpEndpoint>> ParseHttpEndpoints(std::string_view urls) {
  std::vector<HttpEndpoint> out;
  while (true) {
    const size_t comma = urls.find(',');
    TKV_ASSIGN_OR_RETURN(HttpEndpoint e, ParseHttpEndpoint(urls.substr(0, comma)));
    out.push_back(std::move(e));
    if (out.size() > kMaxEndpoints) {
      return Status::InvalidArgument("at most 16 URLs may be given", "invalid_url");
    }
    if (comma == std::string_view::npos) break;
    urls.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace tenantkv::server::cluster

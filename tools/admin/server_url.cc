#include "tools/admin/server_url.h"

#include <cctype>

#include "tools/admin/cli_errors.h"

namespace tenantkv::tools {
namespace {

constexpr int kMaxPort = 65535;

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Status BadUrl(std::string_view url, std::string_view why) {
  return UsageError("invalid --server URL '" + std::string(url) + "': " + std::string(why));
}

struct HostPort {
  std::string host;
  std::string port;  // "" when not given
};

// Splits "host[:port]" or "[v6-address][:port]".
Result<HostPort> SplitHostPort(std::string_view authority) {
  std::size_t host_end = authority.rfind(':');
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return Status::InvalidArgument("unclosed '['");
    host_end = close + 1 < authority.size() ? close + 1 : std::string_view::npos;
    if (host_end != std::string_view::npos && authority[host_end] != ':') {
      return Status::InvalidArgument("unexpected text after ']'");
    }
  }
  HostPort out{std::string(authority.substr(0, host_end)), ""};
  if (out.host.empty() || out.host == "[]") return Status::InvalidArgument("the host is empty");
  if (out.host.front() != '[' && out.host.find(':') != std::string::npos) {
    return Status::InvalidArgument("an IPv6 address must be written in brackets");
  }
  if (host_end != std::string_view::npos) out.port = std::string(authority.substr(host_end + 1));
  return out;
}

Result<int> ParsePort(const std::string& text, int default_port) {
  if (text.empty()) return default_port;
  if (text.size() > 5 || text.find_first_not_of("0123456789") != std::string::npos) {
    return Status::InvalidArgument("the port must be a number");
  }
  const int port = std::stoi(text);
  if (port < 1 || port > kMaxPort) return Status::InvalidArgument("the port must be 1..65535");
  return port;
}

// The base path goes into the request line as it is, so it must already be
// percent-encoded.
Result<std::string> ParseBasePath(std::string_view path) {
  for (char c : path) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return Status::InvalidArgument("the path must be percent-encoded");
  }
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  return std::string(path);
}

Result<std::string> ParseScheme(std::string_view url, std::size_t sep) {
  const Status bad = Status::InvalidArgument("expected http:// or https://");
  if (sep == std::string_view::npos) return bad;
  std::string scheme = Lower(url.substr(0, sep));
  if (scheme != "http" && scheme != "https") return bad;
  return scheme;
}

}  // namespace

std::string ServerUrl::Origin() const { return scheme + "://" + host + ":" + std::to_string(port); }

Result<ServerUrl> ParseServerUrl(std::string_view url) {
  const std::size_t sep = url.find("://");
  Result<std::string> scheme = ParseScheme(url, sep);
  if (!scheme.ok()) return BadUrl(url, scheme.status().message());
  ServerUrl out;
  out.scheme = *scheme;
  const std::string_view rest = url.substr(sep + 3);
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return BadUrl(url, "a query or fragment is not allowed");
  }
  const std::size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  if (authority.find('@') != std::string_view::npos) {
    return BadUrl(url, "user info is not allowed; pass the token with --token-file");
  }
  Result<HostPort> host_port = SplitHostPort(authority);
  if (!host_port.ok()) return BadUrl(url, host_port.status().message());
  out.host = host_port->host;
  Result<int> port = ParsePort(host_port->port, out.scheme == "https" ? 443 : 80);
  if (!port.ok()) return BadUrl(url, port.status().message());
  out.port = *port;
  if (slash == std::string_view::npos) return out;
  Result<std::string> base_path = ParseBasePath(rest.substr(slash));
  if (!base_path.ok()) return BadUrl(url, base_path.status().message());
  out.base_path = *base_path;
  return out;
}

}  // namespace tenantkv::tools

#include "tools/bench/loopback_target.h"

#include <charconv>

namespace tenantkv::bench {
namespace {

constexpr int kMaxPort = 65535;

using net::loopback_internal::Lower;
using net::loopback_internal::StripBrackets;

Status Refuse(std::string_view url, std::string_view why) {
  return Status::InvalidArgument("refusing --server '" + std::string(url) + "': " +
                                 std::string(why));
}

}  // namespace

std::string LoopbackTarget::Origin() const {
  const bool v6 = host.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<LoopbackTarget> ParseLoopbackTarget(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (Lower(url.substr(0, kScheme.size())) != kScheme) {
    return Refuse(url, "expected http://HOST:PORT");
  }
  std::string_view authority = url.substr(kScheme.size());
  if (!authority.empty() && authority.back() == '/') authority.remove_suffix(1);
  if (authority.find_first_of("/?#") != std::string_view::npos) {
    return Refuse(url, "a path, query or fragment is not allowed");
  }
  if (authority.find('@') != std::string_view::npos) return Refuse(url, "user info is not allowed");
  const std::size_t colon = authority.rfind(':');
  const std::size_t close = authority.rfind(']');
  if (colon == std::string_view::npos || (close != std::string_view::npos && colon < close)) {
    return Refuse(url, "the port is missing");
  }
  const std::string_view host = authority.substr(0, colon);
  const std::string_view port_text = authority.substr(colon + 1);
  int port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port < 1 || port > kMaxPort) {
    return Refuse(url, "the port must be a number 1..65535");
  }
  if (host.find(':') != std::string_view::npos && host.front() != '[') {
    return Refuse(url, "an IPv6 address must be written in brackets");
  }
  if (!net::IsLoopbackHost(host)) {
    return Refuse(url, "load is sent only to loopback (127.0.0.0/8, localhost or [::1])");
  }
  LoopbackTarget target;
  const std::string bare = Lower(StripBrackets(host));
  target.host = bare == "localhost" ? "127.0.0.1" : bare;
  target.port = port;
  return target;
}

}  // namespace tenantkv::bench

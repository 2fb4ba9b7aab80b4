// IsLoopbackHost: the project's one loopback check. tenantkv-bench sends
// load only to such a host (tools/bench/loopback_target.h) and
// tenantkv-noop-server listens only on one; a cluster node off loopback
// must talk mutual TLS to the others (server/app/cluster_options.cc,
// server/api/api.cc). Header-only and libc-only, so that the bench takes it
// without any of server/.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cctype>
#include <cstring>
#include <string>
#include <string_view>

namespace tenantkv::net {

namespace loopback_internal {

constexpr unsigned char kLoopbackFirstOctet = 127;

inline std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

inline std::string_view StripBrackets(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    return host.substr(1, host.size() - 2);
  }
  return host;
}

inline bool IsLoopbackV4(const std::string& text) {
  in_addr addr{};
  if (inet_pton(AF_INET, text.c_str(), &addr) != 1) return false;
  unsigned char bytes[4];
  std::memcpy(bytes, &addr.s_addr, sizeof bytes);
  return bytes[0] == kLoopbackFirstOctet;
}

inline bool IsLoopbackV6(const std::string& text) {
  in6_addr addr{};
  if (inet_pton(AF_INET6, text.c_str(), &addr) != 1) return false;
  if (IN6_IS_ADDR_LOOPBACK(&addr)) return true;
  return IN6_IS_ADDR_V4MAPPED(&addr) && addr.s6_addr[12] == kLoopbackFirstOctet;
}

}  // namespace loopback_internal

// True for an IPv4 literal in 127.0.0.0/8 (dotted quad), "::1" (brackets
// optional), the IPv4-mapped form of 127.0.0.0/8, and "localhost" in any
// case. Names other than localhost are refused without a DNS lookup.
inline bool IsLoopbackHost(std::string_view host) {
  using namespace loopback_internal;
  const std::string lower = Lower(StripBrackets(host));
  if (lower == "localhost") return true;
  const bool bracketed = host.size() != StripBrackets(host).size();
  if (!bracketed && IsLoopbackV4(lower)) return true;
  return IsLoopbackV6(lower);
}

}  // namespace tenantkv::net

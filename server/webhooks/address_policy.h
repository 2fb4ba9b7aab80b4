// Which addresses a webhook may be sent to: the guard against server-side
// request forgery (a tenant pointing an endpoint at the node itself, its
// metadata service or its private network).
#pragma once

#include <boost/asio/ip/address.hpp>

#include <string>

namespace tenantkv::server {

// Why `a` is not a public unicast address, or "" if it is one:
//   "unspecified" 0.0.0.0/8, ::          "loopback"  127/8, ::1
//   "link_local"  169.254/16 (the cloud metadata service), fe80::/10
//   "multicast"   224/4, ff00::/8        "broadcast" 255.255.255.255
//   "private"     10/8, 172.16/12, 192.168/16, 100.64/10 (CGNAT), fc00::/7
//   "reserved"    240/4, 192.0.0/24, 198.18/15, 2001:db8::/32 and other
//                 documentation or benchmark ranges
// An IPv6 address carrying an IPv4 one (mapped ::ffff:a.b.c.d, compatible
// ::a.b.c.d, NAT64 64:ff9b::/96) is judged by the IPv4 address.
std::string ForbiddenAddressReason(const boost::asio::ip::address& a);

}  // namespace tenantkv::server

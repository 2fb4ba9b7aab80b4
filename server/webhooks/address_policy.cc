#include "server/webhooks/address_policy.h"

#include <array>
#include <cstdint>

namespace tenantkv::server {
namespace {

bool In(uint32_t v, uint32_t net, int bits) {
  const uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
  return (v & mask) == (net & mask);
}

constexpr uint32_t Ip(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return uint32_t{a} << 24 | uint32_t{b} << 16 | uint32_t{c} << 8 | d;
}

std::string V4Reason(const boost::asio::ip::address_v4& a) {
  const uint32_t v = a.to_uint();
  if (In(v, Ip(0, 0, 0, 0), 8)) return "unspecified";
  if (In(v, Ip(127, 0, 0, 0), 8)) return "loopback";
  if (In(v, Ip(169, 254, 0, 0), 16)) return "link_local";
  if (v == Ip(255, 255, 255, 255)) return "broadcast";
  if (In(v, Ip(224, 0, 0, 0), 4)) return "multicast";
  if (In(v, Ip(10, 0, 0, 0), 8) || In(v, Ip(172, 16, 0, 0), 12) || In(v, Ip(192, 168, 0, 0), 16) ||
      In(v, Ip(100, 64, 0, 0), 10)) {
    return "private";
  }
  if (In(v, Ip(240, 0, 0, 0), 4) || In(v, Ip(192, 0, 0, 0), 24) || In(v, Ip(192, 0, 2, 0), 24) ||
      In(v, Ip(198, 18, 0, 0), 15) || In(v, Ip(198, 51, 100, 0), 24) || In(v, Ip(203, 0, 113, 0), 24)) {
    return "reserved";
  }
  return "";
}

}  // namespace

std::string ForbiddenAddressReason(const boost::asio::ip::address& a) {
  if (a.is_v4()) return V4Reason(a.to_v4());
  const boost::asio::ip::address_v6 v6 = a.to_v6();
  const std::array<unsigned char, 16> b = v6.to_bytes();
  auto embedded_v4 = [&b] { return boost::asio::ip::address_v4({b[12], b[13], b[14], b[15]}); };
  if (v6.is_v4_mapped()) return V4Reason(embedded_v4());
  bool first12_zero = true;
  for (int i = 0; i < 12; ++i) first12_zero = first12_zero && b[i] == 0;
  if (v6.is_unspecified()) return "unspecified";
  if (v6.is_loopback()) return "loopback";
  if (first12_zero) return V4Reason(embedded_v4());  // IPv4-compatible (deprecated)
  // NAT64 well-known prefix 64:ff9b::/96.
  const bool nat64 = b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b &&
                     b[4] == 0 && b[5] == 0 && b[6] == 0 && b[7] == 0 && b[8] == 0 && b[9] == 0 && b[10] == 0 &&
                     b[11] == 0;
  if (nat64) return V4Reason(embedded_v4());
  if (v6.is_link_local()) return "link_local";
  if (v6.is_multicast()) return "multicast";
  if ((b[0] & 0xfe) == 0xfc) return "private";          // fc00::/7 unique local
  if ((b[0] == 0xfe) && ((b[1] & 0xc0) == 0xc0)) return "private";  // fec0::/10 site local (deprecated)
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return "reserved";  // 2001:db8::/32
  return "";
}

}  // namespace tenantkv::server

// The forwarder's message rules (forwarder.h), apart from its I/O: which
// headers stay on one hop, which requests may be written at all, and the
// Status values a forward fails with. Internal to the forwarder.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crypto/status.h"
#include "server/cluster/forwarder.h"

namespace tenantkv::server::cluster::forward {

// The header contract names DeadlineExceeded("node_timeout"); Status has no
// such code, and Unavailable is the one status.h gives to "deadline
// passed" (as Unavailable("deadline") elsewhere): the reason tells it apart.
Status NodeTimeout(const std::string& msg);
Status NodeUnreachable(const std::string& msg);
Status BadGateway(const std::string& msg);
Status ShuttingDown();
Status QueueFull(size_t max_queue);

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Which headers of one message stay on this hop: the hop-by-hop ones
// (RFC 9110 section 7.6.1, with the legacy Keep-Alive and
// Proxy-Connection) and the framing (Content-Length, Host) go, and so do
// the ones its Connection headers name and `extra` (lower case).
// Names compare without regard to case, and without allocating.
class HopFilter {
 public:
  HopFilter(const HeaderList& headers, std::string_view extra);
  // `connection`: the values of the message's Connection headers.
  HopFilter(const std::vector<std::string_view>& connection, std::string_view extra);
  bool Forwarded(std::string_view name) const;

 private:
  void Name(std::string_view connection_value);
  std::string_view extra_;
  std::vector<std::string> named_;
};

// ASCII case-insensitive equality.
bool SameName(std::string_view a, std::string_view b);

// The request line and the header lines are written as they are: a CR, LF
// or other control byte (or a space in the method or target) would let a
// value end its line and start another. InvalidArgument if so.
Status CheckRequest(const ForwardRequest& req);

}  // namespace tenantkv::server::cluster::forward

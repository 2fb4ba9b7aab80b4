#include "server/cluster/forward_message.h"

namespace tenantkv::server::cluster::forward {
namespace {

char Lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string Lowered(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

std::string_view Trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

constexpr std::string_view kNotForwarded[] = {
    "connection", "keep-alive", "te", "trailer", "upgrade", "transfer-encoding",
    "proxy-authenticate", "proxy-authorization", "proxy-connection", "content-length", "host"};

bool Clean(std::string_view s, bool space_ok) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 && !(space_ok && c == '\t')) return false;
    if (u == 0x7f || (c == ' ' && !space_ok)) return false;
  }
  return true;
}

}  // namespace

Status NodeTimeout(const std::string& msg) {
  return Status::Unavailable(msg, "node_timeout");
}
Status NodeUnreachable(const std::string& msg) {
  return Status::Unavailable(msg, "node_unreachable");
}
Status BadGateway(const std::string& msg) {
  return Status::Internal(msg, "bad_gateway");
}
Status ShuttingDown() {
  return Status::Unavailable("the forwarder is shutting down", "shutting_down");
}
Status QueueFull(size_t max_queue) {
  return Status::Unavailable(std::to_string(max_queue) + " requests already wait to be forwarded (max_queue)",
                             "forward_queue_full");
}

bool SameName(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

HopFilter::HopFilter(const HeaderList& headers, std::string_view extra) : extra_(extra) {
  for (const auto& [name, value] : headers) {
    if (SameName(name, "connection")) Name(value);
  }
}

HopFilter::HopFilter(const std::vector<std::string_view>& connection, std::string_view extra) : extra_(extra) {
  for (std::string_view value : connection) Name(value);
}

void HopFilter::Name(std::string_view connection_value) {
  std::string_view rest = connection_value;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const std::string_view token = Trimmed(rest.substr(0, comma));
    if (!token.empty()) named_.push_back(Lowered(token));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
}

bool HopFilter::Forwarded(std::string_view name) const {
  for (std::string_view h : kNotForwarded) {
    if (SameName(name, h)) return false;
  }
  if (!extra_.empty() && SameName(name, extra_)) return false;
  for (const std::string& h : named_) {
    if (SameName(name, h)) return false;
  }
  return true;
}

Status CheckRequest(const ForwardRequest& req) {
  if (req.method.empty() || !Clean(req.method, false)) {
    return Status::InvalidArgument("a forwarded request needs a method without spaces or control bytes");
  }
  if (req.target.empty() || !Clean(req.target, false)) {
    return Status::InvalidArgument("a forwarded request needs a target without spaces or control bytes");
  }
  for (const auto& [name, value] : req.headers) {
    if (name.empty() || !Clean(name, false) || name.find(':') != std::string::npos || !Clean(value, true)) {
      return Status::InvalidArgument("a forwarded header has a malformed name or value");
    }
  }
  return Status::Ok();
}

}  // namespace tenantkv::server::cluster::forward

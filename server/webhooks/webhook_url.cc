#include "server/webhooks/webhook_url.h"

#include <netdb.h>
#include <sys/socket.h>

#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <cctype>
#include <memory>
#include <vector>

#include "engine/webhooks/webhook_store.h"
#include "server/webhooks/address_policy.h"

namespace tenantkv::server {
namespace {

Status Bad(const std::string& why) {
  return Status::InvalidArgument("the webhook URL " + why, "invalid_webhook_url");
}

bool HostChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.'; }

}  // namespace

Result<WebhookUrl> ParseWebhookUrl(std::string_view url, const WebhookUrlPolicy& policy) {
  if (url.empty() || url.size() > engine::kMaxWebhookUrlBytes) {
    return Bad("must be 1 to " + std::to_string(engine::kMaxWebhookUrlBytes) + " bytes");
  }
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      return Bad("must be printable ASCII without spaces (percent-encode the rest)");
    }
  }
  WebhookUrl out;
  const size_t colon = url.find("://");
  if (colon == std::string_view::npos) return Bad("must start with https://");
  out.scheme = std::string(url.substr(0, colon));
  std::transform(out.scheme.begin(), out.scheme.end(), out.scheme.begin(), ::tolower);
  if (out.scheme != "https" && !(out.scheme == "http" && policy.allow_http)) {
    return Bad(out.scheme == "http" ? "must use https (plain http needs --webhook-allow-http)"
                                    : "must use https");
  }
  std::string_view rest = url.substr(colon + 3);
  if (rest.find('#') != std::string_view::npos) return Bad("must not have a fragment");
  const size_t path_at = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, path_at);
  out.target = path_at == std::string_view::npos ? "/" : std::string(rest.substr(path_at));
  if (out.target[0] == '?') out.target = "/" + out.target;
  if (authority.find('@') != std::string_view::npos) return Bad("must not carry user info");
  std::string_view port_text;
  if (!authority.empty() && authority[0] == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return Bad("has an unclosed IPv6 literal");
    out.host = std::string(authority.substr(1, close - 1));
    boost::system::error_code ec;
    const auto a = boost::asio::ip::make_address_v6(out.host, ec);
    if (ec || a.scope_id() != 0) return Bad("has a bad IPv6 literal");
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return Bad("has junk after the IPv6 literal");
      port_text = after.substr(1);
      if (port_text.empty()) return Bad("has an empty port");
    }
  } else {
    const size_t c = authority.rfind(':');
    out.host = std::string(authority.substr(0, c));
    if (c != std::string_view::npos) {
      port_text = authority.substr(c + 1);
      if (port_text.empty()) return Bad("has an empty port");
    }
    if (out.host.empty() || out.host.size() > 253 || !std::all_of(out.host.begin(), out.host.end(), HostChar)) {
      return Bad("must name a host (letters, digits, '-' and '.')");
    }
    std::transform(out.host.begin(), out.host.end(), out.host.begin(), ::tolower);
  }
  if (out.host.empty()) return Bad("must name a host");
  if (port_text.empty()) {
    out.port = out.scheme == "https" ? 443 : 80;
  } else {
    if (port_text.size() > 5 || !std::all_of(port_text.begin(), port_text.end(), ::isdigit)) {
      return Bad("has a bad port");
    }
    out.port = std::stoi(std::string(port_text));
    if (out.port < 1 || out.port > 65535) return Bad("has a port outside 1..65535");
  }
  return out;
}

Result<ResolvedWebhookUrl> ResolveWebhookUrl(const WebhookUrl& url, const WebhookUrlPolicy& policy) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int rc = ::getaddrinfo(url.host.c_str(), nullptr, &hints, &found);
  if (rc != 0 || found == nullptr) {
    return Status::Unavailable("the webhook host '" + url.host + "' does not resolve: " + ::gai_strerror(rc),
                               "webhook_dns");
  }
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> owned(found, &::freeaddrinfo);
  std::vector<boost::asio::ip::address> addresses;
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    char text[NI_MAXHOST];
    if (::getnameinfo(ai->ai_addr, ai->ai_addrlen, text, sizeof(text), nullptr, 0, NI_NUMERICHOST) != 0) continue;
    std::string s(text);
    if (auto pct = s.find('%'); pct != std::string::npos) s.resize(pct);  // a v6 scope id
    boost::system::error_code ec;
    auto a = boost::asio::ip::make_address(s, ec);
    if (!ec) addresses.push_back(a);
  }
  if (addresses.empty()) {
    return Status::Unavailable("the webhook host '" + url.host + "' has no usable address", "webhook_dns");
  }
  if (!policy.allow_private_addresses) {
    for (const auto& a : addresses) {
      const std::string why = ForbiddenAddressReason(a);
      if (!why.empty()) {
        return Status::InvalidArgument("the webhook host '" + url.host + "' resolves to " + a.to_string() + " (" +
                                           why + "), which webhooks may not reach "
                                           "(--webhook-allow-private-addresses allows it)",
                                       "invalid_webhook_url");
      }
    }
  }
  return ResolvedWebhookUrl{url, addresses.front().to_string()};
}

}  // namespace tenantkv::server

// The SSRF guard's address classes (IPv4, IPv6, and IPv4 inside IPv6) and
// the strict parsing of webhook URLs.
#include "server/webhooks/webhook_url.h"

#include <gtest/gtest.h>

#include "server/webhooks/address_policy.h"

namespace tenantkv::server {
namespace {

TEST(ForbiddenAddressReason, ClassifiesV4V6AndMappedForms) {
  struct Case {
    const char* address;
    const char* reason;  // "" = public
  };
  const Case cases[] = {
      {"8.8.8.8", ""},
      {"93.184.216.34", ""},
      {"127.0.0.1", "loopback"},
      {"127.255.0.9", "loopback"},
      {"0.0.0.0", "unspecified"},
      {"169.254.169.254", "link_local"},
      {"10.1.2.3", "private"},
      {"172.16.0.1", "private"},
      {"172.31.255.255", "private"},
      {"172.32.0.1", ""},
      {"192.168.1.1", "private"},
      {"100.64.0.1", "private"},
      {"224.0.0.1", "multicast"},
      {"255.255.255.255", "broadcast"},
      {"240.0.0.1", "reserved"},
      {"198.51.100.7", "reserved"},
      {"2606:4700::1111", ""},
      {"::1", "loopback"},
      {"::", "unspecified"},
      {"fe80::1", "link_local"},
      {"ff02::1", "multicast"},
      {"fd00::1", "private"},
      {"fc00::1", "private"},
      {"2001:db8::1", "reserved"},
      {"::ffff:127.0.0.1", "loopback"},
      {"::ffff:169.254.169.254", "link_local"},
      {"::ffff:10.0.0.1", "private"},
      {"::ffff:8.8.8.8", ""},
      {"::127.0.0.1", "loopback"},
      {"64:ff9b::a9fe:a9fe", "link_local"},  // NAT64 of 169.254.169.254
      {"64:ff9b::808:808", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.address);
    EXPECT_EQ(ForbiddenAddressReason(boost::asio::ip::make_address(c.address)), c.reason);
  }
}

TEST(ParseWebhookUrl, AcceptsHttpsAndSplitsIt) {
  auto u = ParseWebhookUrl("HTTPS://Hooks.Example.com:8443/a/b?x=1", {});
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->host, "hooks.example.com");
  EXPECT_EQ(u->port, 8443);
  EXPECT_EQ(u->target, "/a/b?x=1");
  u = ParseWebhookUrl("https://[2606:4700::1111]/", {});
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "2606:4700::1111");
  EXPECT_EQ(u->port, 443);
  u = ParseWebhookUrl("https://example.com", {});
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->target, "/");
}

TEST(ParseWebhookUrl, RefusesWhatIsNotAPlainHttpsUrl) {
  const char* bad[] = {"",
                       "example.com/hook",
                       "http://example.com/",  // http without the setting
                       "ftp://example.com/",
                       "https://user:pw@example.com/",
                       "https://example.com/#frag",
                       "https://example.com:0/",
                       "https://example.com:65536/",
                       "https://example.com:/",
                       "https://exa mple.com/",
                       "https://exa_mple.com/",
                       "https://[::1/",
                       "https://[fe80::1%25eth0]/",
                       "https:///path"};
  for (const char* url : bad) {
    SCOPED_TRACE(url);
    auto u = ParseWebhookUrl(url, {});
    ASSERT_FALSE(u.ok());
    EXPECT_EQ(u.status().reason(), "invalid_webhook_url");
  }
  WebhookUrlPolicy http;
  http.allow_http = true;
  EXPECT_TRUE(ParseWebhookUrl("http://example.com/", http).ok());
  EXPECT_EQ(ParseWebhookUrl(std::string(3000, 'a'), http).status().reason(), "invalid_webhook_url");
}

TEST(ResolveWebhookUrl, RefusesLoopbackUnlessAllowed) {
  WebhookUrlPolicy policy;
  auto u = ParseWebhookUrl("https://127.0.0.1:8443/", policy);
  ASSERT_TRUE(u.ok());
  auto r = ResolveWebhookUrl(*u, policy);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), "invalid_webhook_url");
  EXPECT_NE(r.status().message().find("loopback"), std::string::npos);
  policy.allow_private_addresses = true;
  r = ResolveWebhookUrl(*u, policy);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->address, "127.0.0.1");
  // A name is resolved, and judged by what it resolves to.
  u = ParseWebhookUrl("https://localhost/", {});
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(ResolveWebhookUrl(*u, {}).status().reason(), "invalid_webhook_url");
}

}  // namespace
}  // namespace tenantkv::server

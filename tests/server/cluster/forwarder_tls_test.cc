// The forwarder's options and mutual TLS: bad options are refused at
// Create; with mutual TLS only a client whose certificate the node's CA
// signed gets through (forwarder_test_node.h is the other node).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "server/cluster/forwarder.h"
#include "forwarder_test_node.h"
#include "tests/testing/test_certs.h"

namespace tenantkv::server::cluster::forwarder_test {
namespace {

class ForwarderTlsTest : public ForwarderTest {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tenantkv-fwd-pki-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    ::tenantkv::testing::MakeTestCerts(tmpl, &certs_);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(certs_.dir, ec);
  }
  ::tenantkv::testing::TestCerts certs_;
};

TEST_F(ForwarderTlsTest, CreateRejectsBadOptions) {
  auto bad = [](auto change) {
    ForwarderOptions o;
    change(o);
    auto f = Forwarder::Create(o);
    return !f.ok() && f.status().code() == Code::kInvalidArgument;
  };
  for (size_t n : {size_t{0}, size_t{257}}) EXPECT_TRUE(bad([n](ForwarderOptions& o) { o.threads = n; }));
  for (size_t n : {size_t{0}, size_t{17}}) EXPECT_TRUE(bad([n](ForwarderOptions& o) { o.io_threads = n; }));
  for (size_t n : {size_t{0}, size_t{1000001}}) EXPECT_TRUE(bad([n](ForwarderOptions& o) { o.max_queue = n; }));
  for (int ms : {0, 60001}) EXPECT_TRUE(bad([ms](ForwarderOptions& o) { o.connect_timeout_ms = ms; }));
  for (int ms : {0, 600001}) EXPECT_TRUE(bad([ms](ForwarderOptions& o) { o.request_timeout_ms = ms; }));
  EXPECT_TRUE(bad([](ForwarderOptions& o) { o.max_response_bytes = 0; }));
  EXPECT_TRUE(bad([&](ForwarderOptions& o) { o.client_cert_file = certs_.client_cert; }));
  EXPECT_TRUE(bad([&](ForwarderOptions& o) { o.client_key_file = certs_.client_key; }));
  EXPECT_TRUE(bad([&](ForwarderOptions& o) { o.ca_file = certs_.dir + "/missing.pem"; }));
  EXPECT_TRUE(bad([&](ForwarderOptions& o) {
    o.client_cert_file = certs_.dir + "/missing.pem";
    o.client_key_file = certs_.client_key;
  }));
  EXPECT_TRUE(bad([&](ForwarderOptions& o) {  // a key that is not the certificate's
    o.client_cert_file = certs_.client_cert;
    o.client_key_file = certs_.rogue_key;
  }));
  EXPECT_TRUE(bad([&](ForwarderOptions& o) { o.ca_file = certs_.client_key; }));  // no certificate in it
  ForwarderOptions good;
  good.threads = 1;
  good.max_queue = 1;
  good.ca_file = certs_.ca_cert;
  good.client_cert_file = certs_.client_cert;
  good.client_key_file = certs_.client_key;
  EXPECT_TRUE(Forwarder::Create(good).ok());
  EXPECT_TRUE(Forwarder::Create(ForwarderOptions{}).ok());
}

TEST_F(ForwarderTlsTest, MutualTlsLetsOnlyAVerifiedClientThrough) {
  Node node(std::make_unique<httplib::SSLServer>(certs_.server_cert.c_str(), certs_.server_key.c_str(),
                                                 certs_.ca_cert.c_str()));
  ForwarderOptions o;
  o.request_timeout_ms = 5000;
  o.ca_file = certs_.ca_cert;
  o.client_cert_file = certs_.client_cert;
  o.client_key_file = certs_.client_key;
  auto verified = Make(o);
  auto r =
      verified->SendAndWait(node.endpoint("https"), Req("POST", "/v1/kv/a%2Fb", "v", {{"Authorization", "Bearer t"}}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "v");
  EXPECT_EQ(node.last().target, "/v1/kv/a%2Fb");
  EXPECT_EQ(node.arrived(), 1);

  auto refused = [&](ForwarderOptions opts) {
    auto f = Make(std::move(opts));
    auto res = f->SendAndWait(node.endpoint("https"), Req("GET", "/v1/kv/a"));
    if (res.ok()) return std::string("ok");
    return res.status().reason();
  };
  ForwarderOptions no_cert = o;  // the node wants a client certificate
  no_cert.client_cert_file.clear();
  no_cert.client_key_file.clear();
  std::string why = refused(no_cert);
  EXPECT_TRUE(why == "node_unreachable" || why == "bad_gateway") << why;
  ForwarderOptions rogue = o;  // one the node's CA never signed
  rogue.client_cert_file = certs_.rogue_cert;
  rogue.client_key_file = certs_.rogue_key;
  why = refused(rogue);
  EXPECT_TRUE(why == "node_unreachable" || why == "bad_gateway") << why;
  ForwarderOptions untrusted = o;  // the system store does not know the node's CA
  untrusted.ca_file.clear();
  EXPECT_EQ(refused(untrusted), "node_unreachable");
  EXPECT_EQ(node.arrived(), 1);
}

}  // namespace
}  // namespace tenantkv::server::cluster::forwarder_test

#include "server/http/tls_context.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <filesystem>
#include <memory>

#include "tests/testing/test_certs.h"

namespace tenantkv::server {
namespace {

using Ctx = std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>;

class TlsContextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tenantkv-pki-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    testing::MakeTestCerts(tmpl, &certs_);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(certs_.dir, ec);
  }
  static Ctx NewCtx() { return Ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free); }
  testing::TestCerts certs_;
};

TEST_F(TlsContextTest, AllowsOnlyTls12AndLater) {
  Ctx ctx = NewCtx();
  ASSERT_TRUE(ConfigureServerTls(ctx.get(), {certs_.server_cert, certs_.server_key, ""}).ok());
  EXPECT_EQ(SSL_CTX_get_min_proto_version(ctx.get()), TLS1_2_VERSION);
  EXPECT_NE(SSL_CTX_get_options(ctx.get()) & SSL_OP_NO_COMPRESSION, 0u);
  EXPECT_NE(SSL_CTX_get_options(ctx.get()) & SSL_OP_NO_RENEGOTIATION, 0u);
  EXPECT_EQ(SSL_CTX_get_verify_mode(ctx.get()), SSL_VERIFY_NONE);
  // Every TLS 1.2 suite offered has forward secrecy and an AEAD cipher.
  SSL* ssl = SSL_new(ctx.get());
  STACK_OF(SSL_CIPHER)* ciphers = SSL_get_ciphers(ssl);
  ASSERT_NE(ciphers, nullptr);
  for (int i = 0; i < sk_SSL_CIPHER_num(ciphers); ++i) {
    const SSL_CIPHER* c = sk_SSL_CIPHER_value(ciphers, i);
    SCOPED_TRACE(SSL_CIPHER_get_name(c));
    EXPECT_TRUE(SSL_CIPHER_is_aead(c));
    const int kx = SSL_CIPHER_get_kx_nid(c);
    EXPECT_TRUE(kx == NID_kx_ecdhe || kx == NID_kx_any);  // any = TLS 1.3 (always ephemeral)
  }
  SSL_free(ssl);
}

TEST_F(TlsContextTest, AsksForClientCertificatesWithoutRequiringThem) {
  Ctx ctx = NewCtx();
  ASSERT_TRUE(ConfigureServerTls(ctx.get(), {certs_.server_cert, certs_.server_key, certs_.ca_cert}).ok());
  EXPECT_EQ(SSL_CTX_get_verify_mode(ctx.get()), SSL_VERIFY_PEER);
  EXPECT_EQ(sk_X509_NAME_num(SSL_CTX_get_client_CA_list(ctx.get())), 1);
}

TEST_F(TlsContextTest, BadFilesAreConfigErrors) {
  const std::vector<std::pair<const char*, TlsFiles>> bad = {
      {"no cert", {certs_.dir + "/missing.pem", certs_.server_key, ""}},
      {"no key", {certs_.server_cert, certs_.dir + "/missing.key", ""}},
      {"key of another cert", {certs_.server_cert, certs_.client_key, ""}},
      {"key as cert", {certs_.server_key, certs_.server_key, ""}},
      {"no client CA", {certs_.server_cert, certs_.server_key, certs_.dir + "/missing-ca.pem"}},
  };
  for (const auto& [name, files] : bad) {
    SCOPED_TRACE(name);
    Ctx ctx = NewCtx();
    Status s = ConfigureServerTls(ctx.get(), files);
    EXPECT_FALSE(s.ok());
    EXPECT_EQ(s.reason(), "tls_config");
  }
}

}  // namespace
}  // namespace tenantkv::server

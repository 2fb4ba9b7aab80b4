// HTTPS and client certificates against the real server, with a PKI made
// at test time.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/testing/test_certs.h"
#include "tests/testing/test_server.h"

namespace tenantkv::testing {
namespace {

using nlohmann::json;

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // OpenSSL writes with write(2): a peer that hung up must not kill the test.
    signal(SIGPIPE, SIG_IGN);
    char tmpl[] = "/tmp/tenantkv-pki-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    MakeTestCerts(tmpl, &certs_);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(certs_.dir, ec);
  }

  std::vector<std::string> TlsArgs(bool require_client_cert) const {
    std::vector<std::string> args = {"--tls-cert", certs_.server_cert, "--tls-key", certs_.server_key,
                                     "--read-timeout-sec", "1"};
    if (require_client_cert) {
      args.insert(args.end(), {"--tls-client-ca", certs_.ca_cert, "--admin-require-client-cert"});
    }
    return args;
  }

  // A client that verifies the server against the test CA; with
  // `cert`/`key` it presents that client certificate.
  std::unique_ptr<httplib::SSLClient> Client(const TestServer& s, const std::string& cert = "",
                                             const std::string& key = "") const {
    auto c = cert.empty() ? std::make_unique<httplib::SSLClient>("127.0.0.1", s.port())
                          : std::make_unique<httplib::SSLClient>("127.0.0.1", s.port(), cert, key);
    c->set_ca_cert_path(certs_.ca_cert.c_str());
    c->enable_server_certificate_verification(true);
    c->set_connection_timeout(10);
    c->set_read_timeout(30);
    return c;
  }

  static httplib::Headers Bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

  TestCerts certs_;
};

void PinVersion(httplib::SSLClient& c, int version) {
  SSL_CTX* ctx = c.ssl_context();
  // Let the client really offer old versions; the server must refuse them.
  SSL_CTX_set_security_level(ctx, 0);
  SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0");
  SSL_CTX_set_min_proto_version(ctx, version);
  SSL_CTX_set_max_proto_version(ctx, version);
}

TEST_F(TlsTest, ServesHttpsOnlyWithTls12AndLater) {
  TestServer server(TlsArgs(false));
  server.Start();
  ASSERT_TRUE(server.tls());
  struct Case {
    const char* name;
    int version;
    bool accepted;
  };
  for (const Case& c : {Case{"TLS 1.0", TLS1_VERSION, false}, Case{"TLS 1.1", TLS1_1_VERSION, false},
                        Case{"TLS 1.2", TLS1_2_VERSION, true}, Case{"TLS 1.3", TLS1_3_VERSION, true}}) {
    SCOPED_TRACE(c.name);
    auto cli = Client(server);
    PinVersion(*cli, c.version);
    auto r = cli->Get("/healthz");
    EXPECT_EQ(static_cast<bool>(r), c.accepted);
    if (r) {
      EXPECT_EQ(r->status, 200);
    }
  }
  // Plain HTTP to the TLS port gets no HTTP answer.
  auto plain = server.Client()->Get("/healthz");
  EXPECT_FALSE(plain && plain->status == 200);
}

TEST_F(TlsTest, DataAndAdminRoutesWorkOverTls) {
  TestServer server(TlsArgs(false));
  server.Start();
  auto cli = Client(server);
  auto created = cli->Post("/admin/v1/tenants", Bearer(server.operator_token()), R"({"id":"acme"})",
                           "application/json");
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  auto key = cli->Post("/admin/v1/tenants/acme/apikeys", Bearer(server.operator_token()),
                       R"({"role":"write"})", "application/json");
  ASSERT_TRUE(key);
  ASSERT_EQ(key->status, 201);
  const std::string token = json::parse(key->body)["token"];
  auto put = cli->Put("/v1/kv/greeting", Bearer(token), "hello over tls", "application/octet-stream");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 201);
  auto get = cli->Get("/v1/kv/greeting", Bearer(token));
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 200);
  EXPECT_EQ(get->body, "hello over tls");
}

TEST_F(TlsTest, AdminRoutesNeedAVerifiedClientCertificate) {
  TestServer server(TlsArgs(true));
  server.Start();
  const httplib::Headers op = Bearer(server.operator_token());
  // No client certificate: the admin route is refused before the token is checked.
  auto bare = Client(server)->Post("/admin/v1/tenants", op, R"({"id":"acme"})", "application/json");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->status, 403);
  EXPECT_EQ(bare->get_header_value("Content-Type"), "application/problem+json");
  EXPECT_EQ(json::parse(bare->body)["code"], "client_cert_required");
  // The CA-signed client certificate opens the admin routes.
  auto admin = Client(server, certs_.client_cert, certs_.client_key);
  auto created = admin->Post("/admin/v1/tenants", op, R"({"id":"acme"})", "application/json");
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  auto key = admin->Post("/admin/v1/tenants/acme/apikeys", op, R"({"role":"admin"})", "application/json");
  ASSERT_TRUE(key);
  ASSERT_EQ(key->status, 201);
  const std::string token = json::parse(key->body)["token"];
  // A tenant admin key on a *self* admin route needs the certificate too.
  auto self = Client(server)->Get("/admin/v1/tenants/acme/apikeys", Bearer(token));
  ASSERT_TRUE(self);
  EXPECT_EQ(self->status, 403);
  // Data routes keep working with the token alone.
  auto data = Client(server);
  auto put = data->Put("/v1/kv/k", Bearer(token), "v", "application/octet-stream");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 201);
  auto get = data->Get("/v1/kv/k", Bearer(token));
  ASSERT_TRUE(get);
  EXPECT_EQ(get->body, "v");
  // A certificate the CA never signed is refused during the handshake.
  auto rogue = Client(server, certs_.rogue_cert, certs_.rogue_key)->Get("/admin/v1/tenants", op);
  EXPECT_FALSE(rogue) << "rogue certificate was answered " << rogue->status;
  auto rogue_data = Client(server, certs_.rogue_cert, certs_.rogue_key)->Get("/v1/kv/k", Bearer(token));
  EXPECT_FALSE(rogue_data);
  // The server is fine afterwards.
  auto list = admin->Get("/admin/v1/tenants", op);
  ASSERT_TRUE(list);
  EXPECT_EQ(list->status, 200);
}

// Sends `request` on a new TLS connection; returns what came back until
// the server closed (*closed = true) or went quiet for 10 s.
std::string TlsExchange(int port, const std::string& request, bool* closed) {
  *closed = false;
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx != nullptr) SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);  // EOF reads as a close
  int fd = ConnectLoopback(port);
  std::string out;
  if (ctx == nullptr || fd < 0) {
    if (fd >= 0) close(fd);
    SSL_CTX_free(ctx);
    return out;
  }
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  if (SSL_connect(ssl) == 1 && SSL_write(ssl, request.data(), static_cast<int>(request.size())) > 0) {
    char buf[4096];
    int n;
    while ((n = SSL_read(ssl, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
    const int err = SSL_get_error(ssl, n);
    // Anything but a receive timeout means the server ended the connection
    // (close_notify, EOF, a reset, or an alert: after the refusal shuts the
    // socket for reading, the server's TLS layer ends with a decode_error alert).
    const bool timed_out = err == SSL_ERROR_WANT_READ ||
                           (err == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK));
    *closed = !timed_out;
  }
  ERR_clear_error();
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  close(fd);
  return out;
}

TEST_F(TlsTest, ConnectionCapRefusesAndClosesOverTls) {
  auto args = TlsArgs(false);
  args.insert(args.end(), {"--threads-min", "2", "--max-connections-per-client", "2",
                           "--keep-alive-timeout-sec", "30"});
  TestServer server(args);
  server.Start();
  auto held = HoldServedConnections(2, [&] { return Client(server); });
  ASSERT_EQ(held.size(), 2u);
  bool closed = false;
  const std::string answer = TlsExchange(server.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", &closed);
  EXPECT_EQ(answer.substr(0, 12), "HTTP/1.1 503") << answer;
  EXPECT_NE(answer.find("too_many_connections"), std::string::npos);
  EXPECT_TRUE(closed) << "the refused TLS connection was kept open";
}

TEST_F(TlsTest, AStalledHandshakeIsDropped) {
  TestServer server(TlsArgs(false));  // read timeout 1 s
  server.Start();
  int fd = ConnectLoopback(server.port());
  ASSERT_GE(fd, 0);
  // The first bytes of a TLS record header, then silence.
  ASSERT_EQ(send(fd, "\x16\x03\x01", 3, MSG_NOSIGNAL), 3);
  // Others are served meanwhile.
  auto r = Client(server)->Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  timeval tv{20, 0};  // a generous bound, far above the 1 s timeout
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  char buf[256];
  const ssize_t n = recv(fd, buf, sizeof(buf), 0);
  EXPECT_TRUE(n == 0 || (n < 0 && errno == ECONNRESET)) << "n=" << n << " errno=" << errno;
  close(fd);
}

}  // namespace
}  // namespace tenantkv::testing

#include "tests/testing/test_server.h"

#include "tests/testing/child_process.h"

#include <algorithm>
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#ifndef TENANTKV_SERVER_BIN
#error "TENANTKV_SERVER_BIN must name the tenantkv-server binary"
#endif

namespace tenantkv::testing {

TestServer::TestServer(std::vector<std::string> extra_args) : extra_args_(std::move(extra_args)) {
  char tmpl[] = "/tmp/tenantkv-it-XXXXXX";
  char* d = mkdtemp(tmpl);
  if (d == nullptr) std::abort();
  dir_ = d;
  data_dir_ = dir_ + "/data";
}

TestServer::~TestServer() {
  if (pid_ > 0) Kill9();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void TestServer::Start() {
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  std::vector<std::string> args = {TENANTKV_SERVER_BIN, "--data-dir", data_dir_};
  // Port 0 unless the test names the address (a cluster node advertises its URL).
  if (std::find(extra_args_.begin(), extra_args_.end(), "--listen") == extra_args_.end()) {
    args.insert(args.end(), {"--listen", "127.0.0.1:0"});
  }
  // A small column-family pool keeps start-up quick (tests start hundreds
  // of servers); a test may set its own.
  if (std::find(extra_args_.begin(), extra_args_.end(), "--spare-column-families") == extra_args_.end()) {
    args.insert(args.end(), {"--spare-column-families", "4"});
  }
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  const std::string log = dir_ + "/server.log";
  const pid_t parent = getpid();
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    DieWithParent(parent);
    dup2(out[1], 1);
    FILE* err = std::fopen(log.c_str(), "a");
    if (err != nullptr) dup2(fileno(err), 2);
    close(out[0]);
    close(out[1]);
    unsetenv("TENANTKV_OPERATOR_TOKEN");
    for (const auto& [name, value] : env_) {
      if (value.empty()) {
        unsetenv(name.c_str());
      } else {
        setenv(name.c_str(), value.c_str(), 1);
      }
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out[1]);
  pid_ = pid;
  std::string text;
  char buf[256];
  port_ = 0;
  while (port_ == 0) {
    ssize_t n = read(out[0], buf, sizeof(buf));
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
    // "listening on http://127.0.0.1:PORT" or "https://..." with TLS.
    auto pos = text.find("listening on http");
    auto eol = pos == std::string::npos ? pos : text.find('\n', pos);
    const std::string host = "://127.0.0.1:";
    auto at = eol == std::string::npos ? eol : text.find(host, pos);
    if (at != std::string::npos && at < eol) {
      tls_ = text.compare(pos, std::strlen("listening on https"), "listening on https") == 0;
      port_ = std::atoi(text.c_str() + at + host.size());
    }
  }
  close(out[0]);
  if (port_ == 0) {
    std::ifstream in(log);
    std::string err((std::istreambuf_iterator<char>(in)), {});
    FAIL() << "server did not start; output: " << text << " log: " << err;
  }
  // The token file the test named, else the server's default.
  std::string token_file = data_dir_ + "/operator.token";
  auto named = std::find(extra_args_.begin(), extra_args_.end(), "--operator-token-file");
  if (named != extra_args_.end() && named + 1 != extra_args_.end()) token_file = *(named + 1);
  std::ifstream token(token_file);
  std::getline(token, operator_token_);
  ASSERT_FALSE(operator_token_.empty());
}

void TestServer::Kill9() { KillAndReap(&pid_); }

bool TestServer::Exited() {
  if (pid_ <= 0) return true;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) != pid_) return false;
  pid_ = -1;
  return true;
}

int TestServer::Terminate() { return TerminateAndReap(&pid_, std::chrono::seconds(30)); }

std::unique_ptr<httplib::Client> TestServer::Client() const {
  auto c = std::make_unique<httplib::Client>("127.0.0.1", port_);
  c->set_connection_timeout(10);
  c->set_read_timeout(30);
  c->set_tcp_nodelay(true);
  return c;
}

std::string TestServer::ReadLog() const {
  std::ifstream in(dir_ + "/server.log");
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

namespace {
httplib::Headers WithAuth(httplib::Headers h, const std::string& token) {
  if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
  return h;
}
}  // namespace

httplib::Result TestServer::Get(const std::string& path, const std::string& token,
                                httplib::Headers headers) const {
  return Client()->Get(path, WithAuth(std::move(headers), token));
}

httplib::Result TestServer::Put(const std::string& path, const std::string& body,
                                const std::string& token, httplib::Headers headers) const {
  return Client()->Put(path, WithAuth(std::move(headers), token), body, "application/octet-stream");
}

httplib::Result TestServer::Post(const std::string& path, const std::string& body,
                                 const std::string& token) const {
  return Client()->Post(path, WithAuth({}, token), body, "application/json");
}

httplib::Result TestServer::Delete(const std::string& path, const std::string& token,
                                   httplib::Headers headers) const {
  return Client()->Delete(path, WithAuth(std::move(headers), token));
}

void TestServer::CreateTenant(const std::string& id) { CreateTenant(id, ""); }

void TestServer::CreateTenant(const std::string& id, const std::string& tier) {
  nlohmann::json body = {{"id", id}};
  if (!tier.empty()) body["tier"] = tier;
  auto r = Post("/admin/v1/tenants", body.dump(), operator_token_);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  if (!tier.empty()) {
    ASSERT_EQ(nlohmann::json::parse(r->body)["tier"], tier) << r->body;
  }
}

std::string TestServer::CreateKey(const std::string& tenant, const std::string& role,
                                  const std::string& as_token) {
  auto r = Post("/admin/v1/tenants/" + tenant + "/apikeys", nlohmann::json{{"role", role}}.dump(),
                as_token.empty() ? operator_token_ : as_token);
  EXPECT_TRUE(r);
  if (!r) return "";
  EXPECT_EQ(r->status, 201) << r->body;
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  if (j.is_discarded() || !j.contains("token")) return "";
  return j["token"].get<std::string>();
}

int ConnectLoopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

std::string TestServer::RawExchange(const std::string& request) const {
  int fd = ConnectLoopback(port_);
  if (fd < 0) return "";
  timeval tv{8, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  // No half-close: the server treats a half-closed socket as gone.
  // Read one whole response (headers + Content-Length body), or until the
  // server closes or goes quiet.
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) {
    out.append(buf, static_cast<size_t>(n));
    if (ResponseComplete(out)) break;
  }
  close(fd);
  return out;
}

bool ResponseComplete(const std::string& received) {
  const size_t end = received.find("\r\n\r\n");
  if (end == std::string::npos) return false;
  const size_t cl = received.find("Content-Length: ");
  const size_t body = cl == std::string::npos || cl > end ? 0 : std::stoul(received.substr(cl + 16));
  return received.size() >= end + 4 + body;
}

std::string KvPath(const std::string& key) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "/v1/kv/";
  for (unsigned char c : key) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

}  // namespace tenantkv::testing

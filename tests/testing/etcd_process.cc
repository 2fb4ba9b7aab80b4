#include "tests/testing/etcd_process.h"

#include "tests/testing/child_process.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

namespace tenantkv::testing {
namespace {

constexpr char kEtcdBinary[] = "/usr/bin/etcd";

}  // namespace

int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

EtcdProcess::EtcdProcess() {
  char tmpl[] = "/tmp/tenantkv-etcd-XXXXXX";
  char* d = mkdtemp(tmpl);
  if (d == nullptr) std::abort();
  dir_ = d;
  client_port_ = FreeLoopbackPort();
  peer_port_ = FreeLoopbackPort();
  url_ = "http://127.0.0.1:" + std::to_string(client_port_);
}

EtcdProcess::~EtcdProcess() {
  if (pid_ > 0) Kill9();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void EtcdProcess::Start() {
  ASSERT_EQ(access(kEtcdBinary, X_OK), 0)
      << kEtcdBinary << " is missing: install Debian's etcd-server (tools/scripts/run-tests.sh does)";
  ASSERT_GT(client_port_, 0);
  ASSERT_GT(peer_port_, 0);
  ASSERT_LT(pid_, 0) << "etcd runs already";
  const std::string peer = "http://127.0.0.1:" + std::to_string(peer_port_);
  std::vector<std::string> args = {kEtcdBinary,
                                   "--name", "test",
                                   "--data-dir", dir_ + "/data",
                                   "--listen-client-urls", url_,
                                   "--advertise-client-urls", url_,
                                   "--listen-peer-urls", peer,
                                   "--initial-advertise-peer-urls", peer,
                                   "--initial-cluster", "test=" + peer,
                                   "--log-outputs", "stderr"};
  const std::string log = dir_ + "/etcd.log";
  const pid_t parent = getpid();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    DieWithParent(parent);
    FILE* out = std::fopen(log.c_str(), "a");
    if (out != nullptr) {
      dup2(fileno(out), 1);
      dup2(fileno(out), 2);
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  pid_ = pid;
  httplib::Client client(url_);
  client.set_connection_timeout(0, 200000);
  client.set_read_timeout(1);
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < until) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      FAIL() << "etcd exited at start: " << ReadLog();
    }
    auto r = client.Get("/health");
    if (r && r->status == 200 && r->body.find("\"true\"") != std::string::npos) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  Kill9();
  FAIL() << "etcd not healthy within 20 s: " << ReadLog();
}

void EtcdProcess::Stop() { TerminateAndReap(&pid_, std::chrono::seconds(10)); }

void EtcdProcess::Kill9() { KillAndReap(&pid_); }

void EtcdProcess::Wipe() {
  Stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_ + "/data", ec);
}

std::string EtcdProcess::ReadLog() const {
  std::ifstream in(dir_ + "/etcd.log");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  // The end is what explains a failure.
  return text.size() > 4000 ? text.substr(text.size() - 4000) : text;
}

}  // namespace tenantkv::testing

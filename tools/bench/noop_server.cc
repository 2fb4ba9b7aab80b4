// tenantkv-noop-server: the HTTP ceiling for benchmarks. A cpp-httplib
// server with tenantkv-server's HTTP front settings (its ConnectionPool with
// the same thread and per-client limits, TCP_NODELAY, the raised listen
// backlog, the same keep-alive, timeout and body limits) that answers every
// GET, PUT, POST and DELETE with a fixed body and does no other work. What
// it reaches on a machine is what the HTTP library, the kernel's loopback
// and the load generator cost there; tenantkv's rates are compared with it.
//
//   tenantkv-noop-server [--listen 127.0.0.1:0] [--body-bytes 100]
//
// Prints "tenantkv-noop-server listening on http://HOST:PORT" once bound;
// stops on SIGINT/SIGTERM. Loopback addresses only.
#include <httplib.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "server/connection_pool.h"
#include "server/http_server.h"
#include "server/server_options.h"

namespace {

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  tenantkv::server::ServerOptions defaults;
  std::string listen = "127.0.0.1:0";
  size_t body_bytes = 100;
  CLI::App app{"tenantkv-noop-server: a no-op HTTP server with tenantkv-server's HTTP settings"};
  app.add_option("--listen", listen, "HOST:PORT (loopback only; port 0 picks a free port)");
  app.add_option("--body-bytes", body_bytes, "size of every answer body")->check(CLI::Range(0, 1 << 20));
  app.add_option("--threads-min", defaults.threads_min, "connection threads kept warm");
  app.add_option("--threads-max", defaults.threads_max, "connection threads at most");
  app.add_option("--max-connections-per-client", defaults.max_connections_per_client,
                 "open connections per client IP");
  CLI11_PARSE(app, argc, argv);

  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    std::fprintf(stderr, "--listen must be HOST:PORT\n");
    return 2;
  }
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  int port = 0;
  try {
    port = std::stoi(listen.substr(colon + 1));
  } catch (const std::exception&) {
    port = -1;
  }
  if (port < 0 || port > 65535 || !IsLoopback(host)) {
    std::fprintf(stderr, "--listen must be a loopback HOST:PORT\n");
    return 2;
  }

  // Signals are taken by a waiting thread, which stops the server.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  httplib::Server s;
  tenantkv::server::ApplyConnectionSettings(s, defaults);
  s.new_task_queue = [&defaults]() -> httplib::TaskQueue* {
    return new tenantkv::server::ConnectionPool(defaults.threads_min, defaults.threads_max,
                                                defaults.max_connections_per_client);
  };
  const std::string body(body_bytes, 'v');
  auto handle = [&body](const httplib::Request&, httplib::Response& res) {
    res.set_content(body, "application/octet-stream");
  };
  const std::string any = R"([\s\S]*)";
  s.Get(any, handle);
  s.Put(any, handle);
  s.Post(any, handle);
  s.Delete(any, handle);

  const int bound = port == 0 ? s.bind_to_any_port(host) : (s.bind_to_port(host, port) ? port : -1);
  if (bound < 0 || !tenantkv::server::RaiseListenBacklog(s, defaults.listen_backlog)) {
    std::fprintf(stderr, "cannot listen on %s\n", listen.c_str());
    return 1;
  }
  std::thread stopper([&s, &signals] {
    int sig = 0;
    sigwait(&signals, &sig);
    s.stop();
  });
  std::printf("tenantkv-noop-server listening on http://%s:%d\n", host.c_str(), bound);
  std::fflush(stdout);
  s.listen_after_bind();
  // Wakes the stopper if listening ended without a signal.
  pthread_kill(stopper.native_handle(), SIGTERM);
  stopper.join();
  return 0;
}

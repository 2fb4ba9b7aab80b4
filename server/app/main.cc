// tenantkv-server: parse options, build the server, serve until SIGTERM/SIGINT.
#include <signal.h>
#include <unistd.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "crypto/secret_bytes.h"
#include "engine/backup/node_backup.h"
#include "server/observe/logging.h"
#include "server/app/server_app.h"
#include "server/app/stop_signals.h"

int main(int argc, char** argv) {
  using namespace tenantkv::server;
  int exit_code = 0;
  std::string message;
  auto options = ParseServerArgs(argc, argv, &exit_code, &message);
  if (!options.ok() && exit_code == 0 && !message.empty()) {  // --help
    std::fputs(message.c_str(), stdout);
    return 0;
  }
  if (!options.ok()) {
    std::fprintf(stderr, "tenantkv-server: %s\n", options.status().message().c_str());
    return 2;  // usage error, whatever CLI11's own code
  }
  if (!options->restore_from.empty()) {  // an offline step: restore, then exit
    auto restored = tenantkv::engine::RestoreNodeBackup(options->restore_from, options->data_dir,
                                                        options->restore_backup_id, options->dedicated_dir);
    if (!restored.ok()) {
      std::fprintf(stderr, "tenantkv-server: restore failed: %s\n", restored.status().ToString().c_str());
      return 1;
    }
    std::printf("restored backup %u into %s/db; put the node's master key (and operator token) "
                "there before starting the server\n",
                restored->backup_id, options->data_dir.c_str());
    return 0;
  }
  // JSON lines on stderr: the log level governs ordinary lines, access-log
  // the per-request lines.
  Loggers loggers = MakeLoggers(std::make_shared<BufferedFdSink>(STDERR_FILENO), options->log_level,
                                options->access_log);
  spdlog::set_default_logger(loggers.main);
  spdlog::register_logger(loggers.access);

  // Before any key material exists: every key of the node comes from it.
  if (auto s = tenantkv::crypto::InitSecureHeap(options->secure_heap_mb << 20); !s.ok()) {
    std::fprintf(stderr, "tenantkv-server: %s\n", s.ToString().c_str());
    return 1;
  }
  if (const auto heap = tenantkv::crypto::GetSecureHeapStats(); heap.size > 0 && !heap.locked) {
    spdlog::warn("the secure heap for key material ({} MiB) could not be locked in memory: keys may be "
                 "swapped out; raise the memlock limit (ulimit -l, LimitMEMLOCK=) or lower --secure-heap-mb",
                 options->secure_heap_mb);
  }

  StopSignals stop_signals;  // blocks them here: every thread from now on inherits the mask
  signal(SIGPIPE, SIG_IGN);
  // Its flusher thread must start after the mask, or it could take SIGTERM.
  spdlog::flush_every(std::chrono::seconds(1));

  const char* env_token = std::getenv("TENANTKV_OPERATOR_TOKEN");
  auto app = ServerApp::Open(*options, env_token != nullptr ? env_token : "", loggers.access);
  if (!app.ok()) {
    std::fprintf(stderr, "tenantkv-server: %s\n", app.status().ToString().c_str());
    return 1;
  }
  auto port = (*app)->Bind();
  if (!port.ok()) {
    std::fprintf(stderr, "tenantkv-server: %s\n", port.status().ToString().c_str());
    return 1;
  }
  std::string host;
  int ignored = 0;
  options->ParseListen(&host, &ignored).IgnoreError();  // validated already
  const bool v6 = host.find(':') != std::string::npos;
  std::printf("tenantkv listening on %s://%s%s%s:%d\n", options->tls() ? "https" : "http",
              v6 ? "[" : "", host.c_str(), v6 ? "]" : "", *port);
  std::printf("operator token %s\n", (*app)->TokenSource().c_str());
  std::fflush(stdout);

  stop_signals.Start([&](int sig) {
    spdlog::info("signal {}: shutting down", sig);
    (*app)->Stop();
  });
  tenantkv::Status s = (*app)->Run();
  stop_signals.Stop();  // if Run ended by itself
  if (!s.ok()) {
    spdlog::error("shutdown: {}", s.ToString());
    spdlog::shutdown();
    return 1;
  }
  spdlog::info("stopped cleanly");
  spdlog::shutdown();  // flushes the buffered log
  return 0;
}

#include "server/cluster/crash_point.h"

#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdlib>
#include <string>

namespace tenantkv::server::cluster {
namespace {

// The point named by the environment, "" for none; read once.
const std::string& Armed() {
  static const std::string armed = [] {
    const char* v = std::getenv("TENANTKV_CRASH_AT");
    return std::string(v == nullptr ? "" : v);
  }();
  return armed;
}

}  // namespace

void CrashPoint(std::string_view name) {
  const std::string& armed = Armed();
  if (armed.empty() || armed != name) return;
  spdlog::warn("crash point '{}' reached: killing this process (TENANTKV_CRASH_AT)", name);
  spdlog::default_logger()->flush();
  std::raise(SIGKILL);
}

}  // namespace tenantkv::server::cluster

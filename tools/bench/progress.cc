#include "tools/bench/progress.h"

#include <cstdio>

namespace tenantkv::bench {
namespace {

constexpr double kNanosPerMilli = 1e6;
constexpr double kP99 = 0.99;

}  // namespace

std::string ProgressLine(double elapsed_seconds, bool in_warmup,
                         const std::vector<TenantProgress>& tenants) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "[%4.0fs%s]", elapsed_seconds, in_warmup ? " warmup" : "");
  std::string line = buf;
  for (std::size_t i = 0; i < tenants.size(); ++i) {
    const RequestStats& s = tenants[i].stats;
    const LatencyHistogram& h = s.latency;
    char p99[32] = "-";
    if (h.Count() > 0) {
      std::snprintf(p99, sizeof p99, "%.3fms",
                    static_cast<double>(h.ValueAtQuantile(kP99)) / kNanosPerMilli);
    }
    std::snprintf(buf, sizeof buf, " sent %llu ok %llu 429 %llu 503 %llu p99 %s",
                  static_cast<unsigned long long>(s.sent),
                  static_cast<unsigned long long>(s.Count(ResponseClass::kOk)),
                  static_cast<unsigned long long>(s.Count(ResponseClass::kRateLimited)),
                  static_cast<unsigned long long>(s.Count(ResponseClass::kOverloaded)), p99);
    line += (i == 0 ? " " : " | ") + tenants[i].name + buf;
  }
  return line;
}

}  // namespace tenantkv::bench

#include "tools/bench/tenant_setup.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "tools/bench/bench_connection.h"
#include "tools/bench/kv_requests.h"
#include "tools/bench/token_file.h"

namespace tenantkv::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::uint64_t kMaxPreloadOps = 500;
constexpr std::size_t kMaxPreloadBodyBytes = 4 << 20;
constexpr std::size_t kPerOpJsonBytes = 64;  // {"op":"put","key":"k…","value_b64":""} and a comma
constexpr double kMaxRetryWaitSeconds = 5;
constexpr double kDefaultRetryWaitSeconds = 0.1;
constexpr int kCreated = 201;
constexpr int kOk = 200;
constexpr int kConflict = 409;
constexpr int kTooManyRequests = 429;
constexpr int kServiceUnavailable = 503;

// "HTTP 403 operator_only: <detail>" from a problem+json answer, or the
// transport error.
std::string DescribeAnswer(const HttpAnswer& answer) {
  if (answer.status == 0) return "no answer (" + answer.error + ")";
  std::string out = "HTTP " + std::to_string(answer.status);
  const nlohmann::json problem = nlohmann::json::parse(answer.body, nullptr, false);
  if (problem.is_object()) {
    if (problem.contains("code") && problem["code"].is_string()) {
      out += " " + problem["code"].get<std::string>();
    }
    if (problem.contains("detail") && problem["detail"].is_string()) {
      out += ": " + problem["detail"].get<std::string>();
    }
  }
  return out;
}

Status StepFailed(const TenantSpec& spec, const std::string& step, const HttpAnswer& answer) {
  return Status::Unavailable("setup of tenant '" + spec.name + "': " + step + " failed: " +
                                 DescribeAnswer(answer),
                             "setup");
}

OpRequest JsonPost(std::string path, const nlohmann::json& body) {
  return {"POST", std::move(path), body.dump(), "application/json"};
}

// Retry-After in seconds, clamped; absent or an HTTP date: a short default.
double RetryWaitSeconds(const std::string& retry_after) {
  double seconds = 0;
  const auto [end, ec] =
      std::from_chars(retry_after.data(), retry_after.data() + retry_after.size(), seconds);
  if (retry_after.empty() || ec != std::errc() || end != retry_after.data() + retry_after.size()) {
    return kDefaultRetryWaitSeconds;
  }
  return std::clamp(seconds, kDefaultRetryWaitSeconds, kMaxRetryWaitSeconds);
}

Status CreateTenant(const TenantSpec& spec, BenchConnection& admin, std::string* outcome) {
  const HttpAnswer answer = admin.Send(JsonPost("/admin/v1/tenants", {{"id", spec.name}}));
  if (answer.status == kCreated) {
    *outcome = "created";
  } else if (answer.status == kConflict) {
    *outcome = "exists";
  } else {
    return StepFailed(spec, "creating the tenant", answer);
  }
  return Status::Ok();
}

Result<std::string> CreateWriteKey(const TenantSpec& spec, BenchConnection& admin) {
  const HttpAnswer answer =
      admin.Send(JsonPost("/admin/v1/tenants/" + spec.name + "/apikeys", {{"role", "write"}}));
  if (answer.status != kCreated && answer.status != kOk) {
    return StepFailed(spec, "creating a write key", answer);
  }
  const nlohmann::json body = nlohmann::json::parse(answer.body, nullptr, false);
  if (!body.is_object() || !body.contains("token") || !body["token"].is_string()) {
    return Status::Unavailable("setup of tenant '" + spec.name +
                                   "': the key answer holds no \"token\" string",
                               "setup");
  }
  return body["token"].get<std::string>();
}

std::uint64_t InitialChunk(std::size_t value_bytes) {
  const std::size_t per_op = (value_bytes + 2) / 3 * 4 + kPerOpJsonBytes;
  return std::clamp<std::uint64_t>(kMaxPreloadBodyBytes / per_op, 1, kMaxPreloadOps);
}

Status Preload(const TenantSpec& spec, BenchConnection& data, Clock::time_point deadline) {
  const KvRequestFactory factory(spec.keys, spec.value_bytes, /*seed=*/0);
  std::uint64_t chunk = InitialChunk(spec.value_bytes);
  std::uint64_t next = 0;
  while (next < spec.keys) {
    if (Clock::now() >= deadline) {
      return Status::Unavailable("setup of tenant '" + spec.name + "': pre-load passed its deadline after " +
                                     std::to_string(next) + " of " + std::to_string(spec.keys) + " keys",
                                 "setup");
    }
    const std::uint64_t count = std::min(chunk, spec.keys - next);
    const HttpAnswer answer = data.Send(factory.MakePreload(next, count));
    if (answer.status == kOk) {
      next += count;
    } else if (answer.status == kTooManyRequests || answer.status == kServiceUnavailable) {
      if (answer.status == kTooManyRequests) chunk = std::max<std::uint64_t>(1, chunk / 2);
      std::this_thread::sleep_for(std::chrono::duration<double>(RetryWaitSeconds(answer.retry_after)));
    } else {
      return StepFailed(spec, "pre-loading keys (at k" + std::to_string(next) + ")", answer);
    }
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> SetUpTenant(const TenantSpec& spec, const SetupOptions& options,
                                std::ostream& log) {
  const Clock::time_point started = Clock::now();
  const auto deadline = started + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(options.deadline_seconds));
  BenchConnection admin(options.target, options.operator_token, options.timeout_seconds);
  std::string outcome;
  TKV_RETURN_IF_ERROR(CreateTenant(spec, admin, &outcome));
  std::string token;
  if (spec.token.empty() && spec.token_file.empty()) {
    TKV_ASSIGN_OR_RETURN(token, CreateWriteKey(spec, admin));
    outcome += ", new write key";
  } else {
    TKV_ASSIGN_OR_RETURN(token, GivenToken(spec));
  }
  BenchConnection data(options.target, token, options.timeout_seconds);
  TKV_RETURN_IF_ERROR(Preload(spec, data, deadline));
  const std::chrono::duration<double> took = Clock::now() - started;
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.2f", took.count());
  log << "setup " << spec.name << ": " << outcome << ", pre-loaded " << spec.keys << " keys of "
      << spec.value_bytes << " B in " << seconds << " s\n";
  return token;
}

}  // namespace tenantkv::bench

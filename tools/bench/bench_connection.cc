#include "tools/bench/bench_connection.h"

#include <httplib.h>

#include <cmath>

#include "tools/bench/request_stats.h"

namespace tenantkv::bench {
namespace {

constexpr char kUserAgent[] = "tenantkv-bench";
constexpr double kMicrosPerSecond = 1e6;

void SetTimeouts(httplib::Client& client, double seconds) {
  const double whole = std::floor(seconds);
  const auto sec = static_cast<time_t>(whole);
  const auto usec = static_cast<time_t>((seconds - whole) * kMicrosPerSecond);
  client.set_connection_timeout(sec, usec);
  client.set_read_timeout(sec, usec);
  client.set_write_timeout(sec, usec);
}

}  // namespace

BenchConnection::BenchConnection(const LoopbackTarget& target, const std::string& token,
                                 double timeout_seconds)
    : client_(std::make_unique<httplib::Client>(target.host, target.port)),
      authorization_("Bearer " + token) {
  client_->set_keep_alive(true);
  client_->set_tcp_nodelay(true);
  client_->set_follow_location(false);
  client_->set_url_encode(false);  // paths are built encoded
  SetTimeouts(*client_, timeout_seconds);
}

BenchConnection::~BenchConnection() = default;

HttpAnswer BenchConnection::Send(const OpRequest& request) {
  httplib::Request req;
  req.method = request.method;
  req.path = request.path;
  req.body = request.body;
  req.set_header("Authorization", authorization_);
  req.set_header("User-Agent", kUserAgent);
  if (!request.content_type.empty()) req.set_header("Content-Type", request.content_type);
  HttpAnswer answer;
  httplib::Result result = client_->send(req);
  if (!result) {
    answer.status = kTransportError;
    answer.error = httplib::to_string(result.error());
    return answer;
  }
  answer.status = result->status;
  answer.body = std::move(result->body);
  answer.retry_after = result->get_header_value("Retry-After");
  return answer;
}

}  // namespace tenantkv::bench

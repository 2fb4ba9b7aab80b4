#include "tools/admin/admin_client.h"

#include <httplib.h>

#include <cmath>
#include <ctime>
#include <sstream>
#include <utility>

#include "tools/admin/cli_errors.h"

namespace tenantkv::tools {
namespace {

constexpr char kUserAgent[] = "tenantkv-admin/" TENANTKV_ADMIN_VERSION;
constexpr double kMicrosPerSecond = 1e6;

struct SplitDuration {
  std::time_t seconds;
  std::time_t micros;
};

SplitDuration Split(double seconds) {
  const double whole = std::floor(seconds);
  return {static_cast<std::time_t>(whole),
          static_cast<std::time_t>((seconds - whole) * kMicrosPerSecond)};
}

std::string SecondsText(double seconds) {
  std::ostringstream out;
  out << seconds << " s";
  return out.str();
}

std::string DescribeTransportError(httplib::Error error, double timeout_seconds) {
  switch (error) {
    case httplib::Error::Connection: return "connection failed";
    case httplib::Error::ConnectionTimeout:
      return "connection timed out after " + SecondsText(timeout_seconds);
    case httplib::Error::Read:
      return "no answer (connection closed, or no reply within " + SecondsText(timeout_seconds) +
             ")";
    case httplib::Error::Write: return "sending the request failed";
    case httplib::Error::SSLConnection: return "TLS handshake failed";
    case httplib::Error::SSLLoadingCerts: return "cannot load the CA certificates";
    case httplib::Error::SSLServerVerification: return "server certificate verification failed";
    default: return "request failed (" + httplib::to_string(error) + ")";
  }
}

void ApplyOptions(httplib::Client& client, const ClientOptions& options) {
  const SplitDuration timeout = Split(options.timeout_seconds);
  client.set_connection_timeout(timeout.seconds, timeout.micros);
  client.set_read_timeout(timeout.seconds, timeout.micros);
  client.set_write_timeout(timeout.seconds, timeout.micros);
  client.set_url_encode(false);  // paths arrive percent-encoded already
  client.set_follow_location(false);
  if (!options.ca_cert_file.empty()) client.set_ca_cert_path(options.ca_cert_file);
}

httplib::Request BuildRequest(const HttpRequest& request, const ClientOptions& options) {
  httplib::Request out;
  out.method = request.method;
  out.path = options.server.base_path + request.path;
  out.set_header("Accept", "application/json, application/problem+json");
  out.set_header("User-Agent", kUserAgent);
  if (request.authenticated && options.token) {
    out.set_header("Authorization", "Bearer " + *options.token);
  }
  for (const auto& [name, value] : request.headers) out.set_header(name, value);
  if (!options.change_source.empty() && !out.has_header("Tenantkv-Change-Source")) {
    out.set_header("Tenantkv-Change-Source", options.change_source);
  }
  if (!options.change_reason.empty() && !out.has_header("Tenantkv-Change-Reason")) {
    out.set_header("Tenantkv-Change-Reason", options.change_reason);
  }
  if (request.body) {
    out.body = request.body->dump(-1, ' ', false, Json::error_handler_t::replace);
    out.set_header("Content-Type", "application/json");
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<AdminClient>> AdminClient::Create(ClientOptions options) {
  auto client = std::make_unique<httplib::Client>(options.server.Origin());
  if (!client->is_valid()) {
    return UsageError("cannot use server URL " + options.server.Origin());
  }
  ApplyOptions(*client, options);
  return std::unique_ptr<AdminClient>(new AdminClient(std::move(options), std::move(client)));
}

AdminClient::AdminClient(ClientOptions options, std::unique_ptr<httplib::Client> client)
    : options_(std::move(options)), client_(std::move(client)) {}

AdminClient::~AdminClient() = default;

Result<HttpResponse> AdminClient::Send(const HttpRequest& request) {
  const httplib::Result result = client_->send(BuildRequest(request, options_));
  if (!result) {
    return Status::Unavailable("cannot reach " + options_.server.Origin() + ": " +
                                   DescribeTransportError(result.error(), options_.timeout_seconds),
                               "transport");
  }
  return HttpResponse{result->status, result->get_header_value("Content-Type"), result->body};
}

}  // namespace tenantkv::tools

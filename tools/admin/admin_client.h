// The HTTP transport of tenantkv-admin, over cpp-httplib.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "crypto/status.h"
#include "tools/admin/http_transport.h"
#include "tools/admin/server_url.h"

namespace httplib {
class Client;
}  // namespace httplib

namespace tenantkv::tools {

struct ClientOptions {
  ServerUrl server;                  // where to connect; base_path prefixes every route
  std::optional<std::string> token;  // sent as "Authorization: Bearer" on authenticated requests
  double timeout_seconds = 30;       // connect, read and write timeout each; > 0
  std::string ca_cert_file;          // https: PEM CA bundle to trust; "" = the system store
  std::string change_source;         // Tenantkv-Change-Source on every request ("" = none)
  std::string change_reason;         // Tenantkv-Change-Reason on every request ("" = none)
};

// Talks to one server. Server certificates are always verified for https.
class AdminClient final : public HttpTransport {
 public:
  // Fails (UsageError) only when httplib cannot use the server URL.
  static Result<std::unique_ptr<AdminClient>> Create(ClientOptions options);
  ~AdminClient() override;

  AdminClient(const AdminClient&) = delete;
  AdminClient& operator=(const AdminClient&) = delete;

  Result<HttpResponse> Send(const HttpRequest& request) override;

 private:
  AdminClient(ClientOptions options, std::unique_ptr<httplib::Client> client);

  ClientOptions options_;
  std::unique_ptr<httplib::Client> client_;
};

}  // namespace tenantkv::tools

#include "tools/admin/invocation.h"

#include <memory>
#include <utility>

#include "tools/admin/admin_client.h"
#include "tools/admin/server_url.h"
#include "tools/admin/token_source.h"

namespace tenantkv::tools {
namespace {

Result<ClientOptions> MakeClientOptions(const Invocation& invocation, const char* env_token) {
  const GlobalOptions& globals = invocation.globals;
  Result<ServerUrl> server = ParseServerUrl(globals.server);
  if (!server.ok()) return server.status();
  ClientOptions options;
  options.server = std::move(server).value();
  options.timeout_seconds = globals.timeout_seconds;
  options.ca_cert_file = globals.ca_cert_file;
  options.change_source = globals.change_source;
  options.change_reason = globals.change_reason;
  if (invocation.command.request.authenticated) {
    Result<std::string> token = LoadToken(globals.token_file, env_token);
    if (!token.ok()) return token.status();
    options.token = std::move(token).value();
  }
  return options;
}

// A client for another node of the cluster (`cluster rebalance` reads each
// node's own tenant list there): everything as for --server but the URL.
ProgramContext::Connect ConnectLike(const ClientOptions& options) {
  return [options](const std::string& url) -> Result<std::unique_ptr<HttpTransport>> {
    Result<ServerUrl> server = ParseServerUrl(url);
    if (!server.ok()) return server.status();
    ClientOptions node = options;
    node.server = std::move(server).value();
    Result<std::unique_ptr<AdminClient>> client = AdminClient::Create(std::move(node));
    if (!client.ok()) return client.status();
    return std::unique_ptr<HttpTransport>(std::move(client).value());
  };
}

}  // namespace

Result<CommandOutput> ExecuteCommand(const Invocation& invocation, const char* env_token) {
  Result<ClientOptions> options = MakeClientOptions(invocation, env_token);
  if (!options.ok()) return options.status();
  ProgramContext::Connect connect = ConnectLike(*options);
  Result<std::unique_ptr<AdminClient>> client = AdminClient::Create(std::move(options).value());
  if (!client.ok()) return client.status();
  return RunCommandOutput(invocation.command, **client, invocation.globals.json, std::move(connect));
}

Result<std::string> Execute(const Invocation& invocation, const char* env_token) {
  Result<CommandOutput> output = ExecuteCommand(invocation, env_token);
  if (!output.ok()) return output.status();
  return std::move(output).value().text;
}

}  // namespace tenantkv::tools

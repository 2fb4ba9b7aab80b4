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

}  // namespace

Result<CommandOutput> ExecuteCommand(const Invocation& invocation, const char* env_token) {
  Result<ClientOptions> options = MakeClientOptions(invocation, env_token);
  if (!options.ok()) return options.status();
  Result<std::unique_ptr<AdminClient>> client = AdminClient::Create(std::move(options).value());
  if (!client.ok()) return client.status();
  return RunCommandOutput(invocation.command, **client, invocation.globals.json);
}

Result<std::string> Execute(const Invocation& invocation, const char* env_token) {
  Result<CommandOutput> output = ExecuteCommand(invocation, env_token);
  if (!output.ok()) return output.status();
  return std::move(output).value().text;
}

}  // namespace tenantkv::tools

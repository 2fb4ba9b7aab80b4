#include "tools/admin/apikey_commands.h"

#include "tools/admin/admin_routes.h"
#include "tools/admin/apikey_view.h"
#include "tools/admin/command_args.h"
#include "tools/admin/paged_list.h"
#include "tools/admin/terminal_text.h"

namespace tenantkv::tools {
namespace {

void AddCreate(CLI::App& apikeys, CommandSlot& slot) {
  CLI::App* cmd = apikeys.add_subcommand("create", "Create an API key; its token is shown once");
  CLI::Option* tenant = AddRequiredArg(*cmd, "tenant", "Tenant id");
  CLI::Option* role = cmd->add_option("--role", "read, write (read + write) or admin")
                          ->required()
                          ->check(CLI::IsMember(kApiKeyRoles));
  CLI::Option* name = cmd->add_option("--name", "A name shown in lists (1 to 128 bytes of UTF-8)");
  CLI::Option* expires_at = cmd->add_option(
      "--expires-at", "When the key stops working, RFC 3339 (2030-01-31T12:00:00Z); default: never");
  cmd->callback([&slot, tenant, role, name, expires_at] {
    ApiKeyCreateOptions o;
    o.name = OptionalValue(name);
    o.expires_at = OptionalValue(expires_at);
    slot.emplace(ApiKeysCreate(tenant->as<std::string>(), role->as<std::string>(), o));
  });
}

void AddList(CLI::App& apikeys, CommandSlot& slot) {
  CLI::App* cmd = apikeys.add_subcommand("list", "List a tenant's API keys (no secrets)");
  CLI::Option* tenant = AddRequiredArg(*cmd, "tenant", "Tenant id");
  cmd->callback([&slot, tenant] { slot.emplace(ApiKeysList(tenant->as<std::string>())); });
}

void AddRevoke(CLI::App& apikeys, CommandSlot& slot) {
  CLI::App* cmd = apikeys.add_subcommand("revoke", "Revoke an API key; its token stops working");
  CLI::Option* tenant = AddRequiredArg(*cmd, "tenant", "Tenant id");
  CLI::Option* key_id = AddRequiredArg(*cmd, "key_id", "Key id, as shown by apikeys list");
  cmd->callback([&slot, tenant, key_id] {
    slot.emplace(ApiKeysRevoke(tenant->as<std::string>(), key_id->as<std::string>()));
  });
}

}  // namespace

AdminCommand ApiKeysCreate(const std::string& tenant, const std::string& role,
                           const ApiKeyCreateOptions& options) {
  Json body{{"role", role}};
  // Both judged by the server (400 invalid_name, invalid_expires_at).
  if (options.name) body["name"] = *options.name;
  if (options.expires_at) body["expires_at"] = *options.expires_at;
  return {{"POST", ApiKeysPath(tenant), std::move(body)}, RenderApiKeyCreated};
}

AdminCommand ApiKeysList(const std::string& tenant) {
  AdminCommand c{{"GET", ApiKeysPath(tenant), std::nullopt}, RenderApiKeyList};
  c.follow_up = FollowPages(ApiKeysPath(tenant), "keys");
  return c;
}

AdminCommand ApiKeysRevoke(const std::string& tenant, const std::string& key_id) {
  const Renderer render = [tenant, key_id](const Json&) {
    return "revoked key '" + OneLine(key_id) + "' of tenant '" + OneLine(tenant) + "'\n";
  };
  return {{"DELETE", ApiKeyPath(tenant, key_id), std::nullopt}, render};
}

void AddApiKeyCommands(CLI::App& app, CommandSlot& slot) {
  CLI::App* apikeys = app.add_subcommand("apikeys", "Manage a tenant's API keys");
  apikeys->require_subcommand(1);
  AddCreate(*apikeys, slot);
  AddList(*apikeys, slot);
  AddRevoke(*apikeys, slot);
}

}  // namespace tenantkv::tools

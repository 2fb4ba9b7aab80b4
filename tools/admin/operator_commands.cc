#include "tools/admin/operator_commands.h"

#include "tools/admin/command_args.h"
#include "tools/admin/json_table.h"
#include "tools/admin/percent_encoding.h"
#include "tools/admin/terminal_text.h"

namespace tenantkv::tools {
namespace {

constexpr char kOperatorKeysPath[] = "/admin/v1/operator-keys";

std::string RenderCreated(const Json& key) {
  std::string out = FieldTable(key, {"key_id", "name", "created_at", "token"}).Render();
  if (FindPath(key, "token") != nullptr) {
    AppendSection(out, "", "The token is shown only this once: store it now.\n");
  }
  return out;
}

std::string RenderList(const Json& body) {
  const Json* keys = FindPath(body, "keys");
  const Json rows = keys != nullptr ? *keys : Json::array();
  return RowsTable(rows, ColumnsWithExtras(rows, {{"KEY_ID", "key_id"},
                                                  {"NAME", "name"},
                                                  {"STATE", "state"},
                                                  {"CREATED_AT", "created_at"}}))
      .Render();
}

}  // namespace

AdminCommand OperatorsCreate(const std::string& name) {
  return {{"POST", kOperatorKeysPath, Json{{"name", name}}}, RenderCreated};
}

AdminCommand OperatorsList() { return {{"GET", kOperatorKeysPath, std::nullopt}, RenderList}; }

AdminCommand OperatorsRevoke(const std::string& key_id) {
  const Renderer render = [key_id](const Json&) { return "revoked operator key '" + OneLine(key_id) + "'\n"; };
  return {{"DELETE", std::string(kOperatorKeysPath) + "/" + EncodePathSegment(key_id), std::nullopt}, render};
}

void AddOperatorCommands(CLI::App& app, CommandSlot& slot) {
  CLI::App* ops = app.add_subcommand("operators", "Manage named operator keys (the audit names who acted)");
  ops->require_subcommand(1);
  CLI::App* create = ops->add_subcommand("create", "Create an operator key for a name; its token is shown once");
  CLI::Option* name = AddRequiredArg(*create, "name", "Who holds it (1 to 128 bytes of UTF-8, unique)");
  create->callback([&slot, name] { slot.emplace(OperatorsCreate(name->as<std::string>())); });
  CLI::App* list = ops->add_subcommand("list", "List the operator keys (no secrets)");
  list->callback([&slot] { slot.emplace(OperatorsList()); });
  CLI::App* revoke = ops->add_subcommand("revoke", "Revoke an operator key; its token stops working at once");
  CLI::Option* key_id = AddRequiredArg(*revoke, "key_id", "Key id, as shown by operators list");
  revoke->callback([&slot, key_id] { slot.emplace(OperatorsRevoke(key_id->as<std::string>())); });
}

}  // namespace tenantkv::tools

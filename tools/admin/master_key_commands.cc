#include "tools/admin/master_key_commands.h"

#include "tools/admin/terminal_text.h"
#include "tools/admin/text_table.h"

namespace tenantkv::tools {
namespace {

constexpr char kMasterKeyPath[] = "/admin/v1/master-key";

std::string Text(const Json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return "-";
  return OneLine(j[key].is_string() ? j[key].get<std::string>() : j[key].dump());
}

std::string Versions(const Json& list) {
  std::string out;
  for (const auto& v : list) out += (out.empty() ? "v" : ", v") + v.dump();
  return out.empty() ? "none" : out;
}

std::string RenderRotation(const Json& body) {
  std::string out = "master key rotated: v" + Text(body, "from") + " -> v" + Text(body, "to") + ", " +
                    Text(body, "keys_rewrapped") + " keys of " + Text(body, "tenants_rewrapped") +
                    " tenants rewrapped in " + Text(body, "duration_ms") + " ms; retired " +
                    Versions(body.value("retired", Json::array()));
  if (body.value("resumed", false)) out += " (finished an interrupted rotation)";
  return out + "\n";
}

std::string RenderStatus(const Json& body) {
  std::string out = "provider: " + Text(body, "provider") + "\ncurrent:  v" + Text(body, "current") + "\n";
  TextTable table({"VERSION", "STATE", "WRAPPED KEYS"});
  for (const auto& v : body.value("versions", Json::array())) {
    table.AddRow({Text(v, "version"), Text(v, "state"), Text(v, "wrapped_keys")});
  }
  out += table.Render();
  const Json last = body.value("last_rotation", Json());
  if (last.is_object()) {
    out += "last rotation: v" + Text(last, "from") + " -> v" + Text(last, "to") + ", " + Text(last, "state") +
           ", started " + Text(last, "started_at") + ", finished " + Text(last, "finished_at") + "\n";
  } else {
    out += "last rotation: never\n";
  }
  if (body.value("rotation_running", false)) out += "a rotation is running now\n";
  return out;
}

}  // namespace

AdminCommand MasterKeyRotate() {
  return {{"POST", std::string(kMasterKeyPath) + "/rotate", std::nullopt}, RenderRotation};
}

AdminCommand MasterKeyStatus() { return {{"GET", kMasterKeyPath, std::nullopt}, RenderStatus}; }

void AddMasterKeyCommands(CLI::App& app, CommandSlot& slot) {
  CLI::App* group = app.add_subcommand("master-key", "Rotate the master key or show its versions");
  group->require_subcommand(1);
  group->add_subcommand("rotate", "Rewrap every data key under a new master key version, online, "
                                  "then destroy the old version (take a new node backup afterwards)")
      ->callback([&slot] { slot.emplace(MasterKeyRotate()); });
  group->add_subcommand("status", "Master key versions, wrapped-key counts and the last rotation")
      ->callback([&slot] { slot.emplace(MasterKeyStatus()); });
}

}  // namespace tenantkv::tools

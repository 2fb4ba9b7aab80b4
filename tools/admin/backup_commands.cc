#include "tools/admin/backup_commands.h"

#include <fstream>
#include <sstream>

#include "tools/admin/admin_routes.h"
#include "tools/admin/cli_errors.h"
#include "tools/admin/command_args.h"

namespace tenantkv::tools {
namespace {

std::string Num(const Json& j, const char* key) {
  return j.contains(key) && j[key].is_number() ? j[key].dump() : "?";
}

std::string Str(const Json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "?";
}

std::string RenderExport(const Json& b) {
  std::string out = "exported " + Str(b, "tenant") + " to " + Str(b, "dir") + " (export " +
                    Str(b, "export_id") + "): ";
  const Json e = b.value("entries", Json::object());
  out += Num(e, "keys") + " keys, " + Num(e, "logical_bytes") + " logical bytes, " + Num(b, "files") +
         " files, " + Num(b, "bytes") + " bytes on disk";
  if (b.value("verified", false)) out += "; verified";
  return out + "\n";
}

std::string RenderImport(const Json& b) {
  const Json e = b.value("entries", Json::object());
  const std::string counts = Num(e, "keys") + " keys, " + Num(e, "logical_bytes") + " logical bytes";
  if (b.value("dry_run", false)) {
    return "export " + Str(b, "export_id") + " of " + Str(b, "source_tenant") +
           " is complete and opens: " + counts + "\n";
  }
  return "imported " + Str(b, "source_tenant") + " as " + Str(b, "tenant") + " (plan " + Str(b, "plan") +
         "): " + counts + "\n";
}

std::string RenderHandover(const Json& b) {
  return b.contains("handover") ? b["handover"].dump() + "\n" : "{}\n";
}

std::string RenderBackup(const Json& b) {
  return "backup " + Num(b, "backup_id") + " in " + Str(b, "dir") + ": " + Num(b, "files") + " files, " +
         Num(b, "bytes") + " bytes (master.key and operator.token are not in it)\n";
}

void AddHandoverBody(Json& body, const std::optional<Json>& handover, const std::string& passphrase) {
  if (!handover) return;
  body["handover"] = *handover;
  body["passphrase"] = passphrase;
}

// --handover FILE and --passphrase-file FILE, both or neither.
struct HandoverArgs {
  CLI::Option* handover = nullptr;
  CLI::Option* passphrase = nullptr;
  void Add(CLI::App& cmd) {
    handover = cmd.add_option("--handover", "Handover file from the source node (`handover` command)");
    passphrase = cmd.add_option("--passphrase-file", "File holding the handover's passphrase");
  }
  Status Read(std::optional<Json>* h, std::string* pass) const {
    if ((handover->count() > 0) != (passphrase->count() > 0)) {
      return UsageError("--handover and --passphrase-file go together");
    }
    if (handover->count() == 0) return Status::Ok();
    auto json = ReadHandoverFile(handover->as<std::string>());
    if (!json.ok()) return json.status();
    auto p = ReadPassphraseFile(passphrase->as<std::string>());
    if (!p.ok()) return p.status();
    *h = std::move(json).value();
    *pass = std::move(p).value();
    return Status::Ok();
  }
};

void AddExport(CLI::App& app, CommandSlot& slot) {
  CLI::App* cmd = app.add_subcommand(
      "export", "Export a tenant (still encrypted) to a directory on the server host, or --verify one");
  CLI::Option* arg = AddRequiredArg(*cmd, "target", "Tenant id (with --out), or an export directory (with --verify alone)");
  CLI::Option* out = cmd->add_option("--out", "Directory on the server host to write; absent or empty");
  CLI::Option* verify = cmd->add_flag("--verify", "Check the export: files, checksums, keys, every value");
  auto handover = std::make_shared<HandoverArgs>();
  handover->Add(*cmd);
  cmd->callback([&slot, arg, out, verify, handover] {
    if (out->count() > 0) {
      if (handover->handover->count() > 0) {
        slot.emplace(UsageError("--handover is for verifying an export from another node"));
        return;
      }
      slot.emplace(ExportTenant(arg->as<std::string>(), out->as<std::string>(), verify->count() > 0));
      return;
    }
    if (verify->count() == 0) {
      slot.emplace(UsageError("give --out DIR to export, or --verify to check an export directory"));
      return;
    }
    std::optional<Json> h;
    std::string pass;
    Status s = handover->Read(&h, &pass);
    if (!s.ok()) {
      slot.emplace(s);
      return;
    }
    slot.emplace(VerifyExport(arg->as<std::string>(), h, pass));
  });
}

void AddImport(CLI::App& app, CommandSlot& slot) {
  CLI::App* cmd = app.add_subcommand("import", "Create a tenant from an export directory on the server host");
  CLI::Option* dir = AddRequiredArg(*cmd, "dir", "Export directory on the server host");
  CLI::Option* as = cmd->add_option("--as", "New tenant id (default: the exported one)");
  CLI::Option* plan = cmd->add_option("--plan", "Plan (default: the exported one)");
  auto handover = std::make_shared<HandoverArgs>();
  handover->Add(*cmd);
  cmd->callback([&slot, dir, as, plan, handover] {
    std::optional<Json> h;
    std::string pass;
    Status s = handover->Read(&h, &pass);
    if (!s.ok()) {
      slot.emplace(s);
      return;
    }
    slot.emplace(ImportTenant(dir->as<std::string>(), OptionalValue(as), OptionalValue(plan), h, pass));
  });
}

void AddHandover(CLI::App& app, CommandSlot& slot) {
  CLI::App* cmd = app.add_subcommand(
      "handover", "Release a tenant's export key for another node, wrapped under a passphrase");
  CLI::Option* tenant = AddRequiredArg(*cmd, "tenant", "Tenant id");
  CLI::Option* pass = cmd->add_option("--passphrase-file", "File holding the passphrase (12+ bytes)")->required();
  cmd->callback([&slot, tenant, pass] {
    auto p = ReadPassphraseFile(pass->as<std::string>());
    if (!p.ok()) {
      slot.emplace(p.status());
      return;
    }
    slot.emplace(Handover(tenant->as<std::string>(), *p));
  });
}

void AddBackup(CLI::App& app, CommandSlot& slot) {
  CLI::App* cmd = app.add_subcommand(
      "backup", "Back the whole node up (online) into a directory on the server host");
  CLI::Option* dir = AddRequiredArg(*cmd, "dir", "Backup directory: absent, empty, or an earlier backup's");
  cmd->callback([&slot, dir] { slot.emplace(BackupNode(dir->as<std::string>())); });
}

}  // namespace

AdminCommand ExportTenant(const std::string& tenant, const std::string& out_dir, bool verify) {
  Json body = {{"dir", out_dir}};
  if (verify) body["verify"] = true;
  return {{"POST", TenantPath(tenant) + "/export", std::move(body)}, RenderExport};
}

AdminCommand VerifyExport(const std::string& dir, const std::optional<Json>& handover,
                          const std::string& passphrase) {
  Json body = {{"dir", dir}, {"dry_run", true}};
  AddHandoverBody(body, handover, passphrase);
  return {{"POST", TenantsPath() + "/import", std::move(body)}, RenderImport};
}

AdminCommand ImportTenant(const std::string& dir, const std::optional<std::string>& as,
                          const std::optional<std::string>& plan, const std::optional<Json>& handover,
                          const std::string& passphrase) {
  Json body = {{"dir", dir}};
  if (as) body["id"] = *as;
  if (plan) body["plan"] = *plan;
  AddHandoverBody(body, handover, passphrase);
  return {{"POST", TenantsPath() + "/import", std::move(body)}, RenderImport};
}

AdminCommand Handover(const std::string& tenant, const std::string& passphrase) {
  return {{"POST", TenantPath(tenant) + "/handover", Json{{"passphrase", passphrase}}}, RenderHandover};
}

AdminCommand BackupNode(const std::string& dir) {
  return {{"POST", "/admin/v1/backup", Json{{"dir", dir}}}, RenderBackup};
}

Result<std::string> ReadPassphraseFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return UsageError("cannot read the passphrase file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  std::string p = text.str();
  if (!p.empty() && p.back() == '\n') p.pop_back();
  if (!p.empty() && p.back() == '\r') p.pop_back();
  if (p.empty()) return UsageError("the passphrase file " + path + " is empty");
  return p;
}

Result<Json> ReadHandoverFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return UsageError("cannot read the handover file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  Json j = Json::parse(text.str(), nullptr, false);
  if (j.is_object() && j.contains("handover") && j["handover"].is_object()) j = j["handover"];
  if (j.is_discarded() || !j.is_object() || !j.contains("format")) {
    return UsageError("the handover file " + path + " does not hold a handover");
  }
  return j;
}

void AddBackupCommands(CLI::App& app, CommandSlot& slot) {
  AddExport(app, slot);
  AddImport(app, slot);
  AddHandover(app, slot);
  AddBackup(app, slot);
}

}  // namespace tenantkv::tools

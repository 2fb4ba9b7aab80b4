#include "tools/admin/tenancy_commands.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <set>

#include "tools/admin/admin_routes.h"
#include "tools/admin/cli_errors.h"
#include "tools/admin/paged_list.h"
#include "tools/admin/problem_details.h"
#include "tools/admin/terminal_text.h"
#include "tools/admin/yaml_json.h"

namespace tenantkv::tools {
namespace {

constexpr char kPageLimit[] = "?limit=1000";

Status BadAnswer(const std::string& what) { return Status::Internal("the server's " + what, "bad_answer"); }

Result<Json> GetJson(HttpTransport& transport, const std::string& path) {
  TKV_ASSIGN_OR_RETURN(HttpResponse r, transport.Send({"GET", path, std::nullopt}));
  if (r.status < 200 || r.status >= 300) return HttpErrorStatus(r.status, r.body);
  Json body = Json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object())
    return BadAnswer("answer to GET " + path + " is not a JSON object");
  return body;
}

// Every item of the paged list at `path`.
Result<Json> GetAll(HttpTransport& transport, const std::string& path, const std::string& items) {
  TKV_ASSIGN_OR_RETURN(Json first, GetJson(transport, path));
  TKV_ASSIGN_OR_RETURN(Json all, FollowPages(path, items)(first, transport));
  return all[items];
}

std::string Str(const Json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Result<std::vector<LiveKey>> FetchKeys(HttpTransport& transport, const std::string& tenant) {
  TKV_ASSIGN_OR_RETURN(Json keys, GetAll(transport, ApiKeysPath(tenant) + kPageLimit, "keys"));
  std::vector<LiveKey> out;
  for (const auto& k : keys) {
    if (!k.is_object() || Str(k, "state") != "active" || Str(k, "name").empty()) continue;
    LiveKey key{Str(k, "key_id"), Str(k, "name"), Str(k, "role"), std::nullopt};
    if (!Str(k, "expires_at").empty()) key.expires_at = Str(k, "expires_at");
    out.push_back(std::move(key));
  }
  return out;
}

// Creates (or opens to append) the --keys-out file, refusing one that others
// may read: it is about to hold secrets.
class KeysOutFile {
 public:
  static Result<std::unique_ptr<KeysOutFile>> Open(const std::string& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return UsageError("--keys-out: cannot open " + path + ": " + std::strerror(errno));
    auto file = std::unique_ptr<KeysOutFile>(new KeysOutFile(fd, path));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
      return UsageError("--keys-out: " + path + " is not a regular file");
    if ((st.st_mode & 077) != 0) {
      return UsageError("--keys-out: " + path + " may be read by others (mode " +
                        std::to_string((st.st_mode >> 6) & 7) + std::to_string((st.st_mode >> 3) & 7) +
                        std::to_string(st.st_mode & 7) + "); chmod 600 it first");
    }
    return file;
  }
  ~KeysOutFile() { ::close(fd_); }
  KeysOutFile(const KeysOutFile&) = delete;
  KeysOutFile& operator=(const KeysOutFile&) = delete;

  // One line, synced: a token made is never lost to a later failure.
  Status Append(const std::string& line) {
    const std::string text = line + "\n";
    std::size_t done = 0;
    while (done < text.size()) {
      const ssize_t n = ::write(fd_, text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return Status::Internal("cannot write " + path_ + ": " + std::strerror(errno), "keys_out");
      done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd_) != 0)
      return Status::Internal("cannot sync " + path_ + ": " + std::strerror(errno), "keys_out");
    return Status::Ok();
  }
  const std::string& path() const { return path_; }

 private:
  KeysOutFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::string path_;
};

std::string Count(std::size_t n) { return std::to_string(n) + (n == 1 ? " change" : " changes"); }

Status DeletionsConfirmed(const std::vector<TenancyChange>& changes, const ApplyOptions& options) {
  std::string ids;
  for (const auto& c : changes) {
    if (c.deletes_tenant)
      ids += (ids.empty() ? "" : ", ") + c.lines.front().substr(std::string("- tenant ").size());
  }
  if (ids.empty() || options.yes) return Status::Ok();
  return UsageError("refusing to delete tenants " + ids +
                    " without --yes: deletion destroys their data keys and cannot be undone");
}

// Sends one change's requests, keeping a new key's token.
Status MakeChange(const TenancyChange& change,
                  const std::vector<std::pair<std::string, std::string>>& headers, HttpTransport& transport,
                  KeysOutFile* keys_out, std::ostream& out) {
  for (std::size_t i = 0; i < change.requests.size(); ++i) {
    HttpRequest request = change.requests[i];
    request.headers = headers;
    TKV_ASSIGN_OR_RETURN(HttpResponse r, transport.Send(request));
    if (r.status < 200 || r.status >= 300) return HttpErrorStatus(r.status, r.body);
    if (i != 0 || !change.new_key) continue;
    const Json key = Json::parse(r.body, nullptr, /*allow_exceptions=*/false);
    if (key.is_discarded() || !key.is_object() || Str(key, "token").empty()) {
      return BadAnswer("answer to a key's creation has no token");
    }
    const NewKey& k = *change.new_key;
    const std::string label =
        "apikey " + k.tenant + " " + Json(k.name).dump() + " (key " + Str(key, "key_id") + ")";
    if (keys_out != nullptr) {
      TKV_RETURN_IF_ERROR(keys_out->Append(Json{
          {"tenant", k.tenant},
          {"name", k.name},
          {"role", k.role},
          {"key_id", Str(key, "key_id")},
          {"token", Str(key, "token")}}.dump()));
      out << "  token of " << OneLine(label) << " appended to " << keys_out->path() << "\n";
    } else {
      out << "  token of " << OneLine(label) << ": " << Str(key, "token") << "\n";
    }
    out.flush();
  }
  return Status::Ok();
}

void PrintLines(const TenancyChange& c, std::ostream& out) {
  for (const auto& line : c.lines) out << OneLine(line) << "\n";
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

Result<LiveState> FetchLiveState(HttpTransport& transport, const TenancySpec* spec) {
  LiveState live;
  TKV_ASSIGN_OR_RETURN(Json plans, GetJson(transport, PlansPath()));
  if (!plans.contains("plans") || !plans["plans"].is_array()) return BadAnswer("plan list has no \"plans\"");
  for (const auto& p : plans["plans"]) {
    if (!p.is_object() || Str(p, "name").empty()) return BadAnswer("plan list holds a plan without a name");
    live.plans[Str(p, "name")] = Json{{"defaults", p.value("defaults", Json::object())},
                                      {"min", p.value("min", Json::object())},
                                      {"max", p.value("max", Json::object())}};
  }
  live.quota_fields = QuotaFieldsOf(live.plans);
  TKV_ASSIGN_OR_RETURN(Json tenants, GetAll(transport, TenantsPath() + kPageLimit, "tenants"));
  for (const auto& t : tenants) {
    if (!t.is_object() || Str(t, "id").empty()) return BadAnswer("tenant list holds a tenant without an id");
    LiveTenant tenant{
        Str(t, "id"), Str(t, "plan"), Str(t, "tier"), Str(t, "state"), t.value("quota", Json::object()), {}};
    live.tenants[tenant.id] = std::move(tenant);
  }
  std::set<std::string> key_tenants;
  if (spec == nullptr) {
    for (const auto& [id, t] : live.tenants) key_tenants.insert(id);
  } else {
    for (const auto& t : spec->tenants) {
      if (t.api_keys) key_tenants.insert(t.id);
    }
  }
  for (const auto& id : key_tenants) {
    auto it = live.tenants.find(id);
    if (it == live.tenants.end() || it->second.state == "deleting") continue;
    TKV_ASSIGN_OR_RETURN(it->second.keys, FetchKeys(transport, id));
  }
  return live;
}

Result<int> RunApply(const ApplyOptions& options, HttpTransport& transport, std::ostream& out) {
  TKV_ASSIGN_OR_RETURN(TenancyFile file, ReadTenancyFile(options.file));
  std::unique_ptr<KeysOutFile> keys_out;
  if (options.keys_out && !options.dry_run) {
    TKV_ASSIGN_OR_RETURN(keys_out, KeysOutFile::Open(*options.keys_out));
  }
  TKV_ASSIGN_OR_RETURN(LiveState live, FetchLiveState(transport, &file.spec));
  TKV_ASSIGN_OR_RETURN(std::vector<TenancyChange> changes, DiffTenancy(file.spec, live, options.prune));
  if (options.dry_run) {
    for (const auto& c : changes) PrintLines(c, out);
    out << (changes.empty() ? std::string("no changes") : Count(changes.size()) + " to apply") << "\n";
    return changes.empty() ? kExitOk : kExitDrift;
  }
  TKV_RETURN_IF_ERROR(DeletionsConfirmed(changes, options));
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Tenantkv-Change-Source", "apply:sha256:" + file.sha256_hex}};
  if (options.reason) headers.emplace_back("Tenantkv-Change-Reason", *options.reason);
  for (std::size_t i = 0; i < changes.size(); ++i) {
    PrintLines(changes[i], out);
    out.flush();
    Status s = MakeChange(changes[i], headers, transport, keys_out.get(), out);
    if (!s.ok()) {
      return Status(s.code(), s.reason(),
                    "apply stopped at '" + changes[i].lines.front() + "' after " + Count(i) + " of " +
                        std::to_string(changes.size()) + ": " + s.message());
    }
  }
  out << (changes.empty() ? std::string("no changes") : "applied " + Count(changes.size())) << "\n";
  return kExitOk;
}

Status RunExport(const std::string& output, HttpTransport& transport, std::ostream& out) {
  TKV_ASSIGN_OR_RETURN(LiveState live, FetchLiveState(transport, nullptr));
  const Json doc = ExportTenancy(live);
  const std::string text =
      EndsWith(output, ".json")
          ? doc.dump(2) + "\n"
          : "# tenantkv tenancy (tenantkv-admin export-config; schema: docs/tenancy.schema.json)\n" +
                JsonToYaml(doc);
  if (output.empty()) {
    out << text;
    return Status::Ok();
  }
  std::ofstream file(output, std::ios::binary | std::ios::trunc);
  file << text;
  file.close();
  if (!file) return Status::Internal("cannot write " + output, "export");
  out << "wrote " << OneLine(output) << ": " << doc["plans"].size() << " plans, " << doc["tenants"].size()
      << " tenants\n";
  return Status::Ok();
}

namespace {

AdminCommand ProgramCommand(std::function<Result<CommandOutput>(HttpTransport&)> program) {
  AdminCommand c{{"GET", PlansPath(), std::nullopt}, [](const Json&) { return std::string(); }};
  // Their output is the same with --json.
  c.program = [program = std::move(program)](HttpTransport& transport, const ProgramContext&) {
    return program(transport);
  };
  return c;
}

AdminCommand ApplyCommand(ApplyOptions options) {
  return ProgramCommand([options = std::move(options)](HttpTransport& transport) -> Result<CommandOutput> {
    TKV_ASSIGN_OR_RETURN(int code, RunApply(options, transport, std::cout));
    return CommandOutput{"", code};
  });
}

void AddApply(CLI::App& app, CommandSlot& slot) {
  CLI::App* cmd = app.add_subcommand("apply", "Make the server match a tenancy file (plans, tenants, keys)");
  CLI::Option* file =
      cmd->add_option("-f,--file", "The tenancy file: YAML, or JSON when it ends in .json")->required();
  CLI::Option* dry_run = cmd->add_flag("--dry-run", "Print the changes only (exit 3 when there are some)");
  CLI::Option* prune = cmd->add_flag("--prune", "Also delete tenants and revoke named keys not in the file");
  CLI::Option* yes = cmd->add_flag("-y,--yes", "Confirm the tenant deletions of --prune");
  CLI::Option* reason = cmd->add_option("--reason", "Why: recorded in every change's audit entry");
  CLI::Option* keys_out =
      cmd->add_option("--keys-out", "Append new keys' tokens to this file (0600) instead of stdout");
  cmd->callback([&slot, file, dry_run, prune, yes, reason, keys_out] {
    ApplyOptions o;
    o.file = file->as<std::string>();
    o.dry_run = dry_run->count() > 0;
    o.prune = prune->count() > 0;
    o.yes = yes->count() > 0;
    if (reason->count() > 0) o.reason = reason->as<std::string>();
    if (keys_out->count() > 0) o.keys_out = keys_out->as<std::string>();
    slot.emplace(ApplyCommand(std::move(o)));
  });
}

void AddPlan(CLI::App& app, CommandSlot& slot) {
  CLI::App* cmd = app.add_subcommand("plan", "Print what apply would change (exit 0: none, 3: some)");
  CLI::Option* file =
      cmd->add_option("-f,--file", "The tenancy file: YAML, or JSON when it ends in .json")->required();
  CLI::Option* prune = cmd->add_flag("--prune", "Also show the deletions apply --prune would make");
  cmd->callback([&slot, file, prune] {
    ApplyOptions o;
    o.file = file->as<std::string>();
    o.dry_run = true;
    o.prune = prune->count() > 0;
    slot.emplace(ApplyCommand(std::move(o)));
  });
}

void AddExport(CLI::App& app, CommandSlot& slot) {
  CLI::App* cmd =
      app.add_subcommand("export-config", "Write the live plans, tenants and keys as a tenancy file");
  CLI::Option* output =
      cmd->add_option("-o,--output", "Write here (JSON when it ends in .json) instead of stdout");
  cmd->callback([&slot, output] {
    const std::string path = output->count() > 0 ? output->as<std::string>() : std::string();
    slot.emplace(ProgramCommand([path](HttpTransport& transport) -> Result<CommandOutput> {
      TKV_RETURN_IF_ERROR(RunExport(path, transport, std::cout));
      return CommandOutput{"", kExitOk};
    }));
  });
}

}  // namespace

void AddTenancyCommands(CLI::App& app, CommandSlot& slot) {
  AddApply(app, slot);
  AddPlan(app, slot);
  AddExport(app, slot);
}

}  // namespace tenantkv::tools

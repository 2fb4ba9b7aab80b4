#include "engine/backup/export_manifest.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "crypto/hash.h"

namespace tenantkv::engine {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A manifest lists files of up to 64 MiB each: even a huge tenant's fits.
constexpr uintmax_t kMaxManifestBytes = 64ull << 20;

Status Corrupt(const std::string& what) {
  return Status::InvalidArgument("the export is not usable: " + what, "export_corrupt");
}

Status Mismatch(const std::string& what) {
  return Status::InvalidArgument("the export's files do not match its manifest: " + what,
                                 "export_checksum_mismatch");
}

json UsageJson(const Usage& u) { return {{"keys", u.keys}, {"logical_bytes", u.logical_bytes}}; }

Usage UsageFrom(const json& j) {
  return {j.at("keys").get<int64_t>(), j.at("logical_bytes").get<int64_t>()};
}

// A file name we wrote ourselves: no path separators, no dot files.
bool IsPlainName(const std::string& n) {
  if (n.empty() || n.size() > 64 || n[0] == '.') return false;
  return n.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_.") == std::string::npos;
}

json BodyOf(const ExportManifest& m) {
  json quota = json::object();
  for (const auto& f : QuotaFields()) quota[f.name] = m.quota.*f.member;
  json files = json::array();
  for (const auto& f : m.files) {
    files.push_back({{"name", f.name}, {"bytes", f.bytes}, {"sha256", f.sha256}, {"entries", f.entries}});
  }
  return {{"export_id", m.export_id},
          {"created_at_ms", m.created_at_ms},
          {"tenant", {{"id", m.tenant_id}, {"plan", m.plan}, {"created_at_ms", m.tenant_created_at_ms}}},
          {"quota", quota},
          {"usage", UsageJson(m.usage)},
          {"entries", UsageJson(m.entries)},
          {"export_key_id", m.export_key_id},
          {"files", files}};
}

}  // namespace

std::string ExportManifest::BodyJson() const { return BodyOf(*this).dump(); }

std::string ExportManifest::BodyDigest() const {
  crypto::Sha256Digest d = crypto::Sha256(BodyJson());
  return crypto::HexEncode(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

std::string ExportManifest::ToJson() const {
  json keys = json::array();
  for (const auto& k : data_keys) {
    keys.push_back({{"version", k.version}, {"wrapped", crypto::HexEncode(k.wrapped)}});
  }
  return json({{"format", kExportFormat}, {"body", BodyOf(*this)}, {"data_keys", keys}}).dump(2) + "\n";
}

std::string ExportedKeyContext(const ExportManifest& m, uint32_t version) {
  return "export=" + m.export_id + ";tenant=" + m.tenant_id + ";dkey=" + std::to_string(version) +
         ";export-key=" + m.export_key_id + ";body=" + m.BodyDigest();
}

Result<ExportManifest> ParseExportManifest(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Corrupt("manifest.json is not a JSON object");
  try {
    if (j.at("format").get<std::string>() != kExportFormat) {
      return Corrupt("unknown format (expected " + std::string(kExportFormat) + ")");
    }
    const json& b = j.at("body");
    ExportManifest m;
    m.export_id = b.at("export_id").get<std::string>();
    m.created_at_ms = b.at("created_at_ms").get<int64_t>();
    m.tenant_id = b.at("tenant").at("id").get<std::string>();
    m.plan = b.at("tenant").at("plan").get<std::string>();
    m.tenant_created_at_ms = b.at("tenant").at("created_at_ms").get<int64_t>();
    for (const auto& f : QuotaFields()) {
      const json& quota = b.at("quota");
      if (f.added_later && !quota.contains(f.name)) continue;  // an export made before the field
      m.quota.*f.member = quota.at(f.name).get<int64_t>();
    }
    m.usage = UsageFrom(b.at("usage"));
    m.entries = UsageFrom(b.at("entries"));
    m.export_key_id = b.at("export_key_id").get<std::string>();
    for (const auto& f : b.at("files")) {
      ExportFile ef{f.at("name").get<std::string>(), f.at("bytes").get<int64_t>(),
                    f.at("sha256").get<std::string>(), f.at("entries").get<int64_t>()};
      if (!IsPlainName(ef.name) || ef.name == kExportManifestName) {
        return Corrupt("a listed file name is not a plain file name");
      }
      m.files.push_back(std::move(ef));
    }
    for (const auto& k : j.at("data_keys")) {
      auto wrapped = crypto::HexDecode(k.at("wrapped").get<std::string>());
      if (!wrapped) return Corrupt("a wrapped data key is not hex");
      m.data_keys.push_back({k.at("version").get<uint32_t>(), std::move(*wrapped)});
    }
    if (m.data_keys.empty()) return Corrupt("the manifest holds no data keys");
    return m;
  } catch (const json::exception&) {
    return Corrupt("manifest.json lacks a field or has one of the wrong type");
  }
}

Result<ExportManifest> ReadExportManifest(const std::string& dir) {
  std::error_code ec;
  if (dir.empty() || !fs::is_directory(dir, ec)) {
    return Status::InvalidArgument("'" + dir + "' is not a directory", "invalid_dir");
  }
  const fs::path manifest_path = fs::path(dir) / kExportManifestName;
  const auto manifest_size = fs::file_size(manifest_path, ec);
  if (ec) return Corrupt("no readable manifest.json");
  if (manifest_size > kMaxManifestBytes) return Corrupt("manifest.json is implausibly large");
  std::ifstream in(manifest_path, std::ios::binary);
  if (!in) return Corrupt("no readable manifest.json");
  std::ostringstream text;
  text << in.rdbuf();
  return ParseExportManifest(text.str());
}

Result<ExportManifest> VerifyExportDir(const std::string& dir) {
  TKV_ASSIGN_OR_RETURN(ExportManifest m, ReadExportManifest(dir));
  std::error_code ec;
  std::set<std::string> listed{kExportManifestName};
  for (const auto& f : m.files) {
    if (!listed.insert(f.name).second) return Corrupt("file " + f.name + " is listed twice");
    const std::string path = (fs::path(dir) / f.name).string();
    const auto size = fs::file_size(path, ec);
    if (ec) return Mismatch("file " + f.name + " is missing");
    if (static_cast<int64_t>(size) != f.bytes) return Mismatch("file " + f.name + " has another size");
    auto digest = crypto::Sha256File(path);
    if (!digest.ok()) return Mismatch("file " + f.name + " cannot be read");
    const std::string hex = crypto::HexEncode(
        std::string_view(reinterpret_cast<const char*>(digest->data()), digest->size()));
    if (!crypto::ConstantTimeEquals(hex, f.sha256)) return Mismatch("file " + f.name + " was changed");
  }
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (listed.count(entry.path().filename().string()) == 0) {
      return Mismatch("unexpected file " + entry.path().filename().string());
    }
  }
  if (ec) return Status::InvalidArgument("'" + dir + "' cannot be listed", "invalid_dir");
  return m;
}

Status PrepareOutputDir(const std::string& dir, const std::string& forbidden_root, bool* created) {
  *created = false;
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("output directory '" + dir + "': " + why, "invalid_dir");
  };
  if (dir.empty() || dir.size() > 4096 || dir.find('\0') != std::string::npos) {
    return bad("must be a non-empty path");
  }
  fs::path p(dir);
  if (!p.is_absolute()) return bad("must be an absolute path");
  std::error_code ec;
  p = p.lexically_normal();
  if (p.filename().empty()) p = p.parent_path();  // a trailing slash
  const fs::path parent = fs::weakly_canonical(p.parent_path(), ec);
  if (ec || !fs::is_directory(parent, ec)) return bad("its parent directory does not exist");
  const fs::path target = parent / p.filename();
  if (!forbidden_root.empty()) {
    const fs::path root = fs::weakly_canonical(forbidden_root, ec);
    const std::string t = target.string() + "/";
    if (!ec && t.rfind(root.string() + "/", 0) == 0) return bad("must not be inside the data directory");
  }
  struct stat st {};
  if (::lstat(target.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return bad("exists and is not a directory");
    if (!fs::is_empty(target, ec) || ec) return bad("exists and is not empty");
    return Status::Ok();
  }
  if (::mkdir(target.c_str(), 0700) != 0) return bad("cannot be created");
  *created = true;
  return Status::Ok();
}

static Status SyncPath(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return Status::Internal("open " + path + " for fsync");
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok ? Status::Ok() : Status::Internal("fsync " + path);
}

// Writes `text` to dir/name durably (temp file, fsync, rename, fsync dir).
Status WriteFileDurably(const std::string& dir, const std::string& name, const std::string& text) {
  const std::string tmp = dir + "/." + name + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) return Status::Internal("create " + tmp);
  const bool written = std::fwrite(text.data(), 1, text.size(), f) == text.size() &&
                       std::fflush(f) == 0 && ::fsync(::fileno(f)) == 0;
  const bool closed = std::fclose(f) == 0;
  if (!written || !closed) return Status::Internal("write " + tmp);
  if (std::rename(tmp.c_str(), (dir + "/" + name).c_str()) != 0) return Status::Internal("rename " + tmp);
  return SyncPath(dir, O_RDONLY | O_DIRECTORY);
}

}  // namespace tenantkv::engine

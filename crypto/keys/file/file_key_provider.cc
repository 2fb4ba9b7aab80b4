#include "crypto/keys/file/file_key_provider.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "crypto/aead.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "crypto/secret_file.h"

namespace tenantkv::crypto {
namespace {

constexpr size_t kMaxKeyFileBytes = 64 * 1024;

Status Errno(const std::string& what) {
  return Status::Internal(what + ": " + std::strerror(errno), "key_file_io");
}

Status WriteAll(int fd, const uint8_t* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return Errno("write key file");
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return Status::Ok();
}

std::string DirOf(const std::string& path);

Status SyncDirOf(const std::string& path) {
  const std::string dir = DirOf(path);
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("open key file directory");
  int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? Status::Ok() : Errno("fsync key file directory");
}

std::string DirOf(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
}

std::string BaseOf(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Rewrites go through DIR/.<name>.<random hex>.tmp.
std::string TempPrefix(const std::string& path) { return DirOf(path) + "/." + BaseOf(path) + "."; }

// A crash between writing a rewrite's temporary file and renaming it
// leaves the file behind, with keys in it (possibly one being retired):
// remove such files.
void RemoveStaleTempFiles(const std::string& path) {
  const std::string prefix = "." + BaseOf(path) + ".";
  DIR* dir = ::opendir(DirOf(path).c_str());
  if (dir == nullptr) return;
  while (struct dirent* e = ::readdir(dir)) {
    const std::string name = e->d_name;
    if (name.size() > prefix.size() + 4 && name.compare(0, prefix.size(), prefix) == 0 &&
        name.compare(name.size() - 4, 4, ".tmp") == 0) {
      ::unlink((DirOf(path) + "/" + name).c_str());
    }
  }
  ::closedir(dir);
}

constexpr char kHeader[] = "# tenantkv master keys: keep secret, back up separately from the data\n";

// The file's text for `keys`, in locked memory.
SecretBytes KeyFileText(const std::map<uint32_t, const SecretBytes*>& keys) {
  static constexpr char kHex[] = "0123456789abcdef";
  const size_t header_len = sizeof(kHeader) - 1;
  size_t size = header_len;
  for (const auto& [v, k] : keys) size += 4 + std::to_string(v).size() + 1 + 2 * k->size() + 1;
  SecretBytes text(size);
  uint8_t* p = text.data();
  std::memcpy(p, kHeader, header_len);
  p += header_len;
  for (const auto& [v, k] : keys) {
    const std::string prefix = "key " + std::to_string(v) + " ";
    std::memcpy(p, prefix.data(), prefix.size());
    p += prefix.size();
    for (size_t i = 0; i < k->size(); ++i) {
      *p++ = kHex[k->data()[i] >> 4];
      *p++ = kHex[k->data()[i] & 0xf];
    }
    *p++ = '\n';
  }
  return text;
}

// Writes `text` to a new file at `path` (O_EXCL, 0600), fsync'd.
Status WriteNewFile(const std::string& path, const SecretBytes& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("create key file " + path);
  Status s = WriteAll(fd, text.data(), text.size());
  if (s.ok() && ::fsync(fd) != 0) s = Errno("fsync key file");
  ::close(fd);
  return s;
}

// Writes a new file with one random key; never overwrites (O_EXCL).
Status CreateKeyFile(const std::string& path) {
  auto key = SecretBytes::Random(kAeadKeyBytes);
  if (!key.ok()) return key.status();
  TKV_RETURN_IF_ERROR(WriteNewFile(path, KeyFileText({{1, &*key}})));
  return SyncDirOf(path);
}

int HexNibble(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Status BadFile(const std::string& path, size_t line, const std::string& why) {
  return Status::InvalidArgument(
      "master key file " + path + " line " + std::to_string(line) + ": " + why, "bad_key_file");
}

// Parses "key <version> <64 hex>" lines from locked memory into keys.
Status ParseKeyFile(const std::string& path, const SecretBytes& text,
                    std::map<uint32_t, SecretBytes>* keys) {
  const uint8_t* p = text.data();
  const uint8_t* end = p + text.size();
  size_t line_no = 0;
  while (p < end) {
    const uint8_t* eol = static_cast<const uint8_t*>(std::memchr(p, '\n', end - p));
    if (eol == nullptr) eol = end;
    ++line_no;
    std::string_view line(reinterpret_cast<const char*>(p), eol - p);
    p = eol + 1;
    if (line.empty() || line[0] == '#') continue;
    if (line.substr(0, 4) != "key ") return BadFile(path, line_no, "expected 'key <version> <hex>'");
    size_t sp = line.find(' ', 4);
    if (sp == std::string_view::npos) return BadFile(path, line_no, "missing key bytes");
    std::string version_text(line.substr(4, sp - 4));
    if (version_text.empty() || version_text.size() > 9 ||
        version_text.find_first_not_of("0123456789") != std::string::npos) {
      return BadFile(path, line_no, "bad version");
    }
    uint32_t version = static_cast<uint32_t>(std::stoul(version_text));
    std::string_view hex = line.substr(sp + 1);
    if (version == 0 || keys->count(version) != 0) return BadFile(path, line_no, "bad or repeated version");
    if (hex.size() != 2 * kAeadKeyBytes) return BadFile(path, line_no, "key must be 64 hex digits");
    SecretBytes key(kAeadKeyBytes);
    for (size_t i = 0; i < kAeadKeyBytes; ++i) {
      int hi = HexNibble(hex[2 * i]), lo = HexNibble(hex[2 * i + 1]);
      if (hi < 0 || lo < 0) return BadFile(path, line_no, "key must be 64 hex digits");
      key.data()[i] = static_cast<uint8_t>(hi << 4 | lo);
    }
    keys->emplace(version, std::move(key));
  }
  if (keys->empty()) return BadFile(path, line_no, "no key in file");
  return Status::Ok();
}


}  // namespace

Result<std::unique_ptr<FileKeyProvider>> FileKeyProvider::Open(const std::string& path,
                                                               bool create_if_missing) {
  if (::access(path.c_str(), F_OK) != 0) {
    if (errno != ENOENT || !create_if_missing) return Errno("open key file " + path);
    TKV_RETURN_IF_ERROR(CreateKeyFile(path));
  }
  RemoveStaleTempFiles(path);
  auto text = ReadOwnerOnlyFile(path, kMaxKeyFileBytes,
                                {"master key file", "insecure_key_file", "bad_key_file", "key_file_io"});
  if (!text.ok()) return text.status();
  std::map<uint32_t, SecretBytes> keys;
  TKV_RETURN_IF_ERROR(ParseKeyFile(path, *text, &keys));
  return std::unique_ptr<FileKeyProvider>(new FileKeyProvider(path, std::move(keys)));
}

Result<uint32_t> FileKeyProvider::AddVersion() {
  MutexLock lock(write_mu_);
  const uint32_t version = ring_.Current() + 1;
  TKV_ASSIGN_OR_RETURN(SecretBytes key, SecretBytes::Random(kAeadKeyBytes));
  TKV_RETURN_IF_ERROR(Rewrite(version, &key, 0));
  ring_.Add(version, std::move(key));
  return version;
}

Status FileKeyProvider::Retire(uint32_t version) {
  MutexLock lock(write_mu_);
  TKV_RETURN_IF_ERROR(CheckRetirable(version));
  TKV_RETURN_IF_ERROR(Rewrite(0, nullptr, version));
  ring_.Erase(version);
  return Status::Ok();
}

Status FileKeyProvider::Rewrite(uint32_t extra_version, const SecretBytes* extra, uint32_t skip) {
  std::map<uint32_t, const SecretBytes*> keys;
  SecretBytes text;
  TKV_RETURN_IF_ERROR(ring_.ForEach([&](uint32_t v, const SecretBytes& k) {
    if (v != skip) keys[v] = &k;
    return Status::Ok();
  }));
  // The ring only changes under write_mu_, which the caller holds, so the
  // pointers stay valid while the text is built.
  if (extra != nullptr) keys[extra_version] = extra;
  text = KeyFileText(keys);
  TKV_ASSIGN_OR_RETURN(std::string suffix, RandomHex(8));
  const std::string tmp = TempPrefix(path_) + suffix + ".tmp";
  Status s = WriteNewFile(tmp, text);
  if (s.ok() && ::rename(tmp.c_str(), path_.c_str()) != 0) s = Errno("replace key file " + path_);
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  return SyncDirOf(path_);
}

}  // namespace tenantkv::crypto

#include "crypto/keys/file/file_key_provider.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "crypto/aead.h"
#include "crypto/key_wrap.h"
#include "tests/testing/memory_key_provider.h"

namespace tenantkv::crypto {
namespace {

namespace fs = std::filesystem;

// A fresh directory, removed with its contents at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "tkv_fkp_XXXXXX").string();
    char* made = ::mkdtemp(tmpl.data());
    EXPECT_NE(made, nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

const std::string kHexA = std::string(64, 'a');
const std::string kHexB = "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF";

void WriteFile(const std::string& path, const std::string& text, mode_t mode = 0600) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
  }
  ASSERT_EQ(::chmod(path.c_str(), mode), 0);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

SecretBytes RawKey(const std::string& bytes) {
  SecretBytes k(bytes.size());
  std::copy(bytes.begin(), bytes.end(), k.data());
  return k;
}

// True when master `version` of `p` is exactly `raw`: a key wrapped by
// WrapKey under `raw` (what earlier releases stored) unwraps through the
// provider, and the provider's wraps open with `raw`.
bool VersionIs(const KeyProvider& p, uint32_t version, const std::string& raw) {
  const SecretBytes master = RawKey(raw);
  const SecretBytes data_key = SecretBytes::Random(kAeadKeyBytes).value();
  auto old_style = WrapKey(master, "ctx", data_key);
  auto through = p.Unwrap(version, "ctx", *old_style);
  if (!through.ok() || !through->Equals(data_key)) return false;
  auto wrapped = p.Wrap(version, "ctx", data_key);
  if (!wrapped.ok()) return false;
  auto back = UnwrapKey(master, "ctx", *wrapped);
  return back.ok() && back->Equals(data_key);
}

// True when what `a` wraps under `va` opens under `vb` of `b`.
bool SameKey(const KeyProvider& a, uint32_t va, const KeyProvider& b, uint32_t vb) {
  const SecretBytes data_key = SecretBytes::Random(kAeadKeyBytes).value();
  auto wrapped = a.Wrap(va, "ctx", data_key);
  if (!wrapped.ok()) return false;
  auto back = b.Unwrap(vb, "ctx", *wrapped);
  return back.ok() && back->Equals(data_key);
}

TEST(FileKeyProvider, CreatesOwnerOnlyFileWhenMissing) {
  TempDir dir;
  const std::string path = dir.File("master.keys");
  auto p = FileKeyProvider::Open(path, /*create_if_missing=*/true);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ((*p)->CurrentVersion(), 1u);
  EXPECT_EQ((*p)->Versions(), std::vector<uint32_t>{1});
  EXPECT_TRUE(SameKey(**p, 1, **p, 1));
  EXPECT_EQ((*p)->Describe(), "file:" + path);

  const std::string text = ReadFile(path);
  EXPECT_NE(text.find("\nkey 1 "), std::string::npos) << "header comment then the key line";
  EXPECT_EQ(text.back(), '\n');
}

TEST(FileKeyProvider, ReopeningGivesTheSameKey) {
  TempDir dir;
  const std::string path = dir.File("master.keys");
  auto first = FileKeyProvider::Open(path, true);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = FileKeyProvider::Open(path, true);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_TRUE(SameKey(**first, 1, **second, 1));
  EXPECT_EQ((*second)->CurrentVersion(), 1u);
}

TEST(FileKeyProvider, TwoNewFilesHoldDifferentKeys) {
  TempDir dir;
  auto a = FileKeyProvider::Open(dir.File("a.keys"), true);
  auto b = FileKeyProvider::Open(dir.File("b.keys"), true);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_FALSE(SameKey(**a, 1, **b, 1));
}

TEST(FileKeyProvider, ParsesTheKeyBytes) {
  TempDir dir;
  const std::string path = dir.File("k");
  WriteFile(path, "# comment\n\nkey 1 " + kHexB + "\n");
  auto p = FileKeyProvider::Open(path, false);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_TRUE(VersionIs(**p, 1,
            std::string("\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff"
                        "\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff",
                        32)));
}

TEST(FileKeyProvider, AcceptsALastLineWithoutNewline) {
  TempDir dir;
  const std::string path = dir.File("k");
  WriteFile(path, "key 3 " + kHexA);
  auto p = FileKeyProvider::Open(path, false);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ((*p)->CurrentVersion(), 3u);
  EXPECT_TRUE(VersionIs(**p, 3, std::string(32, '\xaa')));
}

TEST(FileKeyProvider, RefusesFilesOthersCanAccess) {
  for (mode_t mode : {mode_t{0640}, mode_t{0604}, mode_t{0660}, mode_t{0606}, mode_t{0644},
                      mode_t{0620}, mode_t{0602}}) {
    SCOPED_TRACE("mode " + std::to_string(mode));
    TempDir dir;
    const std::string path = dir.File("k");
    WriteFile(path, "key 1 " + kHexA + "\n", mode);
    auto p = FileKeyProvider::Open(path, true);
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.status().code(), Code::kFailedPrecondition) << p.status().ToString();
    EXPECT_EQ(p.status().reason(), "insecure_key_file");
    EXPECT_EQ(p.status().ToString().find(kHexA), std::string::npos);
  }
}

TEST(FileKeyProvider, AcceptsOwnerReadOnly) {
  TempDir dir;
  const std::string path = dir.File("k");
  WriteFile(path, "key 1 " + kHexA + "\n", 0400);
  auto p = FileKeyProvider::Open(path, false);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
}

TEST(FileKeyProvider, RejectsMalformedFiles) {
  struct Case {
    const char* name;
    std::string text;
  };
  const std::vector<Case> cases = {
      {"empty", ""},
      {"only comments", "# nothing here\n\n"},
      {"bad prefix", "kee 1 " + kHexA + "\n"},
      {"leading space", " key 1 " + kHexA + "\n"},
      {"uppercase keyword", "KEY 1 " + kHexA + "\n"},
      {"bad hex", "key 1 " + std::string(63, 'a') + "g\n"},
      {"short hex", "key 1 " + std::string(62, 'a') + "\n"},
      {"long hex", "key 1 " + std::string(66, 'a') + "\n"},
      {"trailing space", "key 1 " + kHexA + " \n"},
      {"missing key bytes", "key 1\n"},
      {"repeated version", "key 1 " + kHexA + "\nkey 1 " + kHexB + "\n"},
      {"version 0", "key 0 " + kHexA + "\n"},
      {"negative version", "key -1 " + kHexA + "\n"},
      {"version not a number", "key one " + kHexA + "\n"},
      {"version too long", "key 1234567890 " + kHexA + "\n"},
      {"good line then bad", "key 1 " + kHexA + "\ngarbage\n"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    TempDir dir;
    const std::string path = dir.File("k");
    WriteFile(path, c.text);
    auto p = FileKeyProvider::Open(path, false);
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.status().code(), Code::kInvalidArgument) << p.status().ToString();
    EXPECT_EQ(p.status().reason(), "bad_key_file");
    // The key file's secrets never reach a message.
    const std::string msg = p.status().ToString();
    EXPECT_EQ(msg.find(kHexA.substr(0, 16)), std::string::npos) << msg;
    EXPECT_EQ(msg.find(kHexB.substr(0, 16)), std::string::npos) << msg;
    EXPECT_EQ(msg.find("aaaaaaaa"), std::string::npos) << msg;
  }
}

TEST(FileKeyProvider, HighestVersionIsCurrent) {
  TempDir dir;
  const std::string path = dir.File("k");
  WriteFile(path, "# keys\nkey 1 " + kHexA + "\n\nkey 2 " + kHexB + "\nkey 7 " + std::string(64, '7') + "\n");
  auto p = FileKeyProvider::Open(path, false);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ((*p)->CurrentVersion(), 7u);
  EXPECT_TRUE(VersionIs(**p, 1, std::string(32, '\xaa')));
  EXPECT_TRUE(VersionIs(**p, 7, std::string(32, '\x77')));
  EXPECT_FALSE(SameKey(**p, 1, **p, 2));
  EXPECT_EQ((*p)->Versions(), (std::vector<uint32_t>{1, 2, 7}));
  for (uint32_t missing : {0u, 3u, 6u, 8u}) {
    SCOPED_TRACE(missing);
    auto k = (*p)->Wrap(missing, "ctx", RawKey(std::string(32, 'x')));
    ASSERT_FALSE(k.ok());
    EXPECT_EQ(k.status().code(), Code::kNotFound);
  }
}

TEST(FileKeyProvider, MissingFileWithoutCreateIsAnError) {
  TempDir dir;
  const std::string path = dir.File("absent.keys");
  auto p = FileKeyProvider::Open(path, /*create_if_missing=*/false);
  ASSERT_FALSE(p.ok());
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(FileKeyProvider, NeverOverwritesAnExistingFile) {
  TempDir dir;
  const std::string path = dir.File("k");
  WriteFile(path, "key 1 " + kHexA + "\n");
  auto p = FileKeyProvider::Open(path, /*create_if_missing=*/true);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(ReadFile(path), "key 1 " + kHexA + "\n");
  EXPECT_TRUE(VersionIs(**p, 1, std::string(32, '\xaa')));
}

TEST(FileKeyProvider, StatusMessagesNeverHoldTheKeyText) {
  TempDir dir;
  const std::string path = dir.File("k");
  const std::string secret_line = "key 1 " + kHexB;
  struct Case {
    const char* name;
    std::string text;
    mode_t mode;
  };
  const std::vector<Case> cases = {
      {"insecure", secret_line + "\n", 0644},
      {"bad second line", secret_line + "\nkey 2 " + kHexB.substr(0, 60) + "zzzz\n", 0600},
      {"repeated", secret_line + "\n" + secret_line + "\n", 0600},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    WriteFile(path, c.text, c.mode);
    auto p = FileKeyProvider::Open(path, false);
    ASSERT_FALSE(p.ok());
    const std::string msg = p.status().ToString();
    EXPECT_EQ(msg.find(kHexB.substr(0, 8)), std::string::npos) << msg;
    EXPECT_EQ(msg.find(kHexB.substr(56)), std::string::npos) << msg;
  }
}

TEST(FileKeyProvider, AddVersionAndRetireRewriteTheFileAtomically) {
  TempDir dir;
  const std::string path = dir.File("k");
  WriteFile(path, "# mine\nkey 1 " + kHexA + "\nkey 2 " + kHexB + "\n");
  auto p = FileKeyProvider::Open(path, false);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  const SecretBytes data_key = SecretBytes::Random(kAeadKeyBytes).value();
  const std::string under1 = (*p)->Wrap(1, "ctx", data_key).value();

  auto v = (*p)->AddVersion();
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(*v, 3u);
  EXPECT_EQ((*p)->CurrentVersion(), 3u);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  {
    auto reopened = FileKeyProvider::Open(path, false);
    ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
    EXPECT_EQ((*reopened)->Versions(), (std::vector<uint32_t>{1, 2, 3}));
    EXPECT_TRUE(VersionIs(**reopened, 1, std::string(32, '\xaa')));
    EXPECT_TRUE(SameKey(**p, 3, **reopened, 3));
  }

  auto current = (*p)->Retire(3);
  EXPECT_EQ(current.reason(), "current_master_key");
  ASSERT_TRUE((*p)->Retire(1).ok());
  EXPECT_EQ((*p)->Retire(1).code(), Code::kNotFound);
  EXPECT_EQ((*p)->Versions(), (std::vector<uint32_t>{2, 3}));
  auto gone = (*p)->Unwrap(1, "ctx", under1);
  EXPECT_EQ(gone.status().code(), Code::kNotFound);
  auto reopened = FileKeyProvider::Open(path, false);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ((*reopened)->Versions(), (std::vector<uint32_t>{2, 3}));
  EXPECT_EQ(ReadFile(path).find(kHexA), std::string::npos) << "the retired key is gone from the file";
  // No temporary file is left beside it.
  size_t entries = 0;
  for (const auto& e : fs::directory_iterator(fs::path(path).parent_path())) entries += e.exists();
  EXPECT_EQ(entries, 1u);
}

TEST(FileKeyProvider, OpenRemovesTheTemporaryFileOfAnInterruptedRewrite) {
  TempDir dir;
  const std::string path = dir.File("master.key");
  WriteFile(path, "key 1 " + kHexA + "\n");
  const std::string stale = dir.File(".master.key.0123456789abcdef.tmp");
  const std::string other = dir.File(".other.key.0123456789abcdef.tmp");
  WriteFile(stale, "key 1 " + kHexA + "\nkey 2 " + kHexB + "\n");
  WriteFile(other, "not ours\n");
  auto p = FileKeyProvider::Open(path, false);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(other));
  EXPECT_EQ((*p)->Versions(), std::vector<uint32_t>{1});
}

TEST(MemoryKeyProvider, AddsAndRetiresVersions) {
  MemoryKeyProvider p;
  EXPECT_EQ(p.CurrentVersion(), 1u);
  const SecretBytes data_key = SecretBytes::Random(kAeadKeyBytes).value();
  const std::string under1 = p.Wrap(1, "tenant=a", data_key).value();
  EXPECT_EQ(p.Unwrap(1, "tenant=b", under1).status().reason(), "unwrap_failed");
  EXPECT_EQ(p.AddVersion().value(), 2u);
  EXPECT_FALSE(SameKey(p, 1, p, 2));
  EXPECT_EQ(p.Retire(2).reason(), "current_master_key");
  ASSERT_TRUE(p.Retire(1).ok());
  EXPECT_EQ(p.Unwrap(1, "tenant=a", under1).status().code(), Code::kNotFound);
  EXPECT_EQ(p.AddVersion().value(), 3u);
  EXPECT_EQ(p.Versions(), (std::vector<uint32_t>{2, 3}));
}

}  // namespace
}  // namespace tenantkv::crypto

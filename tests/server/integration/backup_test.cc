// Tenant export / handover / import and node backup / restore through the
// real server: operator only, still encrypted, refused when tampered with or
// after the tenant's keys were destroyed, and a restore drill.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "tests/testing/test_server.h"

namespace tenantkv::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr char kPass[] = "move acme to the new rack";

// A temp dir outside every server's data dir, removed at the end.
class ScratchDir {
 public:
  ScratchDir() {
    char tmpl[] = "/tmp/tenantkv-bk-XXXXXX";
    path_ = ::mkdtemp(tmpl) != nullptr ? tmpl : "";
    EXPECT_FALSE(path_.empty());
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Runs the server binary with `args` to completion; its exit code.
int RunServerBinary(std::vector<std::string> args) {
  args.insert(args.begin(), TENANTKV_SERVER_BIN);
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

json Body(const httplib::Result& r) {
  return r ? json::parse(r->body, nullptr, false) : json();
}

std::string CodeOf(const httplib::Result& r) {
  json j = Body(r);
  return j.is_object() && j.contains("code") ? j["code"].get<std::string>() : "<none>";
}

std::string Value(int i) { return "value-" + std::to_string(i) + std::string(80, 'x'); }

void PutValues(TestServer& s, const std::string& token, int n, const std::string& prefix = "k") {
  for (int i = 0; i < n; ++i) {
    ASSERT_EQ(s.Put(KvPath(prefix + std::to_string(i)), Value(i), token)->status, 201);
  }
}

void ExpectValues(TestServer& s, const std::string& token, int n, const std::string& prefix = "k") {
  for (int i = 0; i < n; ++i) {
    auto r = s.Get(KvPath(prefix + std::to_string(i)), token);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << prefix << i;
    EXPECT_EQ(r->body, Value(i));
  }
}

httplib::Result Export(TestServer& s, const std::string& tenant, const std::string& dir) {
  return s.Post("/admin/v1/tenants/" + tenant + "/export", json{{"dir", dir}}.dump(), s.operator_token());
}

httplib::Result Import(TestServer& s, json body) {
  return s.Post("/admin/v1/tenants/import", body.dump(), s.operator_token());
}

TEST(BackupApi, TenantTokensGetForbiddenOnEveryBackupRoute) {
  TestServer s;
  s.Start();
  s.CreateTenant("acme");
  const std::string admin = s.CreateKey("acme", "admin");
  ScratchDir scratch;
  const std::string dir = scratch.Sub("x");
  const std::pair<std::string, json> calls[] = {
      {"/admin/v1/tenants/acme/export", {{"dir", dir}}},
      {"/admin/v1/tenants/acme/handover", {{"passphrase", kPass}}},
      {"/admin/v1/tenants/import", {{"dir", dir}}},
      {"/admin/v1/backup", {{"dir", dir}}},
  };
  for (const auto& [path, body] : calls) {
    SCOPED_TRACE(path);
    auto r = s.Post(path, body.dump(), admin);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403) << r->body;
    auto anonymous = s.Post(path, body.dump(), "");
    ASSERT_TRUE(anonymous);
    EXPECT_EQ(anonymous->status, 401);
  }
  EXPECT_FALSE(fs::exists(dir));
}

TEST(BackupApi, MovesATenantWithAHandoverToNodesWithTheSameOrAnotherMasterKey) {
  TestServer source;
  source.Start();
  source.CreateTenant("acme");
  const std::string token = source.CreateKey("acme", "write");
  PutValues(source, token, 200);
  ScratchDir scratch;
  const std::string dir = scratch.Sub("acme-export");
  auto e = source.Post("/admin/v1/tenants/acme/export", json{{"dir", dir}, {"verify", true}}.dump(),
                       source.operator_token());
  ASSERT_TRUE(e);
  ASSERT_EQ(e->status, 201) << e->body;
  EXPECT_EQ(Body(e)["entries"]["keys"], 200);
  EXPECT_EQ(Body(e)["usage"]["keys"], 200);
  EXPECT_EQ(Body(e)["verified"], true);
  auto h = source.Post("/admin/v1/tenants/acme/handover", json{{"passphrase", kPass}}.dump(),
                       source.operator_token());
  ASSERT_TRUE(h);
  ASSERT_EQ(h->status, 200) << h->body;
  const json handover = Body(h)["handover"];

  TestServer same_key({"--master-key-file", source.data_dir() + "/master.key"});
  TestServer other_key;
  for (TestServer* target : {&same_key, &other_key}) {
    target->Start();
    // The export alone opens nowhere but on its own node.
    auto refused = Import(*target, {{"dir", dir}});
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 400);
    EXPECT_EQ(CodeOf(refused), "export_undecryptable");
    auto wrong = Import(*target, {{"dir", dir}, {"handover", handover}, {"passphrase", "not the passphrase"}});
    EXPECT_EQ(CodeOf(wrong), "handover_undecryptable");
    auto imported = Import(*target, {{"dir", dir}, {"handover", handover}, {"passphrase", kPass}});
    ASSERT_TRUE(imported);
    ASSERT_EQ(imported->status, 201) << imported->body;
    EXPECT_EQ(Body(imported)["entries"]["keys"], 200);
    const std::string moved = target->CreateKey("acme", "read");
    ExpectValues(*target, moved, 200);
    auto again = Import(*target, {{"dir", dir}, {"handover", handover}, {"passphrase", kPass}});
    EXPECT_EQ(again->status, 409);
  }
}

TEST(BackupApi, AfterDeleteAnEarlierExportIsUndecryptable) {
  TestServer s;
  s.Start();
  s.CreateTenant("acme");
  PutValues(s, s.CreateKey("acme", "write"), 20);
  ScratchDir scratch;
  const std::string dir = scratch.Sub("acme");
  ASSERT_EQ(Export(s, "acme", dir)->status, 201);
  auto dry = Import(s, {{"dir", dir}, {"dry_run", true}});
  ASSERT_EQ(dry->status, 200) << dry->body;
  ASSERT_EQ(s.Delete("/admin/v1/tenants/acme", s.operator_token())->status, 204);

  auto r = Import(s, {{"dir", dir}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(CodeOf(r), "export_undecryptable");
  EXPECT_EQ(CodeOf(Import(s, {{"dir", dir}, {"id", "acme-restored"}})), "export_undecryptable");
  EXPECT_EQ(s.Get("/admin/v1/tenants/acme", s.operator_token())->status, 404);
  EXPECT_EQ(s.Get("/admin/v1/tenants/acme-restored", s.operator_token())->status, 404);
  // No handover can be asked for any more either.
  auto h = s.Post("/admin/v1/tenants/acme/handover", json{{"passphrase", kPass}}.dump(), s.operator_token());
  EXPECT_EQ(h->status, 404);
}

TEST(BackupApi, BadRequestsAreRefusedAndChangeNothing) {
  TestServer s;
  s.Start();
  s.CreateTenant("acme");
  PutValues(s, s.CreateKey("acme", "write"), 10);
  ScratchDir scratch;
  const std::string dir = scratch.Sub("acme");
  ASSERT_EQ(Export(s, "acme", dir)->status, 201);
  {
    // Flip the bits of one byte, so it surely differs from what was there.
    std::fstream f(dir + "/data-000001.sst", std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(100);
    const char was = static_cast<char>(f.get());
    f.seekp(100);
    f.put(static_cast<char>(was ^ 0x5a));
  }
  struct Case {
    const char* path;
    json body;
    int status;
    const char* code;
  };
  const Case cases[] = {
      {"/admin/v1/tenants/import", {{"dir", dir}, {"id", "acme-copy"}}, 400, "export_checksum_mismatch"},
      {"/admin/v1/tenants/import", {{"dir", "relative"}}, 400, "invalid_dir"},
      {"/admin/v1/tenants/import", json::object(), 400, "invalid_field"},
      {"/admin/v1/tenants/import", {{"dir", dir}, {"passphrase", kPass}}, 400, "invalid_field"},
      {"/admin/v1/tenants/import", {{"dir", dir}, {"handover", "text"}, {"passphrase", kPass}}, 400, "bad_handover"},
      {"/admin/v1/tenants/import", {{"dir", dir}, {"bogus", 1}}, 400, "unknown_field"},
      {"/admin/v1/tenants/acme/export", {{"dir", dir}}, 400, "invalid_dir"},  // not empty
      {"/admin/v1/tenants/acme/export", {{"dir", s.data_dir() + "/x"}}, 400, "invalid_dir"},
      {"/admin/v1/tenants/acme/export", {{"dir", 5}}, 400, "invalid_field"},
      {"/admin/v1/tenants/acme/export", {{"dir", scratch.Sub("y")}, {"verify", "yes"}}, 400, "invalid_field"},
      {"/admin/v1/tenants/nobody/export", {{"dir", scratch.Sub("z")}}, 404, "tenant_not_found"},
      {"/admin/v1/tenants/acme/handover", {{"passphrase", "short"}}, 400, "weak_passphrase"},
      {"/admin/v1/backup", {{"dir", s.data_dir()}}, 400, "invalid_dir"},
      {"/admin/v1/backup", {{"dir", dir}}, 400, "invalid_dir"},  // an export, not a backup dir
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.path) + " " + c.body.dump());
    auto r = s.Post(c.path, c.body.dump(), s.operator_token());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, c.status) << r->body;
    EXPECT_EQ(CodeOf(r), c.code);
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/problem+json");
  }
  auto list = Body(s.Get("/admin/v1/tenants", s.operator_token()));
  EXPECT_EQ(list["tenants"].size(), 1u);
  EXPECT_FALSE(fs::exists(scratch.Sub("y")));
  EXPECT_FALSE(fs::exists(scratch.Sub("z")));
  EXPECT_FALSE(fs::exists(s.data_dir() + "/x"));
}

TEST(BackupApi, RestoreDrillBringsBackWhatWasBackedUpAndNothingLater) {
  TestServer live;
  live.Start();
  live.CreateTenant("alpha");
  live.CreateTenant("beta");
  const std::string a = live.CreateKey("alpha", "write");
  const std::string b = live.CreateKey("beta", "write");
  PutValues(live, a, 30);
  PutValues(live, b, 30);
  ScratchDir scratch;
  const std::string backups = scratch.Sub("backups");
  auto r = live.Post("/admin/v1/backup", json{{"dir", backups}}.dump(), live.operator_token());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  EXPECT_GE(Body(r)["backup_id"].get<int>(), 1);
  PutValues(live, a, 5, "later");
  PutValues(live, b, 5, "later");
  ASSERT_EQ(live.Delete(KvPath("k0"), a)->status, 204);
  // The node's key files are not in the backup.
  for (const auto& entry : fs::recursive_directory_iterator(backups)) {
    EXPECT_NE(entry.path().filename(), "master.key");
    EXPECT_NE(entry.path().filename(), "operator.token");
  }

  TestServer restored({"--master-key-file", live.data_dir() + "/master.key"});
  ASSERT_EQ(RunServerBinary({"--restore-from", backups, "--data-dir", restored.data_dir()}), 0);
  // A second restore into the same dir is refused: it holds a DB now.
  EXPECT_NE(RunServerBinary({"--restore-from", backups, "--data-dir", restored.data_dir()}), 0);
  restored.Start();
  ExpectValues(restored, a, 30);  // k0 included: deleted after the backup
  ExpectValues(restored, b, 30);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(restored.Get(KvPath("later" + std::to_string(i)), a)->status, 404);
    EXPECT_EQ(restored.Get(KvPath("later" + std::to_string(i)), b)->status, 404);
  }
  // A second backup into the same directory is incremental.
  auto r2 = live.Post("/admin/v1/backup", json{{"dir", backups}}.dump(), live.operator_token());
  ASSERT_EQ(r2->status, 201) << r2->body;
  EXPECT_GT(Body(r2)["backup_id"].get<int>(), Body(r)["backup_id"].get<int>());
}

}  // namespace
}  // namespace tenantkv::testing

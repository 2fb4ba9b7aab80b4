// tenantkv-admin against the real server: every command it has, end to end.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "tests/server/test_server.h"

#ifndef TENANTKV_ADMIN_BIN
#error "TENANTKV_ADMIN_BIN must name the tenantkv-admin binary"
#endif

namespace tenantkv::testing {
namespace {

using nlohmann::json;

struct CliRun {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

class AdminCliTest : public ::testing::Test {
 protected:
  void SetUp() override { server_.Start(); }

  // Runs tenantkv-admin with `args`; the operator token file unless `env_token`.
  CliRun Admin(const std::string& args, const std::string& env_token = "") {
    const std::string err_file = server_.data_dir() + "/../admin.err";
    std::string cmd = "env -u TENANTKV_TOKEN -u TENANTKV_SERVER ";
    if (!env_token.empty()) cmd += "TENANTKV_TOKEN=" + env_token + " ";
    cmd += std::string(TENANTKV_ADMIN_BIN) + " --server http://127.0.0.1:" + std::to_string(server_.port());
    if (env_token.empty()) cmd += " --token-file " + server_.data_dir() + "/operator.token";
    cmd += " " + args + " 2>" + err_file;
    CliRun r;
    FILE* p = popen(cmd.c_str(), "r");
    std::array<char, 4096> buf;
    size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
    int status = pclose(p);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    FILE* e = std::fopen(err_file.c_str(), "r");
    while (e != nullptr && (n = fread(buf.data(), 1, buf.size(), e)) > 0) r.err.append(buf.data(), n);
    if (e != nullptr) std::fclose(e);
    return r;
  }

  TestServer server_;
};

TEST_F(AdminCliTest, TenantLifecycle) {
  CliRun created = Admin("tenants create acme --plan premium");
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_NE(created.out.find("acme"), std::string::npos);
  Admin("tenants create globex");
  CliRun list = Admin("tenants list");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("acme"), std::string::npos);
  EXPECT_NE(list.out.find("globex"), std::string::npos);
  CliRun shown = Admin("--json tenants show acme");
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  auto j = json::parse(shown.out);
  EXPECT_EQ(j["plan"], "premium");
  EXPECT_EQ(j["state"], "active");
  EXPECT_EQ(Admin("tenants suspend acme").exit_code, 0);
  EXPECT_EQ(json::parse(Admin("--json tenants show acme").out)["state"], "suspended");
  EXPECT_EQ(Admin("tenants resume acme").exit_code, 0);
  EXPECT_EQ(json::parse(Admin("--json tenants show acme").out)["state"], "active");
  CliRun refused = Admin("tenants delete acme");  // no --yes
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_EQ(Admin("--json tenants show acme").exit_code, 0);
  EXPECT_EQ(Admin("tenants delete acme --yes").exit_code, 0);
  CliRun gone = Admin("tenants show acme");
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_NE(gone.err.find("404"), std::string::npos) << gone.err;
  EXPECT_EQ(std::count(gone.err.begin(), gone.err.end(), '\n'), 1) << "one-line reason: " << gone.err;
}

TEST_F(AdminCliTest, ApiKeysAndUsage) {
  ASSERT_EQ(Admin("tenants create acme").exit_code, 0);
  CliRun made = Admin("--json apikeys create acme --role write");
  ASSERT_EQ(made.exit_code, 0) << made.err;
  auto key = json::parse(made.out);
  const std::string token = key["token"];
  const std::string key_id = key["key_id"];
  ASSERT_EQ(server_.Put(KvPath("k"), "12345", token)->status, 201);
  CliRun usage = Admin("--json usage", token);
  ASSERT_EQ(usage.exit_code, 0) << usage.err;
  EXPECT_EQ(json::parse(usage.out)["usage"]["keys"], 1);
  CliRun human_usage = Admin("usage", token);
  EXPECT_EQ(human_usage.exit_code, 0) << human_usage.err;
  CliRun keys = Admin("apikeys list acme");
  ASSERT_EQ(keys.exit_code, 0) << keys.err;
  EXPECT_NE(keys.out.find(key_id), std::string::npos);
  EXPECT_EQ(keys.out.find(token), std::string::npos) << "list never shows a token";
  EXPECT_EQ(Admin("apikeys revoke acme " + key_id).exit_code, 0);
  EXPECT_EQ(server_.Get(KvPath("k"), token)->status, 401);
  EXPECT_NE(Admin("apikeys list acme").out.find("revoked"), std::string::npos);
}

TEST_F(AdminCliTest, FailuresExitNonZeroWithOneLine) {
  CliRun bad_token = Admin("tenants list", "tkv_0000000000000000_" + std::string(64, '0'));
  EXPECT_EQ(bad_token.exit_code, 1);
  EXPECT_NE(bad_token.err.find("401"), std::string::npos) << bad_token.err;
  CliRun bad_id = Admin("tenants create Not_Valid");
  EXPECT_EQ(bad_id.exit_code, 1);
  EXPECT_NE(bad_id.err.find("invalid_tenant_id"), std::string::npos) << bad_id.err;
  CliRun usage_error = Admin("tenants frobnicate");
  EXPECT_EQ(usage_error.exit_code, 2);
  CliRun health = Admin("health");
  EXPECT_EQ(health.exit_code, 0) << health.err;
}

}  // namespace
}  // namespace tenantkv::testing

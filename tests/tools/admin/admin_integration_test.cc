// tenantkv-admin against the real server: every command it has, end to end.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <thread>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "tests/testing/json_schema_check.h"
#include "tests/testing/rfc3339.h"
#include "tests/testing/test_server.h"
#include "tools/admin/tenancy_file.h"
#include "tools/admin/yaml_json.h"

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
    if (!env_token.empty()) return Run("TENANTKV_TOKEN=" + env_token, args);
    return Run("", "--token-file " + server_.data_dir() + "/operator.token " + args);
  }

  // Runs tenantkv-admin with `args`, reading the token from a file holding `token`.
  CliRun AdminWithTokenFile(const std::string& args, const std::string& token) {
    const std::string token_file = server_.data_dir() + "/../cli.token";
    std::ofstream(token_file) << token << "\n";
    return Run("", "--token-file " + token_file + " " + args);
  }

  TestServer server_;

 private:
  // `env` (VAR=value or "") in the environment, then the server URL and `args`.
  CliRun Run(const std::string& env, const std::string& args) {
    const std::string err_file = server_.data_dir() + "/../admin.err";
    std::string cmd = "env -u TENANTKV_TOKEN -u TENANTKV_SERVER " + env + " ";
    cmd += std::string(TENANTKV_ADMIN_BIN) +
           " --server http://127.0.0.1:" + std::to_string(server_.port());
    cmd += " " + args + " 2>" + err_file;
    CliRun r;
    FILE* p = popen(cmd.c_str(), "r");
    std::array<char, 4096> buf;
    size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
    int status = pclose(p);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    FILE* e = std::fopen(err_file.c_str(), "r");
    while (e != nullptr && (n = fread(buf.data(), 1, buf.size(), e)) > 0) {
      r.err.append(buf.data(), n);
    }
    if (e != nullptr) std::fclose(e);
    return r;
  }
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

TEST_F(AdminCliTest, TenantsMoveTierAndShowItsProgress) {
  ASSERT_EQ(Admin("tenants create acme --tier pooled").exit_code, 0);
  CliRun moved = Admin("tenants move-tier acme --to column_family");
  ASSERT_EQ(moved.exit_code, 0) << moved.err;
  EXPECT_NE(moved.out.find("tier_move"), std::string::npos) << moved.out;
  EXPECT_NE(moved.out.find("column_family"), std::string::npos) << moved.out;
  json shown;
  for (int i = 0; i < 500; ++i) {  // bounded: 10 s
    shown = json::parse(Admin("--json tenants show acme").out);
    if (shown["tier_move"]["state"] == "done") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(shown["tier"], "column_family");
  EXPECT_EQ(shown["tier_move"]["state"], "done");
  CliRun table = Admin("tenants show acme");
  EXPECT_NE(table.out.find("tier_move"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("done"), std::string::npos) << table.out;
  ASSERT_EQ(Admin("tenants move-tier acme --to dedicated").exit_code, 0);
  for (int i = 0; i < 500; ++i) {  // bounded: 10 s
    shown = json::parse(Admin("--json tenants show acme").out);
    if (shown["tier_move"]["to"] == "dedicated" && shown["tier_move"]["state"] == "done") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(shown["tier"], "dedicated");
  ASSERT_EQ(Admin("tenants create vault --tier dedicated").exit_code, 0);
  EXPECT_EQ(json::parse(Admin("--json tenants show vault").out)["tier"], "dedicated");
  CliRun bad = Admin("tenants move-tier acme --to shared");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("unknown_tier"), std::string::npos) << bad.err;
  EXPECT_EQ(Admin("tenants move-tier acme").exit_code, 2) << "--to is required";
}

// tenants list against the server: a page ends with where the next starts,
// --all follows the pages, and the filters narrow the list.
TEST_F(AdminCliTest, TenantsListPagesAndFilters) {
  ASSERT_EQ(Admin("tenants create acme --plan premium").exit_code, 0);
  ASSERT_EQ(Admin("tenants create globex").exit_code, 0);
  ASSERT_EQ(Admin("tenants create initech --plan free").exit_code, 0);  // pooled: the plan's tier
  ASSERT_EQ(Admin("tenants suspend globex").exit_code, 0);
  auto ids = [](const CliRun& run) {
    std::vector<std::string> out;
    const json j = json::parse(run.out, nullptr, false);
    if (!j.is_object() || !j.contains("tenants")) return out;
    for (const auto& t : j["tenants"]) out.push_back(t["id"].get<std::string>());
    return out;
  };
  CliRun first = Admin("tenants list --limit 1");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("acme"), std::string::npos);
  EXPECT_EQ(first.out.find("globex"), std::string::npos);
  EXPECT_NE(first.out.find("(more: --start-after acme, or --all)"), std::string::npos) << first.out;
  EXPECT_EQ(ids(Admin("--json tenants list --limit 1 --all")),
            (std::vector<std::string>{"acme", "globex", "initech"}));
  EXPECT_EQ(ids(Admin("--json tenants list --limit 1 --start-after acme")), std::vector<std::string>{"globex"});
  EXPECT_EQ(ids(Admin("--json tenants list --tier pooled")), std::vector<std::string>{"initech"});
  EXPECT_EQ(ids(Admin("--json tenants list --tier column_family --limit 1 --all")),
            (std::vector<std::string>{"acme", "globex"}));
  EXPECT_EQ(ids(Admin("--json tenants list --state suspended")), std::vector<std::string>{"globex"});
  EXPECT_EQ(ids(Admin("--json tenants list --plan premium")), std::vector<std::string>{"acme"});
  EXPECT_EQ(ids(Admin("--json tenants list --prefix gl")), std::vector<std::string>{"globex"});
  // --change-source/--change-reason reach the change's audit entry.
  ASSERT_EQ(Admin("--change-source ci --change-reason launch tenants create hooli").exit_code, 0);
  CliRun audit = Admin("--json audit --tenant hooli");
  ASSERT_EQ(audit.exit_code, 0) << audit.err;
  const json entries = json::parse(audit.out, nullptr, false);
  ASSERT_TRUE(entries.is_object() && entries.contains("entries") && !entries["entries"].empty()) << audit.out;
  const json& details = entries["entries"][0]["details"];
  EXPECT_EQ(details.value("change_source", ""), "ci") << audit.out;
  EXPECT_EQ(details.value("change_reason", ""), "launch") << audit.out;
  EXPECT_EQ(ids(Admin("--json tenants list --prefix i --limit 1 --all")), std::vector<std::string>{"initech"});
  EXPECT_EQ(ids(Admin("--json tenants list --prefix a --state suspended")), std::vector<std::string>{});
  CliRun bad = Admin("tenants list --tier nowhere");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("unknown_tier"), std::string::npos) << bad.err;
}

// operators create/list/revoke against the server: the new key acts as an
// operator, the audit names it, and a revoked one is refused.
TEST_F(AdminCliTest, OperatorKeysCreateListRevoke) {
  CliRun made = Admin("--json operators create alice");
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const json key = json::parse(made.out, nullptr, false);
  ASSERT_TRUE(key.is_object() && key.contains("token")) << made.out;
  const std::string token = key["token"].get<std::string>();
  CliRun as_alice = AdminWithTokenFile("tenants create acme", token);
  ASSERT_EQ(as_alice.exit_code, 0) << as_alice.err;
  CliRun audit = Admin("--json audit --tenant acme");
  ASSERT_EQ(audit.exit_code, 0) << audit.err;
  EXPECT_NE(audit.out.find("operator:alice"), std::string::npos) << audit.out;
  CliRun listed = Admin("operators list");
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("alice"), std::string::npos) << listed.out;
  EXPECT_EQ(listed.out.find(token), std::string::npos);
  EXPECT_EQ(Admin("operators create alice").exit_code, 1);  // the name is taken
  ASSERT_EQ(Admin("operators revoke " + key["key_id"].get<std::string>()).exit_code, 0);
  CliRun refused = AdminWithTokenFile("tenants list", token);
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("401"), std::string::npos) << refused.err;
}

// addons create/list/cancel against the server: the boost applies within
// a second or two, shows in the tenant's usage, and a cancel takes it back.
TEST_F(AdminCliTest, AddonsCreateListCancel) {
  ASSERT_EQ(Admin("tenants create acme").exit_code, 0);
  const std::string token = json::parse(Admin("--json apikeys create acme --role read").out)["token"];
  CliRun made = Admin("--json addons create acme requests_per_sec=3000 --ends-at " + Rfc3339InSeconds(3600) +
                      " --reason launch");
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const json addon = json::parse(made.out, nullptr, false);
  ASSERT_TRUE(addon.is_object()) << made.out;
  const std::string id = addon["id"];
  bool active = false;
  for (int i = 0; i < 100 && !active; ++i) {
    active = json::parse(Admin("--json addons list acme").out)["addons"][0]["state"] == "active";
    if (!active) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(active);
  CliRun listed = Admin("addons list acme");
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find(id), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("requests_per_sec=3000"), std::string::npos) << listed.out;
  EXPECT_EQ(json::parse(Admin("--json usage", token).out)["quotas"]["requests_per_sec"]["rate"], 3000);
  CliRun cancelled = Admin("addons cancel acme " + id);
  ASSERT_EQ(cancelled.exit_code, 0) << cancelled.err;
  EXPECT_NE(cancelled.out.find("cancelled"), std::string::npos) << cancelled.out;
  EXPECT_NE(json::parse(Admin("--json usage", token).out)["quotas"]["requests_per_sec"]["rate"], 3000);
  CliRun again = Admin("addons cancel acme " + id);
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("409 addon_finished"), std::string::npos) << again.err;
  EXPECT_EQ(Admin("addons create acme weight=2").exit_code, 2);  // --ends-at is required
}

// requests list/approve/reject against the server: a tenant admin's
// request is listed, approval applies it as a quota version naming it, and
// a decided request cannot be decided again (exit 1, the 409 shown).
TEST_F(AdminCliTest, QuotaRequestsListApproveReject) {
  ASSERT_EQ(Admin("tenants create acme").exit_code, 0);
  const std::string admin = server_.CreateKey("acme", "admin");
  std::vector<std::string> ids;
  for (int rate : {2000, 3000}) {
    auto filed = server_.Post("/v1/quota/requests",
                              json{{"fields", {{"requests_per_sec", rate}}}, {"reason", "launch"}}.dump(), admin);
    ASSERT_EQ(filed->status, 201) << filed->body;
    ids.push_back(json::parse(filed->body)["id"]);
  }
  CliRun listed = Admin("requests list --state pending --tenant acme");
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("requests_per_sec=2000"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find(ids[1]), std::string::npos) << listed.out;
  CliRun approved = Admin("--json requests approve " + ids[0] + " --comment ok");
  ASSERT_EQ(approved.exit_code, 0) << approved.err;
  EXPECT_EQ(json::parse(approved.out)["state"], "approved") << approved.out;
  CliRun quota = Admin("--json quota show acme");
  ASSERT_EQ(quota.exit_code, 0) << quota.err;
  EXPECT_EQ(json::parse(quota.out)["request"], ids[0]) << quota.out;
  ASSERT_EQ(Admin("requests reject " + ids[1] + " --comment later").exit_code, 0);
  CliRun again = Admin("requests approve " + ids[1]);
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("request_decided"), std::string::npos) << again.err;
  CliRun decided = Admin("--json requests list --state rejected");
  ASSERT_EQ(decided.exit_code, 0) << decided.err;
  EXPECT_EQ(json::parse(decided.out)["requests"].size(), 1u) << decided.out;
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
  EXPECT_NE(human_usage.out.find("QUOTA"), std::string::npos) << human_usage.out;
  EXPECT_NE(human_usage.out.find("storage burn rate: "), std::string::npos) << human_usage.out;
  EXPECT_NE(human_usage.out.find("storage projected exhaustion: "), std::string::npos);
  CliRun keys = Admin("apikeys list acme");
  ASSERT_EQ(keys.exit_code, 0) << keys.err;
  EXPECT_NE(keys.out.find(key_id), std::string::npos);
  EXPECT_EQ(keys.out.find(token), std::string::npos) << "list never shows a token";
  EXPECT_EQ(Admin("apikeys revoke acme " + key_id).exit_code, 0);
  EXPECT_EQ(server_.Get(KvPath("k"), token)->status, 401);
  EXPECT_NE(Admin("apikeys list acme").out.find("revoked"), std::string::npos);
}

TEST_F(AdminCliTest, ApiKeysCreateWithNameAndExpiry) {
  ASSERT_EQ(Admin("tenants create acme").exit_code, 0);
  CliRun made = Admin("apikeys create acme --role read --name 'ci \"deploy\" <bot>' --expires-at 2099-01-01T00:00:00Z");
  ASSERT_EQ(made.exit_code, 0) << made.err;
  EXPECT_NE(made.out.find("name        ci \"deploy\" <bot>\n"), std::string::npos) << made.out;
  EXPECT_NE(made.out.find("expires_at  2099-01-01T00:00:00Z\n"), std::string::npos) << made.out;
  CliRun keys = Admin("apikeys list acme");
  ASSERT_EQ(keys.exit_code, 0) << keys.err;
  EXPECT_NE(keys.out.find("EXPIRES_AT"), std::string::npos) << keys.out;
  EXPECT_NE(keys.out.find("ci \"deploy\" <bot>"), std::string::npos) << keys.out;
  EXPECT_NE(keys.out.find("2099-01-01T00:00:00Z"), std::string::npos) << keys.out;
  CliRun listed = Admin("--json apikeys list acme");
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(json::parse(listed.out)["keys"][0]["name"], "ci \"deploy\" <bot>");

  CliRun past = Admin("apikeys create acme --role read --expires-at 2001-01-01T00:00:00Z");
  EXPECT_EQ(past.exit_code, 1);
  EXPECT_NE(past.err.find("invalid_expires_at"), std::string::npos) << past.err;
  CliRun sloppy = Admin("apikeys create acme --role read --expires-at 'next tuesday'");
  EXPECT_EQ(sloppy.exit_code, 1);
  EXPECT_NE(sloppy.err.find("invalid_expires_at"), std::string::npos) << sloppy.err;
  CliRun empty = Admin("apikeys create acme --role read --name ''");
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_NE(empty.err.find("invalid_name"), std::string::npos) << empty.err;
  EXPECT_EQ(json::parse(Admin("--json apikeys list acme").out)["keys"].size(), 1u);
}

TEST_F(AdminCliTest, QuotaShowSetHistoryRevert) {
  ASSERT_EQ(Admin("tenants create acme").exit_code, 0);
  CliRun shown = Admin("--json quota show acme");
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  const json first = json::parse(shown.out);
  const int v0 = first["version"];
  EXPECT_EQ(first["quota"]["requests_per_sec"], 500);
  CliRun set = Admin("quota set acme requests_per_sec=100 burst_requests=5");
  ASSERT_EQ(set.exit_code, 0) << set.err;
  EXPECT_NE(set.out.find("changes"), std::string::npos) << set.out;
  const json now = json::parse(Admin("--json quota show acme").out);
  EXPECT_EQ(now["version"], v0 + 1);
  EXPECT_EQ(now["quota"]["requests_per_sec"], 100);
  EXPECT_EQ(now["quota"]["burst_requests"], 5);
  CliRun history = Admin("quota history acme");
  ASSERT_EQ(history.exit_code, 0) << history.err;
  EXPECT_NE(history.out.find("requests_per_sec 500\u2192" "100"), std::string::npos) << history.out;
  EXPECT_EQ(json::parse(Admin("--json quota history acme").out)["versions"].size(), 2u);
  CliRun reverted = Admin("--json quota revert acme --version " + std::to_string(v0));
  ASSERT_EQ(reverted.exit_code, 0) << reverted.err;
  EXPECT_EQ(json::parse(reverted.out)["version"], v0 + 2);
  EXPECT_EQ(json::parse(Admin("--json quota show acme").out)["quota"]["requests_per_sec"], 500);
  CliRun tenant = Admin("tenants show acme");
  EXPECT_NE(tenant.out.find("\nquota\n"), std::string::npos) << tenant.out;
  EXPECT_EQ(Admin("quota set acme requests_per_sec=lots").exit_code, 2);
  CliRun unknown = Admin("quota set acme no_such_field=1");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("400 unknown_field"), std::string::npos) << unknown.err;
  EXPECT_EQ(json::parse(Admin("--json quota show acme").out)["version"], v0 + 2);
}

TEST_F(AdminCliTest, PlansListShowSet) {
  CliRun list = Admin("plans list");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  for (const char* plan : {"free", "standard", "premium"}) {
    EXPECT_NE(list.out.find(plan), std::string::npos) << list.out;
  }
  CliRun shown = Admin("plans show standard");
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_NE(shown.out.find("DEFAULT"), std::string::npos) << shown.out;
  const json standard = json::parse(Admin("--json plans show standard").out);
  EXPECT_EQ(standard["defaults"]["requests_per_sec"], 500);
  EXPECT_EQ(standard["max"]["requests_per_sec"], 500);
  CliRun created = Admin("plans set gold --default requests_per_sec=800 --max requests_per_sec=900 "
                         "--max weight=8");
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const json gold = json::parse(Admin("--json plans show gold").out);
  EXPECT_EQ(gold["defaults"]["requests_per_sec"], 800);
  EXPECT_EQ(gold["max"]["requests_per_sec"], 900);
  EXPECT_EQ(gold["max"]["weight"], 8);
  EXPECT_EQ(gold["min"], standard["min"]) << "a new plan starts from standard";
  EXPECT_NE(Admin("plans list").out.find("gold"), std::string::npos);
  CliRun invalid = Admin("plans set gold --default requests_per_sec=1000");  // above its max
  EXPECT_EQ(invalid.exit_code, 1);
  EXPECT_NE(invalid.err.find("400"), std::string::npos) << invalid.err;
  EXPECT_EQ(Admin("plans set gold").exit_code, 2);
  CliRun missing = Admin("plans show no-such-plan");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("404"), std::string::npos) << missing.err;
}

TEST_F(AdminCliTest, TenantAdminSetsQuotaOnlyInsideItsPlan) {
  ASSERT_EQ(Admin("tenants create acme").exit_code, 0);  // plan standard: requests_per_sec <= 500
  const std::string token = server_.CreateKey("acme", "admin");
  CliRun above = Admin("quota set acme requests_per_sec=600", token);
  EXPECT_EQ(above.exit_code, 1);
  EXPECT_EQ(above.err.rfind("error: 403 outside_plan_range: ", 0), 0u) << above.err;
  EXPECT_EQ(std::count(above.err.begin(), above.err.end(), '\n'), 1) << above.err;
  CliRun inside = AdminWithTokenFile("--json quota set acme requests_per_sec=100", token);
  ASSERT_EQ(inside.exit_code, 0) << inside.err;
  const json manifest = json::parse(inside.out);
  EXPECT_EQ(manifest["quota"]["requests_per_sec"], 100);
  EXPECT_NE(manifest["updated_by"], "operator");
  CliRun revert = AdminWithTokenFile("quota revert acme --version 1", token);
  EXPECT_EQ(revert.exit_code, 1) << "revert is the operator's";
  EXPECT_NE(revert.err.find("403"), std::string::npos) << revert.err;
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

namespace tenantkv::testing {
namespace {

TEST_F(AdminCliTest, KeysRotateAndStatus) {
  ASSERT_EQ(Admin("tenants create acme").exit_code, 0);
  ASSERT_EQ(Admin("tenants create globex").exit_code, 0);
  CliRun status = Admin("keys status acme");
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("VERSION"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("SEALS"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("active"), std::string::npos) << status.out;

  CliRun rotated = Admin("keys rotate --tenant acme");
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  CliRun js = Admin("--json keys status acme");
  ASSERT_EQ(js.exit_code, 0) << js.err;
  json body = json::parse(js.out, nullptr, false);
  ASSERT_TRUE(body.is_object()) << js.out;
  ASSERT_EQ(body["versions"].size(), 2u);
  EXPECT_EQ(body["versions"][1]["version"], 2);
  EXPECT_EQ(body["versions"][1]["state"], "active");

  CliRun all = Admin("keys rotate --all");
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_NE(all.out.find("acme"), std::string::npos) << all.out;
  EXPECT_NE(all.out.find("globex"), std::string::npos) << all.out;
  js = Admin("--json keys status globex");
  body = json::parse(js.out, nullptr, false);
  ASSERT_TRUE(body.is_object()) << js.out;
  EXPECT_EQ(body["versions"].size(), 2u);
  js = Admin("--json keys status acme");
  body = json::parse(js.out, nullptr, false);
  ASSERT_TRUE(body.is_object()) << js.out;
  EXPECT_EQ(body["versions"].size(), 3u);

  // Usage errors exit 2; server refusals 1 with one line.
  EXPECT_EQ(Admin("keys rotate").exit_code, 2);
  EXPECT_EQ(Admin("keys rotate --tenant acme --all").exit_code, 2);
  EXPECT_EQ(Admin("keys rotate --all --due").exit_code, 2);

  // The policy sweep: fresh keys, so nothing is due; the sweep is recorded.
  CliRun due = Admin("keys rotate --due");
  ASSERT_EQ(due.exit_code, 0) << due.err;
  EXPECT_NE(due.out.find("checked 2 tenant(s): 0 due, 0 failed"), std::string::npos) << due.out;
  CliRun policy = Admin("keys policy");
  ASSERT_EQ(policy.exit_code, 0) << policy.err;
  EXPECT_NE(policy.out.find("max_age_days"), std::string::npos) << policy.out;
  EXPECT_NE(policy.out.find("by operator, checked 2, rotated 0, failed 0"), std::string::npos) << policy.out;
  // The schedule: both tenants' current keys with when age makes them due
  // (in 90 days: none within 30), a page at a time.
  CliRun schedule = Admin("keys schedule");
  ASSERT_EQ(schedule.exit_code, 0) << schedule.err;
  EXPECT_NE(schedule.out.find("DUE_AT"), std::string::npos) << schedule.out;
  EXPECT_NE(schedule.out.find("acme"), std::string::npos) << schedule.out;
  CliRun page = Admin("--json keys schedule --limit 1");
  ASSERT_EQ(page.exit_code, 0) << page.err;
  json first = json::parse(page.out, nullptr, false);
  ASSERT_TRUE(first.is_object()) << page.out;
  EXPECT_EQ(first["tenants"].size(), 1u);
  EXPECT_TRUE(first["next"].is_string()) << page.out;
  json every = json::parse(Admin("--json keys schedule --limit 1 --all").out, nullptr, false);
  ASSERT_TRUE(every.is_object());
  EXPECT_EQ(every["tenants"].size(), 2u) << every.dump();
  json soon = json::parse(Admin("--json keys schedule --due-within-days 30").out, nullptr, false);
  ASSERT_TRUE(soon.is_object());
  EXPECT_TRUE(soon["tenants"].empty()) << soon.dump();
  EXPECT_EQ(Admin("keys schedule --due-within-days soon").exit_code, 1);
  CliRun due_js = Admin("--json keys rotate --due");
  ASSERT_EQ(due_js.exit_code, 0) << due_js.err;
  json sweep = json::parse(due_js.out, nullptr, false);
  ASSERT_TRUE(sweep.is_object()) << due_js.out;
  EXPECT_EQ(sweep["checked"], 2);
  CliRun missing = Admin("keys status nobody");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("tenant_not_found"), std::string::npos) << missing.err;
  // A tenant admin may not rotate, not even its own tenant.
  auto key = server_.Post("/admin/v1/tenants/acme/apikeys", json{{"role", "admin"}}.dump(), server_.operator_token());
  ASSERT_TRUE(key && key->status == 201);
  CliRun denied = AdminWithTokenFile("keys rotate --tenant acme", json::parse(key->body)["token"]);
  EXPECT_EQ(denied.exit_code, 1);
  EXPECT_NE(denied.err.find("403"), std::string::npos) << denied.err;
}

TEST_F(AdminCliTest, ExportVerifyImportHandoverAndBackup) {
  server_.CreateTenant("acme");
  const std::string token = server_.CreateKey("acme", "write");
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(server_.Put(KvPath("k" + std::to_string(i)), "v" + std::to_string(i), token)->status, 201);
  }
  const std::string root = server_.data_dir() + "/..";
  CliRun exported = Admin("export acme --out " + root + "/acme-export --verify");
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_NE(exported.out.find("20 keys"), std::string::npos) << exported.out;
  EXPECT_NE(exported.out.find("verified"), std::string::npos) << exported.out;
  CliRun verified = Admin("export --verify " + root + "/acme-export");
  ASSERT_EQ(verified.exit_code, 0) << verified.err;
  EXPECT_NE(verified.out.find("is complete and opens: 20 keys"), std::string::npos) << verified.out;

  CliRun imported = Admin("import " + root + "/acme-export --as acme-copy");
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_NE(imported.out.find("imported acme as acme-copy"), std::string::npos) << imported.out;
  const std::string copy = server_.CreateKey("acme-copy", "read");
  EXPECT_EQ(server_.Get(KvPath("k7"), copy)->body, "v7");

  std::ofstream(root + "/pass") << "a passphrase for the move\n";
  CliRun handover = Admin("handover acme --passphrase-file " + root + "/pass");
  ASSERT_EQ(handover.exit_code, 0) << handover.err;
  std::ofstream(root + "/acme.handover") << handover.out;
  CliRun with_handover = Admin("import " + root + "/acme-export --as acme-moved --handover " + root +
                               "/acme.handover --passphrase-file " + root + "/pass");
  ASSERT_EQ(with_handover.exit_code, 0) << with_handover.err;

  CliRun taken = Admin("import " + root + "/acme-export --as acme-copy");
  EXPECT_EQ(taken.exit_code, 1);
  EXPECT_NE(taken.err.find("409 tenant_exists"), std::string::npos) << taken.err;

  CliRun backup = Admin("backup " + root + "/backups");
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  EXPECT_NE(backup.out.find("backup 1 in"), std::string::npos) << backup.out;
}

// ---------------------------------------------------------------- apply / plan / export-config

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The lines of `text`, without the '\n's.
std::vector<std::string> LinesOf(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

class ApplyTest : public AdminCliTest {
 protected:
  std::string Path(const std::string& name) { return server_.data_dir() + "/../" + name; }

  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(Path(name), std::ios::binary) << text;
    return Path(name);
  }

  json Audit() {
    CliRun audit = Admin("--json audit --limit 1000");
    EXPECT_EQ(audit.exit_code, 0) << audit.err;
    const json j = json::parse(audit.out, nullptr, false);
    return j.is_object() && j.contains("entries") ? j["entries"] : json::array();
  }

  std::vector<std::string> TenantIds() {
    const json j = json::parse(Admin("--json tenants list --all").out, nullptr, false);
    std::vector<std::string> out;
    if (j.is_object() && j.contains("tenants")) {
      for (const auto& t : j["tenants"]) out.push_back(t["id"].get<std::string>());
    }
    return out;
  }
};

constexpr char kTenancy[] = R"(version: 1
plans:
  - name: gold
    defaults: {requests_per_sec: 800}
    max: {requests_per_sec: 1000}
tenants:
  - id: acme
    plan: gold
    quota: {requests_per_sec: 300}
    api_keys:
      - {name: deploy, role: write}
      - {name: audit bot, role: read, expires_at: "2030-01-01T00:00:00Z"}
  - id: globex
    tier: pooled
    state: suspended
    quota: {}
)";

// plan prints the exact diff and exits 3; apply makes it, with the file's
// SHA-256 and the reason in every audit entry and the tokens in a 0600
// file; then plan and apply find nothing to do; a change made by hand is
// drift again.
TEST_F(ApplyTest, PlanApplyIsIdempotentAndAudited) {
  const std::string file = Write("tenancy.yaml", kTenancy);
  const std::vector<std::string> diff = {
      "+ plan gold",
      "~ plan gold defaults.requests_per_sec 500 -> 800",
      "~ plan gold max.requests_per_sec 500 -> 1000",
      "+ tenant acme (plan gold)",
      "~ tenant acme quota.requests_per_sec 800 -> 300",
      "+ apikey acme \"audit bot\" (role read, expires 2030-01-01T00:00:00Z)",
      "+ apikey acme \"deploy\" (role write)",
      "+ tenant globex (plan standard, tier pooled)",
      "~ tenant globex state active -> suspended",
  };
  CliRun plan = Admin("plan -f " + file);
  EXPECT_EQ(plan.exit_code, 3) << plan.err;
  std::vector<std::string> expected = diff;
  expected.push_back("7 changes to apply");
  EXPECT_EQ(LinesOf(plan.out), expected);
  CliRun dry = Admin("apply --dry-run -f " + file);
  EXPECT_EQ(dry.exit_code, 3) << dry.err;
  EXPECT_EQ(dry.out, plan.out);
  EXPECT_EQ(TenantIds(), std::vector<std::string>{});
  const std::size_t audit_before = Audit().size();

  const std::string keys_file = Path("keys.jsonl");
  CliRun applied = Admin("apply -f " + file + " --reason 'onboarding Q4' --keys-out " + keys_file);
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  EXPECT_NE(applied.out.find("applied 7 changes"), std::string::npos) << applied.out;
  EXPECT_EQ(applied.out.find("tkv_"), std::string::npos) << "tokens go to --keys-out only";
  struct stat st {};
  ASSERT_EQ(stat(keys_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::vector<std::string> key_lines = LinesOf(ReadText(keys_file));
  ASSERT_EQ(key_lines.size(), 2u);
  std::set<std::string> key_ids;
  for (const auto& line : key_lines) {
    const json k = json::parse(line);
    EXPECT_EQ(k["tenant"], "acme");
    EXPECT_EQ(k["token"].get<std::string>().rfind("tkv_", 0), 0u) << line;
    key_ids.insert(k["key_id"].get<std::string>());
  }
  const json listed = json::parse(Admin("--json apikeys list acme").out);
  std::set<std::string> listed_ids;
  for (const auto& k : listed["keys"]) listed_ids.insert(k["key_id"].get<std::string>());
  EXPECT_EQ(listed_ids, key_ids);
  EXPECT_EQ(json::parse(Admin("--json quota show acme").out)["quota"]["requests_per_sec"], 300);
  EXPECT_EQ(json::parse(Admin("--json tenants show globex").out)["state"], "suspended");

  // Every change is one audit entry naming the file by its SHA-256.
  const std::string source = "apply:sha256:" + *tools::Sha256Hex(kTenancy);
  const json audit = Audit();
  ASSERT_EQ(audit.size(), audit_before + 7) << audit.dump();
  for (std::size_t i = audit_before; i < audit.size(); ++i) {
    EXPECT_EQ(audit[i]["details"].value("change_source", ""), source) << audit[i].dump();
    EXPECT_EQ(audit[i]["details"].value("change_reason", ""), "onboarding Q4") << audit[i].dump();
  }

  CliRun again = Admin("plan -f " + file);
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(again.out, "no changes\n");
  CliRun reapplied = Admin("apply -f " + file);
  EXPECT_EQ(reapplied.exit_code, 0) << reapplied.err;
  EXPECT_EQ(reapplied.out, "no changes\n");
  EXPECT_EQ(Audit().size(), audit.size()) << "a second apply changes nothing";

  // Drift: a change by hand, then a key that lost its role.
  ASSERT_EQ(Admin("quota set acme requests_per_sec=50").exit_code, 0);
  CliRun drift = Admin("plan -f " + file);
  EXPECT_EQ(drift.exit_code, 3);
  EXPECT_EQ(LinesOf(drift.out),
            (std::vector<std::string>{"~ tenant acme quota.requests_per_sec 50 -> 300", "1 change to apply"}));
  const std::string rotated = Write("rotated.yaml", std::string(kTenancy).replace(
                                                        std::string(kTenancy).find("role: write"), 11, "role: admin"));
  CliRun rotate = Admin("apply -f " + rotated);
  ASSERT_EQ(rotate.exit_code, 0) << rotate.err;
  EXPECT_NE(rotate.out.find("~ tenant acme quota.requests_per_sec 50 -> 300\n"), std::string::npos) << rotate.out;
  EXPECT_NE(rotate.out.find("~ apikey acme \"deploy\" role write -> admin (rotate: create a new key, then revoke "),
            std::string::npos)
      << rotate.out;
  EXPECT_NE(rotate.out.find("  token of apikey acme \"deploy\" (key "), std::string::npos) << rotate.out;
  EXPECT_NE(rotate.out.find(": tkv_"), std::string::npos) << "without --keys-out the token is printed once";
  EXPECT_EQ(Admin("plan -f " + rotated).exit_code, 0);
}

// Deletions only with --prune, and tenants only with --yes as well; keys
// without a name are never touched.
TEST_F(ApplyTest, PruneNeedsYesForTenants) {
  const std::string file = Write("tenancy.yaml", kTenancy);
  ASSERT_EQ(Admin("apply -f " + file).exit_code, 0);
  ASSERT_EQ(Admin("tenants create old").exit_code, 0);
  ASSERT_EQ(Admin("apikeys create acme --role read --name stray").exit_code, 0);
  ASSERT_EQ(Admin("apikeys create acme --role read").exit_code, 0);  // no name
  EXPECT_EQ(Admin("plan -f " + file).exit_code, 0) << "without --prune nothing is to delete";
  CliRun plan = Admin("plan --prune -f " + file);
  EXPECT_EQ(plan.exit_code, 3);
  const std::vector<std::string> lines = LinesOf(plan.out);
  ASSERT_EQ(lines.size(), 3u) << plan.out;
  EXPECT_EQ(lines[0].rfind("- apikey acme \"stray\" (revoke ", 0), 0u) << plan.out;
  EXPECT_EQ(lines[1], "- tenant old");
  const std::size_t audit_before = Audit().size();
  CliRun refused = Admin("apply --prune -f " + file);
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("refusing to delete tenants old without --yes"), std::string::npos) << refused.err;
  EXPECT_EQ(Audit().size(), audit_before) << "a refused prune changes nothing";
  // The file's digest replaces a global --change-source; a global reason stands in for --reason.
  CliRun pruned = Admin("--change-source ci --change-reason cleanup apply --prune --yes -f " + file);
  ASSERT_EQ(pruned.exit_code, 0) << pruned.err;
  EXPECT_EQ(TenantIds(), (std::vector<std::string>{"acme", "globex"}));
  const json audit = Audit();
  ASSERT_EQ(audit.size(), audit_before + 3);  // apikey revoke; tenant.delete and key.destroy
  for (std::size_t i = audit_before; i < audit.size(); ++i) {
    EXPECT_EQ(audit[i]["details"].value("change_source", ""), "apply:sha256:" + *tools::Sha256Hex(kTenancy));
    EXPECT_EQ(audit[i]["details"].value("change_reason", ""), "cleanup");
  }
  const json keys = json::parse(Admin("--json apikeys list acme").out);
  int active = 0, unnamed = 0;
  for (const auto& k : keys["keys"]) {
    if (k["state"] != "active") continue;
    ++active;
    unnamed += k["name"].is_null() ? 1 : 0;
    EXPECT_NE(k["name"], "stray");
  }
  EXPECT_EQ(active, 3);
  EXPECT_EQ(unnamed, 1);
  EXPECT_EQ(Admin("plan --prune -f " + file).exit_code, 0);
}

// export-config writes the live state in the file's schema (YAML, or JSON
// for .json); plan of it finds no drift, and it conforms to
// docs/tenancy.schema.json, whose quota fields are the server's.
TEST_F(ApplyTest, ExportConfigRoundTrips) {
  ASSERT_EQ(Admin("apply -f " + Write("tenancy.yaml", kTenancy)).exit_code, 0);
  ASSERT_EQ(Admin("tenants create initech --plan free").exit_code, 0);
  ASSERT_EQ(Admin("quota set initech weight=1 max_queue_ms=250").exit_code, 0);
  ASSERT_EQ(Admin("apikeys create initech --role admin --name ops").exit_code, 0);
  const nlohmann::json schema = nlohmann::json::parse(ReadText(std::string(TENANTKV_DOCS_DIR) + "/tenancy.schema.json"));
  for (const std::string name : {"export.yaml", "export.json"}) {
    SCOPED_TRACE(name);
    CliRun exported = Admin("export-config -o " + Path(name));
    ASSERT_EQ(exported.exit_code, 0) << exported.err;
    CliRun plan = Admin("plan --prune -f " + Path(name));
    EXPECT_EQ(plan.exit_code, 0) << plan.out << plan.err;
    const std::string text = ReadText(Path(name));
    const nlohmann::json doc = name == "export.json" ? nlohmann::json::parse(text)
                                                     : nlohmann::json::parse(tools::YamlToJson(text)->dump());
    EXPECT_EQ(CheckJsonSchema(schema, doc), std::vector<std::string>{});
    ASSERT_EQ(doc["tenants"].size(), 3u);
    EXPECT_EQ(doc["tenants"][2]["quota"], (json{{"max_queue_ms", 250}})) << doc["tenants"][2];
    EXPECT_EQ(doc["tenants"][2]["api_keys"], (json::array({{{"name", "ops"}, {"role", "admin"}}})));
    // The schema lists exactly the server's quota fields.
    std::set<std::string> server_fields, schema_fields;
    for (const auto& [field, v] : doc["plans"][0]["defaults"].items()) server_fields.insert(field);
    for (const auto& [field, v] : schema["$defs"]["quota"]["properties"].items()) schema_fields.insert(field);
    EXPECT_EQ(server_fields, schema_fields);
  }
  CliRun to_stdout = Admin("export-config");
  ASSERT_EQ(to_stdout.exit_code, 0) << to_stdout.err;
  EXPECT_EQ(to_stdout.out, ReadText(Path("export.yaml")));
}

// A bad file is refused whole, with the path of the problem, before any
// change; so is a --keys-out file others may read.
TEST_F(ApplyTest, BadFilesChangeNothing) {
  const std::size_t audit_before = Audit().size();
  struct Case {
    std::string name;
    std::string text;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"type.yaml",
       "tenants:\n  - id: a\n  - id: b\n  - id: c\n  - id: d\n    quota: {requests_per_sec: fast}\n",
       "tenants[3].quota.requests_per_sec: expected an integer"},
      {"field.json", R"({"tenants":[{"id":"a"},{"id":"b","quota":{"requests_per_second":5}}]})",
       "tenants[1].quota.requests_per_second: not a quota field of this server"},
      {"dup.yaml", "tenants:\n  - id: a\n  - id: a\n", "tenants[1].id: tenant 'a' given twice"},
      {"plan.yaml", "tenants:\n  - id: a\n    plan: platinum\n", "tenants[0].plan: no plan 'platinum'"},
      {"yaml.yaml", "tenants: [\n", "not valid YAML"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    for (const std::string command : {"plan", "apply"}) {
      CliRun run = Admin(command + " -f " + Write(c.name, c.text));
      EXPECT_EQ(run.exit_code, 1);
      EXPECT_NE(run.err.find(c.message), std::string::npos) << run.err;
      EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
      EXPECT_EQ(run.out, "");
    }
  }
  const std::string open_keys = Write("open-keys", "");
  ASSERT_EQ(chmod(open_keys.c_str(), 0644), 0);
  CliRun refused = Admin("apply -f " + Write("tenancy.yaml", kTenancy) + " --keys-out " + open_keys);
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("may be read by others"), std::string::npos) << refused.err;
  EXPECT_EQ(TenantIds(), std::vector<std::string>{});
  EXPECT_EQ(Audit().size(), audit_before);
}

}  // namespace
}  // namespace tenantkv::testing

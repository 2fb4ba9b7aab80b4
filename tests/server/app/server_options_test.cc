#include "server/app/server_options.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <vector>

namespace tenantkv::server {
namespace {

Result<ServerOptions> Parse(std::vector<std::string> args, int* code = nullptr) {
  args.insert(args.begin(), "tenantkv-server");
  std::vector<const char*> argv;
  for (auto& a : args) argv.push_back(a.c_str());
  int ignored = 0;
  std::string msg;
  return ParseServerArgs(static_cast<int>(argv.size()), argv.data(), code ? code : &ignored, &msg);
}

// Config files written by the tests, removed when the test binary exits.
struct ConfigFiles {
  std::vector<std::string> paths;
  ~ConfigFiles() {
    for (const auto& p : paths) std::remove(p.c_str());
  }
};

std::string WriteConfig(const std::string& text) {
  static ConfigFiles created;
  char path[] = "/tmp/tenantkv-conf-XXXXXX";
  int fd = mkstemp(path);
  close(fd);
  std::ofstream(path) << text;
  created.paths.push_back(path);
  return path;
}

TEST(ServerOptions, DefaultsAreValid) {
  auto o = Parse({});
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->listen, "127.0.0.1:8080");
  EXPECT_FALSE(o->sync_writes);
  EXPECT_EQ(o->master_key_file, "./data/master.key");
  EXPECT_EQ(o->operator_token_file, "./data/operator.token");
  EXPECT_EQ(o->max_response_value_bytes, 16u << 20);
}

TEST(ServerOptions, FlagsSetEverySetting) {
  auto o = Parse({"--data-dir", "/srv/t", "--listen", "0.0.0.0:0", "--sync-writes", "--max-value-bytes",
                  "2048", "--threads-max", "100", "--log-level", "warn", "--max-response-value-bytes", "4096"});
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->data_dir, "/srv/t");
  EXPECT_TRUE(o->sync_writes);
  EXPECT_EQ(o->max_value_bytes, 2048u);
  EXPECT_EQ(o->threads_max, 100u);
  EXPECT_EQ(o->max_response_value_bytes, 4096u);
  EXPECT_EQ(o->master_key_file, "/srv/t/master.key");
}

TEST(ServerOptions, WebhookSettings) {
  auto def = Parse({});
  ASSERT_TRUE(def.ok());
  EXPECT_FALSE(def->webhook_allow_http);
  EXPECT_FALSE(def->webhook_allow_private_addresses);
  EXPECT_EQ(def->webhook_ca_file, "");
  EXPECT_EQ(def->webhook_timeout_sec, 10);
  EXPECT_EQ(def->webhook_max_attempts, 20);
  EXPECT_EQ(def->webhook_max_per_tenant, 8u);
  EXPECT_EQ(def->webhook_max_global, 32u);
  auto set = Parse({"--webhook-allow-http", "--webhook-allow-private-addresses", "--webhook-ca-file", "/etc/ca.pem",
                    "--webhook-max-attempts", "5", "--webhook-retry-base-ms", "100", "--webhook-alert-check-sec", "1"});
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_TRUE(set->webhook_allow_http);
  EXPECT_TRUE(set->webhook_allow_private_addresses);
  EXPECT_EQ(set->webhook_ca_file, "/etc/ca.pem");
  EXPECT_EQ(set->webhook_max_attempts, 5);
  EXPECT_EQ(set->webhook_retry_base_ms, 100);
  EXPECT_EQ(set->webhook_alert_check_sec, 1);
  auto file = Parse({"--config", WriteConfig("webhook-allow-http = true\nwebhook-max-per-tenant = 4\n")});
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_TRUE(file->webhook_allow_http);
  EXPECT_FALSE(file->webhook_allow_private_addresses);
  EXPECT_EQ(file->webhook_max_per_tenant, 4u);
  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{"--webhook-timeout-sec", "0"}, {"--webhook-max-attempts", "0"},
        {"--webhook-retry-base-ms", "1"}, {"--webhook-max-per-tenant", "0"}, {"--webhook-alert-check-sec", "0"}}) {
    SCOPED_TRACE(bad[0] + " " + bad[1]);
    EXPECT_FALSE(Parse(bad).ok());
  }
}

TEST(ServerOptions, GovernanceSettings) {
  auto def = Parse({});
  ASSERT_TRUE(def.ok());
  EXPECT_EQ(def->quota_approvals_required, 1);
  EXPECT_EQ(def->scheduler_capacity_ops, 10000);
  EXPECT_EQ(def->storage_overcommit_ratio, 10);
  EXPECT_EQ(def->capacity_disk_bytes, 0);
  EXPECT_FALSE(def->capacity_check_on_create);
  auto set = Parse({"--quota-approvals-required", "2", "--scheduler-capacity-ops", "500", "--storage-overcommit-ratio",
                    "3", "--capacity-disk-bytes", "1073741824", "--capacity-check-on-create"});
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->quota_approvals_required, 2);
  EXPECT_EQ(set->scheduler_capacity_ops, 500);
  EXPECT_EQ(set->storage_overcommit_ratio, 3);
  EXPECT_EQ(set->capacity_disk_bytes, 1073741824);
  EXPECT_TRUE(set->capacity_check_on_create);
  auto file = Parse({"--config", WriteConfig("quota-approvals-required = 2\ncapacity-check-on-create = true\n")});
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(file->quota_approvals_required, 2);
  EXPECT_TRUE(file->capacity_check_on_create);
  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{"--quota-approvals-required", "3"}, {"--quota-approvals-required", "0"},
        {"--scheduler-capacity-ops", "-1"}, {"--storage-overcommit-ratio", "0"}, {"--capacity-disk-bytes", "-5"}}) {
    SCOPED_TRACE(bad[0] + " " + bad[1]);
    EXPECT_FALSE(Parse(bad).ok());
  }
}

TEST(ServerOptions, KeyProviderChoices) {
  auto def = Parse({});
  ASSERT_TRUE(def.ok());
  EXPECT_EQ(def->key_provider, "file");
  auto hsm = Parse({"--key-provider", "pkcs11", "--pkcs11-module", "/usr/lib/softhsm/libsofthsm2.so",
                    "--pkcs11-token-label", "tenantkv", "--pkcs11-pin-file", "/etc/tenantkv/pin"});
  ASSERT_TRUE(hsm.ok()) << hsm.status().ToString();
  EXPECT_EQ(hsm->key_provider, "pkcs11");
  EXPECT_EQ(hsm->pkcs11_token_label, "tenantkv");
  struct Case {
    const char* name;
    std::vector<std::string> args;
  };
  for (const Case& c : std::vector<Case>{
           {"unknown provider", {"--key-provider", "vault"}},
           {"pkcs11 without module", {"--key-provider", "pkcs11", "--pkcs11-token-label", "t", "--pkcs11-pin-file", "p"}},
           {"pkcs11 without pin", {"--key-provider", "pkcs11", "--pkcs11-module", "m", "--pkcs11-token-label", "t"}},
           {"pkcs11 flags with the file provider", {"--pkcs11-module", "m"}},
       }) {
    SCOPED_TRACE(c.name);
    EXPECT_FALSE(Parse(c.args).ok());
  }
}

TEST(ServerOptions, ConfigFileAndUnknownSettings) {
  auto good = Parse({"--config", WriteConfig("data-dir = \"/var/t\"\nsync-writes = true\nthreads-min = 4\n")});
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  EXPECT_EQ(good->data_dir, "/var/t");
  EXPECT_TRUE(good->sync_writes);
  EXPECT_EQ(good->threads_min, 4u);
  int code = 0;
  auto bad = Parse({"--config", WriteConfig("data-dir = \"/var/t\"\nno-such-setting = 1\n")}, &code);
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(code, 0);
  EXPECT_FALSE(Parse({"--no-such-flag"}).ok());
}

TEST(ServerOptions, LoggingSettingsByFlagAndConfigFile) {
  auto defaults = Parse({});
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->log_level, "info");
  EXPECT_TRUE(defaults->access_log);
  auto flags = Parse({"--no-access-log", "--log-level", "debug"});
  ASSERT_TRUE(flags.ok()) << flags.status().ToString();
  EXPECT_FALSE(flags->access_log);
  EXPECT_EQ(flags->log_level, "debug");
  auto file = Parse({"--config", WriteConfig("log-level = \"warn\"\naccess-log = false\n")});
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_FALSE(file->access_log);
  EXPECT_EQ(file->log_level, "warn");
  EXPECT_FALSE(Parse({"--config", WriteConfig("log-level = \"loud\"\n")}).ok());
}

TEST(ServerOptions, TransportAndBackoffSettingsFromFlagsAndConfig) {
  auto flags = Parse({"--tls-cert", "/c.pem", "--tls-key", "/k.pem", "--tls-client-ca", "/ca.pem",
                      "--admin-require-client-cert", "--auth-fail-limit", "7", "--auth-backoff-max-sec", "60"});
  ASSERT_TRUE(flags.ok()) << flags.status().ToString();
  EXPECT_TRUE(flags->tls());
  EXPECT_EQ(flags->tls_client_ca_file, "/ca.pem");
  EXPECT_TRUE(flags->admin_require_client_cert);
  EXPECT_EQ(flags->auth_fail_limit, 7u);
  EXPECT_EQ(flags->auth_backoff_max_sec, 60);
  auto file = Parse({"--config", WriteConfig("tls-cert = \"/c.pem\"\ntls-key = \"/k.pem\"\n"
                                             "tls-client-ca = \"/ca.pem\"\nadmin-require-client-cert = true\n"
                                             "auth-fail-limit = 0\nauth-fail-window-sec = 30\n"
                                             "auth-backoff-base-sec = 5\nauth-fail-table-size = 1024\n")});
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(file->tls_cert_file, "/c.pem");
  EXPECT_EQ(file->tls_key_file, "/k.pem");
  EXPECT_TRUE(file->admin_require_client_cert);
  EXPECT_EQ(file->auth_fail_limit, 0u);
  EXPECT_EQ(file->auth_fail_window_sec, 30);
  EXPECT_EQ(file->auth_backoff_base_sec, 5);
  EXPECT_EQ(file->auth_fail_table_size, 1024u);
  auto plain = Parse({});
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->tls());
  EXPECT_EQ(plain->auth_fail_limit, 20u);
}

TEST(ServerOptions, RejectsBadValues) {
  const std::vector<std::vector<std::string>> bad = {
      {"--listen", "nohost"},          {"--listen", "127.0.0.1:70000"}, {"--listen", "h:"},
      {"--max-value-bytes", "0"},      {"--max-body-bytes", "10"},      {"--io-threads", "2000"},
      {"--max-connections-per-address", "0"}, {"--head-timeout-sec", "0"}, {"--log-level", "loud"},
      {"--max-connections-per-client", "0"}, {"--read-timeout-sec", "0"},
      {"--tls-cert", "/c.pem"}, {"--tls-key", "/k.pem"}, {"--tls-client-ca", "/ca.pem"},
      {"--tls-cert", "/c.pem", "--tls-key", "/k.pem", "--admin-require-client-cert"},
      {"--auth-fail-window-sec", "0"}, {"--auth-backoff-base-sec", "0"},
      {"--auth-backoff-base-sec", "10", "--auth-backoff-max-sec", "5"}, {"--auth-fail-table-size", "1"},
      {"--max-response-value-bytes", "0"}, {"--max-response-value-bytes", "1073741825"},
  };
  for (const auto& args : bad) {
    SCOPED_TRACE(args[0] + " " + args.back());
    EXPECT_FALSE(Parse(args).ok());
  }
}

}  // namespace
}  // namespace tenantkv::server

namespace tenantkv::server {
namespace {

TEST(ServerOptions, PoolAndIdlePrioritySettings) {
  auto defaults = Parse({});
  ASSERT_TRUE(defaults.ok());
  EXPECT_TRUE(defaults->throttled_idle_priority);
  EXPECT_EQ(defaults->spare_column_families, 64u);
  auto flags = Parse({"--throttled-idle-priority", "false", "--spare-column-families", "0"});
  ASSERT_TRUE(flags.ok()) << flags.status().ToString();
  EXPECT_FALSE(flags->throttled_idle_priority);
  EXPECT_EQ(flags->spare_column_families, 0u);
  auto file = Parse({"--config", WriteConfig("throttled-idle-priority = false\nspare-column-families = 8\n")});
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_FALSE(file->throttled_idle_priority);
  EXPECT_EQ(file->spare_column_families, 8u);
  EXPECT_FALSE(Parse({"--spare-column-families", "5000"}).ok());
  EXPECT_FALSE(Parse({"--throttled-idle-priority", "maybe"}).ok());
}

TEST(ServerOptions, PooledColumnFamiliesSetting) {
  auto defaults = Parse({});
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->pooled_column_families, 4u);
  auto flags = Parse({"--pooled-column-families", "8"});
  ASSERT_TRUE(flags.ok()) << flags.status().ToString();
  EXPECT_EQ(flags->pooled_column_families, 8u);
  EXPECT_FALSE(Parse({"--pooled-column-families", "0"}).ok());
  EXPECT_FALSE(Parse({"--pooled-column-families", "65"}).ok());
}

TEST(ServerOptions, PlanTierSetting) {
  auto defaults = Parse({});
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(*PlanTiersOf(*defaults), (std::map<std::string, engine::Tier>{{"free", engine::Tier::kPooled}}));
  auto flags = Parse({"--plan-tier", "free=column_family", "--plan-tier", "trial=pooled", "--plan-tier",
                      "premium=dedicated"});
  ASSERT_TRUE(flags.ok()) << flags.status().ToString();
  EXPECT_EQ(*PlanTiersOf(*flags), (std::map<std::string, engine::Tier>{{"free", engine::Tier::kColumnFamily},
                                                                       {"trial", engine::Tier::kPooled},
                                                                       {"premium", engine::Tier::kDedicated}}));
  for (const char* bad : {"free=private", "free", "=pooled", "free=Pooled"}) {
    EXPECT_FALSE(Parse({"--plan-tier", bad}).ok()) << bad;
  }
}

TEST(ServerOptions, ApiKeyCapSetting) {
  auto defaults = Parse({});
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->max_api_keys_per_tenant, 100u);
  auto flags = Parse({"--max-api-keys-per-tenant", "5"});
  ASSERT_TRUE(flags.ok()) << flags.status().ToString();
  EXPECT_EQ(flags->max_api_keys_per_tenant, 5u);
  auto file = Parse({"--config", WriteConfig("max-api-keys-per-tenant = 7\n")});
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(file->max_api_keys_per_tenant, 7u);
  EXPECT_FALSE(Parse({"--max-api-keys-per-tenant", "0"}).ok());
  EXPECT_FALSE(Parse({"--max-api-keys-per-tenant", "100001"}).ok());
}

TEST(ServerOptions, KeyRotationScheduleSettings) {
  auto defaults = Parse({});
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->key_max_age_days, 90);
  EXPECT_EQ(defaults->key_rotation_check_sec, 3600);
  auto flags = Parse({"--key-max-age-days", "0", "--key-rotation-check-sec", "60"});
  ASSERT_TRUE(flags.ok()) << flags.status().ToString();
  EXPECT_EQ(flags->key_max_age_days, 0);
  EXPECT_EQ(flags->key_rotation_check_sec, 60);
  auto file = Parse({"--config", WriteConfig("key-max-age-days = 30\nkey-rotation-check-sec = 0\n")});
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(file->key_max_age_days, 30);
  EXPECT_EQ(file->key_rotation_check_sec, 0);
  for (const char* bad : {"-1", "36501", "ninety"}) {
    EXPECT_FALSE(Parse({"--key-max-age-days", bad}).ok()) << bad;
  }
  EXPECT_FALSE(Parse({"--key-rotation-check-sec", "-5"}).ok());
  EXPECT_FALSE(Parse({"--key-rotation-check-sec", "604801"}).ok());
  EXPECT_EQ(defaults->key_cache_ttl_sec, 300);
  auto ttl = Parse({"--key-cache-ttl-sec", "0"});
  ASSERT_TRUE(ttl.ok()) << ttl.status().ToString();
  EXPECT_EQ(ttl->key_cache_ttl_sec, 0);
  EXPECT_FALSE(Parse({"--key-cache-ttl-sec", "-1"}).ok());
  EXPECT_FALSE(Parse({"--key-cache-ttl-sec", "86401"}).ok());
}

TEST(ServerOptions, KeyRotationSettings) {
  auto defaults = Parse({});
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->max_seals_per_key, uint64_t{1} << 31);
  EXPECT_EQ(defaults->reencrypt_batch_keys, 32u);
  EXPECT_EQ(defaults->reencrypt_duty_percent, 20);
  auto flags = Parse({"--max-seals-per-key", "1000", "--reencrypt-batch-keys", "8", "--reencrypt-duty-percent", "5"});
  ASSERT_TRUE(flags.ok()) << flags.status().ToString();
  EXPECT_EQ(flags->max_seals_per_key, 1000u);
  EXPECT_EQ(flags->reencrypt_batch_keys, 8u);
  EXPECT_EQ(flags->reencrypt_duty_percent, 5);
  auto file = Parse({"--config", WriteConfig("max-seals-per-key = 4294967296\n")});
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(file->max_seals_per_key, uint64_t{1} << 32);
  const std::vector<std::vector<std::string>> bad = {
      {"--max-seals-per-key", "0"},     {"--max-seals-per-key", "4294967297"},
      {"--reencrypt-batch-keys", "0"},  {"--reencrypt-batch-keys", "10001"},
      {"--reencrypt-duty-percent", "0"}, {"--reencrypt-duty-percent", "101"},
  };
  for (const auto& args : bad) {
    SCOPED_TRACE(args[0] + " " + args[1]);
    EXPECT_FALSE(Parse(args).ok());
  }
}

}  // namespace
}  // namespace tenantkv::server

namespace tenantkv::server {
namespace {

TEST(ServerOptions, SchedulerSlotsAutoDependsOnSyncWrites) {
  auto defaults = Parse({});
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->scheduler_slots, 0u);
  EXPECT_EQ(defaults->EffectiveSchedulerSlots(), 4u);
  auto sync = Parse({"--sync-writes"});
  ASSERT_TRUE(sync.ok());
  EXPECT_EQ(sync->EffectiveSchedulerSlots(), 64u);
  auto given = Parse({"--sync-writes", "--scheduler-slots", "6"});
  ASSERT_TRUE(given.ok());
  EXPECT_EQ(given->EffectiveSchedulerSlots(), 6u);
  auto zero = Parse({"--scheduler-slots", "0"});
  ASSERT_TRUE(zero.ok()) << zero.status().ToString();
  EXPECT_EQ(zero->EffectiveSchedulerSlots(), 4u);
  EXPECT_FALSE(Parse({"--scheduler-slots", "257"}).ok());
}

TEST(ServerOptions, GroupCommitDelayHasADefaultAndABound) {
  auto defaults = Parse({});
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->group_commit_delay_us, 1000);
  auto none = Parse({"--sync-writes", "--group-commit-delay-us", "0"});
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ(none->group_commit_delay_us, 0);
  EXPECT_FALSE(Parse({"--group-commit-delay-us", "-1"}).ok());
  EXPECT_FALSE(Parse({"--group-commit-delay-us", "100001"}).ok());
}

TEST(ServerOptions, MetricsCardinalityHasDefaultsAndBounds) {
  auto defaults = Parse({});
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->metrics_active_tenants, 1000u);
  EXPECT_EQ(defaults->metrics_active_window_sec, 300);
  EXPECT_EQ(defaults->metrics_top_tenants, 100u);
  auto set = Parse({"--metrics-active-tenants", "0", "--metrics-active-window-sec", "60", "--metrics-top-tenants", "5"});
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->metrics_active_tenants, 0u);
  EXPECT_EQ(set->metrics_active_window_sec, 60);
  EXPECT_EQ(set->metrics_top_tenants, 5u);
  EXPECT_FALSE(Parse({"--metrics-active-tenants", "100001"}).ok());
  EXPECT_FALSE(Parse({"--metrics-top-tenants", "100001"}).ok());
  EXPECT_FALSE(Parse({"--metrics-active-window-sec", "0"}).ok());
  EXPECT_FALSE(Parse({"--metrics-active-window-sec", "86401"}).ok());
}

}  // namespace
}  // namespace tenantkv::server

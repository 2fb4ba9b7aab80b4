#include "server/app/engine_options.h"

#include <CLI/CLI.hpp>

namespace tenantkv::server {

engine::RotationPolicy RotationPolicyOf(const EngineOptions& o) {
  engine::RotationPolicy p;
  p.max_age_ms = int64_t{o.key_max_age_days} * 24 * 3600 * 1000;
  p.max_seals = o.max_seals_per_key;
  return p;
}

Status EngineOptions::Validate() const {
  if (secure_heap_mb < 1 || secure_heap_mb > 1024 || (secure_heap_mb & (secure_heap_mb - 1)) != 0) {
    return Status::InvalidArgument("--secure-heap-mb must be a power of two, 1..1024");
  }
  if (data_dir.empty()) return Status::InvalidArgument("--data-dir must not be empty");
  if (max_value_bytes == 0 || max_value_bytes > (64u << 20)) {
    return Status::InvalidArgument("--max-value-bytes must be 1..67108864");
  }
  if (scheduler_slots > 256) {
    return Status::InvalidArgument("--scheduler-slots must be 0 (auto) or 1..256");
  }
  if (spare_column_families > 4096) {
    return Status::InvalidArgument("--spare-column-families must be 0..4096");
  }
  if (pooled_column_families == 0 || pooled_column_families > 64) {
    return Status::InvalidArgument("--pooled-column-families must be 1..64");
  }
  if (dedicated_block_cache_mb == 0 || dedicated_block_cache_mb > 65536) {
    return Status::InvalidArgument("--dedicated-block-cache-mb must be 1..65536");
  }
  if (dedicated_memtable_mb == 0 || dedicated_memtable_mb > 65536) {
    return Status::InvalidArgument("--dedicated-memtable-mb must be 1..65536");
  }
  if (max_tier_moves == 0 || max_tier_moves > 64) {
    return Status::InvalidArgument("--max-tier-moves must be 1..64");
  }
  if (tier_move_keys_per_sec < 0) return Status::InvalidArgument("--tier-move-keys-per-sec must be >= 0");
  if (!test_hold_tier_move.empty() && test_hold_tier_move != "copying" && test_hold_tier_move != "switching" &&
      test_hold_tier_move != "switched") {
    return Status::InvalidArgument("--test-hold-tier-move must be copying, switching or switched");
  }
  TKV_RETURN_IF_ERROR(PlanTiersOf(*this).status());
  if (max_api_keys_per_tenant == 0 || max_api_keys_per_tenant > 100000) {
    return Status::InvalidArgument("--max-api-keys-per-tenant must be 1..100000");
  }
  if (key_max_age_days < 0 || key_max_age_days > 36500) {
    return Status::InvalidArgument("--key-max-age-days must be 0..36500");
  }
  if (key_rotation_check_sec < 0 || key_rotation_check_sec > 7 * 86400) {
    return Status::InvalidArgument("--key-rotation-check-sec must be 0..604800");
  }
  if (key_cache_ttl_sec < 0 || key_cache_ttl_sec > 86400) {
    return Status::InvalidArgument("--key-cache-ttl-sec must be 0..86400");
  }
  if (max_seals_per_key == 0 || max_seals_per_key > (uint64_t{1} << 32)) {
    return Status::InvalidArgument("--max-seals-per-key must be 1..4294967296");
  }
  if (reencrypt_batch_keys == 0 || reencrypt_batch_keys > 10000) {
    return Status::InvalidArgument("--reencrypt-batch-keys must be 1..10000");
  }
  if (group_commit_delay_us < 0 || group_commit_delay_us > 100000) {
    return Status::InvalidArgument("--group-commit-delay-us must be 0..100000");
  }
  if (reencrypt_duty_percent < 1 || reencrypt_duty_percent > 100) {
    return Status::InvalidArgument("--reencrypt-duty-percent must be 1..100");
  }
  if (scheduler_capacity_ops < 0 || scheduler_capacity_ops > 1'000'000'000) {
    return Status::InvalidArgument("--scheduler-capacity-ops must be 0..1000000000");
  }
  if (storage_overcommit_ratio < 1 || storage_overcommit_ratio > 1000) {
    return Status::InvalidArgument("--storage-overcommit-ratio must be 1..1000");
  }
  if (capacity_disk_bytes < 0) return Status::InvalidArgument("--capacity-disk-bytes must be >= 0");
  if (quota_approvals_required < 1 || quota_approvals_required > 2) {
    return Status::InvalidArgument("--quota-approvals-required must be 1 or 2");
  }
  return Status::Ok();
}

Result<std::map<std::string, engine::Tier>> PlanTiersOf(const EngineOptions& o) {
  std::map<std::string, engine::Tier> tiers = engine::RegistryOptions().plan_tiers;
  for (const std::string& entry : o.plan_tiers) {
    const size_t eq = entry.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status::InvalidArgument("--plan-tier takes PLAN=TIER, not '" + entry + "'");
    }
    auto tier = engine::ParseTier(entry.substr(eq + 1));
    if (!tier.ok()) return Status::InvalidArgument("--plan-tier " + entry + ": " + tier.status().message());
    tiers[entry.substr(0, eq)] = *tier;
  }
  return tiers;
}

void EngineOptions::AddFlags(CLI::App& app) {
  app.add_option("--data-dir", data_dir, "data directory")->capture_default_str();
  app.add_flag("--sync-writes,!--no-sync-writes", sync_writes,
               "fsync the WAL before acknowledging each write (power-loss safe)");
  app.add_option("--group-commit-delay-us", group_commit_delay_us,
                 "with --sync-writes: how long a commit may wait for more writers to share its fsync (0 = none)")
      ->capture_default_str();
  app.add_option("--max-value-bytes", max_value_bytes, "largest value")->capture_default_str();
  app.add_option("--block-cache-mb", block_cache_mb, "RocksDB block cache")->capture_default_str();
  app.add_option("--secure-heap-mb", secure_heap_mb,
                 "locked, never-dumped memory for key material (a power of two, 1..1024; about 32,000 data "
                 "keys per MiB; keep it within the memlock limit, e.g. LimitMEMLOCK=)")
      ->capture_default_str();
  app.add_flag("--scan-fill-cache,!--no-scan-fill-cache", scan_fill_cache,
               "list scans put the blocks they read in the block cache (default off: one tenant's large "
               "scan cannot evict the others' hot blocks)");
  app.add_option("--memtable-budget-mb", memtable_budget_mb, "RocksDB memtable budget")
      ->capture_default_str();
  app.add_option("--scheduler-slots", scheduler_slots,
                 "storage operations running at once; 0 = auto (4, or 64 with --sync-writes)")
      ->capture_default_str();
  app.add_option("--max-seals-per-key", max_seals_per_key,
                 "seals one data-key version may make before it is rotated automatically")
      ->capture_default_str();
  app.add_option("--reencrypt-batch-keys", reencrypt_batch_keys,
                 "values examined per background re-encryption step after a rotation")
      ->capture_default_str();
  app.add_option("--reencrypt-duty-percent", reencrypt_duty_percent,
                 "most of the wall time background re-encryption may work (percent)")
      ->capture_default_str();
  app.add_option("--spare-column-families", spare_column_families,
                 "column families made ahead for new tenants (refilled in batches)")
      ->capture_default_str();
  app.add_option("--plan-tier", plan_tiers,
                 "PLAN=TIER: the tier (pooled, column_family or dedicated) of the plan's new tenants when their "
                 "create names none; repeatable (built in: free=pooled, other plans column_family)");
  app.add_option("--dedicated-dir", dedicated_dir,
                 "directory of the dedicated tier's databases, one per tenant (may be its own volume); "
                 "default DATA_DIR/dedicated");
  app.add_option("--dedicated-block-cache-mb", dedicated_block_cache_mb,
                 "block cache of each dedicated tenant's own database")
      ->capture_default_str();
  app.add_option("--dedicated-memtable-mb", dedicated_memtable_mb,
                 "memtable budget of each dedicated tenant's own database")
      ->capture_default_str();
  app.add_option("--pooled-column-families", pooled_column_families,
                 "column families shared by the tenants of the pooled tier (made at the first start "
                 "that needs them; lowering it only stops new tenants going to the ones past it)")
      ->capture_default_str();
  app.add_option("--max-tier-moves", max_tier_moves,
                 "online tier moves running at once; more are refused (503 too_many_moves)")
      ->capture_default_str();
  app.add_option("--tier-move-keys-per-sec", tier_move_keys_per_sec,
                 "the pace of a tier move's copy, in keys per second (0: as fast as it goes)")
      ->capture_default_str();
  app.add_option("--test-hold-tier-move", test_hold_tier_move,
                 "for crash tests only: tier moves stop at this step (copying, switching or switched) "
                 "until the server stops")
      ->group("");
  app.add_option("--max-api-keys-per-tenant", max_api_keys_per_tenant,
                 "active API keys one tenant may have; creating more is refused (409 api_key_limit)")
      ->capture_default_str();
  app.add_option("--key-max-age-days", key_max_age_days,
                 "rotate a tenant's data key once it is this many days old (0 = never by age)")
      ->capture_default_str();
  app.add_option("--key-rotation-check-sec", key_rotation_check_sec,
                 "seconds between the server's key-rotation policy checks (0 = only on demand)")
      ->capture_default_str();
  app.add_option("--key-cache-ttl-sec", key_cache_ttl_sec,
                 "seconds an unwrapped data key may stay in memory unused (0 = for the process's life)")
      ->capture_default_str();
  app.add_option("--scheduler-capacity-ops", scheduler_capacity_ops,
                 "operations per second the node serves: a quota change that would make the tenants' "
                 "reserved_ops_per_sec add up to more is refused (409 over_capacity)")
      ->capture_default_str();
  app.add_option("--storage-overcommit-ratio", storage_overcommit_ratio,
                 "a quota change that would make the tenants' storage_bytes add up to more than the data "
                 "disk's size times this is refused (409 over_capacity)")
      ->capture_default_str();
  app.add_option("--capacity-disk-bytes", capacity_disk_bytes,
                 "the data disk's size the storage check uses; 0 = the size of the file system holding "
                 "--data-dir")
      ->capture_default_str();
  app.add_flag("--capacity-check-on-create,!--no-capacity-check-on-create", capacity_check_on_create,
               "also refuse a tenant whose plan defaults do not fit the node's capacity (off: fleets of "
               "small tenants are not refused by the sum of nominal quotas)");
  app.add_option("--quota-approvals-required", quota_approvals_required,
                 "distinct operators whose approvals apply a quota request: 1, or 2 (four eyes; the "
                 "bootstrap token counts as one, named operator)")
      ->capture_default_str();
}

}  // namespace tenantkv::server

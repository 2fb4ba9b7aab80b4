// EngineOptions: the server's settings for the storage engine (data
// directory, durability, RocksDB memory, the fair scheduler, column-family
// spares, the API-key cap) and for data-key rotation. ServerApp turns them
// into engine::EngineOptions and the rotation policy. None change at run
// time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "crypto/status.h"
#include "engine/rotation/rotation_policy.h"
#include "engine/tenants/tenant_registry.h"

namespace CLI {
class App;
}  // namespace CLI

namespace tenantkv::server {

struct EngineOptions {
  std::string data_dir = "./data";       // RocksDB, master.key, operator.token
  bool sync_writes = false;              // fsync before ack: survives power loss, slower
  int group_commit_delay_us = 1000;      // with sync_writes: a commit's longest wait for more writers (0..100000)
  size_t max_value_bytes = 1 << 20;      // largest value (bytes)
  size_t block_cache_mb = 64;            // RocksDB block cache shared by all tenants
  size_t secure_heap_mb = 4;             // locked memory for key material (a power of two, 1..1024)
  bool scan_fill_cache = false;          // list scans fill the block cache (off: they read around it)
  size_t memtable_budget_mb = 128;       // RocksDB memtables of all tenants together
  size_t scheduler_slots = 0;            // storage operations running at once (fair scheduler); 0 = auto
  size_t spare_column_families = 64;     // made ahead so tenant creation stalls nobody
  size_t pooled_column_families = 4;     // shared by the pooled tier's tenants
  std::string dedicated_dir;             // the dedicated tier's databases; "" = DATA_DIR/dedicated
  size_t dedicated_block_cache_mb = 8;   // each dedicated tenant's own block cache (1..65536)
  size_t dedicated_memtable_mb = 16;     // each dedicated tenant's own memtable budget (1..65536)
  size_t max_tier_moves = 2;             // online tier moves running at once (1..64)
  int64_t tier_move_keys_per_sec = 0;    // the copy's pace per move; 0 = as fast as it goes
  std::string test_hold_tier_move;       // tests only: a move waits at this step (tier_mover.h)
  // "PLAN=TIER" entries: a plan's default tier, over the built-in ones
  // (free=pooled; any other plan column_family).
  std::vector<std::string> plan_tiers;
  size_t max_api_keys_per_tenant = 100;  // active API keys one tenant may have (1..100000)
  // Scheduled data-key rotation: the server checks the policy on a timer and
  // `tenantkv-admin keys rotate --due` checks it on demand.
  int key_max_age_days = 90;             // a data key this old is rotated; 0 = never by age
  int key_rotation_check_sec = 3600;     // how often the server checks; 0 = only on demand
  int key_cache_ttl_sec = 300;           // an unwrapped data key unused this long leaves memory; 0 = never
  uint64_t max_seals_per_key = uint64_t{1} << 31;  // seals per data-key version before an automatic rotation (1..2^32)
  size_t reencrypt_batch_keys = 32;      // values examined per background re-encryption step (1..10000)
  int reencrypt_duty_percent = 20;       // most of the wall time re-encryption may work (1..100)
  // The node's capacity, judged on every quota change (409 over_capacity):
  int64_t scheduler_capacity_ops = 10000;  // ops/s the tenants' reserved_ops_per_sec may add up to (0..10^9)
  int64_t storage_overcommit_ratio = 10;   // storage quotas may add up to the disk's size x this (1..1000)
  int64_t capacity_disk_bytes = 0;         // the data disk's size for that; 0 = measured (statvfs)
  bool capacity_check_on_create = false;   // also judge a new tenant's plan defaults
  int quota_approvals_required = 1;        // distinct operators who approve a quota request (1, or 2 = four eyes)

  // The scheduler's slots: scheduler_slots if set, else 4, or 64 with
  // sync_writes (a durable write holds its slot while it waits for the
  // WAL fsync; more of them in flight share one fsync through RocksDB's
  // group commit, so 4 slots would cap durable writes at 4 per fsync).
  size_t EffectiveSchedulerSlots() const {
    if (scheduler_slots != 0) return scheduler_slots;
    return sync_writes ? 64 : 4;
  }
  // InvalidArgument naming the first bad setting.
  Status Validate() const;
  // --data-dir, --sync-writes, --max-value-bytes, the RocksDB, scheduler,
  // spare and API-key settings and the key-rotation ones, bound to this
  // struct's fields.
  void AddFlags(CLI::App& app);
};

// The data-key rotation policy the settings describe (key_max_age_days,
// max_seals_per_key).
engine::RotationPolicy RotationPolicyOf(const EngineOptions& o);

// The default tier of each plan named: the built-in ones (free=pooled) with
// the --plan-tier entries over them. InvalidArgument for a bad entry.
Result<std::map<std::string, engine::Tier>> PlanTiersOf(const EngineOptions& o);

}  // namespace tenantkv::server

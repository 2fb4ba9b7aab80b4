// ServerOptions: every setting of tenantkv-server. Each one can be given as
// a flag (--data-dir) or in the config file (data-dir = "...", TOML/INI);
// unknown settings in the file are an error. None change at run time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "crypto/status.h"
#include "engine/rotation/rotation_policy.h"

namespace tenantkv::server {

struct ServerOptions {
  std::string data_dir = "./data";       // RocksDB, master.key, operator.token
  std::string listen = "127.0.0.1:8080";  // HOST:PORT; port 0 picks a free port
  std::string master_key_file;           // default DATA_DIR/master.key (key_provider "file")
  std::string key_provider = "file";     // where master keys live: file | pkcs11
  std::string pkcs11_module;             // pkcs11: the module (.so) path
  std::string pkcs11_token_label;        // pkcs11: the token, by label
  std::string pkcs11_pin_file;           // pkcs11: the user PIN, in a 0600 file
  std::string operator_token_file;       // default DATA_DIR/operator.token
  bool sync_writes = false;              // fsync before ack: survives power loss, slower
  size_t max_value_bytes = 1 << 20;      // largest value (bytes)
  size_t max_body_bytes = 8 << 20;       // largest request body (bytes), >= max_value_bytes
  // Raw value bytes of one list page or one batch answer at most (bytes,
  // 1..2^30); a tenant's burst_read_bytes may bound it lower. Bounds the
  // memory one answer can take.
  size_t max_response_value_bytes = 16 << 20;
  size_t threads_min = 8;                // connection threads kept warm
  size_t threads_max = 512;              // connection threads at most (one per open connection)
  size_t max_connections_per_client = 64;  // open connections per client IP
  size_t keep_alive_max_requests = 10000;  // requests per connection before it is closed
  int keep_alive_timeout_sec = 5;        // idle time before a keep-alive connection is closed
  int read_timeout_sec = 5;              // a client silent this long mid-request is dropped
  int write_timeout_sec = 5;
  int listen_backlog = 4096;             // kernel accept queue (httplib's built-in is 5)
  size_t block_cache_mb = 64;            // RocksDB block cache shared by all tenants
  size_t memtable_budget_mb = 128;       // RocksDB memtables of all tenants together
  std::string log_level = "info";        // trace|debug|info|warn|error|off (JSON lines on stderr)
  bool access_log = true;                // one JSON line per request on stderr, whatever log_level
  size_t scheduler_slots = 0;            // storage operations running at once (fair scheduler); 0 = auto
  bool bypass_scheduler = false;         // measurement only: no scheduler at all
  bool throttled_idle_priority = true;   // refused connections run at SCHED_IDLE until admitted
  size_t spare_column_families = 64;     // made ahead so tenant creation stalls nobody
  size_t max_api_keys_per_tenant = 100;  // active API keys one tenant may have (1..100000)
  // Scheduled data-key rotation: the server checks the policy on a timer and
  // `tenantkv-admin keys rotate --due` checks it on demand.
  int key_max_age_days = 90;             // a data key this old is rotated; 0 = never by age
  int key_rotation_check_sec = 3600;     // how often the server checks; 0 = only on demand
  int key_cache_ttl_sec = 300;           // an unwrapped data key unused this long leaves memory; 0 = never
  uint64_t max_seals_per_key = uint64_t{1} << 31;  // seals per data-key version before an automatic rotation (1..2^32)
  size_t reencrypt_batch_keys = 32;      // values examined per background re-encryption step (1..10000)
  int reencrypt_duty_percent = 20;       // most of the wall time re-encryption may work (1..100)

  // Transport security. TLS is on when tls_cert_file is set (then
  // tls_key_file is required too): TLS 1.2 and 1.3 only.
  std::string tls_cert_file;             // PEM server certificate chain (leaf first)
  std::string tls_key_file;              // PEM private key of the leaf certificate
  std::string tls_client_ca_file;        // PEM CA(s) whose client certificates are accepted
  bool admin_require_client_cert = false;  // admin routes need a verified client cert (needs the CA)

  // Brute-force protection, per client address (IPv6 per /64).
  // auth_fail_limit 0 turns it off.
  size_t auth_fail_limit = 20;           // failed authentications within the window before refusal
  int auth_fail_window_sec = 60;         // window over which failures are counted (seconds)
  int auth_backoff_base_sec = 2;         // first refusal period; doubles with each repeat (seconds)
  int auth_backoff_max_sec = 600;        // longest refusal period (seconds)
  size_t auth_fail_table_size = 65536;   // client addresses remembered at most (LRU)

  bool tls() const { return !tls_cert_file.empty(); }
  // The scheduler's slots: scheduler_slots if set, else 4, or 32 with
  // sync_writes (a durable write holds its slot while it waits for the
  // WAL fsync; more of them in flight share one fsync through RocksDB's
  // group commit, so 4 slots would cap durable writes at 4 per fsync).
  size_t EffectiveSchedulerSlots() const {
    if (scheduler_slots != 0) return scheduler_slots;
    return sync_writes ? 64 : 4;
  }
  std::string restore_from;              // a node backup dir: restore it into DATA_DIR, then exit
  uint32_t restore_backup_id = 0;        // which backup to restore; 0 = the newest

  // InvalidArgument naming the first bad setting.
  Status Validate() const;
  // Splits `listen` into host and port (validated).
  Status ParseListen(std::string* host, int* port) const;
};

// The data-key rotation policy the settings describe (key_max_age_days,
// max_seals_per_key).
engine::RotationPolicy RotationPolicyOf(const ServerOptions& o);

// Parses the command line (and the --config file it names). On --help the
// result is an error with *exit_code 0 and the help text in *message (print
// it, exit 0); on a usage error *exit_code is non-zero and *message says why.
Result<ServerOptions> ParseServerArgs(int argc, const char* const* argv, int* exit_code,
                                      std::string* message);

}  // namespace tenantkv::server

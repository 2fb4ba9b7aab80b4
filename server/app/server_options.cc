#include "server/app/server_options.h"

#include <CLI/CLI.hpp>

namespace tenantkv::server {

Status ServerOptions::ParseListen(std::string* host, int* port) const {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return Status::InvalidArgument("--listen must be HOST:PORT, e.g. 127.0.0.1:8080");
  }
  std::string h = listen.substr(0, colon);
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  const std::string p = listen.substr(colon + 1);
  if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(p) > 65535) {
    return Status::InvalidArgument("--listen port must be 0..65535");
  }
  *host = h;
  *port = std::stoi(p);
  return Status::Ok();
}

engine::RotationPolicy RotationPolicyOf(const ServerOptions& o) {
  engine::RotationPolicy p;
  p.max_age_ms = int64_t{o.key_max_age_days} * 24 * 3600 * 1000;
  p.max_seals = o.max_seals_per_key;
  return p;
}

Status ServerOptions::Validate() const {
  std::string host;
  int port = 0;
  TKV_RETURN_IF_ERROR(ParseListen(&host, &port));
  if (data_dir.empty()) return Status::InvalidArgument("--data-dir must not be empty");
  if (max_value_bytes == 0 || max_value_bytes > (64u << 20)) {
    return Status::InvalidArgument("--max-value-bytes must be 1..67108864");
  }
  if (max_body_bytes < max_value_bytes) {
    return Status::InvalidArgument("--max-body-bytes must be >= --max-value-bytes");
  }
  if (max_response_value_bytes == 0 || max_response_value_bytes > (size_t{1} << 30)) {
    return Status::InvalidArgument("--max-response-value-bytes must be 1..1073741824");
  }
  if (threads_min == 0 || threads_max < threads_min || threads_max > 16384) {
    return Status::InvalidArgument("need 1 <= --threads-min <= --threads-max <= 16384");
  }
  if (max_connections_per_client == 0 || max_connections_per_client > threads_max) {
    return Status::InvalidArgument("need 1 <= --max-connections-per-client <= --threads-max");
  }
  if (keep_alive_max_requests == 0) return Status::InvalidArgument("--keep-alive-max-requests must be >= 1");
  if (keep_alive_timeout_sec <= 0 || read_timeout_sec <= 0 || write_timeout_sec <= 0) {
    return Status::InvalidArgument("timeouts must be >= 1 second");
  }
  if (listen_backlog < 16) return Status::InvalidArgument("--listen-backlog must be >= 16");
  if (scheduler_slots > 256) {
    return Status::InvalidArgument("--scheduler-slots must be 0 (auto) or 1..256");
  }
  if (spare_column_families > 4096) {
    return Status::InvalidArgument("--spare-column-families must be 0..4096");
  }
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
  if (reencrypt_duty_percent < 1 || reencrypt_duty_percent > 100) {
    return Status::InvalidArgument("--reencrypt-duty-percent must be 1..100");
  }
  if (tls_cert_file.empty() != tls_key_file.empty()) {
    return Status::InvalidArgument("--tls-cert and --tls-key must be given together");
  }
  if (!tls_client_ca_file.empty() && !tls()) {
    return Status::InvalidArgument("--tls-client-ca needs --tls-cert and --tls-key");
  }
  if (admin_require_client_cert && tls_client_ca_file.empty()) {
    return Status::InvalidArgument("--admin-require-client-cert needs --tls-client-ca");
  }
  if (auth_fail_limit > 0) {
    if (auth_fail_window_sec <= 0 || auth_fail_window_sec > 86400) {
      return Status::InvalidArgument("--auth-fail-window-sec must be 1..86400");
    }
    if (auth_backoff_base_sec <= 0 || auth_backoff_max_sec < auth_backoff_base_sec ||
        auth_backoff_max_sec > 86400) {
      return Status::InvalidArgument("need 1 <= --auth-backoff-base-sec <= --auth-backoff-max-sec <= 86400");
    }
    if (auth_fail_table_size < 16 || auth_fail_table_size > (1u << 24)) {
      return Status::InvalidArgument("--auth-fail-table-size must be 16..16777216");
    }
  }
  static const char* kLevels[] = {"trace", "debug", "info", "warn", "error", "off"};
  bool level_ok = false;
  for (const char* l : kLevels) level_ok = level_ok || log_level == l;
  if (!level_ok) return Status::InvalidArgument("--log-level must be trace|debug|info|warn|error|off");
  if (key_provider != "file" && key_provider != "pkcs11") {
    return Status::InvalidArgument("--key-provider must be file or pkcs11");
  }
  if (key_provider == "pkcs11" &&
      (pkcs11_module.empty() || pkcs11_token_label.empty() || pkcs11_pin_file.empty())) {
    return Status::InvalidArgument(
        "--key-provider pkcs11 needs --pkcs11-module, --pkcs11-token-label and --pkcs11-pin-file");
  }
  if (key_provider == "file" &&
      !(pkcs11_module.empty() && pkcs11_token_label.empty() && pkcs11_pin_file.empty())) {
    return Status::InvalidArgument("--pkcs11-* options need --key-provider pkcs11");
  }
  if (restore_backup_id != 0 && restore_from.empty()) {
    return Status::InvalidArgument("--backup-id needs --restore-from");
  }
  return Status::Ok();
}

Result<ServerOptions> ParseServerArgs(int argc, const char* const* argv, int* exit_code,
                                      std::string* message) {
  ServerOptions o;
  CLI::App app{"tenantkv-server: multi-tenant encrypted key-value storage"};
  app.set_config("--config", "", "config file (TOML or INI); every setting is also a flag");
  app.allow_config_extras(CLI::config_extras_mode::error);
  app.add_option("--data-dir", o.data_dir, "data directory")->capture_default_str();
  app.add_option("--listen", o.listen, "HOST:PORT to listen on (port 0 = any free port)")
      ->capture_default_str();
  app.add_option("--master-key-file", o.master_key_file, "master key file (default DATA_DIR/master.key)");
  app.add_option("--key-provider", o.key_provider,
                 "where master keys live: file (DATA_DIR/master.key) or pkcs11 (an HSM)")
      ->capture_default_str();
  app.add_option("--pkcs11-module", o.pkcs11_module, "pkcs11: path of the PKCS#11 module (.so)");
  app.add_option("--pkcs11-token-label", o.pkcs11_token_label, "pkcs11: label of the token to use");
  app.add_option("--pkcs11-pin-file", o.pkcs11_pin_file, "pkcs11: file holding the user PIN (mode 0600)");
  app.add_option("--operator-token-file", o.operator_token_file,
                 "operator token file (default DATA_DIR/operator.token)");
  app.add_flag("--sync-writes,!--no-sync-writes", o.sync_writes,
               "fsync the WAL before acknowledging each write (power-loss safe)");
  app.add_option("--max-value-bytes", o.max_value_bytes, "largest value")->capture_default_str();
  app.add_option("--max-body-bytes", o.max_body_bytes, "largest request body")->capture_default_str();
  app.add_option("--max-response-value-bytes", o.max_response_value_bytes,
                 "raw value bytes of one list page or batch answer at most (a tenant's burst_read_bytes "
                 "may bound it lower)")
      ->capture_default_str();
  app.add_option("--threads-min", o.threads_min, "connection threads kept warm")->capture_default_str();
  app.add_option("--threads-max", o.threads_max, "connection threads at most")->capture_default_str();
  app.add_option("--max-connections-per-client", o.max_connections_per_client,
                 "open connections per client address")->capture_default_str();
  app.add_option("--keep-alive-max-requests", o.keep_alive_max_requests,
                 "requests per connection")->capture_default_str();
  app.add_option("--keep-alive-timeout-sec", o.keep_alive_timeout_sec, "idle keep-alive timeout")
      ->capture_default_str();
  app.add_option("--read-timeout-sec", o.read_timeout_sec, "read timeout")->capture_default_str();
  app.add_option("--write-timeout-sec", o.write_timeout_sec, "write timeout")->capture_default_str();
  app.add_option("--listen-backlog", o.listen_backlog, "kernel accept queue length")->capture_default_str();
  app.add_option("--block-cache-mb", o.block_cache_mb, "RocksDB block cache")->capture_default_str();
  app.add_option("--memtable-budget-mb", o.memtable_budget_mb, "RocksDB memtable budget")
      ->capture_default_str();
  app.add_option("--log-level", o.log_level, "trace|debug|info|warn|error|off")->capture_default_str();
  app.add_flag("--access-log,!--no-access-log", o.access_log,
               "one JSON line per request on stderr (default on; independent of --log-level)");
  app.add_option("--scheduler-slots", o.scheduler_slots,
                 "storage operations running at once; 0 = auto (4, or 64 with --sync-writes)")
      ->capture_default_str();
  app.add_option("--max-seals-per-key", o.max_seals_per_key,
                 "seals one data-key version may make before it is rotated automatically")
      ->capture_default_str();
  app.add_option("--reencrypt-batch-keys", o.reencrypt_batch_keys,
                 "values examined per background re-encryption step after a rotation")
      ->capture_default_str();
  app.add_option("--reencrypt-duty-percent", o.reencrypt_duty_percent,
                 "most of the wall time background re-encryption may work (percent)")
      ->capture_default_str();
  app.add_option("--spare-column-families", o.spare_column_families,
                 "column families made ahead for new tenants (refilled in batches)")
      ->capture_default_str();
  app.add_option("--max-api-keys-per-tenant", o.max_api_keys_per_tenant,
                 "active API keys one tenant may have; creating more is refused (409 api_key_limit)")
      ->capture_default_str();
  app.add_option("--key-max-age-days", o.key_max_age_days,
                 "rotate a tenant's data key once it is this many days old (0 = never by age)")
      ->capture_default_str();
  app.add_option("--key-rotation-check-sec", o.key_rotation_check_sec,
                 "seconds between the server's key-rotation policy checks (0 = only on demand)")
      ->capture_default_str();
  app.add_option("--key-cache-ttl-sec", o.key_cache_ttl_sec,
                 "seconds an unwrapped data key may stay in memory unused (0 = for the process's life)")
      ->capture_default_str();
  app.add_option("--throttled-idle-priority", o.throttled_idle_priority,
                 "true|false: a connection refused by admission (429) runs at idle CPU priority until "
                 "a request of it is admitted")
      ->capture_default_str();
  app.add_flag("--bypass-scheduler", o.bypass_scheduler,
               "measurement only: skip the fair scheduler (no weights, reservations or deadlines)");
  app.add_option("--tls-cert", o.tls_cert_file, "PEM server certificate chain: serve HTTPS (TLS 1.2+)");
  app.add_option("--tls-key", o.tls_key_file, "PEM private key of --tls-cert");
  app.add_option("--tls-client-ca", o.tls_client_ca_file,
                 "PEM CA file: client certificates it signed are verified (others refused)");
  app.add_flag("--admin-require-client-cert", o.admin_require_client_cert,
               "admin routes need a client certificate verified against --tls-client-ca");
  app.add_option("--auth-fail-limit", o.auth_fail_limit,
                 "failed authentications per client address within the window before 429 (0 = off)")
      ->capture_default_str();
  app.add_option("--auth-fail-window-sec", o.auth_fail_window_sec, "window for counting failures")
      ->capture_default_str();
  app.add_option("--auth-backoff-base-sec", o.auth_backoff_base_sec,
                 "first refusal period; doubles with each repeat")->capture_default_str();
  app.add_option("--auth-backoff-max-sec", o.auth_backoff_max_sec, "longest refusal period")
      ->capture_default_str();
  app.add_option("--auth-fail-table-size", o.auth_fail_table_size,
                 "client addresses tracked at most (least recently seen forgotten first)")
      ->capture_default_str();
  app.add_option("--restore-from", o.restore_from,
                 "restore the node backup in this directory into --data-dir (which must hold no "
                 "database yet), then exit; copy master.key and operator.token separately");
  app.add_option("--backup-id", o.restore_backup_id, "with --restore-from: the backup to restore "
                 "(default: the newest)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::ostringstream out, err;
    *exit_code = app.exit(e, out, err);
    *message = out.str() + err.str();
    while (!message->empty() && message->back() == '\n') message->pop_back();
    return Status::InvalidArgument(*message, "usage");
  }
  *exit_code = 0;
  TKV_RETURN_IF_ERROR(o.Validate());
  if (o.master_key_file.empty()) o.master_key_file = o.data_dir + "/master.key";
  if (o.operator_token_file.empty()) o.operator_token_file = o.data_dir + "/operator.token";
  return o;
}

}  // namespace tenantkv::server

#include "server/app/server_options.h"

#include <CLI/CLI.hpp>

namespace tenantkv::server {

Status ServerOptions::Validate() const {
  TKV_RETURN_IF_ERROR(HttpOptions::Validate());
  TKV_RETURN_IF_ERROR(EngineOptions::Validate());
  TKV_RETURN_IF_ERROR(TlsOptions::Validate());
  TKV_RETURN_IF_ERROR(KeyProviderOptions::Validate());
  TKV_RETURN_IF_ERROR(WebhookOptions::Validate());
  TKV_RETURN_IF_ERROR(ClusterOptions::Validate());
  if (max_body_bytes < max_value_bytes) {
    return Status::InvalidArgument("--max-body-bytes must be >= --max-value-bytes");
  }
  if (max_response_value_bytes == 0 || max_response_value_bytes > (size_t{1} << 30)) {
    return Status::InvalidArgument("--max-response-value-bytes must be 1..1073741824");
  }
  if (metrics_active_tenants > 100000) return Status::InvalidArgument("--metrics-active-tenants must be 0..100000");
  if (metrics_top_tenants > 100000) return Status::InvalidArgument("--metrics-top-tenants must be 0..100000");
  if (metrics_active_window_sec < 1 || metrics_active_window_sec > 86400) {
    return Status::InvalidArgument("--metrics-active-window-sec must be 1..86400");
  }
  if (cluster_mode() && !cluster_tls_cert.empty() && tls_client_ca_file.empty()) {
    // Mutual TLS between nodes: this node verifies theirs too.
    return Status::InvalidArgument("--cluster-tls-cert needs --tls-client-ca (the other nodes' client certificates)");
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
  if (restore_backup_id != 0 && restore_from.empty()) {
    return Status::InvalidArgument("--backup-id needs --restore-from");
  }
  return Status::Ok();
}

void ServerOptions::AddFlags(CLI::App& app) {
  HttpOptions::AddFlags(app);
  TlsOptions::AddFlags(app);
  KeyProviderOptions::AddFlags(app);
  EngineOptions::AddFlags(app);
  WebhookOptions::AddFlags(app);
  ClusterOptions::AddFlags(app);
  app.add_option("--operator-token-file", operator_token_file,
                 "operator token file (default DATA_DIR/operator.token)");
  app.add_option("--max-response-value-bytes", max_response_value_bytes,
                 "raw value bytes of one list page or batch answer at most (a tenant's burst_read_bytes "
                 "may bound it lower)")
      ->capture_default_str();
  app.add_option("--metrics-active-tenants", metrics_active_tenants,
                 "/metrics: per-tenant series for at most this many tenants with a request in the window")
      ->capture_default_str();
  app.add_option("--metrics-active-window-sec", metrics_active_window_sec,
                 "/metrics: how recent a tenant's last request must be for series of its own")
      ->capture_default_str();
  app.add_option("--metrics-top-tenants", metrics_top_tenants,
                 "/metrics: also per-tenant series for this many of the rest, the largest by stored bytes")
      ->capture_default_str();
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error|off")->capture_default_str();
  app.add_flag("--access-log,!--no-access-log", access_log,
               "one JSON line per request on stderr (default on; independent of --log-level)");
  app.add_option("--throttled-idle-priority", throttled_idle_priority,
                 "deprecated, ignored: requests are taken in weighted-fair order by tenant instead");
  app.add_flag("--bypass-scheduler", bypass_scheduler,
               "measurement only: skip the fair scheduler (no weights, reservations or deadlines)");
  app.add_flag("--admin-require-client-cert", admin_require_client_cert,
               "admin routes need a client certificate verified against --tls-client-ca");
  app.add_option("--auth-fail-limit", auth_fail_limit,
                 "failed authentications per client address within the window before 429 (0 = off)")
      ->capture_default_str();
  app.add_option("--auth-fail-window-sec", auth_fail_window_sec, "window for counting failures")
      ->capture_default_str();
  app.add_option("--auth-backoff-base-sec", auth_backoff_base_sec,
                 "first refusal period; doubles with each repeat")->capture_default_str();
  app.add_option("--auth-backoff-max-sec", auth_backoff_max_sec, "longest refusal period")
      ->capture_default_str();
  app.add_option("--auth-fail-table-size", auth_fail_table_size,
                 "client addresses tracked at most (least recently seen forgotten first)")
      ->capture_default_str();
  app.add_option("--restore-from", restore_from,
                 "restore the node backup in this directory into --data-dir (which must hold no "
                 "database yet), then exit; copy master.key and operator.token separately");
  app.add_option("--backup-id", restore_backup_id, "with --restore-from: the backup to restore "
                 "(default: the newest)");
}

Result<ServerOptions> ParseServerArgs(int argc, const char* const* argv, int* exit_code,
                                      std::string* message) {
  ServerOptions o;
  CLI::App app{"tenantkv-server: multi-tenant encrypted key-value storage"};
  app.set_config("--config", "", "config file (TOML or INI); every setting is also a flag");
  app.allow_config_extras(CLI::config_extras_mode::error);
  o.AddFlags(app);
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
  o.deprecation_warnings = o.DeprecatedSettings(app);
  if (app.count("--throttled-idle-priority") > 0) {
    o.deprecation_warnings.push_back("--throttled-idle-priority is deprecated and ignored: ready requests are "
                                     "taken in weighted-fair order by tenant, so a flooding tenant's "
                                     "refusals no longer need idle CPU priority");
  }
  TKV_RETURN_IF_ERROR(o.Validate());
  if (o.master_key_file.empty()) o.master_key_file = o.data_dir + "/master.key";
  if (o.operator_token_file.empty()) o.operator_token_file = o.data_dir + "/operator.token";
  return o;
}

}  // namespace tenantkv::server

// ServerOptions: every setting of tenantkv-server. Each one can be given as
// a flag (--data-dir) or in the config file (data-dir = "...", TOML/INI);
// unknown settings in the file are an error. None change at run time.
//
// The settings come in parts by concern, each with its own Validate() and
// AddFlags(): HttpOptions and TlsOptions (the HTTP front, which takes only
// these), KeyProviderOptions, EngineOptions, WebhookOptions, ClusterOptions; what is left here belongs to
// the API and the process (authentication back-off, logging, restore).
// ServerOptions derives from the parts, so a setting reads the same
// (options.listen, options.data_dir) and a ServerOptions is passed where
// one part is wanted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "crypto/status.h"
#include "server/app/cluster_options.h"
#include "server/app/engine_options.h"
#include "server/http/http_options.h"
#include "server/app/key_provider_options.h"
#include "server/http/tls_options.h"
#include "server/app/webhook_options.h"

namespace tenantkv::server {

struct ServerOptions : HttpOptions, TlsOptions, KeyProviderOptions, EngineOptions, WebhookOptions,
                       ClusterOptions {
  std::string operator_token_file;       // default DATA_DIR/operator.token
  // Raw value bytes of one list page or one batch answer at most (bytes,
  // 1..2^30); a tenant's burst_read_bytes may bound it lower. Bounds the
  // memory one answer can take.
  size_t max_response_value_bytes = 16 << 20;
  // /metrics: per-tenant series for at most this many tenants active within
  // the window (latest first), plus the top tenants by stored bytes; every
  // tenant is in the per-plan and tier totals.
  size_t metrics_active_tenants = 1000;  // 0..100000
  int metrics_active_window_sec = 300;   // 1..86400
  size_t metrics_top_tenants = 100;      // 0..100000
  std::string log_level = "info";        // trace|debug|info|warn|error|off (JSON lines on stderr)
  bool access_log = true;                // one JSON line per request on stderr, whatever log_level
  bool bypass_scheduler = false;         // measurement only: no scheduler at all
  bool throttled_idle_priority = true;   // deprecated, ignored: the fair scheduler divides the CPU
  bool admin_require_client_cert = false;  // admin routes need a verified client cert (needs the CA)

  // Brute-force protection, per client address (IPv6 per /64).
  // auth_fail_limit 0 turns it off.
  size_t auth_fail_limit = 20;           // failed authentications within the window before refusal
  int auth_fail_window_sec = 60;         // window over which failures are counted (seconds)
  int auth_backoff_base_sec = 2;         // first refusal period; doubles with each repeat (seconds)
  int auth_backoff_max_sec = 600;        // longest refusal period (seconds)
  size_t auth_fail_table_size = 65536;   // client addresses remembered at most (LRU)

  // Set by ParseServerArgs: one line per deprecated setting given, for
  // the server to log at start.
  std::vector<std::string> deprecation_warnings;

  std::string restore_from;              // a node backup dir: restore it into DATA_DIR, then exit
  uint32_t restore_backup_id = 0;        // which backup to restore; 0 = the newest

  // InvalidArgument naming the first bad setting: each part's, then the
  // ones that span parts, then this struct's own.
  Status Validate() const;
  // Every flag: each part's, then this struct's own.
  void AddFlags(CLI::App& app);
};

// Parses the command line (and the --config file it names). On --help the
// result is an error with *exit_code 0 and the help text in *message (print
// it, exit 0); on a usage error *exit_code is non-zero and *message says why.
Result<ServerOptions> ParseServerArgs(int argc, const char* const* argv, int* exit_code,
                                      std::string* message);

}  // namespace tenantkv::server

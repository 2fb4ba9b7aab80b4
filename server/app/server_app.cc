#include "server/app/server_app.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "crypto/keys/file/file_key_provider.h"
#include "crypto/keys/pkcs11/pkcs11_key_provider.h"
#include "server/api/rfc3339.h"
#include "server/cluster/operator_identity.h"
#include "server/observe/request_series.h"

namespace tenantkv::server {

WebhookUrlPolicy WebhookPolicyOf(const ServerOptions& options) {
  WebhookUrlPolicy p;
  p.allow_http = options.webhook_allow_http;
  p.allow_private_addresses = options.webhook_allow_private_addresses;
  return p;
}

namespace {

// How this node talks to etcd.
Result<cluster::EtcdClientOptions> EtcdOptionsOf(const ServerOptions& options) {
  cluster::EtcdClientOptions eo;
  TKV_ASSIGN_OR_RETURN(eo.endpoints, cluster::ParseHttpEndpoints(options.cluster_etcd));
  // A call must fail well within a renewal period, so that a dead endpoint
  // leaves time for the next one before the lease runs out.
  eo.request_timeout_ms = std::clamp(options.cluster_lease_ttl * 1000 / 3, 200, 2000);
  eo.connect_timeout_ms = std::clamp(eo.request_timeout_ms / 2, 100, 500);
  eo.ca_file = options.cluster_etcd_ca_file;
  return eo;
}

Result<std::unique_ptr<cluster::Membership>> JoinCluster(const ServerOptions& options, engine::Engine* engine) {
  TKV_ASSIGN_OR_RETURN(cluster::EtcdClientOptions eo, EtcdOptionsOf(options));
  TKV_ASSIGN_OR_RETURN(std::unique_ptr<cluster::EtcdClient> etcd, cluster::EtcdClient::Create(std::move(eo)));
  cluster::MembershipOptions mo;
  mo.node_id = options.node_id;
  mo.advertise_url = options.advertise_url;
  mo.lease_ttl_sec = options.cluster_lease_ttl;
  mo.version = TENANTKV_VERSION;
  mo.started_at = Rfc3339(engine->clock().NowUnixMillis());
  Result<std::unique_ptr<cluster::Membership>> joined =
      cluster::Membership::Join(std::move(etcd), std::move(mo), [engine] { return NodeLoadOf(engine); });
  if (!joined.ok()) {
    const Status& s = joined.status();
    return Status(s.code(), s.reason(), "cannot join the cluster: " + s.message());
  }
  return joined;
}

}  // namespace

Result<std::unique_ptr<ServerApp>> ServerApp::Open(const ServerOptions& options,
                                                   const std::string& env_operator_token,
                                                   std::shared_ptr<spdlog::logger> access_log) {
  std::unique_ptr<ServerApp> app(new ServerApp());
  app->options_ = options;
  if (::mkdir(options.data_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status::Internal("create data dir " + options.data_dir + ": " + std::strerror(errno));
  }
  std::unique_ptr<crypto::KeyProvider> keys;
  if (options.key_provider == "pkcs11") {
    crypto::Pkcs11Options po;
    po.module_path = options.pkcs11_module;
    po.token_label = options.pkcs11_token_label;
    po.pin_file = options.pkcs11_pin_file;
    po.log = [](const std::string& line) { spdlog::warn("master keys: {}", line); };
    TKV_ASSIGN_OR_RETURN(keys, crypto::Pkcs11KeyProvider::Open(po));
  } else {
    TKV_ASSIGN_OR_RETURN(keys, crypto::FileKeyProvider::Open(options.master_key_file, true));
  }
  spdlog::info("master keys: {} (current version {})", keys->Describe(), keys->CurrentVersion());
  engine::EngineOptions eo;
  eo.data_dir = options.data_dir;
  eo.sync_writes = options.sync_writes;
  eo.group_commit_max_delay_us = options.group_commit_delay_us;
  eo.max_value_bytes = options.max_value_bytes;
  eo.block_cache_bytes = options.block_cache_mb << 20;
  eo.scan_fill_cache = options.scan_fill_cache;
  eo.memtable_budget_bytes = options.memtable_budget_mb << 20;
  eo.scheduler_slots = options.EffectiveSchedulerSlots();
  eo.spare_column_families = options.spare_column_families;
  eo.pooled_column_families = options.pooled_column_families;
  eo.dedicated_dir = options.dedicated_dir;
  eo.dedicated_block_cache_bytes = options.dedicated_block_cache_mb << 20;
  eo.dedicated_memtable_bytes = options.dedicated_memtable_mb << 20;
  eo.tier_moves.max_concurrent = options.max_tier_moves;
  eo.tier_moves.copy_keys_per_second = options.tier_move_keys_per_sec;
  eo.tier_moves.hold_at_for_test = options.test_hold_tier_move;
  TKV_ASSIGN_OR_RETURN(eo.plan_tiers, PlanTiersOf(options));
  eo.max_seals_per_key = options.max_seals_per_key;
  eo.reencrypt_batch_keys = options.reencrypt_batch_keys;
  eo.reencrypt_duty_percent = options.reencrypt_duty_percent;
  eo.max_api_keys_per_tenant = options.max_api_keys_per_tenant;
  eo.scheduler_capacity_ops = options.scheduler_capacity_ops;
  eo.storage_overcommit_ratio = options.storage_overcommit_ratio;
  eo.disk_bytes = options.capacity_disk_bytes;
  eo.capacity_check_on_create = options.capacity_check_on_create;
  eo.quota_approvals_required = options.quota_approvals_required;
  eo.webhook_limits.max_per_tenant = options.webhook_max_per_tenant;
  eo.webhook_limits.max_global = options.webhook_max_global;
  eo.webhook_outbox.max_pending_per_endpoint = options.webhook_max_pending;
  eo.webhook_outbox.max_attempts = options.webhook_max_attempts;
  eo.webhook_outbox.max_age_ms = int64_t{options.webhook_max_age_sec} * 1000;
  eo.webhook_outbox.base_delay_ms = options.webhook_retry_base_ms;
  eo.webhook_outbox.max_delay_ms = int64_t{options.webhook_retry_max_sec} * 1000;
  for (size_t r = 0; r < kThrottleReasons; ++r) {
    eo.usage_throttle_reasons.emplace_back(ThrottleReasonName(static_cast<ThrottleReason>(r)));
  }
  TKV_ASSIGN_OR_RETURN(app->engine_, engine::Engine::Open(eo, std::move(keys)));
  spdlog::info("data directory: {}", app->engine_->format().Summary());
  {
    std::string phases;
    double total = 0;
    for (const auto& [name, seconds] : app->engine_->open_phases()) {
      phases += (phases.empty() ? "" : ", ") + name + " " + fmt::format("{:.2f}", seconds) + " s";
      total += seconds;
    }
    spdlog::info("engine opened in {:.2f} s: {}", total, phases);
  }
  TKV_ASSIGN_OR_RETURN(std::string token, LoadOperatorToken(env_operator_token,
                                                            options.operator_token_file,
                                                            &app->token_from_env_));
  app->auth_ = std::make_unique<Authenticator>(token, &app->engine_->api_keys(), &app->engine_->operator_keys());
  app->key_rotation_ = std::make_shared<KeyRotationService>(app->engine_.get(), RotationPolicyOf(options),
                                                            options.key_rotation_check_sec);
  app->jobs_ = std::make_unique<BackgroundJobs>();
  if (options.key_rotation_check_sec > 0 && app->key_rotation_->policy().enabled()) {
    KeyRotationService* rotation = app->key_rotation_.get();
    app->jobs_->Every("key-rotation-check", std::chrono::seconds(options.key_rotation_check_sec),
                      [rotation] { rotation->Sweep("system"); });
  }
  if (options.key_cache_ttl_sec > 0) {
    // Checked every quarter TTL (at least once a minute), so a key leaves
    // memory at most one check after its TTL ran out.
    const auto ttl = std::chrono::seconds(options.key_cache_ttl_sec);
    const auto every = std::chrono::seconds(std::clamp(options.key_cache_ttl_sec / 4, 1, 60));
    engine::Engine* engine = app->engine_.get();
    app->jobs_->Every("key-cache-evict", every, [engine, ttl] { engine->EvictIdleKeys(ttl); });
  }
  {
    // The usage histories changed in the last minute are written; the idle
    // ones leave memory (usage_history_store.h).
    ServerApp* self = app.get();  // owns the jobs, which stop first
    app->jobs_->Every("usage-history-flush", std::chrono::seconds(60), [self] { self->FlushUsageHistories(); });
  }
  {
    // Add-ons start and end, and storage grace periods run out, within a
    // second of their time (addon_store.h, tenant_store.h).
    engine::Engine* engine = app->engine_.get();
    app->jobs_->Every("quota-clock", std::chrono::seconds(1), [engine] {
      const engine::AddonRun run = engine->RunAddons();
      for (const std::string& error : run.errors) spdlog::error("add-ons: {}", error);
      engine->CheckStorageGrace();
    });
  }
  {
    // Webhook deliveries on a thread of their own (a slow receiver holds
    // up neither requests nor the jobs); the quota alerts on the jobs'.
    WebhookSenderOptions so;
    so.policy = WebhookPolicyOf(options);
    so.ca_file = options.webhook_ca_file;
    so.timeout_sec = options.webhook_timeout_sec;
    so.connect_timeout_sec = std::max(1, options.webhook_timeout_sec / 2);
    app->deliverer_ = std::make_shared<WebhookDeliverer>(app->engine_.get(), std::move(so));
    std::shared_ptr<WebhookDeliverer> deliverer = app->deliverer_;
    app->engine_->SetWebhookNotifier([deliverer] { deliverer->Notify(); });
    auto alerts = std::make_shared<QuotaAlerts>(app->engine_.get());
    app->jobs_->Every("webhook-alerts", std::chrono::seconds(options.webhook_alert_check_sec),
                      [alerts] { alerts->Evaluate(); });
  }
  if (options.cluster_mode()) {
    TKV_ASSIGN_OR_RETURN(app->membership_, JoinCluster(options, app->engine_.get()));
    spdlog::info("cluster: registered as '{}' ({}) with a {} s lease", options.node_id, options.advertise_url,
                 options.cluster_lease_ttl);
  }
  ApiOptions api;
  if (options.cluster_mode()) {
    TKV_ASSIGN_OR_RETURN(cluster::EtcdClientOptions eo, EtcdOptionsOf(options));
    TKV_ASSIGN_OR_RETURN(app->directory_etcd_, cluster::EtcdClient::Create(std::move(eo)));
    // One operator token for the cluster: the first node's (operator_identity.h).
    const crypto::Sha256Digest own = crypto::Sha256(token);
    TKV_ASSIGN_OR_RETURN(std::string shared,
                         cluster::ShareOperatorDigest(*app->directory_etcd_,
                                                      crypto::HexEncode(std::string_view(
                                                          reinterpret_cast<const char*>(own.data()), own.size()))));
    std::optional<std::string> shared_raw = crypto::HexDecode(shared);
    if (shared_raw && shared_raw->size() == own.size()) {
      crypto::Sha256Digest digest;
      std::copy(shared_raw->begin(), shared_raw->end(), digest.begin());
      if (digest != own) {
        app->auth_->AcceptOperatorDigest(digest);
        spdlog::info("cluster: this node accepts the cluster's operator token as well as its own");
      }
    }
    app->directory_ = std::make_unique<cluster::TenantDirectory>(app->directory_etcd_.get());
    // The named operator keys: the cluster's, mirrored here (operator_key_mirror.h).
    app->operator_key_mirror_ = std::make_unique<OperatorKeyMirror>(
        app->directory_etcd_.get(), &app->engine_->operator_keys(), &app->engine_->clock());
    if (Status s = app->operator_key_mirror_->Reconcile(); !s.ok()) {
      return Status(s.code(), s.reason(), "cannot share the operator keys through etcd: " + s.message());
    }
    // The quota plans: the cluster's, mirrored here (plan_mirror.h).
    app->plan_mirror_ = std::make_unique<PlanMirror>(app->directory_etcd_.get(), &app->engine_->quotas());
    if (Status s = app->plan_mirror_->Reconcile(); !s.ok()) {
      return Status(s.code(), s.reason(), "cannot share the quota plans through etcd: " + s.message());
    }
    app->auth_->OnUnknownOperatorKey([mirror = app->operator_key_mirror_.get()] { mirror->Poke(); });
    cluster::ForwarderOptions fo;
    fo.ca_file = options.cluster_tls_ca;
    fo.client_cert_file = options.cluster_tls_cert;
    fo.client_key_file = options.cluster_tls_key;
    fo.io_threads = static_cast<size_t>(options.cluster_forward_io_threads);
    TKV_ASSIGN_OR_RETURN(app->forwarder_, cluster::Forwarder::Create(std::move(fo)));
    api.node_moves.grace = std::chrono::seconds(options.cluster_move_grace);
    api.cluster = {app->membership_.get(), app->directory_.get(), app->forwarder_.get(),
                   app->operator_key_mirror_.get(), app->plan_mirror_.get()};
  }
  api.key_rotation = app->key_rotation_;
  api.webhook_urls = WebhookPolicyOf(options);
  api.bypass_scheduler = options.bypass_scheduler;
  // As many workers as storage slots, so the scheduler's slots fill (durable
  // writes share an fsync among those in flight), and two more for the
  // operator's and health calls.
  api.workers = options.EffectiveSchedulerSlots() + 2;
  api.access_log = std::move(access_log);
  api.admin_require_client_cert = options.admin_require_client_cert;
  api.max_response_value_bytes = options.max_response_value_bytes;
  api.metrics.active_tenants = options.metrics_active_tenants;
  api.metrics.active_window_sec = options.metrics_active_window_sec;
  api.metrics.top_tenants = options.metrics_top_tenants;
  api.auth_backoff.fail_limit = options.auth_fail_limit;
  api.auth_backoff.window_us = int64_t{options.auth_fail_window_sec} * 1'000'000;
  api.auth_backoff.base_us = int64_t{options.auth_backoff_base_sec} * 1'000'000;
  api.auth_backoff.max_us = int64_t{options.auth_backoff_max_sec} * 1'000'000;
  api.auth_backoff.table_size = options.auth_fail_table_size;
  app->api_ = std::make_unique<Api>(app->engine_.get(), app->auth_.get(), std::move(api));
  if (Status s = app->api_->ReconcileCluster(); !s.ok()) {
    return Status(s.code(), s.reason(), "cannot reconcile the cluster's tenant directory: " + s.message());
  }
  // The front takes the HTTP and TLS parts of the options, and the Api as its handler.
  TKV_ASSIGN_OR_RETURN(app->http_, HttpServer::Create(options, options, app->api_.get()));
  app->api_->SetOpenConnectionsSource([http = app->http_.get()] { return http->open_connections(); });
  for (const std::string& warning : options.deprecation_warnings) spdlog::warn("{}", warning);
  return app;
}

ServerApp::~ServerApp() {
  if (jobs_) jobs_->Stop();
  if (operator_key_mirror_) operator_key_mirror_->Stop();
  if (plan_mirror_) plan_mirror_->Stop();
  if (deliverer_) deliverer_->Stop();
  http_.reset();  // stops serving before the engine goes away
}

Status ServerApp::Run() {
  jobs_->Start();
  deliverer_->Start();
  if (operator_key_mirror_) operator_key_mirror_->Start();
  if (plan_mirror_) plan_mirror_->Start();
  http_->Run();
  if (operator_key_mirror_) operator_key_mirror_->Stop();
  if (plan_mirror_) plan_mirror_->Stop();
  if (membership_) membership_->Leave();  // the record goes at once, not a TTL later
  jobs_->Stop();  // a sweep in progress finishes first
  deliverer_->Stop();  // an attempt in flight finishes (or times out) first
  FlushUsageHistories();  // the last minute's calls too
  return engine_->Flush();
}

void ServerApp::FlushUsageHistories() {
  engine::UsageHistoryStore::FlushStats stats;
  const Status s = engine_->FlushUsageHistories(&stats);
  if (!s.ok()) spdlog::error("usage history flush: {}", s.ToString());
  // A malformed record was replaced by an empty history (and rewritten).
  const uint64_t corrupt = engine_->usage_histories().corrupt_records();
  if (corrupt != reported_corrupt_histories_.exchange(corrupt)) {
    spdlog::warn("usage history: {} malformed record(s) found since start, replaced by empty histories", corrupt);
  }
}

void ServerApp::Stop() {
  api_->SetDraining();
  http_->Stop();
}

std::string ServerApp::TokenSource() const {
  return token_from_env_ ? "from $TENANTKV_OPERATOR_TOKEN" : "in " + options_.operator_token_file;
}

}  // namespace tenantkv::server

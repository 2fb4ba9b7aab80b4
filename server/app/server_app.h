// ServerApp: builds the whole server from its options — key provider,
// engine, operator token, API and HTTP listener — so that main() stays thin.
#pragma once

#include <spdlog/logger.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "engine/engine.h"
#include "server/api/api.h"
#include "server/api/plan_mirror.h"
#include "server/cluster/membership.h"
#include "server/auth/auth.h"
#include "server/jobs/background_jobs.h"
#include "server/jobs/key_rotation.h"
#include "server/http/http_server.h"
#include "server/app/server_options.h"
#include "server/webhooks/quota_alerts.h"
#include "server/webhooks/webhook_deliverer.h"

namespace tenantkv::server {

// The webhook URL policy the settings describe.
WebhookUrlPolicy WebhookPolicyOf(const ServerOptions& options);

class ServerApp {
 public:
  // Opens the master key (creating DATA_DIR/master.key at first start), the
  // engine and the operator token, and in cluster mode registers the node
  // in etcd (AlreadyExists "node_id_taken" when a live node has its id,
  // Unavailable when etcd cannot be reached). `env_operator_token` is the value of
  // TENANTKV_OPERATOR_TOKEN ("" when unset). `access_log` receives one
  // JSON line per request (nullptr = no access log).
  static Result<std::unique_ptr<ServerApp>> Open(const ServerOptions& options,
                                                 const std::string& env_operator_token,
                                                 std::shared_ptr<spdlog::logger> access_log = nullptr);
  ~ServerApp();

  // Binds and returns the port.
  Result<int> Bind() { return http_->Bind(); }
  // Serves until Stop(); then leaves the cluster (revoking the lease), writes
  // the usage histories and flushes the engine.
  Status Run();
  // Graceful: stop accepting, finish in-flight requests. Thread-safe.
  void Stop();

  // Where the operator token came from, for the start-up banner.
  std::string TokenSource() const;

 private:
  ServerApp() = default;
  // Writes the changed usage histories (every minute, and at shutdown).
  void FlushUsageHistories();
  ServerOptions options_;
  bool token_from_env_ = false;
  std::unique_ptr<engine::Engine> engine_;
  std::shared_ptr<KeyRotationService> key_rotation_;
  std::unique_ptr<BackgroundJobs> jobs_;  // key rotation, usage history flush; stop before the engine goes
  // Shared with the engine's notifier; stopped before the engine goes.
  std::shared_ptr<WebhookDeliverer> deliverer_;
  std::unique_ptr<Authenticator> auth_;
  // Cluster mode only (nullptr standalone); used by the Api, so made before it and gone after it.
  std::unique_ptr<cluster::Membership> membership_;
  std::unique_ptr<cluster::EtcdClient> directory_etcd_;
  std::unique_ptr<cluster::TenantDirectory> directory_;
  std::unique_ptr<OperatorKeyMirror> operator_key_mirror_;  // stopped before the engine goes
  std::unique_ptr<PlanMirror> plan_mirror_;                 // stopped before the engine goes
  std::unique_ptr<cluster::Forwarder> forwarder_;
  std::unique_ptr<Api> api_;
  std::unique_ptr<HttpServer> http_;
  std::atomic<uint64_t> reported_corrupt_histories_{0};
};

}  // namespace tenantkv::server

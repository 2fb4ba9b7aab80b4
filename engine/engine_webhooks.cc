// The engine's side of webhook alerts: the endpoints and their outbox, and
// the audit tap that turns the audit entries that are alerts into events,
// queued in the entry's own batch (so an alert is queued exactly when its
// entry is written, and survives what the entry survives).
#include <nlohmann/json.hpp>

#include "engine/engine.h"

namespace tenantkv::engine {
namespace {

using nlohmann::json;

// The event an audit entry is, if any: storage grace start and end, a
// quota request's decision (an approval only once it applied), and the end
// of a rotation's re-encryption (the old data-key version destroyed).
std::optional<std::string> EventOfAudit(const AuditEntry& e, const json& details) {
  if (e.action == "storage.grace.start") return std::string(kEventGraceStart);
  if (e.action == "storage.grace.end") return std::string(kEventGraceEnd);
  if (e.action == "quota_request.reject") return std::string(kEventRequestRejected);
  if (e.action == "quota_request.approve" && details.value("applied", false)) {
    return std::string(kEventRequestApproved);
  }
  if (e.action == "key.destroy" && details.value("reason", "") == "re-encrypted") {
    return std::string(kEventKeyRotated);
  }
  return std::nullopt;
}

}  // namespace

class Engine::WebhookTap final : public AuditTap {
 public:
  WebhookTap(WebhookStore* store, WebhookOutbox* outbox, Engine* engine)
      : store_(store), outbox_(outbox), engine_(engine) {}

  void Stage(const AuditEntry& e, rocksdb::WriteBatch* batch) override {
    staged_ = {};
    json details = json::parse(e.details, nullptr, false);
    if (!details.is_object()) details = json::object();
    const std::optional<std::string> type = EventOfAudit(e, details);
    if (!type) return;
    const std::vector<WebhookEndpoint> endpoints = store_->Subscribed(*type, e.tenant);
    if (endpoints.empty()) return;
    auto id = NewEventId();
    if (!id.ok()) return;  // no randomness: the entry is written, its alert is not
    details["actor"] = e.actor;
    details["audit_seq"] = e.seq;
    const std::string body = WebhookEventBody(*id, *type, e.time_ms, e.tenant, details.dump());
    std::vector<NewDelivery> news;
    for (const auto& endpoint : endpoints) news.push_back({endpoint.id, e.tenant, *id, *type, body});
    staged_ = outbox_->Stage(news, batch);
  }

  void Done(bool written) override {
    const bool any = written && !staged_.deliveries.empty();
    outbox_->Commit(std::move(staged_), written);
    staged_ = {};
    if (any) engine_->NotifyWebhooks();
  }

 private:
  WebhookStore* const store_;
  WebhookOutbox* const outbox_;
  Engine* const engine_;
  WebhookOutbox::Staged staged_;  // between Stage and Done (the log's lock is held)
};

// Here, where WebhookTap is complete.
Engine::Engine() = default;
Engine::~Engine() {
  // A running tier move's copy goes through the scheduler, which is
  // destroyed before the registry that owns the mover.
  if (registry_ != nullptr) registry_->StopTierMoves();
}

Status Engine::OpenWebhooks() {
  TKV_ASSIGN_OR_RETURN(webhooks_, WebhookStore::Open(storage_.get(), keys_.get(), clock_, options_.webhook_limits));
  TKV_ASSIGN_OR_RETURN(outbox_, WebhookOutbox::Open(storage_.get(), clock_, options_.webhook_outbox));
  webhook_tap_ = std::make_unique<WebhookTap>(webhooks_.get(), outbox_.get(), this);
  audit_->SetTap(webhook_tap_.get());
  return Status::Ok();
}

Result<WebhookStore::Created> Engine::CreateWebhook(WebhookEndpoint e) {
  if (!e.global()) TKV_RETURN_IF_ERROR(registry_->Get(e.tenant).status());
  return webhooks_->Create(std::move(e));
}

Status Engine::DeleteWebhook(const std::string& id) {
  TKV_RETURN_IF_ERROR(webhooks_->Delete(id));
  return outbox_->RemoveEndpoint(id);
}

Status Engine::RemoveTenantWebhooks(const std::string& id) {
  TKV_ASSIGN_OR_RETURN(std::vector<std::string> removed, webhooks_->RemoveTenant(id));
  for (const auto& endpoint : removed) TKV_RETURN_IF_ERROR(outbox_->RemoveEndpoint(endpoint));
  return Status::Ok();
}

Result<std::string> Engine::EmitWebhookEvent(const std::string& type, const std::string& tenant,
                                             const std::string& data_json,
                                             const std::vector<std::string>& endpoints) {
  if (!IsWebhookEventType(type)) return Status::InvalidArgument("unknown event type '" + type + "'");
  TKV_ASSIGN_OR_RETURN(std::string id, NewEventId());
  const std::string body = WebhookEventBody(id, type, clock_->NowUnixMillis(), tenant, data_json);
  std::vector<NewDelivery> news;
  for (const auto& endpoint : endpoints) news.push_back({endpoint, tenant, id, type, body});
  TKV_RETURN_IF_ERROR(outbox_->Enqueue(news));
  if (!news.empty()) NotifyWebhooks();
  return id;
}

void Engine::NotifyWebhooks() {
  std::function<void()> notify;
  {
    MutexLock lock(webhook_notify_mu_);
    notify = webhook_notify_;
  }
  if (notify) notify();
}

}  // namespace tenantkv::engine

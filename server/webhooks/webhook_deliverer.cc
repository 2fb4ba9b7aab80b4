#include "server/webhooks/webhook_deliverer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <set>

namespace tenantkv::server {
namespace {

// Deliveries of one endpoint attempted per round.
constexpr size_t kPerEndpointPerRound = 4;
// The longest sleep: a clock jump or a lost notification costs no more.
constexpr int64_t kMaxSleepMs = 1000;

}  // namespace

WebhookDeliverer::WebhookDeliverer(engine::Engine* engine, WebhookSenderOptions options)
    : engine_(engine), options_(std::move(options)), jitter_rng_(std::random_device{}()) {}

WebhookDeliverer::~WebhookDeliverer() { Stop(); }

void WebhookDeliverer::Start() {
  thread_ = std::thread([this] { Run(); });
}

void WebhookDeliverer::Stop() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  cv_.SignalAll();
  if (thread_.joinable()) thread_.join();
}

void WebhookDeliverer::Notify() {
  {
    MutexLock lock(mu_);
    notified_ = true;
  }
  cv_.SignalAll();
}

size_t WebhookDeliverer::RunRound() {
  engine::WebhookOutbox& outbox = engine_->webhook_outbox();
  const int64_t now_ms = engine_->clock().NowUnixMillis();
  std::set<std::string> unreachable;  // no HTTP answer this round
  size_t attempts = 0;
  for (const engine::WebhookDelivery& d : outbox.Due(now_ms, kPerEndpointPerRound)) {
    {
      MutexLock lock(mu_);
      if (stopping_) break;
    }
    if (unreachable.count(d.endpoint)) continue;
    auto endpoint = engine_->webhooks().Get(d.endpoint);
    if (!endpoint.ok()) continue;  // deleted meanwhile, with its deliveries
    engine::AttemptOutcome outcome;
    auto secret = engine_->webhooks().Secret(d.endpoint);
    if (!secret.ok()) {
      outcome.error = "secret: " + secret.status().message();
    } else {
      const int64_t now_sec = engine_->clock().NowUnixMillis() / 1000;
      outcome = SendWebhook(endpoint->url, *secret, d, now_sec, options_);
    }
    ++attempts;
    if (!outcome.delivered && outcome.status == 0) unreachable.insert(d.endpoint);
    const double jitter = std::uniform_real_distribution<double>(0.0, 1.0)(jitter_rng_);
    auto recorded = outbox.RecordAttempt(d.endpoint, d.seq, outcome, jitter);
    if (!recorded.ok()) {
      if (recorded.status().code() != Code::kNotFound) {
        spdlog::error("webhooks: recording an attempt at {} failed: {}", d.event_id, recorded.status().ToString());
      }
      continue;
    }
    if (recorded->state == engine::DeliveryState::kFailed) {
      spdlog::warn("webhooks: gave up on {} ({}) to endpoint {} after {} attempts: {}", d.event_id, d.type,
                   d.endpoint, recorded->attempts, outcome.error);
    } else if (!outcome.delivered) {
      spdlog::info("webhooks: attempt {} at {} to endpoint {} failed ({}), next in {} ms", recorded->attempts,
                   d.event_id, d.endpoint, outcome.error, recorded->next_attempt_ms - now_ms);
    }
  }
  return attempts;
}

void WebhookDeliverer::Run() {
  while (true) {
    const size_t attempts = RunRound();
    MutexLock lock(mu_);
    if (stopping_) return;
    if (attempts > 0 || notified_) {
      notified_ = false;
      if (attempts > 0) continue;  // more may be due already
    }
    const int64_t now_ms = engine_->clock().NowUnixMillis();
    int64_t wait_ms = kMaxSleepMs;
    if (auto next = engine_->webhook_outbox().NextDue()) wait_ms = std::clamp<int64_t>(*next - now_ms, 0, kMaxSleepMs);
    if (wait_ms == 0) wait_ms = 50;  // due but not attempted (its endpoint just went): no spin
    (void)cv_.WaitUntil(mu_, std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms));
    if (notified_) notified_ = false;
  }
}

}  // namespace tenantkv::server

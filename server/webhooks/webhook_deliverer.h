// WebhookDeliverer: the thread that drains the webhook outbox.
//
// It takes the due deliveries a few per endpoint at a time, interleaved
// round-robin across endpoints, and makes one attempt at each
// (webhook_sender.h), recording it in the outbox (which schedules the
// retry). After an attempt at an endpoint fails without an HTTP answer,
// the rest of that endpoint's deliveries wait for the next round, so a
// dead receiver costs one timeout per round, not one per delivery. It
// sleeps until the next delivery is due or Notify(). It runs apart from
// the request path and the jobs thread: a slow receiver holds up neither.
#pragma once

#include <cstdint>
#include <random>
#include <thread>

#include "crypto/mutex.h"
#include "engine/engine.h"
#include "server/webhooks/webhook_sender.h"

namespace tenantkv::server {

class WebhookDeliverer {
 public:
  // `engine` must outlive the deliverer.
  WebhookDeliverer(engine::Engine* engine, WebhookSenderOptions options);
  ~WebhookDeliverer();
  WebhookDeliverer(const WebhookDeliverer&) = delete;
  WebhookDeliverer& operator=(const WebhookDeliverer&) = delete;

  void Start();
  // Returns once the thread ended (an attempt in flight finishes first:
  // at most the sender's timeouts). Idempotent.
  void Stop();
  // New deliveries were queued. Thread-safe, never blocks for long.
  void Notify();

  // One round (tests): attempts every due delivery as the thread would;
  // returns how many attempts it made.
  size_t RunRound();

 private:
  void Run();

  engine::Engine* const engine_;
  const WebhookSenderOptions options_;
  std::mt19937_64 jitter_rng_;  // the thread's own
  Mutex mu_;
  CondVar cv_;
  bool stopping_ GUARDED_BY(mu_) = false;
  bool notified_ GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace tenantkv::server

#include "engine/webhooks/webhook_outbox.h"

#include <nlohmann/json.hpp>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "engine/storage/rocks_status.h"
#include "engine/storage/system_keys.h"

namespace tenantkv::engine {
namespace {

using nlohmann::json;

constexpr const char* kStateNames[] = {"pending", "delivered", "failed"};

std::string EndpointPrefix(const std::string& endpoint) { return kWebhookOutboxPrefix + endpoint + "/"; }

std::string DeliveryKey(const std::string& endpoint, uint64_t seq) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(seq));
  return EndpointPrefix(endpoint) + buf;
}

std::string ToJson(const WebhookDelivery& d) {
  return json{{"seq", d.seq},
              {"endpoint", d.endpoint},
              {"tenant", d.tenant},
              {"event_id", d.event_id},
              {"type", d.type},
              {"body", d.body},
              {"created_ms", d.created_ms},
              {"state", DeliveryStateName(d.state)},
              {"attempts", d.attempts},
              {"next_attempt_ms", d.next_attempt_ms},
              {"last_attempt_ms", d.last_attempt_ms},
              {"last_status", d.last_status},
              {"last_error", d.last_error},
              {"finished_ms", d.finished_ms}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<WebhookDelivery> FromJson(std::string_view key, std::string_view text) {
  const json j = json::parse(text, nullptr, false);
  try {
    WebhookDelivery d;
    d.seq = j.at("seq").get<uint64_t>();
    d.endpoint = j.at("endpoint").get<std::string>();
    d.tenant = j.at("tenant").get<std::string>();
    d.event_id = j.at("event_id").get<std::string>();
    d.type = j.at("type").get<std::string>();
    d.body = j.at("body").get<std::string>();
    d.created_ms = j.at("created_ms").get<int64_t>();
    const std::string state = j.at("state").get<std::string>();
    auto* found = std::find(std::begin(kStateNames), std::end(kStateNames), state);
    if (found == std::end(kStateNames)) throw std::runtime_error("state");
    d.state = static_cast<DeliveryState>(found - std::begin(kStateNames));
    d.attempts = j.at("attempts").get<int>();
    d.next_attempt_ms = j.at("next_attempt_ms").get<int64_t>();
    d.last_attempt_ms = j.at("last_attempt_ms").get<int64_t>();
    d.last_status = j.at("last_status").get<int>();
    d.last_error = j.at("last_error").get<std::string>();
    d.finished_ms = j.at("finished_ms").get<int64_t>();
    return d;
  } catch (const std::exception&) {
    return Status::DataLoss("webhook delivery record '" + std::string(key) + "' is malformed");
  }
}

}  // namespace

const char* DeliveryStateName(DeliveryState s) { return kStateNames[static_cast<int>(s)]; }

int64_t WebhookBackoffMs(int attempts, int64_t base_ms, int64_t max_ms, double jitter) {
  int64_t d = std::max<int64_t>(base_ms, 1);
  for (int i = 1; i < attempts && d < max_ms; ++i) d *= 2;
  d = std::min(d, max_ms);
  jitter = std::clamp(jitter, 0.0, 0.999999);
  return d - static_cast<int64_t>(static_cast<double>(d) * jitter / 2);
}

Result<std::unique_ptr<WebhookOutbox>> WebhookOutbox::Open(Storage* storage, const Clock* clock,
                                                           OutboxOptions options) {
  std::unique_ptr<WebhookOutbox> o(new WebhookOutbox(storage, clock, options));
  TKV_RETURN_IF_ERROR(o->Load());
  return o;
}

Status WebhookOutbox::Load() {
  std::map<std::string, std::map<uint64_t, WebhookDelivery>> all;
  uint64_t max_seq = 0;
  std::unique_ptr<rocksdb::Iterator> it(storage_->db()->NewIterator(rocksdb::ReadOptions(), storage_->system()));
  for (it->Seek(kWebhookOutboxPrefix); it->Valid() && it->key().starts_with(kWebhookOutboxPrefix); it->Next()) {
    TKV_ASSIGN_OR_RETURN(WebhookDelivery d, FromJson(it->key().ToStringView(), it->value().ToStringView()));
    max_seq = std::max(max_seq, d.seq);
    all[d.endpoint][d.seq] = std::move(d);
  }
  TKV_RETURN_IF_ERROR(FromRocks(it->status(), "read webhook outbox"));
  MutexLock lock(mu_);
  deliveries_ = std::move(all);
  next_seq_ = max_seq + 1;
  return Status::Ok();
}

WebhookOutbox::Staged WebhookOutbox::Stage(const std::vector<NewDelivery>& news, rocksdb::WriteBatch* batch) {
  Staged out;
  const int64_t now = clock_->NowUnixMillis();
  MutexLock lock(mu_);
  for (const NewDelivery& n : news) {
    size_t pending = 0;
    if (auto e = deliveries_.find(n.endpoint); e != deliveries_.end()) {
      for (const auto& [seq, d] : e->second) pending += d.state == DeliveryState::kPending ? 1 : 0;
    }
    for (const auto& d : out.deliveries) pending += d.endpoint == n.endpoint ? 1 : 0;
    if (pending >= options_.max_pending_per_endpoint) {
      ++out.dropped;
      continue;
    }
    WebhookDelivery d;
    d.seq = next_seq_++;
    d.endpoint = n.endpoint;
    d.tenant = n.tenant;
    d.event_id = n.event_id;
    d.type = n.type;
    d.body = n.body;
    d.created_ms = now;
    d.next_attempt_ms = now;
    if (!batch->Put(storage_->system(), DeliveryKey(d.endpoint, d.seq), ToJson(d)).ok()) {
      ++out.dropped;
      continue;
    }
    out.deliveries.push_back(std::move(d));
  }
  return out;
}

void WebhookOutbox::Commit(Staged staged, bool written) {
  dropped_ += staged.dropped;
  if (!written) {
    dropped_ += staged.deliveries.size();
    return;
  }
  enqueued_ += staged.deliveries.size();
  MutexLock lock(mu_);
  for (auto& d : staged.deliveries) {
    std::string endpoint = d.endpoint;
    deliveries_[endpoint][d.seq] = std::move(d);
  }
}

Status WebhookOutbox::Enqueue(const std::vector<NewDelivery>& news) {
  rocksdb::WriteBatch batch;
  Staged staged = Stage(news, &batch);
  const Status s = FromRocks(storage_->db()->Write(storage_->meta_write_options(), &batch), "persist webhook deliveries");
  Commit(std::move(staged), s.ok());
  return s;
}

std::vector<WebhookDelivery> WebhookOutbox::Due(int64_t now_ms, size_t per_endpoint) const {
  std::vector<std::vector<WebhookDelivery>> by_endpoint;
  {
    MutexLock lock(mu_);
    for (const auto& [endpoint, mine] : deliveries_) {
      std::vector<WebhookDelivery> due;
      for (const auto& [seq, d] : mine) {
        if (due.size() == per_endpoint) break;
        if (d.state == DeliveryState::kPending && d.next_attempt_ms <= now_ms) due.push_back(d);
      }
      if (!due.empty()) by_endpoint.push_back(std::move(due));
    }
  }
  std::vector<WebhookDelivery> out;
  for (size_t round = 0; round < per_endpoint; ++round) {
    for (auto& due : by_endpoint) {
      if (round < due.size()) out.push_back(std::move(due[round]));
    }
  }
  return out;
}

std::optional<int64_t> WebhookOutbox::NextDue() const {
  std::optional<int64_t> next;
  MutexLock lock(mu_);
  for (const auto& [endpoint, mine] : deliveries_) {
    for (const auto& [seq, d] : mine) {
      if (d.state == DeliveryState::kPending && (!next || d.next_attempt_ms < *next)) next = d.next_attempt_ms;
    }
  }
  return next;
}

Result<WebhookDelivery> WebhookOutbox::RecordAttempt(const std::string& endpoint, uint64_t seq,
                                                     const AttemptOutcome& outcome, double jitter) {
  const int64_t now = clock_->NowUnixMillis();
  MutexLock lock(mu_);
  auto e = deliveries_.find(endpoint);
  if (e == deliveries_.end() || !e->second.count(seq) || e->second[seq].state != DeliveryState::kPending) {
    return Status::NotFound("no pending webhook delivery " + std::to_string(seq), "delivery_not_found");
  }
  WebhookDelivery d = e->second[seq];
  ++d.attempts;
  d.last_attempt_ms = now;
  d.last_status = outcome.status;
  d.last_error = outcome.delivered ? "" : outcome.error;
  if (outcome.delivered) {
    d.state = DeliveryState::kDelivered;
    d.finished_ms = now;
  } else if (d.attempts >= options_.max_attempts || now - d.created_ms >= options_.max_age_ms) {
    d.state = DeliveryState::kFailed;
    d.finished_ms = now;
  } else {
    d.next_attempt_ms = now + WebhookBackoffMs(d.attempts, options_.base_delay_ms, options_.max_delay_ms, jitter);
  }
  TKV_RETURN_IF_ERROR(FromRocks(storage_->db()->Put(storage_->meta_write_options(), storage_->system(),
                                                    DeliveryKey(endpoint, seq), ToJson(d)),
                                "record webhook attempt"));
  if (!outcome.delivered) ++attempt_errors_;
  if (d.state == DeliveryState::kDelivered) ++delivered_;
  if (d.state == DeliveryState::kFailed) ++failed_;
  e->second[seq] = d;
  if (d.state != DeliveryState::kPending) TrimFinished(endpoint);
  return d;
}

void WebhookOutbox::TrimFinished(const std::string& endpoint) {
  auto& mine = deliveries_[endpoint];
  std::vector<uint64_t> finished;
  for (const auto& [seq, d] : mine) {
    if (d.state != DeliveryState::kPending) finished.push_back(seq);
  }
  if (finished.size() <= options_.max_finished_per_endpoint) return;
  rocksdb::WriteBatch batch;
  const size_t drop = finished.size() - options_.max_finished_per_endpoint;
  for (size_t i = 0; i < drop; ++i) batch.Delete(storage_->system(), DeliveryKey(endpoint, finished[i])).PermitUncheckedError();
  // Best effort: a trim that did not persist is redone by the next one.
  if (!storage_->db()->Write(storage_->meta_write_options(), &batch).ok()) return;
  for (size_t i = 0; i < drop; ++i) mine.erase(finished[i]);
}

DeliveryPage WebhookOutbox::List(const std::string& endpoint, uint64_t start_after, size_t limit) const {
  DeliveryPage page;
  MutexLock lock(mu_);
  auto e = deliveries_.find(endpoint);
  if (e == deliveries_.end()) return page;
  for (auto it = e->second.upper_bound(start_after); it != e->second.end(); ++it) {
    if (page.deliveries.size() == limit) {
      page.next = page.deliveries.back().seq;
      break;
    }
    page.deliveries.push_back(it->second);
  }
  return page;
}

Status WebhookOutbox::RemoveEndpoint(const std::string& endpoint) {
  const std::string prefix = EndpointPrefix(endpoint);
  rocksdb::WriteBatch batch;
  TKV_RETURN_IF_ERROR(FromRocks(batch.DeleteRange(storage_->system(), prefix, PrefixEnd(prefix)), "stage"));
  MutexLock lock(mu_);
  TKV_RETURN_IF_ERROR(FromRocks(storage_->db()->Write(storage_->meta_write_options(), &batch), "remove deliveries"));
  deliveries_.erase(endpoint);
  return Status::Ok();
}

OutboxStats WebhookOutbox::Stats() const {
  OutboxStats s;
  {
    MutexLock lock(mu_);
    for (const auto& [endpoint, mine] : deliveries_) {
      for (const auto& [seq, d] : mine) s.pending += d.state == DeliveryState::kPending ? 1 : 0;
    }
  }
  s.enqueued_total = enqueued_;
  s.delivered_total = delivered_;
  s.failed_total = failed_;
  s.dropped_total = dropped_;
  s.attempt_errors_total = attempt_errors_;
  return s;
}

}  // namespace tenantkv::engine

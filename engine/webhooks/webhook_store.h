// WebhookStore: the endpoints alerts are delivered to.
//
// An endpoint belongs to one tenant (its admin made it; it receives that
// tenant's events only) or is global (the operator's; "" tenant; it
// receives every tenant's events). Its signing secret ("whsec_" + 48 hex)
// is shown once, at creation; at rest it is wrapped by the current master
// key (KeyProvider::Wrap, context "webhook/<id>/<master version>") as data
// keys are, and a master-key rotation rewraps it (RewrapAll) before the old
// version is retired. Persisted in the system column family (fsync'd):
//   whep/<endpoint id>   JSON record, wrapped secret included
// Thread-safe.
#pragma once

#include <rocksdb/write_batch.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/keys/key_provider.h"
#include "crypto/mutex.h"
#include "crypto/secret_bytes.h"
#include "crypto/status.h"
#include "engine/clock.h"
#include "engine/storage/storage.h"

namespace tenantkv::engine {

// Bounds of the per-event settings (docs/api.md, Webhooks).
inline constexpr int kMinThresholdPct = 1;
inline constexpr int kMaxThresholdPct = 100;
inline constexpr int kMinExhaustionHours = 1;
inline constexpr int kMaxExhaustionHours = 24 * 30;
inline constexpr int64_t kMinThrottlePerMin = 1;
inline constexpr int64_t kMaxThrottlePerMin = 1'000'000;
inline constexpr size_t kMaxWebhookUrlBytes = 2048;
inline constexpr size_t kMaxWebhookDescriptionBytes = 256;

struct WebhookEndpoint {
  std::string id;      // "wh_" + 16 hex
  std::string tenant;  // "" = global (the operator's)
  std::string url;
  std::vector<std::string> events;  // event types (webhook_event.h), sorted, no repeats
  std::string description;
  int threshold_pct = 80;           // quota.threshold: storage used, % of storage_bytes
  int exhaustion_hours = 24;        // quota.exhaustion: projected within this many hours
  int64_t throttle_per_min = 60;    // quota.throttled: refusals per minute above this
  std::string created_by;
  int64_t created_at_ms = 0;

  bool global() const { return tenant.empty(); }
  bool Wants(const std::string& type) const;
  // Whether an event of `event_tenant` may go here: a tenant's endpoint
  // takes its own tenant's events only.
  bool Receives(const std::string& event_tenant) const { return global() || tenant == event_tenant; }
};

// An endpoint as its stored record writes it (JSON text: every field of
// the struct), and back: the one form for the store and for a tenant's
// transfer to another node. InvalidArgument("bad_webhook_record") when a
// field is missing or of the wrong type; the events come back sorted.
std::string WebhookEndpointJson(const WebhookEndpoint& e);
Result<WebhookEndpoint> ParseWebhookEndpointJson(std::string_view text);

struct WebhookLimits {
  size_t max_per_tenant = 8;   // endpoints one tenant may have
  size_t max_global = 32;      // the operator's endpoints
};

class WebhookStore {
 public:
  static Result<std::unique_ptr<WebhookStore>> Open(Storage* storage, crypto::KeyProvider* keys,
                                                    const Clock* clock, WebhookLimits limits);

  // Stores a new endpoint (id and created_at set here) with a new secret,
  // which is returned with it: the only time it leaves the store in clear.
  // AlreadyExists("webhook_limit") past the scope's limit.
  struct Created {
    WebhookEndpoint endpoint;
    std::string secret;
  };
  Result<Created> Create(WebhookEndpoint e);
  // NotFound("webhook_not_found").
  Result<WebhookEndpoint> Get(const std::string& id) const;
  // The scope's endpoints ("" = the global ones), by creation time then id.
  std::vector<WebhookEndpoint> List(const std::string& tenant) const;
  // Every endpoint.
  std::vector<WebhookEndpoint> All() const;
  // Endpoints that take an event of `type` for `tenant` (its own and the global ones).
  std::vector<WebhookEndpoint> Subscribed(const std::string& type, const std::string& tenant) const;
  // NotFound("webhook_not_found").
  Status Delete(const std::string& id);
  // Deletes a tenant's endpoints; returns their ids.
  Result<std::vector<std::string>> RemoveTenant(const std::string& tenant);
  // The endpoint's secret in clear (for signing). DataLoss if it does not unwrap.
  Result<crypto::SecretBytes> Secret(const std::string& id) const;
  // Rewraps every secret not under master version `to` (a master-key
  // rotation, before it retires the older versions); returns how many.
  Result<size_t> RewrapAll(uint32_t to);
  // An endpoint of a tenant transferred from another node
  // (backup/tenant_transfer.h): its record, `secret` wrapped under this
  // node's current master version, staged in `batch`. Once the batch is
  // committed, LoadTenant brings it into memory.
  Status StageAdopted(const WebhookEndpoint& e, const crypto::SecretBytes& secret, rocksdb::WriteBatch* batch) const;
  // Reads the records of tenant `tenant` into memory (after StageAdopted).
  Status LoadTenant(const std::string& tenant);

 private:
  struct Record {
    WebhookEndpoint endpoint;
    uint32_t master_version = 0;
    std::string wrapped;  // the wrapped secret
  };
  WebhookStore(Storage* storage, crypto::KeyProvider* keys, const Clock* clock, WebhookLimits limits)
      : storage_(storage), keys_(keys), clock_(clock), limits_(limits) {}
  Status Load();
  // Every stored record (of `tenant` only, unless "*").
  Result<std::map<std::string, Record>> ReadRecords(const std::string& tenant) const;
  static std::string RecordJson(const Record& r);
  Status Write(const Record& r);

  Storage* const storage_;
  crypto::KeyProvider* const keys_;
  const Clock* const clock_;
  const WebhookLimits limits_;
  // Also held across a wrap and its write, so that a rewrap never misses a
  // secret wrapped under the version it replaces.
  mutable Mutex mu_;
  std::map<std::string, Record> records_ GUARDED_BY(mu_);
};

}  // namespace tenantkv::engine

// Every record of the system column family, named in one place (as
// leveldb's db/filename.h names its files). A new kind of record gets its
// prefix here, and a change to the shape of a persisted record bumps
// kCurrentFormatVersion (format_version.h) with a migration step.
//
//   meta/format_version                decimal: the data directory's format
//                                      (format_version.h)
//   tenant/<id>                        JSON TenantInfo (tenant_registry.h)
//   usage/<id>                         merged (keys, bytes) counters
//   dkey/<id>/<version, 8 hex>         JSON wrapped data key (tenant_registry.h)
//   dkey/<id>/export                   JSON wrapped export key
//   kstat/<id>/values/<version, 8 hex> merged (values, bytes) counters: the
//                                      values physically stored under that
//                                      version, changed in the data's batch
//   kstat/<id>/seals/<version, 8 hex>  decimal: seals reserved for that
//                                      version (seal_counter.h)
//   kstat/<id>/reencrypt               JSON re-encryption cursor
//                                      (key_lifecycle.h)
//   apikey/<key id>                    JSON API key record (api_keys.h)
//   quota/<id>/<version, 16 hex>       JSON quota manifest (quota_store.h)
//   plan/<name>                        JSON plan (quota_store.h)
//   audit/<seq, 16 hex>                JSON audit entry (audit_log.h)
//   cfpool/<column family>             "spare" | "recycling" (cf_pool.h)
//   pool/next_prefix                   decimal: every pooled-tenant key
//                                      prefix below it may have been handed
//                                      out (tenant_placement.h; format 3)
//   purge/<begin length>:<begin><end>  "": a purge waiting for a snapshot
//                                      (storage.h)
//   mkey/rotation                      JSON master-key rotation (master_key_rotation.h)
//   uhist/<id>                         binary usage history, versioned in
//                                      its own header (usage_history.h)
//   opkey/<key id>                     JSON named operator key (operator_keys.h)
//   addon/<id>/<addon id>              JSON add-on (addon_store.h)
//   grace/<id>                         JSON storage grace period of a tenant
//                                      past storage_bytes (engine_grace.cc)
//   qreq/<request id>                  JSON quota change request (quota_requests.h)
//   whep/<endpoint id>                 JSON webhook endpoint, its secret
//                                      wrapped (webhook_store.h)
//   whout/<endpoint id>/<seq, 16 hex>  JSON webhook delivery (webhook_outbox.h)
//   xfer/<id>                          JSON {place}: a tenant being transferred
//                                      in from another node, hidden until its
//                                      commit (backup/tenant_transfer.h);
//                                      removed with its place at the next start
//
// Every prefix ends in '/', so a prefix scan of one kind never meets
// another; kstat/<id>/ and dkey/<id>/ go with their tenant.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace tenantkv::engine {

inline constexpr char kFormatVersionKey[] = "meta/format_version";
inline constexpr char kTenantPrefix[] = "tenant/";
inline constexpr char kUsagePrefix[] = "usage/";
inline constexpr char kDataKeyPrefix[] = "dkey/";
inline constexpr char kKeyStatsPrefix[] = "kstat/";
inline constexpr char kApiKeyPrefix[] = "apikey/";
inline constexpr char kQuotaPrefix[] = "quota/";
inline constexpr char kPlanPrefix[] = "plan/";
inline constexpr char kAuditPrefix[] = "audit/";
inline constexpr char kCfPoolPrefix[] = "cfpool/";
inline constexpr char kPooledPrefixMarkKey[] = "pool/next_prefix";
inline constexpr char kPendingPurgePrefix[] = "purge/";
inline constexpr char kMasterKeyRotationKey[] = "mkey/rotation";
inline constexpr char kUsageHistoryPrefix[] = "uhist/";
inline constexpr char kOperatorKeyPrefix[] = "opkey/";
inline constexpr char kAddonPrefix[] = "addon/";
inline constexpr char kGracePrefix[] = "grace/";
inline constexpr char kQuotaRequestPrefix[] = "qreq/";
inline constexpr char kWebhookPrefix[] = "whep/";
inline constexpr char kWebhookOutboxPrefix[] = "whout/";
inline constexpr char kTransferInPrefix[] = "xfer/";

// The first key after every key that starts with `prefix`, which ends in
// '/' ('0' sorts right after '/').
inline std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix.substr(0, prefix.size() - 1));
  return end + "0";
}

inline std::string KeyStatsPrefix(const std::string& id) { return kKeyStatsPrefix + id + "/"; }
inline std::string KeyVersionHex(uint32_t version) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%08x", version);
  return buf;
}
inline std::string ValuesCountKey(const std::string& id, uint32_t version) {
  return KeyStatsPrefix(id) + "values/" + KeyVersionHex(version);
}
inline std::string SealsPrefix(const std::string& id) { return KeyStatsPrefix(id) + "seals/"; }
inline std::string SealsKey(const std::string& id, uint32_t version) {
  return SealsPrefix(id) + KeyVersionHex(version);
}
inline std::string ReencryptCursorKey(const std::string& id) { return KeyStatsPrefix(id) + "reencrypt"; }

}  // namespace tenantkv::engine

#include "server/observe/metrics.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <utility>

#include "crypto/secret_bytes.h"
#include "engine/tenants/tenant_placement.h"
#include "server/observe/process_stats.h"
#include "server/observe/prometheus.h"

namespace tenantkv::server {
namespace {

using engine::Tenant;
using TenantList = std::vector<std::shared_ptr<Tenant>>;
using SchedStats = std::map<std::string, engine::SchedulerTenantStats>;

std::vector<double> SecondsBounds(const int64_t* us, size_t n) {
  std::vector<double> out;
  for (size_t i = 0; i < n; ++i) out.push_back(static_cast<double>(us[i]) / 1e6);
  return out;
}

void WriteQuotas(ExpositionWriter& w, const TenantList& tenants, int64_t now_us) {
  struct Row {
    const char* quota;
    double limit;
    double used;
  };
  std::vector<std::pair<std::string, std::vector<Row>>> rows;
  for (const auto& t : tenants) {
    engine::TenantLimits& l = t->limits();
    const engine::Quota q = l.quota();
    // Without making the buckets of a tenant that has not been admitted yet.
    auto used_of = [&](engine::TenantLimits::Bucket b, int64_t burst) {
      return std::max(0.0, static_cast<double>(burst) - std::max(0.0, l.Available(b, now_us)));
    };
    rows.push_back({t->id(),
                    {{"storage_bytes", static_cast<double>(q.storage_bytes),
                      static_cast<double>(t->store().GetUsage().logical_bytes)},
                     {"requests_per_sec", static_cast<double>(q.burst_requests),
                      used_of(engine::TenantLimits::Bucket::kRequests, q.burst_requests)},
                     {"read_bytes_per_sec", static_cast<double>(q.burst_read_bytes),
                      used_of(engine::TenantLimits::Bucket::kReadBytes, q.burst_read_bytes)},
                     {"write_bytes_per_sec", static_cast<double>(q.burst_write_bytes),
                      used_of(engine::TenantLimits::Bucket::kWriteBytes, q.burst_write_bytes)},
                     {"max_concurrent", static_cast<double>(q.max_concurrent),
                      static_cast<double>(std::max<int64_t>(0, l.in_flight().load()))}}});
  }
  w.Family("tenantkv_quota_limit", MetricType::kGauge,
           "Quota limit per field: storage_bytes in bytes, the burst size of each token bucket, "
           "max_concurrent in requests.");
  for (const auto& [id, rs] : rows) {
    for (const Row& r : rs) w.Sample({{"tenant", id}, {"quota", r.quota}}, r.limit);
  }
  w.Family("tenantkv_quota_used", MetricType::kGauge,
           "Quota used per field: stored bytes, tokens taken from each bucket (burst minus "
           "available), requests in flight.");
  for (const auto& [id, rs] : rows) {
    for (const Row& r : rs) w.Sample({{"tenant", id}, {"quota", r.quota}}, r.used);
  }
  w.Family("tenantkv_quota_utilisation_ratio", MetricType::kGauge,
           "used / limit per quota field (only for fields with a limit above 0).");
  for (const auto& [id, rs] : rows) {
    for (const Row& r : rs) {
      if (r.limit > 0) w.Sample({{"tenant", id}, {"quota", r.quota}}, r.used / r.limit);
    }
  }
}

void WriteStorage(ExpositionWriter& w, const TenantList& tenants, int64_t now_ms) {
  std::vector<engine::Usage> usage;
  for (const auto& t : tenants) usage.push_back(t->store().GetUsage());
  w.Family("tenantkv_storage_bytes", MetricType::kGauge,
           "Logical bytes stored by the tenant (keys and values), from its exact usage counters.");
  for (size_t i = 0; i < tenants.size(); ++i) {
    w.Sample({{"tenant", tenants[i]->id()}}, static_cast<double>(usage[i].logical_bytes));
  }
  w.Family("tenantkv_storage_keys", MetricType::kGauge, "Keys stored by the tenant.");
  for (size_t i = 0; i < tenants.size(); ++i) {
    w.Sample({{"tenant", tenants[i]->id()}}, static_cast<double>(usage[i].keys));
  }
  w.Family("tenantkv_storage_burn_rate_bytes_per_hour", MetricType::kGauge,
           "Growth of the tenant's stored bytes per hour over its recent usage history.");
  for (size_t i = 0; i < tenants.size(); ++i) {
    // Never loads a history: a tenant not used since start has none yet.
    const auto history = tenants[i]->usage_history();
    w.Sample({{"tenant", tenants[i]->id()}},
             history ? history->BurnPerHour(now_ms, usage[i].logical_bytes) : 0.0);
  }
}

void WriteScheduler(ExpositionWriter& w, const TenantList& tenants, const SchedStats& sched) {
  static const engine::SchedulerTenantStats kNone;
  auto of = [&](const Tenant& t) -> const engine::SchedulerTenantStats& {
    auto it = sched.find(t.id());
    return it == sched.end() ? kNone : it->second;
  };
  const std::vector<double> bounds =
      SecondsBounds(engine::kQueueWaitBoundsUs.data(), engine::kQueueWaitBoundsUs.size());
  w.Family("tenantkv_scheduler_queue_wait_seconds", MetricType::kHistogram,
           "Time an operation waited for a storage slot (0 when uncontended).");
  for (const auto& t : tenants) {
    const auto& st = of(*t);
    w.Histogram({{"tenant", t->id()}}, bounds,
                std::vector<uint64_t>(st.queue_wait_buckets.begin(), st.queue_wait_buckets.end()),
                static_cast<double>(st.queue_wait_us_total) / 1e6);
  }
  w.Family("tenantkv_scheduler_served_ops_total", MetricType::kCounter,
           "Operations the storage scheduler ran for the tenant.");
  for (const auto& t : tenants) w.Sample({{"tenant", t->id()}}, static_cast<double>(of(*t).served));
  w.Family("tenantkv_scheduler_served_by_reservation_total", MetricType::kCounter,
           "Operations served under the tenant's reservation (reserved_ops_per_sec).");
  for (const auto& t : tenants) {
    w.Sample({{"tenant", t->id()}}, static_cast<double>(of(*t).served_by_reservation));
  }
  w.Family("tenantkv_scheduler_served_cost_total", MetricType::kCounter,
           "Cost units served (1 per operation plus 1 per 4 KiB of request body).");
  for (const auto& t : tenants) w.Sample({{"tenant", t->id()}}, of(*t).served_cost);
  w.Family("tenantkv_scheduler_rejected_total", MetricType::kCounter,
           "Operations the scheduler refused: queue_full (queue at its bound) or deadline (waited "
           "past max_queue_ms).");
  for (const auto& t : tenants) {
    const auto& st = of(*t);
    w.Sample({{"tenant", t->id()}, {"reason", "queue_full"}}, static_cast<double>(st.rejected_queue_full));
    w.Sample({{"tenant", t->id()}, {"reason", "deadline"}}, static_cast<double>(st.expired_deadline));
  }
  w.Family("tenantkv_scheduler_queue_depth", MetricType::kGauge,
           "Operations of the tenant waiting for a storage slot now.");
  for (const auto& t : tenants) w.Sample({{"tenant", t->id()}}, static_cast<double>(of(*t).queued));
}

void WriteKeyAges(ExpositionWriter& w, const TenantList& tenants, int64_t now_ms) {
  w.Family("tenantkv_data_key_age_seconds", MetricType::kGauge,
           "Seconds since each data-key version that is not destroyed was created.");
  for (const auto& t : tenants) {
    for (const auto& k : t->Info().data_keys) {
      if (k.state == "destroyed") continue;
      const std::string version = std::to_string(k.version);
      w.Sample({{"tenant", t->id()}, {"version", version}, {"state", k.state}},
               static_cast<double>(std::max<int64_t>(0, now_ms - k.created_at_ms)) / 1e3);
    }
  }
}

// The alert for a tenant whose writes stop because its data key reached
// the seal limit and could not be rotated (seal_counter.h).
void WriteKeyExhaustion(ExpositionWriter& w, const TenantList& tenants) {
  w.Family("tenantkv_key_exhausted", MetricType::kGauge,
           "1 while the tenant's current data key has made its seal limit (min(2 x --max-seals-per-key, "
           "2^32)) and no rotation has succeeded: its writes get 503 key_exhausted. Else 0.");
  for (const auto& t : tenants) {
    bool exhausted = false;
    for (const auto& k : t->Info().data_keys) {
      if (k.state == "active") exhausted = t->seals().Exhausted(k.version);
    }
    w.Sample({{"tenant", t->id()}}, exhausted ? 1 : 0);
  }
  w.Family("tenantkv_key_exhausted_refusals_total", MetricType::kCounter,
           "Seals refused because the data key had made its seal limit (writes answered 503 key_exhausted).");
  for (const auto& t : tenants) w.Sample({{"tenant", t->id()}}, static_cast<double>(t->seals().Refused()));
}

void WriteProcessAndStorage(ExpositionWriter& w, const engine::StorageStats& db, double uptime_s,
                            double start_s, size_t tenants) {
  const ProcessStats p = ReadProcessStats();
  auto gauge = [&](const char* name, const char* help, double v) {
    w.Family(name, MetricType::kGauge, help);
    w.Sample({}, v);
  };
  gauge("tenantkv_tenants", "Live tenants.", static_cast<double>(tenants));
  gauge("tenantkv_uptime_seconds", "Seconds since the server started.", uptime_s);
  gauge("process_start_time_seconds", "Start time of the process since the Unix epoch, in seconds.", start_s);
  gauge("process_resident_memory_bytes", "Resident memory size in bytes.", static_cast<double>(p.resident_bytes));
  gauge("process_open_fds", "Open file descriptors.", static_cast<double>(p.open_fds));
  gauge("tenantkv_process_threads", "Threads of the server process.", static_cast<double>(p.threads));
  gauge("tenantkv_rocksdb_memtable_bytes", "Memtable bytes of all column families (rocksdb.cur-size-all-mem-tables).",
        static_cast<double>(db.memtable_bytes));
  const crypto::SecureHeapStats heap = crypto::GetSecureHeapStats();
  gauge("tenantkv_secure_heap_bytes", "Size of the locked heap for key material (--secure-heap-mb).",
        static_cast<double>(heap.size));
  gauge("tenantkv_secure_heap_used_bytes",
        "Bytes of the secure heap in use; when it is full, keys take a mapping each (raise --secure-heap-mb).",
        static_cast<double>(heap.used));
  gauge("tenantkv_secure_heap_locked", "1 when the secure heap is locked in memory (never swapped).",
        heap.locked ? 1.0 : 0.0);
  gauge("tenantkv_rocksdb_block_cache_usage_bytes", "Bytes in use in the shared block cache.",
        static_cast<double>(db.block_cache_usage_bytes));
  gauge("tenantkv_rocksdb_pending_compaction_bytes",
        "Bytes compaction still has to rewrite, all column families (rocksdb.estimate-pending-compaction-bytes).",
        static_cast<double>(db.pending_compaction_bytes));
  gauge("tenantkv_rocksdb_delayed_write_rate_bytes",
        "Write rate RocksDB currently throttles writes to, bytes/s; 0 when writes are not delayed.",
        static_cast<double>(db.delayed_write_rate));
  gauge("tenantkv_rocksdb_write_stopped", "1 while RocksDB stops writes (a write stall), else 0.",
        db.write_stopped ? 1 : 0);
  gauge("tenantkv_rocksdb_column_families", "Open column families (tenants, system and default).",
        static_cast<double>(db.column_families));
  w.Family("tenantkv_durable_writes_total", MetricType::kCounter,
           "Data writes committed with --sync-writes, through the group commit.");
  w.Sample({}, static_cast<double>(db.durable_writes.writes));
  w.Family("tenantkv_durable_write_commits_total", MetricType::kCounter,
           "WAL-synced RocksDB writes those took (writes / commits = writes per fsync).");
  w.Sample({}, static_cast<double>(db.durable_writes.commits));
  gauge("tenantkv_storage_pending_purges",
        "Purges of deleted key records waiting for an older snapshot (an export) to be released.",
        static_cast<double>(db.pending_purges));
}

// Only active add-ons have series, so a node with none writes no samples.
void WriteAddons(ExpositionWriter& w, const std::vector<engine::Addon>& active) {
  w.Family("tenantkv_addon_value", MetricType::kGauge,
           "The value an active add-on (a temporary boost) sets a quota field to, by tenant, add-on and field.");
  for (const auto& a : active) {
    for (const auto& [field, value] : a.fields) {
      w.Sample({{"tenant", a.tenant}, {"addon", a.id}, {"quota", field}}, static_cast<double>(value));
    }
  }
  w.Family("tenantkv_addon_ends_timestamp_seconds", MetricType::kGauge,
           "When an active add-on ends, since the Unix epoch, by tenant and add-on.");
  for (const auto& a : active) {
    w.Sample({{"tenant", a.tenant}, {"addon", a.id}}, static_cast<double>(a.ends_at_ms) / 1e3);
  }
}

// The webhook outbox (webhook_outbox.h): its backlog and what became of
// the deliveries since the start.
void WriteWebhooks(ExpositionWriter& w, const engine::OutboxStats& s, size_t endpoints) {
  w.Family("tenantkv_webhook_endpoints", MetricType::kGauge, "Webhook endpoints, tenants' and global.");
  w.Sample({}, static_cast<double>(endpoints));
  w.Family("tenantkv_webhook_outbox_entries", MetricType::kGauge,
           "Webhook deliveries waiting in the outbox (pending, persisted).");
  w.Sample({}, static_cast<double>(s.pending));
  w.Family("tenantkv_webhook_deliveries_total", MetricType::kCounter,
           "Webhook deliveries since the start, by result: queued, delivered, failed (gave up after the "
           "last attempt), dropped (refused at an endpoint's pending cap).");
  w.Sample({{"result", "queued"}}, static_cast<double>(s.enqueued_total));
  w.Sample({{"result", "delivered"}}, static_cast<double>(s.delivered_total));
  w.Sample({{"result", "failed"}}, static_cast<double>(s.failed_total));
  w.Sample({{"result", "dropped"}}, static_cast<double>(s.dropped_total));
  w.Family("tenantkv_webhook_attempt_failures_total", MetricType::kCounter,
           "Webhook delivery attempts that got no 2xx answer (each is retried with backoff).");
  w.Sample({}, static_cast<double>(s.attempt_errors_total));
}

void WriteColumnFamilyPool(ExpositionWriter& w, const engine::CfPoolStats& pool) {
  w.Family("tenantkv_cf_pool_spares", MetricType::kGauge,
           "Spare column families ready for new tenants (--spare-column-families).");
  w.Sample({}, static_cast<double>(pool.spares));
  w.Family("tenantkv_cf_pool_recycling", MetricType::kGauge,
           "Column families of deleted tenants waiting to be emptied and made spare.");
  w.Sample({}, static_cast<double>(pool.recycling));
  w.Family("tenantkv_cf_pool_refills_total", MetricType::kCounter,
           "Batches of spare column families made (each stalls writes once for an OPTIONS rewrite).");
  w.Sample({}, static_cast<double>(pool.refills));
  w.Family("tenantkv_cf_pool_sync_creates_total", MetricType::kCounter,
           "Tenants that found the pool empty and made their own column family (stalling writes).");
  w.Sample({}, static_cast<double>(pool.sync_creates));
  w.Family("tenantkv_cf_pool_recycled_total", MetricType::kCounter,
           "Column families of deleted tenants emptied and made spare again.");
  w.Sample({}, static_cast<double>(pool.recycled));
}

// The tenants that get series of their own in this scrape, in `all`'s
// order: the latest active (a request within the window), at most
// `active_tenants` of them, then the `top_tenants` largest of the rest.
TenantList SelectTenants(const TenantList& all, const MetricsOptions& o, int64_t now_us) {
  std::vector<bool> chosen(all.size(), false);
  const int64_t since = now_us - o.active_window_sec * 1'000'000;
  // Largest first; ties in `all`'s order.
  const auto descending = [](const auto& a, const auto& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  };
  std::vector<std::pair<int64_t, size_t>> active;  // last request, index
  for (size_t i = 0; i < all.size(); ++i) {
    const RequestSeries* series = all[i]->AttachedIfAny<RequestSeries>();
    const int64_t last = series != nullptr ? series->last_active_us() : 0;
    if (last > 0 && last >= since) active.emplace_back(last, i);
  }
  const size_t n_active = std::min(active.size(), o.active_tenants);
  std::partial_sort(active.begin(), active.begin() + static_cast<std::ptrdiff_t>(n_active), active.end(), descending);
  for (size_t k = 0; k < n_active; ++k) chosen[active[k].second] = true;
  std::vector<std::pair<uint64_t, size_t>> largest;  // stored bytes, index
  for (size_t i = 0; i < all.size() && o.top_tenants > 0; ++i) {
    if (!chosen[i]) largest.emplace_back(all[i]->store().GetUsage().logical_bytes, i);
  }
  const size_t n_top = std::min(largest.size(), o.top_tenants);
  std::partial_sort(largest.begin(), largest.begin() + static_cast<std::ptrdiff_t>(n_top), largest.end(), descending);
  for (size_t k = 0; k < n_top; ++k) chosen[largest[k].second] = true;
  TenantList out;
  for (size_t i = 0; i < all.size(); ++i) {
    if (chosen[i]) out.push_back(all[i]);
  }
  return out;
}

// Each tenant's share of the shared block cache and how its lookups fare
// (engine/storage/charged_cache.h).
void WriteBlockCache(ExpositionWriter& w, const TenantList& tenants) {
  auto family = [&](const char* name, MetricType type, const char* help, auto value) {
    w.Family(name, type, help);
    for (const auto& t : tenants) w.Sample({{"tenant", t->id()}}, static_cast<double>(value(*t->cache_account())));
  };
  family("tenantkv_tenant_block_cache_charge_bytes", MetricType::kGauge,
         "Bytes of the shared block cache held now by blocks the tenant's requests read in.",
         [](const engine::CacheAccount& a) { return std::max<int64_t>(0, a.charge.load(std::memory_order_relaxed)); });
  family("tenantkv_tenant_block_cache_hits_total", MetricType::kCounter,
         "Block cache lookups of the tenant's requests that found their block (data, index and filter blocks).",
         [](const engine::CacheAccount& a) { return a.hits.load(std::memory_order_relaxed); });
  family("tenantkv_tenant_block_cache_misses_total", MetricType::kCounter,
         "Block cache lookups of the tenant's requests that had to read the block from a file.",
         [](const engine::CacheAccount& a) { return a.misses.load(std::memory_order_relaxed); });
  family("tenantkv_tenant_block_cache_inserted_bytes_total", MetricType::kCounter,
         "Bytes of blocks the tenant's requests put in the shared block cache (scans read around it "
         "unless --scan-fill-cache).",
         [](const engine::CacheAccount& a) { return a.inserted_bytes.load(std::memory_order_relaxed); });
}

// Every tenant, with or without series of its own, summed by plan and tier:
// a node of 100,000 tenants is watched through these, and they never drop
// when a tenant gains or loses its own series.
void WritePlanTotals(ExpositionWriter& w, const TenantList& all, size_t with_series) {
  struct Totals {
    uint64_t tenants = 0, bytes = 0, keys = 0, read = 0, written = 0;
    int64_t cache_charge = 0;
    std::array<uint64_t, kThrottleReasons> throttled{};
    std::map<int, uint64_t> codes;
  };
  std::map<std::pair<std::string, std::string>, Totals> by;
  for (const auto& t : all) {
    const engine::TenantInfo info = t->Info();
    Totals& x = by[{info.plan, engine::TierName(engine::TierOfPlacement(info.placement))}];
    ++x.tenants;
    const engine::Usage u = t->store().GetUsage();
    x.bytes += u.logical_bytes;
    x.keys += u.keys;
    x.cache_charge += t->cache_account()->charge.load(std::memory_order_relaxed);
    const RequestSeries* s = t->AttachedIfAny<RequestSeries>();
    if (s == nullptr) continue;
    x.read += s->read_bytes();
    x.written += s->written_bytes();
    for (size_t r = 0; r < kThrottleReasons; ++r) x.throttled[r] += s->throttled(static_cast<ThrottleReason>(r));
    for (size_t i = 0; i < RequestSeries::kMaxRoutes; ++i) {
      if (const RouteSeries* route = s->route(i)) {
        for (const auto& [code, n] : route->CodeCounts()) x.codes[code] += n;
      }
    }
  }
  auto family = [&](const char* name, MetricType type, const char* help, auto value) {
    w.Family(name, type, help);
    for (const auto& [key, x] : by) w.Sample({{"plan", key.first}, {"tier", key.second}}, static_cast<double>(value(x)));
  };
  family("tenantkv_plan_tenants", MetricType::kGauge, "Live tenants, by plan and tier.",
         [](const Totals& x) { return x.tenants; });
  family("tenantkv_plan_storage_bytes", MetricType::kGauge, "Logical bytes stored by the plan's tenants of the tier.",
         [](const Totals& x) { return x.bytes; });
  family("tenantkv_plan_storage_keys", MetricType::kGauge, "Keys stored by the plan's tenants of the tier.",
         [](const Totals& x) { return x.keys; });
  family("tenantkv_plan_block_cache_charge_bytes", MetricType::kGauge,
         "Bytes of the shared block cache held by blocks the plan's tenants of the tier read in.",
         [](const Totals& x) { return std::max<int64_t>(0, x.cache_charge); });
  family("tenantkv_plan_read_bytes_total", MetricType::kCounter, "Bytes read from storage for the plan's tenants of the tier.",
         [](const Totals& x) { return x.read; });
  family("tenantkv_plan_written_bytes_total", MetricType::kCounter,
         "Bytes written to storage for the plan's tenants of the tier.", [](const Totals& x) { return x.written; });
  w.Family("tenantkv_plan_requests_total", MetricType::kCounter,
           "HTTP requests of the plan's tenants of the tier, by status code.");
  for (const auto& [key, x] : by) {
    for (const auto& [code, n] : x.codes) {
      w.Sample({{"plan", key.first}, {"tier", key.second}, {"code", code == 0 ? "other" : std::to_string(code)}},
               static_cast<double>(n));
    }
  }
  w.Family("tenantkv_plan_throttled_requests_total", MetricType::kCounter,
           "Requests of the plan's tenants of the tier refused for a quota or for load, by reason.");
  for (const auto& [key, x] : by) {
    for (size_t r = 0; r < kThrottleReasons; ++r) {
      if (x.throttled[r] == 0) continue;
      w.Sample({{"plan", key.first}, {"tier", key.second}, {"reason", ThrottleReasonName(static_cast<ThrottleReason>(r))}},
               static_cast<double>(x.throttled[r]));
    }
  }
  w.Family("tenantkv_metrics_tenants_omitted", MetricType::kGauge,
           "Live tenants without series of their own in this scrape (neither recently active within "
           "--metrics-active-tenants nor among the --metrics-top-tenants largest); they are in tenantkv_plan_*.");
  w.Sample({}, static_cast<double>(all.size() - with_series));
}

}  // namespace

Metrics::Metrics(engine::Engine* engine, MetricsOptions options)
    : engine_(engine),
      options_(options),
      start_unix_ms_(engine->clock().NowUnixMillis()),
      start_mono_us_(engine->clock().NowMonotonicMicros()) {
  routes_.push_back({"-", "unmatched"});
}

size_t Metrics::AddRoute(const std::string& method, const std::string& pattern) {
  // Past the bound, series would be written outside their array: a
  // programming error in the route tables, stopped at the server's start.
  if (routes_.size() >= RequestSeries::kMaxRoutes) {
    std::fprintf(stderr, "tenantkv: more routes than RequestSeries::kMaxRoutes (%zu)\n", RequestSeries::kMaxRoutes);
    std::abort();
  }
  routes_.push_back({method, pattern});
  return routes_.size() - 1;
}

std::string Metrics::Render() const {
  const TenantList all = engine_->tenants().List();
  const SchedStats sched = engine_->scheduler().AllStats();
  const engine::Clock& clock = engine_->clock();
  const int64_t now_ms = clock.NowUnixMillis();
  const int64_t now_us = clock.NowMonotonicMicros();
  // The tenants with series of their own; the rest only in the plan totals.
  const TenantList tenants = SelectTenants(all, options_, now_us);

  std::vector<Caller> callers = {{kAnonymousTenantLabel, &anonymous_}, {kOperatorTenantLabel, &operator_}};
  for (const auto& t : tenants) callers.push_back({t->id(), t->AttachedIfAny<RequestSeries>()});

  ExpositionWriter w;
  w.Family("tenantkv_requests_total", MetricType::kCounter,
           "HTTP requests by caller tenant, route pattern and status code.");
  for (const Caller& c : callers) {
    if (c.series == nullptr) continue;
    for (size_t i = 0; i < routes_.size() && i < RequestSeries::kMaxRoutes; ++i) {
      const RouteSeries* r = c.series->route(i);
      if (r == nullptr) continue;
      for (const auto& [code, n] : r->CodeCounts()) {
        const std::string code_label = code == 0 ? "other" : std::to_string(code);
        w.Sample({{"tenant", c.label}, {"method", routes_[i].method}, {"route", routes_[i].pattern},
                  {"code", code_label}},
                 static_cast<double>(n));
      }
    }
  }
  w.Family("tenantkv_auth_backoff_total", MetricType::kCounter,
           "Failed authentications answered 429 auth_backoff because their address failed too often "
           "(a valid token is never refused).");
  w.Sample({}, static_cast<double>(auth_backoff_.load(std::memory_order_relaxed)));
  const std::vector<double> latency_bounds = SecondsBounds(kLatencyBoundsUs.data(), kLatencyBoundsUs.size());
  w.Family("tenantkv_request_duration_seconds", MetricType::kHistogram,
           "Time from routing a request to its response being ready, by tenant and route.");
  for (const Caller& c : callers) {
    if (c.series == nullptr) continue;
    for (size_t i = 0; i < routes_.size() && i < RequestSeries::kMaxRoutes; ++i) {
      const RouteSeries* r = c.series->route(i);
      if (r == nullptr) continue;
      w.Histogram({{"tenant", c.label}, {"method", routes_[i].method}, {"route", routes_[i].pattern}},
                  latency_bounds, r->latency().Counts(), static_cast<double>(r->latency().SumMicros()) / 1e6);
    }
  }
  // Tenants only from here: their series exist from creation on, at 0.
  static const RequestSeries kEmpty;
  auto series = [&](size_t i) -> const RequestSeries& {
    return callers[i].series != nullptr ? *callers[i].series : kEmpty;
  };
  w.Family("tenantkv_read_bytes_total", MetricType::kCounter,
           "Bytes read from storage for the tenant, as charged to its read_bytes quota.");
  for (size_t i = 2; i < callers.size(); ++i) {
    w.Sample({{"tenant", callers[i].label}}, static_cast<double>(series(i).read_bytes()));
  }
  w.Family("tenantkv_written_bytes_total", MetricType::kCounter,
           "Bytes written to storage for the tenant, as charged to its write_bytes quota.");
  for (size_t i = 2; i < callers.size(); ++i) {
    w.Sample({{"tenant", callers[i].label}}, static_cast<double>(series(i).written_bytes()));
  }
  w.Family("tenantkv_throttled_requests_total", MetricType::kCounter,
           "Requests refused for a quota or for load, by reason (the problem code).");
  for (size_t i = 2; i < callers.size(); ++i) {
    for (size_t r = 0; r < kThrottleReasons; ++r) {
      const auto reason = static_cast<ThrottleReason>(r);
      w.Sample({{"tenant", callers[i].label}, {"reason", ThrottleReasonName(reason)}},
               static_cast<double>(series(i).throttled(reason)));
    }
  }
  WriteBlockCache(w, tenants);
  WriteStorage(w, tenants, now_ms);
  WriteQuotas(w, tenants, now_us);
  WriteScheduler(w, tenants, sched);
  WriteKeyAges(w, tenants, now_ms);
  WriteKeyExhaustion(w, tenants);
  WriteAddons(w, engine_->addons().Active());
  WritePlanTotals(w, all, tenants.size());
  WriteWebhooks(w, engine_->webhook_outbox().Stats(), engine_->webhooks().All().size());
  WriteProcessAndStorage(w, engine_->storage_stats(), static_cast<double>(now_us - start_mono_us_) / 1e6,
                         static_cast<double>(start_unix_ms_) / 1e3, all.size());
  WriteColumnFamilyPool(w, engine_->tenants().cf_pool().stats());
  if (open_connections_) {
    w.Family("tenantkv_http_connections_open", MetricType::kGauge,
             "Connections open on the HTTP front now, from all addresses (refused ones not counted).");
    w.Sample({}, static_cast<double>(open_connections_()));
  }
  return w.Take();
}

}  // namespace tenantkv::server

#include "engine/tenants/usage_history_store.h"

#include "engine/storage/rocks_status.h"
#include "engine/storage/system_keys.h"

namespace tenantkv::engine {

namespace {
// Not fsync'd: a history is a chart's data, and a power loss may cost its
// last minute; the WAL keeps it across a process crash.
const rocksdb::WriteOptions& HistoryWriteOptions() {
  static const rocksdb::WriteOptions options;
  return options;
}
}  // namespace

std::string UsageHistoryStore::Key(const std::string& id) { return kUsageHistoryPrefix + id; }

std::shared_ptr<UsageHistory> UsageHistoryStore::Of(Tenant& t, int64_t now_ms) {
  std::shared_ptr<UsageHistory> current = t.usage_history();
  // A few rounds at most: each one lost only to another thread installing
  // a history, or to a flush freeing one.
  for (int round = 0; round < 4; ++round) {
    // Nothing is kept for a deleting tenant (a flush skips it, too).
    if (t.state() == TenantState::kDeleting) return nullptr;
    if (current != nullptr && !current->retired()) return current;
    std::string raw;
    rocksdb::Status s = storage_->db()->Get(rocksdb::ReadOptions(), storage_->system(), Key(t.id()), &raw);
    std::shared_ptr<UsageHistory> loaded;
    if (s.ok()) {
      auto decoded = UsageHistory::Decode(raw, reason_names_, now_ms);
      if (decoded.ok()) {
        loaded = std::move(decoded).value();
      } else {
        corrupt_records_.fetch_add(1);
        loaded = std::make_shared<UsageHistory>();
        MutexLock lock(loaded->mutex());
        loaded->MarkDirty();  // the next flush replaces the bad record
      }
    } else if (s.IsNotFound()) {
      loaded = std::make_shared<UsageHistory>();
    } else {
      return nullptr;
    }
    if (t.ReplaceUsageHistory(&current, loaded)) return loaded;
  }
  return nullptr;
}

void UsageHistoryStore::Record(Tenant& t, int64_t now_ms, const UsageEvent& e) {
  for (int round = 0; round < 4; ++round) {
    std::shared_ptr<UsageHistory> h = Of(t, now_ms);
    if (h == nullptr || h->Record(now_ms, e)) return;
  }
}

Status UsageHistoryStore::Flush(const std::vector<std::shared_ptr<Tenant>>& tenants, int64_t now_ms,
                                FlushStats* stats) {
  Status first;
  FlushStats local;
  for (const std::shared_ptr<Tenant>& t : tenants) {
    std::shared_ptr<UsageHistory> h = t->usage_history();
    if (h == nullptr) continue;
    bool free = false;
    {
      MutexLock lock(h->mutex());
      if (h->retired() || t->state() == TenantState::kDeleting) continue;
      if (!h->dirty() && h->Empty(now_ms)) {
        h->Retire();
        free = true;
        Status s = FromRocks(storage_->db()->Delete(HistoryWriteOptions(), storage_->system(), Key(t->id())),
                             "delete usage history");
        if (!s.ok() && first.ok()) first = s;
      } else if (h->dirty()) {
        // Written under the history's lock: a delete's Barrier waits for it.
        Status s = FromRocks(storage_->db()->Put(HistoryWriteOptions(), storage_->system(), Key(t->id()),
                                                 h->EncodeLocked(reason_names_)),
                             "write usage history");
        if (s.ok()) {
          h->MarkClean();
          ++local.written;
        } else if (first.ok()) {
          first = s;
        }
      }
    }
    if (free) {
      std::shared_ptr<UsageHistory> expected = h;
      if (t->ReplaceUsageHistory(&expected, nullptr)) ++local.freed;
    }
  }
  if (stats != nullptr) *stats = local;
  return first;
}

void UsageHistoryStore::Barrier(Tenant& t) {
  std::shared_ptr<UsageHistory> h = t.usage_history();
  if (h != nullptr) MutexLock lock(h->mutex());
}

}  // namespace tenantkv::engine

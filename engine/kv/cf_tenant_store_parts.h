// Pieces of CfTenantStore shared by its source files (cf_tenant_store.cc,
// cf_tenant_reencrypt.cc): the guard of an operation against Close(), a
// user key in its physical form, and a set of held write stripes. Not for
// use outside engine/kv.
#pragma once

#include <rocksdb/slice.h>

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/mutex.h"
#include "engine/kv/cf_tenant_store.h"

namespace tenantkv::engine {

// Holds the stripes `ids` of `stripes` for its scope, taken in index order.
// The analysis cannot follow a set of locks known only at run time, hence
// NO_THREAD_SAFETY_ANALYSIS; it loses nothing by it, as no member is
// GUARDED_BY a stripe (a stripe orders the read-modify-writes of its keys in
// RocksDB).
class StripeLocks {
 public:
  StripeLocks(Mutex* stripes, const std::set<size_t>& ids) NO_THREAD_SAFETY_ANALYSIS {
    held_.reserve(ids.size());
    for (size_t id : ids) {
      stripes[id].Lock();
      held_.push_back(&stripes[id]);
    }
  }
  ~StripeLocks() NO_THREAD_SAFETY_ANALYSIS {
    for (Mutex* m : held_) m->Unlock();
  }
  StripeLocks(const StripeLocks&) = delete;
  StripeLocks& operator=(const StripeLocks&) = delete;

 private:
  std::vector<Mutex*> held_;
};

// Seq_cst on both sides: either Close() sees this operation counted and
// waits for it, or the operation sees the store closed and does not start.
class CfTenantStore::ScopedOp {
 public:
  explicit ScopedOp(CfTenantStore& store) : store_(store) {
    store_.in_flight_.fetch_add(1);
    admitted_ = !store_.closed_.load();
  }
  ~ScopedOp() {
    if (store_.in_flight_.fetch_sub(1) == 1 && store_.closed_.load()) {
      MutexLock lock(store_.drain_mu_);
      store_.drained_.SignalAll();
    }
  }
  ScopedOp(const ScopedOp&) = delete;
  ScopedOp& operator=(const ScopedOp&) = delete;

  Status status() const {
    return admitted_ ? Status::Ok() : Status::NotFound("the tenant was deleted", "tenant_not_found");
  }

 private:
  CfTenantStore& store_;
  bool admitted_ = false;
};

class CfTenantStore::PhysKey {
 public:
  PhysKey(const CfTenantStore& store, std::string_view key) {
    const std::string& prefix = store.options_.key_prefix;
    if (prefix.empty()) {
      view_ = key;
      return;
    }
    buf_.reserve(prefix.size() + key.size());
    buf_.append(prefix).append(key);
    view_ = buf_;
  }
  PhysKey(const PhysKey&) = delete;  // view_ may point into buf_
  PhysKey& operator=(const PhysKey&) = delete;
  rocksdb::Slice slice() const { return rocksdb::Slice(view_.data(), view_.size()); }

 private:
  std::string buf_;
  std::string_view view_;
};

}  // namespace tenantkv::engine

// WriteGate: what a store asks before it commits a write, while something
// outside it needs to see or stop the tenant's writes (an online move to
// another tier: tier_mover.h).
#pragma once

#include <rocksdb/write_batch.h>

#include <string_view>

#include "crypto/status.h"

namespace tenantkv::engine {

class WriteGate {
 public:
  virtual ~WriteGate() = default;
  // Called with every batch the store is about to commit (data, usage and
  // per-version counts), before it is written; `cf_id` and `key_prefix`
  // name the tenant's range in it. A status other than OK refuses the write
  // and is what the writer gets. Must be thread-safe and quick.
  virtual Status Admit(const rocksdb::WriteBatch& batch, uint32_t cf_id, std::string_view key_prefix) = 0;
};

}  // namespace tenantkv::engine

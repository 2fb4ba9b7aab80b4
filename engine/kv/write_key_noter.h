// WriteKeyNoter: the user keys of one tenant's range that a write batch
// changes, for a write gate (write_gate.h) that must see every key written
// while it is set: an online tier move (tier_mover.h) or a tenant transfer
// to another node (backup/tenant_transfer.h). A range delete of the
// tenant's column family cannot be reduced to keys: `whole` then.
#pragma once

#include <rocksdb/write_batch.h>

#include <string>
#include <string_view>
#include <vector>

namespace tenantkv::engine {

class WriteKeyNoter final : public rocksdb::WriteBatch::Handler {
 public:
  // `cf_id` and `prefix` name the tenant's range (WriteGate::Admit's).
  WriteKeyNoter(uint32_t cf_id, std::string_view prefix) : cf_id_(cf_id), prefix_(prefix) {}

  rocksdb::Status PutCF(uint32_t cf, const rocksdb::Slice& key, const rocksdb::Slice&) override {
    return Note(cf, key);
  }
  rocksdb::Status DeleteCF(uint32_t cf, const rocksdb::Slice& key) override { return Note(cf, key); }
  rocksdb::Status SingleDeleteCF(uint32_t cf, const rocksdb::Slice& key) override { return Note(cf, key); }
  rocksdb::Status MergeCF(uint32_t cf, const rocksdb::Slice& key, const rocksdb::Slice&) override {
    return Note(cf, key);
  }
  rocksdb::Status DeleteRangeCF(uint32_t cf, const rocksdb::Slice&, const rocksdb::Slice&) override {
    if (cf == cf_id_) whole = true;
    return rocksdb::Status::OK();
  }

  std::vector<std::string> keys;  // user keys, prefix stripped, in batch order
  bool whole = false;

 private:
  rocksdb::Status Note(uint32_t cf, const rocksdb::Slice& key) {
    if (cf != cf_id_) return rocksdb::Status::OK();
    std::string_view k = key.ToStringView();
    if (k.compare(0, prefix_.size(), prefix_) == 0) keys.emplace_back(k.substr(prefix_.size()));
    return rocksdb::Status::OK();
  }

  const uint32_t cf_id_;
  const std::string_view prefix_;
};

}  // namespace tenantkv::engine
